"""The shared roots: the atomic writer every file goes through, the sanitiser every printer
uses, and the size bounds every reader checks."""

from __future__ import annotations

import os
import stat
import sys

import pytest

from nnviz.errors import InputError
from nnviz.files import atomic_write
from nnviz.limits import bound, bound_bytes
from nnviz.text import printable


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path):
    target = tmp_path / "w.npz"
    target.write_bytes(b"old")
    target.chmod(0o604)
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as fh:
        fh.write(b"half")
        raise KeyboardInterrupt  # Ctrl-C, or SIGTERM turned into an exception by the CLI
    assert target.read_bytes() == b"old" and os.listdir(tmp_path) == ["w.npz"]
    with atomic_write(target) as fh:
        fh.write(b"new")
    assert target.read_bytes() == b"new" and os.listdir(tmp_path) == ["w.npz"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o604  # the old file's mode is kept
    with pytest.raises(OSError), atomic_write(tmp_path / "missing" / "x") as fh:
        fh.write(b"x")  # no such folder: nothing is left anywhere


class _Signal(BaseException):
    """Stands for SIGTERM turned into an exception: it may arrive between any two statements."""


def _interrupt_at(n: int):
    """A trace function raising _Signal at the n-th line run in any frame it is handed."""
    seen = [0]

    def trace(frame, event, arg):
        if event == "line":
            seen[0] += 1
            if seen[0] == n:
                raise _Signal
        return trace

    return trace, seen


def _write(target):
    with atomic_write(target) as fh:
        fh.write(b"new")


def test_atomic_write_leaves_no_temporary_file_whichever_statement_a_signal_interrupts(tmp_path):
    target = tmp_path / "w.npz"
    target.write_bytes(b"old")
    interrupted_at = []
    for n in range(1, 500):
        trace, seen = _interrupt_at(n)
        sys.settrace(trace)
        try:
            _write(target)
        except _Signal:
            interrupted_at.append(n)
        finally:
            sys.settrace(None)
        assert os.listdir(tmp_path) == ["w.npz"], f"interrupted at line event {n}"
        assert target.read_bytes() in (b"old", b"new")
        if seen[0] < n:  # the write finished before the n-th line: every point was tried
            break
        target.write_bytes(b"old")
    assert len(interrupted_at) > 10 and target.read_bytes() == b"new"


def test_printable_makes_every_control_character_visible():
    hostile = "\x1b]0;pwned\x07\x1b[2J\rname\u202e\x9b"
    shown = printable(hostile, one_line=True)
    assert shown == "\\x1b]0;pwned\\x07\\x1b[2J name\\u202e\\x9b"
    assert all(ch.isprintable() for ch in shown)
    assert printable("a\tb\nc") == "a\tb\nc"  # layout characters are kept unless one_line
    assert printable("ünïcödé → ok") == "ünïcödé → ok"


def test_bounds_name_the_value_and_the_limit():
    assert bound(5, 5, "rows") == 5
    with pytest.raises(InputError, match="rows is 6, more than nnviz's limit of 5"):
        bound(6, 5, "rows")
    with pytest.raises(InputError, match=r"x\.npz is 2,147,483,648 bytes, .* limit of 1 GiB"):
        bound_bytes(2 << 30, 1 << 30, "x.npz")


def test_a_network_too_big_for_memory_is_refused_before_allocation():
    from nnviz.engine.graph import GraphError
    from nnviz.model import Model

    with pytest.raises(GraphError, match=r"values for 10,000 rows take .* limit of 1 GiB"):
        Model.from_spec(2, [(60_000, "relu"), (1, "sigmoid")], "bce", capacity=10_000)
