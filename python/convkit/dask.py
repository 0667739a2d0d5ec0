"""The ``convkit.ndimage`` filters over ``dask.array`` images (as ``dask_image.ndfilters`` does).

Same names and parameters as ``convkit.ndimage`` (and ``scipy.ndimage``); the input is a
``dask.array.Array`` (a NumPy array is wrapped as one chunk) and the result is a lazy dask array
equal, value for value, to the in-memory ``convkit.ndimage`` call on the whole array::

    import dask.array as da
    from convkit import dask as ckd
    image = da.from_zarr("huge.zarr")                      # any 2-D chunked image
    smooth = ckd.gaussian_filter(image, sigma=3, mode="nearest").compute()

How: ``map_overlap`` runs the in-memory filter on every chunk plus a halo as deep as the
filter's reach along each axis (the kernel radius with the origin shift, SciPy's
``truncate``/``radius`` rule for Gaussians, 1 for sobel/prewitt/laplace). Dask's own
``boundary`` is not used to invent samples outside the array (it knows no ``mirror`` and no
per-pass ``cval``): axes with a non-periodic mode get ``boundary='none'``, so a chunk at the
array's edge is filtered by convkit with the true border rule of `mode` at exactly that edge;
only ``wrap`` axes take ``boundary='periodic'``, whose halo is the real wrapped-around data.
Samples near a halo's outer end that the chunk function computes with its own border are
trimmed away (the halo is at least as deep as the reach), and each pass along an axis spreads
such errors only along that axis, so per-pass output casts and ``cval`` passes stay exact.

An axis whose reach is not smaller than the array (kernels larger than the image) is gathered
into one chunk. ``output`` may be a dtype (not an array: the result is a new dask array).
Arguments are checked eagerly (the in-memory function runs on a 3x3 probe), so bad input raises
the same exceptions as convkit.ndimage / scipy.ndimage at call time, not at compute time.

Equality is bit for bit also for floats because convkit.ndimage computes every sample the same
way whatever the array's size (its passes use the library's ``direct`` algorithm).
"""

import numpy as np
import dask.array as da

from . import ndimage as _ndi

__all__ = [
    "correlate1d", "convolve1d", "correlate", "convolve",
    "gaussian_filter1d", "gaussian_filter", "uniform_filter1d", "uniform_filter",
    "sobel", "prewitt", "laplace", "gaussian_laplace", "gaussian_gradient_magnitude",
]

_WRAP = ("wrap", "grid-wrap")


def _as_dask(input):
    if isinstance(input, da.Array):
        return input
    a = np.asarray(input)
    if a.dtype.hasobject:  # dask cannot auto-chunk object arrays: one chunk (the probe refuses it)
        return da.from_array(a, chunks=a.shape)
    return da.asarray(a)


def _output_dtype(output, input):
    """`output` as a dtype for the chunk function (None: the input's)."""
    if output is None:
        return input.dtype
    if isinstance(output, (np.ndarray, da.Array)):
        raise TypeError("convkit.dask: output must be a dtype (or None), not an array; "
                        "the result is a new dask array")
    try:
        return np.dtype(output)
    except TypeError as e:
        got = repr(output) if isinstance(output, str) else type(output).__name__
        raise TypeError(f"convkit.dask: output must be a dtype (or None), got {got} ({e})") \
            from None


def _per_axis(value, ndim):
    if not isinstance(value, str) and np.iterable(value):
        values = list(value)
        if len(values) != ndim:
            raise RuntimeError("sequence argument must have length equal to input rank")
        return values
    return [value] * ndim


def _reach(size, origin):
    """(before, after): how far a correlation of `size` taps at `origin` reads from the output
    sample, as ndimage places it (anchor size // 2 + origin)."""
    anchor = size // 2 + origin
    return max(anchor, 0), max(size - 1 - anchor, 0)


