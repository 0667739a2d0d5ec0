"""convkit/_restoration_matlab.py: MATLAB-style deconvwnr / deconvreg / deconvlucy / deconvblind.

Expected values come from closed-form formulas computed here with numpy.fft, never
from the module itself.
"""

import numpy as np
import pytest

from convkit import _restoration_matlab as M


# ---- independent reference helpers ----------------------------------------------------------

def otf(psf, shape):
    """MATLAB psf2otf written out: pad at top-left, roll by -floor(k/2), fftn."""
    psf = np.asarray(psf, float)
    psf = psf.reshape(psf.shape + (1,) * (len(shape) - psf.ndim))
    pad = np.zeros(shape)
    pad[tuple(slice(0, k) for k in psf.shape)] = psf
    pad = np.roll(pad, [-(k // 2) for k in psf.shape], axis=tuple(range(len(shape))))
    return np.fft.fftn(pad)


def blur(x, psf):
    return np.real(np.fft.ifftn(np.fft.fftn(x) * otf(psf, x.shape)))


def gauss(sigma, radius, ndim=2):
    t = np.arange(-radius, radius + 1, dtype=float)
    r2 = sum(np.meshgrid(*([t ** 2] * ndim), indexing="ij"))
    k = np.exp(-0.5 * r2 / sigma ** 2)
    return k / k.sum()


def no_zero_psf(ndim):
    """A PSF whose OTF stays >= 0.2 in magnitude: 0.6 delta + 0.4 Gaussian."""
    k = 0.4 * gauss(1.0, 2, ndim)
    k[(2,) * ndim] += 0.6
    return k


def psf_width(P):
    r = P.shape[0] // 2
    t = np.arange(-r, r + 1)
    return float(np.sqrt((P * t[:, None] ** 2).sum() / P.sum()))


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# ---- psf2otf / otf2psf ----------------------------------------------------------------------

def test_psf2otf_matches_definition_and_inverts(rng):
    k = rng.random((3, 4))
    assert np.allclose(M.psf2otf(k, (8, 9)), otf(k, (8, 9)))
    assert np.allclose(M.otf2psf(otf(k, (8, 9)), (3, 4)), k)


# ---- deconvwnr ------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(101,), (40, 37), (12, 10, 9)])
def test_wnr_inverse_filter_recovers_noise_free_image(rng, shape):
    x = rng.random(shape)
    psf = no_zero_psf(len(shape))
    assert np.abs(otf(psf, shape)).min() > 0.1
    J = M.deconvwnr(blur(x, psf), psf)          # nsr = 0: ideal inverse filter
    assert J.dtype == np.float64 and J.shape == shape
    assert np.abs(J - x).max() < 1e-6


def test_wnr_nsr_equals_closed_form(rng):
    x = rng.random((32, 30))
    psf = gauss(1.5, 3)
    y = blur(x, psf) + rng.normal(0, 0.01, x.shape)
    H = otf(psf, x.shape)
    for nsr in (0.01, 0.3):
        want = np.real(np.fft.ifftn(np.conj(H) / (np.abs(H) ** 2 + nsr) * np.fft.fftn(y)))
        assert np.allclose(M.deconvwnr(y, psf, nsr), want, atol=1e-12)
    # A per-frequency array, deliberately not Hermitian-symmetric: MATLAB keeps the real part.
    nsr = rng.random(x.shape) * 0.1
    want = np.real(np.fft.ifftn(np.conj(H) / (np.abs(H) ** 2 + nsr) * np.fft.fftn(y)))
    assert np.allclose(M.deconvwnr(y, psf, nsr), want, atol=1e-12)


def test_wnr_zero_of_otf_gives_zero_component():
    x = np.random.default_rng(0).random(64)
    psf = np.array([0.5, 0.5])                 # OTF is exactly 0 at the Nyquist bin
    J = M.deconvwnr(blur(x, psf), psf)
    assert np.all(np.isfinite(J))
    assert abs(np.fft.fft(J)[32]) < 1e-9


def test_wnr_ncorr_icorr_equal_nsr_form_for_white_spectra(rng):
    x = rng.random((30, 32))
    psf = gauss(1.2, 2)
    y = blur(x, psf) + rng.normal(0, 0.02, x.shape)
    sigma2, power = 4e-4, 0.08
    want = M.deconvwnr(y, psf, sigma2 / power)
    delta = np.zeros((3, 3))
    delta[1, 1] = sigma2                        # white noise: ACF = sigma^2 * delta
    assert np.allclose(M.deconvwnr(y, psf, ncorr=delta, icorr=power), want, atol=1e-10)
    idelta = np.zeros((5, 5))
    idelta[2, 2] = power
    assert np.allclose(M.deconvwnr(y, psf, ncorr=sigma2, icorr=idelta), want, atol=1e-10)
    # 1-D ACF with a 2-D PSF: extended with rotational symmetry, still a delta.
    assert np.allclose(M.deconvwnr(y, psf, ncorr=[0, sigma2, 0], icorr=power), want,
                       atol=1e-10)


def test_wnr_coloured_spectra_match_formula(rng):
    x = rng.random((24, 20))
    psf = gauss(1.0, 1)
    y = blur(x, psf)
    ncorr = np.array([[0.0, 1, 0], [1, 4, 1], [0, 1, 0]]) * 1e-3
    icorr = gauss(2.0, 3) * 5
    Su = np.abs(np.fft.fftn(ncorr, x.shape, axes=(0, 1)))
    Sx = np.abs(np.fft.fftn(icorr, x.shape, axes=(0, 1)))
    H = otf(psf, x.shape)
    want = np.real(np.fft.ifftn(np.conj(H) * Sx / (np.abs(H) ** 2 * Sx + Su) * np.fft.fftn(y)))
    assert np.allclose(M.deconvwnr(y, psf, ncorr=ncorr, icorr=icorr), want, atol=1e-10)


# ---- deconvreg ------------------------------------------------------------------------------

def laplacian_otf(shape):
    return otf(np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]]), shape)


