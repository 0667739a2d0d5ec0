"""convkit.nn: ``torch.nn.functional.conv2d`` and ``torch.nn.Conv2d`` (forward) on NumPy arrays.

>>> import numpy as np
>>> from convkit import nn
>>> x = np.random.default_rng(0).standard_normal((2, 3, 32, 32), dtype=np.float32)
>>> w = np.random.default_rng(1).standard_normal((16, 3, 3, 3), dtype=np.float32)
>>> nn.conv2d(x, w, padding=1, activation="relu").shape       # = F.relu(F.conv2d(...))
(2, 16, 32, 32)
>>> layer = nn.Conv2d(3, 16, 3, stride=2, padding="same", activation=("leaky_relu", 0.1))
>>> layer(x).shape                                          # weights packed once, plan cached
(2, 16, 16, 16)

The numbers are PyTorch's (float32 accumulates in float32, float64 in float64), on float32 or
float64 arrays of any strides (transposes and other views are read in place). Every call
releases the GIL. Beyond ``torch.nn.functional.conv2d``:

- ``padding`` also takes ``(top, bottom, left, right)``; ``'same'`` also works with stride > 1
  (TensorFlow's SAME rule: output ``ceil(H / stride)``, the odd pixel of padding at the
  bottom/right);
- ``padding_mode`` ('zeros', 'reflect', 'replicate', 'circular') in the functional form too,
  without making a padded copy;
- ``activation`` fused after the bias (see :func:`conv2d`);
- ``layout='NHWC'``: input N x H x W x C, output N x P x Q x K (weights stay K x C/groups x R x S).

Also ``unfold`` and ``fold`` (``torch.nn.functional.unfold/fold``: sliding blocks as columns and
back, so that ``conv2d(x, w) == w.reshape(K, -1) @ unfold(x, ...)`` without groups).

Errors: ValueError for shapes and parameters (the message names the parameter), TypeError for
dtypes (integer arrays, float32 input with float64 weights) and for arguments of the wrong type.
"""

import math

import numpy as np

from .. import _core
from .._im2col import col2im, fold, im2col, unfold

from ._args import (_ACTIVATION_DEFAULTS, ACTIVATIONS, LAYOUTS, PADDING_MODES,  # noqa: F401
                    _activation, _array, _bias, _choice, _int, _is_sequence, _pair, _padding)
from .._torch_interop import unwrap as _unwrap, wrap as _wrap

