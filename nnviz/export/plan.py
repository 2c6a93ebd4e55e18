"""What an exported script must reproduce, read off a scenario: the layers, the starting
weights, the data, the optimizer, loss and schedule, or an ExportError naming what cannot
be mapped exactly to the target."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnviz.export.errors import ExportError

# Up to this many data numbers (inputs and targets, training and test) are written into the
# script as literals; a bigger set than that (other than MNIST, which gets a loader) is refused.
EMBED_MAX_DATA = 50_000
# Up to this many parameters are written out as literals; a bigger network's script draws
# them with nnviz's init (or reads the --load file).
EMBED_MAX_PARAMS = 5_000

TARGET_NAMES = {"pytorch": "PyTorch", "keras": "Keras"}
# nnviz clamps bce's probability to [eps, 1 − eps] at the dtype's resolution (engine/graph.py).
BCE_EPS = {"float32": 1e-7, "float64": 1e-12}


@dataclass(frozen=True)
class Dense:
    fan_in: int
    units: int
    activation: str
    trainable: bool = True  # False: frozen (requires_grad_(False), Keras's trainable=False)


@dataclass(frozen=True)
class EmbeddedData:
    """Float32 arrays, as nnviz.data makes them (the test pair may be None)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    source: str


@dataclass(frozen=True)
class MnistData:
    """Where nnviz reads MNIST: its bundled sample (sample_path) or four IDX files (files)."""

    sample_path: Path | None
    files: dict | None  # role (train_images, ...) → Path
    limit_train: int
    limit_test: int
    n_train: int
    n_test: int
    source: str


@dataclass(frozen=True)
class Start:
    """The starting parameters: literal values (small networks), or how the script gets them."""

    literal: dict | None  # name → float64 array, W as (fan_in, units), b as (units,)
    init: str  # nnviz's initializer, when the script draws the weights itself
    init_scale: float
    seed: int
    given: dict  # name → array set by hand in the scenario (applied after the init)
    file: Path | None  # the --load .npz the script reads, for a big network
    origin: str  # one line: where these weights come from


@dataclass(frozen=True)
class Plan:
    target: str
    name: str
    description: str
    command: str  # the `nnviz train ...` whose numbers the script reproduces
    layers: tuple[Dense, ...]
    loss: str
    l2: float
    l1: float
    dtype: str
    task: str
    optimizer: str
    hyper: dict  # the optimizer's hyperparameters, every one (defaults filled in)
    epochs: int
    batch_size: int  # resolved: the full batch is the number of training rows
    shuffle: bool  # resolved: a single batch holding every row is never shuffled
    seed: int
    schedule: str
    schedule_step: int
    gamma: float
    data: EmbeddedData | MnistData
    n_train: int
    start: Start

    @property
    def n_inputs(self) -> int:
        return self.layers[0].fan_in

    @property
    def n_params(self) -> int:
        return sum(d.fan_in * d.units + d.units for d in self.layers)

    @property
    def bce_eps(self) -> float:
        return BCE_EPS[self.dtype]


def refuse(name: str, what: str, why: str) -> ExportError:
    return ExportError(f"{name}: cannot export {what}: {why}")


def make_plan(
    scenario,
    target: str,
    *,
    data_dir: str | os.PathLike | None = None,
    weights: dict | None = None,
    weights_path: str | os.PathLike | None = None,
    command: str = "",
) -> Plan:
    name = scenario.name
    lib = TARGET_NAMES[target]
    if scenario.graph is not None:
        raise refuse(
            name, "an expression graph ([graph])",
            f"it has no layers, data or training to write as {lib} code "
            f"(nnviz trace {name} shows its forward and reverse mode)",
        )  # fmt: skip
    spec = scenario.model
    opt = scenario.optimizer
    if opt.kind == "perceptron":
        raise refuse(
            name, "optimizer 'perceptron'",
            f"the perceptron rule θ ← θ + η(y − a)x is not a gradient step and {lib} has no "
            "optimizer for it",
        )  # fmt: skip
    for i, layer in enumerate(spec.layers):
        if layer.activation == "step":
            raise refuse(
                name, f"model.layers[{i}].activation 'step'",
                f"the heaviside step has no gradient and no {lib} layer",
            )  # fmt: skip
    for i, layer in enumerate(spec.layers):
        if getattr(layer, "dropout", 0.0):
            raise refuse(
                name, f"dropout = {layer.dropout:g} after dense layer {i + 1}",
                f"nnviz draws its dropout masks from its own generator, which {lib}'s dropout "
                "cannot reproduce; export a copy without dropout",
            )  # fmt: skip
    validation = getattr(scenario.training, "validation", 0.0)
    if validation:
        raise refuse(
            name, f"training.validation = {validation:g}",
            "the script does not hold out nnviz's validation rows yet; export with validation 0",
        )  # fmt: skip
    if scenario.data.features:
        raise refuse(
            name, f"data.features = {list(scenario.data.features)}",
            "the script feeds the data's own columns; train it with `nnviz train`",
        )  # fmt: skip
    if scenario.data.gates is not None:
        raise refuse(
            name, f"data.gate = {list(scenario.data.gates)}",
            "a script trains one data set; export a copy of the scenario per gate",
        )  # fmt: skip
    first_image = next((lay for lay in spec.layers if lay.kind != "dense"), None)
    if first_image is not None:
        raise refuse(
            name, f"a {first_image.kind} layer",
            "the script writes dense layers only yet; train it with `nnviz train`",
        )  # fmt: skip
    tr = scenario.training
    hyper = dict(opt.params)
    if target == "keras":
        _check_keras(name, opt.kind, hyper, tr.schedule)
        frozen = [i for i, lay in enumerate(spec.layers) if not lay.trainable]
        if frozen and (spec.l1 or spec.l2):
            raise refuse(
                name, f"a frozen layer (model.layers[{frozen[0]}]) with l1/l2 to Keras",
                "Keras leaves a non-trainable layer's penalty out of the loss, nnviz counts it "
                "(use --to pytorch)",
            )  # fmt: skip

    dataset = scenario.data.load(data_dir=data_dir)
    n_train = dataset.x_train.shape[0]
    fan_in = dataset.n_inputs
    layers = []
    for layer in spec.layers:
        layers.append(Dense(fan_in, layer.units, layer.activation, layer.trainable))
        fan_in = layer.units
    if layers[-1].units != dataset.y_train.shape[1]:
        raise ExportError(
            f"{name}: the output layer has {layers[-1].units} units but the data has "
            f"{dataset.y_train.shape[1]} target columns"
        )
    batch = min(tr.batch_size or n_train, n_train)
    data = _data(name, scenario.data, dataset, data_dir)
    start = _start(spec, layers, tr.seed, weights, weights_path)
    return Plan(
        target=target,
        name=name,
        description=scenario.description,
        command=command or f"nnviz train {name}",
        layers=tuple(layers),
        loss=spec.loss,
        l2=float(spec.l2),
        l1=float(spec.l1),
        dtype=tr.dtype,
        task=dataset.task,
        optimizer=opt.kind,
        hyper=hyper,
        epochs=tr.epochs,
        batch_size=batch,
        shuffle=bool(tr.shuffle) and batch < n_train,
        seed=tr.seed,
        schedule=tr.schedule,
        schedule_step=tr.schedule_step,
        gamma=float(tr.gamma),
        data=data,
        n_train=n_train,
        start=start,
    )


