"""The NumPy <-> convkit glue of convkit._core: every dtype, any strides without copies,
results that own convkit's memory, out= written in place, errors as ValueError/TypeError."""

import gc
import tracemalloc

import numpy as np
import pytest
import scipy.signal as ss

import convkit
from convkit import _core
from convkit import signal as cs

DTYPES = ["uint8", "uint16", "int16", "int32", "float32", "float64", "complex64", "complex128"]


def ramp(shape, dtype):
    return (np.arange(np.prod(shape)) % 23).reshape(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_dtype_round_trips(dtype):
    a = ramp((5, 7), dtype)
    one = np.ones((1, 1), dtype)
    r = _core.convolve2d(a, one)
    assert r.dtype == np.dtype(dtype) and r.shape == a.shape
    np.testing.assert_array_equal(r, a)
    r1 = _core.convolve(a[0], one[0])
    assert r1.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(r1, a[0])


@pytest.mark.parametrize("dtype", ["int64", "uint32", "int8", "bool", "float16", "longdouble"])
def test_unsupported_dtype_is_type_error(dtype):
    with pytest.raises(TypeError, match=None if dtype == "longdouble" else "not supported"):
        _core.convolve2d(np.ones((3, 3), dtype), np.ones((2, 2)))
    with pytest.raises(TypeError):
        _core.filter2d(np.ones((3, 3)), np.ones((2, 2), dtype))


def test_non_native_byte_order_is_type_error():
    with pytest.raises(TypeError):
        _core.convolve2d(np.ones((3, 3), ">f8"), np.ones((2, 2)))


def views(base):
    return {"reversed rows": base[::-1], "reversed both": base[::-1, ::-1],
            "step and negative step": base[1::3, ::-2], "transpose": base.T,
            "transposed flip": base.T[::-1, 2:], "broadcast (stride 0)":
                np.broadcast_to(base[0], base.shape), "column": base[:, 3:4]}


def test_any_strides_give_the_contiguous_result():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((18, 21))
    k = rng.standard_normal((5, 4))
    for name, v in views(base).items():
        want = ss.convolve2d(np.ascontiguousarray(v), k, "same", "symm")
        got = _core.convolve2d(v, k[::-1, ::-2], "same", "symm")
        np.testing.assert_allclose(got, ss.convolve2d(v, k[::-1, ::-2], "same", "symm"),
                                   atol=1e-12, err_msg=name)
        np.testing.assert_allclose(_core.convolve2d(v, k, "same", "symm"), want, atol=1e-12,
                                   err_msg=name)
        f32 = v.astype(np.float32)[::-1]
        np.testing.assert_allclose(_core.filter2d(f32[::-1], k),
                                   _core.filter2d(v.astype(np.float32), k), atol=1e-5, err_msg=name)


def test_read_only_and_3d_views():
    a = ramp((6, 8, 3), "uint8")
    a.flags.writeable = False
    k = np.ones((3, 3), np.float32) / 9
    r = _core.filter2d(a[::-1, :, ::-1], k)  # HWC with reversed rows and channels
    want = _core.filter2d(np.ascontiguousarray(a[::-1, :, ::-1]), k)
    np.testing.assert_array_equal(r, want)
    chw = np.ascontiguousarray(a.transpose(2, 0, 1))
    np.testing.assert_array_equal(_core.filter2d(chw, k, layout="CHW").transpose(1, 2, 0),
                                  _core.filter2d(a, k))


def test_no_copy_of_strided_inputs():
    """A reversed, strided 24 MB view goes in without NumPy allocating a copy of it."""
    big = np.random.default_rng(2).standard_normal((2000, 3000))
    view = big[::-1, ::2]  # 24 MB if copied
    out = np.empty(view.shape)
    k = np.ones((3, 3)) / 9
    tracemalloc.start()
    try:
        _core.filter2d(view, k, out=out)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000, f"NumPy allocated {peak} bytes"


def test_results_are_numpy_arrays():
    """Results are allocated by NumPy (its allocator, huge pages, tracemalloc) and written in
    place by the library: no convkit-owned buffer behind them, no copy."""
    a = ramp((40, 50), "float32")
    r = _core.convolve2d(a, np.ones((3, 3), np.float32))
    assert not np.shares_memory(r, a)
    assert r.flags.writeable and r.flags.c_contiguous and r.flags.owndata
    src, k = np.zeros((500, 600), np.float32), np.ones((3, 3), np.float32)
    tracemalloc.start()
    try:
        big = _core.filter2d(src, k)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert big.nbytes <= peak < 2 * big.nbytes  # the result itself, seen by NumPy's tracing
    want = r.copy()
    del a
    gc.collect()
    np.testing.assert_array_equal(r, want)
    r += 1  # writable
    v = r[::2]
    del r
    gc.collect()
    np.testing.assert_array_equal(v, (want + 1)[::2])


def test_out_is_written_in_place():
    rng = np.random.default_rng(3)
    src = rng.integers(0, 255, (30, 40)).astype(np.uint8)
    k = rng.standard_normal((3, 5)).astype(np.float32)
    buf = np.zeros((60, 80), np.float32)
    out = buf[::2, ::-2]  # a strided, reversed window into buf
    r = _core.filter2d(src, k, out=out)
    assert r is out and np.shares_memory(r, buf)
    np.testing.assert_allclose(out, _core.filter2d(src, k, ddepth="float32"), rtol=1e-6)
    assert np.all(buf[1::2] == 0)
    o2 = np.empty((30, 40), np.int16)
    assert _core.sep_filter2d(src, k[0], k[:, 0], out=o2) is o2
    a = rng.standard_normal((8, 9))
    o3 = np.empty((10, 12))
    assert _core.convolve2d(a, np.ones((3, 4)), out=o3) is o3
    np.testing.assert_allclose(o3, ss.convolve2d(a, np.ones((3, 4))))
    p = convkit.plan(np.ones((3, 3)), (30, 40), "uint8", border="constant", correlate=True)
    o4 = np.empty((30, 40), np.uint8)
    assert p(src, out=o4) is o4 and np.shares_memory(p(src, out=o4), o4)


def test_out_errors():
    src = np.zeros((6, 7), np.float32)
    k = np.ones((3, 3), np.float32)
    ro = np.zeros((6, 7), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writable"):
        _core.filter2d(src, k, out=ro)
    with pytest.raises(ValueError, match="shape"):
        _core.filter2d(src, k, out=np.zeros((6, 8), np.float32))
    with pytest.raises(ValueError, match="ddepth"):
        _core.filter2d(src, k, ddepth="float64", out=np.zeros((6, 7), np.float32))
    with pytest.raises(ValueError):
        _core.convolve2d(src, k, out=np.zeros((6, 7), np.float32))
    with pytest.raises(ValueError, match="writable"):
        _core.convolve2d(src, k, out=[1, 2])


def test_convkit_errors_are_value_errors():
    a = np.ones((4, 4))
    with pytest.raises(ValueError, match="mode"):
        _core.convolve2d(a, a, mode="middle")
    with pytest.raises(ValueError, match="boundary"):
        _core.correlate2d(a, a, boundary="mirror")
    with pytest.raises(ValueError, match="anchor"):
        _core.filter2d(a, np.ones((3, 3)), anchor=(5, 5))
    with pytest.raises(ValueError, match="border"):
        _core.filter2d(a, np.ones((3, 3)), border="sideways")
    with pytest.raises(ValueError, match="algorithm"):
        _core.convolve2d(a.astype(complex), a, algorithm="fft")
    with pytest.raises(ValueError, match="at most 4"):
        _core.convolve2d(np.ones((1, 1, 1, 1, 2)), a)
    with pytest.raises(ValueError, match="empty"):
        _core.convolve2d(np.ones((0, 3)), a)
    with pytest.raises(ValueError, match="ddepth"):
        _core.filter2d(a, a, ddepth="int64")
    with pytest.raises(TypeError):
        _core.convolve2d([[1.0]], a)  # lists are for the drop-in layer, which converts them


def test_ddepth_and_output_spellings():
    a = ramp((5, 6), "uint8")
    k = np.ones((3, 3)) / 9
    for d in ("float32", np.float32, np.dtype("float32"), "f32"):
        assert _core.filter2d(a, k, ddepth=d).dtype == np.float32
    assert _core.nd_uniform_filter(a, 3, output=np.int16).dtype == np.int16
    assert _core.box_filter(a, None, (3, 3)).dtype == np.uint8
    assert _core.sobel(a, "int16", 1, 0).dtype == np.int16


def test_bindings_match_their_peers():
    """A smoke test of each image-filter binding against OpenCV / SciPy (the drop-in
    namespaces' own tests go through every parameter)."""
    import cv2
    import scipy.ndimage as nd

    rng = np.random.default_rng(4)
    img = rng.integers(0, 255, (31, 37)).astype(np.uint8)
    f = rng.standard_normal((31, 37))
    eq = np.testing.assert_array_equal

    def close(got, want):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)

    eq(_core.gaussian_blur(img, (5, 5), 1.2), cv2.GaussianBlur(img, (5, 5), 1.2))
    eq(_core.blur(img, (3, 5)), cv2.blur(img, (3, 5)))
    eq(_core.box_filter(img, "float32", (4, 4), normalize=False),
       cv2.boxFilter(img, cv2.CV_32F, (4, 4), normalize=False))
    eq(_core.sobel(img, "int16", 1, 1, 5), cv2.Sobel(img, cv2.CV_16S, 1, 1, ksize=5))
    eq(_core.scharr(img, "int16", 0, 1), cv2.Scharr(img, cv2.CV_16S, 0, 1))
    eq(_core.laplacian(img, "int16", 3), cv2.Laplacian(img, cv2.CV_16S, ksize=3))
    kx, ky = _core.get_deriv_kernels(1, 0, 3)
    cx, cy = cv2.getDerivKernels(1, 0, 3)
    eq(kx, cx.ravel())
    eq(ky, cy.ravel())
    close(_core.get_gaussian_kernel(7, 1.5), cv2.getGaussianKernel(7, 1.5).ravel())
    close(_core.nd_gaussian_filter(f, (1.5, 2.0), (0, 1), "nearest"),
          nd.gaussian_filter(f, (1.5, 2.0), (0, 1), mode="nearest"))
    close(_core.nd_uniform_filter(f, (3, 4), "wrap", origin=(1, -1)),
          nd.uniform_filter(f, (3, 4), mode="wrap", origin=(1, -1)))
    close(_core.nd_sobel(f, 0), nd.sobel(f, 0))
    close(_core.nd_prewitt(f, 1, "constant", 2.0), nd.prewitt(f, 1, mode="constant", cval=2.0))
    close(_core.nd_laplace(f, "mirror"), nd.laplace(f, mode="mirror"))
    close(_core.nd_gaussian_laplace(f, 1.5), nd.gaussian_laplace(f, 1.5))
    close(_core.nd_gaussian_gradient_magnitude(f, (1.0, 2.0)),
          nd.gaussian_gradient_magnitude(f, (1.0, 2.0)))
    close(_core.gaussian_kernel1d(2.0, 1), nd._filters._gaussian_kernel1d(2.0, 1, 8))


def test_signal_routes_to_convkit_where_it_can(monkeypatch):
    """The cases convkit covers never reach the NumPy fallbacks."""
    def boom(*args, **kwargs):
        raise AssertionError("NumPy fallback used")

    monkeypatch.setattr(convkit._signal_fft, "_numpy_fftconvolve", boom)
    monkeypatch.setattr(cs, "_numpy_direct2d", boom)
    monkeypatch.setattr(np, "convolve", boom)
    monkeypatch.setattr(np, "correlate", boom)
    rng = np.random.default_rng(5)
    for dt in ["uint8", "int8", "int16", "uint16", "int32", "uint32", "float32", "float64",
               "complex64", "complex128"]:
        a = (rng.standard_normal((12, 10)) * 10).astype(dt)
        k = (rng.standard_normal((3, 4)) * 10).astype(dt)
        for mode in ("full", "same", "valid"):
            cs.convolve2d(a, k, mode, "symm")
            cs.correlate2d(a, k, mode, "wrap")
            cs.convolve(a, k, mode, "direct")
            cs.correlate(a[0], k[0], mode, "direct")
            cs.convolve(a[0], k[0], mode)
            if dt[0] != "c":
                cs.fftconvolve(a, k, mode)
                cs.oaconvolve(a[0], k[0], mode)
                cs.fftconvolve(a, k[:1], mode, axes=1)
        if dt[0] != "c":
            cs.sepfir2d(a, k[0, :3], k[:3, 0])


def test_docstring_examples():
    import doctest

    for module in (convkit, cs):
        result = doctest.testmod(module, extraglobs={"np": np},
                                 optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, f"{module.__name__}: {result.failed} failing examples"
