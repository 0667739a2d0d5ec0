"""SciPy's direct convolution on arrays of any rank, reduced to the 2-D engine (private).

The last two axes are the 2-D plane. Along the outer axes a convolution is a sum over the outer
kernel taps: for tap k, output plane o receives the 2-D convolution of input plane
``o + start - k`` with the kernel plane ``h[k]``; planes outside the input contribute zero, so
those taps are skipped. The planes of one tap go to the engine as one batch: a planned, cached
``_core.Plan2d`` over a strided (C, H, W) view, written straight into the output planes no
earlier tap has reached and through a scratch buffer added onto the others (DESIGN.md §8, N-D).

Numbers, in SciPy's result dtype:

- float32/float64: computed in that dtype; ``method='direct'`` plans with ``exact=True`` (only
  algorithms that multiply the given taps: integer-valued data give exact integers);
- integers: in float64 where the operands' range proves every sum exact (always for 8- and
  16-bit data), then wrapped to the result dtype as SciPy's integer arithmetic wraps;
- complex64/complex128: real convolutions of the real and imaginary parts;
- the rest (long double, 64-bit integer sums that may not be exact in float64): an exact NumPy
  loop over the taps.
"""

import math

import numpy as np

from . import _core
from ._signal_fft import _conv_ops

_PLAN_SRC = frozenset(np.dtype(t) for t in ("uint8", "uint16", "int16", "float32", "float64"))
_RESULTS = frozenset(np.dtype(t) for t in (
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "float32",
    "float64", "longdouble", "complex64", "complex128", "clongdouble"))
_EXACT_F64 = 2 ** 53


def fft_wins(s1, s2, mode):
    """Whether an N-D FFT (NumPy's, one thread) is clearly cheaper than the direct sums of
    convkit's 2-D engine (SIMD, threads): SciPy's operation counts, convkit's speeds (direct
    ~5e9 multiply-adds/s, FFT ~1 ns per count), and a factor of two in the direct path's favour
    (it rounds like SciPy's direct method and keeps a NaN local)."""
    fft_ops, direct_ops = _conv_ops(s1, s2, mode)
    return fft_ops * 1e-9 * 2 < direct_ops / 5e9


