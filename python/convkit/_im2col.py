"""Image patches as columns: ``unfold``/``fold`` (``torch.nn.functional``) and ``im2col``/``col2im``
(MATLAB's, with PyTorch's order as the default). Re-exported by ``convkit.nn`` and
``convkit.linalg``.

>>> import numpy as np
>>> from convkit.nn import unfold, fold
>>> x = np.arange(12, dtype=np.float32).reshape(1, 1, 3, 4)
>>> cols = unfold(x, 2)                        # (N, C*kh*kw, L): one column per 2x2 window
>>> cols.shape
(1, 4, 6)
>>> cols[0, :, 0]                              # the first window, row-major
array([0., 1., 4., 5.], dtype=float32)
>>> w = np.ones((1, 1, 2, 2), np.float32)      # conv2d == weight rows @ unfold
>>> (w.reshape(1, -1) @ cols[0]).reshape(2, 3)
array([[10., 14., 18.],
       [26., 30., 34.]], dtype=float32)
>>> fold(cols, (3, 4), 2)[0, 0]                # scatter-add back: each pixel x its window count
array([[ 0.,  2.,  4.,  3.],
       [ 8., 20., 24., 14.],
       [ 8., 18., 20., 11.]], dtype=float32)

The numbers are PyTorch's bit for bit: ``fold`` adds overlapping blocks in PyTorch's order
(kernel taps row-major), in the array's own precision. dtypes (as PyTorch): float32 and
float64 run in convkit's native layer; float16, complex64, complex128 and bool (which PyTorch
also takes) in NumPy; integer arrays raise TypeError, as PyTorch raises NotImplementedError
(``im2col`` takes any dtype).
"""

import numbers

import numpy as np

from . import _core

__all__ = ["unfold", "fold", "im2col", "col2im"]

_CORE_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_NUMPY_DTYPES = (np.dtype(np.float16), np.dtype(np.complex64), np.dtype(np.complex128),
                 np.dtype(np.bool_))
_MAX_BYTES = np.iinfo(np.intp).max


# ------------------------------------------------------------------------------------------------
# Arguments
# ------------------------------------------------------------------------------------------------

def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_))


def _ints(v, name, n_allowed):
    """An int (repeated) or a sequence of len in n_allowed, as a tuple of ints."""
    if isinstance(v, (tuple, list)) or (isinstance(v, np.ndarray) and v.ndim == 1):
        if len(v) not in n_allowed:
            forms = " or ".join(f"{k} ints" for k in n_allowed)
            raise ValueError(f"{name}: expected an int or {forms}, got {len(v)} elements")
        if not all(_is_int(e) for e in v):
            bad = next(e for e in v if not _is_int(e))
            raise TypeError(f"{name}: expected ints, got an element of type {type(bad).__name__}")
        return tuple(int(e) for e in v)
    if not _is_int(v):
        raise TypeError(f"{name}: expected an int or a tuple of ints, got {type(v).__name__}")
    return (int(v),) * min(n_allowed)


def _positive(v, name):
    pair = _ints(v, name, (2,))
    if min(pair) < 1:
        raise ValueError(f"{name}: should be greater than zero, got {pair}")
    return pair


def _padding(v):
    """int, (height, width) or (top, bottom, left, right) -> (top, bottom, left, right)."""
    p = _ints(v, "padding", (2, 4))
    if min(p) < 0:
        raise ValueError(f"padding: should be non-negative, got {p}")
    return p if len(p) == 4 else (p[0], p[0], p[1], p[1])


def _geometry(kernel_size, dilation, padding, stride):
    return (_positive(kernel_size, "kernel_size"), _positive(dilation, "dilation"),
            _padding(padding), _positive(stride, "stride"))


def _array(x, name):
    if isinstance(x, np.ndarray):
        return x
    if x is None or isinstance(x, (str, bytes, dict)) or not hasattr(x, "__len__"):
        raise TypeError(f"{name}: expected a numpy array, got {type(x).__name__}")
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name}: cannot be read as an array ({e})") from None


def _float_input(x, name, what):
    x = _array(x, name)
    dt = x.dtype
    if dt not in _CORE_DTYPES and dt not in _NUMPY_DTYPES:
        if dt.kind in "iu":
            raise TypeError(f"{name}: {what} of {dt.name} arrays is not supported (PyTorch "
                            f"refuses integer tensors too); cast to float32 or float64, or use "
                            f"im2col, which takes any dtype")
        raise TypeError(f"{name}: dtype {dt} is not supported (float32, float64; also float16, "
                        f"complex64, complex128, bool, as PyTorch)")
    return x


