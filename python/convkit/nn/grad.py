"""convkit.nn.grad: the gradients of :func:`convkit.nn.conv2d` and
:func:`convkit.nn.conv_transpose2d`, with ``torch.nn.grad``'s signatures.

>>> import numpy as np
>>> from convkit import nn
>>> x = np.random.default_rng(0).standard_normal((2, 3, 8, 8), dtype=np.float32)
>>> w = np.random.default_rng(1).standard_normal((4, 3, 3, 3), dtype=np.float32)
>>> gy = np.ones((2, 4, 4, 4), np.float32)                    # d loss / d conv2d(x, w, stride=2, padding=1)
>>> nn.grad.conv2d_input(x.shape, w, gy, stride=2, padding=1).shape
(2, 3, 8, 8)
>>> nn.grad.conv2d_weight(x, w.shape, gy, stride=2, padding=1).shape
(4, 3, 3, 3)
>>> nn.grad.conv2d_bias(gy)
array([32., 32., 32., 32.], dtype=float32)

Beyond torch.nn.grad: every padding form of conv2d (4-tuples, 'same' also with even kernels and
stride > 1, 'valid'), every ``padding_mode`` (the gradient of a reflected, replicated or
wrapped border sample is added onto the sample it copies), ``layout='NHWC'``, and the
transposed convolution's gradients. The weight gradient is deterministic: the same bits for any
number of threads. torch tensors in give torch tensors out.
"""

import numpy as np

from .. import _core
from .._torch_interop import unwrap as _unwrap, wrap as _wrap
from ._args import LAYOUTS, PADDING_MODES, _array, _choice, _int, _pair, _padding
from ._transpose import _onnx_crop, _spatial

__all__ = ["conv2d_input", "conv2d_weight", "conv2d_bias", "conv_transpose2d_input",
           "conv_transpose2d_weight", "conv_transpose2d_bias"]


def _size(v, name, ranks=(4,)):
    try:
        size = tuple(int(d) for d in v)
    except (TypeError, ValueError):
        raise TypeError(f"{name}: expected a sequence of ints (a shape), got "
                        f"{type(v).__name__}") from None
    if len(size) not in ranks:
        raise ValueError(f"{name}: must have {' or '.join(map(str, ranks))} elements, got "
                         f"{len(size)}")
    return size


def _check_batch(n, g):
    """An empty batch returns zeros without calling the library: check its batch here."""
    if g.ndim != 4 or g.shape[0] != n:
        raise ValueError(f"input, grad_output: grad_output's shape {g.shape} does not match the "
                         f"input's batch of {n}")


def _batched(size, arrays):
    """A 3-D (unbatched) size and its arrays with a batch axis of 1."""
    if len(size) == 3:
        return (1,) + size, [a[np.newaxis] for a in arrays], True
    return size, arrays, False


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1, *,
                 padding_mode="zeros", layout="NCHW", algorithm="auto"):
    """d loss / d input of ``conv2d(input, weight, None, stride, padding, dilation, groups,
    padding_mode)`` given ``grad_output`` (``torch.nn.grad.conv2d_input``). input_size: the
    input's shape (4-D, or 3-D unbatched) in the layout's order."""
    (weight, grad_output), like = _unwrap(weight, grad_output, names=("weight", "grad_output"))
    size = _size(input_size, "input_size", (3, 4))
    g = _array(grad_output, "grad_output")
    size, (g,), unbatched = _batched(size, [g]) if len(size) == 3 else (size, [g], False)
    if size[0] == 0 or (g.ndim == 4 and g.shape[0] == 0):
        _check_batch(size[0], g)
        return _wrap(np.zeros(size[1:] if unbatched else size, g.dtype), like)
    r = _core.nn_conv2d_grad_input(size, _array(weight, "weight"), g, stride=_pair(stride, "stride"),
                                   padding=_padding(padding), dilation=_pair(dilation, "dilation"),
                                   groups=_int(groups, "groups"),
                                   padding_mode=_choice(padding_mode, "padding_mode", PADDING_MODES),
                                   layout=_choice(layout, "layout", LAYOUTS), algorithm=algorithm)
    return _wrap(r[0] if unbatched else r, like)


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1, *,
                  padding_mode="zeros", layout="NCHW", algorithm="auto"):
    """d loss / d weight of ``conv2d`` (``torch.nn.grad.conv2d_weight``): K x C/groups x R x S."""
    (input, grad_output), like = _unwrap(input, grad_output, names=("input", "grad_output"))
    x, g = _array(input, "input"), _array(grad_output, "grad_output")
    wsize = _size(weight_size, "weight_size")
    if x.ndim == 3:
        x, g = x[np.newaxis], g[np.newaxis]
    if x.ndim == 4 and (x.shape[0] == 0 or (g.ndim == 4 and g.shape[0] == 0)):
        _check_batch(x.shape[0], g)
        return _wrap(np.zeros(wsize, x.dtype), like)
    r = _core.nn_conv2d_grad_weight(x, wsize, g, stride=_pair(stride, "stride"),
                                    padding=_padding(padding), dilation=_pair(dilation, "dilation"),
                                    groups=_int(groups, "groups"),
                                    padding_mode=_choice(padding_mode, "padding_mode", PADDING_MODES),
                                    layout=_choice(layout, "layout", LAYOUTS), algorithm=algorithm)
    return _wrap(r, like)


