"""The JIT policy: the one module in nnviz that imports numba.

Every kernel is compiled with the same settings:
- cache=True: compile once per machine and engine version; later runs load the machine code
  from the cache (a folder per hash of the engine's sources, see engine_fingerprint).
- nogil=True: training runs in a thread of the explorer without freezing its interface.
- error_model="numpy": the default Python error model checks every division, which stops
  the optimizer loops from vectorising.
- fastmath off: results must match the textbook formulas and be reproducible.

It also gives the kernels a GEMM that accumulates (C = op(A)·op(B) + beta·C) through scipy's
BLAS, so reverse mode can add into a gradient buffer without a temporary, and the few atomic
and spin-wait primitives that let two threads share a training step (see team.py).
"""

import hashlib
import os
import shutil
from pathlib import Path

# Cache folders of other engine versions kept beside the current one (other installs may
# still use them); older ones are removed when a new version first compiles.
KEEP_OTHER_VERSIONS = 3


def _user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nnviz" / "numba"


def engine_fingerprint(folder: Path = Path(__file__).parent) -> str:
    """A hash of the engine's sources.

    numba checks a cached function against its own file only, not the files of the kernels
    it inlines: after an upgrade that changed kernels.py alone, interp.py's cached code would
    still run the old kernels. One cache folder per version of the sources rules that out.
    """
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _prune(root: Path, current: Path) -> None:
    others = [p for p in root.iterdir() if p.is_dir() and p != current]
    others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    for old in others[KEEP_OTHER_VERSIONS:]:
        shutil.rmtree(old, ignore_errors=True)


def _choose_cache_dir() -> Path | None:
    """<$NUMBA_CACHE_DIR or ~/.cache/nnviz/numba>/<engine fingerprint>, created."""
    given = os.environ.get("NUMBA_CACHE_DIR")
    root = Path(given) if given else _user_cache_dir()
    fingerprint = engine_fingerprint()
    # A child process inherits the folder chosen here: do not nest a second one in it.
    cache = root if root.name == fingerprint else root / fingerprint
    try:
        new = not cache.is_dir()
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    if new and not given:  # prune only nnviz's own folder, never one the user named
        _prune(root, cache)
    return cache


# numba cannot cache without a writable folder: point it at one before it reads its config.
CACHE_DIR = _choose_cache_dir()
if CACHE_DIR is not None:
    os.environ["NUMBA_CACHE_DIR"] = str(CACHE_DIR)

import numba  # noqa: E402
import numpy as np  # noqa: E402

if CACHE_DIR is not None:
    # numba may have been imported (and read its config) before nnviz was
    numba.config.CACHE_DIR = str(CACHE_DIR)

JIT_DISABLED = bool(numba.config.DISABLE_JIT)

# Below this many multiply-adds a hand loop beats a BLAS call's fixed cost.
BLAS_MIN_WORK = 0 if JIT_DISABLED else 16384


def njit(fn):
    """Compile `fn` with nnviz's JIT policy."""
    return numba.njit(cache=True, nogil=True, error_model="numpy", fastmath=False)(fn)


if JIT_DISABLED:

    def _rows(buf, off, rows, cols, ld):
        """A row-major rows × cols view of buf at off whose rows are ld elements apart."""
        step = buf.itemsize
        return np.lib.stride_tricks.as_strided(buf[off:], (rows, cols), (ld * step, step))

    def gemm_strided(trans_a, trans_b, m, n, k, a, a_off, lda, b, b_off, ldb, beta, c, c_off, ldc):
        """Row-major C[m×n] = op(A)[m×k]·op(B)[k×n] + beta·C on flat buffers at offsets,
        with consecutive rows of A, B and C lda, ldb, ldc elements apart."""
        A = _rows(a, a_off, k, m, lda).T if trans_a else _rows(a, a_off, m, k, lda)
        B = _rows(b, b_off, n, k, ldb).T if trans_b else _rows(b, b_off, k, n, ldb)
        C = _rows(c, c_off, m, n, ldc)
        if beta == 0.0:
            C[...] = A @ B
        else:
            C += A @ B

    # Without the JIT nothing runs a second thread (team.py); these keep the code runnable.
    def load_acquire(arr, i):
        return arr[i]

    def store_release(arr, i, value):
        arr[i] = value

    def cpu_relax():
        pass

    def yield_cpu():
        pass

