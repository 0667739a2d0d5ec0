"""Convolution as linear algebra: convolution matrices and a convolution operator.

A convolution is linear in the image, so it is a matrix: ``A @ x.ravel() == conv(x).ravel()``.

- :func:`convolution_matrix` -- ``scipy.linalg.convolution_matrix`` (1-D, dense Toeplitz);
- :func:`convolution_matrix_2d` -- the sparse matrix of ``scipy.signal.convolve2d`` for every
  mode and boundary, with stride and dilation, in NumPy's (row-major) or MATLAB's
  (column-major, ``convmtx2``) order;
- :class:`ConvolutionOperator` -- a ``scipy.sparse.linalg.LinearOperator`` that never forms the
  matrix: its matvec is convkit's fast ``convolve2d`` and its rmatvec the exact adjoint (a
  correlation folded back by the boundary rule), for ``lsqr``/``cg``-style inverse problems.

>>> import numpy as np
>>> from convkit import linalg
>>> x = np.arange(12.0).reshape(3, 4)
>>> k = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> A = linalg.convolution_matrix_2d(k, x.shape, mode='same', boundary='symm')
>>> A.shape, A.nnz <= k.size * x.size
((12, 12), True)
>>> from convkit import signal
>>> np.allclose(A @ x.ravel(), signal.convolve2d(x, k, 'same', 'symm').ravel())
True

The matrices are built by convkit's C++ layer (``convkit::linalg::convolution_matrix``), the
same geometry as everything else in convkit; formats 'csr' and 'coo' and the operator need
SciPy (``scipy.sparse``), 'dense' and the 1-D matrix do not.
"""

import numbers
import operator

import numpy as np

from . import _core, signal as _signal
from ._im2col import col2im, im2col

__all__ = ["convolution_matrix", "convolution_matrix_2d", "ConvolutionOperator", "im2col",
           "col2im"]

_MODES = ("full", "valid", "same")
# scipy.signal's boundary names (with its aliases) -> the canonical one
_BOUNDARIES = {"fill": "fill", "pad": "fill", "wrap": "wrap", "circular": "wrap",
               "symm": "symm", "symmetric": "symm"}
# scipy.signal's boundary -> the border of convkit's native layer
_CORE_BORDER = {"fill": "constant", "wrap": "wrap", "symm": "reflect"}


# ---- 1-D: scipy.linalg.convolution_matrix ------------------------------------------------------

def convolution_matrix(a, n, mode="full"):
    """The Toeplitz matrix of 1-D convolution: ``scipy.linalg.convolution_matrix``.

    ``A = convolution_matrix(a, n, mode)`` has ``n`` columns and ``A @ v == numpy.convolve(a, v,
    mode)`` for every ``v`` of length ``n``; ``A[i, j] = a[i - j + d]`` (0 outside ``a``) with
    ``d = 0`` ('full', ``m + n - 1`` rows), ``(min(m, n) - 1) // 2`` ('same', ``max(m, n)``
    rows) or ``min(m, n) - 1`` ('valid', ``max(m, n) - min(m, n) + 1`` rows), ``m = len(a)``.
    The matrix is dense and has ``a``'s dtype (complex values are used as they are, not
    conjugated). An N-D ``a`` is a batch of 1-D arrays along its last axis: the result is
    ``(..., k, n)``.

    Errors, as SciPy's: ``n`` < 1 (ValueError), ``n`` not an integer (TypeError), an empty
    ``a`` (ValueError), an unknown ``mode`` (ValueError). A 0-d ``a`` is a ValueError here
    (SciPy raises IndexError).

    >>> convolution_matrix([-1, 4, -2], 5, mode='same')
    array([[ 4, -1,  0,  0,  0],
           [-2,  4, -1,  0,  0],
           [ 0, -2,  4, -1,  0],
           [ 0,  0, -2,  4, -1],
           [ 0,  0,  0, -2,  4]])
    >>> convolution_matrix([1.0, 2.0], 3)
    array([[1., 0., 0.],
           [2., 1., 0.],
           [0., 2., 1.],
           [0., 0., 2.]])
    """
    try:
        n = operator.index(n)
    except TypeError:
        if isinstance(n, numbers.Real) and not isinstance(n, numbers.Integral) and n <= 0:
            raise ValueError(f"n must be a positive integer. (n: got {n!r})") from None
        raise TypeError(f"n: expected a positive integer, got {type(n).__name__} "
                        f"({n!r})") from None
    if n <= 0:
        raise ValueError(f"n must be a positive integer. (n: got {n})")
    a = np.asarray(a)
    if a.size == 0:
        raise ValueError(f"len(a) must be at least 1. (a: empty, shape {a.shape})")
    if not isinstance(mode, str) or mode not in _MODES:
        raise ValueError(f"'mode' argument must be one of ('full', 'valid', 'same'); "
                         f"mode: got {mode!r}")
    if a.ndim == 0:
        raise ValueError("a: must be a 1-D array (or a batch of them along the last axis), "
                         "got a 0-d array")
    m = a.shape[-1]
    if mode == "full":
        rows, offset = m + n - 1, 0
    elif mode == "same":
        rows, offset = max(m, n), (min(m, n) - 1) // 2
    else:
        rows, offset = max(m, n) - min(m, n) + 1, min(m, n) - 1
    # A[i, j] = p[i - j + offset + n - 1] with p = a between n - 1 zeros and enough zeros after
    # (0 cast to a's dtype, as SciPy pads). With q = p reversed, A[i, j] = q[L - n - offset - i
    # + j]: a strided view (rows step back, columns forward), copied once row by row.
    zero = np.asarray(0).astype(a.dtype)  # '0' for a string array, as SciPy's
    zeros = lambda k: np.full(a.shape[:-1] + (k,), zero, a.dtype)  # noqa: E731
    q = np.concatenate([zeros(max(0, offset + rows - m)), a[..., ::-1], zeros(n - 1)], axis=-1)
    L = q.shape[-1]
    step = q.strides[-1]
    view = np.lib.stride_tricks.as_strided(
        q[..., L - n - offset:], shape=a.shape[:-1] + (rows, n),
        strides=q.strides[:-1] + (-step, step), writeable=False)
    return view.copy()


