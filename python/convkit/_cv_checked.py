"""convkit.cv's general path: every check and error of OpenCV's filters, for the calls the
public functions' fast paths do not take (see ``convkit.cv``'s docstring for the rules).

Here: OpenCV 5.0's depth and border tables, the argument checks and conversions (cv2's C int
and float parsing, images, kernels, anchors), ``dst`` handling, the int8/int32 outputs computed
in float64 and saturated, and one general function per filter (``_filter2D`` ... ``_Laplacian``),
called as ``_filter2D(filter2D, src, ...)``: the first argument is the public function, which
takes an HxWx1 image through its HxW view (this module cannot import ``convkit.cv``: that
module imports this one).
"""

import numbers

import numpy as np

from . import _core

# OpenCV's codes, the values convkit.cv publishes (CV_8U ... CV_64F, BORDER_*, FILTER_SCHARR)
_U8, _S8, _U16, _S16, _S32, _F32, _F64 = range(7)
_CONSTANT, _REPLICATE, _REFLECT, _WRAP, _REFLECT_101, _ISOLATED = 0, 1, 2, 3, 4, 16
_SCHARR = -1

_BORDER_NAMES = {_CONSTANT: "constant", _REPLICATE: "replicate", _REFLECT: "reflect",
                 _WRAP: "wrap", _REFLECT_101: "mirror"}
_DEPTH_DTYPE = {_U8: np.dtype(np.uint8), _S8: np.dtype(np.int8), _U16: np.dtype(np.uint16),
                _S16: np.dtype(np.int16), _S32: np.dtype(np.int32),
                _F32: np.dtype(np.float32), _F64: np.dtype(np.float64)}
_DTYPE_DEPTH = {dt: d for d, dt in _DEPTH_DTYPE.items()}
# the dtypes the library computes natively; int8/int32 outputs go through a float64 result
_NATIVE = {np.dtype(t) for t in ("uint8", "uint16", "int16", "float32", "float64")}

# OpenCV 5.0's accepted (src, dst) depth pairs, per family
_FILTER2D_PAIRS = {_U8: {_U8, _U16, _S16, _F32, _F64}, _U16: {_U16, _F32, _F64},
                   _S16: {_S16, _F32, _F64}, _F32: {_F32}, _F64: {_F64}}
_ANY5 = {_U8, _U16, _S16, _F32, _F64}
# filter2D with a large kernel takes OpenCV's DFT path (kernel area >= 130 for u8->u8, u8->s16
# and f32->f32, >= 50 otherwise), which accepts every depth pair and BORDER_WRAP too
_DFT_130 = {(_U8, _U8), (_U8, _S16), (_F32, _F32)}
_SEP_PAIRS = {_U8: _ANY5, _U16: _ANY5, _S16: _ANY5, _F32: _ANY5, _F64: {_U8, _U16, _S16, _F64}}
_LAPLACE_BIG_PAIRS = {s: {_U8, _S8, _U16, _S16, _S32, _F32, _F64}
                      for s in (_U8, _U16, _S16, _F32, _F64)}
_BOX_PAIRS = {s: {_U8, _U16, _S16, _S32, _F32, _F64} for s in (_U8, _U16, _S16, _S32)}
_BOX_PAIRS.update({_F32: {_U8, _U16, _S16, _F32, _F64}, _F64: {_U8, _U16, _S16, _F32, _F64}})

_ND = np.ndarray
# dtype objects: comparing with np.float32 converts it each time
_FLOAT_KERNEL = (_DEPTH_DTYPE[_F32], _DEPTH_DTYPE[_F64])
_AS_INT32 = (np.dtype(np.int64), np.dtype(np.uint64))
_filter2d, _sep_filter2d = _core.filter2d, _core.sep_filter2d
_gaussian_blur, _box_filter = _core.gaussian_blur, _core.box_filter
_sobel, _scharr, _laplacian = _core.sobel, _core.scharr, _core.laplacian
_may_share_memory = np.may_share_memory
_NAMES = {dt: dt.name for dt in _DEPTH_DTYPE.values()}  # dtype.name costs ~2 us a call