@pytest.mark.parametrize("var", [1e-4, 1e-3])
def test_reg_residual_matches_noise_power(rng, var):
    x = rng.random((64, 60))
    psf = gauss(1.5, 3)
    y = blur(x, psf) + rng.normal(0, np.sqrt(var), x.shape)
    noisepower = var * y.size
    J, lam = M.deconvreg(y, psf, noisepower)
    assert 1e-9 < lam < 1e9
    residual = np.sum((y - blur(J, psf)) ** 2)
    assert residual == pytest.approx(noisepower, rel=0.01)
    # ... and J is the closed-form regularised filter at that multiplier.
    H, R = otf(psf, x.shape), laplacian_otf(x.shape)
    want = np.real(np.fft.ifftn(np.conj(H) * np.fft.fftn(y) / (np.abs(H) ** 2 +
                                                                lam * np.abs(R) ** 2)))
    assert np.allclose(J, want, atol=1e-9)


def test_reg_scalar_lrange_is_the_multiplier(rng):
    x = rng.random((20, 22))
    psf = gauss(1.0, 2)
    y = blur(x, psf)
    H, R = otf(psf, x.shape), laplacian_otf(x.shape)
    want = np.real(np.fft.ifftn(np.conj(H) * np.fft.fftn(y) / (np.abs(H) ** 2 +
                                                                0.05 * np.abs(R) ** 2)))
    J, lam = M.deconvreg(y, psf, 123.0, 0.05)   # noisepower ignored
    assert lam == 0.05
    assert np.allclose(J, want, atol=1e-12)
    # Unreachable targets clamp to the nearer bound.
    assert M.deconvreg(y, psf, 0, (1e-3, 1e3))[1] == 1e-3
    assert M.deconvreg(y, psf, 1e9, (1e-3, 1e3))[1] == 1e3


def test_reg_custom_regop_and_1d(rng):
    x = rng.random(80)
    psf = np.array([1.0, 2, 1]) / 4
    y = blur(x, psf)
    regop = np.array([1.0, -1])
    H = otf(psf, x.shape)

    def reg(R):
        return np.real(np.fft.ifft(np.conj(H) * np.fft.fft(y) / (np.abs(H) ** 2 +
                                                                  0.1 * np.abs(R) ** 2)))

    want = reg(otf(regop, x.shape))
    assert np.allclose(M.deconvreg(y, psf, None, 0.1, regop)[0], want, atol=1e-12)
    # Default 1-D operator is [1, -2, 1].
    want = reg(otf(np.array([1.0, -2, 1]), x.shape))
    assert np.allclose(M.deconvreg(y, psf, None, 0.1)[0], want, atol=1e-12)


# ---- deconvlucy -----------------------------------------------------------------------------

