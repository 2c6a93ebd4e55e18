"""Every test process and its children share the warm kernel cache of this checkout.

nnviz.engine.jit chooses the cache folder when it is imported; child processes started by a
test that points HOME or XDG_CACHE_HOME elsewhere would otherwise compile every kernel again
(half a minute each). NUMBA_CACHE_DIR, set here for them, names the same folder.
"""

from __future__ import annotations

import os

import nnviz.engine.jit as jit

if jit.CACHE_DIR is not None:
    os.environ.setdefault("NUMBA_CACHE_DIR", str(jit.CACHE_DIR))