def _name(dtype):
    return _NAMES.get(dtype) or dtype.name


# ------------------------------------------------------------------------------------------------
# Argument handling shared by the filters (the general path)
# ------------------------------------------------------------------------------------------------

_INT_MIN, _INT_MAX = -2 ** 31, 2 ** 31 - 1  # cv2 parses integers into a C int
_INF = float("inf")


class _OverflowTypeError(TypeError, OverflowError):
    """An int too large for a float argument: cv2 cannot parse it (TypeError here, as every
    argument cv2 cannot convert), and it is float()'s OverflowError too."""


def _int(value, name):
    if type(value) is not int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
        value = int(value)
    if not _INT_MIN <= value <= _INT_MAX:
        raise TypeError(f"{name}: integer {value} won't fit into a C int")
    return value


def _float(value, name):
    t = type(value)
    if t is float:
        return value
    if t is int or (isinstance(value, (numbers.Real, np.floating, np.integer))
                    and not isinstance(value, bool)):
        try:
            return float(value)
        except OverflowError:  # cv2: "int too large to convert to float"
            raise _OverflowTypeError(f"{name}: int too large to convert to float") from None
    raise TypeError(f"{name} must be a real number, got {type(value).__name__}")


def _pair(value, name):
    try:
        a, b = value
    except (TypeError, ValueError):
        raise TypeError(f"Can't parse '{name}': expected a sequence of 2 integers") from None
    return _int(a, name), _int(b, name)


class _Image:
    """src as cv2 sees it: HxW or HxWxC (a 1-D array is a 1xN row), non-empty."""

    def __init__(self, src, name="src"):
        if not isinstance(src, np.ndarray):
            raise TypeError(f"Expected a numpy.ndarray for argument '{name}', got "
                            f"{type(src).__name__}")
        if src.dtype.kind not in "biuf":
            raise TypeError(f"Expected Ptr<cv::UMat> for argument '{name}': dtype {src.dtype} "
                            "is not an image type")
        self.src = src
        if src.dtype in _AS_INT32:  # cv2's bindings pass these as CV_32S
            src = src.astype(np.int32)
        if src.ndim == 1:
            src = src.reshape(1, -1)
        if src.ndim not in (2, 3):
            raise ValueError(f"{name} must be an HxW or HxWxC image, got shape {src.shape}")
        if src.size == 0:
            raise ValueError(f"{name} is empty (shape {src.shape})")
        self.array = src
        self.depth = _DTYPE_DEPTH.get(src.dtype)
        # cv2 returns HxW for an HxWx1 image
        self.out_shape = src.shape[:2] if (src.ndim == 3 and src.shape[2] == 1) else src.shape

    def require_depth(self, allowed, what):
        if self.depth not in allowed:
            raise ValueError(f"{what}: unsupported src dtype {self.array.dtype} (OpenCV accepts "
                             f"{', '.join(str(_DEPTH_DTYPE[d]) for d in sorted(allowed))})")


def _out_depth(img, ddepth, pairs, what):
    """OpenCV's ddepth (-1 = src depth) -> output dtype, refused as OpenCV refuses it."""
    ddepth = _int(ddepth, "ddepth")
    img.require_depth(pairs.keys(), what)
    depth = img.depth if ddepth < 0 else ddepth
    if depth not in _DEPTH_DTYPE or depth not in pairs[img.depth]:
        raise ValueError(f"{what}: unsupported combination of source format "
                         f"({img.array.dtype}) and destination format (ddepth={ddepth})")
    return _DEPTH_DTYPE[depth]


