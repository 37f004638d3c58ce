"""Compiled one-pass kernels: the neuron's block sums (``neuron.py``) with each row of X read once.

``neuron.binary_loss_grad`` reads a block twice, ``z = X @ w`` and then ``X.T @ r``. The kernels here walk
the rows once: for row ``x_i``::

    z_i = x_i . w + b                                   (read x_i)
    loss += s_i (softplus(z_i) - y_i z_i)
    r_i = s_i (sigmoid(z_i) - y_i)
    grad += r_i x_i                                     (x_i is still in L1 cache)

and the softmax head does the same with K dot products per row, on tiles of eight rows (a small matrix
product per tile; see the section on the softmax head's dense rows). All arithmetic is float64 whatever the
dtype of X (a float32 row is widened as it is read), so float32 data loses nothing but its own rounding.
Kernels release the GIL (``nogil``), so blocks run in parallel on threads.

The kernels are an optimization of the same math and are tested equal to ``neuron.py``. They are compiled
with numba (a dependency of oneuron, which also runs without it); without numba :data:`AVAILABLE` is False
and the objective uses ``neuron.py`` everywhere.

Compilation flags: ``reassoc`` and ``contract`` only (no ``nnan``/``ninf``), so that the dot products can
use SIMD lanes and fused multiply-adds; the softmax tiles' exponential, whose range reduction must keep its
order, has ``contract`` only. The order of the sums depends only on the block, never on the thread that runs
it: results are the same for any number of threads.

Sums whose order is fixed. ``reassoc`` lets LLVM turn a summing loop into SIMD lanes, and where that loop also
stores to an array that might overlap the ones it reads, LLVM keeps a scalar copy of the loop and picks one
of the two at run time by comparing addresses. The two add in different orders, so the sum would depend on
where the allocator put the arrays. An optional output passed as a zero-length placeholder (``h``, ``P``)
is the dangerous case: the check spans the rows it would have, which start wherever the placeholder's
pointer is, so they may cover the kernel's own buffers or ``y``, ``s`` (a fit's last bits, and then the
path of a solver's line search, would depend on earlier allocations in the process). Rule: a loop that adds
into a scalar stores only to the kernel's own buffers (allocated in it, so they cannot overlap an argument);
optional outputs are written in loops of their own, which only copy or multiply.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp

try:  # numba is a dependency, but everything also runs without it (on NumPy)
    import numba
except ImportError:  # pragma: no cover - exercised only without the extra
    numba = None

from oneuron._fastmath import exp, log1p

AVAILABLE = numba is not None
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _jit(fn):
    if numba is None:  # pragma: no cover
        return fn
    return numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"}, error_model="numpy")(fn)


def jit_integer(fn):
    """Compiled without fastmath (integer arithmetic, for other modules' small kernels); as is without numba."""
    if numba is None:  # pragma: no cover
        return fn
    return numba.njit(nogil=True, cache=True)(fn)


# ----------------------------------------------------------------------------------------------------------
# Inlined helpers and memory hints.
# ----------------------------------------------------------------------------------------------------------
def _jit_inline(fn):
    # inlined into the caller by numba: no call, and no reference counting of the array arguments per tile
    if numba is None:  # pragma: no cover
        return fn
    return numba.njit(nogil=True, cache=True, fastmath={"reassoc", "contract"}, error_model="numpy", inline="always")(
        fn
    )


if numba is not None:
    from llvmlite import ir as _ir
    from numba.core import cgutils as _cgutils

    @numba.extending.intrinsic
    def _prefetch(typingctx, arr, offset):
        """Hint the CPU to fetch the cache line at byte ``offset`` of ``arr``'s data (``llvm.prefetch``: a
        hint, it never faults, whatever the address)."""
        sig = numba.types.void(arr, numba.types.intp)

        def codegen(context, builder, signature, args):
            ary = context.make_array(signature.args[0])(context, builder, args[0])
            i8p = _ir.IntType(8).as_pointer()
            i32 = _ir.IntType(32)
            ptr = builder.gep(builder.bitcast(ary.data, i8p), [args[1]])
            fn_type = _ir.FunctionType(_ir.VoidType(), [i8p, i32, i32, i32])
            fn = _cgutils.get_or_insert_function(builder.module, fn_type, "llvm.prefetch.p0")
            builder.call(fn, [ptr, i32(0), i32(3), i32(1)])  # read, keep in all cache levels, data
            return context.get_dummy_value()

        return sig, codegen

    @numba.extending.intrinsic
    def _in_place(typingctx, arr):
        """True (a constant of the compiled code) when the tiles read ``arr``'s rows where they are: float64
        rows; float32 rows are widened into a float64 tile first."""
        sig = numba.types.boolean(arr)
        answer = arr.dtype == numba.types.float64

        def codegen(context, builder, signature, args):
            return context.get_constant(numba.types.boolean, answer)

        return sig, codegen

else:  # pragma: no cover

    def _prefetch(arr, offset):
        pass

    def _in_place(arr):
        return arr.dtype == np.float64


@_jit_inline
def _prefetch_rows(X, a, b):
    """Ask for rows ``a:b`` of ``X`` (clipped to its rows) to be brought into cache, one hint per 64-byte line.

    A tile's arithmetic is long enough for the next tile's rows to arrive meanwhile; without the hints the
    rows come when the tile is copied, one cache miss after another, and the memory latency adds to the
    arithmetic instead of overlapping it.
    """
    n, d = X.shape
    row = d * X.itemsize
    for off in range(min(a, n) * row, min(b, n) * row, 64):
        _prefetch(X, off)


# ----------------------------------------------------------------------------------------------------------
# Scalar pieces (as neuron.softplus / neuron.sigmoid: exp only ever sees non-positive numbers; _fastmath's exp
# and log1p are polynomials, so loops over rows of them vectorize).
# ----------------------------------------------------------------------------------------------------------
@_jit
def _sigmoid(z):
    e = exp(-abs(z))
    q = 1.0 / (1.0 + e)
    return q if z >= 0 else e * q


# ----------------------------------------------------------------------------------------------------------
# Binary head, dense rows. X (n, d) C-contiguous; y, s (n,); w (d,) float64; b float.
# ----------------------------------------------------------------------------------------------------------
@_jit_inline
def _binary_terms(z, y, s):
    """Loss ``s (softplus(z) - y z)``, weighted residual ``s (sigmoid(z) - y)`` and ``p = sigmoid(z)`` of one
    row, from one exponential (branch-free and inlined, so that a loop over rows of it vectorizes)."""
    e = exp(-abs(z))
    q = 1.0 / (1.0 + e)
    p = q if z >= 0 else e * q
    return s * (max(z, 0.0) + log1p(e) - y * z), s * (p - y), p


#: rows per tile of the dense binary kernel: their scores, then their loss terms in one vectorized loop, then
#: their share of the gradient
_TILE = 16


@_jit
def _binary_dense(X, y, s, w, b, want_grad, h):
    # Tiles of _TILE rows: the scores four rows at a time (four independent dot products share each read of
    # w; a single one waits on its own additions), then the rows' loss terms together (SIMD lanes over rows),
    # then the gradient four rows at a time (read and written once for four rows; the tile is still in L1).
    # The rows of the tile after next are asked for meanwhile (a float32 tile's arithmetic would otherwise
    # wait for its rows).
    # The last n % _TILE rows go one by one. With ``h`` of length n each row's curvature s p (1 - p) is
    # written too, in a loop of its own (see "Sums whose order is fixed" in the module docstring: the loop that
    # sums the loss stores only to this function's own buffers).
    n, d = X.shape
    want_h = h.shape[0] > 0
    g = np.zeros(d if want_grad else 0)
    z = np.empty(_TILE)
    r = np.empty(_TILE)
    q = np.empty(_TILE)  # the tile's probabilities, for the curvature
    loss = 0.0
    gb = 0.0
    n_tiled = n - n % _TILE
    for i0 in range(0, n_tiled, _TILE):
        _prefetch_rows(X, i0 + 2 * _TILE, i0 + 3 * _TILE)  # the tile after next
        for t in range(0, _TILE, 4):
            i = i0 + t
            z0 = b
            z1 = b
            z2 = b
            z3 = b
            for j in range(d):
                wj = w[j]
                z0 += X[i, j] * wj
                z1 += X[i + 1, j] * wj
                z2 += X[i + 2, j] * wj
                z3 += X[i + 3, j] * wj
            z[t] = z0
            z[t + 1] = z1
            z[t + 2] = z2
            z[t + 3] = z3
        for t in range(_TILE):  # one loop over the tile's rows: SIMD lanes
            li, ri, p = _binary_terms(z[t], y[i0 + t], s[i0 + t])
            loss += li
            r[t] = ri
            q[t] = p
        if want_h:
            for t in range(_TILE):
                h[i0 + t] = s[i0 + t] * q[t] * (1.0 - q[t])
        if want_grad:
            for t in range(0, _TILE, 4):
                i = i0 + t
                r0 = r[t]
                r1 = r[t + 1]
                r2 = r[t + 2]
                r3 = r[t + 3]
                gb += (r0 + r1) + (r2 + r3)
                for j in range(d):
                    g[j] += (r0 * X[i, j] + r1 * X[i + 1, j]) + (r2 * X[i + 2, j] + r3 * X[i + 3, j])
    for i in range(n_tiled, n):
        zi = b
        for j in range(d):
            zi += X[i, j] * w[j]
        li, ri, p = _binary_terms(zi, y[i], s[i])
        loss += li
        if want_h:
            h[i] = s[i] * p * (1.0 - p)
        if want_grad:
            gb += ri
            for j in range(d):
                g[j] += ri * X[i, j]
    return loss, g, gb


@_jit
def _binary_hessp_dense(X, s, w, b, v, vb):
    n, d = X.shape
    h = np.zeros(d)
    hb = 0.0
    for i in range(n):
        z = b
        dz = vb
        for j in range(d):
            z += X[i, j] * w[j]
            dz += X[i, j] * v[j]
        p = _sigmoid(z)
        t = s[i] * p * (1.0 - p) * dz  # curvature of the row times the score direction
        hb += t
        for j in range(d):
            h[j] += t * X[i, j]
    return h, hb


# ----------------------------------------------------------------------------------------------------------
# Binary head, CSR rows (data, indices, indptr of the block, indptr starting at 0).
# ----------------------------------------------------------------------------------------------------------
@_jit
def _binary_csr(data, indices, indptr, y, s, w, b, want_grad, h):
    n = indptr.shape[0] - 1
    want_h = h.shape[0] > 0
    g = np.zeros(w.shape[0] if want_grad else 0)
    loss = 0.0
    gb = 0.0
    for i in range(n):
        z = b
        for k in range(indptr[i], indptr[i + 1]):
            z += data[k] * w[indices[k]]
        li, r, p = _binary_terms(z, y[i], s[i])
        loss += li
        if want_h:
            h[i] = s[i] * p * (1.0 - p)
        if want_grad:
            gb += r
            for k in range(indptr[i], indptr[i + 1]):
                g[indices[k]] += r * data[k]
    return loss, g, gb


@_jit
def _binary_hessp_csr(data, indices, indptr, s, w, b, v, vb):
    n = indptr.shape[0] - 1
    h = np.zeros(w.shape[0])
    hb = 0.0
    for i in range(n):
        z = b
        dz = vb
        for k in range(indptr[i], indptr[i + 1]):
            z += data[k] * w[indices[k]]
            dz += data[k] * v[indices[k]]
        p = _sigmoid(z)
        t = s[i] * p * (1.0 - p) * dz
        hb += t
        for k in range(indptr[i], indptr[i + 1]):
            h[indices[k]] += t * data[k]
    return h, hb


# ----------------------------------------------------------------------------------------------------------
# Binary head, curvature known: within one Newton step every Hessian-vector product has the same per-row
# curvature h_i = s_i p_i (1 - p_i), so a product needs only dz_i = x_i . v + vb and h += h_i dz_i x_i.
# ----------------------------------------------------------------------------------------------------------
@_jit
def _curvature_hessp_dense(X, h, v, vb):
    n, d = X.shape
    out = np.zeros(d)
    ob = 0.0
    for i in range(n):
        dz = vb
        for j in range(d):
            dz += X[i, j] * v[j]
        t = h[i] * dz
        ob += t
        for j in range(d):
            out[j] += t * X[i, j]
    return out, ob


@_jit
def _curvature_hessp_csr(data, indices, indptr, h, v, vb):
    n = indptr.shape[0] - 1
    out = np.zeros(v.shape[0])
    ob = 0.0
    for i in range(n):
        dz = vb
        for k in range(indptr[i], indptr[i + 1]):
            dz += data[k] * v[indices[k]]
        t = h[i] * dz
        ob += t
        for k in range(indptr[i], indptr[i + 1]):
            out[indices[k]] += t * data[k]
    return out, ob


# ----------------------------------------------------------------------------------------------------------
# Softmax head, per-row pieces (the CSR kernels take one row at a time, as a tile of one row). Z (rows, K).
# ----------------------------------------------------------------------------------------------------------
@_jit
def _softmax_residuals(Z, m, y, s, i, P):
    """Rows ``t < m`` of the scores ``Z`` become the residuals ``s (p - onehot(y))`` (in place), one exponential
    per score; their probabilities go to ``P[i + t]`` when ``P`` has rows. Returns the rows' weighted loss."""
    K = Z.shape[1]
    keep = P.shape[0] > 0
    loss = 0.0
    for t in range(m):
        mx = Z[t, 0]
        for k in range(1, K):
            mx = max(mx, Z[t, k])
        yi = y[i + t]
        si = s[i + t]
        zy = Z[t, yi]
        acc = 0.0
        for k in range(K):
            e = exp(Z[t, k] - mx)
            Z[t, k] = e
            acc += e
        loss += si * (mx + np.log(acc) - zy)  # logsumexp(z) - z_y
        inv = 1.0 / acc
        if keep:  # a loop of its own, as in _tile_residuals: the residuals are the same bits with P or without
            for k in range(K):
                P[i + t, k] = Z[t, k] * inv
        c = si * inv
        for k in range(K):
            Z[t, k] *= c
        Z[t, yi] -= si
    return loss


@_jit
def _curvature_times(T, m, s, i, P, ip):
    """Rows ``t < m`` of the score directions ``T`` become ``s p * (dz - p . dz)`` (in place), with the rows'
    weights ``s[i + t]`` and probabilities ``P[ip + t]``."""
    K = T.shape[1]
    for t in range(m):
        pdz = 0.0
        for k in range(K):
            pdz += P[ip + t, k] * T[t, k]
        for k in range(K):
            T[t, k] = s[i + t] * P[ip + t, k] * (T[t, k] - pdz)


@_jit
def _softmax_rows(Z, m):
    """Rows ``t < m`` of the scores ``Z`` become their probabilities (in place)."""
    K = Z.shape[1]
    for t in range(m):
        mx = Z[t, 0]
        for k in range(1, K):
            mx = max(mx, Z[t, k])
        acc = 0.0
        for k in range(K):
            e = exp(Z[t, k] - mx)
            Z[t, k] = e
            acc += e
        inv = 1.0 / acc
        for k in range(K):
            Z[t, k] *= inv


# ----------------------------------------------------------------------------------------------------------
# Softmax head, dense rows. y (n,) int labels; W (K, d) float64; b (K,) float64. Rows go in tiles of TILE = 8,
# each tile a small matrix product ``Z = X_t W.T + b`` and ``G += R.T X_t`` (R: the residuals):
#
# - float64 rows are read where they are; a float32 tile is first widened into a float64 buffer ``Xt``
#   (TILE, d), once rather than once per class, and so is the block's last, partial tile, its missing rows
#   zeros with weight 0 (residuals 0: they add nothing to the sums), so that every tile takes one path;
# - classes go two at a time (the last three together when K is odd): 16 (24) independent sums per pass
#   over the tile's features, where one class alone would have 8, too few to keep the FMA units busy, and
#   each vector of eight rows' features is read once for two (three) classes; each read of a row of W or G
#   serves eight rows;
# - the tile's TILE x K exponentials are one loop over a contiguous array (``_exp_nonpositive``: _fastmath's
#   polynomial, which LLVM turns into SIMD, where ``np.exp`` is one library call per score);
# - the rows two tiles ahead are prefetched, a few at a time between the tile's steps.
#
# The helpers are inlined by numba (``_jit_inline``): no call and no reference counting per tile. The order of
# every sum depends on the block only.
# ----------------------------------------------------------------------------------------------------------
TILE = 8
PREFETCH = 2 * TILE  # rows ahead of the tile being computed whose cache lines are asked for


@_jit
def _exp_nonpositive(a):
    """``a[q] = exp(a[q])`` in place for every ``a[q] <= 0`` (scores minus their row's max), to within a unit
    in the last place: one loop of :func:`oneuron._fastmath.exp` (no branch), which LLVM makes a SIMD loop."""
    for q in range(a.shape[0]):
        a[q] = exp(a[q])


@_jit_inline
def _load_tile(X, i, m, Xt):
    """``Xt[:m] = X[i:i + m]`` in float64 and the rest of the tile zeros."""
    d = X.shape[1]
    for t in range(m):
        for j in range(d):
            Xt[t, j] = X[i + t, j]
    for t in range(m, TILE):
        for j in range(d):
            Xt[t, j] = 0.0


@_jit_inline
def _scores_one(A, a, W, b, Z, k):
    """``Z[:, k:k + 1] = A[a:a + 8] @ W[k:k + 1].T + b[k:k + 1]``: 8 independent sums (each waits on its own
    additions: the more of them, the more FMAs in flight), each vector of eight rows' features read once."""
    d = W.shape[1]
    z0 = 0.0
    z1 = 0.0
    z2 = 0.0
    z3 = 0.0
    z4 = 0.0
    z5 = 0.0
    z6 = 0.0
    z7 = 0.0
    for j in range(d):
        u = W[k, j]
        x0 = A[a, j]
        x1 = A[a + 1, j]
        x2 = A[a + 2, j]
        x3 = A[a + 3, j]
        x4 = A[a + 4, j]
        x5 = A[a + 5, j]
        x6 = A[a + 6, j]
        x7 = A[a + 7, j]
        z0 += x0 * u
        z1 += x1 * u
        z2 += x2 * u
        z3 += x3 * u
        z4 += x4 * u
        z5 += x5 * u
        z6 += x6 * u
        z7 += x7 * u
    bk = b[k]
    Z[0, k] = z0 + bk
    Z[1, k] = z1 + bk
    Z[2, k] = z2 + bk
    Z[3, k] = z3 + bk
    Z[4, k] = z4 + bk
    Z[5, k] = z5 + bk
    Z[6, k] = z6 + bk
    Z[7, k] = z7 + bk


@_jit_inline
def _scores_two(A, a, W, b, Z, k):
    """``Z[:, k:k + 2] = A[a:a + 8] @ W[k:k + 2].T + b[k:k + 2]``: 16 independent sums (each waits on its own
    additions: the more of them, the more FMAs in flight), each vector of eight rows' features read once."""
    d = W.shape[1]
    z0 = 0.0
    z1 = 0.0
    z2 = 0.0
    z3 = 0.0
    z4 = 0.0
    z5 = 0.0
    z6 = 0.0
    z7 = 0.0
    q0 = 0.0
    q1 = 0.0
    q2 = 0.0
    q3 = 0.0
    q4 = 0.0
    q5 = 0.0
    q6 = 0.0
    q7 = 0.0
    for j in range(d):
        u = W[k, j]
        v = W[k + 1, j]
        x0 = A[a, j]
        x1 = A[a + 1, j]
        x2 = A[a + 2, j]
        x3 = A[a + 3, j]
        x4 = A[a + 4, j]
        x5 = A[a + 5, j]
        x6 = A[a + 6, j]
        x7 = A[a + 7, j]
        z0 += x0 * u
        z1 += x1 * u
        z2 += x2 * u
        z3 += x3 * u
        z4 += x4 * u
        z5 += x5 * u
        z6 += x6 * u
        z7 += x7 * u
        q0 += x0 * v
        q1 += x1 * v
        q2 += x2 * v
        q3 += x3 * v
        q4 += x4 * v
        q5 += x5 * v
        q6 += x6 * v
        q7 += x7 * v
    bk = b[k]
    Z[0, k] = z0 + bk
    Z[1, k] = z1 + bk
    Z[2, k] = z2 + bk
    Z[3, k] = z3 + bk
    Z[4, k] = z4 + bk
    Z[5, k] = z5 + bk
    Z[6, k] = z6 + bk
    Z[7, k] = z7 + bk
    bk = b[k + 1]
    Z[0, k + 1] = q0 + bk
    Z[1, k + 1] = q1 + bk
    Z[2, k + 1] = q2 + bk
    Z[3, k + 1] = q3 + bk
    Z[4, k + 1] = q4 + bk
    Z[5, k + 1] = q5 + bk
    Z[6, k + 1] = q6 + bk
    Z[7, k + 1] = q7 + bk


@_jit_inline
def _scores_three(A, a, W, b, Z, k):
    """``Z[:, k:k + 3] = A[a:a + 8] @ W[k:k + 3].T + b[k:k + 3]``: 24 independent sums (each waits on its own
    additions: the more of them, the more FMAs in flight), each vector of eight rows' features read once."""
    d = W.shape[1]
    z0 = 0.0
    z1 = 0.0
    z2 = 0.0
    z3 = 0.0
    z4 = 0.0
    z5 = 0.0
    z6 = 0.0
    z7 = 0.0
    q0 = 0.0
    q1 = 0.0
    q2 = 0.0
    q3 = 0.0
    q4 = 0.0
    q5 = 0.0
    q6 = 0.0
    q7 = 0.0
    w0 = 0.0
    w1 = 0.0
    w2 = 0.0
    w3 = 0.0
    w4 = 0.0
    w5 = 0.0
    w6 = 0.0
    w7 = 0.0
    for j in range(d):
        u = W[k, j]
        v = W[k + 1, j]
        c = W[k + 2, j]
        x0 = A[a, j]
        x1 = A[a + 1, j]
        x2 = A[a + 2, j]
        x3 = A[a + 3, j]
        x4 = A[a + 4, j]
        x5 = A[a + 5, j]
        x6 = A[a + 6, j]
        x7 = A[a + 7, j]
        z0 += x0 * u
        z1 += x1 * u
        z2 += x2 * u
        z3 += x3 * u
        z4 += x4 * u
        z5 += x5 * u
        z6 += x6 * u
        z7 += x7 * u
        q0 += x0 * v
        q1 += x1 * v
        q2 += x2 * v
        q3 += x3 * v
        q4 += x4 * v
        q5 += x5 * v
        q6 += x6 * v
        q7 += x7 * v
        w0 += x0 * c
        w1 += x1 * c
        w2 += x2 * c
        w3 += x3 * c
        w4 += x4 * c
        w5 += x5 * c
        w6 += x6 * c
        w7 += x7 * c
    bk = b[k]
    Z[0, k] = z0 + bk
    Z[1, k] = z1 + bk
    Z[2, k] = z2 + bk
    Z[3, k] = z3 + bk
    Z[4, k] = z4 + bk
    Z[5, k] = z5 + bk
    Z[6, k] = z6 + bk
    Z[7, k] = z7 + bk
    bk = b[k + 1]
    Z[0, k + 1] = q0 + bk
    Z[1, k + 1] = q1 + bk
    Z[2, k + 1] = q2 + bk
    Z[3, k + 1] = q3 + bk
    Z[4, k + 1] = q4 + bk
    Z[5, k + 1] = q5 + bk
    Z[6, k + 1] = q6 + bk
    Z[7, k + 1] = q7 + bk
    bk = b[k + 2]
    Z[0, k + 2] = w0 + bk
    Z[1, k + 2] = w1 + bk
    Z[2, k + 2] = w2 + bk
    Z[3, k + 2] = w3 + bk
    Z[4, k + 2] = w4 + bk
    Z[5, k + 2] = w5 + bk
    Z[6, k + 2] = w6 + bk
    Z[7, k + 2] = w7 + bk


@_jit_inline
def _pull_back_one(A, a, R, G, gb, k):
    """``G[k:k + 1] += R[:, k:k + 1].T @ A[a:a + 8]`` and ``gb[k:k + 1] += R[:, k:k + 1].sum(0)``: each vector
    of eight rows' features read once for 1 row of G."""
    d = G.shape[1]
    r0 = R[0, k]
    r1 = R[1, k]
    r2 = R[2, k]
    r3 = R[3, k]
    r4 = R[4, k]
    r5 = R[5, k]
    r6 = R[6, k]
    r7 = R[7, k]
    gb[k] += ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    for j in range(d):
        x0 = A[a, j]
        x1 = A[a + 1, j]
        x2 = A[a + 2, j]
        x3 = A[a + 3, j]
        x4 = A[a + 4, j]
        x5 = A[a + 5, j]
        x6 = A[a + 6, j]
        x7 = A[a + 7, j]
        G[k, j] += ((r0 * x0 + r1 * x1) + (r2 * x2 + r3 * x3)) + ((r4 * x4 + r5 * x5) + (r6 * x6 + r7 * x7))


@_jit_inline
def _pull_back_two(A, a, R, G, gb, k):
    """``G[k:k + 2] += R[:, k:k + 2].T @ A[a:a + 8]`` and ``gb[k:k + 2] += R[:, k:k + 2].sum(0)``: each vector
    of eight rows' features read once for 2 rows of G."""
    d = G.shape[1]
    r0 = R[0, k]
    r1 = R[1, k]
    r2 = R[2, k]
    r3 = R[3, k]
    r4 = R[4, k]
    r5 = R[5, k]
    r6 = R[6, k]
    r7 = R[7, k]
    gb[k] += ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    t0 = R[0, k + 1]
    t1 = R[1, k + 1]
    t2 = R[2, k + 1]
    t3 = R[3, k + 1]
    t4 = R[4, k + 1]
    t5 = R[5, k + 1]
    t6 = R[6, k + 1]
    t7 = R[7, k + 1]
    gb[k + 1] += ((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7))
    for j in range(d):
        x0 = A[a, j]
        x1 = A[a + 1, j]
        x2 = A[a + 2, j]
        x3 = A[a + 3, j]
        x4 = A[a + 4, j]
        x5 = A[a + 5, j]
        x6 = A[a + 6, j]
        x7 = A[a + 7, j]
        G[k, j] += ((r0 * x0 + r1 * x1) + (r2 * x2 + r3 * x3)) + ((r4 * x4 + r5 * x5) + (r6 * x6 + r7 * x7))
        G[k + 1, j] += ((t0 * x0 + t1 * x1) + (t2 * x2 + t3 * x3)) + ((t4 * x4 + t5 * x5) + (t6 * x6 + t7 * x7))


@_jit_inline
def _pull_back_three(A, a, R, G, gb, k):
    """``G[k:k + 3] += R[:, k:k + 3].T @ A[a:a + 8]`` and ``gb[k:k + 3] += R[:, k:k + 3].sum(0)``: each vector
    of eight rows' features read once for 3 rows of G."""
    d = G.shape[1]
    r0 = R[0, k]
    r1 = R[1, k]
    r2 = R[2, k]
    r3 = R[3, k]
    r4 = R[4, k]
    r5 = R[5, k]
    r6 = R[6, k]
    r7 = R[7, k]
    gb[k] += ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    t0 = R[0, k + 1]
    t1 = R[1, k + 1]
    t2 = R[2, k + 1]
    t3 = R[3, k + 1]
    t4 = R[4, k + 1]
    t5 = R[5, k + 1]
    t6 = R[6, k + 1]
    t7 = R[7, k + 1]
    gb[k + 1] += ((t0 + t1) + (t2 + t3)) + ((t4 + t5) + (t6 + t7))
    e0 = R[0, k + 2]
    e1 = R[1, k + 2]
    e2 = R[2, k + 2]
    e3 = R[3, k + 2]
    e4 = R[4, k + 2]
    e5 = R[5, k + 2]
    e6 = R[6, k + 2]
    e7 = R[7, k + 2]
    gb[k + 2] += ((e0 + e1) + (e2 + e3)) + ((e4 + e5) + (e6 + e7))
    for j in range(d):
        x0 = A[a, j]
        x1 = A[a + 1, j]
        x2 = A[a + 2, j]
        x3 = A[a + 3, j]
        x4 = A[a + 4, j]
        x5 = A[a + 5, j]
        x6 = A[a + 6, j]
        x7 = A[a + 7, j]
        G[k, j] += ((r0 * x0 + r1 * x1) + (r2 * x2 + r3 * x3)) + ((r4 * x4 + r5 * x5) + (r6 * x6 + r7 * x7))
        G[k + 1, j] += ((t0 * x0 + t1 * x1) + (t2 * x2 + t3 * x3)) + ((t4 * x4 + t5 * x5) + (t6 * x6 + t7 * x7))
        G[k + 2, j] += ((e0 * x0 + e1 * x1) + (e2 * x2 + e3 * x3)) + ((e4 * x4 + e5 * x5) + (e6 * x6 + e7 * x7))


@_jit_inline
def _pairs_end(K):
    """Classes ``0:_pairs_end(K)`` go two at a time, the rest (K odd: the last three, or the only one) at once."""
    return K - 3 if K % 2 == 1 and K >= 3 else K - K % 2


@_jit_inline
def _tile_scores(A, a, W, b, Z):
    """``Z = A[a:a + 8] @ W.T + b`` for one tile: two classes at a time (three for the last ones when K is
    odd: a class alone has too few independent sums to keep the FMA units busy)."""
    K = W.shape[0]
    e = _pairs_end(K)
    for k in range(0, e, 2):
        _scores_two(A, a, W, b, Z, k)
    if K - e == 3:
        _scores_three(A, a, W, b, Z, e)
    elif K - e == 1:
        _scores_one(A, a, W, b, Z, e)


@_jit_inline
def _tile_pull_back(A, a, R, G, gb):
    """``G += R.T @ A[a:a + 8]`` and ``gb += R.sum(0)`` for one tile, classes grouped as in
    :func:`_tile_scores`."""
    K = G.shape[0]
    e = _pairs_end(K)
    for k in range(0, e, 2):
        _pull_back_two(A, a, R, G, gb, k)
    if K - e == 3:
        _pull_back_three(A, a, R, G, gb, e)
    elif K - e == 1:
        _pull_back_one(A, a, R, G, gb, e)


@_jit_inline
def _tile_exps(Z, E, mx):
    """``E[t, k] = exp(Z[t, k] - mx[t])`` with ``mx[t]`` the row's largest score."""
    K = Z.shape[1]
    for t in range(TILE):
        top = Z[t, 0]
        for k in range(1, K):
            top = max(top, Z[t, k])
        mx[t] = top
        for k in range(K):
            E[t, k] = Z[t, k] - top
    _exp_nonpositive(E.reshape(TILE * K))


@_jit_inline
def _tile_residuals(Z, m, y, s, i, P, E, mx):
    """The tile's scores ``Z`` become the residuals ``s (p - onehot(y))`` (in place; rows ``t >= m``, past the
    block's end, zeros); probabilities to ``P[i + t]`` when ``P`` has rows. Returns the rows' weighted loss."""
    K = Z.shape[1]
    keep = P.shape[0] > 0
    _tile_exps(Z, E, mx)
    loss = 0.0
    for t in range(m):
        acc = 0.0
        for k in range(K):
            acc += E[t, k]
        yi = y[i + t]
        si = s[i + t]
        loss += si * (mx[t] + np.log(acc) - Z[t, yi])  # logsumexp(z) - z_y
        inv = 1.0 / acc
        if keep:
            for k in range(K):
                P[i + t, k] = E[t, k] * inv
        c = si * inv  # loops that store to one array each: SIMD loops
        for k in range(K):
            Z[t, k] = E[t, k] * c
        Z[t, yi] -= si
    for t in range(m, TILE):
        for k in range(K):
            Z[t, k] = 0.0
    return loss


@_jit_inline
def _tile_probabilities(Z, E, mx):
    """The tile's scores ``Z`` become their probabilities (in place)."""
    K = Z.shape[1]
    _tile_exps(Z, E, mx)
    for t in range(TILE):
        acc = 0.0
        for k in range(K):
            acc += E[t, k]
        inv = 1.0 / acc
        for k in range(K):
            Z[t, k] = E[t, k] * inv


@_jit_inline
def _tile_curvature_times(T, m, s, i, P, ip):
    """Rows ``t < m`` of the score directions ``T`` become ``s p * (dz - p . dz)`` (in place), with the rows'
    weights ``s[i + t]`` and probabilities ``P[ip + t]``; rows ``t >= m`` zeros."""
    K = T.shape[1]
    _curvature_times(T, m, s, i, P, ip)
    for t in range(m, TILE):
        for k in range(K):
            T[t, k] = 0.0


@_jit
def _multi_dense(X, y, s, W, b, want_grad, P):
    n, d = X.shape
    K = W.shape[0]
    G = np.zeros((K, d) if want_grad else (0, 0))
    gb = np.zeros(K)
    Xt = np.empty((TILE, d))
    Z = np.empty((TILE, K))
    E = np.empty((TILE, K))
    mx = np.empty(TILE)
    loss = 0.0
    for i in range(0, n, TILE):
        m = min(TILE, n - i)
        ahead = i + PREFETCH  # the rows of a later tile, asked for a few at a time between the steps
        _prefetch_rows(X, ahead, ahead + 3)
        if _in_place(X) and m == TILE:
            _tile_scores(X, i, W, b, Z)
        else:
            _load_tile(X, i, m, Xt)
            _tile_scores(Xt, 0, W, b, Z)
        _prefetch_rows(X, ahead + 3, ahead + 5)
        loss += _tile_residuals(Z, m, y, s, i, P, E, mx)
        _prefetch_rows(X, ahead + 5, ahead + TILE)
        if want_grad:
            if _in_place(X) and m == TILE:
                _tile_pull_back(X, i, Z, G, gb)
            else:
                _tile_pull_back(Xt, 0, Z, G, gb)
    return loss, G, gb


@_jit
def _probs_hessp_dense(X, s, P, V, vb):
    # (diag(p) - p p.T) dz for each row, dz = V x + vb: the softmax Hessian product given the probabilities
    n, d = X.shape
    K = V.shape[0]
    H = np.zeros((K, d))
    hb = np.zeros(K)
    Xt = np.empty((TILE, d))
    T = np.empty((TILE, K))
    for i in range(0, n, TILE):
        m = min(TILE, n - i)
        ahead = i + PREFETCH
        _prefetch_rows(X, ahead, ahead + 4)
        if _in_place(X) and m == TILE:
            _tile_scores(X, i, V, vb, T)
        else:
            _load_tile(X, i, m, Xt)
            _tile_scores(Xt, 0, V, vb, T)
        _tile_curvature_times(T, m, s, i, P, i)
        _prefetch_rows(X, ahead + 4, ahead + TILE)
        if _in_place(X) and m == TILE:
            _tile_pull_back(X, i, T, H, hb)
        else:
            _tile_pull_back(Xt, 0, T, H, hb)
    return H, hb


@_jit
def _multi_hessp_dense(X, s, W, b, V, vb):
    # one read of X: the tile's rows are still in cache for the second product and the pull-back
    n, d = X.shape
    K = W.shape[0]
    H = np.zeros((K, d))
    hb = np.zeros(K)
    Xt = np.empty((TILE, d))
    Z = np.empty((TILE, K))
    T = np.empty((TILE, K))
    E = np.empty((TILE, K))
    mx = np.empty(TILE)
    for i in range(0, n, TILE):
        m = min(TILE, n - i)
        ahead = i + PREFETCH
        _prefetch_rows(X, ahead, ahead + 3)
        if _in_place(X) and m == TILE:
            _tile_scores(X, i, W, b, Z)
        else:
            _load_tile(X, i, m, Xt)
            _tile_scores(Xt, 0, W, b, Z)
        _tile_probabilities(Z, E, mx)
        _prefetch_rows(X, ahead + 3, ahead + 5)
        if _in_place(X) and m == TILE:
            _tile_scores(X, i, V, vb, T)
        else:
            _tile_scores(Xt, 0, V, vb, T)
        _tile_curvature_times(T, m, s, i, Z, 0)
        _prefetch_rows(X, ahead + 5, ahead + TILE)
        if _in_place(X) and m == TILE:
            _tile_pull_back(X, i, T, H, hb)
        else:
            _tile_pull_back(Xt, 0, T, H, hb)
    return H, hb


# ----------------------------------------------------------------------------------------------------------
# Softmax head, CSR rows, one row at a time (as a tile of one row).
# ----------------------------------------------------------------------------------------------------------
@_jit
def _scores_csr(data, indices, indptr, i, W, b, Z):
    for k in range(W.shape[0]):
        z = b[k]
        for q in range(indptr[i], indptr[i + 1]):
            z += data[q] * W[k, indices[q]]
        Z[0, k] = z


@_jit
def _pull_back_csr(data, indices, indptr, i, R, G, gb):
    for k in range(G.shape[0]):
        r = R[0, k]
        gb[k] += r
        for q in range(indptr[i], indptr[i + 1]):
            G[k, indices[q]] += r * data[q]


@_jit
def _multi_csr(data, indices, indptr, y, s, W, b, want_grad, P):
    n = indptr.shape[0] - 1
    K, d = W.shape
    G = np.zeros((K, d) if want_grad else (0, 0))
    gb = np.zeros(K)
    Z = np.empty((1, K))
    loss = 0.0
    for i in range(n):
        _scores_csr(data, indices, indptr, i, W, b, Z)
        loss += _softmax_residuals(Z, 1, y, s, i, P)
        if want_grad:
            _pull_back_csr(data, indices, indptr, i, Z, G, gb)
    return loss, G, gb


@_jit
def _probs_hessp_csr(data, indices, indptr, s, P, V, vb):
    n = indptr.shape[0] - 1
    K, d = V.shape
    H = np.zeros((K, d))
    hb = np.zeros(K)
    T = np.empty((1, K))
    for i in range(n):
        _scores_csr(data, indices, indptr, i, V, vb, T)
        _curvature_times(T, 1, s, i, P, i)
        _pull_back_csr(data, indices, indptr, i, T, H, hb)
    return H, hb


@_jit
def _multi_hessp_csr(data, indices, indptr, s, W, b, V, vb):
    n = indptr.shape[0] - 1
    K, d = W.shape
    H = np.zeros((K, d))
    hb = np.zeros(K)
    Z = np.empty((1, K))
    T = np.empty((1, K))
    for i in range(n):
        _scores_csr(data, indices, indptr, i, W, b, Z)
        _softmax_rows(Z, 1)
        _scores_csr(data, indices, indptr, i, V, vb, T)
        _curvature_times(T, 1, s, i, Z, 0)
        _pull_back_csr(data, indices, indptr, i, T, H, hb)
    return H, hb


# ----------------------------------------------------------------------------------------------------------
# Dispatch: which blocks a kernel takes, and the calls the objective's block functions make.
# ----------------------------------------------------------------------------------------------------------
def accepts(X) -> bool:
    """True when a kernel handles block ``X``: a C-contiguous float32/float64 ndarray, or such a CSR matrix."""
    if not AVAILABLE:
        return False
    if isinstance(X, np.ndarray):
        return X.ndim == 2 and X.dtype in _FLOATS and X.flags.c_contiguous
    return sp.issparse(X) and X.format == "csr" and X.dtype in _FLOATS


def unsigned_index(a: np.ndarray) -> np.ndarray:
    """The same non-negative indices viewed as unsigned integers (no copy).

    Numba wraps a negative index around at every signed array access (a compare and a branch); with unsigned
    indices it cannot be negative, and the CSR loops run about twice as fast (benchmarks/RESULTS.md).
    """
    return a.view(np.uint32 if a.dtype.itemsize == 4 else np.uint64)


def interruptible(fn):
    """Ctrl-C during a compiled call surfaces as KeyboardInterrupt.

    A signal that arrives while a compiled function runs on the main thread is raised when it returns, and
    CPython then reports a successful call with an exception set as ``SystemError`` (its cause being the
    KeyboardInterrupt): this turns it back into the KeyboardInterrupt the user pressed.
    """

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except SystemError as exc:
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, KeyboardInterrupt):
                raise KeyboardInterrupt(*cause.args) from exc
            raise

    return call


