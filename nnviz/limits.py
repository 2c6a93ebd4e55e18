"""Bounds on every size that comes from a file or from a number the user typed.

Each is checked before memory is taken, by `bound` (a number) or `file_size` (a file on disk),
and the message names the bound, so a hostile or mistaken input fails in one line instead of
a MemoryError (or a machine swapping). Standard library only: every layer uses these.
"""

from __future__ import annotations

import os

from nnviz.errors import InputError

MAX_ROWS = 1_000_000  # rows of one data set (training or test)
MAX_CLASSES = 1_000  # classes of a labelled data set (one-hot columns)
MAX_FILE_BYTES = 1 << 30  # a data or weights file read into memory
MAX_ARRAY_BYTES = 1 << 30  # one array decoded from a file (an .npz member, IDX pixels as float32)
MAX_SCENARIO_BYTES = 1 << 20  # a scenario file
MAX_EPOCHS = 10**9
MAX_SEED = 2**63 - 1  # the engine's seeds are int64
MAX_UNITS = 65_536  # units of one layer
MAX_PARAMS = 50_000_000  # weights and biases of a network
MAX_BUFFER_BYTES = 1 << 30  # a compiled network's value buffer (one of three of that size)
MAX_NPZ_MEMBERS = 256  # arrays in a weights file
MAX_RECORD_BYTES = 1 << 31  # a run record (nnviz train --record): its history and metrics
MAX_RECORD_META_BYTES = 1 << 20  # the JSON description inside a run record
DEFAULT_HISTORY_BYTES = 256 << 20  # the rows of steps a run's history may hold (nnviz.history)
MAX_HISTORY_BYTES = 1 << 36  # … and the most `nnviz run --history` may give it (64 GiB)


def size_text(n: int) -> str:
    """1,073,741,824 → '1 GiB'; other numbers with thousands separators."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{n:,}"


def bound(value: int, limit: int, what: str, error: type[InputError] = InputError) -> int:
    """value, unless it exceeds limit: then `error` naming what, the value and the bound."""
    if value > limit:
        raise error(f"{what} is {value:,}, more than nnviz's limit of {limit:,}")
    return value


def bound_bytes(n: int, limit: int, what: str, error: type[InputError] = InputError) -> int:
    """bound() for a number of bytes, shown in bytes and KiB/MiB/GiB."""
    if n > limit:
        raise error(f"{what} is {n:,} bytes, more than nnviz's limit of {size_text(limit)}")
    return n


def file_size(path: str | os.PathLike, limit: int, what: str,
              error: type[InputError] = InputError) -> int:  # fmt: skip
    """The size of the file at path, checked against limit before anything reads it."""
    try:
        size = os.stat(path).st_size
    except OSError:
        return 0  # the reader that opens it next says what is wrong
    return bound_bytes(size, limit, f"{path}: the file", error)
