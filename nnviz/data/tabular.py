"""A user's CSV file of labelled 2-D points, and inline tables of rows from a scenario."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from nnviz.data.dataset import Dataset
from nnviz.data.errors import DataError, param_error

CSV_COLUMNS = 3  # x1, x2, label


def _one_hot(labels: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros((labels.size, k), dtype=np.float32)
    out[np.arange(labels.size), labels] = 1.0
    return out


def _parse_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value


def read_points(path: Path, shown: str) -> tuple[np.ndarray, np.ndarray]:
    """Rows of x1,x2,label from a CSV file; errors name ``shown`` and the line number."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            lines = list(csv.reader(fh))
    except FileNotFoundError:
        raise DataError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{shown}: is a folder, not a file") from None
    except UnicodeDecodeError:
        raise DataError(f"{shown}: not a text file (UTF-8 expected)") from None
    except (OSError, csv.Error) as exc:
        raise DataError(f"{shown}: cannot read ({exc})") from None

    xs: list[tuple[float, float]] = []
    labels: list[int] = []
    seen_data = False
    for lineno, row in enumerate(lines, start=1):
        fields = [f.strip() for f in row]
        if not fields or all(not f for f in fields) or fields[0].startswith("#"):
            continue
        numbers = [_parse_number(f) for f in fields]
        if not seen_data and all(v is None for v in numbers):
            # A header line (x1,x2,label): allowed once, before the data.
            seen_data = True
            if len(fields) != CSV_COLUMNS:
                raise DataError(
                    f"{shown}:{lineno}: header should name {CSV_COLUMNS} columns "
                    f"(x1,x2,label), got {len(fields)}"
                )
            continue
        seen_data = True
        if len(fields) != CSV_COLUMNS:
            raise DataError(f"{shown}:{lineno}: expected {CSV_COLUMNS} numbers, got {len(fields)}")
        for field, value in zip(fields, numbers, strict=True):
            if value is None:
                raise DataError(f"{shown}:{lineno}: {field!r} is not a number")
            if not math.isfinite(value):
                raise DataError(f"{shown}:{lineno}: {field!r} is not a finite number")
        label = numbers[2]
        if label < 0 or not float(label).is_integer():
            raise DataError(
                f"{shown}:{lineno}: label must be a whole number >= 0, got {fields[2]!r}"
            )
        xs.append((numbers[0], numbers[1]))
        labels.append(int(label))
    if not xs:
        raise DataError(f"{shown}: no data rows")
    return np.asarray(xs, dtype=np.float32), np.asarray(labels, dtype=np.int64)


def load_csv(params: dict, base_dir: Path | None) -> Dataset:
    shown = params["path"]
    if not shown.strip():
        raise param_error("csv", "path", "must not be empty")
    path = Path(shown).expanduser()
    if not path.is_absolute():
        path = (base_dir if base_dir is not None else Path.cwd()) / path
    x, labels = read_points(path, shown)
    k = int(labels.max()) + 1
    if k <= 2:
        task, y, names = "binary", labels.astype(np.float32).reshape(-1, 1), ("0", "1")
    else:
        task, y, names = "multiclass", _one_hot(labels, k), tuple(str(i) for i in range(k))

    x_test = y_test = None
    fraction = params["test_fraction"]
    n = x.shape[0]
    if fraction > 0:
        n_test = min(max(1, round(n * fraction)), n - 1)
        if n_test < 1:
            raise DataError(f"{shown}: {n} row(s) is too few to split off a test set")
        order = np.random.default_rng(params["seed"]).permutation(n)
        test, train = order[:n_test], order[n_test:]
        x, y, x_test, y_test = x[train], y[train], x[test], y[test]
    return Dataset(
        name=path.stem,
        x_train=x,
        y_train=y,
        x_test=x_test,
        y_test=y_test,
        task=task,
        class_names=names,
        source=str(path),
    )


def _rows(value: list, name: str) -> np.ndarray:
    """A list of rows (or of scalars, one column) as a float array (N, D)."""
    if not value:
        raise param_error("table", name, "must have at least one row")
    rows = []
    width = None
    for i, row in enumerate(value):
        cells = list(row) if isinstance(row, list | tuple) else [row]
        for cell in cells:
            if isinstance(cell, bool) or not isinstance(cell, int | float):
                raise param_error("table", name, f"row {i}: {cell!r} is not a number")
            if not math.isfinite(cell):
                raise param_error("table", name, f"row {i}: {cell!r} is not finite")
        if not cells:
            raise param_error("table", name, f"row {i} is empty")
        if width is None:
            width = len(cells)
        elif len(cells) != width:
            raise param_error("table", name, f"row {i} has {len(cells)} values, row 0 has {width}")
        rows.append(cells)
    return np.asarray(rows, dtype=np.float64)


def load_table(params: dict) -> Dataset:
    x = _rows(params["x"], "x")
    y = _rows(params["y"], "y")
    if x.shape[0] != y.shape[0]:
        raise param_error("table", "x", f"has {x.shape[0]} rows but 'y' has {y.shape[0]}")
    zero_one = bool(np.all((y == 0) | (y == 1)))
    task = params["task"]
    if task == "auto":
        task = "binary" if y.shape[1] == 1 and zero_one else "regression"
    names: tuple[str, ...] = ()
    if task == "binary":
        if y.shape[1] != 1 or not zero_one:
            raise DataError(
                "table: task 'binary' needs 'y' to be a single column of 0 and 1",
                key="task",
                detail="task 'binary' needs 'y' to be a single column of 0 and 1",
            )
        names = ("0", "1")
    elif task == "multiclass":
        if y.shape[1] == 1:
            if np.any(y < 0) or np.any(y != np.round(y)):
                raise DataError(
                    "table: task 'multiclass' needs 'y' labels that are whole numbers >= 0",
                    key="task",
                    detail="task 'multiclass' needs 'y' labels that are whole numbers >= 0",
                )
            labels = y[:, 0].astype(np.int64)
            k = max(int(labels.max()) + 1, 2)
            y = _one_hot(labels, k)
        elif not (zero_one and np.all(y.sum(axis=1) == 1)):
            raise DataError(
                "table: task 'multiclass' needs 'y' rows that are one-hot",
                key="task",
                detail="task 'multiclass' needs 'y' rows that are one-hot",
            )
        names = tuple(str(i) for i in range(y.shape[1]))
    return Dataset(
        name="table",
        x_train=x,
        y_train=y,
        x_test=None,
        y_test=None,
        task=task,
        class_names=names,
        source=f"inline table ({x.shape[0]} rows)",
    )
