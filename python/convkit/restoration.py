"""Deconvolution: a drop-in for ``skimage.restoration``'s wiener, unsupervised_wiener and
richardson_lucy (same signatures, defaults, dtype rules and values), plus what it lacks.

>>> import numpy as np, convkit.restoration as R
>>> psf = R.psf_gaussian(1.5)
>>> rng = np.random.default_rng(0)
>>> sharp = rng.random((64, 64)).astype(np.float32)
>>> import convkit.signal
>>> blurred = convkit.signal.convolve(sharp, psf.astype(np.float32), mode="same")
>>> R.richardson_lucy(blurred, psf, num_iter=30).dtype     # float32 stays float32
dtype('float32')

Beyond scikit-image (keyword-only, defaults keep skimage's numbers):

- ``boundary=``: 'zero' (Richardson-Lucy's default: linear convolution), 'periodic' (Wiener's
  default: circular), 'reflect' (the image mirrored by a margin that is cut off again: no ringing
  from the edges);
- ``convention='adjoint'``: Richardson-Lucy's back-projection is the exact adjoint of its blur
  (skimage's is one sample off for even PSF sizes);
- ``method='accelerated'`` (Biggs-Andrews) and ``method='tv'`` (total-variation regularised,
  ``tv_weight``) for Richardson-Lucy;
- ``channel_axis=``: one call restores every channel (an RGB image) with the same PSF;
- MATLAB's ``deconvwnr``, ``deconvreg``, ``deconvlucy``, ``deconvblind``, ``edgetaper``,
  ``psf2otf``, ``otf2psf``; PSF builders ``psf_gaussian``, ``psf_disk``, ``psf_motion``.

The iterative methods and Wiener run in C++ (float32 kept float32, FFTW plans and the PSF
spectrum made once per call, small PSFs through convkit's direct/separable convolution plans
when the planner finds them cheaper, threads, the GIL released).
"""

import numbers

import numpy as np

from . import _core
from . import _uft as uft
from ._restoration_matlab import deconvblind, deconvlucy, deconvreg, deconvwnr
from ._restoration_psf import edgetaper, otf2psf, psf2otf, psf_disk, psf_gaussian, psf_motion
from ._restoration_unsup import unsupervised_wiener

__all__ = ["wiener", "unsupervised_wiener", "richardson_lucy", "explain", "uft",
           "psf_gaussian", "psf_disk", "psf_motion", "psf2otf", "otf2psf", "edgetaper",
           "deconvwnr", "deconvreg", "deconvlucy", "deconvblind"]

_BOUNDARIES = ("zero", "periodic", "reflect")
_METHODS = ("plain", "accelerated", "tv")


def _image(image):
    """The image as an ndarray of skimage's working float type (complex refused)."""
    image = np.asarray(image)
    if image.dtype.kind == "c":
        raise ValueError("image: complex-valued images are not supported")
    if image.dtype.kind not in "biuf":
        raise TypeError(f"image: expected a real numeric array, got dtype {image.dtype}")
    if image.size == 0:
        raise ValueError(f"image: is empty (shape {image.shape})")
    return image.astype(uft.supported_float_type(image.dtype), copy=False)