def check_block(X, s, n_params: int, y=None, n_classes: int = 0) -> None:
    """The bounds every kernel relies on, checked before it runs: rows of ``X``, ``y`` and ``s`` agree,
    ``n_params`` weights per class for ``X``'s columns, and labels (softmax head) within ``0..n_classes-1``.

    A compiled kernel does not check its indices: a label past the last class or a weight vector shorter
    than a row would read out of bounds instead of raising.
    """
    n, d = X.shape
    if len(s) != n or (y is not None and len(y) != n) or n_params != d:
        raise ValueError(
            f"kernel inputs disagree: X is {n} x {d}, {len(s)} weights, "
            f"{'no' if y is None else len(y)} labels, {n_params} coefficients per class."
        )
    if n_classes and n:
        low, high = int(np.min(y)), int(np.max(y))
        if low < 0 or high >= n_classes:
            raise ValueError(f"labels must be class indices in 0..{n_classes - 1}, got values in {low}..{high}.")


def _csr(X):
    indptr = X.indptr
    if indptr[0] != 0:
        indptr = indptr - indptr[0]
    return X.data, unsigned_index(X.indices), unsigned_index(indptr)


def _f64(a):
    return np.ascontiguousarray(a, dtype=np.float64)


def _labels(y):
    return np.ascontiguousarray(y, dtype=np.intp)


