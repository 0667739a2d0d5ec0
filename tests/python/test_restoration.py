"""convkit.restoration against skimage.restoration (randomised, seeded per test) and the promises
beyond skimage (convention='adjoint', boundary='reflect', method='accelerated'/'tv').

Every convkit call runs under ``warnings.simplefilter('error')``: a warning fails the test.
"""

import warnings

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.signal

import convkit.restoration as R
from convkit.restoration import uft

SK = pytest.importorskip("skimage.restoration")

DTYPES = [np.float16, np.float32, np.float64, np.uint8, np.int16]


def ck(func, *args, **kwargs):
    """convkit.restoration.<func>(...), any warning raised as an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return getattr(R, func)(*args, **kwargs)


def assert_matches(got, ref, dtype=np.float64):
    """got equals skimage's ref: same dtype and shape, values to the tolerance of `dtype`."""
    assert got.dtype == ref.dtype and got.shape == ref.shape
    dtype = np.dtype(dtype)
    if dtype == np.float16:
        rtol, atol = 1e-2, 1e-3
    elif dtype == np.float32:
        rtol, atol = 1e-4, 1e-6
    else:
        rtol, atol = 1e-10, 1e-10
    np.testing.assert_allclose(got, ref, rtol=rtol, atol=atol * max(1.0, np.abs(ref).max()))


def random_image(rng, shape, dtype):
    """Positive values: [0.1, 1.1) floats, 1..200 for the integer types."""
    if np.dtype(dtype).kind in "iu":
        return rng.integers(1, 200, shape).astype(dtype)
    return (0.1 + rng.random(shape)).astype(dtype)


def random_shapes(rng, ndim):
    """(image shape, psf shape): random odd/even sizes, 1xN images, PSFs up to the image."""
    top = {1: 40, 2: 20, 3: 9}[ndim]
    shape = tuple(int(n) for n in rng.integers(1 if ndim > 1 else 2, top, ndim))
    if ndim == 2 and rng.random() < 0.25:
        shape = (1, shape[1])
    kind = rng.integers(3)
    if kind == 0:
        psf = shape  # as large as the image
    else:
        psf = tuple(int(rng.integers(1, n + 1)) for n in shape)
    return shape, psf


def random_psf(rng, shape, dtype=np.float64):
    psf = 0.2 + rng.random(shape)
    return (psf / psf.sum()).astype(dtype)


def cases(seed, count, ndims=(1, 2, 3)):
    rng = np.random.default_rng(seed)
    for i in range(count):
        ndim = ndims[i % len(ndims)]
        yield rng, *random_shapes(rng, ndim)


# ------------------------------------------------------------------ equality with skimage ---

@pytest.mark.parametrize("dtype", DTYPES)
def test_wiener_matches_skimage(dtype):
    for rng, shape, kshape in cases(10 + DTYPES.index(dtype), 30):
        image = random_image(rng, shape, dtype)
        psf = random_psf(rng, kshape, dtype if np.dtype(dtype).kind == "f" else np.float64)
        balance = float(10 ** rng.uniform(-3, 0))
        # skimage's default reg (the 3**ndim Laplacian) needs every size >= 3: identity below
        reg = None if min(shape) >= 3 else np.ones((1,) * len(shape))
        for clip in (False, True):
            ref = SK.wiener(image, psf, balance, reg=reg, clip=clip)
            assert_matches(ck("wiener", image, psf, balance, reg=reg, clip=clip), ref, dtype)


