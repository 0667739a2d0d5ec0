"""Integral images: convkit.cv.integral / integral2 / integral3 against cv2 (opencv-python-headless
5.0: every source dtype x sdepth x sqdepth, accepted or refused alike; values, dtypes and
shapes; 1 to 128 channels, HxWx1, 1-D, 0-d, empty and non-contiguous images; sum=/sqsum=/tilted=
outputs; int32 wrap-around) and convkit.integral_image / integrate against
skimage.transform (every dtype and dtype=, 1-D to 4-D, windows with negative indices, lists
and arrays of points, errors).
"""

import doctest
import warnings

import numpy as np
import pytest

import convkit
from convkit import _cv_integral, _integral, cv

cv2 = pytest.importorskip("cv2")
sk = pytest.importorskip("skimage.transform")

CV_DTYPES = ["uint8", "uint16", "int16", "float32", "float64", "int8", "int32", "float16",
             "bool", "int64", "uint64"]
DEPTHS = [-2, -1, 0, 1, 2, 3, 4, 5, 6, 7, 36, 37, 38, 100]


def _image(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return rng.random(shape) < 0.5
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        lo, hi = max(info.min, -1000), min(info.max, 1000)
        return rng.integers(lo, hi, shape, endpoint=True).astype(dtype)
    return (rng.standard_normal(shape) * 100).astype(dtype)


def _cv2(f, *args, **kw):
    try:
        return f(*args, **kw), None
    except cv2.error as e:
        return None, e


def _same_table(got, ref, what=""):
    """Bit for bit: every table, every depth (OpenCV's summation orders, float ones included)."""
    assert got.dtype == ref.dtype and got.shape == ref.shape, (what, got.dtype, ref.dtype,
                                                               got.shape, ref.shape)
    np.testing.assert_array_equal(got, ref, err_msg=what)


def _same_tables(got, ref, what=""):
    got = got if isinstance(got, tuple) else (got,)
    ref = ref if isinstance(ref, tuple) else (ref,)
    assert len(got) == len(ref), what
    for i, (g, r) in enumerate(zip(got, ref)):
        _same_table(g, r, f"{what} table {i}")


# ---- cv2.integral* ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", CV_DTYPES)
def test_every_depth_combination_as_cv2(dtype):
    rng = np.random.default_rng(1410)
    src = _image(rng, (4, 5), dtype)
    for sd in DEPTHS:
        ref, err = _cv2(cv2.integral, src, sdepth=sd)
        if err is not None:
            with pytest.raises(ValueError, match="src|sdepth"):
                cv.integral(src, sdepth=sd)
        else:
            _same_table(cv.integral(src, sdepth=sd), ref, f"integral {dtype} {sd}")
        for sq in DEPTHS:
            ref, err = _cv2(cv2.integral2, src, sdepth=sd, sqdepth=sq)
            if err is not None:
                with pytest.raises(ValueError, match="src|sdepth|sqdepth"):
                    cv.integral2(src, sdepth=sd, sqdepth=sq)
                with pytest.raises(ValueError, match="src|sdepth|sqdepth"):
                    cv.integral3(src, sdepth=sd, sqdepth=sq)
                continue
            _same_tables(cv.integral2(src, sdepth=sd, sqdepth=sq), ref,
                         f"integral2 {dtype} {sd} {sq}")
            _same_tables(cv.integral3(src, sdepth=sd, sqdepth=sq),
                         cv2.integral3(src, sdepth=sd, sqdepth=sq),
                         f"integral3 {dtype} {sd} {sq}")


def _view(rng, a):
    kind = rng.integers(4)
    if kind == 0:  # strided
        big = np.zeros((2 * a.shape[0], 3 * a.shape[1]) + a.shape[2:], a.dtype)
        big[::2, ::3] = a
        return big[::2, ::3]
    if kind == 1:  # negative strides
        return np.ascontiguousarray(a[::-1, ::-1])[::-1, ::-1]
    if kind == 2:  # transposed storage
        return np.ascontiguousarray(a.swapaxes(0, 1)).swapaxes(0, 1)
    return a


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int16", "float32", "float64"])
def test_random_images_as_cv2(dtype):
    rng = np.random.default_rng(1411)
    depths = {"uint8": [-1, 4, 5, 6], "float32": [-1, 5, 6]}.get(dtype, [-1, 6])
    for _ in range(30):
        h, w = int(rng.integers(1, 20)), int(rng.integers(1, 20))
        c = int(rng.choice([0, 1, 2, 3, 4, 5]))
        src = _image(rng, (h, w) + ((c,) if c else ()), dtype)
        sd = int(rng.choice(depths))
        view = _view(rng, src)
        _same_table(cv.integral(view, sdepth=sd), cv2.integral(src, sdepth=sd),
                    f"{src.shape} {sd}")
        _same_tables(cv.integral3(view, sdepth=sd), cv2.integral3(src, sdepth=sd),
                     f"integral3 {src.shape} {sd}")
        sq = {"uint8": [4, 5, 6], "float32": [5, 6]}.get(dtype, [6])
        if sd > 0 and int(rng.choice(sq)) >= sd:
            q = int(rng.choice([v for v in sq if v >= sd]))
            _same_tables(cv.integral2(view, sdepth=sd, sqdepth=q),
                         cv2.integral2(src, sdepth=sd, sqdepth=q),
                         f"integral2 {src.shape} {sd} {q}")


def test_shapes_as_cv2():
    rng = np.random.default_rng(1412)
    for shape in [(1, 1), (1, 1, 3), (1, 7), (7, 1), (3, 4, 1), (5,), (), (2, 3, 8),
                  (2, 3, 128)]:
        src = _image(rng, shape, np.uint8)
        for f in (cv2.integral, cv2.integral2, cv2.integral3):
            ref = f(src)
            _same_tables(getattr(cv, f.__name__)(src), ref, f"{f.__name__} {shape}")


def test_empty_images():
    """Tables of zeros, shaped as cv2's (cv2 itself is not called on them here: its tilted
    table of an image with no columns holds uninitialised memory, and writes past it)."""
    for shape, out in [((0,), (2, 1)), ((0, 3), (1, 4)), ((3, 0), (4, 1)),
                       ((0, 3, 3), (1, 4, 3)), ((3, 0, 2), (4, 1, 2)), ((3, 0, 1), (4, 1))]:
        for dtype, sd in (("uint8", np.int32), ("float32", np.float64), ("int16", np.float64)):
            src = np.zeros(shape, dtype)
            s, sq, t = cv.integral3(src)
            assert s.shape == sq.shape == t.shape == out
            assert s.dtype == t.dtype == sd and sq.dtype == np.float64
            assert not (s.any() or sq.any() or t.any())
    with pytest.raises(ValueError, match="src"):  # refused even when empty, as cv2
        cv.integral(np.zeros((0, 3), np.int8))
    with pytest.raises(ValueError, match="sdepth"):
        cv.integral(np.zeros((0, 3), np.uint8), sdepth=cv.CV_16U)


def test_refused_shapes_and_types():
    with pytest.raises(ValueError, match="src"):
        cv.integral(np.ones((2, 3, 129), np.uint8))  # cv2: more than 128 channels
    with pytest.raises(ValueError, match="src"):
        cv.integral(np.ones((2, 3, 0), np.uint8))
    with pytest.raises(ValueError, match="src"):
        cv.integral(np.ones((2, 3, 4, 1), np.uint8))
    for bad in ([[1, 2], [3, 4]], None, 5, "abc"):
        with pytest.raises(TypeError, match="src"):
            cv.integral(bad)
    with pytest.raises(TypeError, match="src"):
        cv.integral(np.ones((2, 2), np.complex128))
    for bad in (1.5, None, "4", True):
        with pytest.raises(TypeError, match="sdepth"):
            cv.integral(np.ones((2, 2), np.uint8), sdepth=bad)
    with pytest.raises(TypeError, match="sdepth"):
        cv.integral(np.ones((2, 2), np.uint8), sdepth=2 ** 31)
    with pytest.raises(TypeError, match="sqdepth"):
        cv.integral2(np.ones((2, 2), np.uint8), sqdepth=2.0)
    assert cv.integral(np.ones((2, 2), np.uint8), sdepth=np.int64(6)).dtype == np.float64


def test_output_arguments_as_cv2():
    a = np.arange(12, dtype=np.uint8).reshape(3, 4)
    ref = cv2.integral3(a)
    # a matching array is written and returned
    s, sq, t = np.zeros((4, 5), np.int32), np.zeros((4, 5)), np.zeros((4, 5), np.int32)
    got = cv.integral3(a, s, sq, t)
    assert got[0] is s and got[1] is sq and got[2] is t
    for g, r in zip(got, ref):
        np.testing.assert_array_equal(g, r)
    s = np.zeros((4, 5), np.int32)
    assert cv.integral(a, sum=s) is s and cv2.integral(a, s.copy()).sum() == s.sum()
    s, sq = np.zeros((4, 5), np.int32), np.zeros((4, 5))
    got = cv.integral2(a, sqsum=sq)
    assert got[1] is sq and got[0].dtype == np.int32
    # HxWx1 for a single channel (cv2 takes it in place too), strided rows
    for make in (lambda: np.zeros((4, 5, 1), np.int32), lambda: np.zeros((8, 5), np.int32)[::2],
                 lambda: np.zeros((4, 6), np.int32)[:, :5]):
        s, s2 = make(), make()
        assert cv.integral(a, s) is s and cv2.integral(a, s2) is s2
        np.testing.assert_array_equal(s, s2)
    s = np.zeros((4, 5, 1), np.int32)
    assert cv.integral(a[:, :, None], s) is s and cv.integral(a[:, :, None]).shape == (4, 5)
    s = np.zeros((4, 5), np.int32)
    assert cv.integral(a[:, :, None], s) is s
    # another dtype or shape: a new array, the given one untouched (as cv2)
    for s in (np.zeros((4, 5)), np.zeros((5, 6), np.int32), np.zeros((4, 5), np.float16),
              np.zeros((4, 5), np.int8)):
        r = cv.integral(a, s)
        assert r is not s and not s.any() and r.dtype == np.int32
        assert cv2.integral(a, s) is not s
    c3 = np.ones((3, 4, 3), np.uint8)
    s = np.zeros((4, 5, 3), np.int32)
    assert cv.integral(c3, s) is s and s.sum() == cv2.integral(c3).sum()
    s = np.zeros((4, 15), np.int32)
    assert cv.integral(c3, s) is not s
    # refused as cv2 refuses them
    ro = np.zeros((4, 5), np.int32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="sum.*readonly"):
        cv.integral(a, ro)
    with pytest.raises(ValueError, match="tilted.*readonly"):
        cv.integral3(a, tilted=ro)
    for bad in ([1, 2], "x", np.zeros((4, 5), np.complex128)):
        with pytest.raises(TypeError, match="sqsum"):
            cv.integral2(a, None, bad)


def test_int32_tables_wrap_as_opencv():
    sq = np.full((200, 200), 255, np.uint8)  # a CV_32S squared sum passes 2**31
    for g, r in zip(cv.integral2(sq, sqdepth=cv.CV_32S), cv2.integral2(sq, sqdepth=cv2.CV_32S)):
        np.testing.assert_array_equal(g, r)
    big = np.full((2900, 2950), 255, np.uint8)  # the sum passes 2**31 too
    np.testing.assert_array_equal(cv.integral(big), cv2.integral(big))
    assert cv.integral(big, sdepth=cv.CV_64F)[-1, -1] == 255.0 * big.size


def test_float32_sum_alone_in_opencvs_order():
    """cv2 sums a one-channel float32 image into a float32 table (asked for alone) in blocks of
    8 vector lanes: convkit follows that order, so the tables are equal bit for bit."""
    rng = np.random.default_rng(77)
    for _ in range(40):
        h, w = (int(v) for v in rng.integers(1, 60, 2))
        a = (rng.standard_normal((h, w)) * rng.choice([1e-3, 1.0, 1e4])).astype(np.float32)
        np.testing.assert_array_equal(cv.integral(a, sdepth=cv.CV_32F),
                                      cv2.integral(a, sdepth=cv2.CV_32F))
    a = (rng.standard_normal((480, 640)) * 100).astype(np.float32)[::-1, ::2]
    np.testing.assert_array_equal(cv.integral(a, sdepth=cv.CV_32F),
                                  cv2.integral(a, sdepth=cv2.CV_32F))


def test_float_tables_as_cv2():
    """Larger float images, every channel count: sum, sqsum and tilted bit for bit (float32
    running sums round as OpenCV's)."""
    rng = np.random.default_rng(1413)
    for c in (1, 3, 4):
        a64 = rng.standard_normal((97, 131, c)) * 1000
        a32 = a64.astype(np.float32)
        for a, sd, sq in ((a32, cv.CV_32F, cv.CV_32F), (a32, cv.CV_32F, cv.CV_64F),
                          (a32, cv.CV_64F, cv.CV_64F), (a64, -1, -1)):
            got, ref = cv.integral3(a, sdepth=sd, sqdepth=sq), \
                cv2.integral3(a, sdepth=sd, sqdepth=sq)
            _same_tables(got, ref, f"{c} {sd} {sq}")
            for i in (0, 1):  # with sqsum/tilted OpenCV takes no SIMD path: bit for bit
                np.testing.assert_array_equal(got[i], ref[i])
            for g, r in zip(cv.integral2(a, sdepth=sd, sqdepth=sq),
                            cv2.integral2(a, sdepth=sd, sqdepth=sq)):
                np.testing.assert_array_equal(g, r)
        np.testing.assert_array_equal(cv.integral3(a32, sdepth=cv.CV_32F)[2],
                                      cv2.integral3(a32, sdepth=cv2.CV_32F)[2])


def test_cv_exports():
    assert {"integral", "integral2", "integral3"} <= set(cv.__all__)
    assert cv.integral is _cv_integral.integral


# ---- skimage.transform.integral_image / integrate ---------------------------------------------

SK_DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
             "float16", "float32", "float64", "complex64", "complex128"]


