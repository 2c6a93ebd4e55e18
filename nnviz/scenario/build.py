"""A parsed TOML document -> a validated Scenario (and the same checks for overrides)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import numpy as np

from nnviz.engine.images import PADDINGS, POOLS
from nnviz.engine.spec import (
    ACTIVATIONS,
    OPTIMIZER_DEFAULTS,
    Layer,
    LayerShapeError,
    param_count,
    plan_layers,
)
from nnviz.limits import MAX_PARAMS, MAX_UNITS
from nnviz.scenario.checks import Checker, Table, describe, is_number
from nnviz.scenario.expr import parse_graph
from nnviz.scenario.fields import (
    ACTIVATION_ALIASES,
    DROPOUT_FIELD,
    LAYER_FIELDS,
    MODEL_FIELDS,
    OPTIMIZER_KIND,
    TRAINING_FIELDS,
    check_features,
    data_fields,
    optimizer_fields,
)
from nnviz.scenario.records import (
    DataSpec,
    ModelSpec,
    OptimizerSpec,
    Scenario,
    TrainingSpec,
    ViewSpec,
)
from nnviz.text import printable

TOP_KEYS = ("name", "description", "data", "model", "graph", "optimizer", "training", "view")
MODEL_KEYS = ("inputs", "input_shape", "layers", "loss", "init", "init_scale", "l2", "l1",
              "weights")  # fmt: skip
LAYER_KEYS = tuple(LAYER_FIELDS)
CONV_KEYS = ("conv", "kernel", "stride", "padding", "activation", "trainable")
POOL_KEYS = ("pool", "size", "stride")
# (C, H, W) of the data kinds whose rows are images.
IMAGE_KINDS = {"mnist": (1, 28, 28)}
VIEW_KEYS = ("x_range", "y_range", "truth_table")
_SHAPE = re.compile(r"([Wb])([1-9][0-9]*)")


def build(doc: dict[str, Any], path: Path, file: str) -> Scenario:
    """The Scenario a parsed file describes; ScenarioError at the first problem."""
    chk = Checker(file)
    top = Table(chk, "", doc, TOP_KEYS)
    name = top.string("name", path.stem)
    if not name.strip() or "\n" in name:
        chk.fail("name", f"expected a one-line, non-empty name, got {describe(name)}")
    description = top.string("description", "")
    if "\n" in description.strip():
        chk.fail("description", "must be one line")
    for key, text in (("name", name), ("description", description.strip())):
        if printable(text) != text:  # escape codes would retitle or clear the terminal
            chk.fail(key, f"holds control characters: {printable(text)}")

    has_model, has_graph = top.has("model"), top.has("graph")
    if has_model and has_graph:
        chk.fail("graph", "a scenario has a [model] or a [graph], not both")
    if not has_model and not has_graph:
        chk.fail("model", "missing: a scenario needs a [model] table (or a [graph])")
    if has_graph and top.has("data"):
        chk.fail("data", "not allowed with [graph]: a graph's inputs are in graph.inputs")
    if has_model and not top.has("data"):
        chk.fail("data", "missing required table: a [model] is trained on [data]")

    data = parse_data(chk, doc["data"], path.parent) if has_model else None
    graph = parse_graph(chk, doc["graph"]) if has_graph else None
    model = parse_model(chk, doc["model"], data) if has_model else None
    optimizer = parse_optimizer(chk, top.raw("optimizer", {}))
    training = parse_training(chk, top.raw("training", {}))
    view = parse_view(chk, top.raw("view", {}))
    if model is not None:
        check_model_optimizer(chk, model, optimizer)
        check_weights_fit(chk, model, training.dtype)
    return Scenario(
        name=name,
        description=description.strip(),
        path=path,
        data=data,
        model=model,
        graph=graph,
        optimizer=optimizer,
        training=training,
        view=view,
        overrider=apply_overrides,
    )


def _freeze(value: Any) -> Any:
    return tuple(_freeze(v) for v in value) if isinstance(value, list) else value


def _table_inputs(x: Any) -> int | None:
    """The input width of a table kind's x: rows of numbers, or numbers (one input)."""
    if isinstance(x, list | tuple) and x:
        first = x[0]
        return len(first) if isinstance(first, list | tuple) else 1
    return None


