"""convkit.torch: ``torch.nn.Conv2d`` / ``ConvTranspose2d`` (and their functional forms) whose
forward and backward run in convkit, on CPU float32 / float64 tensors.

>>> import torch
>>> import convkit.torch as ct
>>> layer = ct.Conv2d(3, 8, 3, padding=1)        # torch.nn.Conv2d's constructor, init, state_dict
>>> x = torch.randn(2, 3, 16, 16, requires_grad=True)
>>> y = layer(x)
>>> y.sum().backward()                           # the gradients come from convkit too
>>> y.shape, x.grad.shape, layer.weight.grad.shape
(torch.Size([2, 8, 16, 16]), torch.Size([2, 3, 16, 16]), torch.Size([8, 3, 3, 3]))
>>> model = ct.convert(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU()))
>>> type(model[0]).__module__                    # swapped in place, same parameters
'convkit.torch'
>>> layer.explain(torch.randn(1, 3, 8, 8, dtype=torch.bfloat16))
'fell back to torch: input is torch.bfloat16 (convkit takes float32 or float64)'

What runs in convkit: tensors on the CPU, all float32 or all float64, strided (any strides:
channels_last, transposed and expanded views are read in place, and a channels_last input gives
a channels_last output and gradient, as in torch). Everything else -- CUDA and other devices,
float16, bfloat16, complex, mixed dtypes, tensor subclasses, CPU autocast, a padding form convkit
does not take -- goes to ``torch.nn.functional`` with the same arguments; the modules keep the
reason in ``fallback_note`` and ``explain(input)`` says it.

The tensors are handed to convkit.nn as NumPy views through DLPack, without copies, and the
results come back the same way. float32 accumulates in float32, float64 in float64 (so
``torch.autograd.gradcheck`` holds). The backward computes only the gradients autograd asks for;
double backward (gradients of gradients) is not supported. Beyond torch:

- :func:`conv2d` takes ``padding_mode`` (as ``torch.nn.Conv2d`` does) and, as convkit.nn does,
  ``padding=(top, bottom, left, right)`` and ``'same'`` at stride > 1 (TensorFlow's rule);
- :func:`convert` swaps every ``torch.nn.Conv2d`` / ``ConvTranspose2d`` of a model for these
  classes in place; ``Conv2d.from_torch(m)`` makes one that shares ``m``'s parameters.

Importing this module imports torch; ``import convkit`` never does.
"""

import copy
import numbers

import numpy as np
import torch
import torch.nn.functional as F
from torch.autograd.function import once_differentiable

from . import nn as _nn
from .nn import grad as _grad

__all__ = ["conv2d", "conv_transpose2d", "Conv2d", "ConvTranspose2d", "convert",
           "fallback_reason"]

_DTYPES = (torch.float32, torch.float64)
# Parameter is what modules hold; other subclasses (FakeTensor, DTensor, wrappers) may not
# have memory a NumPy view can see, so they go to torch.
_PLAIN = (torch.Tensor, torch.nn.Parameter)


# ---- tensors <-> NumPy ---------------------------------------------------------------------------

def _np(t):
    """A NumPy view of a CPU tensor (same memory and strides). detach(): DLPack refuses tensors
    that require grad; convkit only reads."""
    return np.from_dlpack(t.detach())


def _np_grad(g):
    """grad_output as NumPy. Autograd may hand an expanded tensor (stride 0: the gradient of
    ``y.sum()``); convkit reads any strides, zero included, so it goes in as it is."""
    return _np(g)


def _tensor(a):
    """A tensor on a NumPy result, sharing its memory (any non-negative strides)."""
    if not a.flags.writeable:  # torch.from_numpy warns on read-only memory
        a = a.copy()
    return torch.from_numpy(a)


def _channels_last(t):
    """True for a 4-D tensor stored N x H x W x C (and not also N x C x H x W): convkit then
    runs with layout='NHWC' on the permuted view, so that the output is channels_last too."""
    return (t.dim() == 4 and not t.is_contiguous()
            and t.is_contiguous(memory_format=torch.channels_last))


def _to_layout(a, layout):
    return a.transpose(0, 2, 3, 1) if layout == "NHWC" else a   # NCHW view -> NHWC view


