"""MATLAB-style deconvolution: deconvwnr, deconvreg, deconvlucy, deconvblind (private).

Pure NumPy + scipy.fft; it never imports convkit's compiled core, so it can be loaded by file
path. Every function models the blur as a *circular* convolution through the optical transfer
function (OTF), as MATLAB does: the PSF is padded to the image shape with its centre element
(index ``k // 2`` per axis) moved to the origin, then transformed (:func:`psf2otf`).

Conventions shared by all functions:

- float32 images are computed in float32/complex64 and returned as float32; every other real
  dtype (integers, bool, float16, float64) is computed and returned as float64 *without*
  rescaling (MATLAB's ``im2double`` maps uint8 to [0, 1]; here parameters such as ``dampar``
  and ``readout`` are simply in the image's own units).
- A PSF with fewer dimensions than the image gets trailing singleton axes (MATLAB's rule, so a
  2-D PSF applies to every channel of an ``(rows, cols, channels)`` image).
- Complex or non-numeric input raises TypeError; NaN/inf, a PSF larger than the image or one
  that is all zero / sums to zero, and non-positive ``num_iter`` raise ValueError.
"""

import numbers
from typing import NamedTuple, Tuple

import numpy as np
import scipy.fft as _fft_mod
from scipy.optimize import brentq

from ._restoration_psf import otf2psf, psf2otf  # noqa: F401  (the docstring examples use them)

__all__ = ["deconvwnr", "deconvreg", "deconvlucy", "deconvblind", "LucyState"]

# Python floats, not NumPy float64 scalars: a float64 scalar would upcast float32 arrays.
_EPS = float(np.finfo(np.float64).eps)
_SQRT_EPS = float(np.sqrt(_EPS))      # MATLAB's floor for denominators and scale arrays
_GM = 10                              # exponent of MATLAB's damping polynomial


# ---- validation ------------------------------------------------------------------------------

def _real_array(x, name, dtype=None):
    a = np.asarray(x)
    if a.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got complex dtype {a.dtype}")
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real numeric array, got dtype {a.dtype}")
    if dtype is None:
        dtype = np.float32 if a.dtype == np.float32 else np.float64
    a = a.astype(dtype, copy=False)
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must not contain NaN or inf")
    return a


def _image(image):
    g = _real_array(image, "image")
    if g.size < 2:
        raise ValueError("image must have at least 2 elements")
    return g


def _fit(a, shape, name):
    """Give `a` trailing singleton axes up to len(shape); refuse it if larger than shape."""
    if a.ndim > len(shape):
        raise ValueError(f"{name} has more dimensions ({a.ndim}) than the image ({len(shape)})")
    full = a.reshape(a.shape + (1,) * (len(shape) - a.ndim))
    if any(k > n for k, n in zip(full.shape, shape)):
        raise ValueError(f"{name} of shape {a.shape} is larger than the image {tuple(shape)}")
    return full


def _psf(psf, shape, dtype, name="psf"):
    p = _real_array(psf, name, dtype)
    if p.size < 2:
        raise ValueError(f"{name} must have at least 2 elements")
    p = _fit(p, shape, name)
    total = float(np.sum(p, dtype=np.float64))
    if not np.any(p):
        raise ValueError(f"{name} must not be zero everywhere")
    # The OTF at frequency 0 is the PSF's sum: zero there means the mean is unrecoverable.
    if abs(total) <= 8 * np.finfo(dtype).eps * p.size * float(np.abs(p).sum()):
        raise ValueError(f"{name} must not sum to zero")
    return p


def _num_iter(n):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise TypeError(f"num_iter must be an integer, got {type(n).__name__}")
    if n <= 0:
        raise ValueError(f"num_iter must be positive, got {n}")
    return int(n)


