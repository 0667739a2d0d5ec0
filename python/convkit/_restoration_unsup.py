"""Unsupervised Wiener-Hunt deconvolution (Gibbs sampler), as ``skimage.restoration``.

A re-implementation of ``skimage.restoration.unsupervised_wiener`` (scikit-image 0.25.2):
same defaults, dtype rules, random draws (kind, shape and order, from
``np.random.default_rng(rng)``), stopping rule and clipping, so a seeded call returns
skimage's numbers to round-off.  The arithmetic is therefore kept in skimage's order and
precision on purpose -- including its quirks (the real part of a complex ``psf``/``reg``
is used; the half-spectrum test of ``image_quad_norm``).  NumPy + ``scipy.fft`` only, so it
loads without convkit's compiled ``_core``.
"""

import numbers

import numpy as np

from . import _uft

__all__ = ["unsupervised_wiener"]

_DEFAULTS = {
    "threshold": 1e-4,
    "max_num_iter": 200,
    "min_num_iter": 30,
    "burnin": 15,
    "callback": None,
}


def unsupervised_wiener(image, psf, reg=None, user_params=None, is_real=True, clip=True,
                        *, rng=None):
    """Unsupervised Wiener-Hunt deconvolution (hyperparameters estimated by MCMC).

    Drop-in for ``skimage.restoration.unsupervised_wiener``.  A Gibbs sampler draws
    images and the noise / prior precisions from their conditional posteriors; the
    result is the empirical posterior mean of the image samples.

    Parameters
    ----------
    image : (M, N) array_like
        Degraded image.  float16 is computed in float32, float32 and float64 are kept,
        any other real dtype is used (unscaled) as float64.
    psf : array_like
        Impulse response, or transfer function when its shape equals that of the
        regulariser's transfer function (then only its real part is used, as skimage).
    reg : array_like, optional
        Regularisation operator, impulse response or (complex) transfer function.
        Default: the Laplacian.
    user_params : dict, optional
        Overrides of ``threshold`` (1e-4), ``burnin`` (15), ``min_num_iter`` (30),
        ``max_num_iter`` (200) and ``callback`` (None; called with every image sample,
        in Fourier space).
    is_real : bool, optional
        Work with half (Hermitian) spectra; transfer functions given by the caller must
        then be half spectra too.
    clip : bool, optional
        Threshold the result in place to [-1, 1].
    rng : {numpy.random.Generator, int}, optional
        Generator or seed for ``numpy.random.default_rng``.

    Returns
    -------
    x_postmean : ndarray
        The deconvolved image (posterior mean).
    chains : dict
        ``{"noise": [...], "prior": [...]}``: the sampled precisions, each starting at 1.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> img = rng.random((32, 32))
    >>> out, chains = unsupervised_wiener(img, np.ones((3, 3)) / 9, rng=1)
    >>> out.shape, sorted(chains)
    ((32, 32), ['noise', 'prior'])
    """
    params = dict(_DEFAULTS)
    # skimage merges the dict as given (unknown keys are ignored, no warnings).
    params.update(user_params or {})
    burnin = params["burnin"]
    max_num_iter = params["max_num_iter"]
    if not isinstance(max_num_iter, numbers.Integral) or max_num_iter < 1:
        # skimage would fail later with an UnboundLocalError; say why instead.
        raise ValueError(f"max_num_iter must be a positive integer, got {max_num_iter!r}")

    image = np.asarray(image)
    psf = np.asarray(psf)
    if image.size == 0 or psf.size == 0:
        raise ValueError("image and psf must not be empty")
    if image.ndim < 2:
        raise ValueError("image must have at least 2 dimensions")

    if reg is None:
        reg, _ = _uft.laplacian(image.ndim, image.shape, is_real=is_real)
    reg = np.asarray(reg)
    if not np.iscomplexobj(reg):
        reg = _uft.ir2tf(reg, image.shape, is_real=is_real)
    ftype = _uft.supported_float_type(image.dtype)  # complex image -> ValueError
    image = image.astype(ftype, copy=False)
    # skimage keeps only the real parts (a transfer function of a centred symmetric
    # kernel is real anyway); this also fixes the working precision to `ftype`.
    psf = psf.real.astype(ftype, copy=False)
    reg = reg.real.astype(ftype, copy=False)

    if psf.shape != reg.shape:
        trans_fct = _uft.ir2tf(psf, image.shape, is_real=is_real)
    else:
        trans_fct = psf

    x_postmean = np.zeros(trans_fct.shape, dtype=ftype)
    prev_x_postmean = np.zeros(trans_fct.shape, dtype=ftype)
    delta = np.nan
    gn_chain, gx_chain = [1], [1]

    # Loop invariants, hoisted: |H|^2, |D|^2 and conj(H) (the same values skimage
    # recomputes each pass, so the results do not change).
    areg2 = np.abs(reg) ** 2
    atf2 = np.abs(trans_fct) ** 2
    conj_tf = np.conj(trans_fct)
    data_spectrum = _uft.urfft2(image) if is_real else _uft.ufft2(image)
    spec_shape = data_spectrum.shape
    n_pix = image.size

    rng = np.random.default_rng(rng)
    callback = params["callback"]

    for iteration in range(max_num_iter):
        # Image sample, Eq. 27-30 of Orieux et al.: Gaussian with diagonal precision
        # gn |H|^2 + gx |D|^2 in Fourier space around the Wiener solution.
        precision = gn_chain[-1] * atf2 + gx_chain[-1] * areg2
        # Draw in float64 and cast (not dtype=float32): the same stream and values as
        # skimage for every precision.  Real part first, then imaginary part.
        re = rng.standard_normal(spec_shape).astype(ftype, copy=False)
        im = rng.standard_normal(spec_shape).astype(ftype, copy=False)
        excursion = np.sqrt(0.5 / precision) * (re + 1j * im)
        wiener_filter = gn_chain[-1] * conj_tf / precision
        x_sample = wiener_filter * data_spectrum + excursion
        if callback:
            callback(x_sample)

        # Precisions, Eq. 31: noise from the residual energy, prior from the energy of
        # the regularised sample (one degree of freedom fewer: the null frequency).
        gn_chain.append(rng.gamma(
            n_pix / 2, 2 / _uft.image_quad_norm(data_spectrum - x_sample * trans_fct)))
        gx_chain.append(rng.gamma(
            (n_pix - 1) / 2, 2 / _uft.image_quad_norm(x_sample * reg)))

        # Running sum of the samples after the burn-in, and the relative change of
        # their mean between two passes (the stopping criterion).
        if iteration > burnin:
            x_postmean = prev_x_postmean + x_sample
        if iteration > burnin + 1:
            current = x_postmean / (iteration - burnin)
            previous = prev_x_postmean / (iteration - burnin - 1)
            delta = (np.sum(np.abs(current - previous))
                     / np.sum(np.abs(x_postmean)) / (iteration - burnin))
        prev_x_postmean = x_postmean

        if iteration > params["min_num_iter"] and delta < params["threshold"]:
            break

    x_postmean = x_postmean / (iteration - burnin)
    if is_real:
        x_postmean = _uft.uirfft2(x_postmean, shape=image.shape)
    else:
        x_postmean = _uft.uifft2(x_postmean)

    if clip:
        x_postmean[x_postmean > 1] = 1
        x_postmean[x_postmean < -1] = -1

    return x_postmean, {"noise": gn_chain, "prior": gx_chain}
