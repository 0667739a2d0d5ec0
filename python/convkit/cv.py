"""Drop-in replacements for OpenCV's linear image filters (``cv2``).

Replace ``cv2.filter2D(...)`` by ``convkit.cv.filter2D(...)``: same argument order and keywords,
``ddepth=-1``, ``anchor``, ``delta``, ``borderType`` (with the same ``BORDER_*`` and ``CV_*``
integer values), HxW or HxWxC arrays (any strides, no copy), ``dst=`` honoured, and the output
shape and dtype cv2 gives::

    from convkit import cv
    blurred = cv.GaussianBlur(img, (0, 0), 2.0)                   # bit-exact on uint8/uint16
    dx = cv.Sobel(img, cv.CV_16S, 1, 0, ksize=3, borderType=cv.BORDER_REPLICATE)
    sharp = cv.filter2D(img, -1, kernel, anchor=(0, 0), delta=128)

Numbers: GaussianBlur on uint8/uint16 and blur/boxFilter on integer images are bit-exact with
OpenCV; integer outputs of integer kernels are exact; elsewhere OpenCV's float accumulation can
round a near-tie the other way (+-1 on an integer output, last bits of a float one).

Shapes follow cv2: an HxWx1 array comes back HxW (unless an HxWx1 ``dst`` is given), a 1-D
array of N samples is a 1xN image (returned 1xN), and a 1-D kernel is a row (1xN).
``dst``: when it is an array of the output's shape and dtype the result is written into it and
it is returned; otherwise a new array is returned and ``dst`` is left alone (as cv2 does).

Errors: cv2 raises ``cv2.error`` for everything. convkit raises
  - ``TypeError`` where cv2 cannot convert an argument ("Expected Ptr<cv::UMat>",
    "Can't parse ..."): a non-array ``src``/kernel/``dst``, a complex kernel or ``dst``, a
    ``ksize`` that is not a pair, a non-integer flag, an integer that does not fit a C int, an
    int too large for a float (that one is an ``OverflowError`` too);
  - ``ValueError`` where cv2 fails an assertion or refuses a depth, border or size (empty image,
    anchor outside the kernel, even ``ksize``, unsupported ``src``/``ddepth`` pair, BORDER_WRAP
    where OpenCV refuses it, BORDER_TRANSPARENT, more than 3 dimensions, a read-only ``dst``).
What cv2 accepts and refuses is kept: the depth/border tables below are OpenCV 5.0's own
(measured with opencv-python-headless 5.0.0.93), including filter2D's DFT path for kernels of
50+ taps (130+ for u8->u8, u8->s16, f32->f32), which takes every depth pair and BORDER_WRAP.
Depths the library has no kernel for (int8/int32 outputs, int8/int32/float16/bool sources of
that DFT path, int32 boxFilter) are computed in float64 and saturated like cv::saturate_cast;
int64/uint64 arrays are int32 images, as cv2's bindings make them.

OpenCV quirks reproduced: boxFilter of a signed image into an unsigned depth gives the maximum
for values rounding below 0 in OpenCV's SIMD lanes (the first floor(W*C/8)*8 samples of a row).
Not reproduced (OpenCV bugs): filter2D of uint32 images returns zeros in OpenCV 5.0; integer
Sobel with ksize 31 overflows OpenCV's int32 sums; blur of uint8 with a 2-pixel window wraps
(255+255)/2 to 0 in OpenCV 5.0 (convkit gives 255).

Per-call cost: every filter first tries a fast path for the common call (an ndarray image of
uint8/uint16/int16/float32/float64, HxW or HxWxC (HxWx1 through its HxW view), exact int/float
arguments, no BORDER_WRAP) with its depth/border decisions cached per (src dtype, ddepth,
borderType) and a ``dst`` handed to the library as its output; anything else takes the general
path, which makes every check and raises every error described above.
"""

import numbers

import numpy as np

from . import _core

