"""Unitary Fourier transform helpers, the counterpart of ``skimage.restoration.uft``.

Pure NumPy + ``scipy.fft``.  Every transform passes
``workers=-1`` so multi-axis FFTs use all cores; pocketfft computes each 1-D transform
the same way whatever the worker count, so the numbers equal skimage's (which calls
``scipy.fft`` single-threaded) to the last bit, and ``numpy.fft`` to round-off.

"Unitary" means ``norm="ortho"``: Parseval holds, so ``image_quad_norm`` of a spectrum
equals the sum of squares of the image.  Transforms act on the *last* ``dim`` axes, as
skimage's do, so leading axes may hold a stack of images.
"""

import numpy as np
import scipy.fft as _fft

__all__ = [
    "ufftn", "uifftn", "urfftn", "uirfftn", "ufft2", "uifft2", "urfft2", "uirfft2",
    "image_quad_norm", "ir2tf", "laplacian", "supported_float_type",
]

# skimage.util's _supported_float_type table: float32/float64 (and the complex pair) are
# kept, float16 is widened to float32, long double to float64, everything else -> float64.
_FLOAT_TYPES = {
    np.dtype(np.float16).char: np.float32,
    np.dtype(np.float32).char: np.float32,
    np.dtype(np.float64).char: np.float64,
    "g": np.float64,
    np.dtype(np.complex64).char: np.complex64,
    np.dtype(np.complex128).char: np.complex128,
    "G": np.complex128,
}


