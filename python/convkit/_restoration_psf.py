"""Point-spread functions, PSF <-> OTF conversion and edge tapering (MATLAB conventions).

Builders (``psf_gaussian``, ``psf_disk``, ``psf_motion``) follow MATLAB's ``fspecial``
kernels, ``psf2otf`` / ``otf2psf`` its centre convention (element ``k // 2`` of a length-k
PSF axis sits at index 0 of the OTF), and ``edgetaper`` its weighting by the PSF's
autocorrelation.  NumPy + ``scipy.fft`` only, so it imports without convkit's compiled
``_core``.
"""

import numbers
import operator

import numpy as np
import scipy.fft as _fft

from . import _uft

__all__ = ["psf_gaussian", "psf_disk", "psf_motion", "psf2otf", "otf2psf", "edgetaper"]


# ----------------------------------------------------------------------------- checks
def _positive(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be finite and > 0, got {value}")
    return value


def _shape(shape, ndim, name="shape"):
    """An int or a sequence of ints -> tuple of ``ndim`` positive ints."""
    if isinstance(shape, numbers.Integral):
        shape = (int(shape),) * ndim
    try:
        shape = tuple(_size(s) for s in shape)
    except TypeError:
        raise TypeError(f"{name} must be an int or a sequence of ints, got {shape!r}") from None
    if len(shape) != ndim:
        raise ValueError(f"{name} must have {ndim} entries, got {shape}")
    if any(s < 1 for s in shape):
        raise ValueError(f"{name} entries must be >= 1, got {shape}")
    return shape


def _size(value):
    # operator.index accepts Python and NumPy integers but not floats; bools are refused.
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("bool is not a size")
    return operator.index(value)


def _array(a, name, allow_complex=False):
    """Non-empty, finite numeric array (NaN/inf would poison every FFT bin)."""
    a = np.asarray(a)
    if a.dtype.kind not in "biufc" or (a.dtype.kind == "c" and not allow_complex):
        raise TypeError(f"{name} must be a real numeric array, got dtype {a.dtype}")
    if a.size == 0:
        raise ValueError(f"{name} must not be empty")
    if a.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension")
    if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
        raise ValueError(f"{name} contains NaN or infinity")
    return a


def _centred(k):
    # Offsets of pixel centres from the array centre (k - 1) / 2, as fspecial's grids.
    return np.arange(k) - (k - 1) / 2.0


def _normalised(h):
    total = h.sum()
    if not total > 0:
        raise ValueError("the PSF has no weight inside the requested shape")
    return h / total


# ----------------------------------------------------------------------------- builders
def psf_gaussian(sigma, shape=None, ndim=2):
    """Sampled Gaussian PSF, normalised to sum 1 (``fspecial('gaussian')``).

    Parameters
    ----------
    sigma : float or sequence of float
        Standard deviation(s) in pixels, one per axis or one for all; > 0.
    shape : int or tuple of int, optional
        Output shape; default ``2 * ceil(3 * sigma) + 1`` per axis (odd, centred).
    ndim : int, optional
        Number of axes when ``sigma`` and ``shape`` are scalars (default 2).

    Returns
    -------
    ndarray, float64

    Examples
    --------
    >>> h = psf_gaussian(1.0)
    >>> h.shape, round(float(h.sum()), 12), bool(h[3, 3] == h.max())
    ((7, 7), 1.0, True)
    """
    if np.ndim(sigma) == 0:
        if shape is not None and not isinstance(shape, numbers.Integral):
            ndim = len(shape)
        sigmas = (_positive(sigma, "sigma"),) * int(ndim)
    else:
        sigmas = tuple(_positive(s, "sigma") for s in sigma)
    if len(sigmas) < 1:
        raise ValueError("sigma must name at least one axis")
    if shape is None:
        shape = tuple(2 * int(np.ceil(3 * s)) + 1 for s in sigmas)
    shape = _shape(shape, len(sigmas))
    # Separable: the outer product of normalised 1-D profiles is the normalised N-D one.
    h = np.ones((), dtype=np.float64)
    for s, k in zip(sigmas, shape):
        g = np.exp(-0.5 * (_centred(k) / s) ** 2)
        h = np.multiply.outer(h, g / g.sum())
    return _normalised(h)


def _disk_quadrant_area(x, y, r):
    """Signed area of the disk of radius r (centre 0) within [0, x] x [0, y].

    For x, y >= 0 it is the rectangle when its far corner is inside the disk, else the
    part under the flat top y up to where the circle drops below it, plus the circle's
    own area S(x) - S(a) beyond; signs make inclusion-exclusion work for any corners.
    """
    sx, sy = np.sign(x), np.sign(y)
    x = np.minimum(np.abs(x), r)
    y = np.minimum(np.abs(y), r)

    def s_int(u):  # integral_0^u sqrt(r^2 - t^2) dt
        return 0.5 * (u * np.sqrt(np.maximum(r * r - u * u, 0.0))
                      + r * r * np.arcsin(np.clip(u / r, -1.0, 1.0)))

    a = np.sqrt(np.maximum(r * r - y * y, 0.0))  # where the circle's height equals y
    inside = x * x + y * y <= r * r
    part = np.where(inside, x * y, a * y + s_int(x) - s_int(np.minimum(a, x)))
    return sx * sy * part


def psf_disk(radius, shape=None):
    """Defocus (pill-box) PSF with anti-aliased edge, normalised (``fspecial('disk')``).

    Each pixel's weight is the exact area of the pixel covered by the disk of
    ``radius`` centred on the array centre (so the weights add up to ``pi r**2`` before
    normalisation when the disk fits the shape).

    Parameters
    ----------
    radius : float
        Disk radius in pixels, > 0.
    shape : int or (int, int), optional
        Output shape; default ``2 * ceil(radius) + 1`` on each side.

    Returns
    -------
    ndarray, float64, shape (M, N)

    Examples
    --------
    >>> h = psf_disk(3)
    >>> h.shape, bool(np.allclose(h, h.T)), round(float(h.sum()), 12)
    ((7, 7), True, 1.0)
    """
    r = _positive(radius, "radius")
    if shape is None:
        shape = 2 * int(np.ceil(r)) + 1
    ny, nx = _shape(shape, 2)
    # Pixel edges, then the exact covered area of every pixel by inclusion-exclusion of
    # the origin-anchored quadrant areas at its four corners.
    ye = np.append(_centred(ny) - 0.5, _centred(ny)[-1] + 0.5)[:, None]
    xe = np.append(_centred(nx) - 0.5, _centred(nx)[-1] + 0.5)[None, :]
    g = _disk_quadrant_area(xe, ye, r)
    area = g[1:, 1:] - g[:-1, 1:] - g[1:, :-1] + g[:-1, :-1]
    # Pixels wholly outside the disk get exact zeros, not round-off residue.
    dy = np.maximum(np.abs(_centred(ny)) - 0.5, 0.0)[:, None]
    dx = np.maximum(np.abs(_centred(nx)) - 0.5, 0.0)[None, :]
    area[(dx * dx + dy * dy >= r * r) | (area < 0)] = 0.0
    return _normalised(area)


def psf_motion(length, angle=0.0, shape=None):
    """Linear motion-blur PSF, normalised (``fspecial('motion', length, angle)``).

    A centred segment of ``length`` pixels at ``angle`` degrees counter-clockwise from
    the +x axis (columns to the right; rows grow downwards, so positive angles go up).
    Each pixel weighs ``max(0, 1 - d)``, ``d`` the distance from its centre to the
    segment of length ``length - 1`` between the end pixels' centres: a one-pixel-wide
    anti-aliased line whose weights add up to ``length`` before normalisation.

    Parameters
    ----------
    length : float
        Length in pixels, > 0 (values below 1 give a single pixel).
    angle : float, optional
        Direction in degrees (default 0: horizontal).
    shape : int or (int, int), optional
        Output shape; default the smallest odd, centred box holding the line.

    Returns
    -------
    ndarray, float64, shape (M, N)

    Examples
    --------
    >>> psf_motion(5, 0)
    array([[0.2, 0.2, 0.2, 0.2, 0.2]])
    >>> psf_motion(3, 90).shape
    (3, 1)
    """
    length = _positive(length, "length")
    if isinstance(angle, (bool, np.bool_)) or not isinstance(angle, numbers.Real) \
            or not np.isfinite(angle):
        raise TypeError(f"angle must be a finite real number of degrees, got {angle!r}")
    half = max(length - 1.0, 0.0) / 2.0
    theta = np.deg2rad(float(angle) % 180.0)  # a centred segment is symmetric
    ux, uy = np.cos(theta), np.sin(theta)
    # Snap cos/sin of multiples of 90 degrees (6e-17 instead of 0) so axis-aligned
    # lines do not leak round-off weight into the neighbouring rows / columns.
    ux, uy = (0.0 if abs(ux) < 1e-12 else ux), (0.0 if abs(uy) < 1e-12 else uy)

    def weights(ny, nx):
        x = _centred(nx)[None, :]
        y = -_centred(ny)[:, None]  # up is +y
        t = np.clip(x * ux + y * uy, -half, half)  # nearest point on the segment
        d = np.hypot(x - t * ux, y - t * uy)
        w = 1.0 - d
        w[w < 1e-12] = 0.0
        return w

    if shape is not None:
        return _normalised(weights(*_shape(shape, 2)))
    ey = int(np.ceil(half * abs(uy))) + 1
    ex = int(np.ceil(half * abs(ux))) + 1
    w = weights(2 * ey + 1, 2 * ex + 1)
    # Crop to the smallest box, symmetric about the centre, holding every weight.
    rows, cols = np.nonzero(w)
    ry = int(np.max(np.abs(rows - ey)))
    rx = int(np.max(np.abs(cols - ex)))
    return _normalised(w[ey - ry:ey + ry + 1, ex - rx:ex + rx + 1])


# ----------------------------------------------------------------------------- PSF/OTF
def _wrap_index(kshape, nshape, sign):
    # Index arrays moving element j of a length-k axis to (j + sign * (k // 2)) mod n:
    # sign=-1 is MATLAB's circshift(pad(psf), -floor(k/2)); gathering with sign=-1 from
    # the full array undoes it.  A scatter/gather avoids np.roll's full-size copies.
    return np.ix_(*[(np.arange(k) + sign * (k // 2)) % n for k, n in zip(kshape, nshape)])


def _as_ndim(psf, ndim, name):
    if psf.ndim > ndim:
        raise ValueError(f"{name} has more dimensions ({psf.ndim}) than the shape ({ndim})")
    # MATLAB semantics: missing dimensions are trailing singletons.
    return psf.reshape(psf.shape + (1,) * (ndim - psf.ndim))


def psf2otf(psf, shape=None):
    """Optical transfer function of a PSF (MATLAB ``psf2otf``).

    The PSF is zero-padded at the end of every axis to ``shape``, circularly shifted so
    that its element ``k // 2`` (per axis of length ``k``) is at index 0, and the full
    complex N-D FFT is taken.  Unlike MATLAB, the result is always complex.

    Parameters
    ----------
    psf : array_like
        Point spread function (finite, non-empty).
    shape : tuple of int, optional
        Output shape, >= ``psf.shape`` per axis (default ``psf.shape``).

    Returns
    -------
    ndarray
        complex64 for float16/float32 PSFs, complex128 otherwise.

    Examples
    --------
    >>> otf = psf2otf(np.ones((3, 3)) / 9, (8, 8))
    >>> otf.shape, round(float(abs(otf[0, 0])), 12), bool(np.abs(otf.imag).max() < 1e-15)
    ((8, 8), 1.0, True)
    """
    psf = _array(psf, "psf", allow_complex=True)
    if shape is None:
        shape = psf.shape
    else:
        ndim = psf.ndim if isinstance(shape, numbers.Integral) else len(shape)
        shape = _shape(shape, ndim)
    psf = _as_ndim(psf, len(shape), "psf")
    if any(k > n for k, n in zip(psf.shape, shape)):
        raise ValueError(f"psf of shape {psf.shape} is larger than the OTF shape {shape}")
    ftype = _uft.supported_float_type(psf.dtype, allow_complex=True)
    padded = np.zeros(shape, dtype=ftype)
    padded[_wrap_index(psf.shape, shape, -1)] = psf
    otf = _fft.fftn(padded, workers=-1)
    return otf.astype(np.promote_types(ftype, np.complex64), copy=False)


def otf2psf(otf, shape=None):
    """PSF from an optical transfer function (MATLAB ``otf2psf``), inverse of psf2otf.

    Inverse N-D FFT, then the element at index 0 is moved back to ``k // 2`` and the
    result cropped to ``shape``.  As MATLAB, the imaginary part is dropped when it is
    within the FFT's round-off (``max|imag| <= nops * eps * max|psf|``, ``nops`` the
    FFT's operation count), so a real PSF comes back real.

    Parameters
    ----------
    otf : array_like
        Transfer function (finite, non-empty).
    shape : tuple of int, optional
        PSF shape, <= ``otf.shape`` per axis (default ``otf.shape``).

    Returns
    -------
    ndarray
        Real (float32/float64) when the imaginary part is negligible, else complex.

    Examples
    --------
    >>> h = np.arange(6.0).reshape(2, 3)
    >>> np.allclose(otf2psf(psf2otf(h, (8, 9)), h.shape), h)
    True
    """
    otf = _array(otf, "otf", allow_complex=True)
    shape = otf.shape if shape is None else _shape(shape, otf.ndim)
    if any(k > n for k, n in zip(shape, otf.shape)):
        raise ValueError(f"psf shape {shape} is larger than the OTF shape {otf.shape}")
    full = _fft.ifftn(otf, workers=-1)
    rtype = _uft.supported_float_type(full.real.dtype)
    peak = np.abs(full).max()
    nops = otf.size * float(np.sum(np.log2(otf.shape)))
    if peak == 0 or np.abs(full.imag).max() <= nops * np.finfo(rtype).eps * peak:
        full = full.real
    return np.ascontiguousarray(full[_wrap_index(shape, otf.shape, -1)])


# ----------------------------------------------------------------------------- edgetaper
def edgetaper(image, psf):
    """Taper the image borders with a blurred copy, to curb FFT ringing (MATLAB).

    ``J = alpha * I + (1 - alpha) * B`` where ``B`` is ``I`` blurred circularly by the
    PSF and ``alpha`` is the outer product, over the PSF's non-singleton axes, of
    ``1 - z``, ``z`` the circular autocorrelation of the PSF's projection on that axis
    (zero-padded to ``n - 1``, normalised to peak 1, first sample repeated at the end).
    So ``J == B`` on the borders, where the periodic wrap joins opposite edges, and
    ``J == I`` farther than the PSF's extent from them.  A non-negative PSF is
    normalised first; ``J`` is clipped to ``[I.min(), I.max()]``.

    Parameters
    ----------
    image : array_like
        N-D image, real, finite.  float32 stays float32 (float16 -> float32); other
        dtypes, integers included, give float64 (values unscaled).
    psf : array_like
        PSF with at most ``image.ndim`` axes (missing ones are trailing singletons), no
        larger than half the image along any non-singleton axis.

    Returns
    -------
    ndarray, same shape as ``image``

    Examples
    --------
    >>> img = np.tile(np.linspace(0, 1, 32), (32, 1))   # jump of 1 across the wrap
    >>> j = edgetaper(img, psf_gaussian(1.5))
    >>> bool(abs(j[0, -1] - j[0, 0]) < 0.5), bool(np.array_equal(j[16, 8:24], img[16, 8:24]))
    (True, True)
    """
    image = _array(image, "image")
    psf = _as_ndim(_array(psf, "psf"), image.ndim, "psf")
    if any(k > 1 and 2 * k > n for k, n in zip(psf.shape, image.shape)):
        raise ValueError(
            f"psf of shape {psf.shape} exceeds half of the image shape {image.shape}")
    ftype = _uft.supported_float_type(image.dtype)
    image = image.astype(ftype, copy=False)
    psf = psf.astype(np.float64)
    if np.all(psf >= 0):
        total = psf.sum()
        if total == 0:
            raise ValueError("psf is all zeros")
        psf = psf / total

    alpha = np.ones((), dtype=np.float64)
    for axis, (k, n) in enumerate(zip(psf.shape, image.shape)):
        if k == 1:  # no blur along this axis: weight 1 (MATLAB skips singleton axes)
            w = np.ones(n)
        else:
            proj = psf.sum(axis=tuple(a for a in range(psf.ndim) if a != axis))
            # Circular autocorrelation on n - 1 points, done directly: with 2k <= n the
            # lags -(k-1)..(k-1) never overlap, and the tail is exactly 0 (so alpha is
            # exactly 1 in the interior, J == I there bit for bit).
            ac = np.correlate(proj, proj, mode="full")  # lags -(k-1) .. (k-1)
            z = np.zeros(n - 1)
            z[np.arange(-(k - 1), k) % (n - 1)] = ac
            peak = z.max()
            if peak > 0:
                z /= peak
            w = 1.0 - np.append(z, z[0])
        alpha = np.multiply.outer(alpha, w)
    alpha = alpha.astype(ftype, copy=False)

    # Circular blur through the OTF; rfftn halves the work for a real image.
    padded = np.zeros(image.shape, dtype=ftype)
    padded[_wrap_index(psf.shape, image.shape, -1)] = psf
    axes = tuple(range(image.ndim))
    blurred = _fft.irfftn(_fft.rfftn(image, axes=axes, workers=-1)
                          * _fft.rfftn(padded, axes=axes, workers=-1),
                          s=image.shape, axes=axes, workers=-1)
    out = alpha * image + (1 - alpha) * blurred.astype(ftype, copy=False)
    # A convex blend of I and a non-negative blur stays in range; clip anyway so PSFs
    # with negative lobes cannot overshoot (MATLAB keeps J within I's range too).
    np.clip(out, image.min(), image.max(), out=out)
    return out
