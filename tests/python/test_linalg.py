"""convkit.linalg against its peers: scipy.linalg.convolution_matrix (values, dtype, shape,
errors), scipy.signal.convolve2d through the 2-D convolution matrix (every mode and boundary,
even kernels, kernels larger than the image, stride, dilation, both orders, dtypes, MATLAB's
convmtx2 identity), and ConvolutionOperator's exact adjoint (dot-product tests).

The native builder ``convkit._core.convolution_matrix_2d`` is checked against
``reference_core`` below, a slow NumPy transcription of its specification; where the extension
predates the builder, the reference stands in for it so that the Python layer is still tested.
"""
import doctest
import importlib.util
import pathlib
import zlib

import numpy as np
import pytest
import scipy.linalg
import scipy.signal
import scipy.sparse
from scipy.sparse.linalg import LinearOperator

from convkit import _core, linalg

ROOT = pathlib.Path(__file__).resolve().parents[2]
HAVE_CORE = hasattr(_core, "convolution_matrix_2d")


# ------------------------------------------------------------------------------------------------
# The reference: _core.convolution_matrix_2d's specification in NumPy
# ------------------------------------------------------------------------------------------------

def _border_map(idx, n, border):
    """Input index (any integer) -> the image index it reads, or -1 (a zero)."""
    if border == "constant":
        return np.where((idx >= 0) & (idx < n), idx, -1)
    if border == "replicate":
        return np.clip(idx, 0, n - 1)
    if border == "wrap":
        return idx % n
    if border == "reflect":  # half-sample symmetric (scipy 'symm'), period 2n
        m = idx % (2 * n)
        return np.where(m < n, m, 2 * n - 1 - m)
    if border == "mirror":  # whole-sample symmetric (reflect101), period 2n - 2
        if n == 1:
            return np.zeros_like(idx)
        m = idx % (2 * n - 2)
        return np.where(m < n, m, 2 * n - 2 - m)
    raise ValueError(border)


def reference_core(kernel, shape, pads, stride, dilation, border, flip, order):
    """(data, indices, indptr, (rows, cols), (P, Q)): output (p, q), tap (r, s) reads input row
    p*sh - top + r*dh, column q*sw - left + s*dw (then the border rule)."""
    k = np.asarray(kernel, np.float64)
    if flip:
        k = k[::-1, ::-1]
    (R, S), (H, W) = k.shape, shape
    top, bottom, left, right = pads
    (sh, sw), (dh, dw) = stride, dilation
    P = (H + top + bottom - dh * (R - 1) - 1) // sh + 1
    Q = (W + left + right - dw * (S - 1) - 1) // sw + 1
    assert P >= 1 and Q >= 1
    rows = _border_map(np.arange(P)[:, None] * sh - top + np.arange(R)[None, :] * dh, H, border)
    cols = _border_map(np.arange(Q)[:, None] * sw - left + np.arange(S)[None, :] * dw, W, border)
    p, q, r, s = np.meshgrid(np.arange(P), np.arange(Q), np.arange(R), np.arange(S),
                             indexing="ij")
    i, j = rows[p, r], cols[q, s]
    keep = (i >= 0) & (j >= 0) & (k[r, s] != 0)
    if order == "C":
        out_idx, in_idx = p * Q + q, i * W + j
    else:
        out_idx, in_idx = q * P + p, j * H + i
    A = scipy.sparse.csr_matrix((k[r, s][keep], (out_idx[keep], in_idx[keep])),
                                shape=(P * Q, H * W))
    A.sum_duplicates()
    A.sort_indices()
    return (A.data, A.indices.astype(np.int64), A.indptr.astype(np.int64), (P * Q, H * W),
            (P, Q))


@pytest.fixture(autouse=True)
def core_builder(monkeypatch):
    """The native builder, or the reference where the extension predates it."""
    if not HAVE_CORE:
        monkeypatch.setattr(_core, "convolution_matrix_2d", reference_core, raising=False)


