"""A scenario record as the document its TOML file would hold, and that document as TOML text.

    doc = document(scenario)        # {"name": …, "data": {…}, "model": {…}, …}
    text = to_toml(doc)             # parse_scenario(text) gives the same record back
    write_toml(path, doc)           # atomically; never over an existing file unless asked

The document is what nnviz.scenario.build checks, so the explorer's playground edits it and
lets the loader judge every edit. Standard library and numpy only.
"""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path
from typing import Any

from nnviz.files import atomic_write
from nnviz.scenario import ScenarioError

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ORDER = ("name", "description", "data", "model", "optimizer", "training", "view")


def document(scenario) -> dict[str, Any]:
    """The TOML document of a scenario with a model (the keys a file would give)."""
    if scenario.model is None:
        raise ScenarioError(f"{scenario.name}: an expression graph has no network to edit")
    doc: dict[str, Any] = {"name": scenario.name}
    if scenario.description:
        doc["description"] = scenario.description
    data = scenario.data
    doc["data"] = {"kind": data.kind, **{k: _plain(v) for k, v in data.params}}
    doc["model"] = _model(scenario.model)
    doc["optimizer"] = {"kind": scenario.optimizer.kind, **dict(scenario.optimizer.params)}
    training = dataclasses.asdict(scenario.training)
    doc["training"] = training  # every value: a reader sees the whole run
    view = scenario.view
    doc["view"] = {}
    if view.x_range is not None:
        doc["view"]["x_range"] = list(view.x_range)
    if view.y_range is not None:
        doc["view"]["y_range"] = list(view.y_range)
    doc["view"]["truth_table"] = bool(view.truth_table)
    return doc


def _model(spec) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if spec.inputs is not None:
        out["inputs"] = spec.inputs
    if spec.image is not None:
        out["input_shape"] = list(spec.image)
    layers = []
    for layer in spec.layers:
        if layer.kind == "conv":
            layers.append({"conv": layer.units, "kernel": layer.kernel,
                           "stride": layer.stride or 1, "padding": layer.padding,
                           "activation": layer.activation})  # fmt: skip
            continue
        if layer.kind == "pool":
            layers.append({"pool": layer.pool, "size": layer.kernel,
                           "stride": layer.stride or layer.kernel})  # fmt: skip
            continue
        entry: dict[str, Any] = {"units": layer.units, "activation": layer.activation}
        if getattr(layer, "trainable", True) is False:
            entry["trainable"] = False
        layers.append(entry)
        if layer.dropout:
            layers.append({"dropout": layer.dropout})
    out["layers"] = layers
    out["loss"] = spec.loss
    out["init"] = spec.init
    out["init_scale"] = spec.init_scale
    out["l2"] = spec.l2
    if getattr(spec, "l1", 0.0):
        out["l1"] = spec.l1
    if spec.weights:
        out["weights"] = {name: arr.tolist() for name, arr in spec.weights}
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


# ====================================================================== TOML text
def to_toml(doc: dict[str, Any]) -> str:
    """TOML text of a scenario document: top-level keys, then one table per section, the
    layers one per line and weights as rows of numbers."""
    lines: list[str] = []
    for key in _ORDER:
        if key in doc and not isinstance(doc[key], dict):
            lines.append(f"{_key(key)} = {_value(doc[key])}")
    for key in _ORDER:
        table = doc.get(key)
        if not isinstance(table, dict):
            continue
        plain = {k: v for k, v in table.items() if not isinstance(v, dict)}
        nested = {k: v for k, v in table.items() if isinstance(v, dict)}
        lines += ["", f"[{key}]"]
        for name, value in plain.items():
            if name == "layers":
                lines.append("layers = [")
                lines += [f"    {_value(layer)}," for layer in value]
                lines.append("]")
            else:
                lines.append(f"{_key(name)} = {_value(value)}")
        for name, sub in nested.items():
            lines += ["", f"[{key}.{_key(name)}]"]
            for sub_key, value in sub.items():
                if isinstance(value, list) and value and isinstance(value[0], list):
                    lines.append(f"{_key(sub_key)} = [")
                    lines += [f"    {_value(row)}," for row in value]
                    lines.append("]")
                else:
                    lines.append(f"{_key(sub_key)} = {_value(value)}")
    return "\n".join(lines).lstrip("\n") + "\n"


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else _string(name)


def _string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c >= " " or c == "\t" else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ScenarioError(f"cannot write {value} in a scenario file")
        return repr(value)  # the shortest text that reads back as the same float64
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if hasattr(value, "item"):  # a numpy scalar
        return _value(value.item())
    raise ScenarioError(f"cannot write a {type(value).__name__} in a scenario file")


def write_toml(path: str | Path, doc: dict[str, Any], *, overwrite: bool = False) -> Path:
    """Write the document atomically; an existing file only with `overwrite`."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise ScenarioError(f"{path}: already exists (not overwritten)")
    if path.is_dir():
        raise ScenarioError(f"{path}: is a folder, not a file")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ScenarioError(f"{path}: folder {folder} does not exist")
    text = to_toml(doc)
    try:
        with atomic_write(path) as fh:
            fh.write(text.encode("utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return path
