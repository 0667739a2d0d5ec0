"""convkit.cv's fast paths (cached per (dtype, ddepth, borderType), exact int/float arguments)
against its general path and cv2: the same numbers, the same refusals once a key is cached, and
dst= written by the library directly (in place, HxWx1, overlapping views) with cv2's rule."""
import cv2
import numpy as np
import pytest
import randomdata

from convkit import _cv_checked, cv

rng = np.random.default_rng(2718)

K3 = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float32)
KX = np.array([1, 2, 1], np.float32) / 4

# (name, args after src, keyword arguments): calls the fast paths take for uint8 / float32
CALLS = [
    ("filter2D", (-1, K3), {}),
    ("filter2D", (cv2.CV_32F, K3), {"anchor": (0, 2), "delta": 3, "borderType": cv2.BORDER_REPLICATE}),
    ("filter2D", (-1, K3.astype(np.int32)), {}),
    ("filter2D", (-1, KX), {"borderType": cv2.BORDER_CONSTANT}),
    ("sepFilter2D", (-1, KX, KX), {}),
    ("sepFilter2D", (cv2.CV_64F, KX.reshape(1, -1), KX.reshape(-1, 1)), {"delta": 1.5, "anchor": (0, -1)}),
    ("GaussianBlur", ((5, 3), 1.1), {}),
    ("GaussianBlur", ((0, 0), 2), {"sigmaY": 0.7, "borderType": cv2.BORDER_REFLECT}),
    ("GaussianBlur", ((1, 1), 0), {}),
    ("boxFilter", (-1, (3, 5)), {}),
    ("boxFilter", (cv2.CV_32F, (4, 2)), {"normalize": False, "anchor": (3, 0)}),
    ("blur", ((5, 5),), {"borderType": cv2.BORDER_CONSTANT}),
    ("Sobel", (cv2.CV_32F, 1, 0), {}),
    ("Sobel", (cv2.CV_64F, 1, 2), {"ksize": 5, "scale": 0.5, "delta": 2}),
    ("Sobel", (cv2.CV_32F, 0, 1), {"ksize": -1}),
    ("Scharr", (cv2.CV_32F, 0, 1), {"scale": 2}),
    ("Laplacian", (cv2.CV_32F,), {}),
    ("Laplacian", (cv2.CV_64F,), {"ksize": 5, "borderType": cv2.BORDER_REPLICATE | cv2.BORDER_ISOLATED}),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CALLS)]


def image(shape, dtype):
    return randomdata.image(rng, shape, dtype, 0, 200)


def out_dtype(name, args, src):
    ddepth = args[0] if name not in ("GaussianBlur", "blur") else -1
    return src.dtype if ddepth < 0 else np.dtype({5: np.float32, 6: np.float64}[ddepth])


def generalised(args, kw):
    """The same call with NumPy integers: the general path (no cached decision used)."""
    g = lambda v: np.int64(v) if type(v) is int else v
    return tuple(g(a) for a in args), {k: (g(v) if k == "borderType" else v) for k, v in kw.items()}


@pytest.mark.parametrize("name,args,kw", CALLS, ids=IDS)
@pytest.mark.parametrize("shape", [(16, 16), (9, 13, 3), (1, 7), (7, 1, 4)])
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
def test_fast_path_matches_cv2_and_the_general_path(name, args, kw, shape, dtype):
    src = image(shape, dtype)
    got = getattr(cv, name)(src, *args, **kw)
    want = getattr(cv2, name)(src, *args, **kw)
    assert got.shape == want.shape and got.dtype == want.dtype
    # OpenCV's float accumulation may round a near-tie the other way (test_cv.py's tolerances)
    tol = 1 if got.dtype.kind in "iu" else 1e-4 * (1 + np.abs(want).max())
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)
    gargs, gkw = generalised(args, kw)
    np.testing.assert_array_equal(getattr(cv, name)(src, *gargs, **gkw), got)