def test_wiener_reg_kernels_and_transfer_functions():
    for rng, shape, kshape in cases(20, 24):
        image = random_image(rng, shape, np.float64)
        psf = random_psf(rng, kshape)
        reg = rng.standard_normal(tuple(min(int(rng.integers(1, 4)), n) for n in shape))
        balance = float(rng.uniform(0.01, 0.5))
        ref = SK.wiener(image, psf, balance, reg=reg)
        assert_matches(ck("wiener", image, psf, balance, reg=reg), ref)
        if min(shape) < 3:  # uft.laplacian's 3**ndim kernel does not fit
            continue
        # psf as a transfer function, complex output (skimage's own test_wiener does this)
        otf = uft.ir2tf(psf, shape, is_real=False)
        _, laplacian = uft.laplacian(len(shape), shape)
        ref = SK.wiener(image, otf, balance, reg=laplacian, is_real=False)
        assert_matches(ck("wiener", image, otf, balance, reg=laplacian, is_real=False), ref)
    for dtype in (np.float32, np.float16):  # the same in single precision
        image = random_image(rng, (17, 12), dtype)
        otf = uft.ir2tf(random_psf(rng, (4, 3), dtype), image.shape, is_real=False)
        _, laplacian = uft.laplacian(2, image.shape)
        ref = SK.wiener(image, otf, 0.05, reg=laplacian, is_real=False)
        assert_matches(ck("wiener", image, otf, 0.05, reg=laplacian, is_real=False), ref, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_richardson_lucy_matches_skimage(dtype):
    for rng, shape, kshape in cases(30 + DTYPES.index(dtype), 30):
        image = random_image(rng, shape, dtype)
        psf = random_psf(rng, kshape, dtype if np.dtype(dtype).kind == "f" else np.float64)
        num_iter = int(rng.integers(0, 8))
        for clip in (False, True):
            ref = SK.richardson_lucy(image, psf, num_iter, clip=clip)
            got = ck("richardson_lucy", image, psf, num_iter, clip=clip)
            assert_matches(got, ref, dtype)


@pytest.mark.parametrize("engine", ["direct", "fft", "auto"])
def test_richardson_lucy_engines_and_filter_epsilon(engine):
    for rng, shape, kshape in cases(40, 24):
        image = random_image(rng, shape, np.float64)
        image[tuple(slice(0, max(1, n // 3)) for n in shape)] = 0  # conv < filter_epsilon there
        psf = random_psf(rng, kshape)
        for eps in (None, 1e-3):
            ref = SK.richardson_lucy(image, psf, 6, clip=False, filter_epsilon=eps)
            got = ck("richardson_lucy", image, psf, 6, clip=False, filter_epsilon=eps,
                     engine=engine)
            assert_matches(got, ref)
    image = random_image(rng, (23, 18), np.float32)  # single precision, both engines
    psf = random_psf(rng, (6, 5), np.float32)
    ref = SK.richardson_lucy(image, psf, 10)
    assert_matches(ck("richardson_lucy", image, psf, 10, engine=engine), ref, np.float32)


def test_non_contiguous_views():
    rng = np.random.default_rng(50)
    big = random_image(rng, (41, 36), np.float64)
    psf = random_psf(rng, (5, 4))
    for image in (big.T, big[::2, ::3], big[::-1, 1::2].T):
        for kernel in (psf, psf.T, random_psf(rng, (9, 8))[::2, ::2]):
            ref = SK.richardson_lucy(image, kernel, 5)
            assert_matches(ck("richardson_lucy", image, kernel, 5), ref)
            ref = SK.wiener(image, kernel, 0.1)
            assert_matches(ck("wiener", image, kernel, 0.1), ref)
            reg = rng.standard_normal((3, 3))[:, ::2]
            ref = SK.wiener(image, kernel, 0.1, reg=reg)
            assert_matches(ck("wiener", image, kernel, 0.1, reg=reg), ref)


@pytest.mark.parametrize("dtype,shape,ksize", [(np.float64, (40, 37), (5, 4)),
                                                (np.float32, (33, 48), (3, 3))])
def test_unsupervised_wiener_seeded(dtype, shape, ksize):
    rng = np.random.default_rng(60)
    psf = random_psf(rng, ksize)
    image = scipy.signal.convolve(random_image(rng, shape, np.float64), psf, "same")
    image = (image + 0.05 * rng.standard_normal(shape)).astype(dtype)
    x, chains = ck("unsupervised_wiener", image, psf, rng=123)
    xr, chains_r = SK.unsupervised_wiener(image, psf, rng=123)
    assert_matches(x, xr, dtype)
    for key in ("noise", "prior"):
        np.testing.assert_allclose(chains[key], chains_r[key], rtol=1e-4)


@pytest.mark.parametrize("channel_axis", [-1, 0])
def test_channel_axis_rgb(channel_axis):
    rng = np.random.default_rng(70)
    rgb = random_image(rng, (21, 26, 3), np.float32)
    psf = random_psf(rng, (5, 4), np.float32)
    planes = [rgb[..., c] for c in range(3)]
    image = np.moveaxis(rgb, -1, channel_axis)
    ref = np.stack([SK.richardson_lucy(p, psf, 7) for p in planes], axis=channel_axis)
    got = ck("richardson_lucy", image, psf, 7, channel_axis=channel_axis)
    assert_matches(got, ref, np.float32)
    ref = np.stack([SK.wiener(p, psf, 0.1) for p in planes], axis=channel_axis)
    assert_matches(ck("wiener", image, psf, 0.1, channel_axis=channel_axis), ref, np.float32)


# ------------------------------------------------------------------------------- errors ---

IMAGE = np.random.default_rng(80).random((16, 16))
PSF = np.ones((3, 3)) / 9
CALLS = {"wiener": lambda image, psf: R.wiener(image, psf, 0.1),
         "richardson_lucy": lambda image, psf: R.richardson_lucy(image, psf, 3)}
NAN_IMAGE = IMAGE.copy()
NAN_IMAGE[3, 4] = np.nan
BAD_VALUES = {
    "psf ndim": (IMAGE, np.ones(3) / 3, "psf"),
    "psf larger": (IMAGE, np.ones((17, 3)) / 51, "psf"),
    "psf all zero": (IMAGE, np.zeros((3, 3)), "psf"),
    "image nan": (NAN_IMAGE, PSF, "image"),
    "psf nan": (IMAGE, np.where(PSF > 0, np.nan, 0), "psf"),
    "image complex": (IMAGE + 1j, PSF, "image"),
}
BAD_TYPES = {
    "image str": ("abc", PSF),
    "image None": (None, PSF),
    "image object": (np.array([[object()]] * 4, dtype=object), np.ones((1, 1))),
    "psf str": (IMAGE, "abc"),
    "psf None": (IMAGE, None),
}


@pytest.mark.parametrize("func", list(CALLS))
@pytest.mark.parametrize("case", list(BAD_VALUES))
def test_value_errors_name_the_parameter(func, case):
    image, psf, name = BAD_VALUES[case]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=rf"\b{name}\b"):
            CALLS[func](image, psf)


@pytest.mark.parametrize("func", list(CALLS))
@pytest.mark.parametrize("case", list(BAD_TYPES))
def test_type_errors(func, case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(TypeError):
            CALLS[func](*BAD_TYPES[case])


def test_bad_options():
    with pytest.raises(TypeError, match="num_iter"):
        R.richardson_lucy(IMAGE, PSF, 2.5)
    for kwargs in ({"method": "fast"}, {"boundary": "wrap"}, {"convention": "matlab"},
                   {"engine": "gpu"}):
        with pytest.raises(ValueError, match=next(iter(kwargs))):
            R.richardson_lucy(IMAGE, PSF, 2, **kwargs)


# --------------------------------------------------------------------- beyond skimage ---

def convolution_matrix(shape, psf):
    """Dense A with A @ x.ravel() == scipy.signal.convolve(x, psf, 'same').ravel()."""
    n = int(np.prod(shape))
    columns = []
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1
        columns.append(scipy.signal.convolve(e.reshape(shape), psf, "same").ravel())
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("kshape", [(4, 2), (3, 4), (3, 5), (2, 1)])
def test_adjoint_convention_is_the_transpose(kshape):
    rng = np.random.default_rng(90)
    shape = (9, 8)
    image = random_image(rng, shape, np.float64)
    psf = random_psf(rng, kshape)
    a = convolution_matrix(shape, psf)
    start = np.full(image.size, 0.5)
    want = (0.5 * (a.T @ (image.ravel() / (a @ start + 1e-12)))).reshape(shape)
    got = ck("richardson_lucy", image, psf, num_iter=1, clip=False, convention="adjoint")
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    plain = ck("richardson_lucy", image, psf, num_iter=1, clip=False)
    if all(k % 2 for k in kshape):  # odd: skimage's mirrored PSF is already the transpose
        np.testing.assert_allclose(plain, want, rtol=1e-12, atol=1e-14)
    else:
        assert np.abs(plain - want).max() > 1e-3


def smooth_scene(shape):
    y, x = np.mgrid[:shape[0], :shape[1]] / np.array(shape).reshape(2, 1, 1)
    return 0.2 + 0.5 * x + 0.2 * y + 0.1 * np.sin(6 * x + 2 * y)


def edge_error(estimate, truth, band=8):
    inner = np.zeros(truth.shape, bool)
    inner[band:-band, band:-band] = True
    return np.sqrt(np.mean((estimate - truth)[~inner] ** 2))


def test_reflect_boundary_reduces_edge_ringing():
    truth = smooth_scene((64, 72))
    psf = R.psf_gaussian(2.0)
    blurred = ndi.convolve(truth, psf, mode="reflect")
    for func, args in (("wiener", (psf, 0.01)), ("richardson_lucy", (psf, 30))):
        default = edge_error(ck(func, blurred, *args), truth)
        reflect = edge_error(ck(func, blurred, *args, boundary="reflect"), truth)
        assert reflect < 0.5 * default, (func, reflect, default)


def sharp_scene(rng, shape):
    truth = np.full(shape, 0.1)
    for _ in range(12):
        y, x = rng.integers(0, shape[0] - 8), rng.integers(0, shape[1] - 8)
        h, w = rng.integers(2, 8, 2)
        truth[y:y + h, x:x + w] = rng.uniform(0.3, 1.0)
    return truth


def rmse(a, b):
    return float(np.sqrt(np.mean((a - b) ** 2)))


def test_accelerated_reaches_plain_error_in_fewer_iterations():
    # A scene that is zero along the edges: RL's zero-boundary model is then exact and plain RL's
    # error decreases steadily (near a bright edge skimage's RL is biased: no A^T 1 normalisation).
    rng = np.random.default_rng(100)
    truth = np.pad(sharp_scene(rng, (56, 56)), 8)
    psf = R.psf_gaussian(1.5)
    blurred = scipy.signal.convolve(truth, psf, "same")
    target = rmse(ck("richardson_lucy", blurred, psf, 50, clip=False), truth)
    fast = rmse(ck("richardson_lucy", blurred, psf, 25, clip=False, method="accelerated"), truth)
    assert fast < target, (fast, target)


def test_tv_beats_plain_on_noisy_image():
    rng = np.random.default_rng(110)
    truth = sharp_scene(rng, (64, 64))
    psf = R.psf_gaussian(1.5)
    blurred = scipy.signal.convolve(truth, psf, "same")
    noisy = np.clip(blurred + 0.05 * rng.standard_normal(blurred.shape), 0.01, None)
    plain = rmse(ck("richardson_lucy", noisy, psf, 50), truth)
    tv = rmse(ck("richardson_lucy", noisy, psf, 50, method="tv", tv_weight=0.01), truth)
    assert tv < 0.9 * plain, (tv, plain)  # 0.77 * plain here (0.93 with the default weight)
