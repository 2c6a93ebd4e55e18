"""The frozen records a scenario file becomes (re-exported by nnviz.scenario)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nnviz.engine.spec import Layer, param_count, plan_layers
from nnviz.scenario.checks import ScenarioError, data_error_key

if TYPE_CHECKING:  # numpy is imported when a file is validated, not for `nnviz list`
    import numpy as np


@dataclass(frozen=True)
class ModelSpec:
    """An MLP as data.

    ``weights`` holds explicit starting values by name (W1, b1, W2, ...): W_k is a read-only
    float64 array of shape (fan_in, units), b_k of shape (units,). Parameters not named
    there are drawn by ``init``.
    """

    inputs: int | None
    layers: tuple[Layer, ...]
    loss: str
    init: str
    init_scale: float
    l2: float
    weights: tuple[tuple[str, np.ndarray], ...] = ()
    image: tuple[int, int, int] | None = None  # (C, H, W) of the inputs, for conv layers
    l1: float = 0.0  # l1·Σ|W| of every weight matrix added to the loss, as l2 adds l2·ΣW²
    # an .npz of starting values (weights = "x.npz" in [model]), read when a session is built
    # (nnviz.weights checks it against the network); not compared: its numbers are the point
    weights_file: Path | None = None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ModelSpec):
            return NotImplemented
        import numpy as np

        return (
            self._plain() == other._plain()
            and len(self.weights) == len(other.weights)
            and all(
                n1 == n2 and np.array_equal(a1, a2)
                for (n1, a1), (n2, a2) in zip(self.weights, other.weights, strict=True)
            )
        )

    def __hash__(self) -> int:
        arrays = tuple((n, a.shape, a.tobytes()) for n, a in self.weights)
        return hash((self._plain(), arrays))

    def _plain(self) -> tuple:
        return (
            self.inputs, self.layers, self.loss, self.init, self.init_scale, self.l2, self.image,
            self.l1,
        )  # fmt: skip

    @property
    def outputs(self) -> int:
        return self.layers[-1].units

    def weight(self, name: str) -> np.ndarray | None:
        """The explicit value of W<k> or b<k>, or None when it is left to ``init``."""
        return dict(self.weights).get(name)

    def weight_shapes(self, inputs: int | None = None) -> tuple[tuple[str, tuple[int, ...]], ...]:
        """(name, shape) of every parameter in order W1, b1, W2, b2, ...: a dense layer's W is
        (fan_in, units), a conv layer's (filters, C·k·k); pooling layers have none."""
        fan_in = self.inputs if inputs is None else inputs
        if fan_in is None:
            raise ValueError("the number of inputs is not known before the data is loaded")
        shapes: list[tuple[str, tuple[int, ...]]] = []
        for planned, layer in zip(
            plan_layers(fan_in, self.layers, self.image), self.layers, strict=True
        ):
            k = planned.index + 1
            if planned.kind == "pool":
                continue
            if planned.kind == "conv":
                w = (layer.units, planned.shape_in[0] * planned.size**2)
            else:
                w = (math.prod(planned.shape_in), layer.units)
            shapes += [(f"W{k}", w), (f"b{k}", (layer.units,))]
        return tuple(shapes)

    def param_count(self, inputs: int | None = None) -> int:
        """Weights and biases in all: N_H(N_I + 1) + N_O(N_H + 1) for one hidden layer,
        F·(C·k² + 1) for a conv layer."""
        fan_in = self.inputs if inputs is None else inputs
        if fan_in is None:
            raise ValueError("the number of inputs is not known before the data is loaded")
        return param_count(fan_in, self.layers, self.image)


@dataclass(frozen=True)
class GraphNodeSpec:
    """One primitive operation of an expression graph.

    ``op`` is const, add, sub, mul, scale, sigmoid, tanh, relu or identity. ``scale`` has
    args=(x,) and ``value`` the factor; ``const`` has args=() and ``value`` the constant.
    """

    name: str
    op: str
    args: tuple[str, ...]
    value: float = 0.0