def parse_data(chk: Checker, value: Any, base_dir: Path) -> DataSpec:
    from nnviz import data

    kinds = tuple(data.DATA_KINDS)
    every = dict.fromkeys(p for params in data.DATA_KINDS.values() for p in params)
    chk.table("data", value, ("kind", *every, "features"))
    if "kind" not in value:
        chk.fail("data.kind", "missing required key", allowed=kinds)
    kind = chk.choice("data.kind", value["kind"], kinds)
    fields = data_fields(kind)
    tbl = chk.table("data", value, ("kind", *fields, "features"))
    params: list[tuple[str, object]] = []
    for name, spec in fields.items():
        key = tbl.key(name)
        if name not in value:
            if spec.required:
                chk.fail(key, "missing required key")
            continue
        raw = value[name]
        if kind == "gate" and name == "gate":
            params.append((name, _check_gates(chk, key, raw, spec)))
            continue
        chk.field(key, raw, spec)
        params.append((name, _freeze(raw)))
    if kind == "csv":
        shown = dict(params)["path"]
        if not shown.strip() or not (base_dir / Path(shown).expanduser()).is_file():
            chk.fail("data.path", f"no such file {shown!r} (relative to the scenario's folder)")
    features = ()
    if "features" in value:
        columns = data.INPUT_SIZES.get(kind)
        if kind == "table":
            columns = _table_inputs(dict(params).get("x"))
        features = check_features(chk, value["features"], kind, columns)
    return DataSpec(kind=kind, params=tuple(params), base_dir=base_dir, source=chk.file,
                    features=features)  # fmt: skip


def _check_gates(chk: Checker, key: str, raw: Any, spec) -> str | tuple[str, ...]:
    """A gate name, or a non-empty list of them, each one of the data kind's gates."""
    names = [raw] if isinstance(raw, str) else chk.array(key, raw)
    if not names:
        chk.fail(key, "expected a gate name or a non-empty list of them")
    for i, gate in enumerate(names):
        chk.field(key if isinstance(raw, str) else f"{key}[{i}]", gate, spec)
    return raw if isinstance(raw, str) else tuple(names)


def parse_model(chk: Checker, value: Any, data: DataSpec) -> ModelSpec:
    from nnviz.data import INPUT_SIZES

    tbl = chk.table("model", value, MODEL_KEYS)
    inputs = tbl.field("inputs", MODEL_FIELDS["inputs"])
    layer_list = chk.array("model.layers", tbl.raw("layers"))
    if not layer_list:
        chk.fail("model.layers", "a model needs at least one layer")
    layers = []
    positions = []  # each layer's index in the file's list (dropout entries fold in)
    for i, raw in enumerate(layer_list):
        if isinstance(raw, dict) and "dropout" in raw:
            layers[-1:] = [_with_dropout(chk, f"model.layers[{i}]", raw, layers, len(layer_list))]
            continue
        layers.append(parse_layer(chk, i, raw))
        positions.append(i)
    loss = tbl.field("loss", MODEL_FIELDS["loss"])
    init = tbl.field("init", MODEL_FIELDS["init"])
    init_scale = tbl.field("init_scale", MODEL_FIELDS["init_scale"])
    l2 = tbl.field("l2", MODEL_FIELDS["l2"])
    l1 = tbl.field("l1", MODEL_FIELDS["l1"])

    data_inputs = INPUT_SIZES.get(data.kind)
    if data.kind == "table":
        data_inputs = _table_inputs(data.get("x"))
    if inputs is not None and data_inputs is not None and inputs != data_inputs:
        chk.fail("model.inputs", f"{inputs} does not match the data's {data_inputs} inputs")
    inputs = inputs if inputs is not None else data_inputs
    if data.features:  # the network reads the engineered columns
        inputs = len(data.features)
        if any(layer.kind != "dense" for layer in layers):
            chk.fail("data.features", "engineered features are for dense networks")

    image = parse_image(chk, tbl, layers, data, inputs, positions)
    if image is not None:
        inputs = inputs if inputs is not None else image[0] * image[1] * image[2]
    check_loss(chk, layers, loss, positions)
    if inputs is not None and image is not None:
        try:
            plan_layers(inputs, layers, image)
        except LayerShapeError as exc:
            chk.fail(f"model.layers[{positions[exc.index]}]", str(exc))
    _check_param_count(chk, inputs, layers, image)
    weights, weights_file = (), None
    if tbl.has("weights") and isinstance(tbl.raw("weights"), str):
        weights_file = _weights_file(chk, tbl.raw("weights"), data.base_dir)
    elif tbl.has("weights"):
        weights, inputs = parse_weights(chk, tbl.raw("weights"), layers, inputs, image)
    return ModelSpec(inputs, tuple(layers), loss, init, init_scale, l2, weights, image, l1,
                     weights_file)  # fmt: skip