def conv2d_bias(grad_output, layout="NCHW"):
    """d loss / d bias: grad_output summed over the batch and the pixels (K values)."""
    (grad_output,), like = _unwrap(grad_output, names=("grad_output",))
    g = _array(grad_output, "grad_output")
    if g.ndim == 3:
        g = g[np.newaxis]
    layout = _choice(layout, "layout", LAYOUTS)
    if g.ndim == 4 and g.shape[0] == 0:
        return _wrap(np.zeros(g.shape[1] if layout == "NCHW" else g.shape[3], g.dtype), like)
    return _wrap(_core.nn_grad_bias(g, layout=layout), like)


def _transpose_args(in_hw, kernel_hw, stride, padding, output_padding, dilation, auto_pad, pads,
                    output_shape):
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    padding, output_padding = _pair(padding, "padding"), _pair(output_padding, "output_padding")
    crop = None
    if auto_pad is not None or pads is not None or output_shape is not None:
        if padding != (0, 0):
            raise ValueError(f"padding: must be 0 with ONNX's auto_pad / pads / output_shape, "
                             f"got {padding}")
        crop = _onnx_crop(in_hw, kernel_hw, stride, dilation, output_padding, auto_pad, pads,
                          output_shape)
        output_padding = (0, 0)
    return dict(stride=stride, padding=padding, output_padding=output_padding,
                dilation=dilation, crop=crop)


def conv_transpose2d_input(input_size, weight, grad_output, stride=1, padding=0,
                           output_padding=0, groups=1, dilation=1, *, layout="NCHW",
                           auto_pad=None, pads=None, output_shape=None, algorithm="auto"):
    """d loss / d input of :func:`convkit.nn.conv_transpose2d` (a forward conv2d of
    grad_output with the same weight)."""
    (weight, grad_output), like = _unwrap(weight, grad_output, names=("weight", "grad_output"))
    size = _size(input_size, "input_size", (3, 4))
    w, g = _array(weight, "weight"), _array(grad_output, "grad_output")
    layout = _choice(layout, "layout", LAYOUTS)
    size, (g,), unbatched = _batched(size, [g]) if len(size) == 3 else (size, [g], False)
    if size[0] == 0 or (g.ndim == 4 and g.shape[0] == 0):
        _check_batch(size[0], g)
        return _wrap(np.zeros(size[1:] if unbatched else size, g.dtype), like)
    args = _transpose_args(_spatial(size, layout), w.shape[2:] if w.ndim == 4 else (1, 1), stride,
                           padding, output_padding, dilation, auto_pad, pads, output_shape)
    r = _core.nn_conv_transpose2d_grad_input(size, w, g, groups=_int(groups, "groups"),
                                             layout=layout, algorithm=algorithm, **args)
    return _wrap(r[0] if unbatched else r, like)


def conv_transpose2d_weight(input, weight_size, grad_output, stride=1, padding=0,
                            output_padding=0, groups=1, dilation=1, *, layout="NCHW",
                            auto_pad=None, pads=None, output_shape=None, algorithm="auto"):
    """d loss / d weight of :func:`convkit.nn.conv_transpose2d`: C_in x C_out/groups x kH x kW."""
    (input, grad_output), like = _unwrap(input, grad_output, names=("input", "grad_output"))
    x, g = _array(input, "input"), _array(grad_output, "grad_output")
    wsize = _size(weight_size, "weight_size")
    layout = _choice(layout, "layout", LAYOUTS)
    if x.ndim == 3:
        x, g = x[np.newaxis], g[np.newaxis]
    if x.ndim == 4 and (x.shape[0] == 0 or (g.ndim == 4 and g.shape[0] == 0)):
        _check_batch(x.shape[0], g)
        return _wrap(np.zeros(wsize, x.dtype), like)
    args = _transpose_args(_spatial(x.shape, layout) if x.ndim == 4 else (1, 1), wsize[2:],
                           stride, padding, output_padding, dilation, auto_pad, pads,
                           output_shape)
    r = _core.nn_conv_transpose2d_grad_weight(x, wsize, g, groups=_int(groups, "groups"),
                                              layout=layout, algorithm=algorithm, **args)
    return _wrap(r, like)


#: d loss / d bias of conv_transpose2d: the same sum as conv2d's.
conv_transpose2d_bias = conv2d_bias
