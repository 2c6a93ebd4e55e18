"""The import graph of nnviz, read from the source: no cycle, no import that runs upward.

Every `import` statement of every module counts, at any depth (an import inside a function
runs too, only later), except those under `if TYPE_CHECKING:` (they never run). The layers,
lowest first; a module may import its own layer and the ones below:

    0  foundations                    nnviz.errors (the error hierarchy), limits (sizes), fields
                                      (the one checker of values),
                                      files (the atomic writer), npz (the .npy member reader),
                                      dirs (user folders), text
                                      (the terminal sanitiser), schema (the JSON lines format)
    1  nnviz.engine                   graph, ops, kernels, interpreter, optimizers, jit
    2  nnviz.data                     data sets
    3  nnviz.scenario                 scenario records, building, checks, expressions
    4  the headless core              nnviz/*.py (model, train, session, stepper, explain,
                                      explorer, regions, pca), nnviz/__init__.py and
                                      nnviz.export (scripts for PyTorch and Keras)
    5  front ends                     nnviz.cli and nnviz.tui (and nnviz/__main__.py)

The two front ends stay apart: nnviz.tui never imports nnviz.cli, and nnviz.cli imports
nnviz.tui only in nnviz/cli/run.py, inside the function that opens the explorer (so that
the other commands never load textual).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nnviz"

FOUNDATIONS = {"nnviz.errors", "nnviz.limits", "nnviz.files", "nnviz.npz", "nnviz.dirs",
               "nnviz.text", "nnviz.fields"}  # fmt: skip
SUBPACKAGE_LAYERS = {"schema": 0, "engine": 1, "data": 2, "scenario": 3, "export": 4, "cli": 5,
                     "tui": 5}  # fmt: skip
FRONT_ENDS = ("nnviz.cli", "nnviz.tui")
# (importer, imported package): the one allowed crossing between the front ends
FRONT_END_CROSSINGS = {("nnviz.cli.run", "nnviz.tui")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> int:
    parts = module.split(".")
    if module in FOUNDATIONS:
        return 0
    if len(parts) >= 2 and parts[1] in SUBPACKAGE_LAYERS:
        return SUBPACKAGE_LAYERS[parts[1]]
    if module == "nnviz.__main__":
        return 5
    return 4  # nnviz itself and the top-level modules


def _resolve(name: str) -> str | None:
    """The nnviz module `name` refers to: itself, or the package it lies in."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


class _Imports(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool):
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.found: list[tuple[str, int, bool]] = []  # (imported module, line, at top level)
        self.depth = 0

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        name = test.id if isinstance(test, ast.Name) else getattr(test, "attr", None)
        if name == "TYPE_CHECKING":  # never runs
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def _nested(self, node) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _nested

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(alias.name, node.lineno)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level:
            base = self.package.split(".")
            base = base[: len(base) - (node.level - 1)]
            mod = ".".join(base + ([node.module] if node.module else []))
        else:
            mod = node.module or ""
        for alias in node.names:
            # `from nnviz.engine import ops` imports the module nnviz.engine.ops
            sub = f"{mod}.{alias.name}"
            self._add(sub if sub in MODULES else mod, node.lineno)

    def _add(self, name: str, line: int) -> None:
        if name == "nnviz" or name.startswith("nnviz."):
            target = _resolve(name)
            if target is not None and target != self.module:
                self.found.append((target, line, self.depth == 0))


def _edges() -> dict[str, list[tuple[str, int, bool]]]:
    out = {}
    for module, path in MODULES.items():
        visitor = _Imports(module, path.name == "__init__.py")
        visitor.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        out[module] = visitor.found
    return out


EDGES = _edges()


def test_the_walk_sees_the_package():
    for module in ("nnviz.stepper", "nnviz.explain", "nnviz.engine.graph", "nnviz.cli.run"):
        assert module in MODULES
    targets = {t for t, _, _ in EDGES["nnviz.stepper"]}
    assert {"nnviz.engine.graph", "nnviz.model"} <= targets
    # lazy imports count: `nnviz run` opens the explorer from inside a function
    assert any(t.startswith("nnviz.tui") and not top for t, _, top in EDGES["nnviz.cli.run"])


def test_no_import_runs_upward():
    upward = [
        f"{m} (layer {layer(m)}) imports {t} (layer {layer(t)}) on line {line}"
        for m, found in EDGES.items()
        for t, line, _ in found
        if layer(t) > layer(m)
    ]
    assert upward == []


def test_the_front_ends_stay_apart():
    crossings = []
    for m, found in EDGES.items():
        for t, line, top in found:
            mine = next((f for f in FRONT_ENDS if m == f or m.startswith(f + ".")), None)
            theirs = next((f for f in FRONT_ENDS if t == f or t.startswith(f + ".")), None)
            if mine and theirs and mine != theirs:
                if (m, theirs) in FRONT_END_CROSSINGS and not top:
                    continue
                crossings.append(f"{m} imports {t} on line {line}")
    assert crossings == []


def test_no_import_cycle():
    graph = {m: sorted({t for t, _, _ in found}) for m, found in EDGES.items()}
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []
    cycles: list[list[str]] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for t in graph.get(m, ()):
            if state.get(t) == 1:
                cycles.append(path[path.index(t) :] + [t])
            elif t not in state:
                visit(t)
        path.pop()
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m)
    assert cycles == [], " | ".join(" → ".join(c) for c in cycles)


@pytest.mark.parametrize("module", ["nnviz.stepper", "nnviz.explain", "nnviz.explorer"])
def test_the_headless_core_imports_without_textual(module):
    import subprocess

    code = f"import sys, {module}; assert 'textual' not in sys.modules, sorted(sys.modules)"
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