def _choice(value, allowed, name):
    if value not in allowed:
        raise ValueError(f"{name}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def _per_channel(image, channel_axis, restore):
    """restore(plane) over the channels of `image` along channel_axis (None: the whole image)."""
    if channel_axis is None:
        return restore(image)
    if not isinstance(channel_axis, numbers.Integral) or isinstance(channel_axis, bool):
        raise TypeError(f"channel_axis: expected an int or None, got {channel_axis!r}")
    if not -image.ndim <= channel_axis < image.ndim:
        raise ValueError(f"channel_axis: {channel_axis} is out of range for an image of "
                         f"{image.ndim} dimensions")
    moved = np.moveaxis(image, channel_axis, 0)
    first = restore(moved[0])
    out = np.empty((moved.shape[0],) + first.shape, first.dtype)
    out[0] = first
    for c in range(1, moved.shape[0]):
        out[c] = restore(moved[c])
    return np.moveaxis(out, 0, channel_axis)


def _real_psf(psf, float_type, ndim):
    psf = np.asarray(psf)
    if psf.dtype.kind not in "biufc":
        raise TypeError(f"psf: expected a numeric array, got dtype {psf.dtype}")
    if psf.ndim != ndim:
        raise ValueError(f"psf: has {psf.ndim} dimensions but the image has {ndim}")
    return psf.real.astype(float_type, copy=False)


def wiener(image, psf, balance, reg=None, is_real=True, clip=True, *, boundary="periodic",
           channel_axis=None):
    """Wiener-Hunt deconvolution, as ``skimage.restoration.wiener``.

    ``psf`` is the impulse response (centred at ``k // 2``), or a transfer function when it has
    the shape of ``reg``'s transfer function (``uft.ir2tf``); ``reg`` defaults to the Laplacian.
    ``boundary='reflect'`` (or 'zero') restores a mirrored (zero-padded) extension and cuts it
    off, removing the ringing that the periodic model puts along the edges.

    >>> import numpy as np, convkit.restoration as R
    >>> img = np.zeros((32, 32)); img[12:20, 12:20] = 1
    >>> R.wiener(img, np.ones((3, 3)) / 9, 0.01).shape
    (32, 32)
    """
    _choice(boundary, _BOUNDARIES, "boundary")
    image = _image(image)
    if channel_axis is not None:
        return _per_channel(image, channel_axis, lambda plane: wiener(
            plane, psf, balance, reg, is_real, clip, boundary=boundary))
    float_type = image.dtype
    psf_array = np.asarray(psf)
    if psf_array.dtype.kind not in "biufc":
        raise TypeError(f"psf: expected a numeric array, got {type(psf).__name__} "
                        f"of dtype {psf_array.dtype}")
    if psf_array.ndim != image.ndim:
        raise ValueError(f"psf: has {psf_array.ndim} dimensions but the image has {image.ndim}")
    tf_shape = image.shape[:-1] + (image.shape[-1] // 2 + 1,) if is_real else image.shape
    if psf_array.shape not in (tf_shape, image.shape) and any(
            k > n for k, n in zip(psf_array.shape, image.shape)):
        raise ValueError(f"psf: shape {psf_array.shape} is larger than the image shape "
                         f"{image.shape}")
    reg_array = None if reg is None else np.asarray(reg)
    fast = (is_real and psf_array.dtype.kind in "biuf" and psf_array.ndim == image.ndim
            and 1 <= image.ndim <= 3 and psf_array.shape != tf_shape
            and all(k <= n for k, n in zip(psf_array.shape, image.shape))
            and isinstance(balance, numbers.Real)
            and (reg_array is None or (reg_array.dtype.kind in "biuf"
                                       and reg_array.ndim == image.ndim
                                       and all(k <= n for k, n in zip(reg_array.shape,
                                                                      image.shape)))))
    if fast:
        if reg_array is not None:
            reg_array = reg_array.astype(float_type, copy=False)
        return _core.wiener(image, psf_array.astype(float_type, copy=False), float(balance),
                            reg_array, bool(clip), boundary)
    if boundary != "periodic":
        raise ValueError("boundary: only 'periodic' is available when psf or reg is given as "
                         "a transfer function or is_real=False")
    return _wiener_spectral(image, psf_array, balance, reg, is_real, clip)


def _wiener_spectral(image, psf, balance, reg, is_real, clip):
    # skimage's own steps for transfer-function arguments and complex output: the filter
    # conj(H) / (|H|^2 + balance |Re D|^2) on unitary transforms (periodic boundaries).
    if reg is None:
        reg, _ = uft.laplacian(image.ndim, image.shape, is_real=is_real)
    if not np.iscomplexobj(reg):
        reg = uft.ir2tf(reg, image.shape, is_real=is_real)
    float_type = image.dtype
    psf = psf.real.astype(float_type, copy=False)
    reg = reg.real.astype(float_type, copy=False)
    trans_func = psf if psf.shape == reg.shape else uft.ir2tf(psf, image.shape, is_real=is_real)
    wiener_filter = np.conj(trans_func) / (np.abs(trans_func) ** 2 + balance * np.abs(reg) ** 2)
    if is_real:
        deconv = uft.uirfftn(wiener_filter * uft.urfftn(image), shape=image.shape)
    else:
        deconv = uft.uifftn(wiener_filter * uft.ufftn(image))
    if clip:
        deconv[deconv > 1] = 1
        deconv[deconv < -1] = -1
    return deconv


def richardson_lucy(image, psf, num_iter=50, clip=True, filter_epsilon=None, *,
                    method="plain", tv_weight=0.002, boundary="zero", convention="skimage",
                    channel_axis=None, engine="auto", progress=None):
    """Richardson-Lucy deconvolution, as ``skimage.restoration.richardson_lucy``.

    Starts from 0.5 everywhere; each iteration blurs the estimate (SciPy's 'same' convolution),
    divides the image by it and multiplies by the back-projected ratio. ``method='accelerated'``
    reaches the same error in fewer iterations; ``method='tv'`` suppresses noise
    (``tv_weight`` ~ 0.001-0.01); ``progress(done, total)`` is called after each iteration.
    ``engine`` forces 'direct' or 'fft' (default: the planner's choice).

    >>> import numpy as np, convkit.restoration as R
    >>> img = np.full((16, 16), 0.5, np.float32)
    >>> R.richardson_lucy(img, np.ones((3, 3), np.float32) / 9, num_iter=5).dtype
    dtype('float32')
    """
    _choice(method, _METHODS, "method")
    _choice(boundary, _BOUNDARIES, "boundary")
    _choice(convention, ("skimage", "adjoint"), "convention")
    _choice(engine, ("auto", "direct", "fft"), "engine")
    if isinstance(num_iter, bool) or not isinstance(num_iter, numbers.Integral):
        raise TypeError(f"num_iter: expected an int, got {num_iter!r}")
    if num_iter < 0:
        raise ValueError(f"num_iter: must be >= 0, got {num_iter}")
    image = _image(image)
    if channel_axis is not None:
        return _per_channel(image, channel_axis, lambda plane: richardson_lucy(
            plane, psf, num_iter, clip, filter_epsilon, method=method, tv_weight=tv_weight,
            boundary=boundary, convention=convention, engine=engine, progress=progress))
    psf = np.asarray(psf)
    if psf.dtype.kind == "c":
        raise ValueError("psf: complex-valued PSFs are not supported")
    psf = _real_psf(psf, image.dtype, image.ndim)
    eps = float(filter_epsilon) if filter_epsilon else 0.0
    if image.ndim > 3:
        if (method, boundary, convention) != ("plain", "zero", "skimage"):
            raise ValueError("method, boundary and convention options need 1 to 3 dimensions")
        return _richardson_lucy_nd(image, psf, num_iter, clip, eps)
    return _core.richardson_lucy(image, psf, int(num_iter), bool(clip), eps, method,
                                 float(tv_weight), boundary, convention, engine, progress)


def _richardson_lucy_nd(image, psf, num_iter, clip, eps):
    # Rank 4 and up: skimage's loop on convkit.signal's N-D FFT convolution.
    from .signal import fftconvolve
    estimate = np.full(image.shape, 0.5, dtype=image.dtype)
    mirror = np.flip(psf)
    for _ in range(num_iter):
        conv = fftconvolve(estimate, psf, mode="same") + 1e-12
        ratio = np.where(conv < eps, 0, image / conv) if eps else image / conv
        estimate *= fftconvolve(ratio, mirror, mode="same")
    if clip:
        estimate[estimate > 1] = 1
        estimate[estimate < -1] = -1
    return estimate


def explain(image, psf, *, method="plain", boundary="zero", convention="skimage", engine="auto"):
    """Which engine richardson_lucy uses for these arguments ('direct (separable)', 'fft 520x540')."""
    image = _image(image)
    return _core.richardson_lucy_explain(image, _real_psf(psf, image.dtype, image.ndim), method,
                                         boundary, convention, engine)
