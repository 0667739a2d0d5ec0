"""Drop-in replacements for the linear filters of ``scipy.ndimage``.

Replace ``from scipy import ndimage`` by ``from convkit import ndimage``: same names, parameters,
defaults, output shapes and dtypes, and the same exception types as SciPy 1.17::

    from convkit import ndimage
    smooth = ndimage.gaussian_filter(image, sigma=2, mode="nearest")
    edges = ndimage.sobel(image, axis=0, output=np.float32)
    mean = ndimage.uniform_filter(volume, size=(1, 5, 5))        # N-D: axis by axis

How it computes (and why the numbers are SciPy's):

- Every 1-D pass (``correlate1d`` and all the separable filters built on it) runs in the
  convkit library (``convkit._core.filter2d``, GIL released) on a 2-D or CHW *view* of the array:
  the axes before the filtered one become the rows or channels, the axes after it the columns,
  so an N-D array needs no copy and the library sees the true border rule at both ends.
- Like SciPy, each pass is computed in float64 and stored in the output dtype before the next
  pass reads it: integer outputs truncate toward zero and wrap as SciPy's compiled C casts do
  on x86-64 (emulated bit for bit, also outside the int32 range where NumPy's astype differs),
  float32 outputs round once per pass.
- The Gaussian taps are built with NumPy by SciPy's own formula, so they are bit-identical.
- ``correlate``/``convolve`` with an N-D kernel run as one 2-D filter (``_core.filter2d``) when
  at most two axes of the kernel are longer than 1 (every 1-D and 2-D case, and N-D arrays
  filtered in at most two axes); otherwise they raise ``NotImplementedError``.
- Input dtypes the library has no kernel for (int8, int32, int64, uint32, uint64, float16, bool)
  are read as float64, which is exactly what SciPy's line buffers do. Complex input or weights
  are split into real passes as SciPy does (``correlate`` conjugates complex weights).

Floating-point results can differ from SciPy's in the last bits (a different summation order;
``uniform_filter`` sums the window exactly where SciPy keeps a running sum). For integer outputs
of the 1-D passes that would matter where a pass's value lies within round-off of an integer
(truncation is decided by the last bit there): those few values are recomputed in SciPy's own
order (centre tap, then symmetric or antisymmetric pairs from the outside in), so Gaussian,
Gaussian-derivative and ``correlate1d`` integer outputs equal SciPy's exactly. The N-D
``correlate``/``convolve`` keep the last-bit caveat.
"""

import functools
import numbers
import operator
import warnings
from collections.abc import Iterable

import numpy as np

from . import _core

__all__ = [
    "correlate1d", "convolve1d", "correlate", "convolve",
    "gaussian_filter1d", "gaussian_filter", "uniform_filter1d", "uniform_filter",
    "sobel", "prewitt", "laplace", "gaussian_laplace", "gaussian_gradient_magnitude",
    "generic_laplace", "generic_gradient_magnitude",
]

try:  # NumPy >= 1.25
    from numpy.exceptions import AxisError as _AxisError
except ImportError:  # pragma: no cover - NumPy < 1.25
    _AxisError = np.AxisError

# ndimage mode -> convkit border (for filters the grid-* modes are their plain twins, as in SciPy)
_BORDER = {
    "reflect": "reflect", "grid-mirror": "reflect", "mirror": "mirror", "nearest": "replicate",
    "wrap": "wrap", "grid-wrap": "wrap", "constant": "constant", "grid-constant": "constant",
}
# dtypes the library reads natively; anything else is read as float64 (as SciPy does). Every
# pass runs the library's `ordered` algorithm (SciPy's summation order, f64): each output
# sample is computed the same way wherever it lies and whatever the array's size, so a chunk
# of an array (convkit.dask) gives bit for bit the numbers of the whole array, and both are
# SciPy's.
_NATIVE = {np.dtype(t) for t in ("uint8", "uint16", "int16", "int32", "float32", "float64")}


