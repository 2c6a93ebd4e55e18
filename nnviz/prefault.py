"""Pages of a history's big arrays made ready ahead of the training loop that fills them.

A Timeline's rows and an EpochLog's are allocated for the whole budget at once and the system
gives their pages as they are first written. On a small network that first write costs about
as much as the step itself (xor: 70 bytes of rows a step, 2.3 million steps a second), and it
is paid on the training thread. Here a daemon thread asks Linux to populate the pages a little
ahead of the rows written so far (madvise MADV_POPULATE_WRITE: the pages are made as a first
write would make them, and their contents are left alone, so it may run beside the writer).
The cost then lands on another core; where the call is not available nothing is done, and
the writer faults the pages in itself as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
import weakref
from collections.abc import Callable

import numpy as np

MADV_POPULATE_WRITE = 23  # Linux ≥ 5.14 (<linux/mman.h>); Python's mmap module lacks it
# populated beyond the rows written, per array: the fastest writer (xor's rows) takes about
# 1.5 MB in the POLL_S an idle thread waits before it looks again
AHEAD_BYTES = 16 << 20
POLL_S = 0.01
CHUNK_BYTES = 4 << 20  # one call's share, so that a stop is heard soon
NICE = 19

_madvise = None
_usable: bool | None = None  # None: not tried yet


def available() -> bool:
    """Whether this system populates pages on request (tried once, on a page of our own)."""
    global _madvise, _usable
    if _usable is None:
        _usable = False
        if sys.platform.startswith("linux"):
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                madvise = libc.madvise
                madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
                madvise.restype = ctypes.c_int
                probe = np.zeros(2 * os.sysconf("SC_PAGE_SIZE"), np.uint8)
                page = os.sysconf("SC_PAGE_SIZE")
                start = (probe.ctypes.data + page - 1) // page * page
                if madvise(start, page, MADV_POPULATE_WRITE) == 0:
                    _madvise, _usable = madvise, True
            except (OSError, AttributeError, ValueError):
                pass
    return _usable


class Prefault:
    """Keeps the pages of each array populated up to AHEAD_BYTES past the rows its `written()`
    says are in use, from one daemon thread, until the arrays are gone or `stop()` is called.

    The thread holds the arrays weakly (a dropped history frees its pages at once) and
    `written` should too: when it raises, the thread ends."""

    def __init__(self, regions: list[tuple[np.ndarray, Callable[[], int]]], *,
                 ahead: int = AHEAD_BYTES):  # fmt: skip
        self.ahead = int(ahead)
        self._regions = [_Region(array, written) for array, written in regions
                         if array.flags.c_contiguous and array.nbytes]  # fmt: skip
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if self._regions and available():
            self._thread = threading.Thread(target=self._run, name="nnviz-prefault", daemon=True)
            self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def populated(self) -> list[int]:
        """Bytes from the start of each array known to be populated."""
        return [region.done for region in self._regions]

    def stop(self) -> None:
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        # the lowest priority: it takes a core nobody else wants (the interface's frames and
        # the training come first); when it falls behind, the writer faults pages in itself
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._stop.is_set():
            busy, left = False, False
            for region in self._regions:
                try:
                    moved = region.advance(self.ahead, page)
                except _Gone:
                    return  # the history was dropped: its pages went with it
                busy |= moved
                left |= region.done < region.nbytes
            if not left:
                return
            if not busy:
                self._stop.wait(POLL_S)


class _Gone(Exception):
    """The array or its writer is gone."""


class _Region:
    def __init__(self, array: np.ndarray, written: Callable[[], int]):
        self.row_bytes = array.strides[0] if array.ndim > 1 else array.itemsize
        self.nbytes = array.nbytes
        self.done = 0  # bytes from the start known to be populated
        self.array = weakref.ref(array)
        self.written = written

    def advance(self, ahead: int, page: int) -> bool:
        """Populate the next chunk if the writer is near; whether anything was done."""
        if self.array() is None:
            raise _Gone
        if self.done >= self.nbytes:
            return False
        try:
            rows = int(self.written())
        except Exception as exc:  # noqa: BLE001 (its owner is being torn down)
            raise _Gone from exc
        target = min(self.nbytes, rows * self.row_bytes + ahead)
        if target <= self.done:
            return False
        array = self.array()
        if array is None:
            raise _Gone
        base = array.ctypes.data
        start = (base + self.done) // page * page  # madvise takes whole pages
        end = min(base + target, start + CHUNK_BYTES)
        # the array stays referenced across the call: its pages cannot be unmapped meanwhile
        if _madvise(start, end - start, MADV_POPULATE_WRITE) != 0:
            self.done = self.nbytes  # refused (memory short, a limit): the writer faults
            return False
        self.done = end - base
        del array
        return True
