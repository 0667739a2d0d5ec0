"""``torch.nn.functional.conv_transpose2d`` / ``torch.nn.ConvTranspose2d`` on NumPy arrays, with
ONNX ``ConvTranspose``'s padding conventions beside PyTorch's.

Every convention becomes one crop of the full scatter ((H - 1) * stride + dilation * (k - 1) + 1
rows) at each end of each axis, which the library stores as such (negative: rows added):
PyTorch's padding p and output_padding op crop (p, p - op); ONNX's pads (begin, end) with its
output_padding crop (begin, end - op); ``auto_pad`` and ``output_shape`` resolve to pads first.
"""

import math

import numpy as np

from .. import _core
from .._torch_interop import unwrap as _unwrap, wrap as _wrap
from ._args import LAYOUTS, _activation, _array, _bias, _choice, _int, _is_sequence, _pair

AUTO_PADS = ("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID")


def _spatial(shape, layout):
    """(H, W) of a 4-D shape in the layout's order."""
    return (shape[2], shape[3]) if layout == "NCHW" else (shape[1], shape[2])


def _onnx_crop(in_hw, kernel_hw, stride, dilation, output_padding, auto_pad, pads, output_shape):
    """ONNX ConvTranspose's pads as a crop (top, bottom, left, right) of the full scatter."""
    auto_pad = "NOTSET" if auto_pad is None else _choice(auto_pad, "auto_pad", AUTO_PADS)
    if output_shape is not None:
        if not _is_sequence(output_shape) or len(output_shape) != 2:
            raise ValueError(f"output_shape: must be (height, width), got {output_shape!r}")
        output_shape = tuple(_int(v, "output_shape") for v in output_shape)
        if min(output_shape) < 1 or max(output_shape) >= 1 << 62:
            raise ValueError(f"output_shape: every size must be in [1, 2**62), got "
                             f"{output_shape}")
    if pads is not None:
        if auto_pad != "NOTSET":
            raise ValueError(f"pads: given together with auto_pad={auto_pad!r}")
        if not _is_sequence(pads) or len(pads) != 4:
            raise ValueError(f"pads: must be (top, left, bottom, right) (ONNX order), got {pads!r}")
        pads = tuple(_int(v, "pads") for v in pads)
        if min(pads) < 0:
            raise ValueError(f"pads: must be >= 0, got {pads}")
    crop = []
    for i in range(2):
        full = stride[i] * (in_hw[i] - 1) + output_padding[i] + (kernel_hw[i] - 1) * dilation[i] + 1
        if output_shape is not None or auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            out = output_shape[i] if output_shape is not None else in_hw[i] * stride[i]
            total = full - out
            small, large = total // 2, total - total // 2
            begin, end = (small, large) if auto_pad == "SAME_UPPER" else (large, small)
        elif auto_pad == "VALID":
            begin, end = 0, 0
        else:
            begin, end = (pads[i], pads[i + 2]) if pads is not None else (0, 0)
        crop += [begin, end - output_padding[i]]
    return tuple(crop)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1, *, activation=None, layout="NCHW", auto_pad=None, pads=None,
                     output_shape=None, algorithm="auto"):
    """``torch.nn.functional.conv_transpose2d(input, weight, bias, stride, padding,
    output_padding, groups, dilation)``, then the activation, on NumPy arrays (or torch tensors,
    which give torch tensors).

    input: N x C_in x H x W (``layout='NHWC'``: N x H x W x C_in), float32 or float64, any
        strides; a 3-D input is unbatched, as in PyTorch.
    weight: C_in x C_out/groups x kH x kW (PyTorch's layout). bias: C_out values or None.
    stride, padding, output_padding, dilation: an int or (height, width). The output has
        ``(H - 1) * stride - 2 * padding + dilation * (kH - 1) + output_padding + 1`` rows;
        output_padding must be smaller than the stride or the dilation (PyTorch's rule).
    activation: fused after the bias, as in :func:`convkit.nn.conv2d`.
    auto_pad, pads, output_shape: ONNX ``ConvTranspose``'s conventions instead of ``padding``
        (which must then stay 0): auto_pad 'NOTSET', 'SAME_UPPER', 'SAME_LOWER' (output
        ``H * stride``; the odd row of padding at the end for SAME_UPPER, at the start for
        SAME_LOWER) or 'VALID'; pads (top, left, bottom, right) in ONNX's order; output_shape
        (H_out, W_out) derives the pads. ``output_padding`` keeps its ONNX meaning.
        Keras' ``Conv2DTranspose``: padding='valid' is ``output_shape=((H - 1) * stride +
        max(kH, stride), ...)`` (rows past the kernel's reach are zeros + bias, at the end);
        padding='same' with kernel >= stride is ``auto_pad='SAME_UPPER'``.

    >>> import numpy as np
    >>> from convkit import nn
    >>> x = np.ones((1, 1, 2, 2), np.float32)
    >>> nn.conv_transpose2d(x, np.ones((1, 1, 2, 2), np.float32), stride=2)[0, 0]
    array([[1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.],
           [1., 1., 1., 1.]], dtype=float32)
    """
    (input, weight, bias), like = _unwrap(input, weight, bias, names=("input", "weight", "bias"))
    x = _array(input, "input")
    w = _array(weight, "weight")
    b = _bias(bias)
    layout = _choice(layout, "layout", LAYOUTS)
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    padding, output_padding = _pair(padding, "padding"), _pair(output_padding, "output_padding")
    unbatched = x.ndim == 3
    if unbatched:
        x = x[np.newaxis]
    empty = x.ndim == 4 and x.shape[0] == 0  # an empty batch, as PyTorch allows
    if empty:
        x = np.zeros((1,) + x.shape[1:], x.dtype)
    crop = None
    if auto_pad is not None or pads is not None or output_shape is not None:
        if padding != (0, 0):
            raise ValueError(f"padding: must be 0 with ONNX's auto_pad / pads / output_shape, "
                             f"got {padding}")
        if x.ndim == 4 and w.ndim == 4:
            crop = _onnx_crop(_spatial(x.shape, layout), w.shape[2:], stride, dilation,
                              output_padding, auto_pad, pads, output_shape)
            output_padding = (0, 0)
    act, alpha, beta = _activation(activation)
    y = _core.nn_conv_transpose2d(x, w, b, stride=stride, padding=padding,
                                  output_padding=output_padding, groups=_int(groups, "groups"),
                                  dilation=dilation, crop=crop, activation=act, alpha=alpha,
                                  beta=beta, layout=layout, algorithm=algorithm)
    if empty:
        y = np.empty((0,) + y.shape[1:], y.dtype)
    return _wrap(y[0] if unbatched else y, like)