def _border(border_type, allow_wrap=False, what="filter"):
    """cv2 borderType (optionally | BORDER_ISOLATED) -> convkit border name."""
    bt = _int(border_type, "borderType")
    base = bt & ~_ISOLATED
    if base not in _BORDER_NAMES:
        raise ValueError(f"{what}: borderType {bt} is not supported (BORDER_CONSTANT, "
                         "BORDER_REPLICATE, BORDER_REFLECT, BORDER_REFLECT_101"
                         f"{', BORDER_WRAP' if allow_wrap else ''})")
    if base == _WRAP and not allow_wrap:
        raise ValueError(f"{what}: BORDER_WRAP is not supported for this image depth")
    return _BORDER_NAMES[base]


def _kernel2d(kernel, name="kernel"):
    """cv2's kernel conversion: 1-D -> 1xN row, HxWx1 -> HxW, real dtypes only."""
    if not isinstance(kernel, np.ndarray):
        raise TypeError(f"Expected a numpy.ndarray for argument '{name}', got "
                        f"{type(kernel).__name__}")
    if kernel.dtype.kind not in "biuf":
        raise TypeError(f"Expected Ptr<cv::UMat> for argument '{name}': dtype {kernel.dtype}")
    k = kernel
    if k.ndim == 1:
        k = k.reshape(1, -1)
    elif k.ndim == 3 and k.shape[2] == 1:
        k = k[:, :, 0]
    if k.ndim != 2:
        raise ValueError(f"{name} must be a single-channel 2-D array, got shape {kernel.shape}")
    if k.size == 0:
        raise ValueError(f"{name} is empty")
    if k.dtype not in _FLOAT_KERNEL:
        k = k.astype(np.float64)
    return k


def _vector(kernel, name):
    if not isinstance(kernel, np.ndarray):
        raise TypeError(f"Expected a numpy.ndarray for argument '{name}', got "
                        f"{type(kernel).__name__}")
    if kernel.dtype.kind not in "biuf":
        raise TypeError(f"Expected Ptr<cv::UMat> for argument '{name}': dtype {kernel.dtype}")
    if kernel.size == 0:
        raise ValueError(f"{name} is empty")
    if sum(n > 1 for n in kernel.shape) > 1:
        raise ValueError(f"{name} must be a vector (1-D, 1xN or Nx1), got shape {kernel.shape}")
    k = kernel.reshape(-1)
    return k if k.dtype in _FLOAT_KERNEL else k.astype(np.float64)


def _anchor(anchor, kw, kh):
    """cv::normalizeAnchor: -1 means the centre (per coordinate); must lie inside the kernel."""
    x, y = _pair(anchor, "anchor")
    x = kw // 2 if x == -1 else x
    y = kh // 2 if y == -1 else y
    if not (0 <= x < kw and 0 <= y < kh):
        raise ValueError(f"anchor {tuple(anchor)} is outside the {kw}x{kh} kernel")
    return x, y


def _prod(values):
    p = 1
    for v in values:
        p *= int(v)
    return p


# ------------------------------------------------------------------------------------------------
# Results: new arrays, or written into dst
# ------------------------------------------------------------------------------------------------

def _target(dst, img, dtype):
    """A view of `dst` with src's (HxW / HxWxC) shape for the library's out=, when `dst` takes
    the result directly: an array of the output's dtype and shape (HxW or, for an HxWx1 image,
    HxWx1 too), writable, and either src itself (the library copies the input internally) or
    not overlapping it. Otherwise None: a new result, then `_finish`. Refused as cv2 refuses
    it: a dst that is not an image array (TypeError) or is read-only (ValueError)."""
    if not isinstance(dst, np.ndarray):
        if dst is not None:  # cv2: "dst is not a numpy array, neither a scalar"
            raise TypeError(f"Expected Ptr<cv::UMat> for argument 'dst': got "
                            f"{type(dst).__name__}")
        return None
    if dst.dtype.kind not in "biuf":
        raise TypeError(f"Expected Ptr<cv::UMat> for argument 'dst': dtype {dst.dtype} is not "
                        "an image type")
    if not dst.flags.writeable:
        raise ValueError("dst marked as output argument, but provided NumPy array marked as "
                         "readonly")
    if dst.dtype != dtype:
        return None
    a = img.array
    if dst.shape == a.shape:
        view = dst
    elif dst.shape == tuple(img.out_shape):  # an HxW dst for an HxWx1 image
        view = dst[:, :, None]
    else:
        return None
    if dst is not img.src and _may_share_memory(dst, a):
        return None
    return view


