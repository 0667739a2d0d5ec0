"""convkit.nn.unfold / fold against torch.nn.functional.unfold / fold (torch 2.13 CPU), and
im2col / col2im (MATLAB's semantics, or PyTorch's order) against loops written from MATLAB's
definition; the identity ``conv2d == weight rows @ unfold`` against torch's and convkit's conv2d.

Randomized but seeded: batched and unbatched inputs, 1x1 to odd sizes, int and pair arguments,
every dtype PyTorch takes (float32/float64 in the native layer; float16, complex, bool in NumPy),
non-contiguous views, and every error PyTorch raises (as ValueError / TypeError naming the
parameter).
"""

import doctest

import numpy as np
import pytest

import convkit
from convkit import _im2col, nn

torch = pytest.importorskip("torch")
F = torch.nn.functional
torch.set_num_threads(2)

im2col, col2im = _im2col.im2col, _im2col.col2im

TORCH_DTYPES = {np.float32: torch.float32, np.float64: torch.float64,
                np.float16: torch.float16, np.complex64: torch.complex64,
                np.complex128: torch.complex128, np.bool_: torch.bool}


def _t(a):
    return torch.from_numpy(np.ascontiguousarray(a))


def _random(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    a = rng.standard_normal(shape)
    if dtype.kind == "c":
        a = a + 1j * rng.standard_normal(shape)
    return a.astype(dtype)


def _view(rng, a):
    """A non-contiguous view with a's values: reversed, strided or transposed storage."""
    kind = rng.integers(4)
    if kind == 0:  # every other element of a larger array
        big = np.zeros(tuple(2 * n for n in a.shape), a.dtype)
        big[tuple(slice(None, None, 2) for _ in a.shape)] = a
        return big[tuple(slice(None, None, 2) for _ in a.shape)]
    if kind == 1:  # negative strides
        flipped = np.ascontiguousarray(a[..., ::-1, ::-1])
        return flipped[..., ::-1, ::-1]
    if kind == 2:  # Fortran order
        return np.asfortranarray(a)
    return a


def _maybe_pair(rng, lo, hi):
    if rng.random() < 0.5:
        return int(rng.integers(lo, hi + 1))
    return (int(rng.integers(lo, hi + 1)), int(rng.integers(lo, hi + 1)))


def _params(rng):
    return dict(kernel_size=_maybe_pair(rng, 1, 4), dilation=_maybe_pair(rng, 1, 3),
                padding=_maybe_pair(rng, 0, 2), stride=_maybe_pair(rng, 1, 3))


def _torch_or_error(f):
    try:
        return f(), None
    except (RuntimeError, IndexError, TypeError) as e:
        return None, e


# ---- unfold ------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unfold_random_equals_torch(dtype):
    rng = np.random.default_rng(1400 + np.dtype(dtype).itemsize)
    checked = refused = 0
    for _ in range(150):
        batched = rng.random() < 0.7
        shape = ((int(rng.integers(1, 3)),) if batched else ()) + (
            int(rng.integers(1, 4)), int(rng.integers(1, 10)), int(rng.integers(1, 10)))
        x = _random(rng, shape, dtype)
        p = _params(rng)
        ref, err = _torch_or_error(lambda: F.unfold(_t(x), **p).numpy())
        if err is not None:
            with pytest.raises(ValueError, match="kernel_size"):
                nn.unfold(_view(rng, x), **p)
            refused += 1
            continue
        got = nn.unfold(_view(rng, x), **p)
        assert got.dtype == x.dtype and got.shape == ref.shape, (shape, p)
        np.testing.assert_array_equal(got, ref, err_msg=f"{shape} {p}")
        checked += 1
    assert checked > 80 and refused > 5


@pytest.mark.parametrize("dtype", [np.float16, np.complex64, np.complex128, np.bool_])
def test_unfold_other_torch_dtypes(dtype):
    rng = np.random.default_rng(1401)
    for _ in range(25):
        x = _random(rng, (int(rng.integers(1, 3)), 2, int(rng.integers(3, 8)),
                          int(rng.integers(3, 8))), dtype)
        p = _params(rng)
        ref, err = _torch_or_error(lambda: F.unfold(_t(x), **p).numpy())
        if err is not None:
            with pytest.raises(ValueError):
                nn.unfold(x, **p)
            continue
        got = nn.unfold(_view(rng, x), **p)
        assert got.dtype == x.dtype
        np.testing.assert_array_equal(got, ref)


def test_unfold_empty_batch_and_forms():
    x = np.zeros((0, 2, 5, 6), np.float32)
    assert nn.unfold(x, 2).shape == F.unfold(_t(x), 2).shape == (0, 8, 20)
    x = np.arange(2 * 5 * 6, dtype=np.float64).reshape(2, 5, 6)
    ref = F.unfold(_t(x), [2, 3], padding=(1, 0)).numpy()
    for k in ((2, 3), [2, 3], np.array([2, 3]), (np.int64(2), np.int32(3))):
        np.testing.assert_array_equal(nn.unfold(x, k, padding=(1, 0)), ref)
    # (top, bottom, left, right) padding (an extension): = padding the input first
    got = nn.unfold(x, 2, padding=(1, 0, 2, 1))
    padded = np.pad(x, ((0, 0), (1, 0), (2, 1)))
    np.testing.assert_array_equal(got, F.unfold(_t(padded), 2).numpy())
    # a stride larger than the input: one block, as torch
    np.testing.assert_array_equal(nn.unfold(x, 2, stride=100), F.unfold(_t(x), 2, stride=100))


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int16, np.int32, np.int64, np.uint64])
def test_unfold_fold_refuse_integers_as_torch(dtype):
    x = np.ones((1, 1, 4, 4), dtype)
    with pytest.raises(NotImplementedError):
        F.unfold(_t(x), 2)
    with pytest.raises(TypeError, match="input.*integer"):
        nn.unfold(x, 2)
    with pytest.raises(TypeError, match="input.*integer"):
        nn.fold(np.ones((1, 4, 9), dtype), (4, 4), 2)


