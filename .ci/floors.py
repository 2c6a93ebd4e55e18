"""Print pip constraints that pin every direct dependency to its declared floor.

    python .ci/floors.py > floors.txt
    pip install -c floors.txt -e '.[test-tools]'

Every dependency in pyproject.toml must have a plain `>=` floor, so that the lowest-versions
CI leg tests exactly what the package promises to work with.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

FLOOR = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)\s*>=\s*([0-9][^,;\s]*)")


def floors(pyproject: Path) -> list[str]:
    with pyproject.open("rb") as fh:
        deps = tomllib.load(fh)["project"]["dependencies"]
    out = []
    for dep in deps:
        match = FLOOR.fullmatch(dep.strip())
        if match is None:
            raise SystemExit(f"{pyproject}: dependency {dep!r} has no plain '>=' floor")
        out.append(f"{match[1]}=={match[2]}")
    return out


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    sys.stdout.write("".join(line + "\n" for line in floors(root / "pyproject.toml")))