# ------------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------------

def _rng(key):
    """A generator seeded by the test's parameters (reproducibly: not by hash())."""
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _rand(rng, shape, dtype=np.float64):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    if dtype.kind in "iu":
        return rng.integers(-3 if dtype.kind == "i" else 0, 5, shape).astype(dtype)
    if dtype.kind == "b":
        return rng.random(shape) < 0.5
    return rng.standard_normal(shape).astype(dtype)


def _dilate(k, dilation):
    dh, dw = dilation
    out = np.zeros((dh * (k.shape[0] - 1) + 1, dw * (k.shape[1] - 1) + 1), k.dtype)
    out[::dh, ::dw] = k
    return out


def _valid_ok(shape, kshape):
    return all(a >= b for a, b in zip(shape, kshape)) or all(a <= b for a, b in zip(shape, kshape))


def _scipy(x, k, mode, boundary, stride=(1, 1), dilation=(1, 1)):
    return scipy.signal.convolve2d(x, _dilate(k, dilation), mode, boundary)[::stride[0],
                                                                             ::stride[1]]


def _scipy_dense(k, shape, mode, boundary, stride=(1, 1), dilation=(1, 1)):
    """The matrix, column by column: scipy.signal.convolve2d of each unit image."""
    H, W = shape
    cols = []
    for idx in range(H * W):
        e = np.zeros(H * W)
        e[idx] = 1
        cols.append(_scipy(e.reshape(H, W), k, mode, boundary, stride, dilation).ravel())
    return np.array(cols).T


# image shapes x kernel shapes: 1x1, odd, even, non-square, larger than the image
SHAPES = [(1, 1), (1, 5), (4, 1), (3, 3), (5, 4), (6, 7), (8, 5)]
KERNELS = [(1, 1), (1, 2), (2, 1), (2, 2), (3, 3), (2, 4), (4, 3), (5, 5), (9, 10), (12, 7)]
MODES = ["full", "same", "valid"]
BOUNDARIES = ["fill", "wrap", "symm"]


def _cases():
    out = []
    for shape in SHAPES:
        for kshape in KERNELS:
            for mode in MODES:
                if mode == "valid" and not _valid_ok(shape, kshape):
                    continue
                out.append((shape, kshape, mode))
    return out


CASES = _cases()


# ------------------------------------------------------------------------------------------------
# convolution_matrix: scipy.linalg.convolution_matrix
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", ["int64", "float64", "float32", "complex128", "complex64",
                                   "uint8", "int16", "bool"])
def test_convolution_matrix_is_scipys(mode, dtype):
    rng = _rng((mode, dtype))
    for m in (1, 2, 3, 4, 7):
        for n in (1, 2, 3, 5, 8):
            a = _rand(rng, m, dtype)
            got = linalg.convolution_matrix(a, n, mode)
            want = scipy.linalg.convolution_matrix(a, n, mode)
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want)
            if dtype != "bool":
                v = _rand(rng, n, np.float64)
                np.testing.assert_allclose(got @ v, np.convolve(a, v, mode), atol=1e-5)


@pytest.mark.parametrize("a", [[1, 2, 3], [1.5], [[1, 2], [3, 4], [5, 6]],
                               np.arange(24.0).reshape(2, 3, 4), [1 + 2j, 3], ["a", "b"]])
