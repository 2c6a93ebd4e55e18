"""The vocabulary of a network spec: names a scenario file may use.

Pure Python (no numba), so that loading and validating a scenario stays light.
"""

from __future__ import annotations

from dataclasses import dataclass

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity", "softmax", "step")
LOSSES = ("mse", "mae", "bce", "bce_logits", "cross_entropy")
OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adagrad", "perceptron")
INITIALIZERS = ("uniform", "glorot", "he", "zeros")
SCHEDULES = ("constant", "step", "exponential")
DTYPES = ("float32", "float64")

# Optimizer hyperparameters and their defaults (PyTorch's where it has one).
OPTIMIZER_DEFAULTS = {
    "sgd": {"lr": 0.01, "weight_decay": 0.0},
    "momentum": {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.0},
    "nesterov": {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.0},
    "rmsprop": {"lr": 0.001, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0},
    "adam": {"lr": 0.001, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
    "adagrad": {"lr": 0.01, "eps": 1e-10, "weight_decay": 0.0},
    "perceptron": {"lr": 0.1},
}


@dataclass(frozen=True)
class Layer:
    """One dense layer: ``units`` outputs, then ``activation`` (the one layer record: scenario
    files, the MLP builder and the summaries all use it)."""

    units: int
    activation: str
    dropout: float = 0.0  # the rate of a dropout after the activation (hidden layers only)


def param_count(n_inputs: int, layers) -> int:
    """Weights and biases in all: N_H(N_I + 1) + N_O(N_H + 1) for one hidden layer."""
    return sum(row[2] for row in summary_rows(n_inputs, layers))


def summary_rows(n_inputs: int, layers) -> list[tuple[str, str, int]]:
    """Keras-style rows (layer, output shape, parameters) of an MLP given as (units, activation)
    pairs; the total is their sum: N_H(N_I + 1) + N_O(N_H + 1) for one hidden layer."""
    rows = []
    fan_in = n_inputs
    for n, layer in enumerate(layers, start=1):
        units, activation = (layer.units, layer.activation) if isinstance(layer, Layer) else layer
        rows.append((f"dense_{n} ({activation})", f"(None, {units})", fan_in * units + units))
        fan_in = units
    return rows