def _scalar_or_image(x, name, shape, dtype):
    """A finite scalar (returned as float) or an array of the image's shape."""
    a = _real_array(x, name, dtype)
    if a.size == 1 and a.ndim <= len(shape):
        return float(a.reshape(()))
    if a.shape != tuple(shape):
        raise ValueError(f"{name} must be a scalar or have the image's shape {tuple(shape)}, "
                         f"got {a.shape}")
    return a


def _lucy_params(shape, dtype, dampar, weight, readout):
    """MATLAB's weighted, read-out-corrected data term and damping constant."""
    dampar = _scalar_or_image(dampar, "dampar", shape, dtype)
    readout = _scalar_or_image(readout, "readout", shape, dtype)
    w = np.ones(shape, dtype) if weight is None else _scalar_or_image(weight, "weight", shape,
                                                                      dtype)
    w = np.broadcast_to(np.asarray(w, dtype), shape)
    if np.any(w < 0):
        raise ValueError("weight must be non-negative")
    if not np.any(w):
        raise ValueError("weight must have a positive element")
    d22 = None if (np.isscalar(dampar) and dampar == 0) else (dampar * dampar) / 2
    return w, readout, d22


def _start(g, w):
    """The initial estimate: the image, with zero-weight (bad) pixels set to the mean of the
    others. MATLAB seeds with the raw image everywhere, which lets a masked-out value leak in
    through the start; seeding them with the mean keeps them out entirely."""
    J = g.copy()
    bad = w == 0
    if bad.any():
        J[bad] = g[~bad].mean()
    return J


# ---- transforms ------------------------------------------------------------------------------