@pytest.mark.parametrize("mode", MODES)
def test_convolution_matrix_lists_and_batches(a, mode):
    for n in (1, 2, 5, np.int64(3)):
        got = linalg.convolution_matrix(a, n, mode=mode)
        want = scipy.linalg.convolution_matrix(a, n, mode=mode)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("a,n,mode", [
    ([1, 2, 3], 0, "full"), ([1, 2, 3], -1, "full"), ([1, 2, 3], 0.0, "full"),
    ([1, 2, 3], -2.5, "same"), ([1, 2, 3], 2.0, "full"), ([1, 2, 3], 2.5, "full"),
    ([1, 2, 3], "2", "full"), ([1, 2, 3], None, "full"), ([], 2, "full"),
    (np.zeros((2, 0)), 2, "full"), ([1, 2, 3], 2, "bogus"), ([1, 2, 3], 2, None),
    ([1, 2, 3], 2, "FULL"), ([], 0, "bogus"), ([], 2, "bogus"),
])
def test_convolution_matrix_errors_are_scipys(a, n, mode):
    with pytest.raises(Exception) as want:
        scipy.linalg.convolution_matrix(a, n, mode)
    with pytest.raises(want.type) as got:
        linalg.convolution_matrix(a, n, mode)
    # SciPy's message (TypeErrors come from NumPy's internals there: ours name n)
    if want.type is ValueError:
        assert str(want.value) in str(got.value) or str(want.value)[:-1] in str(got.value)
    else:
        assert "n" in str(got.value)


def test_convolution_matrix_0d():
    with pytest.raises(ValueError, match="a: must be a 1-D"):
        linalg.convolution_matrix(5.0, 3)


# ------------------------------------------------------------------------------------------------
# convolution_matrix_2d: scipy.signal.convolve2d
# ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("shape,kshape,mode", CASES)
def test_matrix_is_convolve2d(shape, kshape, mode, boundary):
    rng = _rng((shape, kshape, mode, boundary))
    k = _rand(rng, kshape)
    A = linalg.convolution_matrix_2d(k, shape, mode, boundary)
    assert isinstance(A, scipy.sparse.csr_matrix)
    x = _rand(rng, (2,) + shape)
    for xi in x:
        want = scipy.signal.convolve2d(xi, k, mode, boundary)
        assert A.shape == (want.size, xi.size)
        np.testing.assert_allclose(A @ xi.ravel(), want.ravel(), rtol=1e-12, atol=1e-12)
    # the whole matrix, where it is small
    if A.shape[0] * A.shape[1] <= 2000:
        np.testing.assert_allclose(A.toarray(), _scipy_dense(k, shape, mode, boundary),
                                   rtol=1e-13, atol=1e-13)
    assert A.has_canonical_format
    assert np.all(np.diff(A.indptr) <= k.size)  # at most R * S per row
    if mode != "full" or boundary == "fill":
        assert A.nnz <= k.size * x[0].size


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stride,dilation", [((1, 1), (2, 2)), ((2, 2), (1, 1)), ((2, 3), (1, 2)),
                                             ((3, 1), (3, 1)), ((4, 4), (2, 3)), (1, 2), (3, 1)])
def test_stride_and_dilation(mode, boundary, stride, dilation):
    rng = _rng((mode, boundary, str(stride), str(dilation)))
    sp = (stride, stride) if isinstance(stride, int) else stride
    dp = (dilation, dilation) if isinstance(dilation, int) else dilation
    for shape, kshape in [((7, 9), (3, 2)), ((5, 5), (2, 3)), ((3, 4), (4, 4)), ((10, 6), (1, 3)),
                          ((2, 2), (3, 3)), ((1, 1), (2, 2))]:
        k = _rand(rng, kshape)
        if mode == "valid" and not _valid_ok(shape, _dilate(k, dp).shape):
            with pytest.raises(ValueError, match="mode"):
                linalg.convolution_matrix_2d(k, shape, mode, boundary, stride, dilation)
            continue
        for order in "CF":
            A = linalg.convolution_matrix_2d(k, shape, mode, boundary, stride, dilation,
                                             order=order)
            x = _rand(rng, shape)
            want = _scipy(x, k, mode, boundary, sp, dp)
            assert A.shape == (want.size, x.size)
            np.testing.assert_allclose(A @ x.ravel(order), want.ravel(order), rtol=1e-12,
                                       atol=1e-12)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
