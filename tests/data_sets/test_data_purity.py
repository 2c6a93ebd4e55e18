"""nnviz.data stays light: numpy and the standard library only."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import nnviz.data

FORBIDDEN = {"rich", "textual", "numba", "click", "scipy"}
PACKAGE = Path(nnviz.data.__file__).parent


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_sources_import_nothing_heavy():
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) >= 5
    for path in files:
        roots = _imported_roots(path)
        assert not roots & FORBIDDEN, f"{path.name} imports {roots & FORBIDDEN}"
        assert roots <= set(sys.stdlib_module_names) | {"numpy", "nnviz", "__future__"}, path


def test_importing_loads_nothing_heavy():
    code = (
        "import sys, json\n"
        "import nnviz\n"
        "before = set(sys.modules)\n"
        "import nnviz.data, nnviz.data.fetch, nnviz.data.idx, nnviz.cli.data\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    added = {name.split(".")[0] for name in json.loads(out.stdout)}
    assert not added & {"rich", "textual", "numba", "scipy"}