class ConvTranspose2d:
    """``torch.nn.ConvTranspose2d`` (its forward) on NumPy arrays, with a fused activation.

    in_channels, out_channels, kernel_size, stride, padding, output_padding, groups, bias,
    dilation, padding_mode: PyTorch's (padding_mode 'zeros' only, as PyTorch). weight: None
    (PyTorch's initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = C_out/groups * kH
    * kW) or C_in x C_out/groups x kH x kW; bias True (initialised likewise), False, or C_out
    values. dtype (default float32), rng (a Generator or seed), activation, layout, algorithm: as
    :class:`convkit.nn.Conv2d`.

    ``layer(x, output_size=None)``: output_size (H, W) (or with the batch and channel sizes in
    front) picks the output_padding, as PyTorch's module does.

    >>> import numpy as np
    >>> from convkit import nn
    >>> up = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, rng=0)
    >>> up.weight.shape
    (8, 4, 3, 3)
    >>> up(np.zeros((1, 8, 5, 5), np.float32)).shape, up(np.zeros((1, 8, 5, 5), np.float32), output_size=(10, 10)).shape
    ((1, 4, 9, 9), (1, 4, 10, 10))
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros", *,
                 weight=None, activation=None, layout="NCHW", dtype=None, rng=None,
                 algorithm="auto"):
        self.in_channels = _int(in_channels, "in_channels")
        self.out_channels = _int(out_channels, "out_channels")
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        self.output_padding = _pair(output_padding, "output_padding")
        self.groups = _int(groups, "groups")
        self.dilation = _pair(dilation, "dilation")
        if padding_mode != "zeros":
            raise ValueError(f'padding_mode: only "zeros" padding mode is supported for '
                             f'ConvTranspose2d, got {padding_mode!r}')
        self.padding_mode = padding_mode
        self.activation = activation
        _activation(activation)
        self.layout = _choice(layout, "layout", LAYOUTS)
        self.algorithm = algorithm
        if self.in_channels < 1 or self.out_channels < 1:
            raise ValueError(f"in_channels, out_channels: must be >= 1, got "
                             f"{self.in_channels}, {self.out_channels}")
        if self.groups < 1 or self.in_channels % self.groups or self.out_channels % self.groups:
            raise ValueError(f"groups: {self.groups} must be >= 1 and divide in_channels "
                             f"({self.in_channels}) and out_channels ({self.out_channels})")
        for name, low in (("kernel_size", 1), ("stride", 1), ("dilation", 1), ("padding", 0),
                          ("output_padding", 0)):
            v = getattr(self, name)
            if min(v) < low or max(v) >= 1 << 40:
                raise ValueError(f"{name}: must be in [{low}, 2**40), got {v}")
        numel = self.in_channels * (self.out_channels // self.groups) * \
            self.kernel_size[0] * self.kernel_size[1]
        if numel >= 1 << 34:
            raise ValueError(f"in_channels, out_channels, kernel_size: the weight would have "
                             f"{numel} elements")
        for i in range(2):
            if (self.output_padding[i] >= self.stride[i]
                    and self.output_padding[i] >= self.dilation[i]):
                raise ValueError("output_padding: output padding must be smaller than either "
                                 f"stride or dilation, got output_padding={self.output_padding},"
                                 f" stride={self.stride}, dilation={self.dilation}")
        shape = (self.in_channels, self.out_channels // self.groups) + self.kernel_size
        gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        fan_in = shape[1] * shape[2] * shape[3]
        bound = 1.0 / math.sqrt(fan_in)
        if weight is None:
            try:
                dt = np.dtype(np.float32 if dtype is None else dtype)
            except TypeError as e:
                raise TypeError(f"dtype: {e}") from None
            if dt not in (np.float32, np.float64):
                raise TypeError(f"dtype: {dt} is not supported (convkit.nn takes float32 or "
                                f"float64)")
            weight = gen.uniform(-bound, bound, shape).astype(dt)
        self.weight = np.array(_array(weight, "weight"))
        if self.weight.dtype not in (np.float32, np.float64):
            raise TypeError(f"weight: dtype {self.weight.dtype} is not supported (convkit.nn "
                            f"takes float32 or float64)")
        if self.weight.shape != shape:
            raise ValueError(f"weight: shape {self.weight.shape} != expected {shape}")
        if bias is True or bias is None:
            bias = gen.uniform(-bound, bound, self.out_channels).astype(self.weight.dtype)
        self.bias = None if bias is False else np.array(_bias(bias))
        if self.bias is not None and (self.bias.dtype != self.weight.dtype
                                      or self.bias.shape != (self.out_channels,)):
            raise (TypeError if self.bias.shape == (self.out_channels,) else ValueError)(
                f"bias: must be {self.out_channels} values of the weight's dtype "
                f"{self.weight.dtype}, got shape {self.bias.shape} dtype {self.bias.dtype}")

    def _output_padding(self, x, output_size):
        if output_size is None:
            return self.output_padding
        if isinstance(output_size, (str, bytes)) or not hasattr(output_size, "__len__"):
            raise TypeError(f"output_size: expected a sequence of ints, got "
                            f"{type(output_size).__name__}")
        output_size = tuple(_int(v, "output_size") for v in output_size)
        if len(output_size) == x.ndim:
            output_size = _spatial(output_size if x.ndim == 4 else (1,) + output_size,
                                   self.layout)
        if len(output_size) != 2:
            raise ValueError(f"output_size: must have 2 or {x.ndim} elements, got "
                             f"{len(output_size)}")
        shape = x.shape if x.ndim == 4 else (1,) + x.shape
        in_hw = _spatial(shape, self.layout)
        mins = tuple((in_hw[i] - 1) * self.stride[i] - 2 * self.padding[i]
                     + self.dilation[i] * (self.kernel_size[i] - 1) + 1 for i in range(2))
        maxs = tuple(mins[i] + self.stride[i] - 1 for i in range(2))
        for i in range(2):
            if not mins[i] <= output_size[i] <= maxs[i]:
                raise ValueError(f"output_size: requested an output size of {list(output_size)},"
                                 f" but valid sizes range from {list(mins)} to {list(maxs)} "
                                 f"(for an input of {list(in_hw)})")
        return tuple(output_size[i] - mins[i] for i in range(2))

    def forward(self, input, output_size=None):
        (x,), like = _unwrap(input)
        x = _array(x, "input")
        op = self._output_padding(x, output_size)
        y = conv_transpose2d(x, self.weight, self.bias, self.stride, self.padding, op,
                             self.groups, self.dilation, activation=self.activation,
                             layout=self.layout, algorithm=self.algorithm)
        return _wrap(y, like)

    __call__ = forward

    def __repr__(self):
        extra = ", output_padding={}".format(self.output_padding) if any(self.output_padding) else ""
        return (f"ConvTranspose2d({self.in_channels}, {self.out_channels}, "
                f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
                f"{extra}, groups={self.groups}, dilation={self.dilation}, "
                f"bias={self.bias is not None})")