# ---- argument checks ---------------------------------------------------------------------------

def _int_at_least(value, name, minimum):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__} ({value!r})")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {value}")
    return value


def _pair(value, name, minimum=1):
    """An int or a pair of ints (rows, columns), each >= minimum."""
    if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
        v = _int_at_least(value, name, minimum)
        return (v, v)
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name}: expected an int or a pair of ints, got {type(value).__name__}")
    try:
        items = tuple(value)
    except TypeError:
        raise TypeError(f"{name}: expected an int or a pair of ints, got "
                        f"{type(value).__name__} ({value!r})") from None
    if len(items) != 2:
        raise ValueError(f"{name}: expected an int or a pair of ints, got {len(items)} values")
    return tuple(_int_at_least(v, name, minimum) for v in items)


def _shape(shape):
    if isinstance(shape, (str, bytes)):
        raise TypeError(f"shape: expected a pair of ints (H, W) such as image.shape, got "
                        f"{type(shape).__name__}")
    try:
        items = tuple(shape)
    except TypeError:
        raise TypeError(f"shape: expected a pair of ints (H, W) such as image.shape, got "
                        f"{type(shape).__name__}") from None
    if len(items) != 2:
        raise ValueError(f"shape: expected (H, W), got {len(items)} dimensions ({shape!r})")
    return tuple(_int_at_least(v, "shape", 1) for v in items)


def _choice(value, name, choices):
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a string, one of {', '.join(map(repr, choices))}; "
                        f"got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name}: unknown {name} {value!r} (expected one of "
                         f"{', '.join(map(repr, choices))})")
    return value


def _boundary(boundary):
    if not isinstance(boundary, str):
        raise TypeError(f"boundary: expected a string ('fill', 'wrap' or 'symm'), got "
                        f"{type(boundary).__name__}")
    if boundary not in _BOUNDARIES:
        raise ValueError(f"boundary: unknown boundary {boundary!r} (expected 'fill', 'wrap' "
                         f"or 'symm', or SciPy's aliases 'pad', 'circular', 'symmetric')")
    return _BOUNDARIES[boundary]


def _kernel(kernel):
    kernel = np.asarray(kernel)
    if kernel.dtype.kind not in "biufc":
        raise TypeError(f"kernel: expected a real or complex numeric array, got dtype "
                        f"{kernel.dtype}")
    if kernel.ndim != 2:
        raise ValueError(f"kernel: must be 2-D, got shape {kernel.shape}")
    if kernel.size == 0:
        raise ValueError(f"kernel: is empty (shape {kernel.shape})")
    return kernel