__all__ = [
    "filter2D", "sepFilter2D", "GaussianBlur", "blur", "boxFilter", "Sobel", "Scharr", "Laplacian",
    "getGaussianKernel", "getDerivKernels",
    "BORDER_CONSTANT", "BORDER_REPLICATE", "BORDER_REFLECT", "BORDER_WRAP", "BORDER_REFLECT_101",
    "BORDER_REFLECT101", "BORDER_DEFAULT", "BORDER_TRANSPARENT", "BORDER_ISOLATED",
    "CV_8U", "CV_8S", "CV_16U", "CV_16S", "CV_32S", "CV_32F", "CV_64F", "FILTER_SCHARR",
]

BORDER_CONSTANT = 0
BORDER_REPLICATE = 1
BORDER_REFLECT = 2
BORDER_WRAP = 3
BORDER_REFLECT_101 = 4
BORDER_REFLECT101 = 4
BORDER_DEFAULT = 4
BORDER_TRANSPARENT = 5
BORDER_ISOLATED = 16

CV_8U = 0
CV_8S = 1
CV_16U = 2
CV_16S = 3
CV_32S = 4
CV_32F = 5
CV_64F = 6

FILTER_SCHARR = -1

_BORDER_NAMES = {BORDER_CONSTANT: "constant", BORDER_REPLICATE: "replicate",
                 BORDER_REFLECT: "reflect", BORDER_WRAP: "wrap", BORDER_REFLECT_101: "mirror"}
_DEPTH_DTYPE = {CV_8U: np.dtype(np.uint8), CV_8S: np.dtype(np.int8), CV_16U: np.dtype(np.uint16),
                CV_16S: np.dtype(np.int16), CV_32S: np.dtype(np.int32),
                CV_32F: np.dtype(np.float32), CV_64F: np.dtype(np.float64)}
_DTYPE_DEPTH = {dt: d for d, dt in _DEPTH_DTYPE.items()}
# the dtypes the library computes natively; int8/int32 outputs go through a float64 result
_NATIVE = {np.dtype(t) for t in ("uint8", "uint16", "int16", "float32", "float64")}

# OpenCV 5.0's accepted (src, dst) depth pairs, per family
_U8, _S8, _U16, _S16, _S32, _F32, _F64 = (CV_8U, CV_8S, CV_16U, CV_16S, CV_32S, CV_32F, CV_64F)
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

# The fast paths: module-level names (no attribute look-ups per call).
_ND = np.ndarray
_DT_F32, _DT_F64 = np.dtype(np.float32), np.dtype(np.float64)
_FLOAT_KERNEL = (_DT_F32, _DT_F64)  # dtype objects: comparing with np.float32 converts it each time
_AS_INT32 = (np.dtype(np.int64), np.dtype(np.uint64))
_CENTRE = (-1, -1)  # the anchor default; the library's -1 is cv::normalizeAnchor's centre
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
    base = bt & ~BORDER_ISOLATED
    if base not in _BORDER_NAMES:
        raise ValueError(f"{what}: borderType {bt} is not supported (BORDER_CONSTANT, "
                         "BORDER_REPLICATE, BORDER_REFLECT, BORDER_REFLECT_101"
                         f"{', BORDER_WRAP' if allow_wrap else ''})")
    if base == BORDER_WRAP and not allow_wrap:
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
# Fast-path decisions, cached per (src dtype, ddepth, borderType)
# ------------------------------------------------------------------------------------------------
# An entry (ddepth argument for the library, border name, output dtype) exists only where the
# general path would run the library straight on src with that dtype: native source and output
# dtypes, an accepted depth pair and border, no BORDER_WRAP (its acceptance depends on sizes).
# Only accepted keys are stored, so the dicts stay small (<= 7 dtypes x ddepths x borders).

def _learn(cache, key, pairs):
    dt, ddepth, bt = key
    depth = _DTYPE_DEPTH.get(dt)
    if dt not in _NATIVE or depth not in pairs:
        return None
    out_depth = depth if ddepth < 0 else ddepth
    base = bt & ~BORDER_ISOLATED
    if out_depth not in pairs[depth] or base not in _BORDER_NAMES or base == BORDER_WRAP:
        return None
    out = _DEPTH_DTYPE[out_depth]
    if out not in _NATIVE:
        return None
    entry = (None if out == dt else _name(out), _BORDER_NAMES[base], out)
    cache[key] = entry
    return entry


