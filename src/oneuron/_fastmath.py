r"""``exp`` and ``log1p`` as straight-line arithmetic, so that the compiled kernels' row loops vectorize.

A call to the C library's ``exp`` or ``log1p`` is opaque to the compiler: a loop over rows that calls them runs
one row at a time. These two are a range reduction and a polynomial (no branch, no table), which LLVM turns
into SIMD code over several rows at once. Both are within about one unit in the last place of the library
functions on the ranges the kernels use (tested in ``tests/test_kernels.py``).

``exp(x)`` for ``x <= 0`` (the kernels only ever take ``exp(-|z|)``): with ``k = round(x / ln 2)`` and
``r = x - k ln 2`` (``|r| <= ln(2) / 2``, ``ln 2`` in two parts so that ``k ln 2`` is exact),

.. math::

    e^x = 2^k e^r,\qquad e^r \approx \sum_{i=0}^{13} r^i / i!

(the first neglected term is below ``4e-18`` relative), and ``2^k = 2^{k_1} 2^{k_2}`` with ``k_1 = \lfloor k/2
\rfloor`` so that each factor is a normal number built from its exponent bits, down to ``x = -746`` (below,
the result is 0 as for the library's ``exp``).

``log1p(e)`` for ``0 <= e <= 1`` (the softplus term ``log(1 + e^{-|z|})``): with ``s = e / (2 + e) <= 1/3``,

.. math::

    \log(1 + e) = 2 \operatorname{artanh}(s) = 2 \sum_{n=0}^{17} \frac{s^{2n+1}}{2n + 1}

(the first neglected term is below ``2e-19`` relative).

Without numba these are the library functions (the kernels are not used then).
"""

from __future__ import annotations

import math

import numpy as np

try:  # numba is a dependency, but everything also runs without it (on NumPy)
    import numba
    from numba import types
    from numba.extending import intrinsic
except ImportError:  # pragma: no cover - exercised only without the extra
    numba = None

_LN2_HI = 6.93147180369123816490e-01  # ln 2 rounded to 32 bits: k * _LN2_HI is exact for |k| < 2**20
_LN2_LO = 1.90821492927058770002e-10  # ln 2 - _LN2_HI
_INV_LN2 = 1.4426950408889634
_EXP_FLOOR = -746.0  # exp(-746) is below half the smallest subnormal: 0
_TINY_S = 1e-100  # below, s^2 would be subnormal (slow on x86) and the series is s itself

# 1/i! for i = 13, 12, ..., 0 (Horner's order)
_E13, _E12, _E11, _E10, _E9, _E8, _E7, _E6, _E5, _E4, _E3, _E2, _E1, _E0 = (
    1.0 / math.factorial(i) for i in range(13, -1, -1)
)
# 2 / (2n + 1) for n = 17, 16, ..., 0 (Horner's order in s^2)
(_L17, _L16, _L15, _L14, _L13, _L12, _L11, _L10, _L9, _L8, _L7, _L6, _L5, _L4, _L3, _L2, _L1, _L0) = (
    2.0 / (2 * n + 1) for n in range(17, -1, -1)
)


def _jit(fn):
    # fused multiply-adds, but no ``reassoc``: the reduction ``(x - k ln2_hi) - k ln2_lo`` must keep its order
    # (the instructions keep these flags when inlined into a kernel compiled with ``reassoc``)
    if numba is None:  # pragma: no cover
        return fn
    return numba.njit(nogil=True, cache=True, fastmath={"contract"}, error_model="numpy")(fn)


if numba is not None:

    @intrinsic
    def _bits_as_float(typingctx, bits):
        """The float64 whose bit pattern is the int64 ``bits`` (no conversion: a bitcast)."""

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.float64))

        return types.float64(types.int64), codegen

    @_jit
    def _power_of_two(k):
        """``2.0 ** k`` for an integer ``-1022 <= k <= 1023``, from its exponent bits."""
        return _bits_as_float((k + 1023) << 52)

    @_jit
    def exp(x):
        """``e ** x`` for ``x <= 0``, as ``math.exp`` to about one unit in the last place (NaN stays NaN)."""
        x = max(x, _EXP_FLOOR)
        k = np.floor(x * _INV_LN2 + 0.5)
        r = (x - k * _LN2_HI) - k * _LN2_LO
        p = _E13
        p = p * r + _E12
        p = p * r + _E11
        p = p * r + _E10
        p = p * r + _E9
        p = p * r + _E8
        p = p * r + _E7
        p = p * r + _E6
        p = p * r + _E5
        p = p * r + _E4
        p = p * r + _E3
        p = p * r + _E2
        p = p * r + _E1
        p = p * r + _E0
        k1 = int(k) >> 1
        return p * _power_of_two(k1) * _power_of_two(int(k) - k1)

    @_jit
    def log1p(e):
        """``log(1 + e)`` for ``0 <= e <= 1``, as ``math.log1p`` to about two units in the last place (a
        subnormal ``e`` may come out as 0)."""
        s = e / (2.0 + e)
        s2 = s * s if s > _TINY_S else 0.0
        p = _L17
        p = p * s2 + _L16
        p = p * s2 + _L15
        p = p * s2 + _L14
        p = p * s2 + _L13
        p = p * s2 + _L12
        p = p * s2 + _L11
        p = p * s2 + _L10
        p = p * s2 + _L9
        p = p * s2 + _L8
        p = p * s2 + _L7
        p = p * s2 + _L6
        p = p * s2 + _L5
        p = p * s2 + _L4
        p = p * s2 + _L3
        p = p * s2 + _L2
        p = p * s2 + _L1
        p = p * s2 + _L0
        return s * p

else:  # pragma: no cover - without numba the kernels are not used
    exp = math.exp
    log1p = math.log1p
