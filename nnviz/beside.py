"""The test and validation sets evaluated beside training: on a copy of the network, in a thread
of its own, while the next epoch trains.

A Trainer that trains alone on one core (an interface draws on the other) and evaluates after
every epoch spent a tenth of MNIST's time on it (2,000 test rows after 8,000 training rows),
with the other core mostly idle. Here the parameters at the epoch's end are copied (MNIST:
318 KB) into a twin Program with buffers of its own, of the same capacity, and the same kernel
evaluates them on another thread: the numbers are those of an evaluation in line, bit for bit.
The Trainer holds the epoch's event, and every event after it, until they are known.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

import numpy as np

from nnviz.engine import helper
from nnviz.model import Model

# rows × parameters of an evaluation below which it stays in line: a thread's hand-over costs
# tens of microseconds, a small network's whole evaluation less (MNIST's test set: 1.6e8)
MIN_WORK = 1 << 22

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def _pool() -> ThreadPoolExecutor:
    """One thread for the process: evaluations of every Trainer queue on it."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nnviz-evaluate")
        return _executor


def core_to_spare() -> bool:
    """Whether a thread beside the training gets a core of its own (and runs machine code)."""
    return helper.pairing_possible()


def worth_it(model: Model, sets: list[tuple[np.ndarray, np.ndarray]]) -> bool:
    """Whether evaluating `sets` beside the training gains: a core to spare, and enough work."""
    rows = sum(len(x) for x, _ in sets if x is not None)
    return rows * model.program.n_param >= MIN_WORK and core_to_spare()


class Beside:
    """Evaluations of one Model's present parameters, on its twin, in the shared thread."""

    def __init__(self, model: Model):
        self.model = model
        self._twin: Model | None = None
        self._last: Future | None = None  # the twin's last job

    def _twin_now(self) -> Model:
        """The twin, with the live network's parameters, constants and node table."""
        live = self.model
        if self._twin is None:
            self._twin = Model(
                live.graph,
                task=live.task,
                dtype=live.program.dtype,
                capacity=live.program.capacity,
                spec=live.spec,
            )
        p, q = live.program, self._twin.program
        q.values[: p.n_param] = p.values[: p.n_param]
        q.consts[:] = p.consts
        q.meta[:] = p.meta
        return self._twin

    def run(self, job: Callable[[Model], object]) -> Future:
        """Start `job(twin)` on the twin holding the present parameters, in the shared thread.
        Call from the thread that trains, between chunks: the parameters are copied before
        this returns (after this twin's previous job is over: it used the buffers)."""
        if self._last is not None:
            wait([self._last])
        twin = self._twin_now()
        self._last = _pool().submit(job, twin)
        return self._last

    def submit(self, sets: list[tuple[np.ndarray, np.ndarray]]) -> Future:
        """Start evaluating the present parameters on each (X, Y) of `sets`; the future's
        result is a list of (mean loss, accuracy), one per set ((None, None) for a set of
        None)."""

        def evaluate(twin: Model) -> list:
            return [
                (None, None) if x is None else twin.evaluate(x, y, paired=False) for x, y in sets
            ]

        return self.run(evaluate)