# ---- fold --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fold_random_equals_torch(dtype):
    """Bit for bit: the blocks are added in PyTorch's order (kernel taps row-major)."""
    rng = np.random.default_rng(1402 + np.dtype(dtype).itemsize)
    checked = 0
    for _ in range(150):
        batched = rng.random() < 0.7
        n = int(rng.integers(1, 3))
        c = int(rng.integers(1, 4))
        size = (int(rng.integers(1, 10)), int(rng.integers(1, 10)))
        p = _params(rng)
        try:
            shape = F.unfold(torch.zeros((1, c) + size, dtype=torch.float64), **p).shape[1:]
        except RuntimeError:  # no blocks: fold refuses this size
            cols = np.ones((n, c * np.prod(_im2col._ints(p["kernel_size"], "k", (2,))), 3),
                           dtype)
            with pytest.raises(ValueError, match="output_size|input"):
                nn.fold(cols, size, **p)
            continue
        cols = _random(rng, ((n,) if batched else ()) + tuple(shape), dtype)
        ref = F.fold(_t(cols), size, **p).numpy()
        got = nn.fold(_view(rng, cols), size, **p)
        assert got.dtype == cols.dtype and got.shape == ref.shape, (cols.shape, size, p)
        np.testing.assert_array_equal(got, ref, err_msg=f"{size} {p}")
        checked += 1
    assert checked > 80


