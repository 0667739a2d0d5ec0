"""The machinery behind convkit.signal's FFT functions and SciPy's cost model (private).

fftconvolve/oaconvolve go to convkit's 'fft'/'overlap-add' algorithms when SciPy's result is one
1-D or 2-D real convolution; the rest (complex data, N-D arrays, axes that do not reduce to one
2-D convolution) runs SciPy's own algorithm on numpy.fft.
"""

import math
import numbers
import operator

import numpy as np

from . import _core

_CORE = frozenset(np.dtype(t) for t in ("uint8", "uint16", "int16", "int32", "float32",
                                        "float64", "complex64", "complex128"))
_REAL_FLOAT = frozenset((np.dtype(np.float32), np.dtype(np.float64)))
_MODES = ("full", "same", "valid")
_MODE_ERROR = "Acceptable mode flags are 'valid', 'same', or 'full'."


def _check_mode(mode, message=_MODE_ERROR):
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(message)


def _inputs_swap_needed(mode, shape1, shape2, axes=None):
    """SciPy's rule: in 'valid' mode one input must be at least as large as the other on every
    axis; True when they must be swapped."""
    if mode != "valid" or not shape1:
        return False
    if axes is None:
        axes = range(len(shape1))
    ok1 = all(shape1[i] >= shape2[i] for i in axes)
    ok2 = all(shape2[i] >= shape1[i] for i in axes)
    if not (ok1 or ok2):
        raise ValueError("For 'valid' mode, one must be at least "
                         "as large as the other in every dimension")
    return not ok1


def _reverse_and_conj(x):
    x_rev = x[(slice(None, None, -1),) * x.ndim]  # a view
    return np.conj(x_rev) if x.dtype.kind == "c" else x_rev


def _as2d(x):
    return x.reshape(1, -1) if x.ndim == 1 else x  # a view for any strides



# ---- FFT convolution ------------------------------------------------------------------------

def _iterable_of_int(x, name):
    if isinstance(x, numbers.Number):
        x = (x,)
    try:
        return [operator.index(a) for a in x]
    except TypeError as e:
        raise ValueError(f"{name} must be a scalar or iterable of integers") from e


def _init_freq_conv_axes(in1, in2, mode, axes, sorted_axes):
    s1, s2 = in1.shape, in2.shape
    if axes is None:
        axes = list(range(in1.ndim))
    else:
        axes = _iterable_of_int(axes, "axes")
        axes = [a + in1.ndim if a < 0 else a for a in axes]
        if any(a >= in1.ndim or a < 0 for a in axes):
            raise ValueError("axes exceeds dimensionality of input")
        if len(set(axes)) != len(axes):
            raise ValueError("all axes must be unique")
        if not axes:
            raise ValueError("when provided, axes cannot be empty")
    axes = [a for a in axes if s1[a] != 1 and s2[a] != 1]
    if sorted_axes:
        axes.sort()
    if not all(s1[a] == s2[a] or s1[a] == 1 or s2[a] == 1
               for a in range(in1.ndim) if a not in axes):
        raise ValueError(f"incompatible shapes for in1 and in2: {s1} and {s2}")
    if _inputs_swap_needed(mode, s1, s2, axes=axes):
        in1, in2 = in2, in1
    return in1, in2, axes


