"""The import boundaries of the layout (README, "Architecture"), checked in fresh processes by
inspecting sys.modules, and by reading the source for direct numba imports. (The import graph
itself, cycles and upward imports, is checked in tests/test_import_graph.py.)

- the headless core (nnviz.engine, nnviz.data, nnviz.scenario and the top-level modules:
  model, train, session, stepper, explain, explorer, regions, pca) never imports textual or
  rich;
- nnviz.tui never imports numba directly (it talks to the engine and the trainer);
- `nnviz --help` and `nnviz list` import neither numba nor textual;
- nnviz/engine/jit.py is the one module that imports numba.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "nnviz"
MARK = "@@modules@@ "

# Runs in a fresh interpreter: import (or run) something, then report the top-level packages
# of interest that ended up in sys.modules.
PROBE = """
import json, sys
watched = {watched!r}
code = 0
try:
{body}
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
loaded = sorted({{m.split(".")[0] for m in sys.modules}} & set(watched))
sys.stdout.flush()
print({mark!r} + json.dumps({{"code": code, "loaded": loaded}}))
"""


def _probe(body: str, watched: tuple[str, ...]) -> dict:
    script = PROBE.format(
        watched=watched, body="\n".join("    " + line for line in body.splitlines()), mark=MARK
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    marks = [line for line in proc.stdout.splitlines() if line.startswith(MARK)]
    if proc.returncode != 0 or not marks:  # the import itself failed: say how
        return {"code": None, "loaded": None, "stdout": proc.stdout, "stderr": proc.stderr}
    return {**json.loads(marks[-1][len(MARK) :]), "stdout": proc.stdout, "stderr": proc.stderr}


def _modules(folder: str) -> list[str]:
    """nnviz.<folder> and its submodules, found on disk."""
    root = PACKAGE / folder
    return [f"nnviz.{folder}"] + [
        f"nnviz.{folder}.{p.stem}" for p in sorted(root.glob("*.py")) if p.stem != "__init__"
    ]


HEADLESS = [
    *_modules("engine"),
    *_modules("data"),
    *_modules("scenario"),
    *_modules("export"),
    "nnviz",
    *(f"nnviz.{p.stem}" for p in sorted(PACKAGE.glob("*.py")) if not p.stem.startswith("__")),
]


@pytest.fixture(scope="module")
def headless_imports() -> dict[str, dict]:
    """Every headless module imported in its own fresh process, a few processes at a time."""
    present = HEADLESS
    with ThreadPoolExecutor(max_workers=max(os.cpu_count() or 1, 2)) as pool:
        results = pool.map(lambda m: _probe(f"import {m}", ("textual", "rich", "numba")), present)
        return dict(zip(present, results, strict=True))


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_modules_never_import_textual_or_rich(headless_imports, module):
    ran = headless_imports[module]
    assert ran["code"] == 0, f"import {module} failed:\n{ran['stderr']}"
    loaded = ran["loaded"]
    assert "textual" not in loaded and "rich" not in loaded, f"importing {module} imports {loaded}"


def test_the_headless_list_covers_the_design(headless_imports):
    for module in ("nnviz.engine.graph", "nnviz.train", "nnviz.model", "nnviz.data",
                   "nnviz.stepper", "nnviz.explain", "nnviz.explorer"):  # fmt: skip
        assert module in headless_imports
    assert "nnviz.scenario" in headless_imports
    # the engine proper does load numba (through jit.py): the probe sees real imports
    assert "numba" in headless_imports["nnviz.engine.graph"]["loaded"]


# ---------------------------------------------------------------- numba only in jit.py
def _numba_import_lines(path: Path) -> list[int]:
    """Line numbers of `import numba...` / `from numba... import` statements, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(name == "numba" or name.startswith("numba.") for name in names):
            lines.append(node.lineno)
    return lines


def test_only_jit_imports_numba():
    found = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := _numba_import_lines(path))
    }
    assert set(found) == {"nnviz/engine/jit.py"}, found


def test_no_tui_module_imports_numba():
    files = sorted((PACKAGE / "tui").rglob("*.py"))
    assert files
    offenders = {
        str(p.relative_to(PACKAGE.parent)): n for p in files if (n := _numba_import_lines(p))
    }
    assert offenders == {}


def test_tui_app_does_not_import_numba_directly():
    body = (
        "import nnviz.tui.app\n"
        "tui = sorted(m.__file__ for n, m in sys.modules.items()\n"
        "             if n.startswith('nnviz.tui') and getattr(m, '__file__', None))\n"
        "print('@@tui@@ ' + json.dumps(tui))"
    )
    ran = _probe(body, ("textual", "numba"))
    assert ran["code"] == 0, f"import nnviz.tui.app failed:\n{ran['stderr']}"
    (line,) = [x for x in ran["stdout"].splitlines() if x.startswith("@@tui@@ ")]
    loaded = [Path(f) for f in json.loads(line[len("@@tui@@ ") :])]
    assert loaded, "importing nnviz.tui.app loaded no nnviz.tui module"
    offenders = {str(p): n for p in loaded if (n := _numba_import_lines(p))}
    assert offenders == {}


# ---------------------------------------------------------------- the light CLI paths
def _run_cli(*argv: str) -> dict:
    body = f"from nnviz.cli import cli\nsys.argv = {['nnviz', *argv]!r}\ncli.main()"
    return _probe(body, ("numba", "textual"))


def test_nnviz_help_imports_neither_numba_nor_textual():
    ran = _run_cli("--help")
    assert ran["code"] == 0, f"nnviz --help failed:\n{ran['stderr']}"
    assert "Usage: nnviz" in ran["stdout"]
    assert ran["loaded"] == [], f"nnviz --help imports {ran['loaded']}"


def test_nnviz_list_imports_neither_numba_nor_textual():
    ran = _run_cli("list")
    assert ran["code"] == 0, f"nnviz list failed:\n{ran['stderr']}"
    assert "xor" in ran["stdout"]
    assert ran["loaded"] == [], f"nnviz list imports {ran['loaded']}"