def _weights_file(chk: Checker, shown: str, base_dir: Path | None) -> Path:
    """model.weights = "x.npz": an .npz beside the scenario (relative to its folder)."""
    path = (base_dir or Path(".")) / Path(shown).expanduser()
    if not shown.endswith(".npz"):
        chk.fail("model.weights", f"{shown!r}: expected a table of weights or an .npz file name")
    if not path.is_file():
        chk.fail("model.weights", f"no such file {shown!r} (relative to the scenario's folder)")
    return path


def parse_layer(chk: Checker, i: int, raw: Any) -> Layer:
    """A dense layer { units, activation }, a conv layer { conv = filters, kernel, stride,
    padding, activation } or a pooling layer { pool = "max" | "avg", size, stride }."""
    key = f"model.layers[{i}]"
    if isinstance(raw, dict) and "conv" in raw:
        layer = chk.table(key, raw, CONV_KEYS)
        filters = layer.integer("conv", lo=1, hi=MAX_UNITS)
        kernel = layer.integer("kernel", lo=1)
        stride = layer.integer("stride", 1, lo=1)
        padding = layer.choice("padding", PADDINGS, "valid")
        activation = layer.choice("activation", ACTIVATIONS)
        if activation in ("softmax", "step"):
            chk.fail(f"{key}.activation", f"{activation} is not for conv layers")
        trainable = layer.field("trainable", LAYER_FIELDS["trainable"])
        return Layer(filters, activation, kind="conv", kernel=kernel, stride=stride,
                     padding=padding, trainable=trainable)  # fmt: skip
    if isinstance(raw, dict) and "pool" in raw:
        layer = chk.table(key, raw, POOL_KEYS)
        pool = layer.choice("pool", POOLS)
        size = layer.integer("size", lo=1)
        stride = layer.integer("stride", size, lo=1)
        return Layer(0, "identity", kind="pool", kernel=size, stride=stride, pool=pool)
    layer = chk.table(key, raw, LAYER_KEYS)
    units = layer.field("units", LAYER_FIELDS["units"])
    activation = layer.field("activation", LAYER_FIELDS["activation"])
    trainable = layer.field("trainable", LAYER_FIELDS["trainable"])
    return Layer(units, ACTIVATION_ALIASES.get(activation, activation), trainable=trainable)


def parse_image(
    chk: Checker,
    tbl: Table,
    layers: list[Layer],
    data: DataSpec,
    inputs: int | None,
    positions: list[int],
) -> tuple[int, int, int] | None:
    """The inputs' (C, H, W) for a network with conv or pooling layers: model.input_shape,
    else the data kind's (MNIST: 1 × 28 × 28). None for dense-only networks."""
    first = next((i for i, layer in enumerate(layers) if layer.kind != "dense"), None)
    image = None
    if tbl.has("input_shape"):
        key = tbl.key("input_shape")
        raw = chk.array(key, tbl.raw("input_shape"))
        if len(raw) != 3:
            chk.fail(key, f"expected [channels, height, width], got {len(raw)} numbers")
        image = tuple(chk.integer(f"{key}[{j}]", d, lo=1) for j, d in enumerate(raw))
        if inputs is not None and image[0] * image[1] * image[2] != inputs:
            chk.fail(key, f"{image[0]}×{image[1]}×{image[2]} images do not hold {inputs} inputs")
    elif first is not None:
        image = IMAGE_KINDS.get(data.kind)
        if image is None:
            chk.fail(
                f"model.layers[{positions[first]}]",
                f"a {layers[first].kind} layer needs images: give model.input_shape = "
                "[channels, height, width]",
            )
    if first is None:
        return None
    for i, layer in enumerate(layers):
        if layer.kind != "dense" and any(lay.kind == "dense" for lay in layers[:i]):
            chk.fail(
                f"model.layers[{positions[i]}]", f"a {layer.kind} layer cannot follow a dense layer"
            )
    return image


def _check_param_count(chk: Checker, inputs: int | None, layers: list[Layer], image=None) -> None:
    count = param_count(inputs or 1, layers, image)
    if count > MAX_PARAMS:
        chk.fail("model.layers", f"{count:,} weights and biases, more than nnviz's limit of "
                                 f"{MAX_PARAMS:,}")  # fmt: skip