def _blocks(size, pad0, pad1, k, d, s):
    """PyTorch's number of sliding blocks along one axis (floor division, as div_rtn)."""
    return (size + pad0 + pad1 - (d * (k - 1) + 1)) // s + 1


def _check_bytes(shape, dtype, name):
    n = 1
    for v in shape:
        n *= v
    if n * dtype.itemsize > _MAX_BYTES:
        raise ValueError(f"{name}: the result, of shape {shape}, is too big for memory")


def _describe(kernel, dilation, pads, stride):
    t, b, l, r = pads
    pad = (t, l) if (t, l) == (b, r) else pads
    return f"kernel_size={kernel}, dilation={dilation}, padding={pad}, stride={stride}"


# ------------------------------------------------------------------------------------------------
# NumPy paths (dtypes the native layer has no kernel for), in PyTorch's order
# ------------------------------------------------------------------------------------------------

def _window(i, d, s, n):
    """The slice of padded positions that kernel tap i reads for n blocks."""
    return slice(i * d, i * d + (n - 1) * s + 1, s)


def _unfold_numpy(x, kernel, dilation, pads, stride, oh, ow):
    (kh, kw), (dh, dw), (t, b, l, r), (sh, sw) = kernel, dilation, pads, stride
    n, c = x.shape[:2]
    xp = np.zeros((n, c, x.shape[2] + t + b, x.shape[3] + l + r), x.dtype)
    xp[:, :, t:t + x.shape[2], l:l + x.shape[3]] = x
    out = np.empty((n, c, kh, kw, oh, ow), x.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i, j] = xp[:, :, _window(i, dh, sh, oh), _window(j, dw, sw, ow)]
    return out.reshape(n, c * kh * kw, oh * ow)


def _fold_numpy(cols, size, kernel, dilation, pads, stride, oh, ow):
    """Scatter-add in PyTorch's order (col2im: kernel taps row-major, each added in the
    array's precision), so float16 sums round as PyTorch's do."""
    (kh, kw), (dh, dw), (t, b, l, r), (sh, sw) = kernel, dilation, pads, stride
    n = cols.shape[0]
    c = cols.shape[1] // (kh * kw)
    h, w = size
    cols = cols.reshape(n, c, kh, kw, oh, ow)
    out = np.zeros((n, c, h + t + b, w + l + r), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, _window(i, dh, sh, oh), _window(j, dw, sw, ow)] += cols[:, :, i, j]
    return np.ascontiguousarray(out[:, :, t:t + h, l:l + w])


# ------------------------------------------------------------------------------------------------
# unfold / fold
# ------------------------------------------------------------------------------------------------