def _from_layout(a, layout):
    return a.transpose(0, 3, 1, 2) if layout == "NHWC" else a   # NHWC result -> NCHW view


# ---- when convkit runs ---------------------------------------------------------------------------

def _is_int(v):
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _padding_ok(padding, transposed):
    """The padding forms convkit takes: conv2d int, (h, w), (top, bottom, left, right),
    'same', 'valid'; conv_transpose2d int, (h, w)."""
    if isinstance(padding, str):
        return not transposed and padding in ("same", "valid")
    if isinstance(padding, (tuple, list)):
        return len(padding) in ((2,) if transposed else (2, 4)) and all(map(_is_int, padding))
    return _is_int(padding)


def fallback_reason(input, weight, bias=None, padding=0, transposed=False):
    """None when convkit runs this convolution, else why torch runs it (a short phrase)."""
    named = [("input", input), ("weight", weight)] + ([("bias", bias)] if bias is not None else [])
    for name, t in named:
        if not isinstance(t, torch.Tensor):
            return f"{name} is a {type(t).__name__}, not a torch.Tensor"
        if type(t) not in _PLAIN:
            return f"{name} is a {type(t).__name__} (a tensor subclass)"
        if t.device.type != "cpu":
            return f"{name} is on {t.device} (convkit runs on the CPU)"
        if t.layout != torch.strided:
            return f"{name} has layout {t.layout} (convkit takes strided tensors)"
        if t.dtype not in _DTYPES:
            return f"{name} is {t.dtype} (convkit takes float32 or float64)"
    if len({t.dtype for _, t in named}) > 1:
        return "mixed dtypes (" + ", ".join(f"{name} {t.dtype}" for name, t in named) + ")"
    if input.dim() not in (3, 4):
        return f"input has {input.dim()} dimensions (convkit takes 3 or 4)"
    if weight.dim() != 4:
        return f"weight has {weight.dim()} dimensions (convkit takes 4)"
    if not _padding_ok(padding, transposed):
        return f"padding {padding!r} is not a form convkit takes"
    if torch.is_autocast_enabled("cpu"):
        # torch would cast to the autocast dtype; convkit would compute in float32 instead.
        return f"CPU autocast is on ({torch.get_autocast_dtype('cpu')})"
    return None


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _explicit_pads(padding, size, kernel, stride, dilation):
    """(top, bottom, left, right) for a padding form convkit takes, or None for one it doesn't
    ('same' as convkit spells it: output ceil(n / stride), the odd pixel at the bottom/right --
    torch's split at stride 1)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        pads = []
        for n, k, s, d in zip(size, kernel, _pair(stride), _pair(dilation)):
            total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
            pads += [total // 2, total - total // 2]
        return tuple(pads)
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        return tuple(padding)
    if isinstance(padding, (tuple, list)) and len(padding) == 2:
        return (padding[0], padding[0], padding[1], padding[1])
    if _is_int(padding):
        return (padding,) * 4
    return None


def _torch_conv2d(input, weight, bias, stride, padding, dilation, groups, padding_mode):
    """conv2d with convkit's arguments, in torch (F.pad + conv2d where F.conv2d has no such
    form: padding_mode, 4-tuple padding, 'same' at stride > 1)."""
    torch_form = (isinstance(padding, str) or _is_int(padding)
                  or (isinstance(padding, (tuple, list)) and len(padding) == 2))
    if padding == "same" and _pair(stride) != (1, 1):
        torch_form = False
    if padding_mode == "zeros" and torch_form:
        return F.conv2d(input, weight, bias, stride, padding, dilation, groups)
    pads = None
    if isinstance(input, torch.Tensor) and isinstance(weight, torch.Tensor):
        pads = _explicit_pads(padding, input.shape[-2:], weight.shape[-2:], stride, dilation)
    if pads is None:  # not a form anyone takes: torch says what is wrong
        return F.conv2d(input, weight, bias, stride, padding, dilation, groups)
    top, bottom, left, right = pads
    mode = "constant" if padding_mode == "zeros" else padding_mode
    x = F.pad(input, (left, right, top, bottom), mode=mode)
    return F.conv2d(x, weight, bias, stride, 0, dilation, groups)


# ---- autograd functions --------------------------------------------------------------------------

class _Conv2dFunction(torch.autograd.Function):
    """conv2d on a batched (4-D) input, forward and backward in convkit."""

    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, dilation, groups, padding_mode):
        layout = "NHWC" if _channels_last(input) else "NCHW"
        out = _nn.conv2d(_to_layout(_np(input), layout), _np(weight),
                         None if bias is None else _np(bias), stride, padding, dilation, groups,
                         padding_mode, layout=layout)
        ctx.save_for_backward(input, weight)
        ctx.conf = (stride, padding, dilation, groups, padding_mode, layout)
        return _tensor(_from_layout(out, layout))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        stride, padding, dilation, groups, padding_mode, layout = ctx.conf
        if input.shape[0] == 0:
            return _empty_batch_grads(ctx, input, weight, grad_output)
        need_input, need_weight, need_bias = ctx.needs_input_grad[:3]
        g = _to_layout(_np_grad(grad_output), layout)
        gi = gw = gb = None
        if need_input:
            size = _to_layout(_np(input), layout).shape
            gi = _tensor(_from_layout(_grad.conv2d_input(
                size, _np(weight), g, stride, padding, dilation, groups,
                padding_mode=padding_mode, layout=layout), layout))
        if need_weight:
            gw = _tensor(_grad.conv2d_weight(
                _to_layout(_np(input), layout), tuple(weight.shape), g, stride, padding,
                dilation, groups, padding_mode=padding_mode, layout=layout))
        if need_bias:
            gb = _tensor(_grad.conv2d_bias(g, layout=layout))
        return gi, gw, gb, None, None, None, None, None


class _ConvTranspose2dFunction(torch.autograd.Function):
    """conv_transpose2d on a batched (4-D) input, forward and backward in convkit."""

    @staticmethod
    def forward(ctx, input, weight, bias, stride, padding, output_padding, groups, dilation):
        layout = "NHWC" if _channels_last(input) else "NCHW"
        out = _nn.conv_transpose2d(_to_layout(_np(input), layout), _np(weight),
                                   None if bias is None else _np(bias), stride, padding,
                                   output_padding, groups, dilation, layout=layout)
        ctx.save_for_backward(input, weight)
        ctx.conf = (stride, padding, output_padding, groups, dilation, layout)
        return _tensor(_from_layout(out, layout))

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_output):
        input, weight = ctx.saved_tensors
        stride, padding, output_padding, groups, dilation, layout = ctx.conf
        if input.shape[0] == 0:
            return _empty_batch_grads(ctx, input, weight, grad_output)
        need_input, need_weight, need_bias = ctx.needs_input_grad[:3]
        g = _to_layout(_np_grad(grad_output), layout)
        gi = gw = gb = None
        if need_input:
            size = _to_layout(_np(input), layout).shape
            gi = _tensor(_from_layout(_grad.conv_transpose2d_input(
                size, _np(weight), g, stride, padding, output_padding, groups, dilation,
                layout=layout), layout))
        if need_weight:
            gw = _tensor(_grad.conv_transpose2d_weight(
                _to_layout(_np(input), layout), tuple(weight.shape), g, stride, padding,
                output_padding, groups, dilation, layout=layout))
        if need_bias:
            gb = _tensor(_grad.conv_transpose2d_bias(g, layout=layout))
        return gi, gw, gb, None, None, None, None, None


def _empty_batch_grads(ctx, input, weight, grad_output):
    """The gradients for a batch of 0 (what convkit's grad functions need not handle): an empty
    input gradient, zero weight and bias gradients."""
    need_input, need_weight, need_bias = ctx.needs_input_grad[:3]
    return (torch.zeros_like(input) if need_input else None,
            torch.zeros_like(weight) if need_weight else None,
            grad_output.new_zeros(grad_output.shape[1]) if need_bias else None,
            None, None, None, None, None)


def _apply(function, input, *args):
    """function on a batched input; an unbatched C x H x W input runs as a batch of one."""
    if input.dim() == 3:
        return function.apply(input.unsqueeze(0), *args).squeeze(0)
    return function.apply(input, *args)


# ---- functional ----------------------------------------------------------------------------------

def _conv2d(reason, input, weight, bias, stride, padding, dilation, groups, padding_mode):
    if reason is not None:
        return _torch_conv2d(input, weight, bias, stride, padding, dilation, groups, padding_mode)
    return _apply(_Conv2dFunction, input, weight, bias, stride, padding, dilation, groups,
                  padding_mode)


def _conv_transpose2d(reason, input, weight, bias, stride, padding, output_padding, groups,
                      dilation):
    if reason is not None:
        return F.conv_transpose2d(input, weight, bias, stride, padding, output_padding, groups,
                                  dilation)
    return _apply(_ConvTranspose2dFunction, input, weight, bias, stride, padding,
                  output_padding, groups, dilation)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1,
           padding_mode="zeros"):
    """``torch.nn.functional.conv2d`` (differentiable), in convkit on CPU float32 / float64
    tensors, else in torch.

    padding: an int, (h, w), (top, bottom, left, right), 'valid' or 'same' (also at stride > 1:
    output ceil(H / stride), TensorFlow's rule). padding_mode: 'zeros', 'reflect', 'replicate'
    or 'circular', as ``torch.nn.Conv2d``'s (the gradient of the border samples is folded back).
    """
    reason = fallback_reason(input, weight, bias, padding)
    return _conv2d(reason, input, weight, bias, stride, padding, dilation, groups, padding_mode)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """``torch.nn.functional.conv_transpose2d`` (differentiable), in convkit on CPU float32 /
    float64 tensors, else in torch. weight: C_in x C_out/groups x kH x kW."""
    reason = fallback_reason(input, weight, bias, padding, transposed=True)
    return _conv_transpose2d(reason, input, weight, bias, stride, padding, output_padding,
                             groups, dilation)


# ---- modules -------------------------------------------------------------------------------------

class _ConvkitModule:
    """What Conv2d and ConvTranspose2d add to their torch base class (no state of their own,
    so that :func:`convert` can swap a torch module's class in place)."""

    #: None after a forward that ran in convkit, else why the last forward ran in torch.
    fallback_note = None

    @classmethod
    def from_torch(cls, module):
        """A module of this class sharing ``module``'s parameters, buffers and hooks (the
        torch module itself is left as it is; :func:`convert` swaps in place instead)."""
        base = cls.__mro__[2]  # torch.nn.Conv2d or torch.nn.ConvTranspose2d
        if not isinstance(module, base):
            raise TypeError(f"module: expected a {base.__module__}.{base.__qualname__}, "
                            f"got {type(module).__name__}")
        new = cls.__new__(cls)
        # Own copies of the dicts (parameters, buffers, hooks, submodules), same tensors in them.
        new.__dict__.update({k: copy.copy(v) if isinstance(v, dict) else v
                             for k, v in module.__dict__.items()})
        return new

    @staticmethod
    def _as_input(input, weight):
        """explain() takes a tensor or a shape; a shape stands for a CPU tensor of the weight's
        dtype (one element, stride 0: nothing is allocated)."""
        if isinstance(input, torch.Tensor):
            return input
        shape = tuple(int(v) for v in input)
        return torch.empty_strided(shape, (0,) * len(shape), dtype=weight.dtype)

    def _explain(self, what, reason, input, make_layer):
        if reason is not None:
            return f"fell back to torch: {reason}"
        layout = "NHWC" if _channels_last(input) else "NCHW"
        needs = torch.is_grad_enabled() and (input.requires_grad or any(
            p is not None and p.requires_grad for p in (self.weight, self.bias)))
        dtype = str(input.dtype).replace("torch.", "")
        text = (f"convkit: {what} forward{' + backward' if needs else ''} on {dtype} CPU "
                f"tensors ({'channels_last, run as NHWC' if layout == 'NHWC' else 'NCHW'})")
        try:  # what convkit.nn plans for the forward, where it says
            layer = make_layer(layout)
            shape = tuple(input.shape)
            if len(shape) == 3:
                shape = (1,) + shape
            if layout == "NHWC":
                shape = (shape[0], shape[2], shape[3], shape[1])
            explain = getattr(layer, "explain", None)
            if explain is not None:
                text += "\nthe forward's plan:\n" + str(explain(shape))
        except Exception as e:  # explain() is a diagnostic: never fail because of it
            text += f"\n(no plan to show: {e})"
        return text


class Conv2d(_ConvkitModule, torch.nn.Conv2d):
    """``torch.nn.Conv2d`` whose forward and backward run in convkit (CPU float32 / float64).

    Same constructor, parameters, initialisation and state_dict as ``torch.nn.Conv2d`` (it is a
    subclass: only ``_conv_forward`` -- what ``forward`` calls -- differs), so a checkpoint of
    one loads into the other. padding_mode and string padding ('same', 'valid') run in convkit.
    ``explain(input)`` says where a forward on ``input`` (a tensor or a shape) would run and,
    in convkit, what it plans.
    """

    def _conv_forward(self, input, weight, bias):
        reason = fallback_reason(input, weight, bias, self.padding)
        self.fallback_note = reason
        if reason is not None and self.padding_mode != "zeros":
            # torch's own way (F.pad with the padding it precomputed, then conv2d).
            return super()._conv_forward(input, weight, bias)
        return _conv2d(reason, input, weight, bias, self.stride, self.padding, self.dilation,
                       self.groups, self.padding_mode)

    def explain(self, input):
        input = self._as_input(input, self.weight)
        reason = fallback_reason(input, self.weight, self.bias, self.padding)

        def make_layer(layout):
            return _nn.Conv2d(self.in_channels, self.out_channels, self.kernel_size,
                              self.stride, self.padding, self.dilation, self.groups,
                              self.padding_mode, weight=_np(self.weight),
                              bias=False if self.bias is None else _np(self.bias),
                              layout=layout)

        return self._explain("conv2d", reason, input, make_layer)


class ConvTranspose2d(_ConvkitModule, torch.nn.ConvTranspose2d):
    """``torch.nn.ConvTranspose2d`` whose forward and backward run in convkit (CPU float32 /
    float64).

    Same constructor, parameters, initialisation and state_dict as ``torch.nn.ConvTranspose2d``
    (a subclass overriding ``forward``); ``forward(input, output_size=None)`` as torch's.
    ``explain(input, output_size=None)`` says where that forward would run.
    """

    def _output_padding_for(self, input, output_size):
        if self.padding_mode != "zeros":
            raise ValueError("Only `zeros` padding mode is supported for ConvTranspose2d")
        return tuple(self._output_padding(input, output_size, self.stride, self.padding,
                                          self.kernel_size, 2, self.dilation))

    def forward(self, input, output_size=None):
        output_padding = self._output_padding_for(input, output_size)
        reason = fallback_reason(input, self.weight, self.bias, self.padding, transposed=True)
        self.fallback_note = reason
        return _conv_transpose2d(reason, input, self.weight, self.bias, self.stride,
                                 self.padding, output_padding, self.groups, self.dilation)

    def explain(self, input, output_size=None):
        input = self._as_input(input, self.weight)
        output_padding = self._output_padding_for(input, output_size)
        reason = fallback_reason(input, self.weight, self.bias, self.padding, transposed=True)

        def make_layer(layout):
            return _nn.ConvTranspose2d(self.in_channels, self.out_channels, self.kernel_size,
                                       self.stride, self.padding, output_padding, self.groups,
                                       self.bias is not None, self.dilation,
                                       weight=_np(self.weight), layout=layout)

        return self._explain("conv_transpose2d", reason, input, make_layer)


_SWAPS = {torch.nn.Conv2d: Conv2d, torch.nn.ConvTranspose2d: ConvTranspose2d}


def convert(model):
    """Swaps every ``torch.nn.Conv2d`` and ``torch.nn.ConvTranspose2d`` of ``model`` (``model``
    itself included) for :class:`Conv2d` / :class:`ConvTranspose2d` in place and returns
    ``model``. The modules stay the same objects -- parameters, buffers, hooks, optimizer state
    and the state_dict are untouched. Subclasses of the torch classes (which may have a forward
    of their own) are left as they are."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    for module in model.modules():
        cls = _SWAPS.get(type(module))
        if cls is not None:
            module.__class__ = cls
    return model