_F2D = {}   # filter2D with a kernel of < 50 taps (never OpenCV's DFT path)
_SEP = {}   # sepFilter2D, Sobel, Scharr
_BOX = {}   # boxFilter, blur: no int32, no signed -> unsigned (OpenCV's SIMD-lane quirk)
_LAP = {}   # Laplacian ksize 1, 3
_LAP5 = {}  # Laplacian ksize 5..31
_GAUSS = {}  # GaussianBlur: (dtype, kw, kh, sigmaX, sigmaY, borderType) -> library arguments
_SOBEL_OK = set()  # (dx, dy, ksize) that passed _check_sobel


def _learn_box(key):
    entry = _learn(_BOX, key, _BOX_PAIRS)
    if entry is not None and key[0].kind == "i" and entry[2].kind == "u":
        del _BOX[key]
        return None
    return entry


_GAUSS_LIMIT = 512


def _learn_gauss(key):
    """GaussianBlur's checks for exact int sizes / real sigmas (no BORDER_WRAP on float images:
    whether OpenCV takes it there depends on the image size)."""
    dt, kw, kh, sigma_x, sigma_y, bt = key
    depth = _DTYPE_DEPTH.get(dt)
    if dt not in _NATIVE or depth is None or not (_INT_MIN <= kw <= _INT_MAX and
                                                  _INT_MIN <= kh <= _INT_MAX):
        return None
    try:
        sx, sy = float(sigma_x), float(sigma_y)
    except OverflowError:  # an int too large for a float: the general path refuses it
        return None
    if sy <= 0:
        sy = sx
    kw = 0 if (kw <= 0 and sx > 0) else kw
    kh = 0 if (kh <= 0 and sy > 0) else kh
    for side, s in ((kw, sx), (kh, sy)):
        if (side == 0 and not s > 0) or side < 0 or (side > 0 and side % 2 == 0):
            return None
    base = bt & ~BORDER_ISOLATED
    if base not in _BORDER_NAMES or (base == BORDER_WRAP and depth not in (_U8, _U16)):
        return None
    sx, sy = max(sx, 0.0), max(sy, 0.0)
    per_u8 = 3 if depth == _U8 else 4  # the sides OpenCV derives (1: a copy along that axis)
    ew = kw or (int(round(sx * per_u8 * 2 + 1)) | 1)
    eh = kh or (int(round(sy * per_u8 * 2 + 1)) | 1)
    if len(_GAUSS) >= _GAUSS_LIMIT:  # sigmas are unbounded: keep the cache small
        _GAUSS.clear()
    entry = ((kw, kh), sx, sy, _BORDER_NAMES[base], dt, ew == 1, eh == 1)
    _GAUSS[key] = entry
    return entry


# ------------------------------------------------------------------------------------------------
# The filters
# ------------------------------------------------------------------------------------------------

def _single(f, src, dst, *args, **kw):
    """`f` on an HxWx1 image through its HxW view (cv2 returns HxW for it): the same checks,
    numbers and output, on the fast path. An HxWx1 dst is written through its HxW view."""
    s = src[:, :, 0]
    if type(dst) is _ND and dst.ndim == 3 and dst.shape[2] == 1:
        d = dst[:, :, 0]
        r = f(s, *args, dst=d, **kw)
        return dst if r is d else r
    return f(s, *args, dst=dst, **kw)


def _hw1(src):
    """A non-empty HxWx1 ndarray (for `_single`)."""
    return type(src) is _ND and src.ndim == 3 and src.shape[2] == 1 and src.size


def _at(anchor, kw, kh):
    """A non-default anchor for a fast path: an exact (x, y) int tuple inside the kw x kh
    kernel, -1 = centre (passed on as is: the library's -1 is cv::normalizeAnchor's centre);
    None for anything else (the general path checks and refuses it)."""
    if type(anchor) is tuple and len(anchor) == 2:
        x, y = anchor
        if type(x) is int and type(y) is int and -1 <= x < kw and -1 <= y < kh:
            return anchor
    return None