def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """``torch.nn.functional.unfold``: every sliding block of a batched image as a column.

    input: (N, C, H, W) or unbatched (C, H, W), any strides (views are read in place); N may be
        0, C, H and W may not. float32/float64 (also float16, complex, bool; not integers).
    kernel_size, dilation, stride: an int or (height, width), each >= 1.
    padding: an int or (height, width) of zeros on both sides, or (top, bottom, left, right)
        (an extension: PyTorch takes two values).

    Returns (N, C*kh*kw, L) (unbatched: (C*kh*kw, L)) of the input's dtype: row
    ``c*kh*kw + i*kw + j`` holds tap (i, j) of channel c, column ``p*OW + q`` the block at
    output position (p, q), with ``OH = (H + 2*pad - dilation*(kh-1) - 1) // stride + 1``
    (likewise OW) and L = OH*OW. So ``conv2d(x, w)`` (no groups) equals
    ``(w.reshape(K, -1) @ unfold(x, ...)).reshape(N, K, OH, OW)``.

    Errors: ValueError naming the parameter (a size < 1, negative padding, a block larger than
    the padded input, a 2-D or 5-D input); TypeError for non-int sizes and unsupported dtypes.

    >>> import numpy as np
    >>> from convkit.nn import unfold
    >>> x = np.arange(16.0).reshape(1, 4, 4)                  # unbatched, one channel
    >>> unfold(x, 2, stride=2)                                # 2x2 blocks, no overlap
    array([[ 0.,  2.,  8., 10.],
           [ 1.,  3.,  9., 11.],
           [ 4.,  6., 12., 14.],
           [ 5.,  7., 13., 15.]])
    >>> unfold(np.zeros((2, 3, 8, 8), np.float32), (3, 2), dilation=2, padding=1).shape
    (2, 18, 48)
    """
    x = _float_input(input, "input", "unfold")
    kernel, dilation, pads, stride = _geometry(kernel_size, dilation, padding, stride)
    if x.ndim not in (3, 4) or 0 in x.shape[-3:]:
        raise ValueError(f"input: expected a 3-D (C, H, W) or 4-D (N, C, H, W) array with "
                         f"non-zero C, H, W (N may be 0), got shape {x.shape}")
    unbatched = x.ndim == 3
    if unbatched:
        x = x[np.newaxis]
    n, c, h, w = x.shape
    oh = _blocks(h, pads[0], pads[1], kernel[0], dilation[0], stride[0])
    ow = _blocks(w, pads[2], pads[3], kernel[1], dilation[1], stride[1])
    if oh < 1 or ow < 1:
        raise ValueError(f"kernel_size: given input with spatial size ({h}, {w}), "
                         f"{_describe(kernel, dilation, pads, stride)}: calculated shape of the "
                         f"array of sliding blocks as ({oh}, {ow}), but its components must "
                         f"be at least one (the dilated kernel is larger than the padded input)")
    shape = (n, c * kernel[0] * kernel[1], oh * ow)
    _check_bytes(shape, x.dtype, "input, kernel_size, padding, stride")
    if n == 0:
        out = np.empty(shape, x.dtype)
    elif x.dtype in _CORE_DTYPES:
        out = _core.unfold(x, kernel, dilation, pads, stride)
    else:
        out = _unfold_numpy(x, kernel, dilation, pads, stride, oh, ow)
    return out[0] if unbatched else out


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """``torch.nn.functional.fold``: sums columns of sliding blocks back into an image (the
    adjoint of :func:`unfold`; ``fold(unfold(x))`` is x times each pixel's block count).

    input: (N, C*kh*kw, L) or unbatched (C*kh*kw, L), any strides; N may be 0, the others may
        not. float32/float64 (also float16, complex, bool; not integers).
    output_size: (H, W) of the image (an int: square), each >= 1.
    kernel_size, dilation, padding, stride: as in :func:`unfold`; L must equal the number of
        sliding blocks they give on an H x W image.

    Returns (N, C, H, W) (unbatched: (C, H, W)) of the input's dtype.

    Errors: ValueError naming the parameter -- dimension 1 not divisible by the product of
    kernel_size, L not the number of sliding blocks, no blocks at all, sizes < 1, negative
    padding, a 1-D or 4-D input; TypeError for non-int sizes and unsupported dtypes.

    >>> import numpy as np
    >>> from convkit.nn import fold
    >>> fold(np.ones((4, 4)), (4, 4), 2, stride=2)   # 4 disjoint 2x2 blocks of ones
    array([[[1., 1., 1., 1.],
            [1., 1., 1., 1.],
            [1., 1., 1., 1.],
            [1., 1., 1., 1.]]])
    >>> fold(np.ones((1, 4, 9), np.float32), (4, 4), 2)[0, 0]   # overlapping: window counts
    array([[1., 2., 2., 1.],
           [2., 4., 4., 2.],
           [2., 4., 4., 2.],
           [1., 2., 2., 1.]], dtype=float32)
    """
    x = _float_input(input, "input", "fold")
    size = _ints(output_size, "output_size", (2,))
    kernel, dilation, pads, stride = _geometry(kernel_size, dilation, padding, stride)
    if x.ndim not in (2, 3) or 0 in x.shape[-2:]:
        raise ValueError(f"input: expected a 2-D (C*kh*kw, L) or 3-D (N, C*kh*kw, L) array with "
                         f"non-zero C*kh*kw and L (N may be 0), got shape {x.shape}")
    unbatched = x.ndim == 2
    if unbatched:
        x = x[np.newaxis]
    n, rows, length = x.shape
    taps = kernel[0] * kernel[1]
    if rows % taps:
        raise ValueError(f"input: expected size of input's dimension {x.ndim - 2 - unbatched} "
                         f"to be divisible by the product of kernel_size, but got {rows} and "
                         f"kernel_size={kernel}")
    if min(size) < 1:
        raise ValueError(f"output_size: expected output spatial size to be positive, but got "
                         f"output_size={size}")
    oh = _blocks(size[0], pads[0], pads[1], kernel[0], dilation[0], stride[0])
    ow = _blocks(size[1], pads[2], pads[3], kernel[1], dilation[1], stride[1])
    what = f"output_size={size}, {_describe(kernel, dilation, pads, stride)}"
    if oh < 1 or ow < 1:
        raise ValueError(f"output_size: given {what}: calculated shape of the array of sliding "
                         f"blocks as ({oh}, {ow}), which is too small (non-positive): no block "
                         f"fits")
    if length != oh * ow:
        raise ValueError(f"input: given {what}, expected size of input's dimension "
                         f"{x.ndim - 1 - unbatched} to match the calculated number of sliding "
                         f"blocks {oh} * {ow} = {oh * ow}, but got {length}")
    shape = (n, rows // taps) + size
    _check_bytes(shape, x.dtype, "output_size")
    if n == 0:
        out = np.zeros(shape, x.dtype)
    elif x.dtype in _CORE_DTYPES:
        out = _core.fold(x, size, kernel, dilation, pads, stride)
    else:
        out = _fold_numpy(x, size, kernel, dilation, pads, stride, oh, ow)
    return out[0] if unbatched else out


# ------------------------------------------------------------------------------------------------
# im2col / col2im (MATLAB's, or PyTorch's order)
# ------------------------------------------------------------------------------------------------

_MODES = ("sliding", "distinct")
_ORDERS = ("torch", "matlab")


def _choice(v, name, choices):
    if not isinstance(v, str):
        raise TypeError(f"{name}: expected a string, got {type(v).__name__}")
    if v not in choices:
        raise ValueError(f"{name}: unknown {name} {v!r} (expected one of "
                         f"{', '.join(repr(c) for c in choices)})")
    return v


def _image2d(x, name):
    x = _array(x, name)
    if x.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (a gray image), got shape {x.shape} "
                         f"(for channels, use convkit.nn.unfold)")
    if x.dtype.kind not in "biufc":
        raise TypeError(f"{name}: dtype {x.dtype} is not a numeric dtype")
    return x


