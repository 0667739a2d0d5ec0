"""``cv2.integral``, ``cv2.integral2`` and ``cv2.integral3``: summed-area tables as OpenCV makes
them (imported into ``convkit.cv``).

For an H x W (x C) image the tables are (H+1) x (W+1) (x C), each with a zero first row:

- ``sum[Y, X]``    = the sum of ``src[y, x]`` over y < Y, x < X (so its first column is 0 too);
- ``sqsum[Y, X]``  = the same over ``src[y, x]**2``;
- ``tilted[Y, X]`` = the sum over y < Y, ``|x - X + 1| <= Y - y - 1`` (the rectangle rotated by
  45 degrees whose bottom corner is pixel (Y-1, X-1)).

So the sum over rows y0..y1-1 and columns x0..x1-1 is
``sum[y1, x1] - sum[y0, x1] - sum[y1, x0] + sum[y0, x0]``, whatever the window size.

>>> import numpy as np
>>> from convkit import cv
>>> img = np.arange(12, dtype=np.uint8).reshape(3, 4)
>>> cv.integral(img)
array([[ 0,  0,  0,  0,  0],
       [ 0,  0,  1,  3,  6],
       [ 0,  4, 10, 18, 28],
       [ 0, 12, 27, 45, 66]], dtype=int32)
>>> s, sq, t = cv.integral3(img, sdepth=cv.CV_64F)
>>> s.dtype, sq.dtype, t.dtype, t[3, 2]          # t[3, 2] = (0 + 1 + 2 + 3) + (4 + 5 + 6) + 9
(dtype('float64'), dtype('float64'), dtype('float64'), np.float64(30.0))

Depths (OpenCV 5.0's rules, measured with opencv-python-headless 5.0 for every src dtype and
every sdepth/sqdepth): ``sdepth <= 0`` gives CV_32S for uint8 images and CV_64F otherwise,
``sqdepth <= 0`` gives CV_64F, and positive values count by their depth bits (``CV_32SC3`` is
CV_32S). The accepted (src, sum, sqsum) combinations are

    uint8   -> sum CV_32S (sqsum CV_32S, CV_32F or CV_64F), CV_32F (sqsum CV_32F or CV_64F),
               CV_64F (sqsum CV_64F)
    uint16, int16 -> CV_64F (sqsum CV_64F)
    float32 -> CV_32F (sqsum CV_32F or CV_64F), CV_64F (sqsum CV_64F)
    float64 -> CV_64F (sqsum CV_64F)

(``integral`` checks the sum depth with sqsum CV_64F); any other source dtype (int8, int32,
float16, bool, int64...) or depth raises ValueError naming ``src``, ``sdepth`` or ``sqdepth``,
where cv2 raises "Unsupported format or combination of formats". The tilted table has the
sum's depth.

Shapes as cv2: HxW or HxWxC images with 1 to 128 channels (each summed on its own); an HxWx1
image gives HxW-shaped tables, a 1-D array of N values is a 1xN image and a 0-d array a 1x1
one; an empty image gives a table of zeros. ``sum=``, ``sqsum=``, ``tilted=``: an array of the
table's shape and dtype (any strides; HxWx1 also for a single channel) is written and returned;
another array is left alone and a new one returned (as cv2); a read-only one is a ValueError.

Numbers: the sum and squared-sum tables are OpenCV's bit for bit (measured over random images
of every accepted depth combination): the same running row sums added to the row above, in the
table's own type for float tables (so float32 tables round as OpenCV's do) and modulo 2**32
for int32 tables (so they wrap around on overflow exactly as OpenCV's: a uint8 image's CV_32S
sum past 2**31 - 1, its CV_32S sqsum much sooner; ask for CV_64F where that can happen). The
float32 sum alone of a one-channel float32 image, which OpenCV computes with vector prefix sums
(blocks of 8 lanes on AVX2 CPUs, 4 on SSE-only ones), is summed in that same order, so it is
OpenCV's bit for bit too, and so is the tilted table, summed by OpenCV's recurrence (a row
buffer of diagonal partial sums) in its order.
"""