def _run(func, x, reach, modes, dtype, **kwargs):
    """map_overlap `func(block, **kwargs)` with a halo of max(reach[a]) samples along axis a.

    modes[a]: the ndimage mode(s) the filter applies along axis a (a name or a collection)."""
    depth, boundary = {}, {}
    for ax in range(x.ndim):
        d = int(max(reach[ax]))
        used = {modes[ax]} if isinstance(modes[ax], str) else set(modes[ax])
        wrap = {m in _WRAP for m in used}
        if d == 0 or x.numblocks[ax] == 1:
            depth[ax], boundary[ax] = 0, "none"
        elif d >= x.shape[ax] or len(wrap) > 1:
            # a kernel reaching past the array, or wrap and another mode along one axis (some
            # composite filters with per-axis modes): filter the whole axis in one chunk
            x = x.rechunk({ax: -1})
            depth[ax], boundary[ax] = 0, "none"
        else:
            depth[ax] = d
            boundary[ax] = "periodic" if wrap == {True} else "none"

    def block(b):
        return func(b, **kwargs)

    meta = np.empty((0,) * x.ndim, dtype)
    if all(d == 0 for d in depth.values()):
        return x.map_blocks(block, dtype=dtype, meta=meta)
    return x.map_overlap(block, depth=depth, boundary=boundary, trim=True, dtype=dtype, meta=meta,
                         allow_rechunk=True)


def _modes_of(mode, ndim):
    if isinstance(mode, str):
        return [mode] * ndim
    return _per_axis(mode, ndim)


def _validate(fn, x, **kwargs):
    """Run the in-memory function on a tiny array first: the same exceptions, raised eagerly
    (as SciPy raises them), and the exact output dtype."""
    probe = np.zeros((3,) * x.ndim, dtype=x.dtype)
    return fn(probe, **kwargs).dtype


# ------------------------------------------------------------------------------------------------
# 1-D passes
# ------------------------------------------------------------------------------------------------

def correlate1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    """``convkit.ndimage.correlate1d`` over a dask array."""
    x = _as_dask(input)
    w = np.asarray(weights)
    kw = dict(weights=w, axis=axis, output=_output_dtype(output, x), mode=mode, cval=cval,
              origin=origin)
    dtype = _validate(_ndi.correlate1d, x, **kw)
    ax = _ndi._normalize_axis(axis, x.ndim)
    reach = [(0, 0)] * x.ndim
    reach[ax] = _reach(w.shape[0], origin)
    return _run(_ndi.correlate1d, x, reach, [mode] * x.ndim, dtype, **kw)


def convolve1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    """``convkit.ndimage.convolve1d`` over a dask array."""
    w = np.asarray(weights)
    x = _as_dask(input)
    kw = dict(weights=w, axis=axis, output=_output_dtype(output, x), mode=mode, cval=cval,
              origin=origin)
    dtype = _validate(_ndi.convolve1d, x, **kw)
    origin2 = -origin - (0 if w.shape[0] & 1 else 1)
    ax = _ndi._normalize_axis(axis, x.ndim)
    reach = [(0, 0)] * x.ndim
    reach[ax] = _reach(w.shape[0], origin2)
    return _run(_ndi.convolve1d, x, reach, [mode] * x.ndim, dtype, **kw)


def gaussian_filter1d(input, sigma, axis=-1, order=0, output=None, mode="reflect", cval=0.0,
                      truncate=4.0, *, radius=None):
    """``convkit.ndimage.gaussian_filter1d`` over a dask array."""
    x = _as_dask(input)
    kw = dict(sigma=sigma, axis=axis, order=order, output=_output_dtype(output, x), mode=mode,
              cval=cval, truncate=truncate, radius=radius)
    dtype = _validate(_ndi.gaussian_filter1d, x, **kw)
    ax = _ndi._normalize_axis(axis, x.ndim)
    r = radius if radius is not None else int(truncate * float(sigma) + 0.5)
    reach = [(0, 0)] * x.ndim
    reach[ax] = (r, r)
    return _run(_ndi.gaussian_filter1d, x, reach, [mode] * x.ndim, dtype, **kw)