# The fast paths below call the library only where the general path would make the same call
# (or one with the same result). What they leave to the library's own checks (an empty image
# or kernel, a kernel that is not 1xN / HxW, a read-only dst or one of another shape, ...)
# raises ValueError / TypeError there before anything is written; they then take the general
# path, which raises cv's error or returns a new array as cv2 does. Exact int / float scalars
# go to the library as they are (its float conversion is float()'s; it refuses an int too
# large for a float, and the general path then raises a TypeError that is an OverflowError
# too); ksize sides beyond a C int are left to the general path.

def filter2D(src, ddepth, kernel, dst=None, anchor=_CENTRE, delta=0, borderType=BORDER_DEFAULT):
    """``cv2.filter2D``: correlation of every channel with `kernel` (output = src's size)."""
    if type(src) is _ND and type(kernel) is _ND and type(ddepth) is int \
            and type(borderType) is int:
        try:
            e = _F2D[src.dtype, ddepth, borderType]
        except KeyError:
            e = _learn(_F2D, (src.dtype, ddepth, borderType), _FILTER2D_PAIRS)
        nd = src.ndim
        # < 50 taps: never OpenCV's DFT path; a 1-D kernel is a 1xN row for the library too
        if e is not None and kernel.size < 50 and (nd == 2 or (nd == 3 and src.shape[2] != 1)):
            k = kernel
            kd = k.dtype
            if kd is not _DT_F32 and kd is not _DT_F64:
                k = k.astype(_DT_F64) if kd.kind in "biuf" and k.ndim == 2 else None
            t = type(delta)
            at = anchor
            if at is not _CENTRE:
                at = _at(at, k.shape[1], k.shape[0]) if k is not None and k.ndim == 2 else None
            if k is not None and at is not None and (t is float or t is int):
                try:
                    if dst is None:
                        return _filter2d(src, k, e[0], at, delta, e[1])
                    if type(dst) is _ND and dst.dtype is e[2]:
                        _filter2d(src, k, e[0], at, delta, e[1], 0.0, "HWC", "saturate",
                                  "auto", dst)
                        return dst
                except (ValueError, TypeError):
                    pass
    return _filter2D(src, ddepth, kernel, dst, anchor, delta, borderType)


