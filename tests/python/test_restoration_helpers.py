"""Pure-Python restoration helpers: _uft, _restoration_psf, _restoration_unsup.

References: scikit-image (uft, unsupervised_wiener) and NumPy's FFT.
"""

import numpy as np
import pytest
from scipy.signal import convolve2d

skimage_restoration = pytest.importorskip("skimage.restoration")
sk_uft = pytest.importorskip("skimage.restoration.uft")


from convkit import _restoration_psf as rpsf
from convkit import _restoration_unsup as runsup
from convkit import _uft as uft


# ----------------------------------------------------------------------------- _uft
@pytest.mark.parametrize("shape, ksize", [
    ((9,), (3,)), ((10,), (4,)),
    ((16, 17), (5, 5)), ((15, 12), (4, 3)), ((8, 8), (8, 8)), ((7, 9), (1, 2)),
    ((6, 7, 8), (3, 2, 5)), ((5, 6, 7), (5, 6, 7)),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, np.uint8, np.int32])
@pytest.mark.parametrize("is_real", [True, False])
def test_ir2tf_matches_skimage(shape, ksize, dtype, is_real):
    rng = np.random.default_rng(hash((shape, ksize)) % 2**32)
    h = (rng.random(ksize) * 50).astype(dtype)
    got = uft.ir2tf(h, shape, is_real=is_real)
    ref = sk_uft.ir2tf(h, shape, is_real=is_real)
    assert got.dtype == ref.dtype
    assert got.shape == ref.shape
    np.testing.assert_array_equal(got, ref)


def test_ir2tf_dim_stack_of_responses():
    # Leading axis = a stack of 2-D responses, only the last two axes transformed.
    h = np.random.default_rng(1).random((3, 4, 5))
    for is_real in (True, False):
        got = uft.ir2tf(h, (3, 12, 11), dim=2, is_real=is_real)
        ref = sk_uft.ir2tf(h, (3, 12, 11), dim=2, is_real=is_real)
        np.testing.assert_array_equal(got, ref)


def test_ir2tf_too_large():
    with pytest.raises(ValueError):
        uft.ir2tf(np.ones((5, 5)), (4, 8))


@pytest.mark.parametrize("ndim, shape", [(1, (9,)), (1, (8,)), (2, (16, 16)), (2, (15, 20)),
                                         (3, (6, 7, 8)), (3, (5, 5, 5))])
@pytest.mark.parametrize("is_real", [True, False])
def test_laplacian_matches_skimage(ndim, shape, is_real):
    tf, ir = uft.laplacian(ndim, shape, is_real=is_real)
    tf_ref, ir_ref = sk_uft.laplacian(ndim, shape, is_real=is_real)
    assert tf.dtype == tf_ref.dtype and ir.dtype == ir_ref.dtype
    np.testing.assert_array_equal(ir, ir_ref)
    np.testing.assert_array_equal(tf, tf_ref)
    assert ir.sum() == 0 and ir[(1,) * ndim] == 2 * ndim