else:
    import ctypes as _ctypes
    import platform as _platform

    import llvmlite.binding as _llvm
    from llvmlite import ir as _ir
    from numba import types as _types
    from numba.core import cgutils as _cgutils
    from numba.extending import get_cython_function_address as _cython_address
    from numba.extending import intrinsic as _intrinsic

    # The symbols are resolved by name when cached machine code is linked, so this stays
    # cacheable (a ctypes pointer baked into the code would not be).
    for _name in ("sgemm", "dgemm"):
        _llvm.add_symbol(f"nnviz_{_name}", _cython_address("scipy.linalg.cython_blas", _name))
    _sig = _types.void(*([_types.intp] * 13))
    _sgemm = _types.ExternalFunction("nnviz_sgemm", _sig)
    _dgemm = _types.ExternalFunction("nnviz_dgemm", _sig)
    _libc = _ctypes.CDLL(None)
    _llvm.add_symbol("nnviz_sched_yield", _ctypes.cast(_libc.sched_yield, _ctypes.c_void_p).value)
    yield_cpu = _types.ExternalFunction("nnviz_sched_yield", _types.int32())
    _X86 = _platform.machine().lower() in ("x86_64", "amd64", "i686", "i386")

    @njit
    def gemm_strided(trans_a, trans_b, m, n, k, a, a_off, lda, b, b_off, ldb, beta, c, c_off, ldc):
        """Row-major C[m×n] = op(A)[m×k]·op(B)[k×n] + beta·C on flat buffers at offsets,
        with consecutive rows of A, B and C lda, ldb, ldc elements apart.

        BLAS is column-major, so it computes Cᵀ = op(B)ᵀ·op(A)ᵀ.
        """
        ints = np.empty(6, np.int32)
        ints[0] = n
        ints[1] = m
        ints[2] = k
        ints[3] = ldb
        ints[4] = lda
        ints[5] = ldc
        scalars = np.empty(2, c.dtype)
        scalars[0] = 1.0
        scalars[1] = beta
        flags = np.empty(2, np.uint8)
        flags[0] = 84 if trans_b else 78  # 'T' / 'N'
        flags[1] = 84 if trans_a else 78
        size = c.itemsize
        fl, it, sc = flags.ctypes.data, ints.ctypes.data, scalars.ctypes.data
        pa = a.ctypes.data + a_off * size
        pb = b.ctypes.data + b_off * size
        pc = c.ctypes.data + c_off * size
        if size == 4:
            _sgemm(
                fl, fl + 1, it, it + 4, it + 8, sc, pb, it + 12, pa, it + 16, sc + size, pc, it + 20
            )
        else:
            _dgemm(
                fl, fl + 1, it, it + 4, it + 8, sc, pb, it + 12, pa, it + 16, sc + size, pc, it + 20
            )
        # Returning the argument arrays keeps them alive until BLAS has read them.
        return flags, ints, scalars

    def _slot_pointer(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        return _cgutils.get_item_pointer(context, builder, sig.args[0], ary, [args[1]])

    @_intrinsic
    def load_acquire(typingctx, arr, i):
        """arr[i] of an int64 array, read once (never hoisted out of a wait loop) and
        ordered before the reads that follow it."""
        sig = _types.int64(arr, i)

        def codegen(context, builder, sig, args):
            return builder.load_atomic(_slot_pointer(context, builder, sig, args), "acquire", 8)

        return sig, codegen

    @_intrinsic
    def store_release(typingctx, arr, i, value):
        """arr[i] = value on an int64 array, after every write that precedes it."""
        sig = _types.void(arr, i, _types.int64)

        def codegen(context, builder, sig, args):
            ptr = _slot_pointer(context, builder, sig, args)
            builder.store_atomic(args[2], ptr, "release", 8)
            return context.get_dummy_value()

        return sig, codegen

    @_intrinsic
    def cpu_relax(typingctx):
        """The x86 pause hint of a spin-wait loop (LLVM's own; no inline assembly here)."""
        sig = _types.void()

        def codegen(context, builder, sig, args):
            if _X86:
                fn = _cgutils.get_or_insert_function(
                    builder.module, _ir.FunctionType(_ir.VoidType(), []), "llvm.x86.sse2.pause"
                )
                builder.call(fn, [])
            return context.get_dummy_value()

        return sig, codegen
