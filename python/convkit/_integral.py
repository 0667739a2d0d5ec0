"""``skimage.transform.integral_image`` and ``integrate``: N-D summed-area tables and window sums
(exported as ``convkit.integral_image`` and ``convkit.integrate``).

>>> import numpy as np, convkit
>>> ii = convkit.integral_image(np.arange(12).reshape(3, 4))
>>> ii
array([[ 0,  1,  3,  6],
       [ 4, 10, 18, 28],
       [12, 27, 45, 66]])
>>> convkit.integrate(ii, (1, 1), (2, 3))       # rows 1..2, columns 1..3, inclusive
array([48.])

Unlike OpenCV's tables (``convkit.cv.integral``), these have the image's shape: ``ii[m, n]`` is
the sum over ``i <= m, j <= n`` (no zero row or column), in any number of dimensions.
"""

import numpy as np

from . import _core

__all__ = ["integral_image", "integrate"]


class _IndexValueError(IndexError, ValueError):
    """A window skimage refuses with IndexError: also a ValueError, as convkit's errors are."""


class _IndexTypeError(IndexError, TypeError):
    """Coordinates skimage cannot index with (IndexError there): also a TypeError."""


def _array(x, name):
    if isinstance(x, np.ndarray):
        a = x
    elif x is None or isinstance(x, (str, bytes, dict)):
        raise TypeError(f"{name}: expected a numpy array, got {type(x).__name__}")
    else:
        try:
            a = np.asarray(x)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{name}: cannot be read as an array ({e})") from None
    if a.dtype.kind not in "biufc":
        raise TypeError(f"{name}: dtype {a.dtype} is not a numeric dtype")
    return a


# 2-D images whose table the native layer computes with values identical to the two cumsums:
# small integers, summed exactly in float64 (every partial sum < 2**53), then converted. It is
# faster at every size (measured: 2x at 8x8, 2-9x from 64x64 to 4000x4000). Float images keep
# NumPy's cumsums: their rounding depends on the order of the additions.
_NATIVE_INT = {np.dtype(np.uint8): 255, np.dtype(np.uint16): 65535,
               np.dtype(np.int16): 32768, np.dtype(np.bool_): 1}
_EXACT_OUT = {"u": (np.dtype(np.uint64), np.dtype(np.int64), np.dtype(np.float64)),
              "b": (np.dtype(np.int64), np.dtype(np.uint64), np.dtype(np.float64)),
              "i": (np.dtype(np.int64), np.dtype(np.float64))}  # no uint64: negative sums wrap


def _native_table(image, dtype):
    """The table from the native layer where its values are identical, else None."""
    bound = _NATIVE_INT.get(image.dtype)
    if bound is None or image.ndim != 2 or image.size == 0 or bound * image.size >= 2 ** 53:
        return None
    kind = image.dtype.kind
    default = np.dtype(np.int64 if kind in "bi" else np.uint64)  # numpy.cumsum's
    out = default if dtype is None else dtype
    if out not in _EXACT_OUT[kind]:
        return None
    src = image.view(np.uint8) if kind == "b" else image
    table = _core.integral(src, "float64", None, False)[0]
    return table[1:, 1:].astype(out)