def _filter2D(src, ddepth, kernel, dst, anchor, delta, borderType):
    if _hw1(src):
        return _single(filter2D, src, dst, ddepth, kernel, anchor=anchor, delta=delta,
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


def sepFilter2D(src, ddepth, kernelX, kernelY, dst=None, anchor=_CENTRE, delta=0,
                borderType=BORDER_DEFAULT):
    """``cv2.sepFilter2D``: correlation with kernelY (down the columns) x kernelX (along rows)."""
    if type(src) is _ND and type(kernelX) is _ND and type(kernelY) is _ND \
            and type(ddepth) is int and type(borderType) is int:
        try:
            e = _SEP[src.dtype, ddepth, borderType]
        except KeyError:
            e = _learn(_SEP, (src.dtype, ddepth, borderType), _SEP_PAIRS)
        nd = src.ndim
        kd = kernelX.dtype
        t = type(delta)
        # float vectors of one dtype; the library takes N, 1xN and Nx1 as they are
        if e is not None and (nd == 2 or (nd == 3 and src.shape[2] != 1)) \
                and (kd is _DT_F32 or kd is _DT_F64) and kernelY.dtype is kd \
                and (t is float or t is int):
            at = anchor if anchor is _CENTRE else _at(anchor, kernelX.size, kernelY.size)
            if at is not None:
                try:
                    if dst is None:
                        return _sep_filter2d(src, kernelX, kernelY, e[0], at, delta, e[1])
                    if type(dst) is _ND and dst.dtype is e[2]:
                        _sep_filter2d(src, kernelX, kernelY, e[0], at, delta, e[1], 0.0,
                                      "HWC", "saturate", "auto", dst)
                        return dst
                except (ValueError, TypeError):
                    pass
    return _sepFilter2D(src, ddepth, kernelX, kernelY, dst, anchor, delta, borderType)


def _sepFilter2D(src, ddepth, kernelX, kernelY, dst, anchor, delta, borderType):
    if _hw1(src):
        return _single(sepFilter2D, src, dst, ddepth, kernelX, kernelY, anchor=anchor,
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


def GaussianBlur(src, ksize, sigmaX, dst=None, sigmaY=0, borderType=BORDER_DEFAULT):
    """``cv2.GaussianBlur``: bit-exact with OpenCV on uint8 and uint16 images.

    As OpenCV: sigmaY <= 0 means sigmaX; a ksize side <= 0 is derived from its sigma
    (``round(sigma * (3 if uint8 else 4) * 2 + 1) | 1``); negative sigmas count as 0."""
    if type(src) is _ND and type(ksize) is tuple and len(ksize) == 2 and type(borderType) is int:
        kw, kh = ksize
        t, u = type(sigmaX), type(sigmaY)
        nd = src.ndim
        if type(kw) is int and type(kh) is int and (t is float or t is int) \
                and (u is float or u is int) and (nd == 2 or (nd == 3 and src.shape[2] != 1)):
            key = (src.dtype, kw, kh, sigmaX, sigmaY, borderType)
            try:
                e = _GAUSS[key]
            except KeyError:
                e = _learn_gauss(key)
            if e is not None:
                try:
                    if dst is None:
                        return _gaussian_blur(src, e[0], e[1], e[2], e[3])
                    if type(dst) is _ND and dst.dtype is e[4]:
                        # a 1x1 kernel (also a 1-pixel side off BORDER_CONSTANT) is a plain
                        # element copy in the library, right only for dst src itself or apart
                        if dst is not src and (e[5] or src.shape[1] == 1) \
                                and (e[6] or src.shape[0] == 1) and _may_share_memory(dst, src):
                            return _GaussianBlur(src, ksize, sigmaX, dst, sigmaY, borderType)
                        _gaussian_blur(src, e[0], e[1], e[2], e[3], "HWC", "auto", dst)
                        return dst
                except (ValueError, TypeError):
                    pass
    return _GaussianBlur(src, ksize, sigmaX, dst, sigmaY, borderType)


def _GaussianBlur(src, ksize, sigmaX, dst, sigmaY, borderType):
    if _hw1(src):
        return _single(GaussianBlur, src, dst, ksize, sigmaX, sigmaY=sigmaY,
                       borderType=borderType)
    img = _Image(src)
    img.require_depth({_U8, _U16, _S16, _F32, _F64}, "GaussianBlur")
    kw, kh = _pair(ksize, "ksize")
    sx, sy = _float(sigmaX, "sigmaX"), _float(sigmaY, "sigmaY")
    for name, v in (("sigmaX", sx), ("sigmaY", sy)):
        if v != v or v in (_INF, -_INF):
            raise ValueError(f"GaussianBlur: {name} {v} is not a finite number")
    if sy <= 0:
        sy = sx
    # OpenCV derives a side <= 0 from a positive sigma; convkit's spelling of that is 0
    kw = 0 if (kw <= 0 and sx > 0) else kw
    kh = 0 if (kh <= 0 and sy > 0) else kh
    for side, s in ((kw, sx), (kh, sy)):
        if (side == 0 and not s > 0) or side < 0 or (side > 0 and side % 2 == 0):
            raise ValueError("GaussianBlur: ksize.width > 0 && ksize.width % 2 == 1 && "
                             f"ksize.height > 0 && ksize.height % 2 == 1 failed for ksize "
                             f"{tuple(ksize)} with sigmas {sigmaX}, {sigmaY}")
    sx, sy = max(sx, 0.0), max(sy, 0.0)
    # OpenCV takes BORDER_WRAP only on its fixed-point (uint8/uint16) path, or when the kernel
    # is 1x1 (a copy): a side of 1 pixel gets a 1-tap kernel unless the border is constant
    rows, cols = img.array.shape[:2]
    per_u8 = 3 if img.depth == _U8 else 4
    ew = kw or (int(round(sx * per_u8 * 2 + 1)) | 1)
    eh = kh or (int(round(sy * per_u8 * 2 + 1)) | 1)
    if (_int(borderType, "borderType") & ~BORDER_ISOLATED) != BORDER_CONSTANT:
        ew, eh = (1 if cols == 1 else ew), (1 if rows == 1 else eh)
    copy = ew == 1 and eh == 1
    border = _border(borderType, allow_wrap=img.depth in (_U8, _U16) or copy, what="GaussianBlur")
    dtype = img.array.dtype
    view = _target(dst, img, dtype)
    r = _gaussian_blur(img.array, (kw, kh), sx, sy, border, "HWC", "auto", view)
    return _done(view, dst, r, img, dtype)


def boxFilter(src, ddepth, ksize, dst=None, anchor=_CENTRE, normalize=True,
              borderType=BORDER_DEFAULT):
    """``cv2.boxFilter``: the (normalised) sum over a ksize window; OpenCV's integer rounding."""
    if type(src) is _ND and type(ddepth) is int and type(borderType) is int \
            and type(ksize) is tuple and len(ksize) == 2:
        try:
            e = _BOX[src.dtype, ddepth, borderType]
        except KeyError:
            e = _learn_box((src.dtype, ddepth, borderType))
        kw, kh = ksize
        nd = src.ndim
        if e is not None and type(kw) is int and type(kh) is int \
                and 0 < kw <= _INT_MAX and 0 < kh <= _INT_MAX \
                and (nd == 2 or (nd == 3 and src.shape[2] != 1)):
            at = anchor if anchor is _CENTRE else _at(anchor, kw, kh)
            n = type(normalize)
            if at is not None and (n is bool or n is int):
                n = bool(normalize)
                try:
                    if dst is None:
                        return _box_filter(src, e[0], ksize, at, n, e[1])
                    if type(dst) is _ND and dst.dtype is e[2]:
                        _box_filter(src, e[0], ksize, at, n, e[1], "HWC", "auto", dst)
                        return dst
                except (ValueError, TypeError):
                    pass
    return _boxFilter(src, ddepth, ksize, dst, anchor, normalize, borderType)


def _boxFilter(src, ddepth, ksize, dst, anchor, normalize, borderType):
    if _hw1(src):
        return _single(boxFilter, src, dst, ddepth, ksize, anchor=anchor, normalize=normalize,
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


def blur(src, ksize, dst=None, anchor=_CENTRE, borderType=BORDER_DEFAULT):
    """``cv2.blur`` = boxFilter(src, -1, ksize, anchor, True, borderType)."""
    if type(src) is _ND and type(borderType) is int and type(ksize) is tuple and len(ksize) == 2:
        try:
            e = _BOX[src.dtype, -1, borderType]
        except KeyError:
            e = _learn_box((src.dtype, -1, borderType))
        kw, kh = ksize
        nd = src.ndim
        if e is not None and type(kw) is int and type(kh) is int \
                and 0 < kw <= _INT_MAX and 0 < kh <= _INT_MAX \
                and (nd == 2 or (nd == 3 and src.shape[2] != 1)):
            at = anchor if anchor is _CENTRE else _at(anchor, kw, kh)
            if at is not None:
                try:
                    if dst is None:
                        return _box_filter(src, None, ksize, at, True, e[1])
                    if type(dst) is _ND and dst.dtype is e[2]:
                        _box_filter(src, None, ksize, at, True, e[1], "HWC", "auto", dst)
                        return dst
                except (ValueError, TypeError):
                    pass
    return _boxFilter(src, -1, ksize, dst, anchor, True, borderType)


def _check_sobel(dx, dy, ksize, what):
    dx, dy, ksize = _int(dx, "dx"), _int(dy, "dy"), _int(ksize, "ksize")
    if ksize == FILTER_SCHARR:
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


def _sobel_ok(dx, dy, ksize):
    """(dx, dy, ksize) of exact ints that _check_sobel accepts (learned: a small finite set)."""
    try:
        _check_sobel(dx, dy, ksize, "Sobel")
    except ValueError:
        return False
    _SOBEL_OK.add((dx, dy, ksize))
    return True


def Sobel(src, ddepth, dx, dy, dst=None, ksize=3, scale=1, delta=0, borderType=BORDER_DEFAULT):
    """``cv2.Sobel``: separable derivative filter (ksize 1, 3, ..., 31 or FILTER_SCHARR)."""
    if type(src) is _ND and type(ddepth) is int and type(borderType) is int \
            and type(dx) is int and type(dy) is int and type(ksize) is int:
        try:
            e = _SEP[src.dtype, ddepth, borderType]
        except KeyError:
            e = _learn(_SEP, (src.dtype, ddepth, borderType), _SEP_PAIRS)
        nd = src.ndim
        t, u = type(scale), type(delta)
        if e is not None and (nd == 2 or (nd == 3 and src.shape[2] != 1)) \
                and (t is float or t is int) and (u is float or u is int) \
                and ((dx, dy, ksize) in _SOBEL_OK or _sobel_ok(dx, dy, ksize)):
            try:
                if dst is None:
                    if ksize == FILTER_SCHARR:
                        return _scharr(src, e[0], dx, dy, scale, delta, e[1])
                    return _sobel(src, e[0], dx, dy, ksize, scale, delta, e[1])
                if type(dst) is _ND and dst.dtype is e[2]:
                    if ksize == FILTER_SCHARR:
                        _scharr(src, e[0], dx, dy, scale, delta, e[1], "HWC", "auto", dst)
                    else:
                        _sobel(src, e[0], dx, dy, ksize, scale, delta, e[1], "HWC", "auto", dst)
                    return dst
            except (ValueError, TypeError):
                pass
    return _Sobel(src, ddepth, dx, dy, dst, ksize, scale, delta, borderType)


def _Sobel(src, ddepth, dx, dy, dst, ksize, scale, delta, borderType):
    if _hw1(src):
        return _single(Sobel, src, dst, ddepth, dx, dy, ksize=ksize, scale=scale, delta=delta,
                       borderType=borderType)
    img = _Image(src)
    dtype = _out_depth(img, ddepth, _SEP_PAIRS, "Sobel")
    dx, dy, ksize = _check_sobel(dx, dy, ksize, "Sobel")
    border = _border(borderType, what="Sobel")
    scale, delta = _float(scale, "scale"), _float(delta, "delta")
    view = _target(dst, img, dtype)
    if ksize == FILTER_SCHARR:
        r = _scharr(img.array, _name(dtype), dx, dy, scale, delta, border, "HWC", "auto", view)
    else:
        r = _sobel(img.array, _name(dtype), dx, dy, ksize, scale, delta, border, "HWC", "auto",
                   view)
    return _done(view, dst, r, img, dtype)


def Scharr(src, ddepth, dx, dy, dst=None, scale=1, delta=0, borderType=BORDER_DEFAULT):
    """``cv2.Scharr``: the 3x3 Scharr derivative, dx + dy == 1."""
    if type(src) is _ND and type(ddepth) is int and type(borderType) is int \
            and type(dx) is int and type(dy) is int:
        try:
            e = _SEP[src.dtype, ddepth, borderType]
        except KeyError:
            e = _learn(_SEP, (src.dtype, ddepth, borderType), _SEP_PAIRS)
        nd = src.ndim
        t, u = type(scale), type(delta)
        if e is not None and (nd == 2 or (nd == 3 and src.shape[2] != 1)) \
                and (t is float or t is int) and (u is float or u is int) \
                and ((dx == 1 and dy == 0) or (dx == 0 and dy == 1)):
            try:
                if dst is None:
                    return _scharr(src, e[0], dx, dy, scale, delta, e[1])
                if type(dst) is _ND and dst.dtype is e[2]:
                    _scharr(src, e[0], dx, dy, scale, delta, e[1], "HWC", "auto", dst)
                    return dst
            except (ValueError, TypeError):
                pass
    return _Scharr(src, ddepth, dx, dy, dst, scale, delta, borderType)


def _Scharr(src, ddepth, dx, dy, dst, scale, delta, borderType):
    if _hw1(src):
        return _single(Scharr, src, dst, ddepth, dx, dy, scale=scale, delta=delta,
                       borderType=borderType)
    img = _Image(src)
    dtype = _out_depth(img, ddepth, _SEP_PAIRS, "Scharr")
    dx, dy, _ = _check_sobel(dx, dy, FILTER_SCHARR, "Scharr")
    border = _border(borderType, what="Scharr")
    scale, delta = _float(scale, "scale"), _float(delta, "delta")
    view = _target(dst, img, dtype)
    r = _scharr(img.array, _name(dtype), dx, dy, scale, delta, border, "HWC", "auto", view)
    return _done(view, dst, r, img, dtype)


def Laplacian(src, ddepth, dst=None, ksize=1, scale=1, delta=0, borderType=BORDER_DEFAULT):
    """``cv2.Laplacian``: d2/dx2 + d2/dy2 (ksize 1 and 3: OpenCV's 3x3 kernels; 5..31: Sobel)."""
    if type(src) is _ND and type(ddepth) is int and type(borderType) is int \
            and type(ksize) is int and 0 < ksize < 32 and ksize & 1:
        key = (src.dtype, ddepth, borderType)
        if ksize <= 3:
            try:
                e = _LAP[key]
            except KeyError:
                e = _learn(_LAP, key, _FILTER2D_PAIRS)
        else:
            try:
                e = _LAP5[key]
            except KeyError:
                e = _learn(_LAP5, key, _LAPLACE_BIG_PAIRS)
        nd = src.ndim
        t, u = type(scale), type(delta)
        if e is not None and (nd == 2 or (nd == 3 and src.shape[2] != 1)) \
                and (t is float or t is int) and (u is float or u is int):
            try:
                if dst is None:
                    return _laplacian(src, e[0], ksize, scale, delta, e[1])
                if type(dst) is _ND and dst.dtype is e[2]:
                    _laplacian(src, e[0], ksize, scale, delta, e[1], "HWC", "auto", dst)
                    return dst
            except (ValueError, TypeError):
                pass
    return _Laplacian(src, ddepth, dst, ksize, scale, delta, borderType)


def _Laplacian(src, ddepth, dst, ksize, scale, delta, borderType):
    if _hw1(src):
        return _single(Laplacian, src, dst, ddepth, ksize=ksize, scale=scale, delta=delta,
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


# ------------------------------------------------------------------------------------------------
# Kernel builders
# ------------------------------------------------------------------------------------------------

def _ktype(ktype, name):
    ktype = _int(ktype, name)
    if ktype not in (CV_32F, CV_64F):
        raise ValueError(f"{name} must be CV_32F or CV_64F, got {ktype}")
    return _DEPTH_DTYPE[ktype]


def getGaussianKernel(ksize, sigma, ktype=CV_64F):
    """``cv2.getGaussianKernel``: a ksize x 1 column of Gaussian taps summing to 1."""
    ksize = _int(ksize, "ksize")
    sigma = _float(sigma, "sigma")
    dtype = _ktype(ktype, "ktype")
    if ksize <= 0:
        raise ValueError(f"getGaussianKernel: n > 0 failed (ksize={ksize})")
    k = np.asarray(_core.get_gaussian_kernel(ksize, sigma, dtype="float64"))
    return k.reshape(-1, 1).astype(dtype)  # OpenCV computes in double, then converts


def getDerivKernels(dx, dy, ksize, kx=None, ky=None, normalize=False, ktype=CV_32F):
    """``cv2.getDerivKernels``: (kx, ky) as column vectors for Sobel/Scharr derivatives."""
    dtype = _ktype(ktype, "ktype")
    dx, dy, ksize = _int(dx, "dx"), _int(dy, "dy"), _int(ksize, "ksize")
    if ksize == FILTER_SCHARR:
        if dx < 0 or dy < 0 or dx + dy != 1:
            raise ValueError("getDerivKernels: dx >= 0 && dy >= 0 && dx+dy == 1 failed")
    else:
        if ksize <= 0 or ksize % 2 == 0 or ksize > 31:
            raise ValueError("getDerivKernels: the kernel size (ksize) must be odd and not "
                             f"larger than 31, got {ksize}")
        k = 3 if ksize == 1 else ksize
        for order, name in ((dx, "dx"), (dy, "dy")):
            if order < 0:
                raise ValueError(f"getDerivKernels: orders must be >= 0 ({name}={order})")
            if (ksize > 1 or order > 0) and not k > order:
                raise ValueError(f"getDerivKernels: ksize > order failed ({name}={order}, "
                                 f"ksize={ksize})")
    rx, ry = _core.get_deriv_kernels(dx, dy, ksize, normalize=bool(normalize), dtype=_name(dtype))
    return np.asarray(rx).reshape(-1, 1), np.asarray(ry).reshape(-1, 1)