def _origin_index(kshape, shape):
    # Element k//2 of the kernel lands on index 0: MATLAB's circshift(pad, -floor(k/2)).
    return np.ix_(*[(np.arange(k) - k // 2) % n for k, n in zip(kshape, shape)])


def _place(psf, shape):
    out = np.zeros(shape, psf.dtype)
    out[_origin_index(psf.shape, shape)] = psf
    return out


def _crop(x, kshape):
    """Inverse of _place: the kernel-shaped window around the origin of a full array."""
    return x[_origin_index(kshape, x.shape)]


# Real transforms: images, PSFs and weights are real, so half spectra suffice (Hermitian).
def _rfft(x):
    return _fft_mod.rfftn(x, workers=-1)


def _irfft(X, shape):
    return _fft_mod.irfftn(X, s=shape, workers=-1)


def _rotf(psf, shape):
    return _rfft(_place(psf, shape))


def _abs2(X):
    return X.real * X.real + X.imag * X.imag


# ---- Wiener ----------------------------------------------------------------------------------

def _acf_nd(acf, axes, ndim):
    """Rotationally symmetric N-D autocorrelation from a 1-D one (MATLAB's extrapolation)."""
    m = (acf.size + 1) // 2                    # samples from the centre outwards
    half = acf[m - 1:2 * m - 1]
    shape = [1] * ndim
    r2 = 0.0
    for ax in axes:
        shape[ax] = 2 * m - 1
        off = np.arange(-(m - 1), m, dtype=np.float64) / max(m - 1, 1)
        r2 = r2 + off.reshape([-1 if a == ax else 1 for a in range(ndim)]) ** 2
    # Radius 1 is the last given lag; beyond it (the corners) the last value is held.
    vals = np.interp(np.sqrt(r2), np.linspace(0.0, 1.0, m), half.astype(np.float64))
    return np.broadcast_to(vals, shape).astype(acf.dtype)


def _power_spectrum(acf, shape, psf_axes, dtype, name):
    a = _real_array(acf, name, dtype)
    if a.size == 1:                            # a scalar is the (white) power itself
        return float(a.reshape(()))
    if a.ndim == 1 and len(shape) > 1:
        if len(psf_axes) > 1:
            a = _acf_nd(a, psf_axes, len(shape))
        else:                                  # lay the 1-D function along the PSF's axis
            a = a.reshape([-1 if ax == psf_axes[0] else 1 for ax in range(len(shape))])
    a = _fit(a, shape, name)
    # |FFT| is unchanged by the circular shift psf2otf would apply, so plain padding is enough.
    return np.abs(_fft_mod.rfftn(a, s=shape, workers=-1))


def deconvwnr(image, psf, nsr=0, *, ncorr=None, icorr=None):
    """Wiener deconvolution, as MATLAB's ``deconvwnr``.

    Applies ``G = conj(H) Sx / (|H|^2 Sx + Su)`` with ``H`` the OTF of `psf` (circular
    convolution), where either ``Su/Sx = nsr`` or ``Su``, ``Sx`` are the power spectra of the
    noise and image autocorrelation functions `ncorr`, `icorr`. Denominators below
    ``sqrt(eps)`` are raised to it (MATLAB's guard), so a zero of the denominator gives 0.

    Parameters
    ----------
    image : array_like
        Blurred image, any dimensionality.
    psf : array_like
        Point-spread function, no larger than the image.
    nsr : float or array_like, optional
        Noise-to-signal power ratio: a non-negative scalar, or an array of the image's shape
        in unshifted ``fftn`` frequency layout. 0 (default) is the ideal inverse filter.
    ncorr, icorr : float or array_like, keyword-only
        Autocorrelation functions of the noise and of the true image, given together (instead
        of `nsr`). A scalar is a white power; an array no larger than the image gives the power
        spectrum ``|fftn(acf, image.shape)|``; a 1-D array with a PSF of several non-singleton
        axes is extended to them with rotational symmetry.

    Returns
    -------
    J : ndarray, float32 for float32 input else float64

    Examples
    --------
    >>> x = np.random.default_rng(0).random((32, 32))
    >>> psf = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]) / 16 * 0.5 + np.eye(3) / 6
    >>> y = np.real(np.fft.ifft2(np.fft.fft2(x) * psf2otf(psf, x.shape)))
    >>> np.allclose(deconvwnr(y, psf), x)
    True
    """
    g = _image(image)
    shape, dt = g.shape, g.dtype
    h = _psf(psf, shape, dt)
    if (ncorr is None) != (icorr is None):
        raise ValueError("ncorr and icorr must be given together")
    if ncorr is not None:
        if not (np.ndim(nsr) == 0 and nsr == 0):
            raise ValueError("give either nsr or ncorr/icorr, not both")
        axes = [ax for ax, k in enumerate(h.shape) if k != 1]
        su = _power_spectrum(ncorr, shape, axes, dt, "ncorr")
        sx = _power_spectrum(icorr, shape, axes, dt, "icorr")
        H = _rotf(h, shape)
        # MATLAB's division-free form: conj(H) Sx / (|H|^2 Sx + Su), so Sx = 0 is harmless.
        G = np.conj(H) * sx / np.maximum(_abs2(H) * sx + su, _SQRT_EPS)
        return _irfft(G * _rfft(g), shape)
    nsr = _real_array(nsr, "nsr", dt)
    if np.any(nsr < 0):
        raise ValueError("nsr must be non-negative")
    if nsr.size == 1 and nsr.ndim <= g.ndim:
        H = _rotf(h, shape)
        G = np.conj(H) / np.maximum(_abs2(H) + float(nsr.reshape(())), _SQRT_EPS)
        return _irfft(G * _rfft(g), shape)
    if nsr.shape != shape:
        raise ValueError(f"nsr must be a scalar or have the image's shape {shape}, "
                         f"got {nsr.shape}")
    # An arbitrary nsr array need not be Hermitian-symmetric, so use full transforms and keep
    # the real part, as MATLAB does for a real image and PSF.
    H = _fft_mod.fftn(_place(h, shape), workers=-1)
    G = np.conj(H) / np.maximum(_abs2(H) + nsr, _SQRT_EPS)
    J = _fft_mod.ifftn(G * _fft_mod.fftn(g, workers=-1), workers=-1).real
    return J.astype(dt, copy=False)


# ---- regularised (constrained least squares) -------------------------------------------------

def _laplacian(psf_shape, dtype):
    """Discrete Laplacian over the PSF's non-singleton axes (MATLAB's default REGOP)."""
    axes = [ax for ax, k in enumerate(psf_shape) if k != 1]
    op = np.zeros([3 if ax in axes else 1 for ax in range(len(psf_shape))], dtype)
    centre = tuple(1 if ax in axes else 0 for ax in range(len(psf_shape)))
    op[centre] = -2 * len(axes)
    for ax in axes:
        for d in (0, 2):
            op[centre[:ax] + (d,) + centre[ax + 1:]] = 1
    return op


def _half_multiplicity(shape):
    """How often each bin of an rfftn half spectrum occurs in the full spectrum (Parseval)."""
    n = shape[-1]
    m = np.full(n // 2 + 1, 2.0)
    m[0] = 1.0
    if n % 2 == 0:
        m[-1] = 1.0
    return m


def deconvreg(image, psf, noisepower=None, lrange=(1e-9, 1e9), regop=None):
    """Regularised (constrained least-squares) deconvolution, as MATLAB's ``deconvreg``.

    Restores ``J = ifft(conj(H) G / (|H|^2 + lagrange |R|^2))`` where ``R`` is the OTF of the
    regularisation operator, choosing ``lagrange`` within `lrange` so that the residual
    ``sum((image - psf (*) J)**2)`` equals `noisepower` (circular convolution).

    Parameters
    ----------
    image : array_like
        Blurred, noisy image, any dimensionality.
    psf : array_like
        Point-spread function, no larger than the image.
    noisepower : float, optional
        Total additive noise power, ``variance * image.size`` (default 0).
    lrange : float or (float, float), optional
        Search range for the multiplier (default ``(1e-9, 1e9)``). A scalar (or equal bounds)
        is used as the multiplier itself and `noisepower` is ignored. If the target residual
        is outside what the range can reach, the nearer bound is returned.
    regop : array_like, optional
        Regularisation operator; default the Laplacian over the PSF's non-singleton axes
        (``[[0, 1, 0], [1, -4, 1], [0, 1, 0]]`` in 2-D, ``[1, -2, 1]`` in 1-D).

    Returns
    -------
    J : ndarray, float32 for float32 input else float64
    lagrange : float

    Notes
    -----
    MATLAB minimises ``|residual - noisepower|`` with ``fminbnd`` on a linear scale; the
    residual power grows monotonically with the multiplier, so here the equation is solved
    by bracketing root finding (``brentq``) on ``log(lagrange)``, which reaches the same
    optimum more accurately across the nine decades of the default range.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.random((64, 64)); psf = np.ones((5, 5)) / 25
    >>> y = np.real(np.fft.ifft2(np.fft.fft2(x) * psf2otf(psf, x.shape)))
    >>> y += rng.normal(0, 0.01, y.shape)
    >>> J, lam = deconvreg(y, psf, noisepower=0.01**2 * y.size)
    >>> 1e-9 < lam < 1e9
    True
    """
    g = _image(image)
    shape, dt = g.shape, g.dtype
    h = _psf(psf, shape, dt)
    npow = 0.0 if noisepower is None else _real_array(noisepower, "noisepower", np.float64)
    if np.size(npow) != 1:
        raise ValueError("noisepower must be a scalar")
    npow = float(np.reshape(npow, ()))
    if npow < 0:
        raise ValueError("noisepower must be non-negative")
    lr = _real_array((1e-9, 1e9) if lrange is None else lrange, "lrange", np.float64).ravel()
    if lr.size not in (1, 2):
        raise ValueError("lrange must be a scalar or a (low, high) pair")
    if lr.size == 2 and lr[1] < lr[0]:
        raise ValueError("lrange must be increasing")
    if np.any(lr < 0):
        raise ValueError("lrange must be non-negative")
    r = _laplacian(h.shape, dt) if regop is None else _fit(_real_array(regop, "regop", dt),
                                                           shape, "regop")
    H = _rotf(h, shape)
    H2 = _abs2(H)
    R2 = _abs2(_rotf(r, shape))
    G = _rfft(g)
    if lr.size == 1 or lr[0] == lr[1]:
        lagrange = float(lr[0])
    else:
        if lr[0] <= 0:
            raise ValueError("a searched lrange must have a positive lower bound (log scale)")
        # Parseval on the half spectrum: sum |G - H F|^2 over the full spectrum = N * ||r||^2.
        G2 = _abs2(G).astype(np.float64) * _half_multiplicity(shape)
        H2d, R2d = H2.astype(np.float64), R2.astype(np.float64)
        target = npow * g.size

        def offset(t):
            # The residual of the J actually returned (with MATLAB's denominator floor).
            keep = 1.0 - H2d / np.maximum(H2d + np.exp(t) * R2d, _SQRT_EPS)
            return float(np.sum(G2 * keep * keep)) - target

        lo, hi = np.log(lr[0]), np.log(lr[1])
        f_lo, f_hi = offset(lo), offset(hi)
        if f_lo >= 0:
            lagrange = float(lr[0])
        elif f_hi <= 0:
            lagrange = float(lr[1])
        else:
            lagrange = float(np.exp(brentq(offset, lo, hi, xtol=1e-12, rtol=1e-12)))
    F = np.conj(H) * G / np.maximum(H2 + lagrange * R2, _SQRT_EPS)
    return _irfft(F, shape), lagrange


# ---- Richardson-Lucy -------------------------------------------------------------------------

class LucyState(NamedTuple):
    """Everything :func:`deconvlucy` needs to resume (MATLAB's 4-cell ``{I, J, Jm1, gk}``)."""
    image: np.ndarray        # the observed image
    estimate: np.ndarray     # current estimate
    previous: np.ndarray     # estimate before the last iteration
    steps: Tuple[np.ndarray, np.ndarray]   # last two update steps, for the acceleration


def _ratio_spectrum(Y, H, shape, wI, readout, d22):
    """Spectrum of the (damped) data ratio wI / (psf (*) Y + readout): MATLAB's corelucy."""
    reblurred = _irfft(H * _rfft(Y), shape)
    reblurred += readout
    reblurred[reblurred == 0] = _EPS
    est = wI / reblurred + _EPS
    if d22 is None:
        return _rfft(est)
    with np.errstate(divide="ignore", invalid="ignore"):
        # Poisson deviance per pixel in units of dampar^2/2; pixels already within the noise
        # (g < 1) get their update damped by the smooth polynomial G(g), G(1) = 1.
        g = (wI * np.log(np.abs(est)) + reblurred - wI) / d22
        g = np.fmin(g, 1)                      # fmin: 0/0 (dampar 0 there) means no damping
    damp = g ** (_GM - 1) * (_GM - (_GM - 1) * g)
    return _rfft(1 + damp * (est - 1))


def _accel(steps):
    """Biggs-Andrews step length from the last two update steps, clipped to [0, 1]."""
    a, b = steps[0].ravel(), steps[1].ravel()
    lam = float(np.dot(a, b)) / (float(np.dot(b, b)) + _EPS)
    return min(max(lam, 0.0), 1.0)


def deconvlucy(image, psf, num_iter=10, dampar=0, weight=None, readout=0, *,
               return_state=False):
    """Accelerated, damped Richardson-Lucy deconvolution, as MATLAB's ``deconvlucy``.

    Each iteration predicts ``Y = J + lam (J - J_prev)`` (Biggs-Andrews acceleration, ``lam``
    from the last two steps, active from the third iteration), then updates
    ``J = Y * corr(psf, W (I + readout) / (psf (*) Y + readout)) / corr(psf, W)`` with circular
    convolution, keeping ``J >= 0``. The estimate starts from the image (zero-weight pixels
    from the mean of the others, so nothing of a masked pixel reaches the result).

    Parameters
    ----------
    image : array_like or LucyState
        Blurred image (any dimensionality), or a state from an earlier call to continue it.
    psf : array_like
        Point-spread function (not normalised here; the weighting term divides by its sum).
    num_iter : int, optional
        Number of iterations (default 10), positive.
    dampar : float or array_like, optional
        Damping threshold in units of the noise standard deviation; pixels whose reblurred
        value is within it of the data are damped. 0 (default) means no damping.
    weight : float or array_like, optional
        Per-pixel weight (default 1); 0 excludes a pixel (bad pixel) from the restoration.
    readout : float or array_like, optional
        Read-out noise variance / background added to both the data and the reblurred
        estimate (default 0).
    return_state : bool, keyword-only
        Also return a :class:`LucyState`; pass it back as `image` (with the same psf, weight,
        readout and dampar) to continue exactly where this call stopped.

    Returns
    -------
    J : ndarray, float32 for float32 input else float64
    state : LucyState, only with ``return_state=True``

    Examples
    --------
    >>> x = np.zeros((32, 32)); x[8, 8] = x[20, 15] = 1
    >>> psf = np.outer([1, 4, 6, 4, 1], [1, 4, 6, 4, 1]) / 256.0
    >>> y = np.real(np.fft.ifft2(np.fft.fft2(x) * psf2otf(psf, x.shape)))
    >>> J, st = deconvlucy(y, psf, 20, return_state=True)
    >>> J2 = deconvlucy(st, psf, 20)          # 40 iterations in all
    >>> bool(J2[8, 8] > J[8, 8] > y[8, 8])
    True
    """
    if isinstance(image, LucyState):
        g = _image(image.image)
        shape, dt = g.shape, g.dtype
        J2, J3 = (np.array(_real_array(a, name, dt)) for a, name in
                  ((image.estimate, "state.estimate"), (image.previous, "state.previous")))
        steps = tuple(np.array(_real_array(a, "state.steps", dt)) for a in image.steps)
        if any(a.shape != shape for a in (J2, J3) + steps) or len(steps) != 2:
            raise ValueError("state arrays must all have the image's shape")
    else:
        g = _image(image)
        shape, dt = g.shape, g.dtype
        J2, J3, steps = None, np.zeros(shape, dt), None
    h = _psf(psf, shape, dt)
    num_iter = _num_iter(num_iter)
    w, readout, d22 = _lucy_params(shape, dt, dampar, weight, readout)
    if J2 is None:
        J2 = _start(g, w)

    H = _rotf(h, shape)
    wI = np.maximum(w * (g + readout), 0)
    scale = _irfft(np.conj(H) * _rfft(w), shape) + _SQRT_EPS
    # A fresh run has no step history: the acceleration starts at the third iteration.
    resumed = steps is not None and bool(np.any(steps[0]))
    if steps is None:
        steps = (np.zeros(shape, dt), np.zeros(shape, dt))
    for it in range(num_iter):
        lam = _accel(steps) if (resumed or it >= 2) else 0.0
        Y = np.maximum(J2 + lam * (J2 - J3), 0)
        CC = _ratio_spectrum(Y, H, shape, wI, readout, d22)
        J3 = J2
        J2 = np.maximum(Y * _irfft(np.conj(H) * CC, shape) / scale, 0)
        steps = (J2 - Y, steps[0])
    if return_state:
        return J2, LucyState(g, J2, J3, steps)
    return J2


def deconvblind(image, initpsf, num_iter=10, dampar=0, weight=None, readout=0,
                psf_constraint=None):
    """Blind deconvolution by alternating Richardson-Lucy updates, as MATLAB's ``deconvblind``.

    Each iteration makes accelerated predictions of the image and of the PSF, updates the
    image as :func:`deconvlucy` does, then updates the PSF with the same ratio correlated with
    the previous image estimate. The PSF keeps `initpsf`'s shape (its support), is clipped to
    be non-negative and normalised to sum 1, then passed through `psf_constraint`.

    Parameters
    ----------
    image : array_like
        Blurred image, any dimensionality.
    initpsf : array_like
        Initial PSF guess; its shape fixes the PSF's support. A flat guess is common.
    num_iter : int, optional
        Number of iterations (default 10), positive.
    dampar, weight, readout : optional
        As in :func:`deconvlucy`.
    psf_constraint : callable, optional
        ``psf_constraint(psf) -> psf`` applied after every PSF update (e.g. symmetrising);
        must return an array of the same shape.

    Returns
    -------
    J : ndarray, float32 for float32 input else float64
    psf : ndarray of initpsf's shape, non-negative and summing to 1 (unless psf_constraint
        changes that)

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> x = (rng.random((48, 48)) > 0.97).astype(float)
    >>> t = np.exp(-0.5 * (np.arange(-3, 4) / 1.2) ** 2); psf = np.outer(t, t) / t.sum() ** 2
    >>> y = np.real(np.fft.ifft2(np.fft.fft2(x) * psf2otf(psf, x.shape)))
    >>> J, P = deconvblind(y, np.ones((7, 7)), 20)
    >>> bool(np.isclose(P.sum(), 1) and (P >= 0).all())
    True
    """
    g = _image(image)
    shape, dt = g.shape, g.dtype
    p0 = _psf(initpsf, shape, dt, "initpsf")
    if not np.any(p0 > 0):
        raise ValueError("initpsf must have a positive element")
    out_shape = np.shape(initpsf)
    num_iter = _num_iter(num_iter)
    if psf_constraint is not None and not callable(psf_constraint):
        raise TypeError("psf_constraint must be callable")
    w, readout, d22 = _lucy_params(shape, dt, dampar, weight, readout)

    wI = np.maximum(w * (g + readout), 0)
    fw = _rfft(w)
    J2, J3 = _start(g, w), np.zeros(shape, dt)
    Js = (np.zeros(shape, dt),) * 2
    P2, P3 = p0, np.zeros_like(p0)
    Ps = (np.zeros_like(p0),) * 2
    for it in range(num_iter):
        lam = _accel(Js) if it >= 2 else 0.0
        Y = np.maximum(J2 + lam * (J2 - J3), 0)
        lam = _accel(Ps) if it >= 2 else 0.0
        B = np.maximum(P2 + lam * (P2 - P3), 0)
        # Only image (*) PSF is observed, so their split of the flux is fixed by sum(PSF) = 1.
        B = B / (B.sum() or _EPS)
        CC = _ratio_spectrum(Y, _rotf(B, shape), shape, wI, readout, d22)
        # Image step (MATLAB applies it with the unpredicted PSF P2; the scale makes it
        # invariant to P2's normalisation).
        J3 = J2
        H = _rotf(P2, shape)
        scale = _irfft(np.conj(H) * fw, shape) + _SQRT_EPS
        J2 = np.maximum(Y * _irfft(np.conj(H) * CC, shape) / scale, 0)
        Js = (J2 - Y, Js[0])
        # PSF step: the roles of image and PSF swap; only the PSF's support is kept.
        P3 = P2
        HJ = np.conj(_rfft(J3))
        scale = _crop(_irfft(HJ * fw, shape), P2.shape) + _SQRT_EPS
        P2 = np.maximum(B * _crop(_irfft(HJ * CC, shape), P2.shape) / scale, 0)
        P2 = P2 / (P2.sum() or _EPS)
        if psf_constraint is not None:
            c = np.asarray(psf_constraint(P2.reshape(out_shape).copy()), dt)
            if c.size != P2.size:
                raise ValueError("psf_constraint must return an array of the PSF's shape")
            P2 = c.reshape(P2.shape)
        Ps = (P2 - B, Ps[0])
    return J2, P2.reshape(out_shape)