def integral_image(image, *, dtype=None):
    """``skimage.transform.integral_image``: ``S[m, n, ...] = sum of image[:m+1, :n+1, ...]``
    in every dimension.

    image: an N-D numeric array (any strides).
    dtype: the accumulator and result dtype. None (default) as scikit-image: floating images
        (real or complex) in at least double precision (float16/32 -> float64, complex64 ->
        complex128), integer and bool images as ``numpy.cumsum`` (signed -> int64, unsigned ->
        uint64), so the tables of 8-, 16- and 32-bit images cannot overflow.

    Returns a new array of the image's shape. (Integer tables wrap around only where the sum
    passes 2**63 or where ``dtype`` asks for a narrower type, as NumPy's cumsum does.) 2-D
    uint8, uint16, int16 and bool images are summed by convkit's native layer, exactly (in
    float64, every partial sum an integer below 2**53), 2-9x faster than the cumsums; other
    images by ``numpy.cumsum`` along each axis, scikit-image's own computation.

    >>> import numpy as np, convkit
    >>> convkit.integral_image(np.ones((2, 3), np.uint8))
    array([[1, 2, 3],
           [2, 4, 6]], dtype=uint64)
    >>> convkit.integral_image(np.ones((2, 2, 2), np.float32))[-1, -1, -1]   # 3-D, float64
    np.float64(8.0)
    """
    a = _array(image, "image")
    if dtype is not None:
        try:
            dtype = np.dtype(dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(f"dtype: not a dtype: {dtype!r} ({e})") from None
        if dtype.kind not in "biufc":
            raise TypeError(f"dtype: {dtype} is not a numeric dtype")
    elif a.real.dtype.kind == "f":  # at least double precision, as scikit-image
        dtype = np.promote_types(a.dtype, np.float64)
    if a.ndim == 0:
        return a.copy()
    table = _native_table(a, dtype)
    if table is not None:
        return table
    s = a
    for axis in range(a.ndim):
        s = s.cumsum(axis=axis, dtype=dtype)
    return s


def _points(v, name):
    p = np.atleast_2d(np.array(v))
    if p.size == 0 and p.dtype.kind == "f":  # [] -> an empty float array
        p = p.astype(np.intp)
    if p.dtype.kind not in "iu":
        raise _IndexTypeError(f"{name}: coordinates must be integers, got {p.dtype} values")
    if p.ndim != 2:
        raise ValueError(f"{name}: expected a point (a tuple of ii.ndim ints) or a list of "
                         f"points, got an array of shape {p.shape}")
    return p.astype(np.int64)


def integrate(ii, start, end):
    """``skimage.transform.integrate``: the sums of the image over windows, from its table.

    ii: an N-D integral image (:func:`integral_image`).
    start, end: the first and last index (inclusive) of each window along every axis: one
        point ``(row, col, ...)``, or a list / (k, ii.ndim) array of k points (one ``end`` for
        all ``start`` points is fine). Negative indices count from the end, as in NumPy.

    Returns a float64 array of one sum per window (also for one window), computed as
    scikit-image does: the 2**ndim corner values of ``ii``, each converted to float, added with
    their signs.

    Errors (also IndexError, as scikit-image raises): ValueError where an end lies before its
    start or a corner is outside ``ii``; TypeError for non-integer coordinates. Where the number
    of start and end points differs (and end is not one point), ValueError (scikit-image uses
    the first end point alone).

    >>> import numpy as np, convkit
    >>> ii = convkit.integral_image(np.ones((5, 6)))
    >>> convkit.integrate(ii, (1, 0), (1, 2))                 # one window
    array([3.])
    >>> convkit.integrate(ii, [(1, 0), (3, 3)], [(1, 2), (4, 5)])
    array([3., 6.])
    >>> convkit.integrate(ii, (0, 0), (-1, -1))               # the whole image
    array([30.])
    """
    ii = _array(ii, "ii")
    if ii.ndim == 0:
        raise ValueError("ii: expected an integral image with at least one dimension, got a "
                         "0-d array")
    start, end = _points(start, "start"), _points(end, "end")
    for p, name in ((start, "start"), (end, "end")):
        if p.shape[1] != ii.ndim:
            raise ValueError(f"{name}: points need ii.ndim = {ii.ndim} coordinates, got "
                             f"{p.shape[1]}")
    rows = start.shape[0]
    if end.shape[0] != rows:
        if end.shape[0] != 1:
            raise ValueError(f"start, end: {rows} start points but {end.shape[0]} end points")
        end = np.broadcast_to(end, start.shape)
    shape = np.array(ii.shape, np.int64)
    start = np.where(start < 0, start + shape, start)  # negative -> counted from the end
    end = np.where(end < 0, end + shape, end)
    if np.any(end - start < 0):
        raise _IndexValueError("end coordinates must be greater or equal to start (start, end)")
    s = np.zeros(rows)
    before = start - 1
    for i in range(2 ** ii.ndim):  # the corners, in scikit-image's order (and sums)
        mask = np.array([(i >> (ii.ndim - 1 - k)) & 1 for k in range(ii.ndim)], bool)
        sign = -1 if mask.sum() % 2 else 1
        bad = np.any((before < 0) & mask, axis=1)  # a corner before the first index: 0
        corners = np.where(mask, before, end)[~bad]
        terms = np.zeros(rows)
        try:
            values = ii[tuple(corners.T)]
        except IndexError:
            raise _IndexValueError(f"start, end: a window corner is outside ii of shape "
                                   f"{ii.shape}") from None
        terms[~bad] = sign * np.asarray(values).astype(np.float64)
        s += terms
    return s