def test_order_f_is_the_permuted_order_c(mode, boundary):
    rng = np.random.default_rng(7)
    for shape, kshape in [((4, 6), (3, 2)), ((5, 3), (2, 2)), ((2, 3), (4, 5))]:
        k = _rand(rng, kshape)
        if mode == "valid" and not _valid_ok(shape, kshape):
            continue
        C = linalg.convolution_matrix_2d(k, shape, mode, boundary, format="dense")
        F = linalg.convolution_matrix_2d(k, shape, mode, boundary, format="dense", order="F")
        P, Q = scipy.signal.convolve2d(np.zeros(shape), k, mode, boundary).shape
        rows = np.arange(P * Q).reshape(P, Q).ravel("F")
        cols = np.arange(shape[0] * shape[1]).reshape(shape).ravel("F")
        # (duplicates, 'wrap'/'symm', may be summed in another order: round-off)
        np.testing.assert_allclose(F, C[np.ix_(rows, cols)], rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("kdtype,xdtype,mdtype", [
    ("int64", "float64", "float64"), ("int32", "int32", "float64"), ("uint8", "float64", "float64"),
    ("bool", "float64", "float64"), ("float16", "float64", "float64"),
    ("float32", "float32", "float32"), ("float64", "complex128", "float64"),
    ("complex128", "float64", "complex128"), ("complex128", "complex128", "complex128"),
    ("complex64", "complex64", "complex64"), ("longdouble", "float64", "float64"),
])
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
def test_dtypes(kdtype, xdtype, mdtype, mode, boundary):
    rng = np.random.default_rng(3)
    for shape, kshape in [((5, 6), (3, 2)), ((2, 2), (3, 3))]:
        k = _rand(rng, kshape, kdtype)
        x = _rand(rng, shape, xdtype)
        for fmt in ("csr", "coo", "dense"):
            A = linalg.convolution_matrix_2d(k, shape, mode, boundary, format=fmt)
            assert A.dtype == np.dtype(mdtype)
            want = scipy.signal.convolve2d(x, k, mode, boundary)
            tol = 1e-4 if mdtype in ("float32", "complex64") else 1e-12
            np.testing.assert_allclose(A @ x.ravel(), want.ravel(), rtol=tol, atol=tol)


def test_complex_kernel_is_real_plus_imaginary():
    rng = np.random.default_rng(5)
    k = _rand(rng, (3, 4), np.complex128)
    k[0, 0] = 2.0  # a real tap
    k[1, 1] = 3j  # an imaginary one
    for boundary in BOUNDARIES:
        A = linalg.convolution_matrix_2d(k, (6, 5), "same", boundary)
        Ar = linalg.convolution_matrix_2d(k.real, (6, 5), "same", boundary)
        Ai = linalg.convolution_matrix_2d(k.imag, (6, 5), "same", boundary)
        np.testing.assert_array_equal(A.toarray(), Ar.toarray() + 1j * Ai.toarray())
        assert A.has_canonical_format


def test_matlab_convmtx2():
    """MATLAB: T = convmtx2(H, m, n); reshape(T * X(:), size(H) + [m n] - 1) == conv2(X, H)."""
    Hk = np.array([[1.0, 2.0], [3.0, 4.0]])
    T = linalg.convolution_matrix_2d(Hk, (2, 2), order="F", format="dense")
    # column j of convmtx2 is H placed at X(:)'s j-th pixel of the 3x3 output, read down columns
    want = np.zeros((9, 4))
    for j, (r, c) in enumerate([(0, 0), (1, 0), (0, 1), (1, 1)]):
        out = np.zeros((3, 3))
        out[r:r + 2, c:c + 2] = Hk
        want[:, j] = out.ravel("F")
    np.testing.assert_array_equal(T, want)
    rng = np.random.default_rng(11)
    for (m, n), kshape in [((5, 7), (3, 3)), ((4, 4), (2, 5)), ((1, 3), (4, 1)), ((3, 2), (6, 6))]:
        Hk, X = _rand(rng, kshape), _rand(rng, (m, n))
        T = linalg.convolution_matrix_2d(Hk, (m, n), "full", order="F")
        assert T.shape == ((m + kshape[0] - 1) * (n + kshape[1] - 1), m * n)
        assert T.nnz == np.count_nonzero(Hk) * m * n  # MATLAB's nnz too
        out = (T @ X.ravel("F")).reshape(np.add(kshape, (m, n)) - 1, order="F")
        np.testing.assert_allclose(out, scipy.signal.convolve2d(X, Hk), rtol=1e-12, atol=1e-12)


def test_formats():
    rng = np.random.default_rng(2)
    k = _rand(rng, (3, 3))
    k[1, 1] = 0.0  # zero taps store nothing
    csr = linalg.convolution_matrix_2d(k, (4, 5), "same", format="csr")
    coo = linalg.convolution_matrix_2d(k, (4, 5), "same", format="coo")
    dense = linalg.convolution_matrix_2d(k, (4, 5), "same", format="dense")
    assert type(csr) is scipy.sparse.csr_matrix and type(coo) is scipy.sparse.coo_matrix
    assert type(dense) is np.ndarray and dense.shape == (20, 20)
    np.testing.assert_array_equal(csr.toarray(), dense)
    np.testing.assert_array_equal(coo.toarray(), dense)
    assert csr.nnz == coo.nnz == np.count_nonzero(dense)
    assert not np.any(csr.data == 0)


def test_aliases_and_pairs():
    k = np.arange(6.0).reshape(2, 3)
    base = linalg.convolution_matrix_2d(k, (5, 4), "same", "symm", 2, 1, "dense")
    for kw in [dict(boundary="symmetric"), dict(stride=(2, 2)), dict(stride=np.array([2, 2])),
               dict(dilation=(1, 1)), dict(stride=np.int64(2))]:
        args = dict(mode="same", boundary="symm", stride=2, format="dense")
        args.update(kw)
        np.testing.assert_array_equal(linalg.convolution_matrix_2d(k, (5, 4), **args), base)
    np.testing.assert_array_equal(
        linalg.convolution_matrix_2d(k, (5, 4), "full", "circular", format="dense"),
        linalg.convolution_matrix_2d(k, (5, 4), "full", "wrap", format="dense"))
    np.testing.assert_array_equal(
        linalg.convolution_matrix_2d(k, np.array([5, 4]), "full", "pad", format="dense"),
        linalg.convolution_matrix_2d(k, (5, 4), "full", "fill", format="dense"))
    # the kernel is not kept: any strides, a list
    kk = np.arange(24.0).reshape(4, 6)[::2, ::2].T
    np.testing.assert_array_equal(
        linalg.convolution_matrix_2d(kk, (4, 4), format="dense"),
        linalg.convolution_matrix_2d(np.ascontiguousarray(kk).tolist(), (4, 4), format="dense"))


K = np.ones((3, 3))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(kernel=np.ones(3)), ValueError, "kernel"),
    (dict(kernel=np.ones((2, 2, 2))), ValueError, "kernel"),
    (dict(kernel=np.ones((0, 3))), ValueError, "kernel"),
    (dict(kernel=np.array([["a"]])), TypeError, "kernel"),
    (dict(kernel=np.ones((2, 2), object)), TypeError, "kernel"),
    (dict(kernel=None), TypeError, "kernel"),
    (dict(shape=5), TypeError, "shape"),
    (dict(shape=(5,)), ValueError, "shape"),
    (dict(shape=(5, 6, 7)), ValueError, "shape"),
    (dict(shape=(0, 6)), ValueError, "shape"),
    (dict(shape=(-5, 6)), ValueError, "shape"),
    (dict(shape=(5.0, 6)), TypeError, "shape"),
    (dict(shape=(True, 6)), TypeError, "shape"),
    (dict(shape="ab"), TypeError, "shape"),
    (dict(shape=None), TypeError, "shape"),
    (dict(mode="bogus"), ValueError, "mode"),
    (dict(mode=1), TypeError, "mode"),
    (dict(mode=None), TypeError, "mode"),
    (dict(boundary="reflect"), ValueError, "boundary"),
    (dict(boundary=b"fill"), TypeError, "boundary"),
    (dict(stride=0), ValueError, "stride"),
    (dict(stride=(1, 0)), ValueError, "stride"),
    (dict(stride=1.5), TypeError, "stride"),
    (dict(stride=(1, 1, 1)), ValueError, "stride"),
    (dict(stride=True), TypeError, "stride"),
    (dict(stride="2"), TypeError, "stride"),
    (dict(dilation=0), ValueError, "dilation"),
    (dict(dilation=(2, -1)), ValueError, "dilation"),
    (dict(dilation=None), TypeError, "dilation"),
    (dict(format="csc"), ValueError, "format"),
    (dict(format=None), TypeError, "format"),
    (dict(order="A"), ValueError, "order"),
    (dict(order=0), TypeError, "order"),
    (dict(shape=(2, 5), mode="valid"), ValueError, "mode"),  # neither is larger in every axis
    (dict(shape=(5, 8), mode="valid", dilation=3), ValueError, "mode"),  # 7x7 dilated vs 5x8
])
def test_matrix_errors(kwargs, exc, match):
    args = dict(kernel=K, shape=(5, 6))
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        linalg.convolution_matrix_2d(**args)