def _with_dropout(chk: Checker, key: str, raw: dict, layers: list[Layer], count: int) -> Layer:
    """`{ dropout = rate }` after a dense hidden layer: that layer with its dropout rate."""
    tbl = chk.table(key, raw, ("dropout",))
    rate = tbl.field("dropout", DROPOUT_FIELD)
    index = int(key.rsplit("[", 1)[1][:-1])
    if not layers or layers[-1].dropout or layers[-1].kind != "dense":
        chk.fail(tbl.key("dropout"), "a dropout layer must follow a dense layer")
    if index == count - 1:
        chk.fail(tbl.key("dropout"), "dropout is for hidden layers, not after the output layer")
    return dataclasses.replace(layers[-1], dropout=rate)


def check_loss(
    chk: Checker, layers: list[Layer], loss: str, positions: list[int] | None = None
) -> None:
    at = positions or list(range(len(layers)))
    last = at[-1]
    if layers[-1].kind != "dense":
        chk.fail(
            f"model.layers[{last}]", "the output layer must be a dense layer { units, activation }"
        )
    for i, layer in enumerate(layers[:-1]):
        if layer.activation == "softmax":
            chk.fail(f"model.layers[{at[i]}].activation", "softmax is only for the output layer")
    out = layers[-1]
    if out.activation == "softmax" and out.units < 2:
        chk.fail(f"model.layers[{last}].units", "a softmax layer needs at least 2 units, got 1")
    unit_s = "unit" if out.units == 1 else "units"
    has = f"the output layer is {out.activation} with {out.units} {unit_s}"
    if loss == "cross_entropy" and out.activation != "softmax":
        need = "a softmax output layer of 2 or more units"
        chk.fail("model.loss", f"cross_entropy needs {need}; {has}")
    if loss == "bce" and (out.activation != "sigmoid" or out.units != 1):
        chk.fail("model.loss", f"bce needs a sigmoid output layer of 1 unit; {has}")
    if loss == "bce_logits" and (out.activation not in ("identity", "sigmoid") or out.units != 1):
        need = "an identity (or sigmoid) output layer of 1 unit"
        chk.fail("model.loss", f"bce_logits needs {need}; {has}")


def parse_weights(
    chk: Checker, value: Any, layers: list[Layer], inputs: int | None, image=None
) -> tuple[tuple[tuple[str, np.ndarray], ...], int | None]:
    names = [
        f"{p}{k}" for k in range(1, len(layers) + 1) for p in ("W", "b")
        if layers[k - 1].kind != "pool"
    ]  # fmt: skip
    tbl = chk.table("model.weights", value, names)
    if inputs is None and "W1" in value:  # the data does not tell: W1 does
        inputs = _matrix(chk, "model.weights.W1", value["W1"]).shape[0]
    if inputs is None:
        chk.fail("model.inputs", "missing: the number of inputs is needed to check the weights")
    shapes = dict(ModelSpec(inputs, tuple(layers), "", "", 0.0, 0.0, (), image).weight_shapes())
    out = []
    for name in names:
        if name not in value:
            continue
        key = tbl.key(name)
        raw = value[name]
        array = _matrix(chk, key, raw) if name[0] == "W" else _vector(chk, key, raw)
        want = shapes[name]
        if array.shape != want:
            got, need = _shape_text(array.shape), _shape_text(want)
            conv = layers[int(_SHAPE.fullmatch(name).group(2)) - 1].kind == "conv"
            what = (
                "(units,)" if name[0] == "b" else "(filters, C·k·k)" if conv else "(fan_in, units)"
            )
            chk.fail(key, f"shape {got} does not match the network's {need} {what}")
        array.flags.writeable = False
        out.append((name, array))
    return tuple(out), inputs


def _shape_text(shape: tuple[int, ...]) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else "(" + ", ".join(map(str, shape)) + ")"


def _numbers(chk: Checker, key: str, row: Any) -> list[float]:
    row = chk.array(key, row)
    for j, cell in enumerate(row):
        if not is_number(cell):
            chk.fail(f"{key}[{j}]", f"expected a number, got {describe(cell)}")
        chk.number(f"{key}[{j}]", cell)
    return [float(c) for c in row]


def _vector(chk: Checker, key: str, raw: Any) -> np.ndarray:
    if isinstance(raw, list) and any(isinstance(r, list) for r in raw):
        chk.fail(key, "expected an array of numbers (one per unit)")
    return np.array(_numbers(chk, key, raw), dtype=np.float64)