def _centered(arr, newshape):
    start = [(cur - new) // 2 for cur, new in zip(arr.shape, newshape)]
    return arr[tuple(slice(st, st + new) for st, new in zip(start, newshape))]


def _apply_conv_mode(ret, s1, s2, mode, axes):
    if mode == "full":
        return ret.copy()
    if mode == "same":
        return _centered(ret, s1).copy()
    if mode == "valid":
        shape_valid = [ret.shape[a] if a not in axes else s1[a] - s2[a] + 1
                       for a in range(ret.ndim)]
        return _centered(ret, shape_valid).copy()
    raise ValueError("acceptable mode flags are 'valid', 'same', or 'full'")


def _fft_dtype(d1, d2):
    """SciPy's fftconvolve result dtype: integers (and bool) become float64, float16 float32."""
    def lift(d):
        return np.dtype(np.float64) if d.kind in "iub" else d
    rt = np.result_type(lift(d1), lift(d2))
    return np.dtype(np.float32) if rt == np.float16 else rt


def _next_fast_len(n, real):
    """The smallest 5-smooth (real) or 11-smooth (complex) length >= n (scipy.fft's choice)."""
    primes = (2, 3, 5) if real else (2, 3, 5, 7, 11)
    best = 1 << max(0, (n - 1).bit_length())
    stack = [1]
    seen = {1}
    while stack:
        v = stack.pop()
        if v >= n:
            best = min(best, v)
            continue
        for p in primes:
            w = v * p
            if w < best and w not in seen:
                seen.add(w)
                stack.append(w)
    return best


def _numpy_fftconvolve(in1, in2, mode, axes, out_dtype):
    """SciPy's fftconvolve algorithm with numpy.fft (N-D, complex, any axes)."""
    s1, s2 = in1.shape, in2.shape
    shape = [max(s1[i], s2[i]) if i not in axes else s1[i] + s2[i] - 1
             for i in range(in1.ndim)]
    def work(x):  # what scipy.fft computes in
        if x.dtype.kind in "iub":
            return x.astype(np.float64)
        return x.astype(np.float32) if x.dtype == np.float16 else x
    a, b = work(in1), work(in2)
    complex_result = a.dtype.kind == "c" or b.dtype.kind == "c"
    fshape = [_next_fast_len(shape[ax], not complex_result) for ax in axes]
    if complex_result:
        ret = np.fft.ifftn(np.fft.fftn(a, fshape, axes=axes) * np.fft.fftn(b, fshape, axes=axes),
                           fshape, axes=axes)
    else:
        ret = np.fft.irfftn(np.fft.rfftn(a, fshape, axes=axes)
                            * np.fft.rfftn(b, fshape, axes=axes), fshape, axes=axes)
    ret = ret[tuple(slice(sz) for sz in shape)]
    return _apply_conv_mode(ret, s1, s2, mode, axes).astype(out_dtype, copy=False)


def _convkit_fft_ok(in1, in2, mode, axes):
    """Whether SciPy's result over `axes` is one 2-D (or 1-D) convolution of in1 with in2:
    every axis left out is one where an operand has length 1 (plain broadcasting)."""
    if in1.ndim > 2:
        return False
    s1, s2 = in1.shape, in2.shape
    if any(a not in axes and s1[a] != 1 and s2[a] != 1 for a in range(in1.ndim)):
        return False
    if mode == "valid":
        big1 = all(x >= y for x, y in zip(s1, s2))
        big2 = all(y >= x for x, y in zip(s1, s2))
        return big1 or big2
    return True


def _fft_operands(in1, in2, out_dtype):
    """in1 and in2 in dtypes convkit's FFT takes, whose result dtype is out_dtype (converting
    as few elements as possible: the smaller operand first)."""
    real = {np.dtype(t) for t in ("uint8", "uint16", "int16", "int32", "float32", "float64")}
    ops = [x if x.dtype in real and (x.dtype.kind == "f" or out_dtype == np.float64)
           else x.astype(out_dtype) for x in (in1, in2)]
    order = sorted((0, 1), key=lambda i: ops[i].size)
    for i in order:
        if np.result_type(ops[0], ops[1]) == out_dtype:
            break
        ops[i] = ops[i].astype(out_dtype)
    return ops


def _fft_conv(in1, in2, mode, axes, algorithm):
    out_dtype = _fft_dtype(in1.dtype, in2.dtype)
    if out_dtype in _REAL_FLOAT and _convkit_fft_ok(in1, in2, mode, axes):
        a, b = _fft_operands(in1, in2, out_dtype)
        try:
            out = _core.convolve2d(_as2d(a), _as2d(b), mode, "fill", 0.0, algorithm=algorithm)
        except ValueError as e:  # the FFT refused (e.g. non-finite kernel taps)
            if not str(e).startswith("algorithm"):
                raise
        else:
            return out.reshape(-1) if in1.ndim == 1 else out
    if out_dtype in _REAL_FLOAT and 3 <= in1.ndim <= 4 and len(axes) == in1.ndim and \
            (mode != "valid" or all(x >= y for x, y in zip(in1.shape, in2.shape))):
        # every axis transformed: FFTW rank-N plans on convkit's threads
        return _core.fftconvolve_nd(in1.astype(out_dtype, copy=False),
                                    in2.astype(out_dtype, copy=False), mode)
    return _numpy_fftconvolve(in1, in2, mode, axes, out_dtype)


def _fft_prelude(in1, in2, mode):
    in1 = np.asarray(in1)
    in2 = np.asarray(in2)
    if in1.ndim == in2.ndim == 0:
        return in1, in2, in1 * in2
    if in1.ndim != in2.ndim:
        raise ValueError("in1 and in2 should have the same dimensionality")
    if in1.size == 0 or in2.size == 0:
        return in1, in2, np.asarray([])
    _check_mode(mode, "acceptable mode flags are 'valid', 'same', or 'full'")
    return in1, in2, None


# ---- choose_conv_method: SciPy's cost model, ported ----------------------------------------

def _conv_ops(x_shape, h_shape, mode):
    if mode == "full":
        out_shape = [n + k - 1 for n, k in zip(x_shape, h_shape)]
    elif mode == "valid":
        out_shape = [abs(n - k) + 1 for n, k in zip(x_shape, h_shape)]
    elif mode == "same":
        out_shape = x_shape
    else:
        raise ValueError("Acceptable mode flags are 'valid',"
                         f" 'same', or 'full', not mode={mode}")
    s1, s2 = x_shape, h_shape
    if len(x_shape) == 1:
        s1, s2 = s1[0], s2[0]
        if mode == "full":
            direct_ops = s1 * s2
        elif mode == "valid":
            direct_ops = (s2 - s1 + 1) * s1 if s2 >= s1 else (s1 - s2 + 1) * s2
        else:
            direct_ops = s1 * s2 if s1 < s2 else s1 * s2 - (s2 // 2) * ((s2 + 1) // 2)
    else:
        if mode in ("full", "valid"):
            direct_ops = min(math.prod(s1), math.prod(s2)) * math.prod(out_shape)
        else:
            direct_ops = math.prod(s1) * math.prod(s2)
    full_out_shape = [n + k - 1 for n, k in zip(x_shape, h_shape)]
    N = math.prod(full_out_shape)
    fft_ops = 3 * N * np.log(N)
    return fft_ops, direct_ops


def _fftconv_faster(x, h, mode):
    fft_ops, direct_ops = _conv_ops(x.shape, h.shape, mode)
    offset = -1e-3 if x.ndim == 1 else -1e-4
    if x.ndim == 1:
        constants = {
            "valid": (1.89095737e-9, 2.1364985e-10, offset),
            "full": (1.7649070e-9, 2.1414831e-10, offset),
            "same": (3.2646654e-9, 2.8478277e-10, offset) if h.size <= x.size
            else (3.21635404e-9, 1.1773253e-8, -1e-5),
        }
    else:
        constants = {
            "valid": (1.85927e-9, 2.11242e-8, offset),
            "full": (1.99817e-9, 1.66174e-8, offset),
            "same": (2.04735e-9, 1.55367e-8, offset),
        }
    O_fft, O_direct, O_offset = constants[mode]
    return O_fft * fft_ops < O_direct * direct_ops + O_offset