def _check_keras(name: str, kind: str, hyper: dict, schedule: str) -> None:
    if hyper.get("weight_decay", 0.0) > 0:
        raise refuse(
            name, f"weight_decay = {hyper['weight_decay']:g} to Keras",
            "Keras's weight_decay is decoupled (AdamW-style, applied to the weights apart from "
            "the gradient); nnviz's is added to the gradient, as PyTorch's is (use --to pytorch)",
        )  # fmt: skip
    if kind in ("momentum", "nesterov") and schedule != "constant":
        raise refuse(
            name, f"optimizer '{kind}' with a '{schedule}' schedule to Keras",
            "Keras's SGD folds the learning rate into its velocity, so a changing rate weighs "
            "past gradients differently from nnviz (and PyTorch); use --to pytorch",
        )  # fmt: skip


def _data(name, data_spec, dataset, data_dir) -> EmbeddedData | MnistData:
    if data_spec.kind == "mnist":
        return _mnist(data_spec, dataset, data_dir)
    arrays = [dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test]
    count = sum(a.size for a in arrays if a is not None)
    if count > EMBED_MAX_DATA:
        raise refuse(
            name, f"{data_spec.kind} data of {count:,} numbers",
            f"a script embeds at most {EMBED_MAX_DATA:,} (MNIST gets a loader instead)",
        )  # fmt: skip
    return EmbeddedData(*arrays, source=dataset.source)


def _mnist(data_spec, dataset, data_dir) -> MnistData:
    from nnviz.data import locations, mnist

    source = data_spec.get("source", "auto")
    place = None if source == "sample" else locations.find_full(data_dir)
    n_test = 0 if dataset.x_test is None else dataset.x_test.shape[0]
    common = dict(
        limit_train=int(data_spec.get("limit_train", 0)),
        limit_test=int(data_spec.get("limit_test", 0)),
        n_train=dataset.x_train.shape[0],
        n_test=n_test,
        source=dataset.source,
    )
    if place is None:
        return MnistData(sample_path=mnist.SAMPLE_PATH.resolve(), files=None, **common)
    files = {role: Path(p).resolve() for role, p in place.files.items()}
    return MnistData(sample_path=None, files=files, **common)


def _start(spec, layers, seed, weights, weights_path) -> Start:
    """nnviz's starting values: the init for the seed, the scenario's hand-set weights over
    it, and loaded weights over both (as nnviz.session builds them)."""
    from nnviz.engine.nn import Layer, init_weights

    n_in = layers[0].fan_in
    specs = [Layer(d.units, d.activation) for d in layers]
    values = init_weights(n_in, specs, spec.init, spec.init_scale, seed)
    given = {n: np.asarray(a, np.float64).reshape(values[n].shape) for n, a in spec.weights}
    values.update(given)
    scale = f" ±{spec.init_scale:g}" if spec.init == "uniform" else ""
    origin = f"nnviz's init '{spec.init}'{scale} for seed {seed}"
    if given:
        origin += f", with {', '.join(given)} set by hand in the scenario"
    file = None
    if weights:
        values.update(
            {n: np.asarray(a, np.float64).reshape(values[n].shape) for n, a in weights.items()}
        )
        origin = f"loaded from {weights_path}" if weights_path else "loaded"
        file = Path(weights_path).resolve() if weights_path else None
    values = {n: (a.reshape(-1) if n.startswith("b") else a) for n, a in values.items()}
    small = sum(a.size for a in values.values()) <= EMBED_MAX_PARAMS
    if weights and file is None and not small:
        raise ValueError("loaded weights of a big network need their file: pass weights_path")
    return Start(
        literal=values if small else None,
        init=spec.init,
        init_scale=float(spec.init_scale),
        seed=seed,
        given={n: a.reshape(-1) if n.startswith("b") else a for n, a in given.items()},
        file=None if small else file,
        origin=origin,
    )