def _finish(result, img, dtype, dst):
    """cv2's output: src's shape (HxWx1 -> HxW), `dtype`; copied into `dst` when it fits (only
    reached for a src-overlapping dst: `_target` takes the others directly)."""
    result = np.asarray(result)
    if result.dtype != dtype:
        result = result.astype(dtype)
    if dst is not None and isinstance(dst, np.ndarray) and dst.dtype == dtype:
        if dst.shape == tuple(img.out_shape) or dst.shape == img.array.shape:
            np.copyto(dst, result.reshape(dst.shape))
            return dst
    return result.reshape(img.out_shape)


def _store(values, dtype, out):
    """A float64 result (ours to modify) in a dtype the library has no output for:
    cv::saturate_cast (round half to even, clamp); into `out` when given, else a new array."""
    if dtype == np.bool_:
        return np.not_equal(np.rint(values), 0, out=out)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        np.rint(values, out=values)
        np.clip(values, info.min, info.max, out=values)
    if out is None:
        return values.astype(dtype)
    np.copyto(out, values, casting="unsafe")
    return out


def _done(view, dst, result, img, dtype):
    """The call's return value: `dst` when the result went into `view`, else `result` shaped."""
    if view is not None:
        return dst
    return _finish(result, img, dtype, dst)


# ------------------------------------------------------------------------------------------------
# The filters' general paths
# ------------------------------------------------------------------------------------------------

def _single(f, src, dst, *args, **kw):
    """`f` (the public function) on an HxWx1 image through its HxW view (cv2 returns HxW for
    it): the same checks, numbers and output, on the fast path. An HxWx1 dst is written through
    its HxW view."""
    s = src[:, :, 0]
    if type(dst) is _ND and dst.ndim == 3 and dst.shape[2] == 1:
        d = dst[:, :, 0]
        r = f(s, *args, dst=d, **kw)
        return dst if r is d else r
    return f(s, *args, dst=dst, **kw)


def _hw1(src):
    """A non-empty HxWx1 ndarray (for `_single`)."""
    return type(src) is _ND and src.ndim == 3 and src.shape[2] == 1 and src.size


def _filter2D(public, src, ddepth, kernel, dst, anchor, delta, borderType):
    if _hw1(src):
        return _single(public, src, dst, ddepth, kernel, anchor=anchor, delta=delta,
                       borderType=borderType)
    img = _Image(src)
    k = _kernel2d(kernel)
    dd = _int(ddepth, "ddepth")
    src_dt = img.array.dtype
    if dd >= 0 and dd not in _DEPTH_DTYPE:
        raise ValueError(f"filter2D: unsupported destination format (ddepth={dd})")
    dtype = src_dt if dd < 0 else _DEPTH_DTYPE[dd]
    # a large kernel takes OpenCV's DFT path, which accepts every depth pair and BORDER_WRAP
    dft = k.size >= (130 if (_DTYPE_DEPTH.get(src_dt), _DTYPE_DEPTH.get(dtype)) in _DFT_130 else 50)
    if not dft:
        dtype = _out_depth(img, dd, _FILTER2D_PAIRS, "filter2D")
    at = _anchor(anchor, k.shape[1], k.shape[0])
    border = _border(borderType, allow_wrap=dft, what="filter2D")
    delta = _float(delta, "delta")
    view = _target(dst, img, dtype)
    if src_dt not in _NATIVE or dtype not in _NATIVE:  # other dtypes: through float64
        a = img.array if src_dt in _NATIVE else img.array.astype(np.float64)
        r = _filter2d(a, k, "float64", at, delta, border)
        return _done(view, dst, _store(r, dtype, view), img, dtype)
    r = _filter2d(img.array, k, _name(dtype), at, delta, border, 0.0, "HWC", "saturate", "auto",
                  view)
    return _done(view, dst, r, img, dtype)


