"""convkit.torch against torch (2.13 CPU): the functional forms and the modules, forward and
every gradient, on seeded random problems (strides, dilations, groups, depthwise, 'same' with even
kernels, padding modes, channels_last and strided inputs); gradcheck in float64; checkpoints
swapped between torch.nn and convkit.torch; the fallback to torch; convert(); torch tensors given
to convkit.nn.

The reference is torch in float64 on the same data, so float32 results are held to their own
round-off: max|diff| <= 1e-5 * max(1, max|ref|). padding_mode other than zeros, 4-tuple padding
and 'same' at stride > 1 are spelled out as F.pad + conv2d(padding=0) in the reference.
"""

import copy
import doctest
import os
import pathlib
import subprocess
import sys

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

import convkit  # noqa: E402
import convkit.torch as ct  # noqa: E402
from convkit import nn  # noqa: E402

torch.set_num_threads(2)

# torch's note on its own 'same' with even kernels (the references use it on purpose)
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")

TOL32 = 1e-5


# ---- the reference -------------------------------------------------------------------------------

def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def explicit_pads(padding, size, kernel, stride, dilation):
    """(top, bottom, left, right) for any padding form (convkit's 'same': output ceil(n / s),
    the odd pixel at the bottom/right)."""
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        pads = []
        for n, k, s, d in zip(size, kernel, pair(stride), pair(dilation)):
            total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
            pads += [total // 2, total - total // 2]
        return tuple(pads)
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        return tuple(padding)
    ph, pw = pair(padding)
    return (ph, ph, pw, pw)


def torch_conv2d(x, w, b, stride, padding, dilation, groups, padding_mode):
    """conv2d with convkit's arguments, in torch."""
    if padding_mode == "zeros" and not (isinstance(padding, (tuple, list)) and len(padding) == 4) \
            and not (padding == "same" and pair(stride) != (1, 1)):
        return F.conv2d(x, w, b, stride, padding, dilation, groups)
    top, bottom, left, right = explicit_pads(padding, x.shape[-2:], w.shape[-2:], stride, dilation)
    mode = "constant" if padding_mode == "zeros" else padding_mode
    return F.conv2d(F.pad(x, (left, right, top, bottom), mode=mode), w, b, stride, 0, dilation,
                    groups)


def leaf(t, dtype=None):
    """A float64 (or dtype) copy that is a leaf requiring grad."""
    return t.detach().to(dtype or torch.float64).clone().requires_grad_(True)


def assert_close(got, ref, tol=TOL32, what=""):
    assert got is not None, f"{what}: no gradient"
    assert tuple(got.shape) == tuple(ref.shape), f"{what}: shape {got.shape} != {ref.shape}"
    got = got.detach().double()
    ref = ref.detach().double()
    if ref.numel() == 0:
        return
    err = (got - ref).abs().max().item()
    scale = max(1.0, ref.abs().max().item())
    assert err <= tol * scale, f"{what}: max|diff| {err:.3g} > {tol:g} * {scale:.3g}"


def generator(seed):
    return torch.Generator().manual_seed(seed)


def randn(shape, seed, dtype=torch.float32):
    return torch.randn(shape, generator=generator(seed), dtype=dtype)


# ---- conv2d --------------------------------------------------------------------------------------

# (N, C, H, W, K, kernel, stride, padding, dilation, groups, padding_mode)
CONV_CASES = [
    (2, 3, 9, 11, 4, (3, 3), 1, 1, 1, 1, "zeros"),
    (1, 4, 12, 10, 6, (3, 5), (2, 1), (1, 2), 1, 2, "zeros"),
    (2, 3, 13, 13, 5, (3, 3), 2, 0, 2, 1, "zeros"),
    (2, 6, 10, 10, 12, (3, 3), 1, 1, 1, 6, "zeros"),            # depthwise, multiplier 2
    (1, 3, 8, 9, 4, (4, 2), 1, "same", (2, 1), 1, "zeros"),     # 'same', even kernels
    (2, 2, 7, 8, 3, (2, 2), 1, "same", 1, 1, "reflect"),
    (2, 3, 8, 8, 4, (3, 3), 1, 2, 1, 1, "reflect"),
    (1, 2, 9, 7, 3, (3, 3), 2, (1, 2), 1, 1, "replicate"),
    (2, 4, 7, 8, 4, (3, 3), 1, 1, 1, 2, "circular"),
    (1, 3, 7, 7, 2, (2, 2), 1, "valid", 1, 1, "zeros"),
    (2, 8, 5, 5, 3, (1, 1), 1, 0, 1, 1, "zeros"),
    (1, 2, 9, 10, 3, (3, 3), 2, "same", 1, 1, "zeros"),          # TensorFlow's SAME (convkit)
    (1, 2, 8, 8, 3, (3, 2), 1, (0, 2, 1, 0), 1, 1, "zeros"),     # (top, bottom, left, right)
]


def conv_ids(case):
    return "N{}C{}H{}W{}K{}k{}s{}p{}d{}g{}-{}".format(*case).replace(" ", "")


def conv_problem(case, seed, dtype=torch.float32):
    n, c, h, w, k, kernel, stride, padding, dilation, groups, mode = case
    x = randn((n, c, h, w), seed, dtype)
    wt = randn((k, c // groups) + kernel, seed + 1, dtype) * 0.5
    b = randn((k,), seed + 2, dtype)
    return x, wt, b, dict(stride=stride, padding=padding, dilation=dilation, groups=groups,
                          padding_mode=mode)


def check_conv2d(x, w, b, args, seed, memory=None, view=None):
    """ct.conv2d on x (laid out by ``memory`` / seen through ``view``), forward and every
    gradient, against torch in float64."""
    base = leaf(x, x.dtype)
    if memory is not None:
        base = leaf(x.to(memory_format=memory), x.dtype)
    wl, bl = leaf(w, w.dtype), leaf(b, b.dtype)
    xin = base if view is None else view(base)
    y = ct.conv2d(xin, wl, bl, **args)
    gy = randn(y.shape, seed + 3, y.dtype)
    y.backward(gy)

    rb, rw, rbias = leaf(base), leaf(w), leaf(b)
    ry = torch_conv2d(rb if view is None else view(rb), rw, rbias, **args)
    ry.backward(gy.double())
    assert y.dtype == x.dtype
    assert_close(y, ry, what="output")
    assert_close(base.grad, rb.grad, what="grad input")
    assert_close(wl.grad, rw.grad, what="grad weight")
    assert_close(bl.grad, rbias.grad, what="grad bias")
    return y


@pytest.mark.parametrize("case", CONV_CASES, ids=conv_ids)
def test_conv2d_function(case):
    x, w, b, args = conv_problem(case, seed=len(conv_ids(case)))
    check_conv2d(x, w, b, args, seed=5)


@pytest.mark.parametrize("case", [CONV_CASES[0], CONV_CASES[1], CONV_CASES[3], CONV_CASES[6]],
                         ids=conv_ids)
def test_conv2d_channels_last(case):
    x, w, b, args = conv_problem(case, seed=11)
    y = check_conv2d(x, w, b, args, seed=12, memory=torch.channels_last)
    # torch keeps channels_last through the convolution; so does convkit.torch
    if y.shape[1] > 1 and y.shape[2] * y.shape[3] > 1:
        assert y.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("view", [
    lambda t: t[:, 1:, 1::2, ::3],                      # strided slice, channel offset
    lambda t: t[:, :3].transpose(2, 3),                 # transposed
    lambda t: t.transpose(0, 1).contiguous().transpose(0, 1)[:, 1:],  # C N H W in memory
], ids=["slice", "transpose", "permuted"])
def test_conv2d_noncontiguous(view):
    x = randn((2, 4, 15, 16), 21)
    w = randn((6, 3, 3, 3), 22)
    b = randn((6,), 23)
    check_conv2d(x, w, b, dict(stride=1, padding=1, dilation=1, groups=1, padding_mode="zeros"),
                 seed=24, view=view)


def test_conv2d_expanded_grad_output():
    """y.sum() hands backward an expanded (stride 0) gradient."""
    x = leaf(randn((2, 3, 8, 8), 31), torch.float32)
    w = leaf(randn((4, 3, 3, 3), 32), torch.float32)
    b = leaf(randn((4,), 33), torch.float32)
    ct.conv2d(x, w, b, padding=1, padding_mode="reflect").sum().backward()
    rx, rw, rb = leaf(x), leaf(w), leaf(b)
    torch_conv2d(rx, rw, rb, 1, 1, 1, 1, "reflect").sum().backward()
    assert_close(x.grad, rx.grad, what="grad input")
    assert_close(w.grad, rw.grad, what="grad weight")
    assert_close(b.grad, rb.grad, what="grad bias")


def test_conv2d_only_requested_grads():
    x = randn((1, 2, 6, 6), 41)
    w = leaf(randn((3, 2, 3, 3), 42), torch.float32)
    y = ct.conv2d(x, w)                     # input does not require grad, no bias
    y.backward(torch.ones_like(y))
    assert x.grad is None and w.grad is not None
    rw = leaf(w)
    F.conv2d(x.double(), rw).backward(torch.ones_like(y).double())
    assert_close(w.grad, rw.grad)


def test_conv2d_unbatched_and_empty():
    x = leaf(randn((3, 7, 6), 51), torch.float32)
    w = leaf(randn((4, 3, 3, 3), 52), torch.float32)
    y = ct.conv2d(x, w, padding=1)
    assert y.shape == (4, 7, 6)
    assert_close(y, F.conv2d(x.double(), w.double(), padding=1))
    y.sum().backward()
    assert x.grad.shape == x.shape

    e = torch.zeros((0, 3, 7, 6), requires_grad=True)
    y = ct.conv2d(e, w, padding=1)
    assert y.shape == (0, 4, 7, 6)
    y.sum().backward()
    assert e.grad.shape == e.shape

    wt = leaf(randn((3, 4, 3, 3), 53), torch.float32)
    y = ct.conv_transpose2d(e, wt, stride=2)
    assert y.shape == (0, 4, 15, 13)
    y.sum().backward()
    assert e.grad.shape == e.shape and not wt.grad.any()


def test_conv2d_float64_and_no_grad():
    x, w, b, args = conv_problem(CONV_CASES[1], 61, torch.float64)
    with torch.no_grad():
        y = ct.conv2d(x, w, b, **args)
    assert y.dtype == torch.float64 and not y.requires_grad
    assert_close(y, torch_conv2d(x, w, b, **args), tol=1e-12)
    with torch.inference_mode():
        assert_close(ct.conv2d(x, w, b, **args), torch_conv2d(x, w, b, **args), tol=1e-12)


# ---- conv_transpose2d ----------------------------------------------------------------------------

# (N, C_in, H, W, C_out, kernel, stride, padding, output_padding, groups, dilation)
TRANSPOSE_CASES = [
    (2, 4, 5, 6, 3, (3, 3), 2, 1, 1, 1, 1),
    (1, 6, 4, 5, 4, (3, 2), (2, 3), (1, 0), (1, 2), 2, 1),
    (2, 3, 6, 6, 2, (3, 3), 1, 2, 0, 1, 2),
    (1, 4, 5, 5, 8, (3, 3), 2, 0, 0, 4, 1),                     # depthwise, multiplier 2
    (1, 2, 4, 4, 3, (2, 2), 3, 1, 2, 1, 2),
    (2, 5, 3, 7, 5, (1, 1), 1, 0, 0, 1, 1),
]


def transpose_ids(case):
    return "N{}C{}H{}W{}K{}k{}s{}p{}op{}g{}d{}".format(*case).replace(" ", "")


def transpose_problem(case, seed, dtype=torch.float32):
    n, c, h, w, k, kernel, stride, padding, output_padding, groups, dilation = case
    x = randn((n, c, h, w), seed, dtype)
    wt = randn((c, k // groups) + kernel, seed + 1, dtype) * 0.5
    b = randn((k,), seed + 2, dtype)
    return x, wt, b, dict(stride=stride, padding=padding, output_padding=output_padding,
                          groups=groups, dilation=dilation)


def check_conv_transpose2d(x, w, b, args, seed, memory=None):
    xl = leaf(x if memory is None else x.to(memory_format=memory), x.dtype)
    wl, bl = leaf(w, w.dtype), leaf(b, b.dtype)
    y = ct.conv_transpose2d(xl, wl, bl, **args)
    gy = randn(y.shape, seed, y.dtype)
    y.backward(gy)
    rx, rw, rb = leaf(xl), leaf(w), leaf(b)
    ry = F.conv_transpose2d(rx, rw, rb, **args)
    ry.backward(gy.double())
    assert_close(y, ry, what="output")
    assert_close(xl.grad, rx.grad, what="grad input")
    assert_close(wl.grad, rw.grad, what="grad weight")
    assert_close(bl.grad, rb.grad, what="grad bias")
    return y


@pytest.mark.parametrize("case", TRANSPOSE_CASES, ids=transpose_ids)
def test_conv_transpose2d_function(case):
    x, w, b, args = transpose_problem(case, seed=len(transpose_ids(case)))
    check_conv_transpose2d(x, w, b, args, seed=7)


@pytest.mark.parametrize("case", TRANSPOSE_CASES[:2], ids=transpose_ids)
def test_conv_transpose2d_channels_last(case):
    x, w, b, args = transpose_problem(case, seed=71)
    y = check_conv_transpose2d(x, w, b, args, seed=72, memory=torch.channels_last)
    assert y.is_contiguous(memory_format=torch.channels_last)


def test_conv_transpose2d_unbatched():
    x = randn((4, 5, 6), 81)
    w = randn((4, 3, 3, 3), 82)
    y = ct.conv_transpose2d(x, w, stride=2, padding=1, output_padding=1)
    assert_close(y, F.conv_transpose2d(x.double(), w.double(), stride=2, padding=1,
                                       output_padding=1))


# ---- gradcheck (float64) -------------------------------------------------------------------------

def gradcheck(fn, *tensors):
    inputs = tuple(leaf(t) for t in tensors)
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-8, rtol=1e-6)


@pytest.mark.parametrize("args", [
    dict(stride=(2, 1), padding=1, dilation=(1, 2), groups=2),
    dict(stride=1, padding="same", padding_mode="reflect"),
    dict(stride=2, padding=(1, 0, 0, 1), padding_mode="zeros"),
    dict(stride=1, padding=1, padding_mode="circular", groups=2),
    dict(stride=2, padding=1, padding_mode="replicate"),
], ids=["strided-dilated-groups", "same-reflect", "4-tuple", "circular", "replicate"])
def test_gradcheck_conv2d(args):
    x = randn((2, 4, 5, 6), 91, torch.float64)
    w = randn((4, 4 // args.get("groups", 1), 3, 2), 92, torch.float64)
    b = randn((4,), 93, torch.float64)
    gradcheck(lambda x, w, b: ct.conv2d(x, w, b, **args), x, w, b)


@pytest.mark.parametrize("c_out, args", [
    (6, dict(stride=2, padding=1, output_padding=1, groups=2)),
    (3, dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2), dilation=2)),
    (4, dict(stride=1, padding=0, groups=4)),
], ids=["stride2-op1-groups2", "dilated-op", "depthwise"])
def test_gradcheck_conv_transpose2d(c_out, args):
    groups = args.get("groups", 1)
    x = randn((2, 4, 3, 4), 101, torch.float64)
    w = randn((4, c_out // groups, 3, 3), 102, torch.float64)
    b = randn((c_out,), 103, torch.float64)
    gradcheck(lambda x, w, b: ct.conv_transpose2d(x, w, b, **args), x, w, b)


# ---- modules -------------------------------------------------------------------------------------

MODULE_CASES = [
    dict(in_channels=3, out_channels=8, kernel_size=3, padding=1),
    dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=2, padding=(1, 0), groups=2,
         bias=False),
    dict(in_channels=6, out_channels=6, kernel_size=3, padding=2, dilation=2, groups=6),
    dict(in_channels=3, out_channels=4, kernel_size=4, padding="same", padding_mode="reflect"),
    dict(in_channels=3, out_channels=4, kernel_size=(2, 3), padding="same"),
    dict(in_channels=3, out_channels=4, kernel_size=3, padding="valid"),
    dict(in_channels=4, out_channels=4, kernel_size=3, padding=1, padding_mode="replicate"),
    dict(in_channels=4, out_channels=2, kernel_size=3, stride=2, padding=(2, 1),
         padding_mode="circular"),
]


def module_ids(kw):
    return ",".join(f"{k}={v}" for k, v in kw.items()).replace(" ", "")


def check_module(layer, ref, x, seed, **call):
    """layer (convkit.torch, float32) against ref (torch.nn, float64 copy of its parameters)."""
    xl = leaf(x, torch.float32)
    y = layer(xl, **call)
    gy = randn(y.shape, seed)
    y.backward(gy)
    rx = leaf(x)
    ry = ref(rx, **call)
    ry.backward(gy.double())
    assert layer.fallback_note is None
    assert_close(y, ry, what="output")
    assert_close(xl.grad, rx.grad, what="grad input")
    assert_close(layer.weight.grad, ref.weight.grad, what="grad weight")
    if layer.bias is not None:
        assert_close(layer.bias.grad, ref.bias.grad, what="grad bias")


@pytest.mark.parametrize("kw", MODULE_CASES, ids=module_ids)
def test_conv2d_module(kw):
    torch.manual_seed(len(module_ids(kw)))
    layer = ct.Conv2d(**kw)
    ref = torch.nn.Conv2d(**kw).double()
    ref.load_state_dict(layer.state_dict())
    x = randn((2, kw["in_channels"], 9, 10), 111)
    check_module(layer, ref, x, 112)
    layer.zero_grad()
    ref.zero_grad()
    check_module(layer, ref, x.to(memory_format=torch.channels_last), 113)
    assert "convkit: conv2d" in layer.explain(x)


@pytest.mark.parametrize("kw", [
    dict(in_channels=4, out_channels=3, kernel_size=3, stride=2, padding=1, output_padding=1),
    dict(in_channels=6, out_channels=4, kernel_size=(3, 2), stride=(2, 3), padding=(1, 0),
         groups=2, bias=False),
    dict(in_channels=3, out_channels=2, kernel_size=3, stride=2, dilation=2, output_padding=1),
], ids=module_ids)
def test_conv_transpose2d_module(kw):
    torch.manual_seed(len(module_ids(kw)))
    layer = ct.ConvTranspose2d(**kw)
    ref = torch.nn.ConvTranspose2d(**kw).double()
    ref.load_state_dict(layer.state_dict())
    x = randn((2, kw["in_channels"], 5, 6), 121)
    check_module(layer, ref, x, 122)
    assert "convkit: conv_transpose2d" in layer.explain(x)


def test_conv_transpose2d_module_output_size():
    torch.manual_seed(0)
    down = torch.nn.Conv2d(4, 4, 3, stride=2, padding=1)
    up = ct.ConvTranspose2d(4, 4, 3, stride=2, padding=1)
    ref = torch.nn.ConvTranspose2d(4, 4, 3, stride=2, padding=1).double()
    ref.load_state_dict(up.state_dict())
    x = randn((1, 4, 12, 12), 131)
    h = down(x).detach()
    assert h.shape[-2:] == (6, 6)
    for size in ((12, 12), x.size(), (11, 12)):
        up.zero_grad()
        ref.zero_grad()
        check_module(up, ref, h, 132, output_size=size)
        assert up(h, output_size=size).shape[-2:] == tuple(size)[-2:]
    with pytest.raises(ValueError, match="requested an output size"):
        up(h, output_size=(14, 12))


def test_module_constructor_matches_torch():
    """Same parameters, initialisation (same seed -> same numbers) and state_dict keys."""
    for ours, theirs, kw in [
        (ct.Conv2d, torch.nn.Conv2d, dict(in_channels=4, out_channels=6, kernel_size=3,
                                          groups=2, padding_mode="reflect", padding=1)),
        (ct.ConvTranspose2d, torch.nn.ConvTranspose2d,
         dict(in_channels=4, out_channels=6, kernel_size=(3, 2), stride=2, output_padding=1)),
    ]:
        torch.manual_seed(3)
        a = ours(**kw)
        torch.manual_seed(3)
        b = theirs(**kw)
        assert isinstance(a, theirs)
        assert a.state_dict().keys() == b.state_dict().keys()
        for k, v in a.state_dict().items():
            assert torch.equal(v, b.state_dict()[k]), k
        assert repr(a) == repr(b)


def torch_model():
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(8, 8, 3, stride=2, padding=1, groups=2, padding_mode="reflect"),
        torch.nn.ReLU(),
        torch.nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1),
        torch.nn.Conv2d(4, 2, 1),
    )


def convkit_model():
    return torch.nn.Sequential(
        ct.Conv2d(3, 8, 3, padding=1),
        torch.nn.ReLU(),
        ct.Conv2d(8, 8, 3, stride=2, padding=1, groups=2, padding_mode="reflect"),
        torch.nn.ReLU(),
        ct.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1),
        ct.Conv2d(4, 2, 1),
    )


def model_grads(model, x, seed):
    x = leaf(x, next(model.parameters()).dtype)
    y = model(x)
    y.backward(randn(y.shape, seed).to(y.dtype))    # the same numbers for both dtypes
    return y, [x.grad] + [p.grad for p in model.parameters()]


def test_state_dict_swap(tmp_path):
    torch.manual_seed(141)
    theirs = torch_model()
    path = tmp_path / "model.pt"
    torch.save(theirs.state_dict(), path)
    ours = convkit_model()
    ours.load_state_dict(torch.load(path))            # strict: the same names and shapes
    x = randn((2, 3, 16, 16), 142)
    y, grads = model_grads(ours, x, 143)
    ry, rgrads = model_grads(theirs.double(), x, 143)
    assert_close(y, ry, what="output")
    for i, (g, r) in enumerate(zip(grads, rgrads)):
        assert_close(g, r, what=f"gradient {i}")
    # and back: convkit.torch's state_dict loads into the torch model
    torch_model().load_state_dict(ours.state_dict())


def test_convert():
    torch.manual_seed(151)
    model = torch_model()
    reference = copy.deepcopy(model).double()
    params = list(model.parameters())
    assert ct.convert(model) is model
    kinds = [type(m) for m in model]
    assert kinds == [ct.Conv2d, torch.nn.ReLU, ct.Conv2d, torch.nn.ReLU, ct.ConvTranspose2d,
                     ct.Conv2d]
    assert all(a is b for a, b in zip(params, model.parameters()))   # the same parameters
    x = randn((1, 3, 12, 12), 152)
    y, grads = model_grads(model, x, 153)
    ry, rgrads = model_grads(reference, x, 153)
    assert_close(y, ry, what="output")
    for i, (g, r) in enumerate(zip(grads, rgrads)):
        assert_close(g, r, what=f"gradient {i}")
    assert all(m.fallback_note is None for m in model if hasattr(m, "fallback_note"))

    # a single module, subclasses left alone, from_torch shares the parameters
    single = torch.nn.Conv2d(2, 3, 3)
    assert type(ct.convert(single)) is ct.Conv2d

    class Custom(torch.nn.Conv2d):
        pass

    assert type(ct.convert(torch.nn.Sequential(Custom(2, 3, 3)))[0]) is Custom
    t = torch.nn.ConvTranspose2d(2, 3, 3)
    c = ct.ConvTranspose2d.from_torch(t)
    assert type(t) is torch.nn.ConvTranspose2d and type(c) is ct.ConvTranspose2d
    assert c.weight is t.weight and c.bias is t.bias
    x = randn((1, 2, 5, 5), 154)
    assert_close(c(x), F.conv_transpose2d(x.double(), t.weight.double(), t.bias.double()))
    with pytest.raises(TypeError):
        ct.Conv2d.from_torch(t)


# ---- fallback to torch ---------------------------------------------------------------------------

def test_fallback_bfloat16():
    torch.manual_seed(161)
    layer = ct.Conv2d(3, 4, 3, padding=1, padding_mode="reflect").to(torch.bfloat16)
    ref = torch.nn.Conv2d(3, 4, 3, padding=1, padding_mode="reflect").to(torch.bfloat16)
    ref.load_state_dict(layer.state_dict())
    x = randn((2, 3, 8, 8), 162).to(torch.bfloat16)
    y = layer(x)
    assert y.dtype == torch.bfloat16
    assert torch.equal(y, ref(x))
    assert "bfloat16" in layer.fallback_note
    text = layer.explain(x)
    assert text.startswith("fell back to torch:") and "bfloat16" in text

    w = randn((4, 3, 3, 3), 163).to(torch.bfloat16)
    assert torch.equal(ct.conv2d(x, w, padding=1), F.conv2d(x, w, padding=1))
    xt = randn((1, 4, 5, 5), 164).to(torch.bfloat16)
    assert torch.equal(ct.conv_transpose2d(xt, w, stride=2), F.conv_transpose2d(xt, w, stride=2))

    # the fallback is differentiable (torch's autograd)
    xl = x.clone().requires_grad_(True)
    layer(xl).float().sum().backward()
    assert xl.grad is not None and xl.grad.dtype == torch.bfloat16

    # and the module goes back to convkit on float32
    layer.float()
    layer(x.float())
    assert layer.fallback_note is None
    assert layer.explain(x.float()).startswith("convkit:")


def test_fallback_reasons():
    x = randn((1, 2, 5, 5), 171)
    w = randn((3, 2, 3, 3), 172)
    assert ct.fallback_reason(x, w) is None
    assert ct.fallback_reason(x.double(), w.double(), w.double()[:, 0, 0, 0]) is None
    assert "mixed dtypes" in ct.fallback_reason(x, w.double())
    assert "float16" in ct.fallback_reason(x.half(), w.half())
    assert "complex" in ct.fallback_reason(x.to(torch.complex64), w.to(torch.complex64))
    assert "meta" in ct.fallback_reason(x.to("meta"), w.to("meta"))
    assert "padding" in ct.fallback_reason(x, w, padding="full")
    assert "padding" in ct.fallback_reason(x, w, padding="same", transposed=True)
    assert "not a torch.Tensor" in ct.fallback_reason(x.numpy(), w)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert "autocast" in ct.fallback_reason(x, w)
        assert ct.conv2d(x, w).dtype == F.conv2d(x, w).dtype == torch.bfloat16
    # mixed dtypes: torch's own error, as with torch.nn.functional
    with pytest.raises(RuntimeError):
        ct.conv2d(x, w.double())
    # on the meta device torch computes the shapes
    assert ct.conv2d(x.to("meta"), w.to("meta"), padding=1).shape == (1, 3, 5, 5)
    assert ct.Conv2d(2, 3, 3, padding=1, padding_mode="circular").to("meta")(
        x.to("meta")).shape == (1, 3, 5, 5)


def test_errors_name_the_parameter():
    x = randn((1, 4, 5, 5), 181)
    w = randn((4, 2, 3, 3), 182)
    with pytest.raises(ValueError, match="output padding must be smaller than either stride "
                                         "or dilation"):
        ct.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="groups"):
        ct.conv2d(x, w, groups=3)


# ---- convkit.nn on torch tensors -----------------------------------------------------------------

def test_nn_takes_torch_tensors():
    x = randn((2, 3, 8, 8), 191)
    w = randn((4, 3, 3, 3), 192)
    b = randn((4,), 193)
    y = nn.conv2d(x, w, b, padding=1)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32
    assert_close(y, F.conv2d(x.double(), w.double(), b.double(), padding=1))
    # parameters that require grad are read (detached), not refused
    p = torch.nn.Parameter(w.clone())
    assert isinstance(nn.conv2d(x, p, padding=1), torch.Tensor)

    wt = randn((3, 2, 3, 3), 194)
    y = nn.conv_transpose2d(x, wt, stride=2, padding=1, output_padding=1)
    assert isinstance(y, torch.Tensor)
    assert_close(y, F.conv_transpose2d(x.double(), wt.double(), stride=2, padding=1,
                                       output_padding=1))

    g = randn((2, 4, 8, 8), 195)
    gi = nn.grad.conv2d_input(x.shape, w, g, padding=1)
    assert isinstance(gi, torch.Tensor)
    assert_close(gi, torch.nn.grad.conv2d_input(x.shape, w.double(), g.double(), padding=1))
    gw = nn.grad.conv2d_weight(x, w.shape, g, padding=1)
    assert isinstance(gw, torch.Tensor)
    assert_close(gw, torch.nn.grad.conv2d_weight(x.double(), w.shape, g.double(), padding=1))

    with pytest.raises(TypeError, match="bfloat16|float32"):
        nn.conv2d(x.to(torch.bfloat16), w.to(torch.bfloat16))


def test_convkit_does_not_import_torch():
    root = pathlib.Path(convkit.__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = ("import sys, convkit, convkit.nn, convkit.nn.grad, convkit._torch_interop; "
            "assert 'torch' not in sys.modules, 'convkit imported torch'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr


def test_doctests():
    result = doctest.testmod(ct, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