import numpy as np

from . import _core
from ._cv_checked import _DEPTH_DTYPE, _DTYPE_DEPTH, _int, _name

_U8, _U16, _S16, _S32, _F32, _F64 = 0, 2, 3, 4, 5, 6
# src depth -> {sum depth: the sqsum depths OpenCV 5.0 accepts with it}
_TABLE = {_U8: {_S32: {_S32, _F32, _F64}, _F32: {_F32, _F64}, _F64: {_F64}},
          _U16: {_F64: {_F64}}, _S16: {_F64: {_F64}},
          _F32: {_F32: {_F32, _F64}, _F64: {_F64}}, _F64: {_F64: {_F64}}}
_CODES = {_U8: "CV_8U", 1: "CV_8S", _U16: "CV_16U", _S16: "CV_16S", _S32: "CV_32S",
          _F32: "CV_32F", _F64: "CV_64F"}
_MAX_CHANNELS = 128  # cv2's bindings wrap at most 128 channels (more: a 3-D Mat, refused)


def _depth_name(d):
    return _CODES.get(d, f"depth {d}")


def _image(src):
    """src as cv2 sees it -> (2-D or 3-D array, single-channel?)."""
    if not isinstance(src, np.ndarray):
        raise TypeError(f"Expected a numpy.ndarray for argument 'src', got {type(src).__name__}")
    if src.dtype.kind not in "biuf":
        raise TypeError(f"Expected Ptr<cv::UMat> for argument 'src': src data type = "
                        f"{src.dtype} is not supported")
    a = src
    if a.ndim == 0:
        a = a.reshape(1, 1)
    elif a.ndim == 1:
        a = a.reshape(1, -1)
    elif a.ndim == 3:
        c = a.shape[2]
        if not 1 <= c <= _MAX_CHANNELS:
            raise ValueError(f"src: an HxWxC image needs 1 to {_MAX_CHANNELS} channels, got "
                             f"shape {src.shape}")
        if c == 1:
            a = a[:, :, 0]
    elif a.ndim != 2:
        raise ValueError(f"src: expected an HxW or HxWxC image, got shape {src.shape}")
    return a, a.ndim == 2


def _depths(a, sdepth, sqdepth):
    """OpenCV's depth rules -> (sum dtype, sqsum dtype), or ValueError as cv2 refuses them."""
    sdepth = _int(sdepth, "sdepth")
    sqdepth = _int(sqdepth, "sqdepth")
    depth = _DTYPE_DEPTH.get(a.dtype)
    if depth not in _TABLE:
        raise ValueError(f"src: integral: unsupported source format {a.dtype} (OpenCV's integral "
                         f"takes uint8, uint16, int16, float32 and float64 images)")
    sd = (_S32 if depth == _U8 else _F64) if sdepth <= 0 else sdepth & 31
    sq = _F64 if sqdepth <= 0 else sqdepth & 31
    sums = _TABLE[depth]
    if sd not in sums:
        raise ValueError(f"sdepth: integral: unsupported combination of source format "
                         f"({a.dtype}) and sum depth ({_depth_name(sd)}, sdepth={sdepth}); "
                         f"OpenCV accepts {', '.join(_depth_name(d) for d in sorted(sums))}")
    if sq not in sums[sd]:
        raise ValueError(f"sqdepth: integral: unsupported combination of source format "
                         f"({a.dtype}), sum depth ({_depth_name(sd)}) and squared-sum depth "
                         f"({_depth_name(sq)}, sqdepth={sqdepth}); OpenCV accepts "
                         f"{', '.join(_depth_name(d) for d in sorted(sums[sd]))}")
    return _DEPTH_DTYPE[sd], _DEPTH_DTYPE[sq]