@interruptible
def binary_loss_grad(X, y, s, w, b, want_grad: bool = True, curvature: np.ndarray | None = None):
    """``(loss, grad_w, grad_b)`` of one block as :func:`oneuron.neuron.binary_loss_grad`, in one read of X.

    ``curvature``, a float64 array of the block's length, receives each row's ``s p (1 - p)`` (as
    :func:`oneuron.neuron.binary_curvature`) in the same read.
    """
    y, s, w, b = _f64(y), _f64(s), _f64(w), float(b)
    check_block(X, s, len(w), y)
    h = np.empty(0) if curvature is None else curvature
    if curvature is not None and len(h) != len(y):
        raise ValueError(f"curvature holds {len(h)} values for {len(y)} rows.")
    if isinstance(X, np.ndarray):
        return _binary_dense(np.asarray(X), y, s, w, b, want_grad, h)
    return _binary_csr(*_csr(X), y, s, w, b, want_grad, h)


@interruptible
def binary_hessp(X, s, w, b, v_w, v_b):
    """``(Hv_w, Hv_b)`` of one block as :func:`oneuron.neuron.binary_hessp`, in one read of X."""
    s, args = _f64(s), (_f64(w), float(b), _f64(v_w), float(v_b))
    check_block(X, s, len(args[0]))
    check_block(X, s, len(args[2]))
    if isinstance(X, np.ndarray):
        return _binary_hessp_dense(np.asarray(X), s, *args)
    return _binary_hessp_csr(*_csr(X), s, *args)