@pytest.mark.parametrize("name,args,kw", CALLS, ids=IDS)
def test_dst_written_directly(name, args, kw, monkeypatch):
    """A dst of the output's shape and dtype gets the library's result with no copy (the copying
    helper is made to fail); another dst is left alone and a new array returned."""
    src = image((11, 14, 3), "float32" if name != "GaussianBlur" else "uint8")
    want = getattr(cv, name)(src, *args, **kw)

    def no_copy(*a, **k):
        raise AssertionError("dst filled by a copy")

    monkeypatch.setattr(_cv_checked, "_finish", no_copy)
    dst = np.zeros(want.shape, want.dtype)
    assert getattr(cv, name)(src, *args, dst=dst, **kw) is dst
    np.testing.assert_array_equal(dst, want)
    # a view with gaps, a Fortran-ordered array: written in place as well
    big = np.zeros((want.shape[0], want.shape[1] * 2, 3), want.dtype)
    for view in [big[:, ::2], np.asfortranarray(np.zeros(want.shape, want.dtype))]:
        assert getattr(cv, name)(src, *args, dst=view, **kw) is view
        np.testing.assert_array_equal(view, want)
    monkeypatch.undo()
    for wrong in [np.zeros(want.shape, np.int8), np.zeros((3, 4, 3), want.dtype), np.zeros(want.shape[:2], want.dtype)]:
        r = getattr(cv, name)(src, *args, dst=wrong, **kw)
        assert r is not wrong and not wrong.any()
        np.testing.assert_array_equal(r, want)


@pytest.mark.parametrize("name,args,kw", CALLS, ids=IDS)
def test_dst_in_place_and_single_channel(name, args, kw, monkeypatch):
    src = image((10, 12), "float32")
    want = getattr(cv2, name)(src, *args, **kw)
    if want.dtype == src.dtype:  # in place: dst is src
        a = src.copy()
        assert getattr(cv, name)(a, *args, dst=a, **kw) is a
        np.testing.assert_allclose(a, want, rtol=0, atol=1e-3 * (1 + np.abs(want).max()))
    monkeypatch.setattr(_cv_checked, "_finish", lambda *a, **k: pytest.fail("dst filled by a copy"))
    # an HxWx1 image: an HxW or an HxWx1 dst is written (and returned)
    col = src[:, :, None].copy()
    for shape in [(10, 12), (10, 12, 1)]:
        dst = np.zeros(shape, want.dtype)
        assert getattr(cv, name)(col, *args, dst=dst, **kw) is dst
        np.testing.assert_allclose(dst.reshape(10, 12), want, rtol=0, atol=1e-3 * (1 + np.abs(want).max()))


@pytest.mark.parametrize("name,args,kw", CALLS, ids=IDS)
@pytest.mark.parametrize("shift", ["row+", "row-", "col+", "col-"])
@pytest.mark.parametrize("rows", [1, 6])
def test_dst_overlapping_src(name, args, kw, shift, rows):
    """dst a shifted view of src's memory (1-row images: GaussianBlur's 1-tap copy too)."""
    src0 = image((rows, 9), "float32")
    want = getattr(cv2, name)(src0, *args, **kw)
    if want.dtype != src0.dtype:
        return
    axis = 0 if shift.startswith("row") else 1
    shape = (rows + 1, 9) if axis == 0 else (rows, 10)
    buf = np.zeros(shape, np.float32)
    lo, hi = (buf[:-1], buf[1:]) if axis == 0 else (buf[:, :-1], buf[:, 1:])
    src, dst = (lo, hi) if shift.endswith("+") else (hi, lo)
    src[...] = src0
    assert getattr(cv, name)(src, *args, dst=dst, **kw) is dst
    np.testing.assert_allclose(dst, want, rtol=0, atol=1e-3 * (1 + np.abs(want).max()))


def test_gaussian_one_tap_copy_into_overlapping_dst():
    buf = np.arange(24, dtype=np.uint8).reshape(2, 12)
    src, dst = buf[:, :-1], buf[:, 1:]
    want = cv2.GaussianBlur(src.copy(), (1, 1), 0)
    assert cv.GaussianBlur(src, (1, 1), 0, dst=dst) is dst
    np.testing.assert_array_equal(dst, want)


def test_read_only_dst_still_refused():
    src = image((8, 9), "float32")
    for f, args in [(cv.filter2D, (-1, K3)), (cv.GaussianBlur, ((3, 3), 1.0)), (cv.Sobel, (-1, 1, 0)),
                    (cv.blur, ((3, 3),)), (cv.Laplacian, (-1,))]:
        dst = np.zeros_like(src)
        dst.flags.writeable = False
        with pytest.raises(ValueError):
            f(src, *args, dst=dst)


