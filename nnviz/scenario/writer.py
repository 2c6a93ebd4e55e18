"""Writing a scenario back to TOML: a Scenario record (as loaded, or as edited) with its weights.

    from nnviz.scenario.writer import write_scenario
    write_scenario(scenario, "mine.toml", weights=session.model.params())

Small networks get their weights inline, as ``[model.weights]``; a network of more than
INLINE_MAX_NUMBERS weights and biases gets them in an .npz beside the file (``mine.npz``, named
by ``weights = "mine.npz"`` in [model]). Both files are written atomically (nnviz.files) and
neither replaces an existing file unless ``overwrite`` is given. Loading the file back
(load_scenario) gives the same scenario and, floats being written exactly, bit-identical
weights. Expression graphs ([graph]) are written by hand, not by this.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np

from nnviz.files import atomic_write
from nnviz.scenario.checks import ScenarioError, one_line
from nnviz.scenario.fields import MODEL_FIELDS, TRAINING_FIELDS
from nnviz.scenario.records import Scenario

INLINE_MAX_NUMBERS = 1_000  # weights and biases written into the file; more go to an .npz


def _value(v) -> str:
    """A TOML value: floats written so that they read back bit for bit."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | np.integer):
        return str(int(v))
    if isinstance(v, float | np.floating):
        f = float(v)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return repr(f)  # shortest text that reads back to the same double
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)  # a TOML basic string (its escapes agree)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    raise TypeError(f"no TOML for {type(v).__name__}")


def _layer(layer) -> str:
    if layer.kind == "conv":
        parts = {"conv": layer.units, "kernel": layer.kernel, "stride": layer.stride or 1,
                 "padding": layer.padding, "activation": layer.activation}  # fmt: skip
    elif layer.kind == "pool":
        parts = {"pool": layer.pool, "size": layer.kernel, "stride": layer.stride or layer.kernel}
    else:
        parts = {"units": layer.units, "activation": layer.activation}
    if layer.kind != "pool" and not layer.trainable:
        parts["trainable"] = False
    return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in parts.items()) + " }"


def _weights_lines(weights: dict[str, np.ndarray], shapes: dict) -> list[str]:
    lines = ["", "[model.weights]"]
    for name, array in weights.items():
        values = np.asarray(array, np.float64).reshape(shapes[name])
        lines.append(f"{name} = {_value(values.tolist())}")
    return lines


def scenario_text(
    scenario: Scenario, weights: dict[str, np.ndarray] | None = None, npz: str | None = None
) -> str:
    """The TOML of a scenario with a [model]: ``weights`` (name → array; by default the
    scenario's own explicit ones) inline, or named as the .npz ``npz`` when given."""
    if scenario.model is None or scenario.data is None:
        raise ScenarioError(f"{scenario.name}: an expression graph ([graph]) is written by hand")
    model, data, tr = scenario.model, scenario.data, scenario.training
    out = [f"name = {_value(scenario.name)}"]
    if scenario.description:
        out.append(f"description = {_value(scenario.description)}")
    out += ["", "[data]", f"kind = {_value(data.kind)}"]
    for name, value in data.params:
        if data.kind == "csv" and name == "path" and data.base_dir is not None:
            value = str((Path(data.base_dir) / Path(value).expanduser()).resolve())
        out.append(f"{name} = {_value(value)}")
    if data.features:
        out.append(f"features = {_value(list(data.features))}")

    out += ["", "[model]"]
    if model.inputs is not None and not data.features:
        out.append(f"inputs = {model.inputs}")
    if model.image is not None:
        out.append(f"input_shape = {_value(list(model.image))}")
    entries = []
    for layer in model.layers:
        entries.append(_layer(layer))
        if layer.dropout:
            entries.append("{ dropout = " + _value(layer.dropout) + " }")
    out += ["layers = ["] + [f"    {e}," for e in entries] + ["]"]
    out.append(f"loss = {_value(model.loss)}")
    for name in ("init", "init_scale", "l2", "l1"):
        value = getattr(model, name)
        if value != MODEL_FIELDS[name].default:
            out.append(f"{name} = {_value(value)}")
    given = dict(model.weights) if weights is None else dict(weights)
    if npz is not None:
        out.append(f"weights = {_value(npz)}")

    out += ["", "[optimizer]", f"kind = {_value(scenario.optimizer.kind)}"]
    out += [f"{name} = {_value(value)}" for name, value in scenario.optimizer.params]
    out += ["", "[training]"]
    for name in TRAINING_FIELDS:
        out.append(f"{name} = {_value(getattr(tr, name))}")
    view = scenario.view
    lines = [f"{k} = {_value(list(getattr(view, k)))}" for k in ("x_range", "y_range")
             if getattr(view, k) is not None]  # fmt: skip
    if view.truth_table:
        lines.append("truth_table = true")
    if lines:
        out += ["", "[view]", *lines]
    if given and npz is None:
        shapes = dict(model.weight_shapes())
        # the weights table comes last: TOML puts every key after [model.weights] into it
        out[out.index("[optimizer]") - 1 : out.index("[optimizer]") - 1] = _weights_lines(
            {n: given[n] for n in shapes if n in given}, shapes
        )
    return "\n".join(out) + "\n"


def write_scenario(
    scenario: Scenario,
    path: str | os.PathLike,
    weights: dict[str, np.ndarray] | None = None,
    *,
    overwrite: bool = False,
) -> Path:
    """Write ``scenario`` (with ``weights``, name → array, or its own explicit ones) to
    ``path`` atomically; the weights of a big network go to an .npz beside it. A
    ScenarioError (one line) when a file is there already and ``overwrite`` is not given, or
    it cannot be written. Returns the path written."""
    path = Path(path)
    if path.suffix != ".toml":
        raise ScenarioError(f"{path}: a scenario file's name ends in .toml")
    if scenario.model is None:
        raise ScenarioError(f"{path}: an expression graph ([graph]) is written by hand")
    if weights is None and scenario.model.weights_file is not None:
        raise ScenarioError(
            f"{path}: give the weights to write (this scenario's are in "
            f"{scenario.model.weights_file.name}, read when a session is built)"
        )
    given = dict(scenario.model.weights) if weights is None else dict(weights)
    numbers = sum(int(np.asarray(a).size) for a in given.values())
    npz = path.with_suffix(".npz") if numbers > INLINE_MAX_NUMBERS else None
    for target in (path, npz):
        if target is not None and target.exists() and not overwrite:
            raise ScenarioError(f"{target}: already exists (nothing written; overwrite it "
                                "only when asked)")  # fmt: skip
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ScenarioError(f"{path}: folder {folder} does not exist")
    text = scenario_text(scenario, given, npz.name if npz is not None else None)
    try:
        if npz is not None:
            shapes = dict(scenario.model.weight_shapes())
            arrays = {n: np.asarray(given[n], np.float64).reshape(shapes[n]) for n in shapes
                      if n in given}  # fmt: skip
            with atomic_write(npz) as fh:
                np.savez(fh, **arrays)
        with atomic_write(path) as fh:
            fh.write(text.encode("utf-8"))
    except OSError as exc:
        raise ScenarioError(one_line(f"{path}: cannot write ({exc.strerror or exc})")) from None
    return path