def _check_multi(X, s, W, b, y=None):
    K = W.shape[0]
    if W.ndim != 2 or b.shape != (K,):
        raise ValueError(f"kernel inputs disagree: W has shape {W.shape}, b has shape {b.shape}.")
    check_block(X, s, W.shape[1], y, K if y is not None else 0)


@interruptible
def multi_loss_grad(X, y, s, W, b, want_grad: bool = True, probabilities: np.ndarray | None = None):
    """``(loss, grad_W, grad_b)`` of one block as :func:`oneuron.neuron.multinomial_loss_grad` (y: labels).

    ``probabilities``, a float64 array (rows, K), receives each row's class probabilities (as
    ``neuron.softmax(neuron.forward_multi(X, W, b))``) in the same read.
    """
    y, s, W, b = _labels(y), _f64(s), _f64(W), _f64(b)
    _check_multi(X, s, W, b, y)
    P = np.empty((0, W.shape[0])) if probabilities is None else probabilities
    if probabilities is not None and probabilities.shape != (len(y), W.shape[0]):
        raise ValueError(f"probabilities has shape {probabilities.shape} for {len(y)} rows and {W.shape[0]} classes.")
    if isinstance(X, np.ndarray):
        return _multi_dense(np.asarray(X), y, s, W, b, want_grad, P)
    return _multi_csr(*_csr(X), y, s, W, b, want_grad, P)