def _matrix(chk: Checker, key: str, raw: Any) -> np.ndarray:
    rows = chk.array(key, raw)
    if not rows or not all(isinstance(r, list) for r in rows):
        chk.fail(key, "expected an array of rows (fan_in rows of units numbers)")
    values = [_numbers(chk, f"{key}[{i}]", r) for i, r in enumerate(rows)]
    if len({len(r) for r in values}) != 1:
        chk.fail(key, "rows have different lengths")
    return np.array(values, dtype=np.float64)


def parse_optimizer(chk: Checker, value: Any) -> OptimizerSpec:
    every = dict.fromkeys(p for params in OPTIMIZER_DEFAULTS.values() for p in params)
    chk.table("optimizer", value, ("kind", *every))
    kind = chk.field("optimizer.kind", value.get("kind", OPTIMIZER_KIND.default), OPTIMIZER_KIND)
    fields = optimizer_fields(kind)
    tbl = Table(chk, "optimizer", value, ("kind", *fields))
    return OptimizerSpec(kind, tuple(tbl.fields(fields).items()))


def parse_training(chk: Checker, value: Any) -> TrainingSpec:
    tbl = chk.table("training", value, tuple(TRAINING_FIELDS))
    return TrainingSpec(**tbl.fields(TRAINING_FIELDS))


def parse_view(chk: Checker, value: Any) -> ViewSpec:
    tbl = chk.table("view", value, VIEW_KEYS)
    ranges = []
    for name in ("x_range", "y_range"):
        raw = tbl.raw(name, None)
        if raw is None:
            ranges.append(None)
            continue
        key = tbl.key(name)
        if not isinstance(raw, list) or len(raw) != 2:
            chk.fail(key, f"expected [low, high], got {describe(raw)}")
        low, high = chk.number(f"{key}[0]", raw[0]), chk.number(f"{key}[1]", raw[1])
        if not low < high:
            chk.fail(key, f"low must be below high, got [{low!r}, {high!r}]")
        ranges.append((low, high))
    return ViewSpec(ranges[0], ranges[1], tbl.boolean("truth_table", False))


def check_model_optimizer(chk: Checker, model: ModelSpec, optimizer: OptimizerSpec) -> None:
    """The step activation has no gradient: it trains only by the perceptron rule."""
    steps = [i for i, layer in enumerate(model.layers) if layer.activation == "step"]
    if steps and optimizer.kind != "perceptron":
        chk.fail(
            f"model.layers[{steps[0]}].activation",
            f"step has no gradient: it needs optimizer 'perceptron', not {optimizer.kind!r}",
        )
    if optimizer.kind == "perceptron" and (
        len(model.layers) != 1 or model.layers[0].activation != "step"
    ):
        chk.fail(
            "optimizer.kind",
            "perceptron trains a single layer of step units; "
            f"this model has {len(model.layers)} layer(s), the first {model.layers[0].activation}",
        )


def check_weights_fit(chk: Checker, model: ModelSpec, dtype: str) -> None:
    """Explicit weights must fit the training dtype (1e300 is a float64, not a float32)."""
    limit = float(np.finfo(np.dtype(dtype)).max)
    for name, array in model.weights:
        biggest = float(np.max(np.abs(array))) if array.size else 0.0
        if biggest > limit:
            chk.fail(f"model.weights.{name}", f"value {biggest:.3g} is beyond the range of "
                                              f"{dtype} (±{limit:.3g})")  # fmt: skip


def apply_overrides(scenario: Scenario, **overrides: Any) -> Scenario:
    """``scenario`` with training settings replaced, validated as in a file."""
    chk = Checker(scenario.path.name)
    opt = scenario.optimizer
    kind, lr = overrides.get("optimizer"), overrides.get("lr")
    if kind is not None and kind != opt.kind:
        table: dict[str, Any] = {"kind": kind}
    else:
        table = {"kind": opt.kind, **dict(opt.params)}
    if lr is not None:
        table["lr"] = lr
    optimizer = parse_optimizer(chk, table)

    training = dataclasses.asdict(scenario.training)
    for name in ("epochs", "batch_size", "seed", "dtype", "validation"):
        if overrides.get(name) is not None:
            training[name] = overrides[name]
    new_training = parse_training(chk, training)
    if scenario.model is not None:
        check_model_optimizer(chk, scenario.model, optimizer)
        check_weights_fit(chk, scenario.model, new_training.dtype)
    return dataclasses.replace(scenario, optimizer=optimizer, training=new_training)
