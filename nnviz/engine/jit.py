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
- no reference counting: a kernel borrows its arrays from its caller (see njit); the few
  that allocate say so (njit_allocating), and the small helpers are inlined (njit_inline).

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
            if MODES.forbid_compile:
                raise KernelNotCached(self._name)
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


def njit(fn, *, inline: bool = False, allocates: bool = False):
    """Compile `fn` with nnviz's JIT policy; cached on disk in CACHE_DIR (see _KernelCache).

    A kernel borrows its arrays from its caller: it is compiled without numba's reference
    counting (NRT), whose atomic count changes on every array argument cost a tiny network
    more than its arithmetic (about 30 ns a call: xor's step was half bookkeeping). So it may
    neither allocate an array nor return one (Kernel.add_overload refuses a kernel that
    returns one). A kernel that allocates is marked `allocates` (njit_allocating) and counts.
    """
    options = {"inline": "always"} if inline else {}
    options["_nrt"] = allocates  # said either way: a kernel called by another takes its flags
    dispatcher = numba.njit(nogil=True, error_model="numpy", fastmath=False, **options)(fn)
    if not JIT_DISABLED:
        dispatcher._cache = _KernelCache(fn) if CACHE_DIR is not None else _NoDiskCache()
        dispatcher.__class__ = Kernel
        dispatcher.borrows = not allocates
        KERNELS[kernel_name(dispatcher)] = dispatcher
    return dispatcher


def njit_allocating(fn):
    """njit for a kernel that allocates arrays (scratch, or an array it returns): numba
    counts their references. A kernel that calls it and takes an array back allocates too."""
    return njit(fn, allocates=True)


def njit_inline(fn):
    """njit, and compiled into each kernel that calls it rather than called: for the small
    helpers and the per-step parts of the training loop, whose calls would cost more than
    their work. Called from Python, it is an ordinary kernel."""
    return njit(fn, inline=True)


# ====================================================================== two ways to run
# A kernel runs either as machine code (numba's dispatcher) or as plain Python: its own
# source, with every kernel it calls swapped for that kernel's Python twin. The explorer
# steps on the Python path while a child process fills the cache (nnviz.warmup), then loads
# the machine code. Both paths compute the same bits: the kernels take their constants'
# dtype from the buffers (numba widens f32 * 0.5 to float64, numpy does not), and the few
# things numba lowers to something else get a Python stand-in with the same arithmetic
# (the BLAS calls go to the same BLAS through ctypes; see _STAND_INS).


class KernelNotCached(RuntimeError):
    """A kernel's machine code is not in the cache, and this process may not compile it."""


class _Modes:
    python = False  # run every kernel as plain Python
    forbid_compile = False  # load machine code from the cache only (a miss raises)
    fallback = False  # with forbid_compile: a kernel not in the cache runs as Python
    recording: dict | None = None  # (kernel, signature) of each call from outside the kernels


MODES = _Modes()
KERNELS: dict = {}  # "module.function" → Kernel


def kernel_name(dispatcher) -> str:
    fn = dispatcher.py_func
    return f"{fn.__module__}.{fn.__qualname__}"


if JIT_DISABLED:
    Kernel = None
else:
    from numba.core.registry import CPUDispatcher as _CPUDispatcher

    class Kernel(_CPUDispatcher):
        """A numba dispatcher that runs as Python when MODES.python is set (see above).

        Only calls from outside the kernels come through here: the Python twins call each
        other directly.
        """

        _twin = None
        borrows = True

        def add_overload(self, cres):
            if self.borrows and _holds_array(cres.signature.return_type):
                raise TypeError(
                    f"{kernel_name(self)} returns an array but borrows its arrays (it is "
                    f"compiled without reference counting): mark it njit_allocating"
                )
            super().add_overload(cres)

        def __call__(self, *args):
            modes = MODES
            if modes.recording is not None:
                sig = self._signature_of(args)
                modes.recording.setdefault((kernel_name(self), sig), (self, sig))
            if modes.python:
                with np.errstate(all="ignore"):  # the machine code warns of nothing either
                    return self.python(*args)
            try:
                return super().__call__(*args)
            except KernelNotCached:
                if not modes.fallback:
                    raise
                notice("not-cached", f"{kernel_name(self)} is not in the kernel cache; it "
                                     f"runs as Python in this process")  # fmt: skip
                with np.errstate(all="ignore"):
                    return self.python(*args)

        def _signature_of(self, args) -> tuple:
            """The argument types numba compiles this call for (defaults as Omitted)."""
            import inspect

            given = [self.typeof_pyval(a) for a in args]
            params = list(inspect.signature(self.py_func).parameters.values())
            given += [numba.types.Omitted(p.default) for p in params[len(args) :]]
            return tuple(given)

        @property
        def python(self):
            """This kernel as plain Python (made on first use)."""
            if self._twin is None:
                self._twin = _python_twin(self)
            return self._twin