def _sk_image(rng, shape, dtype):
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
    return _image(rng, shape, dtype)


@pytest.mark.parametrize("dtype", SK_DTYPES)
def test_integral_image_as_skimage(dtype):
    rng = np.random.default_rng(1414)
    for shape in [(1,), (7,), (1, 1), (5, 7), (4, 1), (3, 5, 2), (2, 3, 2, 3), (0, 4), (3, 0, 2)]:
        a = _sk_image(rng, shape, dtype)
        for dt in (None, np.float64, np.int32, np.float32, np.uint8):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # complex -> real casts, as in skimage
                ref = sk.integral_image(a, dtype=dt)
                got = convkit.integral_image(_view(rng, a) if a.ndim >= 2 else a, dtype=dt)
            assert got.dtype == ref.dtype and got.shape == ref.shape, (shape, dt)
            np.testing.assert_array_equal(got, ref, err_msg=f"{dtype} {shape} {dt}")


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int16", "bool", "float32", "float64"])
def test_integral_image_2d_native_path(dtype):
    """2-D uint8/uint16/int16/bool tables come from the native layer (exact in float64):
    identical to skimage's, dtype= included (int32, and uint64 of signed images, wrap: NumPy's
    cumsum then)."""
    rng = np.random.default_rng(1415)
    for shape in [(1, 1), (2, 3), (300, 517), (1, 40000), (40000, 1)]:
        a = _image(rng, shape, dtype)
        view = _view(rng, a)
        for dt in (None, np.float64, np.int64, np.int32, np.uint64):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # float -> uint64 casts of negative sums
                ref = sk.integral_image(a, dtype=dt)
                got = convkit.integral_image(view, dtype=dt)
            assert got.dtype == ref.dtype
            np.testing.assert_array_equal(got, ref, err_msg=f"{dtype} {shape} {dt}")
    native = _integral._native_table(a, None) is not None
    assert native == (dtype in ("uint8", "uint16", "int16", "bool"))


