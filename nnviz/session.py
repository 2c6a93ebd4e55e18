"""From a Scenario to a ready run: its data, a compiled Model, an Optimizer and a Trainer.

The headless CLI and the explorer both start here, so they train the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnviz.engine.graph import Graph, GraphError
from nnviz.engine.optim import Optimizer
from nnviz.model import DEFAULT_CAPACITY, Model
from nnviz.split import class_labels, holdout
from nnviz.train import Trainer

# Values an evaluation chunk holds at most (4 MiB of float32): 1,024 rows of a small network.
EVAL_CHUNK_VALUES = 1 << 20

# scenario graph ops → engine ops (same names but for the constants handled apart)
_GRAPH_OPS = {"add", "sub", "mul", "scale", "sigmoid", "tanh", "relu", "identity"}


@dataclass
class Session:
    scenario: object  # nnviz.scenario.Scenario
    model: Model
    optimizer: Optimizer
    trainer: Trainer | None  # None for an expression graph (nothing to train)
    dataset: object | None  # nnviz.data.Dataset
    datasets: list  # [(label, Dataset)]: several for a scenario over several truth tables
    label: str = ""
    validation_rows: np.ndarray | None = None  # rows of x_train held out (training.validation)

    @property
    def is_graph(self) -> bool:
        return self.trainer is None

    def set_trainable(self, layer: int, trainable: bool) -> None:
        """Freeze (False) or unfreeze 1-based `layer` from the next update on, without
        recompiling: the optimizer skips its parameters (and the model remembers it for an
        optimizer made later). A GraphError for a layer without parameters."""
        names = self.model.layer_params(layer)
        self.model.set_trainable(layer, trainable)
        if trainable:
            self.optimizer.unfreeze(names)
        else:
            self.optimizer.freeze(names)

    def trainable(self, layer: int) -> bool:
        """Whether the optimizer updates 1-based `layer` now."""
        return not any(self.optimizer.is_frozen(n) for n in self.model.layer_params(layer))


def build(
    scenario,
    *,
    data_dir: str | Path | None = None,
    which: int = 0,
    weights: dict[str, np.ndarray] | None = None,
    chunk_seconds: float = 0.05,
    threads: int | None = None,
    datasets: list | None = None,
) -> Session:
    """A Session for `scenario`; `which` picks the data set when the scenario has several.

    threads: the Trainer's (1, 2, or None to choose); an interface that draws while it trains
    passes 1. datasets: what load_datasets(scenario) returned, to build several sessions on
    the data loaded once."""
    if scenario.graph is not None:
        return _build_graph(scenario)
    if datasets is None:
        datasets = load_datasets(scenario, data_dir)
    label, dataset = datasets[which]
    return _build_mlp(scenario, dataset, datasets, label, weights, chunk_seconds, threads)


def load_datasets(scenario, data_dir: str | Path | None = None) -> list:
    """[(label, Dataset)] of a scenario with a model: one, or one per truth table."""
    loaded = scenario.data.load(data_dir=data_dir)
    return loaded if isinstance(loaded, list) else [(loaded.name, loaded)]


def _build_mlp(scenario, dataset, datasets, label, weights, chunk_seconds, threads) -> Session:
    spec = scenario.model
    tr = scenario.training
    features = tuple(scenario.data.features)
    n_in = len(features) if features else dataset.n_inputs
    if spec.inputs is not None and spec.inputs != n_in:
        raise GraphError(f"model.inputs: {spec.inputs} does not match the data's {n_in} inputs")
    layers = spec.layers
    if layers[-1].units != dataset.y_train.shape[1]:
        raise GraphError(
            f"the output layer has {layers[-1].units} units but the data has "
            f"{dataset.y_train.shape[1]} target columns"
        )
    given = {}
    for name, arr in spec.weights:
        given[name] = np.asarray(arr, np.float64).reshape(-1, arr.shape[-1])
    if spec.weights_file is not None:  # weights = "x.npz": every parameter, checked first
        from nnviz.weights import load_weights

        expected = {name: np.zeros(shape, tr.dtype) for name, shape in spec.weight_shapes(n_in)}
        loaded = load_weights(spec.weights_file, expected)
        given.update({n: a.reshape(-1, a.shape[-1]) for n, a in loaded.items()})
    if weights:
        given.update(weights)
    x_train, y_train = dataset.x_train, dataset.y_train
    val_rows = x_val = y_val = None
    if tr.validation:
        labels = class_labels(y_train, dataset.task)
        train_rows, val_rows = holdout(len(x_train), tr.validation, tr.seed, labels)
        x_val, y_val = x_train[val_rows], y_train[val_rows]
        x_train, y_train = x_train[train_rows], y_train[train_rows]
    n_rows = x_train.shape[0]
    batch = tr.batch_size or n_rows
    # Rows the buffers hold: a batch, and evaluation chunks of up to DEFAULT_CAPACITY rows,
    # fewer for a wide network (memory every evaluation writes; MNIST's 784 inputs).
    width = n_in + sum(lay.units for lay in spec.layers) * 3 + 4 * dataset.y_train.shape[1]
    chunk = max(64, min(DEFAULT_CAPACITY, EVAL_CHUNK_VALUES // width))
    capacity = max(min(batch, n_rows), min(chunk, max(n_rows, 1)))
    model = Model.from_spec(
        dataset.n_inputs, layers, spec.loss, init=spec.init, init_scale=spec.init_scale,
        seed=tr.seed, l2=spec.l2, l1=spec.l1, weights=given, task=dataset.task, dtype=tr.dtype,
        capacity=capacity, image=spec.image, features=features or None,
    )  # fmt: skip
    optimizer = Optimizer(model.program, scenario.optimizer.kind, **dict(scenario.optimizer.params))
    trainer = Trainer(
        model, optimizer, x_train, y_train, x_val=x_val, y_val=y_val,
        x_test=dataset.x_test, y_test=dataset.y_test, epochs=tr.epochs, batch_size=tr.batch_size,
        seed=tr.seed, shuffle=tr.shuffle, schedule=tr.schedule, schedule_step=tr.schedule_step,
        gamma=tr.gamma, chunk_seconds=chunk_seconds, threads=threads,
    )  # fmt: skip
    return Session(scenario, model, optimizer, trainer, dataset, datasets, label, val_rows)


def _build_graph(scenario) -> Session:
    """An expression graph: its inputs are 1×1 leaves we differentiate by; no data, no training."""
    spec = scenario.graph
    g = Graph()
    for name, value in spec.inputs:
        i = g.input(name, cols=1, rows=1)
        g.nodes[i].init = np.array([[float(value)]])  # restored by Program.reset_values
        g.wrt.append(i)
    for node in spec.nodes:
        if node.op == "const":
            g.const(node.name, node.value)
        elif node.op in _GRAPH_OPS:
            g.op(node.op, *node.args, name=node.name, const=node.value)
        else:
            raise GraphError(f"node '{node.name}': unknown op '{node.op}'")
    g.loss = g.find(spec.output)
    g.nodes[g.loss].role = "loss"
    model = Model(g, task="regression", dtype="float64", capacity=1)
    model.program.forward()
    optimizer = Optimizer(model.program, "sgd", lr=0.0)
    return Session(scenario, model, optimizer, None, None, [], scenario.name)