def _holds_array(t) -> bool:
    if isinstance(t, numba.types.Array):
        return True
    return isinstance(t, numba.types.BaseTuple) and any(_holds_array(x) for x in t.types)


def _python_twin(kernel):
    """The kernel's source, compiled again as Python with numba's typing of constants: a
    float literal is a float64 that does not give way to float32 (numba: f32 * 0.5 is a
    float64; numpy: a float32), and min, max, float and the math functions behave as
    numba lowers them (_NumbaMath)."""
    import ast
    import inspect
    import textwrap

    fn = kernel.py_func
    source = textwrap.dedent(inspect.getsource(fn))
    tree = ast.parse(source)
    tree.body[0].decorator_list = []
    tree = ast.fix_missing_locations(_StrongFloats().visit(tree))
    ast.increment_lineno(tree, fn.__code__.co_firstlineno - 1)
    namespace = _twin_globals(fn.__globals__)
    namespace.update(_FLOAT_CONSTANTS)
    code = compile(tree, fn.__code__.co_filename, "exec")
    scratch: dict = {}
    exec(code, namespace, scratch)  # noqa: S102 (nnviz's own kernel source)
    twin = scratch[fn.__name__]
    twin.__defaults__ = fn.__defaults__
    return twin


class _StrongFloats(__import__("ast").NodeTransformer):
    def visit_Constant(self, node):
        import ast

        if type(node.value) is float:
            name = f"_nnviz_f64_{np.float64(node.value).view(np.uint64):x}"
            _FLOAT_CONSTANTS[name] = np.float64(node.value)
            return ast.copy_location(ast.Name(name, ast.Load()), node)
        return node

    def visit_BinOp(self, node):
        import ast

        self.generic_visit(node)
        if isinstance(node.op, ast.Pow):
            call = ast.Call(ast.Name("_nnviz_pow", ast.Load()), [node.left, node.right], [])
            return ast.copy_location(call, node)
        return node


_FLOAT_CONSTANTS: dict = {}


def _promoted(args):
    args = [np.int64(a) if type(a) is int else np.float64(a) if type(a) is float else a
            for a in args]  # fmt: skip
    kind = np.result_type(*args).type
    return [kind(a) for a in args]


def _numba_float(x):
    """numba's float(): a float32 stays a float32 (numba types float() of a real as the same
    real), anything else becomes a float64."""
    return x if isinstance(x, np.float32) else np.float64(x)


def _numba_pow(a, b):
    """a ** b as numba computes it: a float to an integer power by repeated squaring (numba's
    int_power), a float to a float power by libm's pow."""
    integers = (int, np.integer)
    if isinstance(b, integers) and isinstance(a, integers):
        return a**b
    if isinstance(b, integers):
        kind = np.float64 if type(a) is float else type(a)
        result, a = kind(1), kind(a)
        invert, e = b < 0, abs(int(b))
        if e > 0x10000:
            return kind(_MATH_TWIN.pow(np.float64(a), np.float64(b)))
        while e:
            if e & 1:
                result = kind(result * a)
            e >>= 1
            a = kind(a * a)
        return kind(1) / result if invert else result
    a, b = _promoted([a, b])
    return _NUMPY_TWIN.pow(a, b)