def _sepFilter2D(public, src, ddepth, kernelX, kernelY, dst, anchor, delta, borderType):
    if _hw1(src):
        return _single(public, src, dst, ddepth, kernelX, kernelY, anchor=anchor,
                       delta=delta, borderType=borderType)
    img = _Image(src)
    dtype = _out_depth(img, ddepth, _SEP_PAIRS, "sepFilter2D")
    kx, ky = _vector(kernelX, "kernelX"), _vector(kernelY, "kernelY")
    if np.asarray(kernelX).dtype != np.asarray(kernelY).dtype:
        raise ValueError("sepFilter2D: kernelX.type() == kernelY.type() failed "
                         f"({np.asarray(kernelX).dtype} and {np.asarray(kernelY).dtype})")
    at = _anchor(anchor, kx.shape[0], ky.shape[0])
    border = _border(borderType, what="sepFilter2D")
    delta = _float(delta, "delta")
    view = _target(dst, img, dtype)
    r = _sep_filter2d(img.array, kx, ky, _name(dtype), at, delta, border, 0.0, "HWC", "saturate",
                      "auto", view)
    return _done(view, dst, r, img, dtype)


def _gauss_sizes(kw, kh, sx, sy):
    """GaussianBlur's sizes and sigmas as OpenCV reads them: sigmaY <= 0 means sigmaX, a side
    <= 0 is derived from a positive sigma (convkit's spelling of that side: 0), negative sigmas
    count as 0. (kw, kh, sigmaX, sigmaY), or None where OpenCV refuses the sizes (a side even or
    negative, or 0 without a positive sigma)."""
    if sy <= 0:
        sy = sx
    kw = 0 if (kw <= 0 and sx > 0) else kw
    kh = 0 if (kh <= 0 and sy > 0) else kh
    for side, s in ((kw, sx), (kh, sy)):
        if (side == 0 and not s > 0) or side < 0 or (side > 0 and side % 2 == 0):
            return None
    return kw, kh, max(sx, 0.0), max(sy, 0.0)


def _gauss_taps(kw, kh, sx, sy, depth):
    """The kernel's width and height in OpenCV (of `_gauss_sizes`' values): a side given, or the
    one it derives from the sigma; a side of 1 is a copy along that axis."""
    per_u8 = 3 if depth == _U8 else 4
    ew = kw or (int(round(sx * per_u8 * 2 + 1)) | 1)
    eh = kh or (int(round(sy * per_u8 * 2 + 1)) | 1)
    return ew, eh


def _GaussianBlur(public, src, ksize, sigmaX, dst, sigmaY, borderType):
    if _hw1(src):
        return _single(public, src, dst, ksize, sigmaX, sigmaY=sigmaY,
                       borderType=borderType)
    img = _Image(src)
    img.require_depth({_U8, _U16, _S16, _F32, _F64}, "GaussianBlur")
    kw, kh = _pair(ksize, "ksize")
    sx, sy = _float(sigmaX, "sigmaX"), _float(sigmaY, "sigmaY")
    for name, v in (("sigmaX", sx), ("sigmaY", sy)):
        if v != v or v in (_INF, -_INF):
            raise ValueError(f"GaussianBlur: {name} {v} is not a finite number")
    sizes = _gauss_sizes(kw, kh, sx, sy)
    if sizes is None:
        raise ValueError("GaussianBlur: ksize.width > 0 && ksize.width % 2 == 1 && "
                         f"ksize.height > 0 && ksize.height % 2 == 1 failed for ksize "
                         f"{tuple(ksize)} with sigmas {sigmaX}, {sigmaY}")
    kw, kh, sx, sy = sizes
    # OpenCV takes BORDER_WRAP only on its fixed-point (uint8/uint16) path, or when the kernel
    # is 1x1 (a copy): a side of 1 pixel gets a 1-tap kernel unless the border is constant
    rows, cols = img.array.shape[:2]
    ew, eh = _gauss_taps(kw, kh, sx, sy, img.depth)
    if (_int(borderType, "borderType") & ~_ISOLATED) != _CONSTANT:
        ew, eh = (1 if cols == 1 else ew), (1 if rows == 1 else eh)
    copy = ew == 1 and eh == 1
    border = _border(borderType, allow_wrap=img.depth in (_U8, _U16) or copy, what="GaussianBlur")
    dtype = img.array.dtype
    view = _target(dst, img, dtype)
    r = _gaussian_blur(img.array, (kw, kh), sx, sy, border, "HWC", "auto", view)
    return _done(view, dst, r, img, dtype)


