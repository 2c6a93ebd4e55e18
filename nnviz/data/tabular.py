"""A user's CSV file of labelled 2-D points, and inline tables of rows from a scenario."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from nnviz.data.dataset import Dataset
from nnviz.data.errors import DataError, param_error
from nnviz.limits import MAX_CLASSES, MAX_FILE_BYTES, MAX_ROWS, file_size

CSV_COLUMNS = 3  # x1, x2, label
# Data sets are float32 (nnviz.data.dataset): a value beyond this would become infinity.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_value(where: str, text: str, value: float, key: tuple[str, str] | None = None) -> None:
    """A finite number float32 can hold, or a DataError naming where it is (`key`: the
    (param, place in it) when `where` is inside a param)."""
    what = ""
    if not math.isfinite(value):
        what = f"{text!r} is not a finite number"
    elif abs(value) > FLOAT32_MAX:
        what = (
            f"{text!r} is beyond the range of float32 (±{FLOAT32_MAX:.3g}), the type data "
            "sets are held in"
        )
    if what and key is not None:
        raise DataError(f"{where}: {what}", key=key[0], detail=f"{key[1]}: {what}")
    if what:
        raise DataError(f"{where}: {what}")


def _check_label(where: str, text: str, label: int, key: str | None = None) -> None:
    if label >= MAX_CLASSES:
        what = (
            f"label {text} makes {label + 1:,} classes, more than nnviz's limit of {MAX_CLASSES:,}"
        )
        raise DataError(f"{where}: {what}", key=key, detail=what)


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
    file_size(path, MAX_FILE_BYTES, shown, DataError)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return _parse_points(csv.reader(fh), shown)
    except FileNotFoundError:
        raise DataError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{shown}: is a folder, not a file") from None
    except UnicodeDecodeError:
        raise DataError(f"{shown}: not a text file (UTF-8 expected)") from None
    except (OSError, csv.Error) as exc:
        raise DataError(f"{shown}: cannot read ({exc})") from None


def _parse_points(lines, shown: str) -> tuple[np.ndarray, np.ndarray]:
    """The rows of a csv.reader, read one at a time (never the whole file at once)."""
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
        if len(xs) == MAX_ROWS:
            raise DataError(f"{shown}:{lineno}: more than {MAX_ROWS:,} rows (nnviz's limit)")
        for column, (field, value) in enumerate(zip(fields, numbers, strict=True), start=1):
            if value is None:
                raise DataError(f"{shown}:{lineno}: {field!r} is not a number")
            _check_value(f"{shown}:{lineno}: column {column}", field, value)
        label = numbers[2]
        if label < 0 or not float(label).is_integer():
            raise DataError(
                f"{shown}:{lineno}: label must be a whole number >= 0, got {fields[2]!r}"
            )
        _check_label(f"{shown}:{lineno}", fields[2], int(label))
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


def num_text(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


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
            _check_value(f"table: param {name!r} row {i}", repr(cell), float(cell),
                         key=(name, f"row {i}"))  # fmt: skip
        if not cells:
            raise param_error("table", name, f"row {i} is empty")
        if i == MAX_ROWS:
            raise param_error("table", name, f"has more than {MAX_ROWS:,} rows")
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
            biggest = float(y.max())
            _check_label("table: param 'y'", num_text(biggest), int(biggest), key="y")
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
