"""Leave the interface a core while training: cap OpenBLAS threads for the worker's run.

The GEMMs of the jitted training loop run in OpenBLAS, whose threads busy-wait for each
other. With every core in a GEMM, the interface thread's redraws preempt one of them and the
others spin until it comes back: on a 2-core machine training then ran 5–10× slower than
headless. Capping OpenBLAS at cores − 1 while the worker trains avoids that; the previous
counts are restored afterwards. Linux only (the libraries are found in /proc/self/maps);
elsewhere this does nothing.
"""

from __future__ import annotations

import ctypes
import os
import re
from contextlib import contextmanager

_SETTERS = (
    "openblas_set_num_threads",
    "scipy_openblas_set_num_threads",
    "scipy_openblas_set_num_threads64_",
    "openblas_set_num_threads64_",
)
_GETTERS = tuple(name.replace("set_num", "get_num") for name in _SETTERS)


def _libraries() -> tuple[tuple[object, object], ...]:
    """(set, get) function pairs of every OpenBLAS loaded into this process."""
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


def spare_one_core() -> int:
    """Threads to leave OpenBLAS while the interface draws: all cores but one."""
    return max(1, (os.cpu_count() or 1) - 1)


@contextmanager
def blas_threads(n: int):
    """Run the block with at most n OpenBLAS threads in every loaded OpenBLAS."""
    libs = _libraries()
    before = [getter() for _, getter in libs]
    try:
        for (setter, _), old in zip(libs, before, strict=True):
            setter(min(n, old))
        yield
    finally:
        for (setter, _), old in zip(libs, before, strict=True):
            setter(old)
