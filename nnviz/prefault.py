"""Pages of a history's big arrays made ready ahead of the training loop that fills them.

A Timeline's rows and an EpochLog's are allocated for the whole budget at once and the system
gives their pages as they are first written. On a small network that first write costs about
as much as the step itself (xor: about 125 bytes of rows a step, 2.3 million steps a second;
on a virtual machine fresh memory is first written at about 0.4 GB/s), and it is paid on the
training thread. Here one daemon thread, shared by every history of the process, asks Linux
to populate the pages a little ahead of the rows written so far (madvise MADV_POPULATE_WRITE:
the pages are made as a first write would make them, their contents left alone, so it may run
beside the writer). The cost then lands on a core nobody else wants.

How far ahead: what the writer said its next chunk of training needs (`expect`), or a tenth
of a second of its pace, at most AHEAD_BYTES: a history stepped by hand, or one that stopped,
gets no pages it does not use. Where the call is
not available nothing is done, and the writer faults the pages in itself as before.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
import threading
import time
import weakref
from collections.abc import Callable

import numpy as np

MADV_POPULATE_WRITE = 23  # Linux ≥ 5.14 (<linux/mman.h>); Python's mmap module lacks it
AHEAD_BYTES = 16 << 20  # the most populated beyond the rows written, per array
AHEAD_S = 0.1  # … and otherwise this long of the writer's pace
CHUNK_BYTES = 4 << 20  # one call's share, so that every array gets its turn soon
POLL_S = 0.01  # how often the thread looks at writers that are moving
IDLE_POLL_S = 0.2  # … and, backing off to this, at writers that are not
NICE = 19
MIN_BYTES = 4 << 20  # smaller arrays are left to their writer

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
                page = os.sysconf("SC_PAGE_SIZE")
                probe = np.zeros(2 * page, np.uint8)
                start = (probe.ctypes.data + page - 1) // page * page
                if madvise(start, page, MADV_POPULATE_WRITE) == 0:
                    _madvise, _usable = madvise, True
            except (OSError, AttributeError, ValueError):
                pass
    return _usable


class Prefault:
    """Keeps the pages of each array populated a little past the rows its `written()` says are
    in use, until the arrays are gone or `stop()` is called.

    The arrays are held weakly (a dropped history frees its pages at once) and `written`
    should hold its owner weakly too: when it raises, the job ends."""

    def __init__(self, regions: list[tuple[np.ndarray, Callable[[], int]]], *,
                 ahead: int = AHEAD_BYTES, ahead_s: float = AHEAD_S):  # fmt: skip
        self.ahead = int(ahead)
        self.ahead_s = float(ahead_s)
        self._regions = [_Region(array, written) for array, written in regions]
        for region, (array, _) in zip(self._regions, regions, strict=True):
            if not array.flags.c_contiguous or array.nbytes < MIN_BYTES:
                region.done = region.nbytes  # small: its few pages are not worth a thread
        self._ended = threading.Event()
        if any(r.done < r.nbytes for r in self._regions) and available():
            _SHARED.add(self)
        else:
            self._ended.set()

    @property
    def running(self) -> bool:
        return not self._ended.is_set()

    def populated(self) -> list[int]:
        """Bytes from the start of each array known to be populated."""
        return [region.done for region in self._regions]

    def expect(self, rows: list[int]) -> None:
        """The writer is about to write this many more rows of each array (a chunk of
        training begins): have their pages made now, without waiting to see its pace."""
        if not self.running:
            return
        for region, more in zip(self._regions, rows, strict=True):
            with contextlib.suppress(Exception):
                region.expected = (int(region.written()) + int(more)) * region.row_bytes
        _SHARED.wake()

    def stop(self) -> None:
        self._ended.set()

    def join(self, timeout: float | None = None) -> None:
        self._ended.wait(timeout)

    def _advance(self, now: float, page: int) -> bool:
        """One chunk for each array whose writer is near; whether any was populated. Ends the
        job when its arrays are full or gone."""
        busy, left = False, False
        try:
            for region in self._regions:
                busy |= region.advance(now, self.ahead, self.ahead_s, page)
                left |= region.done < region.nbytes
        except _Gone:
            left = False
        if not left:
            self._ended.set()
        return busy


class _Gone(Exception):
    """The array or its writer is gone."""


class _Region:
    def __init__(self, array: np.ndarray, written: Callable[[], int]):
        self.row_bytes = array.strides[0] if array.ndim > 1 else array.itemsize
        self.nbytes = array.nbytes
        self.done = 0  # bytes from the start known to be populated
        self.array = weakref.ref(array)
        self.written = written
        self.seen = (time.perf_counter(), 0)  # (when, bytes written then)
        self.pace = 0.0  # bytes the writer writes a second, lately
        self.expected = 0  # bytes the writer said it is about to fill (Prefault.expect)

    def advance(self, now: float, ahead: int, ahead_s: float, page: int) -> bool:
        """Populate the next chunk if the writer is near; whether anything was done."""
        # referenced for the whole call: the array's pages cannot be unmapped meanwhile
        array = self.array()
        if array is None:
            raise _Gone
        try:
            used = int(self.written()) * self.row_bytes
        except Exception as exc:  # noqa: BLE001 (its owner is being torn down)
            raise _Gone from exc
        when, before = self.seen
        if now > when:
            self.pace = max(used - before, 0) / (now - when)
            self.seen = (now, used)
        if self.done >= self.nbytes:
            return False
        reach = max(min(int(self.pace * ahead_s), ahead), min(self.expected - used, ahead))
        target = min(self.nbytes, used + reach)
        if target <= self.done:
            return False
        base = array.ctypes.data
        start = (base + self.done) // page * page  # madvise takes whole pages
        end = min(base + target, start + CHUNK_BYTES)
        if _madvise(start, end - start, MADV_POPULATE_WRITE) != 0:
            self.done = self.nbytes  # refused (memory short, a limit): the writer faults
            return False
        self.done = end - base
        return True


class _Worker:
    """The one thread that serves every Prefault of the process (started with the first)."""

    def __init__(self) -> None:
        self._jobs: list[weakref.ref[Prefault]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, job: Prefault) -> None:
        with self._lock:
            self._jobs.append(weakref.ref(job))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="nnviz-prefault", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        # the lowest priority: the interface's frames and the training come first
        with contextlib.suppress(AttributeError, OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
        page = os.sysconf("SC_PAGE_SIZE")
        wait = POLL_S
        while True:
            with self._lock:
                jobs = [job for ref in self._jobs if (job := ref()) is not None and job.running]
                self._jobs = [weakref.ref(job) for job in jobs]
                if not jobs:
                    self._thread = None
                    return  # the next Prefault starts another
            now = time.perf_counter()
            busy = False
            moving = False
            for job in jobs:
                busy |= job._advance(now, page)
                moving |= any(region.pace > 0 for region in job._regions)
            del jobs
            if busy:
                wait = POLL_S
                continue
            wait = POLL_S if moving else min(wait * 2, IDLE_POLL_S)
            self._wake.wait(wait)
            self._wake.clear()


_SHARED = _Worker()