@dataclass(frozen=True)
class GraphSpec:
    """A small expression graph: named inputs, nodes in order, and the output's name."""

    inputs: tuple[tuple[str, float], ...]
    nodes: tuple[GraphNodeSpec, ...]
    output: str


@dataclass(frozen=True)
class DataSpec:
    """A data kind of nnviz.data and its params (only those the file gives), and the engineered
    input features the network reads instead of the data's columns (``features``).

    ``base_dir`` is the scenario file's folder (relative csv paths are taken from it) and
    ``source`` the file name that errors name.
    """

    kind: str
    params: tuple[tuple[str, object], ...]
    base_dir: Path | None = field(default=None, compare=False)
    source: str = field(default="<scenario>", compare=False)
    # engineered input columns, canonical spellings (nnviz.data.features); () for the data's own
    features: tuple[str, ...] = ()

    def get(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)

    @property
    def gates(self) -> tuple[str, ...] | None:
        """The gate names when ``gate`` is a list (several truth tables), else None."""
        gate = self.get("gate")
        return tuple(gate) if self.kind == "gate" and isinstance(gate, tuple) else None

    def load(self, data_dir: str | Path | None = None) -> Any:
        """The Dataset, or a list of (gate name, Dataset) when ``gate`` is a list.

        A DataError becomes a ScenarioError naming this file and the data param.
        """
        from nnviz import data
        from nnviz.data.errors import DataFolderError

        params = dict(self.params)
        try:
            if self.gates is not None:
                return [
                    (g, data.load(self.kind, {**params, "gate": g}, base_dir=self.base_dir))
                    for g in self.gates
                ]
            return data.load(self.kind, params, base_dir=self.base_dir, data_dir=data_dir)
        except DataFolderError:
            raise  # about the folder the user named, not about this file
        except data.DataError as exc:
            key, what = data_error_key(self.kind, exc, data.DATA_KINDS.get(self.kind, ()))
            raise ScenarioError(f"{self.source}: {key}: {what}") from exc


@dataclass(frozen=True)
class OptimizerSpec:
    """An optimizer kind with all of its hyperparameters (defaults filled in)."""

    kind: str
    params: tuple[tuple[str, float], ...]

    def get(self, name: str, default: float | None = None) -> float | None:
        return dict(self.params).get(name, default)

    @property
    def lr(self) -> float:
        return dict(self.params)["lr"]


@dataclass(frozen=True)
class TrainingSpec:
    epochs: int
    batch_size: int  # 0: full batch
    seed: int
    dtype: str
    schedule: str
    schedule_step: int
    gamma: float
    shuffle: bool
    validation: float = 0.0  # the share of the training rows held out to validate on


@dataclass(frozen=True)
class ViewSpec:
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None
    truth_table: bool = False


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: exactly one of ``model`` (with ``data``) or ``graph``."""

    name: str
    description: str
    path: Path
    data: DataSpec | None
    model: ModelSpec | None
    graph: GraphSpec | None
    optimizer: OptimizerSpec
    training: TrainingSpec
    view: ViewSpec

    # How to make a checked copy with other training settings: given by whoever built this
    # record (nnviz.scenario.build), so that records never import the layer above them.
    overrider: Callable[..., Scenario] | None = field(default=None, compare=False, repr=False)

    def with_overrides(
        self,
        epochs: int | None = None,
        lr: float | None = None,
        batch_size: int | None = None,
        optimizer: str | None = None,
        seed: int | None = None,
        dtype: str | None = None,
        validation: float | None = None,
    ) -> Scenario:
        """A copy with some training settings replaced, checked like the file's own.

        A new optimizer kind starts from that kind's defaults; ``lr`` given in the same call
        is kept.
        """
        if self.overrider is None:
            raise ScenarioError(f"{self.name}: this scenario was not loaded from a file")
        return self.overrider(
            self,
            epochs=epochs,
            lr=lr,
            batch_size=batch_size,
            optimizer=optimizer,
            seed=seed,
            dtype=dtype,
            validation=validation,
        )