def test_same_centring_is_convkits_own():
    """convkit.conv2d's pads for a convolution (convkit._pads) centre 'same' as SciPy does."""
    import convkit
    for R in range(1, 9):
        for S in range(1, 9):
            for mode in ("full", "same", "valid"):
                assert convkit._pads((R, S), mode) == linalg._geometry((R, S), (9, 9), mode,
                                                                       "fill")[0]
    rng = np.random.default_rng(8)
    x, k = _rand(rng, (7, 6)), _rand(rng, (4, 2))
    np.testing.assert_allclose(convkit.conv2d(x, k, border="constant", mode="same"),
                               scipy.signal.convolve2d(x, k, "same"), rtol=1e-12, atol=1e-12)


def test_valid_mixed_sizes_is_scipys_error_too():
    with pytest.raises(ValueError):
        scipy.signal.convolve2d(np.ones((2, 5)), K, "valid")


# ------------------------------------------------------------------------------------------------
# The native builder against its specification
# ------------------------------------------------------------------------------------------------

@pytest.mark.skipif(not HAVE_CORE, reason="this convkit._core has no convolution_matrix_2d yet")
@pytest.mark.parametrize("border", ["constant", "replicate", "reflect", "mirror", "wrap"])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("flip", [True, False])
def test_core_builder_is_its_specification(border, order, flip):
    rng = _rng((border, order, flip))
    for _ in range(40):
        H, W = rng.integers(1, 9, 2)
        R, S = rng.integers(1, 6, 2)
        dh, dw = rng.integers(1, 4, 2)
        sh, sw = rng.integers(1, 4, 2)
        pads = tuple(int(v) for v in rng.integers(0, 12, 4))
        if H + pads[0] + pads[1] < dh * (R - 1) + 1 or W + pads[2] + pads[3] < dw * (S - 1) + 1:
            continue
        k = _rand(rng, (R, S))
        k[rng.random((R, S)) < 0.2] = 0
        args = (k, (int(H), int(W)), pads, (int(sh), int(sw)), (int(dh), int(dw)), border, flip,
                order)
        got = _core.convolution_matrix_2d(*args)
        want = reference_core(*args)
        assert tuple(got[3]) == want[3] and tuple(got[4]) == want[4], args
        data, indices, indptr = (np.asarray(a) for a in got[:3])
        assert data.dtype == np.float64
        assert indices.dtype == np.int64 and indptr.dtype == np.int64
        A = scipy.sparse.csr_matrix((data, indices, indptr), shape=want[3])
        assert A.has_sorted_indices and A.has_canonical_format, args
        B = scipy.sparse.csr_matrix(want[:3], shape=want[3])
        np.testing.assert_allclose(A.toarray(), B.toarray(), rtol=1e-15, atol=1e-15,
                                   err_msg=str(args))