def test_integral_image_0d_and_errors():
    a = np.array(5, np.uint8)
    assert convkit.integral_image(a) == sk.integral_image(a)
    with pytest.raises(TypeError, match="image"):
        convkit.integral_image(None)
    with pytest.raises(TypeError, match="image"):
        convkit.integral_image(np.zeros((2, 2), "M8[s]"))
    with pytest.raises(TypeError, match="dtype"):
        convkit.integral_image(np.zeros((2, 2)), dtype="bogus")
    with pytest.raises(TypeError, match="dtype"):
        convkit.integral_image(np.zeros((2, 2)), dtype=object)
    # array-likes are taken (skimage needs an ndarray)
    np.testing.assert_array_equal(convkit.integral_image([[1, 2], [3, 4]]), [[1, 3], [4, 10]])


def _random_windows(rng, shape, k):
    start, end = [], []
    for _ in range(k):
        s, e = [], []
        for n in shape:
            a, b = sorted(int(v) for v in rng.integers(0, n, 2))
            if rng.random() < 0.3:
                a -= n  # negative indices
            if rng.random() < 0.3:
                b -= n
            s.append(a)
            e.append(b)
        start.append(tuple(s))
        end.append(tuple(e))
    return start, end


@pytest.mark.parametrize("shape", [(9,), (6, 7), (4, 5, 3), (3, 2, 4, 2)])
@pytest.mark.parametrize("dtype", ["uint8", "int64", "float32", "float64", "bool"])
def test_integrate_as_skimage(shape, dtype):
    rng = np.random.default_rng(1416)
    ii = sk.integral_image(_image(rng, shape, dtype))
    start, end = _random_windows(rng, shape, 25)
    forms = [(start, end), (np.array(start), np.array(end)), (start[0], end[0]),
             ([start[0]], [end[0]]), ([start[0]] * 3, end[0]),
             (np.array([start[1]] * 2), end[1:2])]
    for s, e in forms:
        ref = sk.integrate(ii, s, e)
        got = convkit.integrate(ii, s, e)
        assert got.dtype == ref.dtype and got.shape == ref.shape
        np.testing.assert_array_equal(got, ref)
    # against a plain sum over the window
    img = np.asarray(ii)
    for s, e in zip(start, end):
        window = tuple(slice(a % n, b % n + 1) for a, b, n in zip(s, e, shape))
        diff = np.diff(np.pad(img, [(1, 0)] * img.ndim).astype(np.float64), axis=0)
        for axis in range(1, img.ndim):
            diff = np.diff(diff, axis=axis)
        assert abs(convkit.integrate(ii, s, e)[0] - diff[window].sum()) <= \
            1e-6 * max(1, abs(diff).sum())


