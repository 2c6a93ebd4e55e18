"""Scenario files: TOML -> validated, frozen records the engine, CLI and explorer share.

    from nnviz.scenario import load_scenario
    sc = load_scenario("xor")            # a shipped scenario, or a path to a .toml file
    sc.model.layers, sc.optimizer.get("lr"), sc.data.load()

Every problem is a ScenarioError with a one-line message
``<file name>: <key path>: <what is wrong>[; allowed: ...]``.

Light on purpose (``nnviz list`` imports it): the standard library, numpy, the vocabulary of
nnviz.engine.spec and, when a file is validated, nnviz.data.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from nnviz.engine.spec import Layer
from nnviz.limits import MAX_SCENARIO_BYTES, file_size
from nnviz.scenario.checks import ScenarioError, did_you_mean, one_line
from nnviz.scenario.records import (
    DataSpec,
    GraphNodeSpec,
    GraphSpec,
    ModelSpec,
    OptimizerSpec,
    Scenario,
    TrainingSpec,
    ViewSpec,
)

__all__ = [
    "DataSpec",
    "GraphNodeSpec",
    "GraphSpec",
    "Layer",
    "ModelSpec",
    "OptimizerSpec",
    "Scenario",
    "ScenarioError",
    "TrainingSpec",
    "ViewSpec",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "scenario_dir",
    "scenario_names",
]

_AT = re.compile(r"^(.*?)\s*\(at line (\d+), column (\d+)\)$", re.DOTALL)
_AT_END = re.compile(r"^(.*?)\s*\(at end of document\)$", re.DOTALL)
_SHIPPED_MARK = "xor.toml"  # a file every copy of the shipped folder has


def scenario_dir() -> Path:
    """The folder of the shipped scenarios.

    An installed nnviz (a wheel, ``pip install --target``) carries them inside the package, in
    ``nnviz/scenarios/``; a source checkout, and an editable install of one, has them in
    ``scenarios/`` at the top of the repository, beside the package.
    """
    package = Path(__file__).resolve().parent.parent  # nnviz/scenario/ -> nnviz/
    inside = package / "scenarios"
    checkout = package.parent / "scenarios"
    if (inside / _SHIPPED_MARK).is_file():
        return inside
    if (package.parent / "pyproject.toml").is_file() and (checkout / _SHIPPED_MARK).is_file():
        return checkout
    return inside


def scenario_names() -> list[str]:
    """The shipped scenario names, sorted (for shell completion)."""
    folder = scenario_dir()
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def list_scenarios() -> list[tuple[str, str]]:
    """(name, description) of every shipped scenario, sorted by name; no validation."""
    out = []
    for name in scenario_names():
        path = scenario_dir() / f"{name}.toml"
        try:
            doc = _toml(_read(path, path.name), path.name)
            description = doc.get("description", "")
            description = one_line(description) if isinstance(description, str) else ""
        except ScenarioError as exc:
            description = f"(cannot be read: {one_line(str(exc))})"
        out.append((name, description))
    return out


def _syntax_error(file: str, text: str, exc: tomllib.TOMLDecodeError) -> ScenarioError:
    message = str(exc)
    at = _AT.match(message)
    if at:
        what, line, column = at.group(1), at.group(2), at.group(3)
    else:
        end = _AT_END.match(message)
        what = end.group(1) if end else message
        lines = text.split("\n")
        line, column = str(len(lines)), str(len(lines[-1]) + 1)
    return ScenarioError(one_line(f"{file}: line {line}, column {column}: {what}"))


def parse_scenario(text: str, path: str | Path = "<scenario>.toml") -> Scenario:
    """A Scenario from TOML text; ``path`` names it in errors and anchors relative paths."""
    from nnviz.scenario.build import build

    path = Path(path)
    return build(_toml(text, path.name), path, path.name)


def _toml(text: str, file: str) -> dict:
    """The parsed document; a syntax error, or nesting too deep to parse, is a ScenarioError."""
    text = text.removeprefix("\ufeff")  # a byte-order mark, as Notepad writes one
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(file, text, exc) from None
    except RecursionError:
        raise ScenarioError(f"{file}: arrays or tables nested too deep to read") from None


def _read(path: Path, shown: str) -> str:
    if not path.exists():
        raise ScenarioError(f"{shown}: no such scenario file")
    if not path.is_file():
        raise ScenarioError(f"{shown}: not a file")
    file_size(path, MAX_SCENARIO_BYTES, "the scenario file", ScenarioError)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path.name}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ScenarioError(one_line(f"{path.name}: cannot read ({exc.strerror or exc})")) from None


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name, or the scenario in a .toml file."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith(".toml") or "/" in text or "\\" in text:
        path = Path(text).expanduser()
        return parse_scenario(_read(path, text), path.resolve())
    names = scenario_names()
    if text not in names:
        hint = did_you_mean(text, names)
        raise ScenarioError(f"unknown scenario {text!r}{hint} (see nnviz list)")
    path = scenario_dir() / f"{text}.toml"
    scenario = parse_scenario(_read(path, path.name), path)
    if scenario.name != text:
        raise ScenarioError(
            f"{path.name}: name: {scenario.name!r} must equal the file name {text!r} "
            "for a shipped scenario"
        )
    return scenario