__all__ = ["conv2d", "Conv2d", "conv_transpose2d", "ConvTranspose2d", "grad", "unfold", "fold",
           "im2col", "col2im", "ACTIVATIONS", "PADDING_MODES", "LAYOUTS"]


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           padding_mode="zeros", activation=None, layout="NCHW", *, algorithm="auto",
           residual=None):
    """``torch.nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups)``,
    then the activation, on NumPy arrays.

    input: N x C x H x W (``layout='NCHW'``) or N x H x W x C (``'NHWC'``), float32 or float64,
        any strides; an unbatched C x H x W (H x W x C) array gives an unbatched result, as in
        PyTorch.
    weight: K x C/groups x R x S of the input's dtype. bias: K values of that dtype, or None.
    stride, dilation: an int or (height, width), each >= 1.
    padding: an int, (height, width), (top, bottom, left, right), 'valid' (none) or 'same'
        (output size ceil(H / stride): PyTorch's split at stride 1 -- the odd pixel at the
        bottom/right --, TensorFlow's SAME rule at stride > 1, which PyTorch refuses).
    groups: C and K must both be multiples of it (groups == C: depthwise, K = C x multiplier).
    padding_mode: how the padding is filled, as ``torch.nn.Conv2d``'s: 'zeros', 'reflect'
        (each pad < the input size), 'replicate', 'circular' (each pad <= the input size).
    activation: applied after the bias, fused into the convolution --
        None; 'relu'; 'relu6'; 'sigmoid'; 'tanh'; 'gelu' (the exact erf form, PyTorch's
        default); 'silu'; 'leaky_relu' (negative slope 0.01) or ('leaky_relu', slope);
        'clamp' / 'hardtanh' (bounds -1, 1) or ('clamp', lo, hi) / ('hardtanh', lo, hi).
    layout: 'NCHW' or 'NHWC' (input and output; weights stay K x C/groups x R x S).
    algorithm: 'auto' (the planner's choice) or a convkit algorithm name, e.g. 'im2col',
        'reference' (ValueError if it cannot run this problem).
    residual: None, or an array shaped like the output (the input's dtype) added before the
        activation, fused into the epilogue (a ResNet block: ``act(conv(x) + b + shortcut)``).

    Returns a new array: N x K x P x Q (NCHW) or N x P x Q x K (NHWC), the input's dtype.

    >>> import numpy as np
    >>> from convkit import nn
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    >>> nn.conv2d(x, np.ones((1, 1, 2, 2), np.float32), stride=2)
    array([[[[10., 18.],
             [42., 50.]]]], dtype=float32)
    >>> nn.conv2d(x, np.ones((2, 1, 3, 3), np.float32), np.array([-50, 0], np.float32),
    ...           padding="same", padding_mode="replicate", activation=("clamp", 0, 60))[0, :, 0]
    array([[ 0.,  0.,  0.,  0.],
           [15., 21., 30., 36.]], dtype=float32)
    """
    (input, weight, bias, residual), like = _unwrap(
        input, weight, bias, residual, names=("input", "weight", "bias", "residual"))
    return _wrap(_conv2d(input, weight, bias, stride, padding, dilation, groups, padding_mode,
                         activation, layout, algorithm, residual), like)


def _conv2d(input, weight, bias, stride, padding, dilation, groups, padding_mode, activation,
            layout, algorithm, residual):
    x = _array(input, "input")
    w = _array(weight, "weight")
    b = _bias(bias)
    unbatched = x.ndim == 3
    if unbatched:
        x = x[np.newaxis]
    act, alpha, beta = _activation(activation)
    res = None if residual is None else _array(residual, "residual")
    if res is not None and unbatched:
        res = res[np.newaxis]
    empty = x.ndim == 4 and x.shape[0] == 0  # an empty batch, as PyTorch allows
    if empty:
        x = np.zeros((1,) + x.shape[1:], x.dtype)
        res = None
    y = _core.nn_conv2d(x, w, b, stride=_pair(stride, "stride"), padding=_padding(padding),
                        dilation=_pair(dilation, "dilation"), groups=_int(groups, "groups"),
                        padding_mode=_choice(padding_mode, "padding_mode", PADDING_MODES),
                        activation=act, alpha=alpha, beta=beta,
                        layout=_choice(layout, "layout", LAYOUTS), algorithm=algorithm,
                        residual=res)
    if empty:
        return np.empty((0,) + y.shape[1:], y.dtype)
    return y[0] if unbatched else y


