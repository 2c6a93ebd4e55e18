"""The kernels' float32 exp: accurate to 1 ulp, NaN-preserving, finite at the extremes; and
the kernel cache folder, one per version of the engine's sources."""

import os
import subprocess
import sys

import numpy as np
import pytest

from nnviz.engine import jit
from nnviz.engine.expf import exp, exp32
from nnviz.engine.jit import njit


@njit
def _exp_all(x, out, single):
    for e in range(x.shape[0]):
        out[e] = exp(x[e], single)


def _ulps(got, x):
    exact = np.exp(x.astype(np.float64))
    return np.abs(got.astype(np.float64) - exact) / np.spacing(exact.astype(np.float32))


def test_within_one_ulp_over_the_normal_range():
    x = np.linspace(-87.0, 88.0, 200_001, dtype=np.float32)
    out = np.empty_like(x)
    _exp_all(x, out, True)
    assert _ulps(out, x).max() <= 1.0


def test_exact_at_zero_and_small_integers():
    assert exp32(np.float32(0.0)) == 1.0
    for k in range(-20, 21):
        assert _ulps(np.array([exp32(np.float32(k))]), np.array([k], np.float32))[0] <= 1.0


@pytest.mark.parametrize(
    "x, check",
    [
        (np.nan, np.isnan),
        (-np.inf, lambda y: 0.0 < y < 2e-38),
        (-1000.0, lambda y: 0.0 < y < 2e-38),
        (1000.0, lambda y: np.isfinite(y) and y > 1e38),
    ],
)
def test_extremes_clamp_and_nan_stays_nan(x, check):
    assert check(exp32(np.float32(x)))


def test_float64_buffers_keep_numpy_exp():
    x = np.linspace(-700.0, 700.0, 10_001)
    out = np.empty_like(x)
    _exp_all(x, out, False)
    np.testing.assert_allclose(out, np.exp(x), rtol=5e-16)  # libm and numpy: within an ulp


def test_float32_exp_is_the_polynomial_not_libm():
    """The whole point: exp32 gives the same numbers compiled or not, so the JIT-off CI run
    checks the code the JIT runs."""
    x = np.array([0.1, -3.7, 12.5, -60.25], np.float32)
    out = np.empty_like(x)
    _exp_all(x, out, True)
    assert np.array_equal(out, np.array([exp32(v) for v in x], np.float32))


def test_cache_folder_changes_with_any_engine_source(tmp_path):
    for src in jit.Path(jit.__file__).parent.glob("*.py"):
        (tmp_path / src.name).write_bytes(src.read_bytes())
    before = jit.engine_fingerprint(tmp_path)
    assert before == jit.engine_fingerprint(jit.Path(jit.__file__).parent)
    kernels = tmp_path / "kernels.py"
    kernels.write_text(kernels.read_text() + "\n# changed\n")
    assert jit.engine_fingerprint(tmp_path) != before


def _cache_dir_chosen(env_dir):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["NUMBA_CACHE_DIR"] = str(env_dir)
    code = "import nnviz.engine.jit as j, numba; print(j.CACHE_DIR); print(numba.config.CACHE_DIR)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_a_given_cache_folder_gets_a_subfolder_per_engine_version(tmp_path):
    fingerprint = jit.engine_fingerprint()
    chosen, numba_reads = _cache_dir_chosen(tmp_path)
    assert chosen == str(tmp_path / fingerprint)
    assert numba_reads == str(tmp_path)  # numba's own setting, for other code, is untouched
    # a child process inherits the chosen folder and must not nest another in it
    assert _cache_dir_chosen(tmp_path / fingerprint)[0] == str(tmp_path / fingerprint)