def _check_dst(dst, name):
    """cv2's conversion of an output argument: None or a writable image array."""
    if dst is None:
        return
    if not isinstance(dst, np.ndarray):
        raise TypeError(f"Expected Ptr<cv::UMat> for argument '{name}': {name} is not a numpy "
                        f"array, got {type(dst).__name__}")
    if dst.dtype.kind not in "biuf":
        raise TypeError(f"Expected Ptr<cv::UMat> for argument '{name}': {name} data type = "
                        f"{dst.dtype} is not supported")
    if not dst.flags.writeable:
        raise ValueError(f"{name} marked as output argument, but provided NumPy array marked as "
                         f"readonly")


def _deliver(table, dst, single):
    """`dst` filled with `table` when it has its dtype and shape (HxWx1 too for a single
    channel), else `table`."""
    if dst is not None and dst.dtype == table.dtype and (
            dst.shape == table.shape or (single and dst.shape == table.shape + (1,))):
        np.copyto(dst, table.reshape(dst.shape))
        return dst
    return table


def _tables(src, outs, sdepth, sqdepth, want_sq, want_tilted):
    a, single = _image(src)
    for name, dst in outs:
        _check_dst(dst, name)
    sum_dt, sq_dt = _depths(a, sdepth, sqdepth)
    shape = (a.shape[0] + 1, a.shape[1] + 1) + a.shape[2:]
    if a.size == 0:
        tables = (np.zeros(shape, sum_dt), np.zeros(shape, sq_dt) if want_sq else None,
                  np.zeros(shape, sum_dt) if want_tilted else None)
    else:
        tables = _core.integral(a, _name(sum_dt), _name(sq_dt) if want_sq else None,
                                bool(want_tilted))
    return tuple(_deliver(t, dst, single) for t, (_, dst) in zip(tables, outs))


def integral(src, sum=None, sdepth=-1):
    """``cv2.integral(src[, sum[, sdepth]]) -> sum``: the (H+1) x (W+1) (x C) summed-area table.

    sdepth: CV_32S, CV_32F or CV_64F (-1: CV_32S for uint8 images, CV_64F otherwise; see the
    module's table for what each image dtype accepts).

    >>> import numpy as np
    >>> from convkit import cv
    >>> s = cv.integral(np.ones((480, 640), np.uint8))
    >>> s.shape, s.dtype, int(s[-1, -1])
    ((481, 641), dtype('int32'), 307200)
    >>> int(s[20, 30] - s[10, 30] - s[20, 5] + s[10, 5])      # the 10 x 25 box at (10, 5)
    250
    """
    return _tables(src, (("sum", sum),), sdepth, -1, False, False)[0]


def integral2(src, sum=None, sqsum=None, sdepth=-1, sqdepth=-1):
    """``cv2.integral2(src[, sum[, sqsum[, sdepth[, sqdepth]]]]) -> sum, sqsum``: the tables of
    the values and of their squares (for window means and variances in constant time).

    sqdepth: CV_32S (uint8 images with a CV_32S sum), CV_32F or CV_64F (-1: CV_64F).

    >>> import numpy as np
    >>> from convkit import cv
    >>> s, sq = cv.integral2(np.array([[1, 2], [3, 4]], np.uint8))
    >>> sq
    array([[ 0.,  0.,  0.],
           [ 0.,  1.,  5.],
           [ 0., 10., 30.]])
    """
    return _tables(src, (("sum", sum), ("sqsum", sqsum)), sdepth, sqdepth, True, False)[:2]


def integral3(src, sum=None, sqsum=None, tilted=None, sdepth=-1, sqdepth=-1):
    """``cv2.integral3(src[, sum[, sqsum[, tilted[, sdepth[, sqdepth]]]]]) -> sum, sqsum,
    tilted``: also the table of the image rotated by 45 degrees (of the sum's dtype).

    >>> import numpy as np
    >>> from convkit import cv
    >>> cv.integral3(np.ones((3, 3), np.uint8))[2]
    array([[0, 0, 0, 0],
           [0, 1, 1, 1],
           [1, 3, 4, 3],
           [3, 6, 7, 6]], dtype=int32)
    """
    return _tables(src, (("sum", sum), ("sqsum", sqsum), ("tilted", tilted)), sdepth, sqdepth,
                   True, True)