def _boxFilter(public, src, ddepth, ksize, dst, anchor, normalize, borderType):
    if _hw1(src):
        return _single(public, src, dst, ddepth, ksize, anchor=anchor, normalize=normalize,
                       borderType=borderType)
    img = _Image(src)
    dtype = _out_depth(img, ddepth, _BOX_PAIRS, "boxFilter")
    kw, kh = _pair(ksize, "ksize")
    if kw <= 0 or kh <= 0:
        raise ValueError(f"boxFilter: ksize.width > 0 && ksize.height > 0 failed for {(kw, kh)}")
    at = _anchor(anchor, kw, kh)
    # OpenCV takes BORDER_WRAP only on its small-kernel float path (same depth, sides <= 5)
    small_float = img.depth in (_F32, _F64) and dtype == img.array.dtype and kw <= 5 and kh <= 5
    border = _border(borderType, allow_wrap=small_float, what="boxFilter")
    normalize = bool(normalize)
    a = img.array
    native = a.dtype in _NATIVE and dtype in _NATIVE
    exact = a if a.dtype in _NATIVE else a.astype(np.float64)  # for the float64 window sums
    quirk = None
    if a.dtype.kind == "i" and dtype.kind == "u":
        # OpenCV's SIMD lanes (the first floor(W*C/8)*8 samples of each row) store a signed
        # image's box value into an unsigned depth through an unsigned integer: a value that
        # rounds below 0 becomes the maximum (255 / 65535); the scalar tail saturates to 0.
        # (Worked out from src before the library writes: dst may be src.)
        total = _filter2d(exact, np.ones((kh, kw)), "float64", at, 0.0, border)
        rounded = np.rint(total * (1.0 / (kw * kh)) if normalize else total)
        row = _prod(a.shape[1:])
        quirk = (rounded < 0) & (np.arange(row) < row // 8 * 8).reshape(a.shape[1:])
    view = _target(dst, img, dtype)
    if native:
        r = _box_filter(a, _name(dtype), (kw, kh), at, normalize, border, "HWC", "auto", view)
    else:  # int32 source or destination: the exact window sum in float64, OpenCV's scaling
        total = _filter2d(exact, np.ones((kh, kw)), "float64", at, 0.0, border)
        if normalize:
            total *= 1.0 / (kw * kh)
        r = _store(total, dtype, view)
    if quirk is not None:
        np.copyto(r, np.iinfo(dtype).max, where=quirk)
    return _done(view, dst, r, img, dtype)


def _check_sobel(dx, dy, ksize, what):
    dx, dy, ksize = _int(dx, "dx"), _int(dy, "dy"), _int(ksize, "ksize")
    if ksize == _SCHARR:
        if dx < 0 or dy < 0 or dx + dy != 1:
            raise ValueError(f"{what}: dx >= 0 && dy >= 0 && dx+dy == 1 failed (dx={dx}, dy={dy})")
        return dx, dy, ksize
    if ksize <= 0 or ksize % 2 == 0 or ksize > 31:
        raise ValueError(f"{what}: the kernel size (ksize) must be odd and not larger than 31, "
                         f"got {ksize}")
    if dx < 0 or dy < 0 or dx + dy <= 0:
        raise ValueError(f"{what}: dx >= 0 && dy >= 0 && dx+dy > 0 failed (dx={dx}, dy={dy})")
    k = 3 if ksize == 1 else ksize
    for order, name in ((dx, "dx"), (dy, "dy")):
        if (ksize > 1 or order > 0) and not k > order:
            raise ValueError(f"{what}: ksize > order failed ({name}={order}, ksize={ksize})")
    return dx, dy, ksize


def _Sobel(public, src, ddepth, dx, dy, dst, ksize, scale, delta, borderType):
    if _hw1(src):
        return _single(public, src, dst, ddepth, dx, dy, ksize=ksize, scale=scale, delta=delta,
                       borderType=borderType)
    return _derivative("Sobel", src, ddepth, dx, dy, dst, ksize, scale, delta, borderType)


def _Scharr(public, src, ddepth, dx, dy, dst, scale, delta, borderType):
    if _hw1(src):
        return _single(public, src, dst, ddepth, dx, dy, scale=scale, delta=delta,
                       borderType=borderType)
    return _derivative("Scharr", src, ddepth, dx, dy, dst, _SCHARR, scale, delta, borderType)


def _derivative(what, src, ddepth, dx, dy, dst, ksize, scale, delta, borderType):
    """Sobel and Scharr (ksize FILTER_SCHARR) of an image that is not HxWx1; `what` names the
    function in the errors."""
    img = _Image(src)
    dtype = _out_depth(img, ddepth, _SEP_PAIRS, what)
    dx, dy, ksize = _check_sobel(dx, dy, ksize, what)
    border = _border(borderType, what=what)
    scale, delta = _float(scale, "scale"), _float(delta, "delta")
    view = _target(dst, img, dtype)
    if ksize == _SCHARR:
        r = _scharr(img.array, _name(dtype), dx, dy, scale, delta, border, "HWC", "auto", view)
    else:
        r = _sobel(img.array, _name(dtype), dx, dy, ksize, scale, delta, border, "HWC", "auto",
                   view)
    return _done(view, dst, r, img, dtype)


def _Laplacian(public, src, ddepth, dst, ksize, scale, delta, borderType):
    if _hw1(src):
        return _single(public, src, dst, ddepth, ksize=ksize, scale=scale, delta=delta,
                       borderType=borderType)
    img = _Image(src)
    ksize = _int(ksize, "ksize")
    if ksize <= 0 or ksize % 2 == 0 or ksize > 31:
        if ksize < 0 and ksize % 2 == 1:  # OpenCV's message for FILTER_SCHARR here
            raise ValueError("Laplacian: ksize > order failed")
        raise ValueError(f"Laplacian: the kernel size (ksize) must be odd and not larger than "
                         f"31, got {ksize}")
    pairs = _FILTER2D_PAIRS if ksize <= 3 else _LAPLACE_BIG_PAIRS
    dtype = _out_depth(img, ddepth, pairs, "Laplacian")
    border = _border(borderType, what="Laplacian")
    scale, delta = _float(scale, "scale"), _float(delta, "delta")
    view = _target(dst, img, dtype)
    if dtype in _NATIVE:
        r = _laplacian(img.array, _name(dtype), ksize, scale, delta, border, "HWC", "auto", view)
    else:  # int8 / int32 outputs (ksize >= 5 only): the float64 result, saturated
        r = _store(_laplacian(img.array, "float64", ksize, scale, delta, border), dtype, view)
    return _done(view, dst, r, img, dtype)


def _ktype(ktype, name):
    ktype = _int(ktype, name)
    if ktype not in (_F32, _F64):
        raise ValueError(f"{name} must be CV_32F or CV_64F, got {ktype}")
    return _DEPTH_DTYPE[ktype]