def supported_float_type(dtype, allow_complex=False):
    """Floating dtype used for computing on ``dtype`` (skimage's rules).

    Parameters
    ----------
    dtype : dtype-like
        Input dtype.
    allow_complex : bool, optional
        If False (default), complex input raises ``ValueError`` as in skimage.

    Returns
    -------
    numpy.dtype

    Examples
    --------
    >>> supported_float_type(np.float16), supported_float_type(np.uint8)
    (dtype('float32'), dtype('float64'))
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "c" and not allow_complex:
        raise ValueError("complex valued input is not supported")
    return np.dtype(_FLOAT_TYPES.get(dtype.char, np.float64))


def _axes(ndim, dim):
    # skimage treats dim=None (and dim=0, via `if not dim`) as "all axes".
    dim = ndim if not dim else int(dim)
    return tuple(range(-dim, 0))


def ufftn(inarray, dim=None):
    """Unitary N-D FFT over the last ``dim`` axes (all by default).

    Examples
    --------
    >>> x = np.ones((3, 3)); bool(np.isclose(ufftn(x)[0, 0], x.sum() / 3))
    True
    """
    inarray = np.asarray(inarray)
    return _fft.fftn(inarray, axes=_axes(inarray.ndim, dim), norm="ortho", workers=-1)


def uifftn(inarray, dim=None):
    """Unitary N-D inverse FFT over the last ``dim`` axes.

    Examples
    --------
    >>> x = np.arange(6.0).reshape(2, 3); np.allclose(uifftn(ufftn(x)), x)
    True
    """
    inarray = np.asarray(inarray)
    return _fft.ifftn(inarray, axes=_axes(inarray.ndim, dim), norm="ortho", workers=-1)


def urfftn(inarray, dim=None):
    """Unitary N-D real FFT (half spectrum on the last axis).

    Examples
    --------
    >>> urfftn(np.ones((5, 5, 5))).shape
    (5, 5, 3)
    """
    inarray = np.asarray(inarray)
    return _fft.rfftn(inarray, axes=_axes(inarray.ndim, dim), norm="ortho", workers=-1)


def uirfftn(inarray, dim=None, shape=None):
    """Unitary N-D inverse real FFT; pass ``shape`` when the last axis is odd.

    Examples
    --------
    >>> x = np.ones((5, 5)); np.allclose(uirfftn(urfftn(x), shape=x.shape), x)
    True
    """
    inarray = np.asarray(inarray)
    axes = _axes(inarray.ndim, dim)
    if shape is not None:
        # skimage passes `shape` positionally as irfftn's `s`: the sizes of the
        # transformed axes, i.e. the last len(axes) entries of an image shape.
        shape = tuple(shape)[-len(axes):]
    return _fft.irfftn(inarray, shape, axes=axes, norm="ortho", workers=-1)


def ufft2(inarray):
    """Unitary 2-D FFT over the last two axes.

    Examples
    --------
    >>> ufft2(np.ones((10, 4, 4))).shape
    (10, 4, 4)
    """
    return ufftn(inarray, 2)


def uifft2(inarray):
    """Unitary 2-D inverse FFT over the last two axes.

    Examples
    --------
    >>> np.allclose(uifft2(ufft2(np.eye(4))), np.eye(4))
    True
    """
    return uifftn(inarray, 2)


def urfft2(inarray):
    """Unitary 2-D real FFT over the last two axes.

    Examples
    --------
    >>> urfft2(np.ones((10, 128, 128))).shape
    (10, 128, 65)
    """
    return urfftn(inarray, 2)


def uirfft2(inarray, shape=None):
    """Unitary 2-D inverse real FFT over the last two axes.

    Examples
    --------
    >>> x = np.ones((4, 5)); uirfft2(urfft2(x), shape=x.shape).shape
    (4, 5)
    """
    return uirfftn(inarray, 2, shape=shape)


def image_quad_norm(inarray):
    """Quadratic norm (energy) of images given by their unitary spectrum.

    Like skimage, a half (Hermitian) spectrum is recognised by its last two axes having
    different lengths: then every column but the first stands for two, so it is counted
    twice.  (A full spectrum of a non-square image is mistaken for a half one -- kept,
    because ``unsupervised_wiener`` must reproduce skimage's numbers.)

    Examples
    --------
    >>> x = np.ones((5, 5)); float(image_quad_norm(ufft2(x)))
    25.0
    """
    inarray = np.asarray(inarray)
    energy = np.abs(inarray) ** 2
    total = np.sum(np.sum(energy, axis=-1), axis=-1)
    if inarray.shape[-1] != inarray.shape[-2]:
        return 2 * total - np.sum(energy[..., 0], axis=-1)
    return total


def ir2tf(imp_resp, shape, dim=None, is_real=True):
    """Transfer function of an impulse response, for use with the unitary FFTs.

    The response is zero-padded to ``shape`` and circularly shifted so that its element
    ``k // 2`` (per axis of length ``k``) lands at index 0 -- the "centre" convention
    that makes a symmetric kernel's transfer function real.  Then the (non-normalised)
    FFT over the last ``dim`` axes: ``rfftn`` if ``is_real`` else ``fftn``.

    Parameters
    ----------
    imp_resp : array_like
        Impulse response(s); real.
    shape : tuple of int
        Shape of the spatial support (e.g. the image shape).
    dim : int, optional
        Number of trailing axes transformed (default: ``imp_resp.ndim``).
    is_real : bool, optional
        Return the half spectrum (last axis ``shape[-1] // 2 + 1``) if True.

    Returns
    -------
    ndarray
        complex64 for float16/float32 responses, complex128 otherwise.

    Examples
    --------
    >>> ir2tf(np.ones((2, 2)), (2, 2)).real
    array([[4., 0.],
           [0., 0.]])
    >>> ir2tf(np.ones((2, 2)), (512, 512)).shape
    (512, 257)
    """
    imp_resp = np.asarray(imp_resp)
    shape = tuple(int(s) for s in np.atleast_1d(shape))
    if not dim:
        dim = imp_resp.ndim
    if imp_resp.ndim > len(shape) or any(k > n for k, n in zip(imp_resp.shape, shape)):
        raise ValueError(
            f"impulse response of shape {imp_resp.shape} does not fit in shape {shape}")
    ftype = supported_float_type(imp_resp.dtype)
    # Scatter the response straight into its wrapped place instead of pad-then-roll
    # (np.roll copies the whole image-sized array once per axis); the values are
    # merely moved, so the result is identical.  Only the transformed axes are shifted.
    index = []
    first_shifted = imp_resp.ndim - dim
    for axis, k in enumerate(imp_resp.shape):
        pos = np.arange(k)
        if axis >= first_shifted:
            pos = (pos - k // 2) % shape[axis]
        index.append(pos)
    padded = np.zeros(shape, dtype=ftype)
    padded[np.ix_(*index)] = imp_resp
    transform = _fft.rfftn if is_real else _fft.fftn
    out = transform(padded, axes=tuple(range(-dim, 0)), workers=-1)
    return out.astype(np.promote_types(ftype, np.complex64), copy=False)


def laplacian(ndim, shape, is_real=True):
    """Transfer function and impulse response of the discrete Laplacian.

    The impulse response is the ``3**ndim`` stencil with ``2*ndim`` at the centre and
    ``-1`` at the ``2*ndim`` face neighbours (float64).

    Returns
    -------
    tf : ndarray, complex128
        ``ir2tf(impr, shape, is_real=is_real)``.
    impr : ndarray, float64
        The stencil.

    Examples
    --------
    >>> tf, ir = laplacian(2, (32, 32))
    >>> ir
    array([[ 0., -1.,  0.],
           [-1.,  4., -1.],
           [ 0., -1.,  0.]])
    >>> tf.shape
    (32, 17)
    """
    ndim = int(ndim)
    if ndim < 1:
        raise ValueError("ndim must be >= 1")
    impr = np.zeros((3,) * ndim)
    centre = (1,) * ndim
    for axis in range(ndim):
        for side in (0, 2):
            idx = list(centre)
            idx[axis] = side
            impr[tuple(idx)] = -1.0
    impr[centre] = 2.0 * ndim
    return ir2tf(impr, shape, is_real=is_real), impr