@pytest.mark.parametrize("dtype", [np.float16, np.complex64, np.complex128, np.bool_])
def test_fold_other_torch_dtypes(dtype):
    """NumPy's path adds in PyTorch's order, in the array's precision: float16 sums round as
    PyTorch's, bool sums are 'or'."""
    rng = np.random.default_rng(1403)
    for _ in range(25):
        size = (int(rng.integers(3, 8)), int(rng.integers(3, 8)))
        p = _params(rng)
        try:
            shape = F.unfold(torch.zeros((1, 2) + size), **p).shape[1:]
        except RuntimeError:
            continue
        cols = _random(rng, (2,) + tuple(shape), dtype)
        ref = F.fold(_t(cols), size, **p).numpy()
        got = nn.fold(_view(rng, cols), size, **p)
        assert got.dtype == cols.dtype
        np.testing.assert_array_equal(got, ref, err_msg=f"{size} {p}")


def test_large_problems_bit_for_bit():
    rng = np.random.default_rng(1408)
    for dtype in (np.float32, np.float64):
        for n, c, h, w, k, d, p, s in [(2, 16, 40, 37, 5, 1, 2, 1), (1, 4, 60, 50, 7, 2, 3, 2)]:
            x = _random(rng, (n, c, h, w), dtype)
            ref = F.unfold(_t(x), k, d, p, s).numpy()
            np.testing.assert_array_equal(nn.unfold(x, k, d, p, s), ref)
            cols = _random(rng, ref.shape, dtype)
            np.testing.assert_array_equal(nn.fold(cols, (h, w), k, d, p, s),
                                          F.fold(_t(cols), (h, w), k, d, p, s).numpy())


def test_fold_is_the_adjoint_of_unfold():
    rng = np.random.default_rng(1404)
    for _ in range(20):
        x = rng.standard_normal((2, 3, int(rng.integers(4, 10)), int(rng.integers(4, 10))))
        p = _params(rng)
        try:
            u = nn.unfold(x, **p)
        except ValueError:
            continue
        y = rng.standard_normal(u.shape)
        lhs = float(np.vdot(u, y))
        rhs = float(np.vdot(x, nn.fold(y, x.shape[2:], **p)))
        assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs)), (p, lhs, rhs)


def test_fold_empty_batch_and_unbatched():
    cols = np.zeros((0, 12, 20))
    assert nn.fold(cols, (5, 6), 2).shape == F.fold(_t(cols), (5, 6), 2).shape
    cols = np.arange(12 * 20, dtype=np.float64).reshape(12, 20)
    np.testing.assert_array_equal(nn.fold(cols, (5, 6), 2), F.fold(_t(cols), (5, 6), 2).numpy())
    np.testing.assert_array_equal(nn.fold(cols[:, :1], 2, 2), F.fold(_t(cols[:, :1]), 2, 2))


# ---- errors ------------------------------------------------------------------------------------

X = np.zeros((2, 3, 5, 6))
COLS = np.zeros((2, 12, 20))