def lucy_step(J, y, psf):
    """One plain (unaccelerated, undamped) Richardson-Lucy step with circular convolution."""
    H = otf(psf, y.shape)
    ratio = y / np.real(np.fft.ifftn(H * np.fft.fftn(J)))
    return J * np.real(np.fft.ifftn(np.conj(H) * np.fft.fftn(ratio))) / psf.sum()


def test_lucy_first_steps_are_plain_richardson_lucy(rng):
    x = rng.random((30, 28)) + 0.1
    psf = gauss(1.3, 3)
    y = blur(x, psf)
    J1 = lucy_step(y, y, psf)
    assert np.allclose(M.deconvlucy(y, psf, 1), J1, rtol=1e-6)
    assert np.allclose(M.deconvlucy(y, psf, 2), lucy_step(J1, y, psf), rtol=1e-6)


def test_lucy_residual_decreases_and_converges_to_truth(rng):
    from scipy import ndimage
    x = ndimage.gaussian_filter(rng.random((48, 48)), 1.0) + 0.05
    psf = gauss(1.5, 4)
    y = blur(x, psf)
    res, err = [], []
    for n in range(1, 16):
        J = M.deconvlucy(y, psf, n)
        res.append(np.linalg.norm(y - blur(J, psf)))
        err.append(np.linalg.norm(J - x))
    assert all(b < a for a, b in zip(res, res[1:]))
    assert all(b < a for a, b in zip(err, err[1:]))
    assert err[-1] < 0.6 * np.linalg.norm(y - x)
    J = M.deconvlucy(y, psf, 200)
    assert np.linalg.norm(J - x) < 0.6 * err[-1]


def test_lucy_zero_weight_pixels_do_not_influence(rng):
    x = rng.random((32, 32)) + 0.1
    psf = gauss(1.2, 2)
    y = blur(x, psf)
    w = np.ones_like(y)
    w[5:9, 10:14] = 0
    w[20, 3] = 0
    a, b = y.copy(), y.copy()
    a[w == 0] = 1e6
    b[w == 0] = 0
    for kw in ({}, {"dampar": 0.01, "readout": 0.2}):
        Ja = M.deconvlucy(a, psf, 12, weight=w, **kw)
        Jb = M.deconvlucy(b, psf, 12, weight=w, **kw)
        assert np.array_equal(Ja, Jb)
        assert np.abs(Ja).max() < 10


def test_lucy_resume_equals_one_long_run(rng):
    x = rng.random((24, 26)) + 0.1
    psf = gauss(1.0, 2)
    y = blur(x, psf)
    J10, state = M.deconvlucy(y, psf, 10, return_state=True)
    assert np.array_equal(state.estimate, J10)
    J20, state = M.deconvlucy(state, psf, 10, return_state=True)
    assert np.allclose(J20, M.deconvlucy(y, psf, 20), rtol=1e-12, atol=1e-14)
    assert np.allclose(M.deconvlucy(state, psf, 5), M.deconvlucy(y, psf, 25), rtol=1e-12)


def test_lucy_damping_and_readout(rng):
    x = rng.random((32, 32)) + 0.2
    psf = gauss(1.5, 3)
    y = blur(x, psf)
    plain = M.deconvlucy(y, psf, 20)
    damped = M.deconvlucy(y, psf, 20, dampar=0.5)
    # Damping suppresses updates where the model already fits within dampar: closer to y.
    assert np.linalg.norm(damped - y) < np.linalg.norm(plain - y)
    assert np.array_equal(M.deconvlucy(y, psf, 20, dampar=0), plain)
    # Read-out offset added to data and model: still a fixed point at the truth.
    J = M.deconvlucy(y, psf, 30, readout=0.5)
    assert np.linalg.norm(y - blur(J, psf)) < 0.2 * np.linalg.norm(y - blur(y, psf))


def test_lucy_3d(rng):
    x = rng.random((12, 14, 10)) + 0.1
    psf = gauss(1.0, 1, ndim=3)
    y = blur(x, psf)
    J = M.deconvlucy(y, psf, 10)
    assert J.shape == x.shape
    assert np.linalg.norm(y - blur(J, psf)) < 0.5 * np.linalg.norm(y - blur(y, psf))


# ---- deconvblind ----------------------------------------------------------------------------

def sparse_scene(rng, shape=(64, 64)):
    x = np.full(shape, 0.01)
    x[rng.random(shape) > 0.98] += 1.0
    return x