# ------------------------------------------------------------------------------------------------
# ConvolutionOperator
# ------------------------------------------------------------------------------------------------

def _op_cases():
    rng = np.random.default_rng(99)
    out = []
    for i in range(24):
        shape = tuple(int(v) for v in rng.integers(1, 12, 2))
        kshape = tuple(int(v) for v in rng.integers(1, 8, 2))
        out.append((shape, kshape))
    return out + [((1, 1), (1, 1)), ((1, 1), (4, 4)), ((2, 3), (9, 8)), ((16, 12), (4, 6)),
                  ((3, 3), (7, 2)), ((5, 4), (2, 2))]


OP_CASES = _op_cases()


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
def test_operator_dot_product_test(mode, boundary, dtype):
    rng = _rng((mode, boundary, dtype))
    for shape, kshape in OP_CASES:
        if mode == "valid" and not _valid_ok(shape, kshape):
            with pytest.raises(ValueError, match="mode"):
                linalg.ConvolutionOperator(np.ones(kshape), shape, mode, boundary)
            continue
        k = _rand(rng, kshape, dtype)
        op = linalg.ConvolutionOperator(k, shape, mode, boundary)
        assert isinstance(op, LinearOperator)
        x = _rand(rng, op.shape[1], dtype)
        y = _rand(rng, op.shape[0], dtype)
        Ax, AHy = op.matvec(x), op.rmatvec(y)
        assert Ax.shape == (op.shape[0],) and AHy.shape == (op.shape[1],)
        lhs, rhs = np.vdot(y, Ax), np.vdot(AHy, x)  # <A x, y> == <x, A^H y>
        scale = np.linalg.norm(Ax) * np.linalg.norm(y) + np.linalg.norm(AHy) * np.linalg.norm(x)
        assert abs(lhs - rhs) <= 1e-13 * scale, (shape, kshape, lhs, rhs)
        # matvec is convolve2d; rmatvec the matrix's conjugate transpose
        np.testing.assert_allclose(Ax.reshape(op.output_shape),
                                   scipy.signal.convolve2d(x.reshape(shape), k, mode, boundary),
                                   rtol=1e-12, atol=1e-12)
        A = linalg.convolution_matrix_2d(k, shape, mode, boundary)
        np.testing.assert_allclose(AHy, A.conj().T @ y, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_operator_transpose_adjoint_matmat(boundary):
    rng = np.random.default_rng(4)
    k = _rand(rng, (4, 3), np.complex128)
    op = linalg.ConvolutionOperator(k, (7, 6), "full", boundary)
    A = op.to_matrix().toarray()
    np.testing.assert_allclose(linalg.ConvolutionOperator(k, (7, 6), "full", boundary)
                               .to_matrix("dense"), A)
    x = _rand(rng, op.shape[1], np.complex128)
    y = _rand(rng, op.shape[0], np.complex128)
    np.testing.assert_allclose(op @ x, A @ x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(op.H @ y, A.conj().T @ y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(op.adjoint() @ y, A.conj().T @ y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(op.T @ y, A.T @ y, rtol=1e-12, atol=1e-12)
    assert op.H.shape == op.T.shape == (op.shape[1], op.shape[0])
    X = _rand(rng, (op.shape[1], 3), np.complex128)
    Y = _rand(rng, (op.shape[0], 2), np.complex128)
    np.testing.assert_allclose(op @ X, A @ X, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(op.matmat(X), A @ X, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(op.rmatmat(Y), A.conj().T @ Y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(op.H @ Y, A.conj().T @ Y, rtol=1e-12, atol=1e-12)
    # a column vector in, a column vector out (LinearOperator's convention)
    assert op.matvec(x[:, None]).shape == (op.shape[0], 1)
    assert op.rmatvec(y[:, None]).shape == (op.shape[1], 1)
    # composition with other operators
    np.testing.assert_allclose((op.H @ op) @ x, A.conj().T @ (A @ x), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("kdtype,dtype", [("float64", "float64"), ("int64", "float64"),
                                          ("bool", "float64"), ("float32", "float32"),
                                          ("complex64", "complex64"),
                                          ("complex128", "complex128")])
def test_operator_dtype(kdtype, dtype):
    k = _rand(np.random.default_rng(0), (3, 3), kdtype)
    op = linalg.ConvolutionOperator(k, (5, 5))
    assert op.dtype == np.dtype(dtype)
    assert op.shape == (25, 25) and op.output_shape == (5, 5)
    x = np.arange(25.0)
    np.testing.assert_allclose(op @ x, scipy.signal.convolve2d(x.reshape(5, 5), k, "same").ravel(),
                               rtol=1e-5)
    # an integer image: computed in floating point, not with wrapping integers
    xi = np.full(25, 2 ** 40, np.int64)
    assert (op @ xi).dtype.kind in "fc"


def test_operator_keeps_its_own_kernel():
    k = np.ones((3, 3))
    op = linalg.ConvolutionOperator(k, (4, 4))
    k[:] = 0
    assert np.any(op @ np.ones(16) != 0)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(kernel=np.ones(3)), ValueError, "kernel"),
    (dict(kernel=[["a"]]), TypeError, "kernel"),
    (dict(shape=(0, 3)), ValueError, "shape"),
    (dict(shape=3), TypeError, "shape"),
    (dict(mode="bogus"), ValueError, "mode"),
    (dict(boundary="reflect"), ValueError, "boundary"),
    (dict(boundary=None), TypeError, "boundary"),
    (dict(shape=(2, 5), mode="valid"), ValueError, "mode"),
])
def test_operator_errors(kwargs, exc, match):
    args = dict(kernel=K, shape=(5, 6))
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        linalg.ConvolutionOperator(**args)


def test_operator_wrong_vector_length():
    op = linalg.ConvolutionOperator(K, (5, 6))
    with pytest.raises(ValueError):
        op @ np.ones(31)
    with pytest.raises(ValueError):
        op.rmatvec(np.ones(29))


# ------------------------------------------------------------------------------------------------
# The example and the docstrings
# ------------------------------------------------------------------------------------------------

def _example():
    spec = importlib.util.spec_from_file_location("lsqr_deblur", ROOT / "examples" /
                                                  "lsqr_deblur.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("kernel", ["motion", "gaussian"])
def test_lsqr_deblur_example_improves_psnr(kernel):
    ex = _example()
    before, after, seconds, restored = ex.run(size=96, iterations=25, kernel=kernel, quiet=True)
    assert restored.shape == (96, 96)
    assert after > before + 1.0, (before, after)


def test_lsqr_deblur_example_main(capsys, tmp_path):
    ex = _example()
    assert ex.main(["--size", "64", "--iterations", "10", "--out", str(tmp_path / "r.npy")]) == 0
    text = capsys.readouterr().out
    assert "PSNR blurred" in text and "PSNR lsqr restored" in text
    assert np.load(tmp_path / "r.npy").shape == (64, 64)


def test_example_png_reader_matches_pillow():
    PIL = pytest.importorskip("PIL.Image")
    ex = _example()
    for name in ("ascent.png", "face.png"):
        np.testing.assert_array_equal(ex.read_png(ROOT / "data" / name),
                                      np.asarray(PIL.open(ROOT / "data" / name)))


def test_docstring_examples():
    result = doctest.testmod(linalg, extraglobs={"np": np},
                             optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted >= 10


def test_is_a_convkit_submodule():
    import convkit
    assert "linalg" in convkit.__all__
    assert convkit.linalg is linalg