def test_integrate_large_values_and_edges():
    ii = np.array([[2 ** 60 + 1, 3], [5, 2 ** 53 + 1]], np.int64)  # float() rounds as skimage
    for s, e in [((0, 0), (1, 1)), ((1, 1), (1, 1)), ((0, 1), (1, 1)), ((-1, -2), (-1, -1))]:
        np.testing.assert_array_equal(convkit.integrate(ii, s, e), sk.integrate(ii, s, e))
    ii = sk.integral_image(np.ones((5, 6)))
    assert convkit.integrate(ii, np.empty((0, 2), int), np.empty((0, 2), int)).shape == (0,)
    # complex tables: the real part, with NumPy's ComplexWarning, as skimage's float()
    cii = sk.integral_image(np.ones((3, 3)) * (1 + 2j))
    with pytest.warns(np.exceptions.ComplexWarning):
        ref = sk.integrate(cii, (0, 0), (1, 1))
    with pytest.warns(np.exceptions.ComplexWarning):
        np.testing.assert_array_equal(convkit.integrate(cii, (0, 0), (1, 1)), ref)


INTEGRATE_ERRORS = [
    # (start, end, exceptions, the parameter the message names)
    ((2, 2), (1, 3), (IndexError, ValueError), "end"),
    ((0, 0), (5, 0), (IndexError, ValueError), "ii"),
    ((0, 0), (-7, 0), (IndexError, ValueError), "end"),
    ((0.0, 0), (1, 1), (IndexError, TypeError), "start"),
    ((0, 0), (1.5, 1), (IndexError, TypeError), "end"),
    ((0, 0, 0), (1, 1, 1), (ValueError,), "start"),
    ((0, 0), (1,), (ValueError,), "end"),
    ([(0, 0)], [(1, 1), (2, 2)], (ValueError,), "start, end"),
    ([[[0, 0]]], [[[1, 1]]], (ValueError,), "start"),
    ((True, False), (1, 1), (IndexError, TypeError), "start"),  # skimage: 1 and 0
]
SKIMAGE_INDEX_ERRORS = 5  # the first rows: skimage raises IndexError too


@pytest.mark.parametrize("i", range(len(INTEGRATE_ERRORS)))
def test_integrate_errors(i):
    start, end, excs, text = INTEGRATE_ERRORS[i]
    ii = sk.integral_image(np.ones((5, 6)))
    for exc in excs:
        with pytest.raises(exc, match=text):
            convkit.integrate(ii, start, end)
    if i < SKIMAGE_INDEX_ERRORS:
        with pytest.raises(IndexError):
            sk.integrate(ii, start, end)


def test_integrate_bad_ii():
    with pytest.raises(TypeError, match="ii"):
        convkit.integrate(None, (0,), (1,))
    with pytest.raises(ValueError, match="ii"):
        convkit.integrate(np.array(3.0), (), ())


def test_exports_and_docstrings():
    assert convkit.integral_image is _integral.integral_image
    assert {"integral_image", "integrate"} <= set(convkit.__all__)
    for mod in (_integral, _cv_integral):
        failures, _ = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert failures == 0, mod.__name__
