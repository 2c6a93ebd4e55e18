"""The JIT policy: the one module in nnviz that imports numba.

Every kernel is compiled with the same settings:
- cached on disk: compile once per machine and engine version; later runs load the machine
  code from the cache (a folder per hash of the engine's sources, see engine_fingerprint).
  Only nnviz's kernels use that folder: numba's configuration (NUMBA_CACHE_DIR for other
  numba code in the process) is left alone. No writable folder: no disk cache, said once.
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
import sys
import tempfile
from pathlib import Path

import numba
import numpy as np
from numba.core import caching as _caching

from nnviz.dirs import user_cache_root

# Cache folders of other engine versions kept beside the current one (other installs may
# still use them); older ones are removed when a new version first compiles.
KEEP_OTHER_VERSIONS = 3


def _user_cache_dir() -> Path:
    return user_cache_root() / "numba"


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


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError:
        return False
    return True


def _choose_cache_dir() -> tuple[Path | None, Path]:
    """(<$NUMBA_CACHE_DIR or the user cache>/<engine fingerprint>, created; or None when it
    cannot be written) and the root it was looked for in."""
    given = os.environ.get("NUMBA_CACHE_DIR")
    root = Path(given) if given else _user_cache_dir()
    fingerprint = engine_fingerprint()
    # A folder named by the fingerprint is this version's already: do not nest a second one.
    cache = root if root.name == fingerprint else root / fingerprint
    new = not cache.is_dir()
    if not _writable(cache):
        return None, root
    if new and not given:  # prune only nnviz's own folder, never one the user named
        _prune(root, cache)
    return cache, root


# The kernels' cache folder. Only nnviz's own kernels are cached there (see _KernelCache):
# numba's configuration, and so the cache of other numba code in the same process, is left
# as it is.
CACHE_DIR, _CACHE_ROOT = _choose_cache_dir()

# Notices (a first compile, a cache that cannot be used) go here, once each per process:
# one line for the user. A front end may replace it; the default writes to stderr.
_noticed: set[str] = set()


def _stderr_notice(text: str) -> None:
    stream = sys.stderr
    if stream is None:
        return
    try:
        stream.write(f"nnviz: {text}\n")
        stream.flush()
    except (OSError, ValueError):
        pass


on_notice = _stderr_notice


def notice(key: str, text: str) -> None:
    """Tell the user `text` once per process (per key)."""
    if key not in _noticed:
        _noticed.add(key)
        on_notice(text)


def _announce_compile() -> None:
    if CACHE_DIR is None:
        notice("compile", "compiling the engine's kernels (no cache "
                          "folder, so on every run)")  # fmt: skip
    else:
        notice("compile", f"compiling the engine's kernels for this network, once (later "
                          f"runs load them from {CACHE_DIR})")  # fmt: skip


class _KernelLocator(_caching._SourceFileBackedLocatorMixin, _caching._CacheLocator):
    """numba's own locators, but always into CACHE_DIR (per source folder, as numba does)."""

    def __init__(self, py_func, py_file):
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = str(CACHE_DIR / self.get_suitable_cache_subpath(py_file))

    def get_cache_path(self):
        return self._cache_path


class _KernelCacheImpl(_caching.CompileResultCacheImpl):
    _locator_classes = [_KernelLocator]


class _KernelCache(_caching.FunctionCache):
    """The disk cache of one nnviz kernel.

    A broken cache file (a truncated index, say, after a full disk or a kill) is ignored and
    named once; the kernel compiles and its entry is written anew. A miss announces the
    compile once per process, so a log or a CI job does not look hung.
    """

    _impl_class = _KernelCacheImpl

    def load_overload(self, sig, target_context):
        try:
            data = super().load_overload(sig, target_context)
        except Exception as exc:  # numba reads its index with pickle: anything can come out
            self._broken(exc)
            data = None
        if data is None:
            _announce_compile()
        return data

    def save_overload(self, sig, data):
        try:
            super().save_overload(sig, data)
        except Exception:
            # the broken index is read again before it is rewritten: remove it, try once more
            try:
                os.unlink(self._cache_file._index_path)
                super().save_overload(sig, data)
            except Exception:
                pass  # the run goes on without this entry on disk; it was named already

    def _broken(self, exc: Exception) -> None:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        notice("broken-cache", f"ignoring a broken kernel cache in {self.cache_path} "
                               f"({type(exc).__name__}: {reason}); the kernels compile again "
                               f"(deleting that folder clears it)")  # fmt: skip


class _NoDiskCache(_caching.NullCache):
    """No writable folder: every run compiles; the first compile is still announced."""

    def load_overload(self, sig, target_context):
        _announce_compile()


if CACHE_DIR is None and not numba.config.DISABLE_JIT:
    notice("no-cache", f"no writable folder for the kernel cache ({_CACHE_ROOT}); running "
                       f"without it (set NUMBA_CACHE_DIR to a writable folder to keep the "
                       f"compiled kernels)")  # fmt: skip

JIT_DISABLED = bool(numba.config.DISABLE_JIT)

# Below this many multiply-adds a hand loop beats a BLAS call's fixed cost.
BLAS_MIN_WORK = 0 if JIT_DISABLED else 16384


def njit(fn):
    """Compile `fn` with nnviz's JIT policy; cached on disk in CACHE_DIR (see _KernelCache)."""
    dispatcher = numba.njit(nogil=True, error_model="numpy", fastmath=False)(fn)
    if not JIT_DISABLED:
        dispatcher._cache = _KernelCache(fn) if CACHE_DIR is not None else _NoDiskCache()
    return dispatcher


def _cython_blas():
    """scipy.linalg.cython_blas, loaded without running scipy.linalg's package __init__
    (which imports all of scipy.linalg: 11 MB of memory the engine never uses)."""
    import importlib.util

    name = "scipy.linalg.cython_blas"
    if name in sys.modules:
        return sys.modules[name]
    linalg = Path(importlib.util.find_spec("scipy").origin).parent / "linalg"
    for path in sorted(linalg.glob("cython_blas*")):
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is not None and spec.loader is not None and path.suffix in (".so", ".pyd"):
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    return importlib.import_module(name)  # an unusual layout: the ordinary import


def _blas_address(function: str) -> int:
    """The address of a BLAS function that scipy exports to Cython (as a PyCapsule)."""
    import ctypes

    capsule = _cython_blas().__pyx_capi__[function]
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return get_pointer(capsule, get_name(capsule))


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
    from numba.extending import intrinsic as _intrinsic

    # The symbols are resolved by name when cached machine code is linked, so this stays
    # cacheable (a ctypes pointer baked into the code would not be).
    for _name in ("sgemm", "dgemm"):
        _llvm.add_symbol(f"nnviz_{_name}", _blas_address(_name))
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
