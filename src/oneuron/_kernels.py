"""Compiled one-pass kernels: the neuron's block sums (``neuron.py``) with each row of X read once.

``neuron.binary_loss_grad`` reads a block twice, ``z = X @ w`` and then ``X.T @ r``. The kernels here walk
the rows once: for row ``x_i``::

    z_i = x_i . w + b                                   (read x_i)
    loss += s_i (softplus(z_i) - y_i z_i)
    r_i = s_i (sigmoid(z_i) - y_i)
    grad += r_i x_i                                     (x_i is still in L1 cache)

and the softmax head does the same with K dot products per row. All arithmetic is float64 whatever the
dtype of X (a float32 row is widened as it is read), so float32 data loses nothing but its own rounding.
Kernels release the GIL (``nogil``), so blocks run in parallel on threads.

The kernels are an optimization of the same math and are tested equal to ``neuron.py``. They are compiled
with numba when it is installed (the ``fast`` extra); without numba :data:`AVAILABLE` is False and the
objective uses ``neuron.py`` everywhere.

Compilation flags: ``reassoc`` and ``contract`` only (no ``nnan``/``ninf``), so that the dot products can
use SIMD lanes and fused multiply-adds. The order of the sums depends only on the block, never on the
thread that runs it: results are the same for any number of threads.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp

try:  # numba is optional (extra "fast")
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
@_jit
def _binary_terms(z, y, s):
    """Loss ``s (softplus(z) - y z)``, weighted residual ``s (sigmoid(z) - y)`` and ``p = sigmoid(z)`` of one
    row, from one exponential (branch-free, so that a loop over rows of it vectorizes)."""
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
    # The last n % _TILE rows go one by one. With ``h`` of length n each row's curvature s p (1 - p) is
    # written too.
    n, d = X.shape
    want_h = h.shape[0] > 0
    g = np.zeros(d if want_grad else 0)
    z = np.empty(_TILE)
    r = np.empty(_TILE)
    loss = 0.0
    gb = 0.0
    n_tiled = n - n % _TILE
    for i0 in range(0, n_tiled, _TILE):
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
        for t in range(_TILE):  # _binary_terms, written out: the loop vectorizes over the rows
            zt = z[t]
            yt = y[i0 + t]
            st = s[i0 + t]
            e = exp(-abs(zt))
            q = 1.0 / (1.0 + e)
            p = q if zt >= 0 else e * q
            loss += st * (max(zt, 0.0) + log1p(e) - yt * zt)
            r[t] = st * (p - yt)
            if want_h:
                h[i0 + t] = st * p * (1.0 - p)
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
# Softmax head, dense rows. y (n,) int labels; W (K, d) float64; b (K,) float64. Rows go four at a time: the
# scores of four rows share each read of a row of W, and each row of the gradient is read and written once
# for four rows (a small matrix product per tile, ``Z = X_t W.T`` and ``G += R.T X_t``). Per-tile scratch:
# Z (4, K).
# ----------------------------------------------------------------------------------------------------------
@_jit
def _scores(X, i, m, W, b, Z):
    """``Z[t] = X[i + t] . W.T + b`` for the ``m`` (<= 4) rows of the tile starting at row ``i``."""
    K, d = W.shape
    if m == 4:
        for k in range(K):
            z0 = b[k]
            z1 = b[k]
            z2 = b[k]
            z3 = b[k]
            for j in range(d):
                u = W[k, j]
                z0 += X[i, j] * u
                z1 += X[i + 1, j] * u
                z2 += X[i + 2, j] * u
                z3 += X[i + 3, j] * u
            Z[0, k] = z0
            Z[1, k] = z1
            Z[2, k] = z2
            Z[3, k] = z3
    else:
        for t in range(m):
            for k in range(K):
                z = b[k]
                for j in range(d):
                    z += X[i + t, j] * W[k, j]
                Z[t, k] = z


@_jit
def _pull_back(X, i, m, R, G, gb):
    """``G += R[:m].T @ X[i:i + m]`` and ``gb += R[:m].sum(0)`` for the tile of ``m`` (<= 4) rows at ``i``."""
    K, d = G.shape
    for k in range(K):
        if m == 4:
            r0 = R[0, k]
            r1 = R[1, k]
            r2 = R[2, k]
            r3 = R[3, k]
            gb[k] += (r0 + r1) + (r2 + r3)
            for j in range(d):
                G[k, j] += (r0 * X[i, j] + r1 * X[i + 1, j]) + (r2 * X[i + 2, j] + r3 * X[i + 3, j])
        else:
            for t in range(m):
                r = R[t, k]
                gb[k] += r
                for j in range(d):
                    G[k, j] += r * X[i + t, j]


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
            e = np.exp(Z[t, k] - mx)
            Z[t, k] = e
            acc += e
        loss += si * (mx + np.log(acc) - zy)  # logsumexp(z) - z_y
        inv = 1.0 / acc
        for k in range(K):
            p = Z[t, k] * inv
            if keep:
                P[i + t, k] = p
            Z[t, k] = si * p
        Z[t, yi] -= si
    return loss


@_jit
def _multi_dense(X, y, s, W, b, want_grad, P):
    n, d = X.shape
    K = W.shape[0]
    G = np.zeros((K, d) if want_grad else (0, 0))
    gb = np.zeros(K)
    Z = np.empty((4, K))
    loss = 0.0
    for i in range(0, n, 4):
        m = min(4, n - i)
        _scores(X, i, m, W, b, Z)
        loss += _softmax_residuals(Z, m, y, s, i, P)
        if want_grad:
            _pull_back(X, i, m, Z, G, gb)
    return loss, G, gb


@_jit
def _probs_hessp_dense(X, s, P, V, vb):
    # (diag(p) - p p.T) dz for each row, dz = V x + vb: the softmax Hessian product given the probabilities
    n, d = X.shape
    K = V.shape[0]
    H = np.zeros((K, d))
    hb = np.zeros(K)
    T = np.empty((4, K))
    for i in range(0, n, 4):
        m = min(4, n - i)
        _scores(X, i, m, V, vb, T)
        _curvature_times(T, m, s, i, P, i)
        _pull_back(X, i, m, T, H, hb)
    return H, hb


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
            e = np.exp(Z[t, k] - mx)
            Z[t, k] = e
            acc += e
        inv = 1.0 / acc
        for k in range(K):
            Z[t, k] *= inv


@_jit
def _multi_hessp_dense(X, s, W, b, V, vb):
    # one read of X: the tile's rows are still in cache for the second product and the pull-back
    n, d = X.shape
    K = W.shape[0]
    H = np.zeros((K, d))
    hb = np.zeros(K)
    Z = np.empty((4, K))
    T = np.empty((4, K))
    for i in range(0, n, 4):
        m = min(4, n - i)
        _scores(X, i, m, W, b, Z)
        _softmax_rows(Z, m)
        _scores(X, i, m, V, vb, T)
        _curvature_times(T, m, s, i, Z, 0)
        _pull_back(X, i, m, T, H, hb)
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