def test_blind_recovers_gaussian_width(rng):
    x = sparse_scene(rng)
    widths = []
    for sigma in (1.0, 2.0):
        psf = gauss(sigma, 5)
        J, P = M.deconvblind(blur(x, psf), np.ones((11, 11)), 50)
        assert P.shape == (11, 11)
        assert P.sum() == pytest.approx(1, abs=1e-9)
        assert (P >= 0).all()
        w = psf_width(P)
        assert w == pytest.approx(psf_width(psf), rel=0.3)   # flat start: width 3.16
        widths.append(w)
        assert np.linalg.norm(J - x) < np.linalg.norm(blur(x, psf) - x)
    assert widths[0] < widths[1]


def test_blind_psf_constraint_applied_each_iteration(rng):
    x = sparse_scene(rng, (40, 40))
    y = blur(x, gauss(1.5, 3))
    calls = []

    def symmetric(p):
        calls.append(p.shape)
        return (p + p[::-1, ::-1]) / 2

    J, P = M.deconvblind(y, np.ones((7, 7)), 6, psf_constraint=symmetric)
    assert calls == [(7, 7)] * 6
    assert np.allclose(P, P[::-1, ::-1])


# ---- dtypes and errors ----------------------------------------------------------------------

def test_float32_stays_float32_and_ints_become_float64(rng):
    x = (rng.random((20, 24)) + 0.1).astype(np.float32)
    psf = gauss(1.0, 2).astype(np.float32)
    y = blur(x, psf).astype(np.float32)
    assert M.deconvwnr(y, psf, 0.01).dtype == np.float32
    assert M.deconvwnr(y, psf, ncorr=1e-3, icorr=1.0).dtype == np.float32
    assert M.deconvreg(y, psf, 1e-4 * y.size)[0].dtype == np.float32
    J = M.deconvlucy(y, psf, 5, dampar=0.01, readout=0.1)
    assert J.dtype == np.float32
    assert np.allclose(J, M.deconvlucy(y.astype(np.float64), psf, 5, dampar=0.01, readout=0.1),
                       rtol=1e-3, atol=1e-4)
    J, P = M.deconvblind(y, np.ones((5, 5), np.float32), 5)
    assert J.dtype == np.float32 and P.dtype == np.float32
    yi = (y * 100).astype(np.uint16)
    assert M.deconvwnr(yi, psf).dtype == np.float64
    assert M.deconvlucy(yi, psf, 2).dtype == np.float64


def test_bad_inputs():
    img = np.ones((8, 8))
    psf = np.ones((3, 3)) / 9
    with pytest.raises(ValueError, match="larger"):
        M.deconvwnr(img, np.ones((9, 3)))
    with pytest.raises(ValueError, match="sum to zero"):
        M.deconvreg(img, [[1.0, -1.0]])
    with pytest.raises(ValueError, match="zero everywhere"):
        M.deconvlucy(img, np.zeros((3, 3)))
    bad = img.copy()
    bad[2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        M.deconvwnr(bad, psf)
    bad[2, 2] = np.inf
    with pytest.raises(ValueError, match="NaN"):
        M.deconvblind(bad, psf)
    with pytest.raises(TypeError, match="complex"):
        M.deconvlucy(img + 1j, psf)
    with pytest.raises(TypeError, match="complex"):
        M.deconvwnr(img, psf + 0j)
    with pytest.raises(ValueError, match="positive"):
        M.deconvlucy(img, psf, 0)
    with pytest.raises(ValueError, match="positive"):
        M.deconvblind(img, psf, -1)
    with pytest.raises(TypeError, match="integer"):
        M.deconvlucy(img, psf, 2.5)
    with pytest.raises(ValueError, match="together"):
        M.deconvwnr(img, psf, ncorr=1.0)
    with pytest.raises(ValueError, match="shape"):
        M.deconvwnr(img, psf, np.ones((4, 4)))
    with pytest.raises(ValueError, match="non-negative"):
        M.deconvwnr(img, psf, -0.1)
    with pytest.raises(ValueError, match="shape"):
        M.deconvlucy(img, psf, 2, weight=np.ones((4, 4)))
    with pytest.raises(ValueError, match="increasing"):
        M.deconvreg(img, psf, 1.0, (1.0, 0.1))
    with pytest.raises(TypeError, match="callable"):
        M.deconvblind(img, psf, 2, psf_constraint=3)
    with pytest.raises(ValueError, match="dimensions"):
        M.deconvwnr(np.ones(8), psf)
