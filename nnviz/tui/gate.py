"""Whether a thread worker's body began: agreed under a lock by the thread and the screen.

A Textual thread worker cancelled before its thread ran never runs its body at all (its job
is dropped from the executor's queue, or its task is cancelled before its first step), so
nothing it would have done at the end happens: no "idle" flag, no last message. A screen that
waits for one would wait forever. So the body asks `begin(n)` first and returns at once when
it says False; a screen that cancels asks `drop(n)`: True means the body has not begun and
now never will, so the screen ends the run itself.
"""

from __future__ import annotations

import threading


class StartGate:
    """The begin/drop handshake for numbered runs of one worker (n: the run's number)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._begun = self._dropped = -1

    def begin(self, run: int) -> bool:
        """In the worker's thread, first: may run `run` go on (False: it was dropped)?"""
        with self._lock:
            if self._dropped == run:
                return False
            self._begun = run
            return True

    def drop(self, run: int) -> bool:
        """After cancelling run `run`: True if it had not begun (it now never will)."""
        with self._lock:
            if self._begun == run:
                return False
            self._dropped = run
            return True