def test_unitary_transforms_match_numpy():
    rng = np.random.default_rng(2)
    x = rng.random((3, 10, 9))
    n2 = np.sqrt(90.0)
    np.testing.assert_allclose(uft.ufft2(x), np.fft.fft2(x) / n2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(uft.urfft2(x), np.fft.rfft2(x) / n2, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(uft.ufftn(x), np.fft.fftn(x) / np.sqrt(x.size), atol=1e-13)
    np.testing.assert_allclose(uft.uifft2(uft.ufft2(x)).real, x, atol=1e-13)
    np.testing.assert_allclose(uft.uirfft2(uft.urfft2(x), shape=x.shape), x, atol=1e-13)
    np.testing.assert_allclose(uft.uirfftn(uft.urfftn(x), shape=x.shape), x, atol=1e-13)
    # Parseval, with and without the half-spectrum
    img = x[0]
    assert np.isclose(uft.image_quad_norm(uft.ufft2(np.pad(img, ((0, 0), (0, 1))))),
                      np.sum(img ** 2))
    assert np.isclose(uft.image_quad_norm(uft.urfft2(img)), np.sum(img ** 2))
    np.testing.assert_allclose(uft.image_quad_norm(uft.urfft2(x)),
                               sk_uft.image_quad_norm(sk_uft.urfft2(x)), rtol=1e-13)


def test_supported_float_type():
    assert uft.supported_float_type(np.float16) == np.float32
    assert uft.supported_float_type(np.float32) == np.float32
    assert uft.supported_float_type(np.uint16) == np.float64
    assert uft.supported_float_type(bool) == np.float64
    with pytest.raises(ValueError):
        uft.supported_float_type(np.complex64)
    assert uft.supported_float_type(np.complex64, allow_complex=True) == np.complex64


# ----------------------------------------------------------------------------- PSF/OTF
@pytest.mark.parametrize("ksize, shape", [((3, 3), (8, 8)), ((4, 5), (9, 12)), ((1, 6), (5, 7)),
                                          ((2, 3, 4), (5, 6, 7)), ((5,), (11,)), ((4, 4), (4, 4))])
def test_psf2otf_definition_and_roundtrip(ksize, shape):
    rng = np.random.default_rng(3)
    h = rng.random(ksize)
    padded = np.zeros(shape)
    padded[tuple(slice(0, k) for k in ksize)] = h
    ref = np.fft.fftn(np.roll(padded, [-(k // 2) for k in ksize], axis=tuple(range(len(ksize)))))
    otf = rpsf.psf2otf(h, shape)
    assert otf.dtype == np.complex128 and otf.shape == shape
    np.testing.assert_allclose(otf, ref, rtol=1e-12, atol=1e-12)
    # Same convention as ir2tf's full spectrum.
    np.testing.assert_allclose(otf, uft.ir2tf(h, shape, is_real=False), rtol=1e-12, atol=1e-12)
    back = rpsf.otf2psf(otf, ksize)
    assert back.dtype == np.float64  # imaginary round-off dropped, as MATLAB
    np.testing.assert_allclose(back, h, atol=1e-12)


def test_psf2otf_dtypes_and_defaults():
    h32 = rpsf.psf_gaussian(1.0).astype(np.float32)
    otf = rpsf.psf2otf(h32, (16, 16))
    assert otf.dtype == np.complex64
    assert rpsf.otf2psf(otf, h32.shape).dtype == np.float32
    assert rpsf.psf2otf(np.ones((3, 3), np.uint8)).dtype == np.complex128
    assert rpsf.psf2otf(np.ones((3, 3)), 6).shape == (6, 6)  # int shape broadcast
    # symmetric PSF -> (numerically) real OTF; default shape = psf shape
    otf = rpsf.psf2otf(rpsf.psf_disk(2.0))
    assert otf.shape == (5, 5) and np.abs(otf.imag).max() < 1e-15
    assert np.isclose(otf[0, 0].real, 1.0)
    # 2-D psf with a 3-D shape: trailing singleton axis, as MATLAB
    assert rpsf.psf2otf(np.ones((3, 3)), (8, 8, 2)).shape == (8, 8, 2)


def test_otf2psf_keeps_complex_when_significant():
    h = np.array([[1.0, 2.0j], [0.5, 0.0]])
    back = rpsf.otf2psf(rpsf.psf2otf(h, (6, 6)), (2, 2))
    assert np.iscomplexobj(back)
    np.testing.assert_allclose(back, h, atol=1e-12)


def test_psf2otf_errors():
    with pytest.raises(ValueError):
        rpsf.psf2otf(np.ones((5, 5)), (4, 8))
    with pytest.raises(ValueError):
        rpsf.psf2otf(np.array([[np.nan, 1.0]]), (4, 4))
    with pytest.raises(ValueError):
        rpsf.psf2otf(np.ones((0, 3)), (4, 4))
    with pytest.raises(ValueError):
        rpsf.otf2psf(np.ones((4, 4)), (5, 4))
    with pytest.raises(TypeError):
        rpsf.psf2otf(np.array(["a"]))


# ----------------------------------------------------------------------------- builders
def test_psf_gaussian():
    h = rpsf.psf_gaussian(1.5)
    assert h.shape == (11, 11)
    assert np.isclose(h.sum(), 1.0)
    np.testing.assert_allclose(h, h.T)
    np.testing.assert_allclose(h, h[::-1, ::-1])
    assert np.unravel_index(h.argmax(), h.shape) == (5, 5)
    x = np.arange(11) - 5.0
    ref = np.exp(-(x[:, None] ** 2 + x[None, :] ** 2) / (2 * 1.5 ** 2))
    np.testing.assert_allclose(h, ref / ref.sum(), rtol=1e-12)
    # per-axis sigma, N-D, explicit (even) shape
    h2 = rpsf.psf_gaussian((1.0, 2.0))
    assert h2.shape == (7, 13) and np.isclose(h2.sum(), 1.0)
    assert rpsf.psf_gaussian(1.0, ndim=3).shape == (7, 7, 7)
    h4 = rpsf.psf_gaussian(1.0, shape=(4, 6))
    assert h4.shape == (4, 6) and np.isclose(h4.sum(), 1.0)
    np.testing.assert_allclose(h4, h4[::-1, ::-1])
    for bad in (0, -1.0, np.nan, (1.0, 0.0)):
        with pytest.raises(ValueError):
            rpsf.psf_gaussian(bad)
    with pytest.raises(TypeError):
        rpsf.psf_gaussian("1")
    with pytest.raises(ValueError):
        rpsf.psf_gaussian(1.0, shape=(0, 3))


@pytest.mark.parametrize("radius", [1.0, 2.0, 2.5, 4.3, 7.0])
def test_psf_disk(radius):
    h = rpsf.psf_disk(radius)
    k = 2 * int(np.ceil(radius)) + 1
    assert h.shape == (k, k)
    assert np.isclose(h.sum(), 1.0)
    np.testing.assert_allclose(h, h.T, atol=1e-15)
    np.testing.assert_allclose(h, h[::-1, :], atol=1e-15)
    # fully covered pixels carry the maximum, so sum / max is the covered area: pi r^2
    assert np.isclose(h.sum() / h.max(), np.pi * radius ** 2, rtol=1e-9)
    # support: nothing beyond the circle, everything within r - sqrt(2)/2 at full weight
    yy, xx = np.indices(h.shape) - (k - 1) / 2
    r = np.hypot(yy, xx)
    assert np.all(h[r >= radius + np.sqrt(0.5)] == 0)
    np.testing.assert_allclose(h[r <= radius - np.sqrt(0.5)], h.max())


def test_psf_disk_matches_fspecial_values():
    # MATLAB's fspecial('disk', 2), 4 decimals.
    ref = np.array([[0, .0170, .0381, .0170, 0],
                    [.0170, .0784, .0796, .0784, .0170],
                    [.0381, .0796, .0796, .0796, .0381],
                    [.0170, .0784, .0796, .0784, .0170],
                    [0, .0170, .0381, .0170, 0]])
    np.testing.assert_allclose(rpsf.psf_disk(2), ref, atol=6e-5)


def test_psf_disk_errors_and_shape():
    assert rpsf.psf_disk(2, shape=(9, 7)).shape == (9, 7)
    for bad in (0, -2, np.inf):
        with pytest.raises(ValueError):
            rpsf.psf_disk(bad)
    with pytest.raises(TypeError):
        rpsf.psf_disk(None)


@pytest.mark.parametrize("length", [1, 3, 7, 10])
def test_psf_motion_axis_aligned(length):
    h = rpsf.psf_motion(length, 0)
    if length % 2:
        np.testing.assert_allclose(h, np.full((1, length), 1.0 / length))
    else:  # half-pixel ends, as fspecial('motion', 4, 0) = [1 2 2 2 1] / 8
        ref = np.r_[0.5, np.ones(length - 1), 0.5] / length
        np.testing.assert_allclose(h, ref[None, :])
    np.testing.assert_allclose(rpsf.psf_motion(length, 90), h.T, atol=1e-15)
    np.testing.assert_allclose(rpsf.psf_motion(length, 180), h, atol=1e-15)


@pytest.mark.parametrize("length, angle", [(9, 45), (7, 30), (12, 120), (5.5, 200)])
def test_psf_motion_oblique(length, angle):
    h = rpsf.psf_motion(length, angle)
    assert h.shape[0] % 2 == 1 and h.shape[1] % 2 == 1
    assert np.isclose(h.sum(), 1.0) and np.all(h >= 0)
    np.testing.assert_allclose(h, h[::-1, ::-1], atol=1e-15)  # centred segment
    np.testing.assert_allclose(rpsf.psf_motion(length, angle + 180), h, atol=1e-15)
    np.testing.assert_allclose(rpsf.psf_motion(length, -angle), h[::-1, :], atol=1e-15)
    # principal axis of the weights points along the angle (rows grow downwards)
    yy, xx = np.indices(h.shape) - (np.array(h.shape)[:, None, None] - 1) / 2
    x, y = xx, -yy
    cov = np.array([[np.sum(h * x * x), np.sum(h * x * y)], [np.sum(h * x * y), np.sum(h * y * y)]])
    w, v = np.linalg.eigh(cov)
    principal = np.degrees(np.arctan2(v[1, 1], v[0, 1])) % 180
    assert abs((principal - angle % 180 + 90) % 180 - 90) < 3
    if angle == 45:
        np.testing.assert_allclose(h, h.T, atol=1e-15)
        # the line runs from bottom-left to top-right
        assert h[-1, 0] > 0 and h[0, 0] == 0


def test_psf_motion_errors():
    for bad in (0, -3):
        with pytest.raises(ValueError):
            rpsf.psf_motion(bad, 0)
    with pytest.raises(TypeError):
        rpsf.psf_motion(5, np.nan)
    assert rpsf.psf_motion(5, 0, shape=(3, 7)).shape == (3, 7)


# ----------------------------------------------------------------------------- edgetaper
def _wrap_jump(img):
    # energy of the discontinuity that the periodic extension sees at the borders
    return np.sum((img[0] - img[-1]) ** 2) + np.sum((img[:, 0] - img[:, -1]) ** 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("psf", [rpsf.psf_gaussian(2.0), rpsf.psf_disk(4), rpsf.psf_motion(9, 30)])
def test_edgetaper_reduces_wrap_jump(dtype, psf):
    rng = np.random.default_rng(4)
    yy, xx = np.mgrid[0:64, 0:80]
    img = (0.01 * xx + 0.02 * yy + 0.1 * rng.random((64, 80))).astype(dtype)
    out = rpsf.edgetaper(img, psf)
    assert out.dtype == dtype and out.shape == img.shape
    assert _wrap_jump(out) < 0.2 * _wrap_jump(img)
    # unchanged (bit for bit) farther than the PSF extent from every border
    my, mx = psf.shape
    np.testing.assert_array_equal(out[my:-my, mx:-mx], img[my:-my, mx:-mx])
    # on the borders it is the circularly blurred image
    otf = rpsf.psf2otf(psf / psf.sum(), img.shape)
    blurred = np.real(np.fft.ifftn(np.fft.fftn(img.astype(np.float64)) * otf))
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out[0], blurred[0], atol=tol)
    np.testing.assert_allclose(out[:, -1], blurred[:, -1], atol=tol)
    assert out.min() >= img.min() and out.max() <= img.max()


def test_edgetaper_dtypes_nd_and_errors():
    rng = np.random.default_rng(5)
    assert rpsf.edgetaper(rng.integers(0, 255, (32, 32), dtype=np.uint8),
                          rpsf.psf_gaussian(1.0)).dtype == np.float64
    assert rpsf.edgetaper(rng.random((16, 16)).astype(np.float16),
                          rpsf.psf_gaussian(1.0)).dtype == np.float32
    vol = rng.random((20, 24, 28))
    out = rpsf.edgetaper(vol, rpsf.psf_gaussian(1.0, ndim=3))
    np.testing.assert_array_equal(out[7:-7, 7:-7, 7:-7], vol[7:-7, 7:-7, 7:-7])
    assert _wrap_jump(out[10]) < _wrap_jump(vol[10])
    # 2-D PSF on a (M, N, C) image: the channel axis is a trailing singleton of the PSF
    rgb = rng.random((32, 32, 3))
    out = rpsf.edgetaper(rgb, rpsf.psf_gaussian(1.0))
    np.testing.assert_allclose(out[..., 1], rpsf.edgetaper(rgb[..., 1], rpsf.psf_gaussian(1.0)))
    with pytest.raises(ValueError):
        rpsf.edgetaper(np.zeros((10, 10)), np.ones((6, 3)))  # more than half the image
    with pytest.raises(ValueError):
        rpsf.edgetaper(np.full((10, 10), np.nan), np.ones((3, 3)))
    with pytest.raises(ValueError):
        rpsf.edgetaper(np.zeros((0, 10)), np.ones((3, 3)))
    with pytest.raises(ValueError):
        rpsf.edgetaper(np.zeros((10, 10)), np.zeros((3, 3)))
    with pytest.raises(TypeError):
        rpsf.edgetaper(np.zeros((10, 10), complex), np.ones((3, 3)))


# ----------------------------------------------------------------------------- unsupervised_wiener
def _blurred(shape, psf, seed=0, noise=0.05):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:shape[0], 0:shape[1]]
    img = 0.5 + 0.3 * np.sin(xx / 5.0) * np.cos(yy / 7.0) + 0.1 * rng.random(shape)
    return convolve2d(img, psf, "same") + noise * rng.standard_normal(shape)


def _assert_same(got, ref, rtol=1e-6):
    (x, c), (xr, cr) = got, ref
    assert x.dtype == xr.dtype and x.shape == xr.shape
    np.testing.assert_allclose(x, xr, rtol=rtol, atol=rtol * np.abs(xr).max())
    assert len(c["noise"]) == len(cr["noise"]) and len(c["prior"]) == len(cr["prior"])
    np.testing.assert_allclose(c["noise"], cr["noise"], rtol=rtol)
    np.testing.assert_allclose(c["prior"], cr["prior"], rtol=rtol)


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("ksize", [(5, 5), (4, 6), (3, 2)])
@pytest.mark.parametrize("shape", [(48, 64), (45, 37)])
def test_unsupervised_wiener_matches_skimage(dtype, ksize, shape):
    psf = np.ones(ksize) / np.prod(ksize)
    data = _blurred(shape, psf).astype(dtype)
    got = runsup.unsupervised_wiener(data, psf, rng=7)
    ref = skimage_restoration.unsupervised_wiener(data, psf, rng=7)
    _assert_same(got, ref)
    assert got[0].dtype == (np.float64 if dtype == np.float64 else np.float32)


@pytest.mark.filterwarnings("error")
def test_unsupervised_wiener_integer_image_and_generator():
    psf = np.ones((3, 3)) / 9
    data = np.clip(_blurred((40, 40), psf) * 100, 0, 255).astype(np.uint8)
    got = runsup.unsupervised_wiener(data, psf, clip=False, rng=np.random.default_rng(11))
    ref = skimage_restoration.unsupervised_wiener(data, psf, clip=False,
                                                  rng=np.random.default_rng(11))
    _assert_same(got, ref)
    assert got[0].dtype == np.float64 and got[0].max() > 1  # unscaled, not clipped


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_unsupervised_wiener_transfer_function_not_real(dtype):
    psf = np.ones((5, 5)) / 25
    data = _blurred((32, 40), psf).astype(dtype)
    reg, _ = uft.laplacian(2, data.shape, is_real=False)
    otf = uft.ir2tf(psf, data.shape, is_real=False)
    got = runsup.unsupervised_wiener(data, otf, reg, is_real=False, rng=3)
    ref = skimage_restoration.unsupervised_wiener(data, otf, reg, is_real=False, rng=3)
    _assert_same(got, ref)
    # half-spectrum transfer functions with is_real=True
    reg_h, _ = uft.laplacian(2, data.shape)
    otf_h = uft.ir2tf(psf, data.shape)
    _assert_same(runsup.unsupervised_wiener(data, otf_h, reg_h, rng=4),
                 skimage_restoration.unsupervised_wiener(data, otf_h, reg_h, rng=4))
    # a custom regulariser given as impulse response
    ir = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], float) * 0.5
    _assert_same(runsup.unsupervised_wiener(data, psf, ir, rng=5),
                 skimage_restoration.unsupervised_wiener(data, psf, ir, rng=5))


@pytest.mark.filterwarnings("error")
def test_unsupervised_wiener_user_params_and_callback():
    psf = np.ones((5, 5)) / 25
    data = _blurred((32, 32), psf)
    seen, seen_ref = [], []
    params = {"threshold": 1e-6, "burnin": 5, "min_num_iter": 10, "max_num_iter": 25}
    got = runsup.unsupervised_wiener(
        data, psf, user_params=dict(params, callback=lambda x: seen.append(x.copy())), rng=9)
    ref = skimage_restoration.unsupervised_wiener(
        data, psf, user_params=dict(params, callback=lambda x: seen_ref.append(x.copy())), rng=9)
    _assert_same(got, ref)
    # one call per iteration (chains start with the initial value 1)
    assert len(seen) == len(got[1]["noise"]) - 1 == len(seen_ref) == 25
    for a, b in zip(seen, seen_ref):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert seen[0].shape == (32, 17)
    assert got[1]["noise"][0] == 1 and got[1]["prior"][0] == 1


def test_unsupervised_wiener_clip_and_restores():
    psf = rpsf.psf_gaussian(1.0)
    rng = np.random.default_rng(0)
    truth = convolve2d(rng.random((48, 48)), np.ones((7, 7)) / 49, "same", "wrap")
    data = np.real(np.fft.ifft2(np.fft.fft2(truth) * rpsf.psf2otf(psf, truth.shape)))
    data = data + 0.01 * rng.standard_normal(data.shape)
    out, _ = runsup.unsupervised_wiener(data, psf, rng=1)
    assert np.all(np.abs(out) <= 1)
    # closer to the truth than the blurred data
    assert np.linalg.norm(out - truth) < np.linalg.norm(data - truth)
    big, _ = runsup.unsupervised_wiener(data * 10, psf, rng=1)
    assert big.max() == 1.0
    big, _ = runsup.unsupervised_wiener(data * 10, psf, clip=False, rng=1)
    assert big.max() > 1.0


def test_unsupervised_wiener_errors():
    with pytest.raises(ValueError):
        runsup.unsupervised_wiener(np.zeros((0, 4)), np.ones((3, 3)))
    with pytest.raises(ValueError):
        runsup.unsupervised_wiener(np.ones((8, 8)), np.ones((3, 3)),
                                   user_params={"max_num_iter": 0})
    with pytest.raises(ValueError):
        runsup.unsupervised_wiener(np.ones((8, 8), complex), np.ones((3, 3)))