# ------------------------------------------------------------------------------------------------
# SciPy's argument handling (scipy/ndimage/_ni_support.py), same messages and exception types
# ------------------------------------------------------------------------------------------------

def _border(mode):
    """ndimage mode name -> convkit border name; RuntimeError like SciPy for anything else."""
    if isinstance(mode, str) and mode in _BORDER:
        return _BORDER[mode]
    raise RuntimeError("boundary mode not supported")


def _normalize_sequence(value, rank):
    if not isinstance(value, str) and np.iterable(value):
        normalized = list(value)
        if len(normalized) != rank:
            raise RuntimeError("sequence argument must have length equal to input rank")
        return normalized
    return [value] * rank


def _get_output(output, input, shape=None, complex_output=False):
    if input.dtype.kind in "USV":  # SciPy: np.zeros(shape, dtype=input.dtype.name) refuses it
        raise TypeError(f"input: data type {input.dtype.name!r} not understood (strings and "
                        "records are not numbers)")
    if shape is None:
        shape = input.shape
    # np.empty, not SciPy's np.zeros: every filter writes the whole output
    if output is None:
        if not complex_output:
            return np.empty(shape, dtype=input.dtype)
        return np.empty(shape, dtype=np.promote_types(input.dtype, np.complex64))
    if isinstance(output, (type, np.dtype)):
        if complex_output and np.dtype(output).kind != "c":
            warnings.warn("promoting specified output dtype to complex", stacklevel=3)
            output = np.promote_types(output, np.complex64)
        return np.empty(shape, dtype=output)
    if isinstance(output, str):
        output = np.dtype(output)
        if complex_output and output.kind != "c":
            raise RuntimeError("output must have complex dtype")
        if not issubclass(output.type, np.number):
            raise RuntimeError("output must have numeric dtype")
        return np.empty(shape, dtype=output)
    output = np.asarray(output)
    if output.shape != shape:
        raise RuntimeError("output shape not correct")
    if complex_output and output.dtype.kind != "c":
        raise RuntimeError("output must have complex dtype")
    return output


def _check_axes(axes, ndim):
    if axes is None:
        return tuple(range(ndim))
    if np.isscalar(axes):
        axes = (operator.index(axes),)
        if not -ndim <= axes[0] < ndim:  # AxisError: a ValueError and an IndexError, as SciPy's
            raise _AxisError(axes[0], ndim)
        axes = (axes[0] % ndim,)
    elif isinstance(axes, Iterable):
        axes = tuple(operator.index(ax) for ax in axes)
        for ax in axes:
            if ax < -ndim or ax > ndim - 1:
                raise ValueError(f"specified axis: {ax} is out of range")
        axes = tuple(ax % ndim if ax < 0 else ax for ax in axes)
    else:
        raise ValueError("axes must be an integer, iterable of integers, or None")
    if len(set(axes)) != len(axes):
        raise ValueError("axes must be unique")
    return axes


def _normalize_axis(axis, ndim):
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise _AxisError(axis, ndim)
    return axis % ndim