def _value_dtype(kernel_dtype):
    """float32 / complex64 kernels keep their precision; everything else is float64 or
    complex128."""
    if kernel_dtype.kind == "c":
        return np.dtype(np.complex64 if kernel_dtype == np.complex64 else np.complex128)
    return np.dtype(np.float32 if kernel_dtype == np.float32 else np.float64)


def _geometry(kernel_shape, shape, mode, boundary, dilation=(1, 1)):
    """(pads (top, bottom, left, right), the boundary actually applied) of scipy.signal's
    convolve2d(x, kernel, mode, boundary) for an x of `shape`, the kernel dilated."""
    (H, W), (dh, dw) = shape, dilation
    R = dh * (kernel_shape[0] - 1) + 1  # the dilated kernel's extent
    S = dw * (kernel_shape[1] - 1) + 1
    if mode == "full":
        return (R - 1, R - 1, S - 1, S - 1), boundary
    if mode == "same":  # the centre of full: full[(R-1)//2 : (R-1)//2 + H]
        top, left = R // 2, S // 2
        return (top, R - 1 - top, left, S - 1 - left), boundary
    if H >= R and W >= S:
        return (0, 0, 0, 0), boundary
    if R >= H and S >= W:
        # SciPy swaps the operands: convolve2d(kernel, x, 'valid'), x the smaller one and read
        # as zero beyond its edges; out size R - H + 1 = full[H-1 : R]
        return (R - H, R - H, S - W, S - W), "fill"
    raise ValueError(f"mode: 'valid' needs the image or the kernel to be at least as large as "
                     f"the other in every dimension (image {shape}, kernel "
                     f"{tuple(kernel_shape)}" + (f", dilated to {(R, S)}" if (R, S) !=
                                                 tuple(kernel_shape) else "") + ")")


def _scipy_sparse():
    try:
        import scipy.sparse
    except ImportError:
        raise ImportError("convkit.linalg: formats 'csr' and 'coo' need SciPy (pip install "
                          "scipy); format='dense' does not") from None
    return scipy.sparse


# ---- 2-D: the matrix of scipy.signal.convolve2d ----------------------------------------------