def _numba_max(*args):
    """numba's max(a, b, …): the operands unified to one type, then Python's rule."""
    if len(args) == 2 and type(args[0]) is type(args[1]) and type(args[0]) is not int:
        a, b = args
        return b if b > a else a
    args = _promoted(args)
    best = args[0]
    for a in args[1:]:
        if a > best:
            best = a
    return best


def _numba_min(*args):
    if len(args) == 2 and type(args[0]) is type(args[1]) and type(args[0]) is not int:
        a, b = args
        return b if b < a else a
    args = _promoted(args)
    best = args[0]
    for a in args[1:]:
        if a < best:
            best = a
    return best


class _NumbaMath:
    """math and numpy's scalar functions as numba lowers them: libm's function for the
    argument's precision (expf for a float32, exp for a float64), no exceptions (log(0) is
    −inf, as in the machine code)."""

    def __init__(self, base):
        import ctypes
        import ctypes.util

        self._base = base
        self._libm = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6")
        self._made: dict = {}

    def _libm_function(self, name: str, single: bool):
        import ctypes

        key = (name, single)
        if key not in self._made:
            c_type = ctypes.c_float if single else ctypes.c_double
            function = getattr(self._libm, name + ("f" if single else ""))
            function.restype, function.argtypes = c_type, [c_type]
            kind = np.float32 if single else np.float64

            def call(x, function=function, kind=kind):
                if isinstance(x, np.ndarray):
                    out = np.empty(x.shape, kind)
                    for index, item in np.ndenumerate(x):
                        out[index] = function(float(item))
                    return out
                return kind(function(float(x)))

            self._made[key] = call
        return self._made[key]

    def _pow(self, x, y):
        import ctypes

        single = isinstance(x, np.float32) and isinstance(y, np.float32)
        c_type, kind = (ctypes.c_float, np.float32) if single else (ctypes.c_double, np.float64)
        function = self._libm.powf if single else self._libm.pow
        function.restype, function.argtypes = c_type, [c_type, c_type]
        return kind(function(float(x), float(y)))

    def __getattr__(self, name):
        if name in ("pow", "power"):
            return self._pow
        if name in _LIBM_NAMES:
            single_call = self._libm_function(name, True)
            double_call = self._libm_function(name, False)

            def call(x):
                single = isinstance(x, np.float32 | np.ndarray) and x.dtype == np.float32
                return single_call(x) if single else double_call(x)

            setattr(self, name, call)
            return call
        value = getattr(self._base, name)
        setattr(self, name, value)  # looked up once: the twins run in tight loops
        return value


# the functions numba lowers to a libm call (llvm.exp → exp/expf …); sqrt, floor, fabs are
# exact in every implementation and stay as they are
_LIBM_NAMES = frozenset(("exp", "log", "log1p", "expm1", "tanh", "tan", "sin", "cos", "log2",
                         "log10", "atan", "sinh", "cosh"))  # fmt: skip


_twin_dicts: dict[int, dict] = {}


def _twin_globals(namespace: dict) -> dict:
    """A copy of a module's namespace for the Python twins: its kernels replaced by their
    twins, the engine modules it names by twin modules, numba's intrinsics by stand-ins."""
    import types

    key = id(namespace)
    if key in _twin_dicts:
        return _twin_dicts[key]
    twin = dict(namespace)
    _twin_dicts[key] = twin  # before the loop: kernels of one module call each other
    twin.update(min=_numba_min, max=_numba_max, float=_numba_float, _nnviz_pow=_numba_pow)
    for name, value in namespace.items():
        if type(value) is float:  # a module constant: a float64 to numba
            twin[name] = np.float64(value)
        elif value is np:
            twin[name] = _NUMPY_TWIN
        elif name == "math" and isinstance(value, types.ModuleType):
            twin[name] = _MATH_TWIN
        if Kernel is not None and isinstance(value, Kernel):
            twin[name] = value.python
        elif isinstance(value, types.ModuleType) and value.__name__.startswith("nnviz.engine"):
            module = types.ModuleType(value.__name__)
            module.__dict__.update(_twin_globals(value.__dict__))
            twin[name] = module
        elif id(value) in _PY_INTRINSICS:
            twin[name] = _PY_INTRINSICS[id(value)]
    return twin