def uniform_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    """``convkit.ndimage.uniform_filter1d`` over a dask array."""
    x = _as_dask(input)
    kw = dict(size=size, axis=axis, output=_output_dtype(output, x), mode=mode, cval=cval,
              origin=origin)
    dtype = _validate(_ndi.uniform_filter1d, x, **kw)
    ax = _ndi._normalize_axis(axis, x.ndim)
    reach = [(0, 0)] * x.ndim
    reach[ax] = _reach(int(size), origin)
    return _run(_ndi.uniform_filter1d, x, reach, [mode] * x.ndim, dtype, **kw)


# ------------------------------------------------------------------------------------------------
# N-D filters
# ------------------------------------------------------------------------------------------------

def _nd_reach(x, weights, origin, axes, convolution):
    axes = _ndi._check_axes(axes, x.ndim)
    w = np.asarray(weights)
    if len(axes) < x.ndim and w.ndim == len(axes):
        w = np.expand_dims(w, tuple(ax for ax in range(x.ndim) if ax not in axes))
    origins = _ndi._expand_origin(x.ndim, axes, origin)
    reach = []
    for ax in range(x.ndim):
        n, o = w.shape[ax], origins[ax]
        if convolution:
            o = -o - (0 if n & 1 else 1)
        reach.append(_reach(n, o))
    return reach


