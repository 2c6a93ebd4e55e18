"""exp for the kernels: a float32 polynomial that vectorises, np.exp for float64.

numba calls libm's scalar expf one element at a time (no vector maths library comes with the
llvmlite wheels), which made the sigmoid of a 100 × 100 batch cost as much as a small matmul.
The float32 version below is Cephes' expf (range reduction by ln 2, a degree-5 polynomial,
then 2ⁿ built in the exponent bits): within 1 ulp over its range, branch-free, so loops over
it vectorise. float64 buffers keep np.exp, as gradient checks compare them to 1e-6.
"""

import numpy as np

from nnviz.engine.jit import njit_inline

_F = np.float32
# Inputs are clamped to where 2ⁿ stays a normal float: exp(88.38) ≈ 2.4e38, exp(−87.34) ≈ 1.2e−38.
_HI = _F(88.3762626647949)
_LO = _F(-87.3365478515625)
_LOG2E = _F(1.44269504088896341)
# ln 2 split in two, so that n·ln 2 is subtracted without rounding error.
_LN2_HI = _F(0.693359375)
_LN2_LO = _F(-2.12194440e-4)
_P0 = _F(1.9875691500e-4)
_P1 = _F(1.3981999507e-3)
_P2 = _F(8.3334519073e-3)
_P3 = _F(4.1665795894e-2)
_P4 = _F(1.6666665459e-1)
_P5 = _F(5.0000001201e-1)
_HALF = _F(0.5)
_ONE = _F(1.0)


@njit_inline
def exp32(x):
    """e^x in float32 arithmetic, within 1 ulp on [−87.3, 88.4]; NaN stays NaN."""
    x = min(max(x, _LO), _HI)
    n = np.floor(x * _LOG2E + _HALF)
    r = x - n * _LN2_HI
    r = r - n * _LN2_LO
    poly = (((((_P0 * r + _P1) * r + _P2) * r + _P3) * r + _P4) * r + _P5) * (r * r) + r + _ONE
    k = np.int32(n) if n == n else np.int32(0)  # a NaN x has made poly NaN already
    return poly * np.int32((k + 127) << 23).view(np.float32)


@njit_inline
def exp(x, single):
    """e^x: exp32 when `single` (the caller's buffers are float32), else np.exp.

    Callers compute `single = v.itemsize == 4` once, outside their loop; the compiler then
    keeps one branch per loop, and the float32 loop vectorises.
    """
    return exp32(x) if single else np.exp(x)