REFUSED_AFTER_CACHING = [
    # (a call that fills the cache, the same call with an argument cv2 cannot parse)
    (lambda m, a: m.filter2D(a, cv2.CV_32F, K3), lambda m, a: m.filter2D(a, 5.0, K3)),
    (lambda m, a: m.filter2D(a.astype(np.uint8), cv2.CV_8U, K3), lambda m, a: m.filter2D(a.astype(np.uint8), False, K3)),
    (lambda m, a: m.filter2D(a, -1, K3, borderType=4), lambda m, a: m.filter2D(a, -1, K3, borderType=4.0)),
    (lambda m, a: m.filter2D(a, -1, K3, delta=1), lambda m, a: m.filter2D(a, -1, K3, delta="1")),
    (lambda m, a: m.filter2D(a, -1, K3, anchor=(1, 1)), lambda m, a: m.filter2D(a, -1, K3, anchor=(1.0, 1))),
    (lambda m, a: m.filter2D(a, -1, K3, anchor=(1, 1)), lambda m, a: m.filter2D(a, -1, K3, anchor=(True, 1))),
    (lambda m, a: m.filter2D(a, -1, K3, delta=1), lambda m, a: m.filter2D(a, -1, K3, delta=True)),
    (lambda m, a: m.GaussianBlur(a, (3, 3), 1), lambda m, a: m.GaussianBlur(a, (3.0, 3), 1)),
    (lambda m, a: m.GaussianBlur(a, (3, 3), 1), lambda m, a: m.GaussianBlur(a, (3, 3), True)),
    (lambda m, a: m.GaussianBlur(a, (3, 1), 0), lambda m, a: m.GaussianBlur(a, (3, True), 0)),
    (lambda m, a: m.blur(a, (3, 3)), lambda m, a: m.blur(a, (3.0, 3))),
    (lambda m, a: m.boxFilter(a, -1, (1, 3)), lambda m, a: m.boxFilter(a, -1, (True, 3))),
    (lambda m, a: m.Sobel(a, -1, 1, 0), lambda m, a: m.Sobel(a, -1, True, 0)),
    (lambda m, a: m.Sobel(a, -1, 1, 0, ksize=3), lambda m, a: m.Sobel(a, -1, 1, 0, ksize=3.0)),
    (lambda m, a: m.Sobel(a, -1, 1, 0, scale=2), lambda m, a: m.Sobel(a, -1, 1, 0, scale="2")),
    (lambda m, a: m.Laplacian(a, -1, ksize=1), lambda m, a: m.Laplacian(a, -1, ksize=True)),
]


@pytest.mark.parametrize("i", range(len(REFUSED_AFTER_CACHING)))
def test_cached_decisions_do_not_widen_what_is_accepted(i):
    """Cache keys compare by value (5.0 == 5, True == 1): the fast path must still refuse what
    the general path refuses, as cv2 does."""
    ok, bad = REFUSED_AFTER_CACHING[i]
    a = image((6, 7), "float32")
    ok(cv, a)
    with pytest.raises(cv2.error):
        bad(cv2, a)
    with pytest.raises(TypeError):
        bad(cv, a)


def test_refusals_through_the_fast_path():
    """What the fast path leaves to the library's checks still gets cv's errors."""
    a = image((6, 7), "float32")
    with pytest.raises(ValueError, match="empty"):
        cv.filter2D(np.zeros((0, 7), np.float32), -1, K3)
    with pytest.raises(ValueError, match="empty"):
        cv.filter2D(a, -1, np.zeros((0, 3), np.float32))
    with pytest.raises(ValueError, match="anchor"):
        cv.filter2D(a, -1, K3, anchor=(3, 0))
    with pytest.raises(ValueError, match="single-channel"):
        cv.filter2D(a, -1, np.ones((3, 3, 2), np.float32))
    with pytest.raises(ValueError, match="vector"):
        cv.sepFilter2D(a, -1, np.ones((3, 3), np.float32), KX)
    with pytest.raises(OverflowError):
        cv.filter2D(a, -1, K3, delta=10 ** 400)
    with pytest.raises(ValueError):
        cv.GaussianBlur(np.zeros((4, 0), np.uint8), (3, 3), 0)
    with pytest.raises(ValueError):
        cv.blur(a, (0, 3))
    with pytest.raises(ValueError):
        cv.Sobel(a, -1, 3, 0)
    # an HxWx1 kernel is a kernel for cv2 (the general path takes it)
    np.testing.assert_array_equal(cv.filter2D(a, -1, K3[:, :, None]), cv.filter2D(a, -1, K3))


def test_gaussian_cache_stays_small():
    a = image((5, 5), "float32")
    for s in np.linspace(0.5, 3.0, 3 * cv._GAUSS_LIMIT):
        cv.GaussianBlur(a, (0, 0), float(s))
    assert len(cv._GAUSS) <= cv._GAUSS_LIMIT
    for _ in range(2 * cv._GAUSS_LIMIT):  # NaN keys never compare equal
        with pytest.raises(ValueError):
            cv.GaussianBlur(a, (3, 3), float("nan"))
    assert len(cv._GAUSS) <= cv._GAUSS_LIMIT