def correlate(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    """``convkit.ndimage.correlate`` over a dask array."""
    x = _as_dask(input)
    w = np.asarray(weights)
    kw = dict(weights=w, output=_output_dtype(output, x), mode=mode, cval=cval, origin=origin,
              axes=axes)
    dtype = _validate(_ndi.correlate, x, **kw)
    return _run(_ndi.correlate, x, _nd_reach(x, w, origin, axes, False), _modes_of(mode, x.ndim),
                dtype, **kw)


def convolve(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    """``convkit.ndimage.convolve`` over a dask array."""
    x = _as_dask(input)
    w = np.asarray(weights)
    kw = dict(weights=w, output=_output_dtype(output, x), mode=mode, cval=cval, origin=origin,
              axes=axes)
    dtype = _validate(_ndi.convolve, x, **kw)
    return _run(_ndi.convolve, x, _nd_reach(x, w, origin, axes, True), _modes_of(mode, x.ndim),
                dtype, **kw)


def _gaussian_reach(x, sigma, truncate, radius, axes):
    axes = _ndi._check_axes(axes, x.ndim)
    sigmas = _per_axis(sigma, len(axes))
    radii = _per_axis(radius, len(axes))
    reach = [(0, 0)] * x.ndim
    for ax, s, r in zip(axes, sigmas, radii):
        if s > 1e-15:
            r = r if r is not None else int(truncate * float(s) + 0.5)
            reach[ax] = (r, r)
    return reach


def _axes_modes(mode, ndim, axes):
    axes = _ndi._check_axes(axes, ndim)
    modes = ["reflect"] * ndim
    for ax, m in zip(axes, _per_axis(mode, len(axes))):
        modes[ax] = m
    return modes


def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0,
                    *, radius=None, axes=None):
    """``convkit.ndimage.gaussian_filter`` over a dask array."""
    x = _as_dask(input)
    kw = dict(sigma=sigma, order=order, output=_output_dtype(output, x), mode=mode, cval=cval,
              truncate=truncate, radius=radius, axes=axes)
    dtype = _validate(_ndi.gaussian_filter, x, **kw)
    return _run(_ndi.gaussian_filter, x, _gaussian_reach(x, sigma, truncate, radius, axes),
                _axes_modes(mode, x.ndim, axes), dtype, **kw)


def uniform_filter(input, size=3, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    """``convkit.ndimage.uniform_filter`` over a dask array."""
    x = _as_dask(input)
    kw = dict(size=size, output=_output_dtype(output, x), mode=mode, cval=cval, origin=origin,
              axes=axes)
    dtype = _validate(_ndi.uniform_filter, x, **kw)
    ax_list = _ndi._check_axes(axes, x.ndim)
    sizes = _per_axis(size, len(ax_list))
    origins = _per_axis(origin, len(ax_list))
    reach = [(0, 0)] * x.ndim
    for ax, s, o in zip(ax_list, sizes, origins):
        if s > 1:
            reach[ax] = _reach(int(s), o)
    return _run(_ndi.uniform_filter, x, reach, _axes_modes(mode, x.ndim, axes), dtype, **kw)


def sobel(input, axis=-1, output=None, mode="reflect", cval=0.0):
    """``convkit.ndimage.sobel`` over a dask array."""
    x = _as_dask(input)
    kw = dict(axis=axis, output=_output_dtype(output, x), mode=mode, cval=cval)
    dtype = _validate(_ndi.sobel, x, **kw)
    return _run(_ndi.sobel, x, [(1, 1)] * x.ndim, _modes_of(mode, x.ndim), dtype, **kw)


def prewitt(input, axis=-1, output=None, mode="reflect", cval=0.0):
    """``convkit.ndimage.prewitt`` over a dask array."""
    x = _as_dask(input)
    kw = dict(axis=axis, output=_output_dtype(output, x), mode=mode, cval=cval)
    dtype = _validate(_ndi.prewitt, x, **kw)
    return _run(_ndi.prewitt, x, [(1, 1)] * x.ndim, _modes_of(mode, x.ndim), dtype, **kw)


def laplace(input, output=None, mode="reflect", cval=0.0, *, axes=None):
    """``convkit.ndimage.laplace`` over a dask array."""
    x = _as_dask(input)
    kw = dict(output=_output_dtype(output, x), mode=mode, cval=cval, axes=axes)
    dtype = _validate(_ndi.laplace, x, **kw)
    reach = [(0, 0)] * x.ndim
    for ax in _ndi._check_axes(axes, x.ndim):
        reach[ax] = (1, 1)
    return _run(_ndi.laplace, x, reach, _axes_modes(mode, x.ndim, axes), dtype, **kw)


def _gaussian_composite(fn, input, sigma, output, mode, cval, axes, kwargs):
    x = _as_dask(input)
    kw = dict(sigma=sigma, output=_output_dtype(output, x), mode=mode, cval=cval, axes=axes,
              **kwargs)
    dtype = _validate(fn, x, **kw)
    ax_list = _ndi._check_axes(axes, x.ndim)
    truncate = kwargs.get("truncate", 4.0)
    radius = kwargs.get("radius", None)
    sigmas = _per_axis(sigma, len(ax_list))
    radii = _per_axis(radius, len(ax_list))
    reach = [(0, 0)] * x.ndim
    if fn is _ndi.gaussian_laplace:
        pairs = zip(ax_list, sigmas, radii)
    else:  # gaussian_gradient_magnitude smooths every axis with the per-axis sigma
        full_s = _per_axis(sigma, x.ndim)
        full_r = _per_axis(radius, x.ndim)
        pairs = zip(range(x.ndim), full_s, full_r)
    for ax, s, r in pairs:
        if s > 1e-15:
            r = r if r is not None else int(truncate * float(s) + 0.5)
            reach[ax] = (r, r)
    # each derivative runs its whole Gaussian with the mode of its own axis
    used = set(_per_axis(mode, len(ax_list))) if ax_list else {"reflect"}
    return _run(fn, x, reach, [used] * x.ndim, dtype, **kw)


def gaussian_laplace(input, sigma, output=None, mode="reflect", cval=0.0, *, axes=None, **kwargs):
    """``convkit.ndimage.gaussian_laplace`` over a dask array."""
    return _gaussian_composite(_ndi.gaussian_laplace, input, sigma, output, mode, cval, axes,
                               kwargs)


def gaussian_gradient_magnitude(input, sigma, output=None, mode="reflect", cval=0.0, *,
                                axes=None, **kwargs):
    """``convkit.ndimage.gaussian_gradient_magnitude`` over a dask array."""
    return _gaussian_composite(_ndi.gaussian_gradient_magnitude, input, sigma, output, mode, cval,
                               axes, kwargs)
