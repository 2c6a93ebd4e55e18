"""Pages populated ahead of a history's writer (nnviz.prefault): where the system allows it,
the pages just past the rows written become resident before the writer gets there, and no
value a writer put in the rows ever changes."""

from __future__ import annotations

import ctypes
import gc
import os
import threading
import time

import numpy as np
import pytest

from nnviz import prefault
from nnviz.history import Timeline, _zeroed
from nnviz.prefault import Prefault
from nnviz.scenario import load_scenario
from nnviz.session import build

PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1 << 20
HUGE = 2 * MB  # a huge page: written in part, it is made whole
needs_populate = pytest.mark.skipif(
    not prefault.available(), reason="this system does not populate pages on request"
)


def resident(array: np.ndarray) -> np.ndarray:
    """Whether each page of `array` (page-aligned: an mmap'd history array) is in memory."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    assert array.ctypes.data % PAGE == 0
    pages = (array.nbytes + PAGE - 1) // PAGE
    vec = np.zeros(pages, np.uint8)
    assert libc.mincore(array.ctypes.data, array.nbytes, vec.ctypes.data) == 0
    return (vec & 1).astype(bool)


def wait_for(condition, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.005)


@needs_populate
def test_pages_are_made_a_little_ahead_of_a_moving_writer_and_none_for_an_idle_one():
    rows = _zeroed((64 * MB // 64, 8), np.float64)  # 64 MB of 64-byte rows
    idle = _zeroed((64 * MB // 64, 8), np.float64)
    written = [0]
    job = Prefault([(rows, lambda: written[0]), (idle, lambda: 0)], ahead=8 * MB)
    end = time.monotonic() + 0.5
    while time.monotonic() < end:  # about 40 MB/s, a row at a time, as a trainer goes
        written[0] += 4096
        rows[written[0] - 1] = 1.0
        time.sleep(0.005)
        if written[0] * 64 > 24 * MB:
            break
    used = written[0] * 64
    wait_for(lambda: job.populated()[0] > used)  # ahead of the writer, while it moves
    time.sleep(0.5)  # the writer has stopped: its pace falls to nothing, and so the reach
    reach = job.populated()[0]
    shown = resident(rows)
    assert used < reach <= used + 8 * MB + PAGE
    # resident up to the reach; past it, at most the rest of a huge page (2 MB) it began
    assert shown[: reach // PAGE].all() and not shown[(reach + HUGE) // PAGE + 1 :].any()
    assert job.populated()[1] == 0 and not resident(idle).any()  # never written: no pages
    job.stop()
    job.join(5)
    assert not job.running


@needs_populate
def test_a_writer_beside_the_thread_keeps_every_value_it_wrote():
    rows = _zeroed((32 * MB // 32, 4), np.float64)
    count = [0]
    job = Prefault([(rows, lambda: count[0])], ahead=2 * MB)
    pattern = np.arange(4, dtype=np.float64) + 1

    def write() -> None:
        for r in range(len(rows)):
            rows[r] = pattern * r
            count[0] = r + 1

    writer = threading.Thread(target=write)
    writer.start()
    writer.join(60)
    job.join(10)
    expected = np.arange(len(rows), dtype=np.float64)[:, None] * pattern
    assert count[0] == len(rows) and np.array_equal(rows, expected)
    assert job.populated()[0] == rows.nbytes and not job.running


@needs_populate
def test_a_job_ends_when_its_rows_or_their_writer_are_gone():
    rows = _zeroed((16 * MB // 8, 1), np.float64)
    job = Prefault([(rows, lambda: 0)])
    assert job.running
    del rows
    gc.collect()
    job.join(5)
    assert not job.running  # the weak reference died: it stopped

    rows = _zeroed((16 * MB // 8, 1), np.float64)
    gone = [False]

    def written() -> int:
        if gone[0]:
            raise ReferenceError("the history was dropped")
        return 0

    job = Prefault([(rows, written)])
    time.sleep(0.05)
    assert job.running
    gone[0] = True
    job.join(5)
    assert not job.running


@needs_populate
def test_one_thread_serves_every_history_of_the_process():
    kept = [_zeroed((8 * MB // 8, 1), np.float64) for _ in range(3)]
    jobs = [Prefault([(rows, lambda: 0)]) for rows in kept]
    time.sleep(0.05)
    named = [t for t in threading.enumerate() if t.name == "nnviz-prefault"]
    assert all(job.running for job in jobs) and len(named) == 1


def test_a_recorded_run_is_the_same_with_and_without_the_pages_made_ahead(monkeypatch):
    def record(populate: bool):
        monkeypatch.setattr(prefault, "_usable", populate and prefault.available())
        session = build(load_scenario("xor").with_overrides(epochs=3000), threads=1)
        trainer = session.trainer
        timeline = trainer.recorder = Timeline(trainer)
        assert timeline.prefault.running == (populate and prefault.available())
        for _ in trainer.train_until(trainer.epochs):
            pass
        c = timeline.count
        return timeline.values[:c].copy(), timeline.meta[:c].copy(), timeline.epochs.view().copy()

    plain, ahead = record(False), record(True)
    assert len(plain[0]) == 3001  # every step and the start
    for a, b in zip(plain, ahead, strict=True):
        np.testing.assert_array_equal(a, b)


@needs_populate
def test_a_chunk_announced_gets_its_pages_before_the_writer_starts():
    rows = _zeroed((32 * MB // 64, 8), np.float64)
    job = Prefault([(rows, lambda: 0)], ahead=16 * MB)
    time.sleep(0.05)
    assert job.populated() == [0]  # nothing written, nothing said: nothing made
    job.expect([(6 * MB) // 64])  # a chunk of training is about to fill 6 MB of rows
    wait_for(lambda: job.populated()[0] >= 6 * MB, timeout=5)
    assert resident(rows)[: 6 * MB // PAGE].all()
    job.expect([(64 * MB) // 64])  # more than the reach: no more than AHEAD at once
    wait_for(lambda: job.populated()[0] >= 16 * MB, timeout=5)
    time.sleep(0.05)
    assert job.populated()[0] == 16 * MB
    job.stop()