class python_kernels:
    """Within this block (process-wide), every kernel runs as plain Python."""

    def __enter__(self):
        self._was = MODES.python
        MODES.python = True
        return self

    def __exit__(self, *exc):
        MODES.python = self._was


class recording_calls:
    """Within this block, note the (kernel, signature) of every call into a kernel from
    outside the kernels; `.calls` lists them in the order first seen."""

    def __enter__(self):
        self._was = MODES.recording
        MODES.recording = {}
        return self

    def __exit__(self, *exc):
        self.calls = list(MODES.recording.values())
        MODES.recording = self._was


def forbid_compiling(fallback: bool) -> None:
    """From now on this process only loads machine code from the cache: a kernel that is not
    there raises KernelNotCached, or, with `fallback`, runs as Python (said once)."""
    MODES.forbid_compile = True
    MODES.fallback = fallback


def compile_kernel(kernel, sig) -> None:
    """Compile (or load from the cache) one kernel for one signature."""
    kernel.compile(sig)


def signature_text(sig) -> str:
    """A signature as text another process can read back (signature_from_text)."""
    import base64
    import pickle

    return base64.b64encode(pickle.dumps(sig)).decode()


def signature_from_text(text: str):
    import base64
    import pickle

    # our own child process wrote it (nnviz.warmup), never a file from elsewhere
    return pickle.loads(base64.b64decode(text))  # noqa: S301


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

    def prefetch_write(arr, i, j):
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

    @njit_allocating
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
        # Reading the argument arrays after the call keeps them alive until BLAS has read
        # them (returning them would hand a borrowing caller references it never gives back).
        return int(ints[5]) + int(flags[0]) + int(scalars[0])

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

    @_intrinsic
    def prefetch_write(typingctx, arr, i, j):
        """A hint that arr[i, j] (a 2-D array) is about to be written: its cache line is
        fetched ahead, so the write does not wait for it (LLVM's prefetch; no fault beyond
        the array, nothing changes)."""
        sig = _types.void(arr, i, j)

        def codegen(context, builder, sig, args):
            ary = context.make_array(sig.args[0])(context, builder, args[0])
            ptr = _cgutils.get_item_pointer(context, builder, sig.args[0], ary, [args[1], args[2]])
            if getattr(ptr.type, "is_opaque", False):
                name = "llvm.prefetch.p0"
            else:  # LLVM before opaque pointers takes an i8*
                ptr = builder.bitcast(ptr, _ir.IntType(8).as_pointer())
                name = "llvm.prefetch.p0i8"
            i32 = _ir.IntType(32)
            fnty = _ir.FunctionType(_ir.VoidType(), [ptr.type, i32, i32, i32])
            fn = _cgutils.get_or_insert_function(builder.module, fnty, name)
            write, locality, data = (_ir.Constant(i32, v) for v in (1, 3, 1))
            builder.call(fn, [ptr, write, locality, data])
            return context.get_dummy_value()

        return sig, codegen

    def _blas_through_ctypes(function: str):
        """The BLAS function the kernels call, callable from Python with the same addresses."""
        proto = _ctypes.CFUNCTYPE(None, *([_ctypes.c_void_p] * 13))
        call = proto(_blas_address(function))

        def gemm(*addresses):
            call(*(int(a) for a in addresses))

        return gemm

    def _py_load_acquire(arr, i):
        return arr[i]

    def _py_store_release(arr, i, value):
        arr[i] = value

    def _py_pass():
        pass

    # numba's intrinsics and external functions have no Python body: what the twins call
    _PY_INTRINSICS = {
        id(_sgemm): _blas_through_ctypes("sgemm"),
        id(_dgemm): _blas_through_ctypes("dgemm"),
        id(load_acquire): _py_load_acquire,
        id(store_release): _py_store_release,
        id(cpu_relax): _py_pass,
        id(prefetch_write): lambda arr, i, j: None,
        id(yield_cpu): lambda: 0,
    }

_NUMPY_TWIN = _NumbaMath(np)
_MATH_TWIN = _NumbaMath(__import__("math"))
if JIT_DISABLED:
    _PY_INTRINSICS = {}