@interruptible
def multi_hessp(X, s, W, b, V_W, v_b):
    """``(HV_W, Hv_b)`` of one block as :func:`oneuron.neuron.multinomial_hessp`, in one read of X."""
    s, args = _f64(s), (_f64(W), _f64(b), _f64(V_W), _f64(v_b))
    _check_multi(X, s, args[0], args[1])
    _check_multi(X, s, args[2], args[3])
    if isinstance(X, np.ndarray):
        return _multi_hessp_dense(np.asarray(X), s, *args)
    return _multi_hessp_csr(*_csr(X), s, *args)


@interruptible
def probs_hessp(X, s, P, V_W, v_b):
    """``(HV_W, Hv_b)`` of one block given its rows' probabilities ``P``, as
    :func:`oneuron.neuron.multinomial_probs_hessp`."""
    s, P, V_W, v_b = _f64(s), _f64(P), _f64(V_W), _f64(v_b)
    check_block(X, s, V_W.shape[1])
    if P.shape != (len(s), V_W.shape[0]):
        raise ValueError(f"probabilities has shape {P.shape} for {len(s)} rows and {V_W.shape[0]} classes.")
    if isinstance(X, np.ndarray):
        return _probs_hessp_dense(np.asarray(X), s, P, V_W, v_b)
    return _probs_hessp_csr(*_csr(X), s, P, V_W, v_b)


@interruptible
def curvature_hessp(X, h, v_w, v_b):
    """``(Hv_w, Hv_b)`` of one block given its rows' curvature ``h``, as :func:`oneuron.neuron.curvature_hessp`."""
    h, v_w, v_b = _f64(h), _f64(v_w), float(v_b)
    check_block(X, h, len(v_w))
    if isinstance(X, np.ndarray):
        return _curvature_hessp_dense(np.asarray(X), h, v_w, v_b)
    return _curvature_hessp_csr(*_csr(X), h, v_w, v_b)