def _geometry(s1, s2, mode):
    """Output shape and per-axis start: ``out[o] = sum_k h[k] * a[o + start - k]``."""
    if mode == "full":
        return [n + k - 1 for n, k in zip(s1, s2)], [0] * len(s1)
    if mode == "same":
        return list(s1), [(k - 1) // 2 for k in s2]
    return [n - k + 1 for n, k in zip(s1, s2)], [k - 1 for k in s2]


def _empty_result(s1, s2, mode, rt):
    """What SciPy's direct path gives when an operand is empty: zeros of the output shape, or
    ValueError where SciPy's zero-padding step fails (its 'full' mode swaps the operands when
    in2 is the larger, then pads in1 to in1 + in2 - 1 along every axis)."""
    if mode != "valid":
        a, b = (s2, s1) if mode == "full" and math.prod(s2) > math.prod(s1) else (s1, s2)
        padded = [x + y - 1 for x, y in zip(a, b)]
        if any(p < 0 for p in padded) or any(p < x != 1 for x, p in zip(a, padded)):
            raise ValueError(f"convkit.signal: an empty operand (shapes {tuple(s1)} and "
                             f"{tuple(s2)}) gives no {mode!r} convolution (SciPy fails too)")
    return np.zeros(_geometry(s1, s2, mode)[0], rt)


def _memory_order(volume, kernel):
    """Permute the axes so that the volume's two innermost (smallest-stride) axes are last: the
    2-D engine then reads rows along memory. Returns the permuted views and the inverse
    permutation (None when already in order)."""
    nd = volume.ndim
    order = sorted(range(nd), key=lambda d: (volume.shape[d] > 1, -abs(volume.strides[d])))
    if order == list(range(nd)):
        return volume, kernel, None
    return volume.transpose(order), kernel.transpose(order), np.argsort(order)


def _plane_runner(out_shape, a_shape, k_shape, starts, exact):
    """run(h2, planes, out3): out3 = the 2-D convolution of every plane with h2, cropped to the
    output's window of the plane axes (pads chosen from the mode's start)."""
    (P, Q), (H, W), (R, S), (sr, ss) = out_shape[-2:], a_shape[-2:], k_shape[-2:], starts[-2:]
    top, left = R - 1 - sr, S - 1 - ss
    pads = (top, P - 1 + R - H - top, left, Q - 1 + S - W - left)

    def run(h2, planes, out3):
        _core.Plan2d(h2, shape=planes.shape, dtype=planes.dtype, flip=True, pads=pads,
                     out_dtype=out3.dtype, layout="CHW", exact=exact)(planes, out=out3)
    return run


def _accumulate(out, a, h, starts, fresh, run, scratch):
    """out (fresh: =, else +=) the convolution of a with h, as sums over the outer taps."""
    s = starts[0]
    if a.ndim > 3:  # one outer axis at a time, down to batches of planes
        for o in range(out.shape[0]):
            first = fresh
            for k in range(h.shape[0]):
                if 0 <= o + s - k < a.shape[0]:
                    _accumulate(out[o], a[o + s - k], h[k], starts[1:], first, run, scratch)
                    first = False
            if first:
                out[o] = 0
        return
    P, N = out.shape[0], a.shape[0]
    done = 0 if fresh else P  # out[:done] holds sums already
    for k in range(h.shape[0]):
        lo, hi = max(0, k - s), min(P, N + k - s)  # the output planes tap k reaches
        if lo >= hi:
            continue
        if lo > done:  # planes no tap reaches (the ranges overlap, so only for safety)
            out[done:lo] = 0
            done = lo
        end = min(hi, done)
        if lo < end:
            buf = scratch[:end - lo]
            run(h[k], a[lo + s - k:end + s - k], buf)
            np.add(out[lo:end], buf, out=out[lo:end])
        if hi > done:
            run(h[k], a[done + s - k:hi + s - k], out[done:hi])
            done = hi
    if done < P:
        out[done:] = 0


def _convolve_real(out, terms, starts, exact):
    """out = sum of the real convolutions in terms [(volume, kernel)] of rank 3 or more, through
    the 2-D engine. The volumes are in dtypes the engine reads; the kernels in out's dtype."""
    a0, h0 = terms[0]
    run = _plane_runner(out.shape, a0.shape, h0.shape, starts, exact)
    scratch = np.empty(out.shape[-3:], out.dtype)
    for i, (a, h) in enumerate(terms):
        _accumulate(out, a, h, starts, i == 0, run, scratch)


def _plan_src(x, rt):
    """x in a dtype the engine reads (x itself where it is one) for a float computation in rt:
    the engine converts u8/u16/i16 exactly."""
    if x.dtype in _PLAN_SRC:
        return x
    if x.dtype == np.bool_:
        return x.view(np.uint8)
    if x.dtype.kind in "iu" and x.dtype.itemsize == 1:
        return x.astype(np.int16)
    return x.astype(rt)


def _max_abs(x):
    if x.dtype == np.bool_:
        return int(x.any())
    return max(-int(x.min()), int(x.max()))


def _dtype_max_abs(d):
    if d == np.bool_:
        return 1
    info = np.iinfo(d)
    return max(-int(info.min), int(info.max))


def _ints_exact_in_f64(volume, kernel):
    """Whether every partial sum of the integer convolution is an integer below 2**53, so
    float64 arithmetic is exact (by the dtypes' ranges, else by the data's)."""
    terms = min(volume.size, kernel.size)
    if _dtype_max_abs(volume.dtype) * _dtype_max_abs(kernel.dtype) * terms < _EXACT_F64:
        return True
    return _max_abs(volume) * _max_abs(kernel) * terms < _EXACT_F64


def _numpy_direct(volume, kernel, mode, rt):
    """The exact tap loop in NumPy, in rt's arithmetic (wrapping like SciPy's integer loops)."""
    a = volume.astype(rt, copy=False)
    h = kernel.astype(rt, copy=False)
    shape, starts = _geometry(a.shape, h.shape, mode)
    out = np.zeros(shape, rt)
    with np.errstate(all="ignore"):
        for k in np.ndindex(h.shape):
            lo = [max(0, kk - s) for kk, s in zip(k, starts)]
            hi = [min(p, n + kk - s) for p, n, kk, s in zip(shape, a.shape, k, starts)]
            if all(x < y for x, y in zip(lo, hi)):
                o = tuple(slice(x, y) for x, y in zip(lo, hi))
                i = tuple(slice(x + s - kk, y + s - kk)
                          for x, y, s, kk in zip(lo, hi, starts, k))
                out[o] += h[k] * a[i]
    return out


def direct(volume, kernel, mode, method):
    """``scipy.signal.convolve(volume, kernel, mode, 'direct')`` for arrays of rank 3 or more,
    and for empty operands of any rank (arguments checked, 'valid' operands in order).
    method='auto' (real floating data) lets the 2-D planner use every algorithm; 'direct'
    keeps to exact ones."""
    rt = np.result_type(volume, kernel)
    if rt not in _RESULTS:
        raise ValueError("Unsupported type")
    if volume.size == 0 or kernel.size == 0:
        return _empty_result(volume.shape, kernel.shape, mode, rt)
    if mode == "full" and kernel.size > volume.size:
        volume, kernel = kernel, volume  # the same sum; fewer outer taps and a smaller plan key
    volume, kernel, inverse = _memory_order(volume, kernel)
    shape, starts = _geometry(volume.shape, kernel.shape, mode)
    exact = method != "auto"  # 'auto' reaches here for real floating data only
    if rt in (np.float32, np.float64):
        out = np.empty(shape, rt)
        _convolve_real(out, [(_plan_src(volume, rt), kernel.astype(rt))], starts, exact)
    elif rt in (np.complex64, np.complex128):
        part = np.dtype(rt.char.lower())  # complex64 -> float32, complex128 -> float64
        ar, ai = (volume.real, volume.imag) if volume.dtype.kind == "c" else (volume, None)
        hr, hi = (kernel.real, kernel.imag) if kernel.dtype.kind == "c" else (kernel, None)
        ar, ai = _plan_src(ar, part), None if ai is None else _plan_src(ai, part)
        hr, hi = hr.astype(part), None if hi is None else hi.astype(part)
        # (ar + i ai)(hr + i hi) = ar hr - ai hi + i (ar hi + ai hr), each term that exists
        real = [(ar, hr)] + ([(ai, -hi)] if ai is not None and hi is not None else [])
        imag = [(a, h) for a, h in ((ar, hi), (ai, hr)) if a is not None and h is not None]
        out = np.empty(shape, rt)
        _convolve_real(out.real, real, starts, True)
        _convolve_real(out.imag, imag, starts, True)
    elif rt.kind in "iu" and _ints_exact_in_f64(volume, kernel):
        acc = np.empty(shape, np.float64)
        _convolve_real(acc, [(_plan_src(volume, np.dtype(np.float64)),
                              kernel.astype(np.float64))], starts, True)
        out = acc.astype(np.int64).astype(rt, copy=False)
    else:
        out = _numpy_direct(volume, kernel, mode, rt)
    return out if inverse is None else np.ascontiguousarray(out.transpose(inverse))