ERRORS = [
    # (call, exception, the parameter the message names)
    (lambda: nn.unfold(X, 0), ValueError, "kernel_size"),
    (lambda: nn.unfold(X, (2, -1)), ValueError, "kernel_size"),
    (lambda: nn.unfold(X, 2, dilation=0), ValueError, "dilation"),
    (lambda: nn.unfold(X, 2, stride=(1, 0)), ValueError, "stride"),
    (lambda: nn.unfold(X, 2, padding=-1), ValueError, "padding"),
    (lambda: nn.unfold(X, (2, 2, 2)), ValueError, "kernel_size"),
    (lambda: nn.unfold(X, 2, padding=(1, 1, 1)), ValueError, "padding"),
    (lambda: nn.unfold(X, 2.0), TypeError, "kernel_size"),
    (lambda: nn.unfold(X, (2.5, 2)), TypeError, "kernel_size"),
    (lambda: nn.unfold(X, True), TypeError, "kernel_size"),
    (lambda: nn.unfold(X, 2, stride="1"), TypeError, "stride"),
    (lambda: nn.unfold(X, 2, dilation=None), TypeError, "dilation"),
    (lambda: nn.unfold(X[0, 0], 2), ValueError, "input"),
    (lambda: nn.unfold(X[None], 2), ValueError, "input"),
    (lambda: nn.unfold(X[:, :0], 2), ValueError, "input"),
    (lambda: nn.unfold(X[:, :, :0], 1, padding=1), ValueError, "input"),
    (lambda: nn.unfold(X, 6), ValueError, "kernel_size"),
    (lambda: nn.unfold(X, 3, dilation=3), ValueError, "kernel_size"),
    (lambda: nn.unfold(X.astype(np.int32), 2), TypeError, "input"),
    (lambda: nn.unfold(X.astype(object), 2), TypeError, "input"),
    (lambda: nn.unfold(None, 2), TypeError, "input"),
    (lambda: nn.unfold(X, 2, padding=10 ** 10), ValueError, "too big"),
    (lambda: nn.fold(COLS, (5, 6), 0), ValueError, "kernel_size"),
    (lambda: nn.fold(COLS, (5, 6), 2, stride=0), ValueError, "stride"),
    (lambda: nn.fold(COLS, (5, 6), 2, dilation=0), ValueError, "dilation"),
    (lambda: nn.fold(COLS, (5, 6), 2, padding=-1), ValueError, "padding"),
    (lambda: nn.fold(COLS[:, :-1], (5, 6), 2), ValueError,
     "divisible by the product of kernel_size"),
    (lambda: nn.fold(COLS, (5, 7), 2), ValueError, "sliding blocks 4 \\* 6 = 24"),
    (lambda: nn.fold(COLS, (1, 1), 2), ValueError, "output_size.*non-positive"),
    (lambda: nn.fold(COLS, (0, 6), 2), ValueError, "output_size"),
    (lambda: nn.fold(COLS, (-5, 6), 2), ValueError, "output_size"),
    (lambda: nn.fold(COLS, (5, 6, 1), 2), ValueError, "output_size"),
    (lambda: nn.fold(COLS, 5.0, 2), TypeError, "output_size"),
    (lambda: nn.fold(COLS[None], (5, 6), 2), ValueError, "input"),
    (lambda: nn.fold(COLS[0, 0], (5, 6), 2), ValueError, "input"),
    (lambda: nn.fold(COLS[:, :, :0], (5, 6), 2), ValueError, "input"),
    (lambda: nn.fold(COLS[:, :0], (5, 6), 2), ValueError, "input"),
    (lambda: nn.fold(COLS.astype(np.int64), (5, 6), 2), TypeError, "input"),
    (lambda: im2col(np.zeros((3, 4, 2)), 2), ValueError, "image"),
    (lambda: im2col(np.zeros((3, 4)), (0, 2)), ValueError, "block_size"),
    (lambda: im2col(np.zeros((3, 4)), 2, mode="overlap"), ValueError, "mode"),
    (lambda: im2col(np.zeros((3, 4)), 2, order="C"), ValueError, "order"),
    (lambda: im2col(np.zeros((3, 4)), 2, mode=1), TypeError, "mode"),
    (lambda: im2col(np.zeros((3, 4), "M8[s]"), 2), TypeError, "image"),
    (lambda: col2im(np.zeros((3, 4)), (2, 2), (4, 4), "distinct"), ValueError, "columns"),
    (lambda: col2im(np.zeros((4, 3)), (2, 2), (4, 4), "distinct"), ValueError, "columns"),
    (lambda: col2im(np.zeros((1, 5)), (2, 2), (3, 3)), ValueError, "columns"),
    (lambda: col2im(np.zeros((1, 5)), (4, 2), (3, 3)), ValueError, "image_size"),
    (lambda: col2im(np.zeros((1, 4)), (2, 2), (3, 3, 1)), ValueError, "image_size"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_name_the_parameter(i):
    call, exc, text = ERRORS[i]
    with pytest.raises(exc, match=text):
        call()


def test_torch_refuses_what_we_refuse():
    """The geometry errors above are torch's too (RuntimeError there)."""
    x, cols = _t(X), _t(COLS)
    for f in (lambda: F.unfold(x, 0), lambda: F.unfold(x, 2, dilation=0),
              lambda: F.unfold(x, 2, stride=0), lambda: F.unfold(x, 2, padding=-1),
              lambda: F.unfold(x, 6), lambda: F.unfold(x[:, :0], 2),
              lambda: F.fold(cols[:, :-1], (5, 6), 2), lambda: F.fold(cols, (5, 7), 2),
              lambda: F.fold(cols, (1, 1), 2), lambda: F.fold(cols, (0, 6), 2),
              lambda: F.fold(cols[:, :, :0], (5, 6), 2)):
        with pytest.raises(RuntimeError):
            f()


# ---- conv2d == weight rows @ unfold ------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv_is_weight_rows_times_unfold(dtype):
    rng = np.random.default_rng(1405 + np.dtype(dtype).itemsize)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    checked = 0
    for _ in range(60):
        n, c, k = int(rng.integers(1, 3)), int(rng.integers(1, 4)), int(rng.integers(1, 5))
        h, w = int(rng.integers(1, 12)), int(rng.integers(1, 12))
        x = _random(rng, (n, c, h, w), dtype)
        kh, kw = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        weight = _random(rng, (k, c, kh, kw), dtype)
        stride, dilation, padding = _maybe_pair(rng, 1, 3), _maybe_pair(rng, 1, 2), \
            _maybe_pair(rng, 0, 2)
        try:
            ref = F.conv2d(_t(x).double(), _t(weight).double(), stride=stride, padding=padding,
                           dilation=dilation).numpy()
        except RuntimeError:
            with pytest.raises(ValueError):
                nn.unfold(x, (kh, kw), dilation, padding, stride)
            continue
        cols = nn.unfold(_view(rng, x), (kh, kw), dilation, padding, stride)
        via_unfold = (weight.reshape(k, -1) @ cols).reshape(ref.shape)
        ours = nn.conv2d(x, weight, stride=stride, padding=padding, dilation=dilation)
        scale = max(1.0, float(np.abs(ref).max()))
        assert np.abs(via_unfold - ref).max() <= tol * scale
        assert np.abs(ours - via_unfold).max() <= tol * scale
        checked += 1
    assert checked > 30


# ---- im2col / col2im ---------------------------------------------------------------------------

def matlab_im2col(a, m, n, mode):
    """MATLAB's im2col.m, written with 1-based loops: columns are the blocks read
    column-major, in column-major order of their positions."""
    mm, nn_ = a.shape
    if mode == "distinct":
        mb, nb = -(-mm // m), -(-nn_ // n)
        aa = np.zeros((mb * m, nb * n), a.dtype)
        aa[:mm, :nn_] = a
        b = np.zeros((m * n, mb * nb), a.dtype)
        for i in range(mb):
            for j in range(nb):
                b[:, i + j * mb] = aa[i * m:(i + 1) * m, j * n:(j + 1) * n].ravel(order="F")
        return b
    if mm < m or nn_ < n:
        return np.zeros((m * n, 0), a.dtype)
    rows, cols = mm - m + 1, nn_ - n + 1
    b = np.zeros((m * n, rows * cols), a.dtype)
    for j in range(cols):
        for i in range(rows):
            b[:, i + j * rows] = a[i:i + m, j:j + n].ravel(order="F")
    return b


def torch_distinct(a, m, n):
    hp, wp = -(-a.shape[0] // m) * m, -(-a.shape[1] // n) * n
    padded = np.zeros((hp, wp))
    padded[:a.shape[0], :a.shape[1]] = a
    return F.unfold(_t(padded)[None, None], (m, n), stride=(m, n))[0].numpy()


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.uint8, np.int64, np.bool_,
                                   np.complex128])
def test_im2col_random(dtype):
    rng = np.random.default_rng(1406)
    for _ in range(40):
        a = _random(rng, (int(rng.integers(1, 9)), int(rng.integers(1, 9))), np.float64) * 10
        a = a.astype(dtype) if dtype != np.bool_ else a > 0
        m, n = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        view = _view(rng, a)
        for mode in ("sliding", "distinct"):
            ref = matlab_im2col(a, m, n, mode)
            got = im2col(view, (m, n), mode, order="matlab")
            assert got.dtype == a.dtype
            np.testing.assert_array_equal(got, ref, err_msg=f"{a.shape} {(m, n)} {mode}")
            torch_order = im2col(view, (m, n), mode)
            assert torch_order.dtype == a.dtype
            if dtype != np.complex128:  # PyTorch's order: unfold's, on the padded image
                real = a.astype(np.float64)
                if mode == "distinct":
                    ref = torch_distinct(real, m, n)
                elif m <= a.shape[0] and n <= a.shape[1]:
                    ref = F.unfold(_t(real)[None, None], (m, n))[0].numpy()
                else:
                    ref = np.zeros((m * n, 0))
                np.testing.assert_array_equal(torch_order.astype(np.float64), ref)
            if mode == "distinct":
                for order in ("torch", "matlab"):
                    cols = im2col(view, (m, n), mode, order=order)
                    back = col2im(cols, (m, n), a.shape, mode, order)
                    assert back.dtype == a.dtype
                    np.testing.assert_array_equal(back, a)


def test_im2col_matlab_documented_example():
    """MATLAB's documentation: B = im2col(A, [2 2]) of A = reshape(1:16, 4, 4)' ... computed
    here for A = [1 2 3; 4 5 6; 7 8 9]: columns are A(1:2,1:2)(:), A(2:3,1:2)(:), ..."""
    a = np.arange(1, 10).reshape(3, 3)
    np.testing.assert_array_equal(im2col(a, (2, 2), order="matlab"),
                                  [[1, 4, 2, 5], [4, 7, 5, 8], [2, 5, 3, 6], [5, 8, 6, 9]])
    assert im2col(a, (4, 2), order="matlab").shape == (8, 0)  # larger than the image: empty
    np.testing.assert_array_equal(im2col(a, 3, "distinct"), a.reshape(9, 1))


def test_col2im_sliding_is_a_reshape():
    rng = np.random.default_rng(1407)
    a = rng.standard_normal((6, 7))
    k = rng.standard_normal((3, 2))
    ref = F.conv2d(_t(a)[None, None], _t(k)[None, None])[0, 0].numpy()  # a correlation
    # PyTorch's order: the kernel flattened row-major
    got = col2im(k.ravel() @ im2col(a, k.shape), k.shape, a.shape)
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-13)
    # MATLAB's: column-major, and the row vector reshaped column-major
    got = col2im(k.ravel(order="F") @ im2col(a, k.shape, order="matlab"), k.shape, a.shape,
                 order="matlab")
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-13)
    v = np.arange(24)
    np.testing.assert_array_equal(col2im(v, (3, 2), (6, 7), order="matlab"),
                                  v.reshape(4, 6, order="F"))
    np.testing.assert_array_equal(col2im(v[None], (3, 2), (6, 7)), v.reshape(4, 6))


# ---- documentation -----------------------------------------------------------------------------

def test_docstring_examples():
    linalg = pytest.importorskip("convkit.linalg")
    if not hasattr(linalg, "im2col"):
        pytest.skip("convkit.linalg does not re-export im2col yet")
    failures, _ = doctest.testmod(_im2col, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert failures == 0


def test_nn_exports():
    assert nn.unfold is _im2col.unfold and nn.fold is _im2col.fold
    assert {"unfold", "fold"} <= set(nn.__all__)
    assert convkit.nn.unfold(np.ones((1, 2, 2)), 1).shape == (1, 4)
