"""Drop-in replacements for OpenCV's linear image filters (``cv2``).

Also the integral images ``integral``, ``integral2`` and ``integral3`` (summed-area tables,
squared and tilted, with OpenCV's depth rules; see ``convkit._cv_integral``).

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
What cv2 accepts and refuses is kept: the depth/border tables are OpenCV 5.0's own
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

import numpy as np

from . import _core
# the general path: every check and error, OpenCV's depth/border tables (keyed by the codes below)
from ._cv_checked import (
    _BORDER_NAMES, _BOX_PAIRS, _DEPTH_DTYPE, _DTYPE_DEPTH, _FILTER2D_PAIRS, _FLOAT_KERNEL, _INT_MAX,
    _INT_MIN, _LAPLACE_BIG_PAIRS, _NATIVE, _SEP_PAIRS, _boxFilter, _check_sobel, _filter2D,
    _float, _gauss_sizes, _gauss_taps, _GaussianBlur, _int, _ktype, _Laplacian, _name, _Scharr,
    _sepFilter2D, _Sobel,
)
# summed-area tables: cv2.integral / integral2 / integral3
from ._cv_integral import integral, integral2, integral3

__all__ = [
    "filter2D", "sepFilter2D", "GaussianBlur", "blur", "boxFilter", "Sobel", "Scharr", "Laplacian",
    "getGaussianKernel", "getDerivKernels", "integral", "integral2", "integral3",
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

# The fast paths: module-level names (no attribute look-ups per call).
_ND = np.ndarray
_DT_F32, _DT_F64 = _FLOAT_KERNEL
_CENTRE = (-1, -1)  # the anchor default; the library's -1 is cv::normalizeAnchor's centre
_filter2d, _sep_filter2d = _core.filter2d, _core.sep_filter2d
_gaussian_blur, _box_filter = _core.gaussian_blur, _core.box_filter
_sobel, _scharr, _laplacian = _core.sobel, _core.scharr, _core.laplacian
_may_share_memory = np.may_share_memory


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
    sizes = _gauss_sizes(kw, kh, sx, sy)
    base = bt & ~BORDER_ISOLATED
    if sizes is None or base not in _BORDER_NAMES \
            or (base == BORDER_WRAP and depth not in (CV_8U, CV_16U)):
        return None
    kw, kh, sx, sy = sizes
    ew, eh = _gauss_taps(kw, kh, sx, sy, depth)
    if len(_GAUSS) >= _GAUSS_LIMIT:  # sigmas are unbounded: keep the cache small
        _GAUSS.clear()
    entry = ((kw, kh), sx, sy, _BORDER_NAMES[base], dt, ew == 1, eh == 1)
    _GAUSS[key] = entry
    return entry


def _sobel_ok(dx, dy, ksize):
    """(dx, dy, ksize) of exact ints that _check_sobel accepts (learned: a small finite set)."""
    try:
        _check_sobel(dx, dy, ksize, "Sobel")
    except ValueError:
        return False
    _SOBEL_OK.add((dx, dy, ksize))
    return True


# ------------------------------------------------------------------------------------------------
# The filters
# ------------------------------------------------------------------------------------------------

def _at(anchor, kw, kh):
    """A non-default anchor for a fast path: an exact (x, y) int tuple inside the kw x kh
    kernel, -1 = centre (passed on as is: the library's -1 is cv::normalizeAnchor's centre);
    None for anything else (the general path checks and refuses it)."""
    if type(anchor) is tuple and len(anchor) == 2:
        x, y = anchor
        if type(x) is int and type(y) is int and -1 <= x < kw and -1 <= y < kh:
            return anchor
    return None


def _native(f, args, dst, dtype):
    """The fast paths' library call `f(*args)`, the last argument `dst` (the library's out=),
    made where `dst` is None (a new array) or an ndarray of the output `dtype` (written and
    returned: the library returns its out). None where the general path takes the call: any
    other dst, or a ValueError / TypeError from the library's own checks (before it writes).
    (One helper for the eight fast paths: it costs under ~0.1 us a call over the call written
    out in each.)"""
    if dst is None or (type(dst) is _ND and dst.dtype is dtype):
        try:
            return f(*args)
        except (ValueError, TypeError):
            pass
    return None


# The fast paths below call the library only where the general path would make the same call
# (or one with the same result). What they leave to the library's own checks (an empty image
# or kernel, a kernel that is not 1xN / HxW, a read-only dst or one of another shape, ...)
# raises ValueError / TypeError there before anything is written; they then take the general
# path, which raises cv's error or returns a new array as cv2 does. Exact int / float scalars
# go to the library as they are (its float conversion is float()'s; it refuses an int too
# large for a float, and the general path then raises a TypeError that is an OverflowError
# too); ksize sides beyond a C int are left to the general path.
# Each fast path ends in `_native` (the library call, into dst or a new array) and then its
# general function, which takes the public function first (an HxWx1 image goes back to it
# through its HxW view). The guards before (exact types, the cached entry) are written out in
# each function: a shared one would be another Python call on every call.

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
                r = _native(_filter2d, (src, k, e[0], at, delta, e[1], 0.0, "HWC", "saturate",
                                        "auto", dst), dst, e[2])
                if r is not None:
                    return r
    return _filter2D(filter2D, src, ddepth, kernel, dst, anchor, delta, borderType)


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
                r = _native(_sep_filter2d, (src, kernelX, kernelY, e[0], at, delta, e[1], 0.0,
                                            "HWC", "saturate", "auto", dst), dst, e[2])
                if r is not None:
                    return r
    return _sepFilter2D(sepFilter2D, src, ddepth, kernelX, kernelY, dst, anchor, delta,
                        borderType)


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
            # a 1x1 kernel (also a 1-pixel side off BORDER_CONSTANT) is a plain element copy in
            # the library, right only for dst src itself or apart: an overlapping dst goes on
            if e is not None and (dst is None or dst is src or type(dst) is not _ND
                                  or not (e[5] or src.shape[1] == 1)
                                  or not (e[6] or src.shape[0] == 1)
                                  or not _may_share_memory(dst, src)):
                r = _native(_gaussian_blur, (src, e[0], e[1], e[2], e[3], "HWC", "auto", dst),
                            dst, e[4])
                if r is not None:
                    return r
    return _GaussianBlur(GaussianBlur, src, ksize, sigmaX, dst, sigmaY, borderType)


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
                r = _native(_box_filter, (src, e[0], ksize, at, bool(normalize), e[1], "HWC",
                                          "auto", dst), dst, e[2])
                if r is not None:
                    return r
    return _boxFilter(boxFilter, src, ddepth, ksize, dst, anchor, normalize, borderType)


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
                r = _native(_box_filter, (src, None, ksize, at, True, e[1], "HWC", "auto", dst),
                            dst, e[2])
                if r is not None:
                    return r
    return _boxFilter(boxFilter, src, -1, ksize, dst, anchor, True, borderType)


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
            if ksize == FILTER_SCHARR:
                r = _native(_scharr, (src, e[0], dx, dy, scale, delta, e[1], "HWC", "auto", dst),
                            dst, e[2])
            else:
                r = _native(_sobel, (src, e[0], dx, dy, ksize, scale, delta, e[1], "HWC", "auto",
                                     dst), dst, e[2])
            if r is not None:
                return r
    return _Sobel(Sobel, src, ddepth, dx, dy, dst, ksize, scale, delta, borderType)


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
            r = _native(_scharr, (src, e[0], dx, dy, scale, delta, e[1], "HWC", "auto", dst),
                        dst, e[2])
            if r is not None:
                return r
    return _Scharr(Scharr, src, ddepth, dx, dy, dst, scale, delta, borderType)


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
            r = _native(_laplacian, (src, e[0], ksize, scale, delta, e[1], "HWC", "auto", dst),
                        dst, e[2])
            if r is not None:
                return r
    return _Laplacian(Laplacian, src, ddepth, dst, ksize, scale, delta, borderType)

# ------------------------------------------------------------------------------------------------
# Kernel builders
# ------------------------------------------------------------------------------------------------

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