def convolution_matrix_2d(kernel, shape, mode="full", boundary="fill", stride=1, dilation=1,
                          format="csr", order="C"):
    """The matrix ``A`` of ``scipy.signal.convolve2d(x, kernel, mode, boundary)``:
    ``A @ x.ravel(order) == convolve2d(x, kernel, mode, boundary)[::sh, ::sw].ravel(order)``
    for every image ``x`` of ``shape``.

    kernel: a 2-D real or complex array (bool and integers are used as float64).
    shape: the image's (H, W).
    mode: 'full' | 'same' | 'valid' as in ``convolve2d``: 'same' is centred as SciPy centres
        it (``full[(R-1)//2:, (S-1)//2:]``, so even kernels lean to the top-left), 'valid'
        swaps the operands when the kernel is the larger one (then ``R - H + 1`` rows).
    boundary: 'fill' (zeros; SciPy's non-zero ``fillvalue`` would make the map affine, not
        linear), 'wrap' (periodic) or 'symm' (half-sample symmetric); also 'pad', 'circular',
        'symmetric'. Kernels larger than the image repeat the extension as SciPy does.
    stride: int or (sh, sw): the mode's output subsampled ``[::sh, ::sw]``.
    dilation: int or (dh, dw): the kernel with ``d - 1`` zeros between its taps (the mode's
        geometry uses the dilated extent ``d * (R - 1) + 1``).
    format: 'csr' (``scipy.sparse.csr_matrix``, sorted indices, duplicates summed), 'coo'
        (``coo_matrix``) or 'dense' (``numpy.ndarray``).
    order: 'C' (NumPy's ``ravel()``, rows first) or 'F' (columns first: MATLAB's ``X(:)``;
        with mode 'full' this is ``convmtx2(kernel, H, W)``:
        ``reshape(T * X(:), size(kernel) + [H W] - 1) == conv2(X, kernel)``).

    Values: float64 (complex128 for complex kernels); float32 and complex64 kernels give
    float32 / complex64. Shape ``(P * Q, H * W)``, ``(P, Q)`` the output's shape. Each row
    holds at most ``R * S`` entries, zero taps store none; 'same', 'valid' and 'fill' matrices
    hold at most ``kernel.size * H * W`` (a 'full' 'wrap'/'symm' matrix has more rows than
    pixels, so it may hold more). Complex kernels: the real and the imaginary part are built
    alike and added.

    >>> import numpy as np
    >>> k = np.array([[1, 2], [3, 4]])
    >>> convolution_matrix_2d(k, (2, 2), mode='valid', format='dense')
    array([[4., 3., 2., 1.]])
    >>> T = convolution_matrix_2d(k, (2, 3), order='F')   # MATLAB: convmtx2(k, 2, 3)
    >>> T.shape, T.nnz
    ((12, 6), 24)
    >>> x = np.arange(6.0).reshape(2, 3)
    >>> (T @ x.ravel('F')).reshape(3, 4, order='F')
    array([[ 0.,  1.,  4.,  4.],
           [ 3., 13., 23., 18.],
           [ 9., 24., 31., 20.]])
    """
    kernel = _kernel(kernel)
    shape = _shape(shape)
    mode = _choice(mode, "mode", _MODES)
    boundary = _boundary(boundary)
    stride = _pair(stride, "stride")
    dilation = _pair(dilation, "dilation")
    format = _choice(format, "format", ("csr", "coo", "dense"))
    order = _choice(order, "order", ("C", "F"))
    pads, applied = _geometry(kernel.shape, shape, mode, boundary, dilation)
    border = _CORE_BORDER[applied]
    dtype = _value_dtype(kernel.dtype)

    def build(part):
        data, indices, indptr, (rows, cols), _ = _core.convolution_matrix_2d(
            np.ascontiguousarray(part, dtype=np.float64), shape, pads, stride, dilation, border,
            True, order)
        return np.asarray(data), np.asarray(indices), np.asarray(indptr), (rows, cols)

    parts = [build(kernel.real)]
    if kernel.dtype.kind == "c":
        parts.append(build(kernel.imag))

    if format == "dense":
        dense = np.zeros(parts[0][3], dtype)
        for part, scale in zip(parts, (1, 1j)):
            data, indices, indptr, (rows, _) = part
            row_of = np.repeat(np.arange(rows), np.diff(indptr))
            dense[row_of, indices] += data * scale if scale != 1 else data
        return dense
    sparse = _scipy_sparse()
    if len(parts) == 2 and np.array_equal(parts[0][2], parts[1][2]) \
            and np.array_equal(parts[0][1], parts[1][1]):  # the same sparsity: one matrix
        data = np.empty(parts[0][0].shape, dtype)
        data.real, data.imag = parts[0][0], parts[1][0]
        parts = [(data,) + parts[0][1:]]
    mats = [sparse.csr_matrix((data, indices, indptr), shape=dims)
            for data, indices, indptr, dims in parts]
    A = mats[0] if len(mats) == 1 else mats[0].astype(dtype) + 1j * mats[1]
    A = A.astype(dtype, copy=False)
    return A.tocoo() if format == "coo" else A


# ---- the operator ----------------------------------------------------------------------------

def _margin_map(top, n, length, boundary):
    """The samples of an axis of length n extended by `top` before it (and length - n - top
    after it) by the boundary rule ('wrap' or 'symm') that lie outside the image: their
    positions in the extension and the image samples they copy."""
    e = np.r_[0:top, top + n:length]
    i = e - top
    if boundary == "wrap":
        return e, i % n
    i = i % (2 * n)  # 'symm': half-sample symmetric, period 2n
    return e, np.where(i < n, i, 2 * n - 1 - i)


def _fold(z, shape, top, left, boundary):
    """The adjoint of extending an image of `shape` to z's shape by the boundary rule: the
    extension's samples are summed back onto the pixels they copy ('wrap', 'symm') or dropped
    ('fill')."""
    H, W = shape
    if boundary == "fill" or z.shape == (H, W):
        return z[top:top + H, left:left + W]
    rows, src = _margin_map(top, H, z.shape[0], boundary)
    folded = z[top:top + H].copy()  # H x (W + margins)
    np.add.at(folded, src, z[rows])
    cols, src = _margin_map(left, W, z.shape[1], boundary)
    out = folded[:, left:left + W].copy()
    np.add.at(out.T, src, folded[:, cols].T)
    return out


try:
    from scipy.sparse.linalg import LinearOperator as _LinearOperator
except ImportError:  # SciPy is optional: the operator says what it needs when made
    _LinearOperator = None


