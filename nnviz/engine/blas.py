"""Cap OpenBLAS's threads for a block of work, in every OpenBLAS loaded into the process.

The engine runs all its GEMMs with OpenBLAS at one thread (`one_thread()`):
- a training step shared with a helper thread (team.py) splits the big GEMMs itself, and
  OpenBLAS's own threads, which busy-wait between calls, would spin on the helper's core;
- a big float32 GEMM is computed as the same two parts (team.gemm_pair), each on one
  OpenBLAS thread, by one engine thread or two; OpenBLAS's own threads would cut it their
  own way: so the numbers never depend on the thread count, and a step taken node by node
  equals a step of the trainer.
The explorer also caps OpenBLAS at cores − 1 while it trains (`blas_threads`), so that its
interface keeps a core. The previous counts are restored afterwards. Linux only (the
libraries are found in /proc/self/maps); elsewhere `controllable()` is False and capping
does nothing.
"""

from __future__ import annotations

import ctypes
import os
import re
import threading
from contextlib import contextmanager

_SETTERS = (
    "openblas_set_num_threads",
    "scipy_openblas_set_num_threads",
    "scipy_openblas_set_num_threads64_",
    "openblas_set_num_threads64_",
)
_GETTERS = tuple(name.replace("set_num", "get_num") for name in _SETTERS)


_found: tuple[tuple[object, object], ...] = ()


def _libraries() -> tuple[tuple[object, object], ...]:
    """(set, get) function pairs of every OpenBLAS loaded into this process (looked up again
    until one is found: a library may be loaded later)."""
    global _found
    if not _found:
        _found = _look_up()
    return _found


def _look_up() -> tuple[tuple[object, object], ...]:
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = sorted(set(re.findall(r"(/\S*openblas\S*\.so[\w.-]*)", maps.read())))
    except OSError:
        return ()
    found = []
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for set_name, get_name in zip(_SETTERS, _GETTERS, strict=True):
            setter = getattr(lib, set_name, None)
            getter = getattr(lib, get_name, None)
            if setter is not None and getter is not None:
                setter.argtypes = [ctypes.c_int]
                getter.restype = ctypes.c_int
                found.append((setter, getter))
                break
    return tuple(found)


def controllable() -> bool:
    """Whether an OpenBLAS whose thread count can be set is loaded."""
    return bool(_libraries())


def usable_cores() -> int:
    """Cores this process may run on: those it may be scheduled on, capped by a cgroup's
    CPU quota (a container may see two cores but be given one core's time)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    quota = _cgroup_cpu_quota()
    return max(1, min(cores, int(quota))) if quota else cores


def _cgroup_cpu_quota(path: str = "/sys/fs/cgroup/cpu.max") -> float | None:
    """CPUs' worth of time the cgroup allows ("200000 100000" → 2.0), None when unlimited."""
    try:
        with open(path, encoding="ascii") as f:
            quota, period = f.read().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        return None


def spare_one_core() -> int:
    """Threads to leave OpenBLAS while the interface draws: all cores but one."""
    return max(1, usable_cores() - 1)


# Caps in force, by thread and block: OpenBLAS's count is the process's, so two threads that
# cap it at once (the trainer's chunk, an evaluation beside it, nnviz.beside) must not restore
# it under each other: the lowest cap in force holds, the first count comes back after the last.
_caps_lock = threading.Lock()
_caps: list[int] = []
_before: list[tuple[object, int]] = []  # (setter, count) as found before the first cap


@contextmanager
def blas_threads(n: int):
    """Run the block with at most n OpenBLAS threads in every loaded OpenBLAS."""
    with _caps_lock:
        if not _caps:
            _before[:] = [(setter, getter()) for setter, getter in _libraries()]
        _caps.append(int(n))
        _apply()
    try:
        yield
    finally:
        with _caps_lock:
            _caps.remove(int(n))
            _apply()


def _apply() -> None:
    """Set every OpenBLAS to the lowest cap in force (its first count when none is)."""
    for setter, first in _before:
        want = min([first, *_caps])
        setter(want)


def one_thread():
    """Run the block with one OpenBLAS thread (the engine's GEMMs; see above)."""
    return blas_threads(1)
