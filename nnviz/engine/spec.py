"""The vocabulary of a network spec: names a scenario file may use.

Pure Python (no numba), so that loading and validating a scenario stays light.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnviz.engine.images import PADDINGS, POOLS, conv_output, image_text, pool_output
from nnviz.errors import InputError

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


LAYER_KINDS = ("dense", "conv", "pool")


@dataclass(frozen=True)
class Layer:
    """One layer (the one layer record: scenario files, the builder and the summaries all use
    it). Dense (the default): ``units`` outputs, then ``activation``, then dropout at
    ``dropout`` (a rate in [0, 1); 0 is none) while training. Conv (kind "conv"): ``units``
    filters of ``kernel`` × ``kernel``, ``stride``, ``padding`` (valid, same), then
    ``activation``. Pooling (kind "pool"): ``pool`` (max, avg) over ``kernel`` × ``kernel``
    windows, ``stride`` (0: the window size); its units are 0. ``trainable`` False freezes a
    dense or conv layer: its gradients are computed, the optimizer does not update it."""

    units: int
    activation: str
    dropout: float = 0.0  # the rate of a dropout after the activation (hidden layers only)
    kind: str = "dense"  # dense | conv | pool
    kernel: int = 0
    stride: int = 0  # 0: 1 for conv, the window size for pooling
    padding: str = "valid"
    pool: str = "max"
    trainable: bool = True  # False: the optimizer leaves W and b as they are (frozen)


def param_count(n_inputs: int, layers, image: tuple[int, int, int] | None = None) -> int:
    """Weights and biases in all, from the layer plan: N_H(N_I + 1) + N_O(N_H + 1) for one
    hidden layer, F·(C·k² + 1) for a conv layer, none for pooling."""
    return sum(planned.params for planned in plan_layers(n_inputs, layers, image))


class LayerShapeError(InputError):
    """A layer that does not fit the shape of its input; `index` is the layer's (0-based)."""

    def __init__(self, index: int, message: str):
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class PlannedLayer:
    """One layer of a network with its shapes: what `nnviz info` lists and the builder builds.

    shape_in / shape_out are (C, H, W) for images and (n,) for flat rows; a dense layer after
    images reads them flattened in (c, y, x) order. params: the layer's parameter count.
    """

    index: int
    kind: str  # dense | conv | pool
    name: str  # Keras-style: conv2d_1 (relu), max_pooling2d_2, dense_3 (softmax)
    shape_in: tuple[int, ...]
    shape_out: tuple[int, ...]
    params: int
    padding: tuple[int, int] = (0, 0)  # conv: zeros above and left of the image
    stride: int = 1
    size: int = 0  # conv kernel / pooling window


def _field(layer, name: str, default):
    return getattr(layer, name, default) if not isinstance(layer, tuple) else default


def plan_layers(n_inputs: int, layers, image: tuple[int, int, int] | None = None) -> list:
    """Every layer's input and output shape and parameter count, checked.

    `layers` are (units, activation) pairs or layer records with kind (dense, conv, pool),
    units (a conv's filters), activation, kernel, stride, padding and pool (max, avg).
    Conv and pool layers need `image`, the (C, H, W) of the inputs. LayerShapeError names the
    layer that does not fit and the shapes.
    """
    shape: tuple[int, ...] = tuple(image) if image is not None else (n_inputs,)
    if image is not None and image[0] * image[1] * image[2] != n_inputs:
        raise LayerShapeError(
            0, f"the input images {image_text(image)} do not hold the data's {n_inputs} inputs"
        )
    plan = []
    for i, layer in enumerate(layers):
        units, activation = (layer[0], layer[1]) if isinstance(layer, tuple) else (
            layer.units, layer.activation)  # fmt: skip
        kind = _field(layer, "kind", "dense")
        n = i + 1
        if kind == "dense":
            fan_in = 1
            for d in shape:
                fan_in *= d
            plan.append(PlannedLayer(i, kind, f"dense_{n} ({activation})", shape, (units,),
                                     fan_in * units + units))  # fmt: skip
            shape = (units,)
            continue
        if kind not in LAYER_KINDS:
            raise LayerShapeError(i, f"kind {kind!r} is not one of {', '.join(LAYER_KINDS)}")
        if len(shape) != 3:
            what = "images (C, H, W)" if image is None else "images, not flat rows"
            raise LayerShapeError(
                i, f"a {kind} layer needs {what}; its input is {shape[0]} flat numbers per row"
            )
        c, h, w = shape
        size = int(_field(layer, "kernel", 0))
        stride = int(_field(layer, "stride", 0) or (1 if kind == "conv" else size))
        if size < 1 or stride < 1:
            raise LayerShapeError(i, f"kernel {size} and stride {stride} must be at least 1")
        if kind == "conv":
            padding = _field(layer, "padding", "valid")
            if padding not in PADDINGS:
                raise LayerShapeError(i, f"padding {padding!r} is not one of valid, same")
            ho, wo, win = conv_output(h, w, size, stride, padding)
            out = (units, ho, wo)
            name, params = f"conv2d_{n} ({activation})", units * (c * size * size + 1)
            what = f"a {size}×{size} kernel (stride {stride}, padding {padding})"
        else:
            pool = _field(layer, "pool", "max")
            if pool not in POOLS:
                raise LayerShapeError(i, f"pool {pool!r} is not one of {', '.join(POOLS)}")
            ho, wo, win = pool_output(h, w, size, stride)
            out = (c, ho, wo)
            name, params = f"{pool}_pooling2d_{n}", 0
            what = f"a {size}×{size} window (stride {stride})"
        if ho < 1 or wo < 1:
            raise LayerShapeError(i, f"{what} does not fit its {image_text(shape)} input")
        plan.append(PlannedLayer(i, kind, name, shape, out, params, (win.pad_top, win.pad_left),
                                 stride, size))  # fmt: skip
        shape = out
    return plan


def summary_rows(n_inputs: int, layers, image=None) -> list[tuple[str, str, int]]:
    """Keras-style rows (layer, output shape, parameters), shapes channel-first; a flatten
    row stands between images and the first dense layer. The total is their sum:
    N_H(N_I + 1) + N_O(N_H + 1) for one hidden layer, F·(C·k² + 1) for a conv layer."""
    rows = []
    for planned in plan_layers(n_inputs, layers, image):
        if planned.kind == "dense" and len(planned.shape_in) == 3:
            c, h, w = planned.shape_in
            rows.append(("flatten", f"(None, {c * h * w})", 0))
        shape = ", ".join(str(d) for d in planned.shape_out)
        rows.append((planned.name, f"(None, {shape})", planned.params))
    return rows