def _size(v, name):
    pair = _ints(v, name, (2,))
    if min(pair) < 1:
        raise ValueError(f"{name}: must be >= 1, got {pair}")
    return pair


def im2col(image, block_size, mode="sliding", order="torch"):
    """MATLAB's ``im2col(A, [m n], mode)``: the m x n blocks of a 2-D image as columns.

    image: a 2-D array of any numeric dtype (kept), any strides.
    block_size: (m, n) (an int: square).
    mode: 'sliding' -- every m x n window (stride 1): (H-m+1)*(W-n+1) columns, none if the
        block is larger than the image (an (m*n, 0) result, as MATLAB); 'distinct' -- the image
        zero-padded at the bottom/right to multiples of (m, n), cut into non-overlapping blocks.
    order: 'torch' (default) -- each block flattened row-major, blocks in row-major order of
        their positions: for 'sliding', ``convkit.nn.unfold(image[None, None], (m, n))[0]``;
        'matlab' -- each block flattened column-major, blocks in column-major order, exactly
        MATLAB's ``im2col``.

    Returns a new (m*n, number of blocks) array of the image's dtype.

    >>> import numpy as np
    >>> from convkit.linalg import im2col
    >>> a = np.arange(1, 10).reshape(3, 3)
    >>> im2col(a, (2, 2))                       # PyTorch's order (= nn.unfold)
    array([[1, 2, 4, 5],
           [2, 3, 5, 6],
           [4, 5, 7, 8],
           [5, 6, 8, 9]])
    >>> im2col(a, (2, 2), order="matlab")       # MATLAB's: column-major everywhere
    array([[1, 4, 2, 5],
           [4, 7, 5, 8],
           [2, 5, 3, 6],
           [5, 8, 6, 9]])
    >>> im2col(a, (2, 2), "distinct", order="matlab")   # padded to 4 x 4, 4 blocks
    array([[1, 7, 3, 9],
           [4, 0, 6, 0],
           [2, 8, 0, 0],
           [5, 0, 0, 0]])
    """
    a = _image2d(image, "image")
    m, n = _size(block_size, "block_size")
    _choice(mode, "mode", _MODES)
    _choice(order, "order", _ORDERS)
    if m * n > _MAX_BYTES // a.dtype.itemsize:
        raise ValueError(f"block_size: {(m, n)} is too big (m*n = {m * n} rows)")
    try:
        return _im2col(a, m, n, mode, order)
    except MemoryError:
        raise ValueError(f"block_size: the columns of {(m, n)} blocks of a {a.shape} image do "
                         f"not fit in memory") from None