def _invalid_origin(origin, lenw):
    return (origin < -(lenw // 2)) or (origin > (lenw - 1) // 2)


def _complex_via_real_components(func, input, weights, output, cval, **kwargs):
    """Complex filtering as real filterings (SciPy's recipe, same order of operations)."""
    complex_input = input.dtype.kind == "c"
    complex_weights = weights.dtype.kind == "c"
    if complex_input and complex_weights:
        func(input.real, weights.real, output=output.real, cval=np.real(cval), **kwargs)
        output.real -= func(input.imag, weights.imag, output=None, cval=np.imag(cval), **kwargs)
        func(input.real, weights.imag, output=output.imag, cval=np.real(cval), **kwargs)
        output.imag += func(input.imag, weights.real, output=None, cval=np.imag(cval), **kwargs)
    elif complex_input:
        func(input.real, weights, output=output.real, cval=np.real(cval), **kwargs)
        func(input.imag, weights, output=output.imag, cval=np.imag(cval), **kwargs)
    else:
        if np.iscomplexobj(cval):
            raise ValueError("Cannot provide a complex-valued cval when the input is real.")
        func(input, weights.real, output=output.real, cval=cval, **kwargs)
        func(input, weights.imag, output=output.imag, cval=cval, **kwargs)
    return output


# ------------------------------------------------------------------------------------------------
# The two primitives that call the library
# ------------------------------------------------------------------------------------------------

_SUPPORTED = {np.dtype(t) for t in ("bool", "int8", "uint8", "int16", "uint16", "int32", "uint32",
                                     "int64", "uint64", "float32", "float64")}


def _check_types(input, output):
    """The array types SciPy's C filters take (float16, longdouble, complex outputs of a real
    pass... are refused with the same RuntimeError)."""
    for a in (input, output):
        if a.dtype not in _SUPPORTED:
            raise RuntimeError(f"array type {a.dtype!r} not supported")


def _native(a):
    """The array as the library reads it: its own dtype when supported, else float64."""
    return a if a.dtype in _NATIVE else a.astype(np.float64)


def _c_cast(v, dtype):
    """float64 -> an integer (or bool) dtype exactly as SciPy's compiled C casts do it
    (``(npy_uint8)tmp`` etc.): 8/16/32-bit signed and 8/16-bit unsigned types through a 32-bit
    truncation (wrapping modulo 2^bits; NaN and values outside int32 give INT_MIN's low bits),
    uint32 through a 64-bit one, uint64 with the compiler's 2^63 split. NumPy's float->int32/int64
    casts truncate the same way (cvttsd2si on x86-64); its direct float->uint32/uint64 casts do
    not, hence the detours."""
    with np.errstate(invalid="ignore", over="ignore"):
        if dtype == np.uint64:
            big = v >= 2.0 ** 63
            r = np.where(big, v - 2.0 ** 63, v).astype(np.int64).view(np.uint64)
            r[big] ^= np.uint64(1 << 63)
            return r
        if dtype == np.int64:
            return v.astype(np.int64)
        if dtype == np.uint32:
            return v.astype(np.int64).astype(np.uint32)
        r = v.astype(np.int32)
        return r if dtype == np.int32 else r.astype(np.uint8 if dtype == np.bool_ else dtype)


def _store(output, result):
    """SciPy's per-pass store of the float64 value into the output dtype."""
    dt = output.dtype
    if dt.kind in "iub":
        r = _c_cast(np.asarray(result, dtype=np.float64), dt)
        if dt == np.bool_:  # npy_bool is a byte: SciPy stores the truncated integer in it
            output.view(np.uint8)[...] = r
        else:
            output[...] = r
        return output
    with np.errstate(invalid="ignore", over="ignore"):
        np.copyto(output, result, casting="unsafe")
    return output


# Outputs the library stores itself (integers as SciPy's C casts do); others go through float64.
_DIRECT_OUT = {np.dtype(t) for t in ("uint8", "uint16", "int16", "int32", "float32", "float64")}
_MAX_RANK = 4  # the library's views; higher ranks are walked over their first axis


def _into(output, input, run):
    """Runs ``run(dst)`` with dst an array of input's shape the library can store into:
    `output` itself when it can (floats rounded once, integers cast as SciPy's C code casts),
    else a float64 temporary stored into `output` with SciPy's C cast emulated."""
    if output.dtype in _DIRECT_OUT:
        run(output)
        return output
    tmp = np.empty(input.shape)
    run(tmp)
    return _store(output, tmp)


def _pass1d(input, weights, axis, mode, cval, origin, output):
    """SciPy's correlate1d(input, weights, axis, output, mode, cval, origin) for a real input
    and checked arguments: `weights` a contiguous float64 vector, `mode` an ndimage mode name.
    The library sums in NI_Correlate1D's order, so the float64 values are SciPy's bit for bit."""
    if input.size == 0:
        return output
    a = _native(input)
    if a.ndim > _MAX_RANK:  # walk the first axis (never the filtered one: it moves down)
        if axis == 0:
            a, output_v = np.moveaxis(a, 0, -1), np.moveaxis(output, 0, -1)
            axis = a.ndim - 1
        else:
            output_v = output
        for i in range(a.shape[0]):
            _pass1d(a[i], weights, axis - 1, mode, cval, origin, output_v[i])
        return output
    return _into(output, a, lambda dst: _core.nd_correlate1d(a, weights, axis, dst, mode,
                                                             float(cval), origin))


def _correlate_real(input, weights, mode, cval, origins, output):
    """SciPy's N-D correlate for a real input (checked arguments, `weights` float64 of input's
    rank): NI_Correlate's order, bit for bit."""
    if input.size == 0:
        return output
    a = _native(input)
    if a.ndim > _MAX_RANK:
        if weights.shape[0] != 1:
            raise NotImplementedError(
                "convkit.ndimage.correlate/convolve: arrays of more than 4 dimensions need a "
                f"kernel of extent 1 along the first axes (weights shape {weights.shape})")
        for i in range(a.shape[0]):
            _correlate_real(a[i], weights[0], mode, cval, origins[1:], output[i])
        return output
    return _into(output, a, lambda dst: _core.nd_correlate(a, weights, dst, mode, float(cval),
                                                           origins))


# ------------------------------------------------------------------------------------------------
# 1-D correlation and convolution
# ------------------------------------------------------------------------------------------------

def correlate1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    """``scipy.ndimage.correlate1d``: correlate the lines along `axis` with the 1-D `weights`."""
    input = np.asarray(input)
    weights = np.asarray(weights)
    if input.dtype.kind == "c" or weights.dtype.kind == "c":
        if weights.dtype.kind == "c":
            weights = weights.conj().astype(np.complex128, copy=False)
        output = _get_output(output, input, complex_output=True)
        return _complex_via_real_components(correlate1d, input, weights, output, cval,
                                            axis=axis, mode=mode, origin=origin)
    output = _get_output(output, input)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 1 or weights.shape[0] < 1:
        raise RuntimeError("no filter weights given")
    axis = _normalize_axis(axis, input.ndim)
    if _invalid_origin(origin, len(weights)):
        raise ValueError("Invalid origin; origin must satisfy "
                         "-(len(weights) // 2) <= origin <= (len(weights)-1) // 2")
    _border(mode)
    _check_types(input, output)
    return _pass1d(input, np.ascontiguousarray(weights), axis, mode, cval, int(origin), output)


def convolve1d(input, weights, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    """``scipy.ndimage.convolve1d``: convolve the lines along `axis` with the 1-D `weights`."""
    weights = np.asarray(weights)
    weights = weights[::-1]
    origin = -origin
    if not weights.shape[0] & 1:
        origin -= 1
    if weights.dtype.kind == "c":
        weights = weights.conj()  # counteract the conjugation in correlate1d
    return correlate1d(input, weights, axis, output, mode, cval, origin)


# ------------------------------------------------------------------------------------------------
# N-D correlation and convolution
# ------------------------------------------------------------------------------------------------

def _expand_origin(ndim_image, axes, origin):
    origins = _normalize_sequence(origin, len(axes))
    if len(axes) < ndim_image:
        full = [0] * ndim_image
        for o, ax in zip(origins, axes):
            full[ax] = o
        origins = full
    return origins


def _expand_footprint(ndim_image, axes, footprint, name="footprint"):
    if len(axes) < ndim_image:
        if footprint.ndim != len(axes):
            raise RuntimeError(f"{name}.ndim ({footprint.ndim}) must match len(axes) ({len(axes)})")
        footprint = np.expand_dims(footprint, tuple(ax for ax in range(ndim_image) if ax not in axes))
    return footprint


def _correlate_or_convolve(input, weights, output, mode, cval, origin, convolution, axes):
    input = np.asarray(input)
    weights = np.asarray(weights)
    if input.dtype.kind == "c" or weights.dtype.kind == "c":
        if weights.dtype.kind == "c" and not convolution:
            weights = weights.conj()  # as np.correlate: conjugate the weights, not the input
        output = _get_output(output, input, complex_output=True)
        return _complex_via_real_components(_correlate_or_convolve, input, weights, output, cval,
                                            mode=mode, origin=origin, convolution=convolution,
                                            axes=axes)
    axes = _check_axes(axes, input.ndim)
    weights = np.asarray(weights, dtype=np.float64)
    weights = _expand_footprint(input.ndim, axes, weights, "weights")
    origins = _expand_origin(input.ndim, axes, origin)
    wshape = [n for n in weights.shape if n > 0]
    if len(wshape) != input.ndim:
        raise RuntimeError(f"weights.ndim ({len(wshape)}) must match len(axes) ({len(axes)})")
    if convolution:
        weights = weights[tuple([slice(None, None, -1)] * weights.ndim)]
        for ii in range(len(origins)):
            origins[ii] = -origins[ii]
            if not weights.shape[ii] & 1:
                origins[ii] -= 1
    for o in origins:
        if isinstance(o, (bool, np.bool_)):
            raise TypeError(f"origin: an integer is required, got {o!r}")
    for o, lenw in zip(origins, wshape):
        if _invalid_origin(o, lenw):
            raise ValueError("Invalid origin; origin must satisfy "
                             "-(weights.shape[k] // 2) <= origin[k] <= (weights.shape[k]-1) // 2")
    output = _get_output(output, input)
    if not isinstance(mode, str) and isinstance(mode, Iterable):
        raise RuntimeError("A sequence of modes is not supported")
    _border(mode)
    _check_types(input, output)
    return _correlate_real(input, np.ascontiguousarray(weights), mode, cval,
                           [int(o) for o in origins], output)


def correlate(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    """``scipy.ndimage.correlate``: multidimensional correlation (kernels of at most 2 axes
    longer than 1; see the module notes)."""
    return _correlate_or_convolve(input, weights, output, mode, cval, origin, False, axes)


def convolve(input, weights, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    """``scipy.ndimage.convolve``: multidimensional convolution (kernels of at most 2 axes
    longer than 1; see the module notes)."""
    return _correlate_or_convolve(input, weights, output, mode, cval, origin, True, axes)


# ------------------------------------------------------------------------------------------------
# Gaussian
# ------------------------------------------------------------------------------------------------

def _gaussian_kernel1d(sigma, order, radius):
    """SciPy's taps, computed by the same NumPy operations (so bit-identical)."""
    if order < 0:
        raise ValueError("order must be non-negative")
    exponent_range = np.arange(order + 1)
    sigma2 = sigma * sigma
    x = np.arange(-radius, radius + 1)
    phi_x = np.exp(-0.5 / sigma2 * x ** 2)
    phi_x = phi_x / phi_x.sum()
    if order == 0:
        return phi_x
    q = np.zeros(order + 1)
    q[0] = 1
    D = np.diag(exponent_range[1:], 1)  # q -> q'
    P = np.diag(np.ones(order) / -sigma2, -1)  # q -> q * p'
    Q_deriv = D + P
    for _ in range(order):
        q = Q_deriv.dot(q)
    q = (x[:, None] ** exponent_range).dot(q)
    return q * phi_x


def _order(order):
    """A derivative order as SciPy takes it: an integer, not a bool (checked here, as the taps
    cache would otherwise take True for 1)."""
    if isinstance(order, (bool, np.bool_)) or not isinstance(order, numbers.Integral):
        raise TypeError(f"expected a sequence of integers or a single integer, got '{order}'")
    if order < 0:
        raise ValueError("order must be non-negative")
    return int(order)


def gaussian_filter1d(input, sigma, axis=-1, order=0, output=None, mode="reflect", cval=0.0,
                      truncate=4.0, *, radius=None):
    """``scipy.ndimage.gaussian_filter1d``."""
    order = _order(order)
    sd = float(sigma)
    lw = int(truncate * sd + 0.5)
    if radius is not None:
        lw = radius
    if not isinstance(lw, numbers.Integral) or lw < 0:
        raise ValueError("Radius must be a nonnegative integer.")
    return correlate1d(input, _gaussian_weights(sd, order, lw), axis, output, mode, cval, 0)


@functools.lru_cache(maxsize=512)
def _gaussian_weights(sigma, order, radius):
    """The correlation weights of gaussian_filter1d (the kernel reversed), contiguous and
    read-only: computed once per (sigma, order, radius), as a repeated call needs them again."""
    w = np.ascontiguousarray(_gaussian_kernel1d(sigma, order, radius)[::-1])
    w.flags.writeable = False
    return w


def gaussian_filter(input, sigma, order=0, output=None, mode="reflect", cval=0.0, truncate=4.0,
                    *, radius=None, axes=None):
    """``scipy.ndimage.gaussian_filter``: N-D, one 1-D pass per axis, each stored in the output
    dtype (sigma, order, mode and radius may be given per axis)."""
    input = np.asarray(input)
    output = _get_output(output, input)
    axes = _check_axes(axes, input.ndim)
    num_axes = len(axes)
    orders = _normalize_sequence(order, num_axes)
    sigmas = _normalize_sequence(sigma, num_axes)
    modes = _normalize_sequence(mode, num_axes)
    radiuses = _normalize_sequence(radius, num_axes)
    passes = [(axes[ii], sigmas[ii], orders[ii], modes[ii], radiuses[ii])
              for ii in range(num_axes) if sigmas[ii] > 1e-15]
    if not passes:
        output[...] = input[...]
        return output
    fast = input.dtype.kind != "c" and output.dtype.kind != "c" and \
        _check_types(input, output) is None
    for axis, sig, ordr, md, rad in passes:
        if fast and isinstance(md, str) and md in _BORDER:  # checked arguments: straight in
            lw = int(truncate * float(sig) + 0.5) if rad is None else rad
            if not isinstance(lw, numbers.Integral) or lw < 0:
                raise ValueError("Radius must be a nonnegative integer.")
            _pass1d(input, _gaussian_weights(float(sig), _order(ordr), lw), axis, md, cval, 0,
                    output)
        else:
            gaussian_filter1d(input, sig, axis, ordr, output, md, cval, truncate, radius=rad)
        input = output
    return output


# ------------------------------------------------------------------------------------------------
# Uniform (mean) filter
# ------------------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=64)
def _ones(size):
    w = np.ones(size)
    w.flags.writeable = False
    return w


def _uniform_real(input, size, axis, output, mode, cval, origin, total=None):
    """The exact window sum in float64 (into `total` when given: a reused buffer), divided by
    the size there and stored in the output dtype."""
    _check_types(input, output)
    total = _pass1d(input, _ones(size), axis, mode, cval, origin,
                    np.empty(input.shape) if total is None else total)
    if output.dtype.kind == "f":  # the float64 quotient rounded once into the output
        np.divide(total, size, out=output, casting="unsafe")
        return output
    return _store(output, total / size)


def uniform_filter1d(input, size, axis=-1, output=None, mode="reflect", cval=0.0, origin=0):
    """``scipy.ndimage.uniform_filter1d``: the mean over `size` samples along `axis`."""
    input = np.asarray(input)
    axis = _normalize_axis(axis, input.ndim)
    if size < 1:
        raise RuntimeError("incorrect filter size")
    complex_output = input.dtype.kind == "c"
    output = _get_output(output, input, complex_output=complex_output)
    if (size // 2 + origin < 0) or (size // 2 + origin >= size):
        raise ValueError("invalid origin")
    _border(mode)
    size, origin = operator.index(size), operator.index(origin)
    if not complex_output:
        _uniform_real(input, size, axis, output, mode, cval, origin)
    else:
        _uniform_real(input.real, size, axis, output.real, mode, np.real(cval), origin)
        _uniform_real(input.imag, size, axis, output.imag, mode, np.imag(cval), origin)
    return output


def uniform_filter(input, size=3, output=None, mode="reflect", cval=0.0, origin=0, *, axes=None):
    """``scipy.ndimage.uniform_filter``: N-D, one 1-D mean per axis (sizes 1 skipped), each pass
    stored in the output dtype."""
    input = np.asarray(input)
    output = _get_output(output, input, complex_output=input.dtype.kind == "c")
    axes = _check_axes(axes, input.ndim)
    num_axes = len(axes)
    sizes = _normalize_sequence(size, num_axes)
    origins = _normalize_sequence(origin, num_axes)
    modes = _normalize_sequence(mode, num_axes)
    passes = [(axes[ii], sizes[ii], origins[ii], modes[ii])
              for ii in range(num_axes) if sizes[ii] > 1]
    if not passes:
        output[...] = input[...]
        return output
    fast = input.dtype.kind != "c" and output.dtype.kind != "c"
    total = np.empty(input.shape) if fast else None  # one float64 buffer for every pass
    for axis, sz, org, md in passes:
        if fast and type(sz) is int and type(org) is int and isinstance(md, str) and \
                md in _BORDER and sz // 2 + org >= 0 and sz // 2 + org < sz:
            _uniform_real(input, sz, axis, output, md, cval, org, total)  # checked: straight in
        else:
            uniform_filter1d(input, int(sz), axis, output, md, cval, org)
        input = output
    return output


# ------------------------------------------------------------------------------------------------
# Derivatives
# ------------------------------------------------------------------------------------------------

_DIFF = np.array([-1.0, 0.0, 1.0])
_SMOOTH = {"prewitt": np.array([1.0, 1.0, 1.0]), "sobel": np.array([1.0, 2.0, 1.0])}
for _w in (_DIFF, *_SMOOTH.values()):
    _w.flags.writeable = False


def _derivative_filter(input, axis, output, mode, cval, smoothing):
    input = np.asarray(input)
    axis = _normalize_axis(axis, input.ndim)
    output = _get_output(output, input)
    modes = _normalize_sequence(mode, input.ndim)
    if input.dtype.kind == "c" or output.dtype.kind == "c" or \
            not all(isinstance(m, str) and m in _BORDER for m in modes):
        correlate1d(input, _DIFF, axis, output, modes[axis], cval, 0)  # its checks and errors
        for ii in range(input.ndim):
            if ii != axis:
                correlate1d(output, smoothing, ii, output, modes[ii], cval, 0)
        return output
    _check_types(input, output)  # the arguments are checked: the passes go straight in
    _pass1d(input, _DIFF, axis, modes[axis], cval, 0, output)
    for ii in range(input.ndim):
        if ii != axis:
            _pass1d(output, smoothing, ii, modes[ii], cval, 0, output)
    return output


def prewitt(input, axis=-1, output=None, mode="reflect", cval=0.0):
    """``scipy.ndimage.prewitt``: [-1 0 1] along `axis`, [1 1 1] along every other axis."""
    return _derivative_filter(input, axis, output, mode, cval, _SMOOTH["prewitt"])


def sobel(input, axis=-1, output=None, mode="reflect", cval=0.0):
    """``scipy.ndimage.sobel``: [-1 0 1] along `axis`, [1 2 1] along every other axis."""
    return _derivative_filter(input, axis, output, mode, cval, _SMOOTH["sobel"])


def generic_laplace(input, derivative2, output=None, mode="reflect", cval=0.0,
                    extra_arguments=(), extra_keywords=None, *, axes=None):
    """``scipy.ndimage.generic_laplace``: the sum of `derivative2` over the axes, accumulated
    in the output dtype."""
    if extra_keywords is None:
        extra_keywords = {}
    input = np.asarray(input)
    output = _get_output(output, input)
    axes = _check_axes(axes, input.ndim)
    if len(axes) > 0:
        modes = _normalize_sequence(mode, len(axes))
        derivative2(input, axes[0], output, modes[0], cval, *extra_arguments, **extra_keywords)
        for ii in range(1, len(axes)):
            tmp = derivative2(input, axes[ii], output.dtype, modes[ii], cval, *extra_arguments,
                              **extra_keywords)
            output += tmp
    else:
        output[...] = input[...]
    return output


def laplace(input, output=None, mode="reflect", cval=0.0, *, axes=None):
    """``scipy.ndimage.laplace``: the sum over the axes of [1 -2 1]."""
    def derivative2(input, axis, output, mode, cval):
        return correlate1d(input, [1, -2, 1], axis, output, mode, cval, 0)
    return generic_laplace(input, derivative2, output, mode, cval, axes=axes)


def gaussian_laplace(input, sigma, output=None, mode="reflect", cval=0.0, *, axes=None, **kwargs):
    """``scipy.ndimage.gaussian_laplace``: the sum over the axes of the second Gaussian
    derivative (``truncate``/``radius`` go to gaussian_filter)."""
    input = np.asarray(input)

    def derivative2(input, axis, output, mode, cval, sigma, **kwargs):
        order = [0] * input.ndim
        order[axis] = 2
        return gaussian_filter(input, sigma, order, output, mode, cval, **kwargs)

    axes = _check_axes(axes, input.ndim)
    num_axes = len(axes)
    sigma = _normalize_sequence(sigma, num_axes)
    if num_axes < input.ndim:
        full = [0] * input.ndim
        for s, ax in zip(sigma, axes):
            full[ax] = s
        sigma = full
    return generic_laplace(input, derivative2, output, mode, cval, extra_arguments=(sigma,),
                           extra_keywords=kwargs, axes=axes)


def generic_gradient_magnitude(input, derivative, output=None, mode="reflect", cval=0.0,
                               extra_arguments=(), extra_keywords=None, *, axes=None):
    """``scipy.ndimage.generic_gradient_magnitude``: sqrt of the sum of squared derivatives,
    computed in the output dtype as NumPy does."""
    if extra_keywords is None:
        extra_keywords = {}
    input = np.asarray(input)
    output = _get_output(output, input)
    axes = _check_axes(axes, input.ndim)
    if len(axes) > 0:
        modes = _normalize_sequence(mode, len(axes))
        derivative(input, axes[0], output, modes[0], cval, *extra_arguments, **extra_keywords)
        np.multiply(output, output, output)
        for ii in range(1, len(axes)):
            tmp = derivative(input, axes[ii], output.dtype, modes[ii], cval, *extra_arguments,
                             **extra_keywords)
            np.multiply(tmp, tmp, tmp)
            output += tmp
        np.sqrt(output, output, casting="unsafe")
    else:
        output[...] = input[...]
    return output


def gaussian_gradient_magnitude(input, sigma, output=None, mode="reflect", cval=0.0, *,
                                axes=None, **kwargs):
    """``scipy.ndimage.gaussian_gradient_magnitude``."""
    input = np.asarray(input)

    def derivative(input, axis, output, mode, cval, sigma, **kwargs):
        order = [0] * input.ndim
        order[axis] = 1
        return gaussian_filter(input, sigma, order, output, mode, cval, **kwargs)

    return generic_gradient_magnitude(input, derivative, output, mode, cval,
                                      extra_arguments=(sigma,), extra_keywords=kwargs, axes=axes)