class Conv2d:
    """``torch.nn.Conv2d`` (its forward) with a fused activation: weights packed once, a plan
    made per input shape and cached.

    in_channels, out_channels: C and K (both multiples of ``groups``).
    kernel_size: an int or (height, width).
    stride, padding, dilation, groups, padding_mode, activation, layout: as in :func:`conv2d`.
    weight: K x C/groups x R x S, float32 or float64; None: PyTorch's initialisation,
        U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = C/groups * R * S (what
        ``kaiming_uniform_(a=sqrt(5))`` gives).
    bias: K values of the weight's dtype; None (or True): initialised like PyTorch's,
        U(-1/sqrt(fan_in), 1/sqrt(fan_in)); False: no bias.
    dtype: the dtype of initialised parameters (default float32; a given weight's dtype wins).
    rng: a ``numpy.random.Generator`` or a seed for the initialisation (default: fresh entropy).
    algorithm: 'auto' or a convkit algorithm name, as in :func:`conv2d`.

    ``layer(x)`` (= ``layer.forward(x)``) returns the output; ``layer.explain(x_or_shape)`` says
    which algorithm the plan for that input shape uses and why. The parameters ``weight`` and
    ``bias`` are read-only arrays: assigning a new array to either repacks the layer.

    >>> import numpy as np
    >>> from convkit import nn
    >>> layer = nn.Conv2d(4, 8, (3, 5), padding=(1, 2), groups=2, activation="gelu", rng=0)
    >>> layer.weight.shape, layer.bias.shape, layer.kernel_size, layer.padding
    ((8, 2, 3, 5), (8,), (3, 5), (1, 2))
    >>> layer(np.zeros((1, 4, 10, 10), np.float32)).shape
    (1, 8, 10, 10)
    >>> "im2col" in layer.explain((1, 4, 10, 10))            # doctest: +SKIP
    True
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, padding_mode="zeros", activation=None, weight=None, bias=None,
                 layout="NCHW", *, dtype=None, rng=None, algorithm="auto"):
        self.in_channels = _int(in_channels, "in_channels")
        self.out_channels = _int(out_channels, "out_channels")
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _padding(padding)
        self.dilation = _pair(dilation, "dilation")
        self.groups = _int(groups, "groups")
        self.padding_mode = _choice(padding_mode, "padding_mode", PADDING_MODES)
        self.activation = activation
        self._act = _activation(activation)
        self.layout = _choice(layout, "layout", LAYOUTS)
        self.algorithm = algorithm

        if min(self.kernel_size) < 1:
            raise ValueError(f"kernel_size: must be >= 1, got {self.kernel_size}")
        if dtype is not None:
            try:
                dtype = np.dtype(dtype)
            except TypeError as e:
                raise TypeError(f"dtype: not a dtype: {dtype!r} ({e})") from None
        what = "dtype"
        if weight is not None:
            weight = _array(weight, "weight")
            if dtype is not None and dtype != weight.dtype:
                raise TypeError(f"dtype: {dtype.name} differs from the weight's "
                                f"{weight.dtype.name}")
            dtype, what = weight.dtype, "weight"
        dtype = np.dtype("float32" if dtype is None else dtype)
        if dtype not in (np.float32, np.float64):
            raise TypeError(f"{what}: {dtype.name} is not supported (convkit.nn takes float32 "
                            f"or float64)")
        fan_in = self.in_channels // max(self.groups, 1) * self.kernel_size[0] * \
            self.kernel_size[1]
        bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
        generator = None
        if weight is None or bias is None or bias is True:
            generator = np.random.default_rng(rng)
        try:
            if weight is None:
                if self._sizes_valid():
                    shape = (self.out_channels, self.in_channels // self.groups) + \
                        self.kernel_size
                    weight = generator.uniform(-bound, bound, shape).astype(dtype)
                else:  # the layer's own check below names what is wrong
                    weight = np.zeros((1, 1, 1, 1), dtype)
            if bias is None or bias is True:
                bias = generator.uniform(-bound, bound, max(self.out_channels, 1)).astype(dtype)
        except (MemoryError, ValueError):  # ValueError: NumPy's "array is too big"
            raise ValueError(f"in_channels, out_channels, kernel_size: the parameters of a "
                             f"{self.in_channels}->{self.out_channels} layer with "
                             f"{self.kernel_size} kernels do not fit in memory") from None
        self._weight = self._frozen(weight)
        bias = _bias(bias)
        self._bias = None if bias is None else self._frozen(bias)
        self._build()

    def _sizes_valid(self):
        c, k, g = self.in_channels, self.out_channels, self.groups
        return (c >= 1 and k >= 1 and g >= 1 and c % g == 0 and k % g == 0 and
                min(self.kernel_size) >= 1)

    @staticmethod
    def _frozen(a):
        a = np.array(a, copy=True)
        a.flags.writeable = False
        return a

    def _build(self):
        act, alpha, beta = self._act
        padding = self.padding if isinstance(self.padding, str) else tuple(self.padding)
        self._layer = _core.NnConv2d(
            self.in_channels, self.out_channels, self.kernel_size, self._weight, self._bias,
            stride=self.stride, padding=padding, dilation=self.dilation, groups=self.groups,
            padding_mode=self.padding_mode, activation=act, alpha=alpha, beta=beta,
            layout=self.layout, algorithm=self.algorithm)

    # -- parameters ---------------------------------------------------------------------------
    @property
    def weight(self):
        """K x C/groups x R x S (read-only; assign a new array to change it)."""
        return self._weight

    @weight.setter
    def weight(self, value):
        old = self._weight
        self._weight = self._frozen(_array(value, "weight"))
        try:
            self._build()
        except Exception:
            self._weight = old
            raise

    @property
    def bias(self):
        """K values, or None (read-only; assign a new array, or None, to change it)."""
        return self._bias

    @bias.setter
    def bias(self, value):
        old = self._bias
        value = _bias(value)
        self._bias = None if value is None else self._frozen(value)
        try:
            self._build()
        except Exception:
            self._bias = old
            raise

    @property
    def dtype(self):
        return self._weight.dtype

    # -- running ------------------------------------------------------------------------------
    def forward(self, input, residual=None):
        """The output for ``input`` (N x C x H x W or N x H x W x C per ``layout``, or unbatched
        without N), a new array of the layer's dtype. ``residual`` (shaped like the output) is
        added before the activation, fused into the epilogue."""
        x = _array(input, "input")
        res = None if residual is None else _array(residual, "residual")
        if x.ndim == 3:
            return self._layer.forward(x[np.newaxis],
                                       None if res is None else res[np.newaxis])[0]
        if x.ndim == 4 and x.shape[0] == 0:  # an empty batch, as PyTorch allows
            y = self._layer.forward(np.zeros((1,) + x.shape[1:], x.dtype))
            return np.empty((0,) + y.shape[1:], y.dtype)
        return self._layer.forward(x, res)

    __call__ = forward

    def _shape(self, input_shape_or_array):
        shape = getattr(input_shape_or_array, "shape", input_shape_or_array)
        if not _is_sequence(shape):
            raise TypeError(f"input_shape: expected a shape tuple or an array, "
                            f"got {type(input_shape_or_array).__name__}")
        shape = tuple(_int(v, "input_shape") for v in shape)
        return (1,) + shape if len(shape) == 3 else shape

    def explain(self, input_shape_or_array):
        """The plan for this input shape (or an array's): every candidate algorithm with its
        estimate, and the one chosen."""
        return self._layer.explain(self._shape(input_shape_or_array))

    def plan_algorithm(self, input_shape_or_array):
        """The name of the algorithm the plan for this input shape uses ('im2col', ...)."""
        return self._layer.algorithm(self._shape(input_shape_or_array))

    def output_shape(self, input_shape_or_array):
        """The output shape for an input shape (both in the layout's order)."""
        shape = self._shape(input_shape_or_array)
        out = self._layer.output_shape(shape)
        n = len(getattr(input_shape_or_array, "shape", input_shape_or_array))
        return out[1:] if n == 3 else out

    @property
    def cached_plans(self):
        """How many input shapes have a plan so far."""
        return self._layer.cached_plans

    # -- Python protocol ----------------------------------------------------------------------
    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        s += f", stride={self.stride}"
        if self.padding != (0, 0):
            s += f", padding={self.padding!r}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self._bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode!r}"
        if self.activation is not None:
            s += f", activation={self.activation!r}"
        if self.layout != "NCHW":
            s += f", layout={self.layout!r}"
        if self.dtype != np.float32:
            s += f", dtype={self.dtype.name}"
        return s

    def __repr__(self):
        return f"Conv2d({self.extra_repr()})"

    def __getstate__(self):
        state = self.__dict__.copy()
        del state["_layer"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._weight = self._frozen(self._weight)
        self._bias = None if self._bias is None else self._frozen(self._bias)
        self._build()


from ._transpose import ConvTranspose2d, conv_transpose2d  # noqa: E402
from . import grad  # noqa: E402