def _im2col(a, m, n, mode, order):
    h, w = a.shape
    if mode == "distinct":
        hp, wp = h + (-h % m), w + (-w % n)
        if (hp, wp) != (h, w):
            padded = np.zeros((hp, wp), a.dtype)
            padded[:h, :w] = a
            a = padded
        blocks = a.reshape(hp // m, m, wp // n, n)                # (bi, i, bj, j)
        perm = (1, 3, 0, 2) if order == "torch" else (3, 1, 2, 0)
        return np.ascontiguousarray(blocks.transpose(perm).reshape(m * n, -1))
    if m > h or n > w:
        return np.zeros((m * n, 0), a.dtype)
    windows = np.lib.stride_tricks.sliding_window_view(a, (m, n))  # (p, q, i, j)
    perm = (2, 3, 0, 1) if order == "torch" else (3, 2, 1, 0)
    return np.ascontiguousarray(windows.transpose(perm).reshape(m * n, -1))


def col2im(columns, block_size, image_size, mode="sliding", order="torch"):
    """MATLAB's ``col2im(B, [m n], [mm nn], mode)``: columns back into an mm x nn image.

    columns: 'distinct' -- an (m*n, blocks) array as :func:`im2col` makes it, with the blocks
        of the mm x nn image padded to multiples of (m, n); the blocks are put back and the
        padding cut off. 'sliding' -- any array of (mm-m+1)*(nn-n+1) values (one per sliding
        position, e.g. a row ``weights @ im2col(image, (m, n))``), reshaped to that matrix:
        column-major for order='matlab' (MATLAB's reshape), row-major for order='torch'.
    block_size: (m, n); image_size: (mm, nn) (ints: square).
    order: 'torch' (default) or 'matlab', the order :func:`im2col` used.

    Returns a new array of the columns' dtype. ValueError naming ``columns`` when its size does
    not fit block_size and image_size.

    >>> import numpy as np
    >>> from convkit.linalg import im2col, col2im
    >>> a = np.arange(1, 16).reshape(3, 5)
    >>> b = im2col(a, (2, 2), "distinct", order="matlab")
    >>> np.array_equal(col2im(b, (2, 2), (3, 5), "distinct", order="matlab"), a)
    True
    >>> k = np.array([[1, 0], [0, -1]])                  # correlation as a row times columns
    >>> col2im(k.ravel() @ im2col(a, (2, 2)), (2, 2), (3, 5))
    array([[-6, -6, -6, -6],
           [-6, -6, -6, -6]])
    """
    b = _array(columns, "columns")
    if b.dtype.kind not in "biufc":
        raise TypeError(f"columns: dtype {b.dtype} is not a numeric dtype")
    m, n = _size(block_size, "block_size")
    mm, nn = _size(image_size, "image_size")
    _choice(mode, "mode", _MODES)
    _choice(order, "order", _ORDERS)
    if mode == "sliding":
        oh, ow = mm - m + 1, nn - n + 1
        if oh < 1 or ow < 1:
            raise ValueError(f"image_size: {(mm, nn)} is smaller than block_size {(m, n)}: no "
                             f"sliding position")
        if b.size != oh * ow:
            raise ValueError(f"columns: has {b.size} values, but an image_size {(mm, nn)} image "
                             f"has {oh}*{ow} = {oh * ow} sliding positions of a block_size "
                             f"{(m, n)} block")
        return np.reshape(b, (oh, ow), order="C" if order == "torch" else "F").copy()
    if b.ndim != 2:
        raise ValueError(f"columns: expected a 2-D (m*n, blocks) array, got shape {b.shape}")
    if b.shape[0] != m * n:
        raise ValueError(f"columns: has {b.shape[0]} rows, but block_size {(m, n)} needs "
                         f"m*n = {m * n}")
    hp, wp = mm + (-mm % m), nn + (-nn % n)
    mb, nb = hp // m, wp // n
    if b.shape[1] != mb * nb:
        raise ValueError(f"columns: has {b.shape[1]} columns, but an image_size {(mm, nn)} "
                         f"image in distinct block_size {(m, n)} blocks has {mb}*{nb} = "
                         f"{mb * nb}")
    if order == "torch":
        img = b.reshape(m, n, mb, nb).transpose(2, 0, 3, 1)       # (bi, i, bj, j)
    else:
        img = b.reshape(n, m, nb, mb).transpose(3, 1, 2, 0)
    return np.ascontiguousarray(img.reshape(hp, wp)[:mm, :nn])