class ConvolutionOperator(_LinearOperator or object):
    """``y = convolve2d(x, kernel, mode, boundary).ravel()`` as a
    ``scipy.sparse.linalg.LinearOperator`` of shape ``(out.size, x.size)``, never a matrix.

    matvec / matmat: ``convkit.signal.convolve2d`` (convkit's planned fast path, SciPy's
    numbers). rmatvec / rmatmat (and ``.H``, ``.T``, ``.adjoint()``): the exact adjoint, for
    every mode and boundary: ``convkit.signal.correlate2d(y, kernel, 'full')`` (the conjugated
    kernel) onto the padded domain, whose border margin is then summed back onto the pixels the
    boundary copied it from ('wrap', 'symm') or dropped ('fill'). So
    ``vdot(A @ x, y) == vdot(x, A.H @ y)`` to round-off, and ``scipy.sparse.linalg.lsqr``,
    ``lsmr``, ``cg`` on ``A.H @ A`` etc. solve deconvolution problems without ever forming
    ``A``.

    kernel: a 2-D real or complex array; shape: the image's (H, W); mode: 'full' | 'same' |
    'valid'; boundary: 'fill' | 'wrap' | 'symm' (as in :func:`convolution_matrix_2d`).
    dtype: float64 (complex128 for complex kernels; float32 / complex64 kernels keep theirs).
    Vectors are images raveled in C order; ``output_shape`` is the image of a matvec.
    ``to_matrix(format)`` gives the same map as :func:`convolution_matrix_2d`.

    >>> import numpy as np
    >>> op = ConvolutionOperator(np.ones((3, 3)) / 9, (4, 5), mode='same', boundary='symm')
    >>> op.shape, op.output_shape
    ((20, 20), (4, 5))
    >>> x, y = np.random.default_rng(0).random((2, 20))
    >>> bool(np.isclose(np.dot(op @ x, y), np.dot(x, op.H @ y)))
    True
    """

    def __init__(self, kernel, shape, mode="same", boundary="fill"):
        if _LinearOperator is None:
            raise ImportError("ConvolutionOperator needs SciPy (scipy.sparse.linalg)")
        kernel = _kernel(kernel)
        self.image_shape = _shape(shape)
        self.mode = _choice(mode, "mode", _MODES)
        self.boundary = _boundary(boundary)
        dtype = _value_dtype(kernel.dtype)
        self.kernel = np.array(kernel, dtype=dtype)  # a copy: later edits do not leak in
        pads, self._applied = _geometry(self.kernel.shape, self.image_shape, self.mode,
                                        self.boundary)
        self._pads = pads
        (H, W), (R, S) = self.image_shape, self.kernel.shape
        top, bottom, left, right = pads
        self.output_shape = (H + top + bottom - R + 1, W + left + right - S + 1)
        super().__init__(dtype=dtype, shape=(self.output_shape[0] * self.output_shape[1], H * W))

    def _matvec(self, x):
        x = np.asarray(x).reshape(self.image_shape)
        return _signal.convolve2d(x, self.kernel, self.mode, self.boundary).ravel()

    def _rmatvec(self, y):
        y = np.asarray(y).reshape(self.output_shape)
        (top, _, left, _), k = self._pads, self.kernel
        if self._applied == "fill" and self.mode == "full":  # only the image's part is needed
            return _signal.correlate2d(y, k, "valid").ravel()
        if self._applied == "fill" and self.mode == "same":  # correlate2d's 'same' starts at
            return _signal.correlate2d(y, k, "same").ravel()  # (R//2, S//2) = (top, left)
        z = _signal.correlate2d(y, k, "full")  # onto the padded domain
        return _fold(z, self.image_shape, top, left, self._applied).ravel()

    def _matmat(self, X):
        return np.column_stack([self._matvec(col) for col in np.asarray(X).T])

    def _rmatmat(self, Y):
        return np.column_stack([self._rmatvec(col) for col in np.asarray(Y).T])

    def to_matrix(self, format="csr"):
        """This operator as a matrix (:func:`convolution_matrix_2d`)."""
        return convolution_matrix_2d(self.kernel, self.image_shape, self.mode, self.boundary,
                                     format=format)

    def __repr__(self):
        return (f"<{self.shape[0]}x{self.shape[1]} ConvolutionOperator: kernel "
                f"{self.kernel.shape[0]}x{self.kernel.shape[1]}, image {self.image_shape}, "
                f"mode={self.mode!r}, boundary={self.boundary!r}, dtype={self.dtype}>")
