"""The data kinds a scenario may name, their params, and ``load``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nnviz.data import mnist, synthetic, tabular
from nnviz.data.dataset import TASKS, Dataset
from nnviz.data.errors import DataError
from nnviz.data.params import Param, defaults, validate

MAX_ROWS = 1_000_000
MAX_SEED = 2**63 - 1


def _n(default: int) -> Param:
    return Param(int, default, lo=1, hi=MAX_ROWS)


def _n_test(default: int) -> Param:
    return Param(int, default, lo=0, hi=MAX_ROWS)


_SEED = Param(int, 0, lo=0, hi=MAX_SEED)
_NOISE = {
    "moons": Param(float, 0.1, lo=0.0, hi=10.0),
    "spiral": Param(float, 0.05, lo=0.0, hi=10.0),
    "sine": Param(float, 0.1, lo=0.0, hi=10.0),
}

SPECS: dict[str, dict[str, Param]] = {
    "gate": {"gate": Param(str, "xor", choices=tuple(synthetic.GATES))},
    "circles": {"n": _n(400), "seed": _SEED, "n_test": _n_test(0)},
    "moons": {"n": _n(400), "noise": _NOISE["moons"], "seed": _SEED, "n_test": _n_test(0)},
    "spiral": {
        "n": _n(400),
        "noise": _NOISE["spiral"],
        "turns": Param(float, 1.5, lo=0.0, hi=20.0, lo_open=True),
        "seed": _SEED,
        "n_test": _n_test(0),
    },
    "gaussians": {
        "n": _n(400),
        "distance": Param(float, 2.0, lo=0.0, hi=1000.0),
        "std": Param(float, 1.0, lo=0.0, hi=1000.0, lo_open=True),
        "seed": _SEED,
        "n_test": _n_test(0),
    },
    "sine": {"n": _n(100), "noise": _NOISE["sine"], "seed": _SEED, "n_test": _n_test(100)},
    "csv": {
        "path": Param(str),
        "test_fraction": Param(float, 0.0, lo=0.0, hi=1.0, hi_open=True),
        "seed": _SEED,
    },
    "table": {
        "x": Param(list),
        "y": Param(list),
        "task": Param(str, "auto", choices=("auto", *TASKS)),
    },
    "mnist": {
        "source": Param(str, "auto", choices=("auto", "sample", "full")),
        "limit_train": Param(int, 0, lo=0),
        "limit_test": Param(int, 0, lo=0),
    },
}

# kind -> {param: default}; a required param maps to its type (str for csv's path, list
# for table's x and y).
DATA_KINDS: dict[str, dict[str, Any]] = {kind: defaults(spec) for kind, spec in SPECS.items()}

# kind -> number of inputs known without loading (None: it depends on the rows).
INPUT_SIZES: dict[str, int | None] = {
    "gate": 2,
    "circles": 2,
    "moons": 2,
    "spiral": 2,
    "gaussians": 2,
    "sine": 1,
    "csv": 2,
    "table": None,
    "mnist": 784,
}


def load(
    kind: str,
    params: dict | None = None,
    *,
    base_dir: Path | None = None,
    data_dir: str | os.PathLike | None = None,
) -> Dataset:
    """Check a kind's params and make or read its data set.

    ``base_dir`` is the folder relative paths (csv's ``path``) are taken from, normally
    the scenario file's; ``data_dir`` is where to look first for full MNIST.
    """
    if kind not in SPECS:
        raise DataError(f"unknown data kind {kind!r} (known: {', '.join(SPECS)})")
    values = validate(kind, SPECS[kind], params)
    if kind == "gate":
        return synthetic.gate(values["gate"])
    if kind in synthetic.MAKERS:
        return synthetic.make(kind, values)
    if kind == "csv":
        return tabular.load_csv(values, None if base_dir is None else Path(base_dir))
    if kind == "table":
        return tabular.load_table(values)
    return mnist.load(values, data_dir)
