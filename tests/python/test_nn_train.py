"""convkit.nn's training functions against torch 2.13 CPU (pinned in requirements-dev.txt):
``conv_transpose2d`` / ``ConvTranspose2d`` against ``torch.nn.functional.conv_transpose2d`` /
``torch.nn.ConvTranspose2d``, its ONNX options (auto_pad, pads, output_shape), and
``convkit.nn.grad`` (conv2d_input / conv2d_weight / conv2d_bias and the conv_transpose2d
ones) against torch's autograd.

Method: randomized but seeded problems over batch (1-4, and unbatched 3-D inputs), channels
(1-70), kernels (1x1-7x7, even and non-square), strides and dilations (1-3 per axis), groups
(dense, grouped, depthwise with multipliers), every output_padding torch allows (< stride or
< dilation per axis), every padding form and padding_mode of conv2d, both layouts, fused
activations, float32 and float64, contiguous inputs, transposed views and views with steps.
The reference is torch in float64 on the same (float32 or float64) data, so a float32 result is
held to its own round-off: max|diff| <= 1e-5 * max(1, max|ref|) (2e-13 for float64), values
and every gradient alike.

Where torch has no such form the reference is spelled out with torch:
- conv2d with a 4-tuple padding, 'same' at stride > 1 (TensorFlow's rule) or a padding_mode
  other than zeros: F.pad(x, ..., mode) + F.conv2d(padding=0), its gradients by autograd (so
  the gradients of border samples fold back onto the samples they copy);
- ONNX ConvTranspose: F.conv_transpose2d with padding 0 and no bias (the full scatter), then
  ``begin`` rows/columns cut from its start and ``end - output_padding`` from its end (negative:
  rows of zeros added), then the bias added everywhere (added rows get the bias only);
  SAME_UPPER: output = input * stride, total = s*(in-1) + op + ((k-1)*d+1) - out,
  begin = total // 2, end = total - begin; SAME_LOWER the reverse (ONNX's operator spec).
Hard-coded vectors: the MXNet issues #11203 / #13876 problem (3x3 input, kernel 3, stride 2,
padding 2, dilation 2) and ONNX's backend test vectors for ConvTranspose.
"""

import warnings

import numpy as np
import pytest

import convkit
from convkit import nn
from convkit.nn import grad

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # pragma: no cover - setup.sh installs it
    torch = None

needs_torch = pytest.mark.skipif(
    torch is None, reason="torch is not importable: requirements-dev.txt pins torch==2.13.0 "
                          "(CPU build), installed by bash scripts/setup.sh")

if torch is not None:
    torch.set_num_threads(2)

ACTIVATIONS = [None, "relu", "relu6", "sigmoid", "tanh", "gelu", "silu", "leaky_relu",
               ("leaky_relu", 0.2), "clamp", "hardtanh", ("clamp", -0.5, 0.25)]
PADDING_MODES = ["zeros", "reflect", "replicate", "circular"]
TOLERANCE = {np.float32: 1e-5, np.float64: 2e-13}
OP_MESSAGE = "output padding must be smaller than either stride or dilation"


# ---- helpers -------------------------------------------------------------------------------------

def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def t64(a):
    return torch.from_numpy(np.array(a, np.float64))


def torch_activation(t, activation):
    if activation is None:
        return t
    name, *params = (activation,) if isinstance(activation, str) else activation
    if name == "relu":
        return F.relu(t)
    if name == "relu6":
        return F.relu6(t)
    if name == "sigmoid":
        return torch.sigmoid(t)
    if name == "tanh":
        return torch.tanh(t)
    if name == "gelu":
        return F.gelu(t)
    if name == "silu":
        return F.silu(t)
    if name == "leaky_relu":
        return F.leaky_relu(t, *params) if params else F.leaky_relu(t)
    if name in ("clamp", "hardtanh"):
        lo, hi = params or (-1.0, 1.0)
        return F.hardtanh(t, lo, hi) if name == "hardtanh" else torch.clamp(t, lo, hi)
    raise AssertionError(name)


def assert_close(got, want, dtype, what="", tolerance=None):
    if torch is not None and isinstance(got, torch.Tensor):
        got = got.numpy()
    if torch is not None and isinstance(want, torch.Tensor):
        want = want.detach().numpy()
    assert isinstance(got, np.ndarray), (type(got), what)
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype, what)
    assert got.shape == want.shape, (got.shape, want.shape, what)
    tol = tolerance if tolerance is not None else TOLERANCE[np.dtype(dtype).type]
    diff = np.abs(got.astype(np.float64) - want)
    worst = float(np.max(diff)) if want.size else 0.0
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 0.0)
    where = np.unravel_index(int(np.argmax(diff)), diff.shape) if want.size else ()
    assert worst <= tol * scale, (f"max|diff| {worst:.3g} > {tol:g} * {scale:.3g} at {where} "
                                  f"(got {got[where] if want.size else ''}, want "
                                  f"{want[where] if want.size else ''}): {what}")


def to_layout(a, layout):
    """An NCHW (or unbatched CHW) array as a view in `layout` (NHWC: a transposed view)."""
    return a if layout == "NCHW" else np.moveaxis(a, -3, -1)


def from_layout(a, layout):
    return a if layout == "NCHW" else np.moveaxis(a, -1, -3)


def strided(a):
    """`a`'s values as a view with steps: every other row of a larger buffer, columns reversed."""
    big = np.zeros(a.shape[:-2] + (2 * a.shape[-2], a.shape[-1] + 1), a.dtype)
    v = big[..., ::2, :0:-1]
    v[...] = a
    assert not v.flags.c_contiguous or v.size <= 1
    return v


def present(a, layout, mode):
    """NCHW data as convkit gets it: 'contiguous' in the layout, 'view' (NHWC: a transposed
    view of the NCHW data) or 'strided' (a view with steps and negative strides)."""
    if mode == "contiguous":
        return np.ascontiguousarray(to_layout(a, layout))
    if mode == "view":
        return to_layout(a, layout)
    return strided(np.ascontiguousarray(to_layout(a, layout)))


def describe(case):
    return " ".join(f"{k}={v}" for k, v in case.items() if k != "data_seed")


def choose_pair(rng, a, b):
    """An int when both axes agree (half of the time), else a pair."""
    return a if a == b and rng.random() < 0.5 else (a, b)


def tout(size, stride, padding, dilation, k, op):
    return (size - 1) * stride - 2 * padding + dilation * (k - 1) + 1 + op


# ---- conv_transpose2d: randomized problems -------------------------------------------------------

def random_transpose_case(seed):
    rng = np.random.default_rng(seed)
    kind = str(rng.choice(["dense", "depthwise", "grouped", "pointwise"], p=[0.4, 0.25, 0.2, 0.15]))
    if kind == "depthwise":
        c = int(rng.integers(1, 71))
        mult = int(rng.choice([1, 1, 2, 3])) if c <= 23 else 1
        groups, c_out = c, c * mult
    elif kind == "grouped":
        groups = int(rng.integers(2, 6))
        c = groups * int(rng.integers(1, 70 // groups + 1))
        c_out = groups * int(rng.integers(1, 70 // groups + 1))
    else:
        groups, c, c_out = 1, int(rng.integers(1, 71)), int(rng.integers(1, 71))
    kh, kw = (1, 1) if kind == "pointwise" else (int(v) for v in rng.integers(1, 8, 2))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    dh, dw = (1, 1) if rng.random() < 0.5 else (int(v) for v in rng.integers(1, 4, 2))
    oph, opw = int(rng.integers(0, max(sh, dh))), int(rng.integers(0, max(sw, dw)))
    if rng.random() < 0.5:
        ph = pw = int(rng.integers(0, 4))
        padding = ph
    else:
        ph, pw = (int(v) for v in rng.integers(0, 4, 2))
        padding = (ph, pw)
    n = int(rng.integers(1, 5))
    for _ in range(2000):
        h, w = int(rng.integers(1, 15)), int(rng.integers(1, 15))
        if tout(h, sh, ph, dh, kh, oph) < 1 or tout(w, sw, pw, dw, kw, opw) < 1:
            continue
        if n * c * (c_out // groups) * kh * kw * h * w > 3_000_000:
            n = 1
            continue
        break
    else:
        raise AssertionError(f"seed {seed}: no valid spatial size")
    return dict(kind=kind, n=None if rng.random() < 0.1 else n, c=c, c_out=c_out, h=h, w=w,
                kh=kh, kw=kw, stride=choose_pair(rng, sh, sw), padding=padding,
                output_padding=choose_pair(rng, oph, opw), groups=groups,
                dilation=choose_pair(rng, dh, dw), layout=str(rng.choice(["NCHW", "NHWC"])),
                activation=ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))],
                bias=bool(rng.random() < 0.8),
                mode=str(rng.choice(["contiguous", "view", "strided"])),
                weight_strided=bool(rng.random() < 0.25), data_seed=seed + 1_000_003)


def transpose_data(case, dtype):
    rng = np.random.default_rng(case["data_seed"])
    c, g = case["c"], case["groups"]
    x = rng.uniform(-1, 1, (case["n"] or 1, c, case["h"], case["w"])).astype(dtype)
    w = (rng.uniform(-1, 1, (c, case["c_out"] // g, case["kh"], case["kw"]))
         * (3 / (c // g * case["kh"] * case["kw"])) ** 0.5).astype(dtype)
    b = rng.uniform(-1, 1, case["c_out"]).astype(dtype) if case["bias"] else None
    return (x[0] if case["n"] is None else x), w, b


def topts(case):
    return {k: case[k] for k in ("stride", "padding", "output_padding", "groups", "dilation")}


def transpose_reference(x, w, b=None, stride=1, padding=0, output_padding=0, groups=1,
                        dilation=1, activation=None):
    y = F.conv_transpose2d(t64(x), t64(w), None if b is None else t64(b), stride, padding,
                           output_padding, groups, dilation)
    return torch_activation(y, activation).numpy()


TRANSPOSE_F32 = range(0, 120)
TRANSPOSE_F64 = range(1000, 1030)


@needs_torch
@pytest.mark.parametrize("seed", [*TRANSPOSE_F32, *TRANSPOSE_F64])
def test_conv_transpose2d_matches_torch(seed):
    case = random_transpose_case(seed)
    dtype = np.float64 if seed in TRANSPOSE_F64 else np.float32
    x, w, b = transpose_data(case, dtype)
    want = transpose_reference(x, w, b, **topts(case), activation=case["activation"])
    xs = present(x, case["layout"], case["mode"])
    ws = strided(w) if case["weight_strided"] else w
    got = nn.conv_transpose2d(xs, ws, b, **topts(case), activation=case["activation"],
                              layout=case["layout"])
    assert isinstance(got, np.ndarray)
    assert_close(from_layout(got, case["layout"]), want, dtype, describe(case))


def test_transpose_cases_cover_the_spec():
    cases = [random_transpose_case(s) for s in [*TRANSPOSE_F32, *TRANSPOSE_F64, *TGRAD_CASES]]
    assert {"dense", "depthwise", "grouped", "pointwise"} <= {c["kind"] for c in cases}
    assert any(c["groups"] == c["c"] > 1 and c["c_out"] > c["c"] for c in cases)  # multipliers
    assert any(c["c"] > 64 for c in cases) and any(c["c_out"] > 64 for c in cases)
    assert any(c["kh"] % 2 == 0 for c in cases) and any(c["kh"] == 7 for c in cases)
    assert any(c["kh"] != c["kw"] for c in cases)
    assert {1, 2, 3} <= {pair(c["stride"])[0] for c in cases}
    assert {1, 2, 3} <= {pair(c["dilation"])[1] for c in cases}
    assert {0, 1, 2} <= {pair(c["output_padding"])[0] for c in cases}
    # output_padding >= stride, allowed by the dilation
    assert any(op >= s for c in cases
               for op, s in zip(pair(c["output_padding"]), pair(c["stride"])))
    assert {"NCHW", "NHWC"} <= {c["layout"] for c in cases}
    assert {"contiguous", "view", "strided"} <= {c["mode"] for c in cases}
    assert {None, 1, 4} <= {c["n"] for c in cases}
    assert {str(a) for a in ACTIVATIONS} <= {str(c["activation"]) for c in cases}
    assert any(isinstance(c["padding"], tuple) and c["padding"][0] != c["padding"][1]
               for c in cases)


# ---- conv_transpose2d: every form, deterministically ---------------------------------------------

@needs_torch
@pytest.mark.parametrize("stride,dilation", [((1, 1), (1, 1)), ((2, 3), (1, 1)), ((1, 1), (2, 3)),
                                             ((3, 1), (1, 2)), ((2, 2), (3, 3)), ((3, 3), (2, 1))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_allowed_output_padding(stride, dilation, dtype):
    rng = np.random.default_rng(sum(stride) * 10 + sum(dilation))
    x = rng.uniform(-1, 1, (2, 6, 5, 4)).astype(dtype)
    w = rng.uniform(-0.5, 0.5, (6, 2, 3, 2)).astype(dtype)
    b = rng.uniform(-1, 1, 6).astype(dtype)
    for oph in range(max(stride[0], dilation[0])):
        for opw in range(max(stride[1], dilation[1])):
            for padding in (0, (1, 2)):
                kw = dict(stride=stride, padding=padding, output_padding=(oph, opw), groups=3,
                          dilation=dilation)
                assert_close(nn.conv_transpose2d(x, w, b, **kw),
                             transpose_reference(x, w, b, **kw), dtype, kw)
                got = nn.conv_transpose2d(x.transpose(0, 2, 3, 1), w, b, **kw, layout="NHWC")
                assert_close(got.transpose(0, 3, 1, 2), transpose_reference(x, w, b, **kw),
                             dtype, f"NHWC {kw}")


@needs_torch
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=str)
def test_conv_transpose2d_every_activation(activation, layout):
    rng = np.random.default_rng(7)
    x = rng.uniform(-3, 3, (2, 5, 6, 7)).astype(np.float32)
    w = rng.uniform(-0.5, 0.5, (5, 4, 3, 2)).astype(np.float32)
    b = rng.uniform(-1, 1, 4).astype(np.float32)
    kw = dict(stride=2, padding=1, output_padding=1)
    got = nn.conv_transpose2d(to_layout(x, layout), w, b, **kw, activation=activation,
                              layout=layout)
    assert_close(from_layout(got, layout), transpose_reference(x, w, b, **kw,
                                                               activation=activation),
                 np.float32, str(activation))


@needs_torch
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_conv_transpose2d_unbatched(layout):
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (3, 6, 5)).astype(np.float32)
    w = rng.uniform(-1, 1, (3, 4, 3, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, 4).astype(np.float32)
    kw = dict(stride=(2, 3), padding=(1, 0), output_padding=(1, 2), dilation=1)
    want = F.conv_transpose2d(t64(x), t64(w), t64(b), **kw).numpy()
    assert want.ndim == 3
    got = nn.conv_transpose2d(to_layout(x, layout), w, b, **kw, layout=layout)
    assert got.ndim == 3
    assert_close(from_layout(got, layout), want, np.float32)


@needs_torch
def test_conv_transpose2d_views_give_the_contiguous_result():
    rng = np.random.default_rng(9)
    base = rng.uniform(-1, 1, (3, 8, 14, 15)).astype(np.float32)
    w = rng.uniform(-1, 1, (4, 3, 3, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, 6).astype(np.float32)
    kw = dict(stride=2, padding=1, output_padding=(1, 0), groups=2)
    views = {"channel step": base[:, ::2], "reversed rows": base[:, 1:5, ::-1],
             "reversed both": base[:, 4:, ::-1, ::-1], "column step": base[:2, :4, 1:, ::2],
             "batch step": base[::2, 2:6], "negative batch": base[::-1, :4, 3:11, 2:9]}
    for name, v in views.items():
        assert not v.flags.c_contiguous
        want = transpose_reference(np.ascontiguousarray(v), w, b, **kw)
        assert_close(nn.conv_transpose2d(v, w, b, **kw), want, np.float32, name)
        assert_close(nn.conv_transpose2d(v, strided(w), b, **kw), want, np.float32,
                     name + " (weight view)")
    # strided weights and bias
    wv, bv = w[::-1, :, ::-1, ::2], b[::-1]
    x = base[:, :4]
    assert_close(nn.conv_transpose2d(x, wv, bv, **kw), transpose_reference(x, wv, bv, **kw),
                 np.float32, "weight and bias views")


@needs_torch
def test_conv_transpose2d_results_own_their_memory():
    x = np.ones((1, 2, 3, 3), np.float32)
    y = nn.conv_transpose2d(x, np.ones((2, 3, 2, 2), np.float32), stride=2)
    assert isinstance(y, np.ndarray) and y.flags.writeable and y.shape == (1, 3, 6, 6)
    del x
    y += 1
    np.testing.assert_array_equal(y, 3)


# ---- the MXNet vector: 3x3 input, kernel 3, stride 2, padding 2, dilation 2 ----------------------

MX = dict(stride=2, padding=2, dilation=2)
MX_EXPECTED = np.array([[1, 0, 2, 0, 3], [0, 0, 0, 0, 0], [4, 0, 5, 0, 6], [0, 0, 0, 0, 0],
                        [7, 0, 8, 0, 9]], np.float64)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mxnet_dilated_strided_vector(dtype):
    """apache/mxnet#13876 (a centred impulse through kernel 1..9) and #11203 (input 1..9
    through a centred impulse): both are the 5x5 above, torch's (MXNet's CPU path was not)."""
    one_to_nine = np.arange(1, 10, dtype=dtype).reshape(1, 1, 3, 3)
    impulse = np.zeros((1, 1, 3, 3), dtype)
    impulse[0, 0, 1, 1] = 1
    for x, w in ((impulse, one_to_nine), (one_to_nine, impulse)):
        got = nn.conv_transpose2d(x, w, **MX)
        np.testing.assert_array_equal(got, MX_EXPECTED[None, None].astype(dtype))
        assert_close(got, transpose_reference(x, w, **MX), dtype)
        layer = nn.ConvTranspose2d(1, 1, 3, **MX, weight=w, bias=False)
        np.testing.assert_array_equal(layer(x), MX_EXPECTED[None, None].astype(dtype))
    # the gradients of conv2d on that problem (output 2x2) and of conv_transpose2d (5x5)
    rng = np.random.default_rng(13)
    x = one_to_nine * 0.1
    w = rng.uniform(-1, 1, (1, 1, 3, 3)).astype(dtype)
    tx, tw = t64(x).requires_grad_(), t64(w).requires_grad_()
    y = F.conv2d(tx, tw, **MX)
    assert y.shape == (1, 1, 2, 2)
    gy = rng.uniform(-1, 1, y.shape).astype(dtype)
    y.backward(t64(gy))
    assert_close(grad.conv2d_input(x.shape, w, gy, **MX), tx.grad, dtype, "conv2d_input")
    assert_close(grad.conv2d_weight(x, w.shape, gy, **MX), tw.grad, dtype, "conv2d_weight")
    tx, tw = t64(x).requires_grad_(), t64(w).requires_grad_()
    y = F.conv_transpose2d(tx, tw, **MX)
    assert y.shape == (1, 1, 5, 5)
    gy = rng.uniform(-1, 1, y.shape).astype(dtype)
    y.backward(t64(gy))
    assert_close(grad.conv_transpose2d_input(x.shape, w, gy, **MX), tx.grad, dtype,
                 "conv_transpose2d_input")
    assert_close(grad.conv_transpose2d_weight(x, w.shape, gy, **MX), tw.grad, dtype,
                 "conv_transpose2d_weight")


# ---- the layer -----------------------------------------------------------------------------------

def test_conv_transpose2d_layer_init_is_torchs_distribution():
    layer = nn.ConvTranspose2d(16, 48, (3, 5), groups=4, rng=np.random.default_rng(0))
    fan_in = 48 // 4 * 3 * 5  # torch: weight.size(1) * kH * kW = out_channels / groups * kH * kW
    bound = 1 / np.sqrt(fan_in)
    w, b = layer.weight, layer.bias
    assert w.shape == (16, 12, 3, 5) and w.dtype == np.float32
    assert b.shape == (48,) and b.dtype == np.float32
    for a in (w, b):
        assert np.abs(a).max() <= bound
        assert np.abs(a).max() > 0.85 * bound
        assert abs(float(a.mean())) < 4 * bound / np.sqrt(3 * a.size)
    assert abs(float(w.std()) / (bound / np.sqrt(3)) - 1) < 0.03
    if torch is not None:
        torch.manual_seed(0)
        ref = torch.nn.ConvTranspose2d(16, 48, (3, 5), groups=4)
        rw, rb = ref.weight.detach().numpy(), ref.bias.detach().numpy()
        assert rw.shape == w.shape and rb.shape == b.shape
        assert np.abs(rw).max() <= bound and np.abs(rb).max() <= bound
        assert np.abs(rw).max() > 0.95 * bound
        assert abs(float(rw.std()) / float(w.std()) - 1) < 0.05
    np.testing.assert_array_equal(nn.ConvTranspose2d(3, 4, 3, rng=1).weight,
                                  nn.ConvTranspose2d(3, 4, 3, rng=1).weight)
    d = nn.ConvTranspose2d(3, 4, 2, bias=False, dtype="float64")
    assert d.weight.shape == (3, 4, 2, 2) and d.weight.dtype == np.float64 and d.bias is None
    assert d(np.ones((1, 3, 4, 4))).dtype == np.float64
    assert nn.ConvTranspose2d(6, 4, (1, 2), groups=2).weight.shape == (6, 2, 1, 2)


LAYER_CONFIGS = [
    dict(kernel_size=(3, 4), stride=(3, 2), padding=(1, 0), dilation=(1, 2), groups=2,
         output_padding=(2, 1)),
    dict(kernel_size=3, stride=2, padding=1, dilation=1, groups=1, output_padding=1),
    dict(kernel_size=(2, 5), stride=(1, 3), padding=(0, 2), dilation=(3, 1), groups=1,
         output_padding=(2, 0)),
    dict(kernel_size=1, stride=3, padding=0, dilation=1, groups=6, output_padding=0),
]


def _min_sizes(cfg, h, w):
    (kh, kw), (sh, sw) = pair(cfg["kernel_size"]), pair(cfg["stride"])
    (ph, pw), (dh, dw) = pair(cfg["padding"]), pair(cfg["dilation"])
    return tout(h, sh, ph, dh, kh, 0), tout(w, sw, pw, dw, kw, 0), sh, sw


@needs_torch
@pytest.mark.parametrize("cfg", LAYER_CONFIGS, ids=str)
def test_conv_transpose2d_layer_equals_torch_module(cfg):
    """Against torch.nn.ConvTranspose2d itself, weights copied over: without output_size, with
    every output_size torch allows (2, 3 or 4 elements, list or tuple), and torch's
    ValueError for the ones it refuses."""
    torch.manual_seed(3)
    ref = torch.nn.ConvTranspose2d(6, 12, dtype=torch.float64, **cfg)
    layer = nn.ConvTranspose2d(6, 12, **cfg, weight=ref.weight.detach().numpy(),
                               bias=ref.bias.detach().numpy())
    assert layer.weight.shape == tuple(ref.weight.shape)
    x = np.random.default_rng(5).uniform(-1, 1, (2, 6, 5, 4))
    tx = torch.from_numpy(x)
    with torch.no_grad():
        assert_close(layer(x), ref(tx).numpy(), np.float64, "no output_size")
        min_h, min_w, sh, sw = _min_sizes(cfg, 5, 4)
        for oh in range(min_h, min_h + sh):
            for ow in range(min_w, min_w + sw):
                for size in [(oh, ow), [oh, ow], (2, 12, oh, ow), [2, 12, oh, ow]]:
                    want = ref(tx, output_size=list(size)).numpy()
                    assert want.shape == (2, 12, oh, ow)
                    assert_close(layer(x, output_size=size), want, np.float64, size)
                    assert_close(layer.forward(x, output_size=size), want, np.float64, size)
                for size in [(oh, ow), (12, oh, ow)]:  # unbatched
                    want = ref(tx[0], output_size=list(size)).numpy()
                    assert_close(layer(x[0], output_size=size), want, np.float64, size)
        bad = [(min_h - 1, min_w), (min_h + sh, min_w), (min_h, min_w + sw), (min_h, min_w - 1),
               (12, min_h, min_w), (min_h,), (1, 2, 12, min_h, min_w)]
        for size in bad:
            with pytest.raises(ValueError):
                ref(tx, output_size=list(size))
            with pytest.raises(ValueError, match="output_size|output size"):
                layer(x, output_size=size)
        for size in [(2, 12, min_h, min_w), (min_h - 1, min_w)]:  # 3-D input: 2 or 3 elements
            with pytest.raises(ValueError):
                ref(tx[0], output_size=list(size))
            with pytest.raises(ValueError, match="output_size|output size"):
                layer(x[0], output_size=size)


@needs_torch
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
def test_conv_transpose2d_layer_layout_and_activation(layout):
    rng = np.random.default_rng(21)
    w = rng.uniform(-0.3, 0.3, (8, 5, 3, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, 5).astype(np.float32)
    kw = dict(stride=2, padding=1, output_padding=1)
    layer = nn.ConvTranspose2d(8, 5, 3, **kw, weight=w, bias=b, activation="silu", layout=layout)
    for shape in [(1, 8, 6, 6), (3, 8, 4, 9), (1, 8, 6, 6)]:
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        got = layer(to_layout(x, layout))
        assert_close(from_layout(got, layout),
                     transpose_reference(x, w, b, **kw, activation="silu"), np.float32, shape)
        size = (2 * shape[2], 2 * shape[3] - 1)  # output_padding (1, 0) instead of the layer's
        got = layer(to_layout(x, layout), output_size=size)
        assert_close(from_layout(got, layout),
                     transpose_reference(x, w, b, stride=2, padding=1, output_padding=(1, 0),
                                         activation="silu"), np.float32, size)


# ---- ONNX ConvTranspose --------------------------------------------------------------------------

def onnx_reference(x, w, b, stride, dilation, groups, output_padding, begin, end):
    """Full scatter, then `begin` cut from the start and `end - output_padding` from the end of
    each axis (negative: zero rows added), then the bias (the ONNX operator spec)."""
    full = F.conv_transpose2d(t64(x), t64(w), None, stride, 0, 0, groups, dilation)
    (oph, opw), (bh, bw), (eh, ew) = output_padding, begin, end
    y = F.pad(full, (-bw, opw - ew, -bh, oph - eh))
    if b is not None:
        y = y + t64(b)[:, None, None]
    return y.numpy()


def onnx_pads(mode, in_size, stride, dilation, k, op, out=None):
    full = stride * (in_size - 1) + op + (k - 1) * dilation + 1
    if out is None:
        out = in_size * stride
    total = full - out
    if mode == "SAME_UPPER":
        return total // 2, total - total // 2
    return total - total // 2, total // 2  # SAME_LOWER, and the spec's output_shape rule


def random_onnx_case(seed):
    rng = np.random.default_rng(seed)
    mode = str(rng.choice(["SAME_UPPER", "SAME_LOWER", "VALID", "pads", "shape_upper",
                           "shape_lower"]))
    groups = int(rng.choice([1, 1, 2, 3]))
    c, c_out = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
    k = [int(v) for v in rng.integers(1, 6, 2)]
    s = [int(v) for v in rng.integers(1, 4, 2)]
    d = [1, 1] if rng.random() < 0.5 else [int(v) for v in rng.integers(1, 3, 2)]
    op = [int(rng.integers(0, max(s[i], d[i]))) for i in range(2)]
    size = [int(v) for v in rng.integers(1, 9, 2)]
    case = dict(mode=mode, n=int(rng.integers(1, 4)), c=c, c_out=c_out, h=size[0], w=size[1],
                kernel=tuple(k), stride=tuple(s), dilation=tuple(d), output_padding=tuple(op),
                groups=groups, bias=bool(rng.random() < 0.7),
                layout=str(rng.choice(["NCHW", "NHWC"])), notset=bool(rng.random() < 0.5),
                data_seed=seed + 77)
    full = [s[i] * (size[i] - 1) + (k[i] - 1) * d[i] + 1 + op[i] for i in range(2)]
    if mode in ("SAME_UPPER", "SAME_LOWER"):
        pads = [onnx_pads(mode, size[i], s[i], d[i], k[i], op[i]) for i in range(2)]
    elif mode == "VALID":
        pads = [(0, 0), (0, 0)]
    elif mode == "pads":
        while True:
            pads = [tuple(int(v) for v in rng.integers(0, 4, 2)) for _ in range(2)]
            if all(full[i] - sum(pads[i]) >= 1 for i in range(2)):
                break
    else:
        case["output_shape"] = tuple(int(rng.integers(max(1, full[i] - 5), full[i] + 4))
                                     for i in range(2))
        which = "SAME_UPPER" if mode == "shape_upper" else "SAME_LOWER"
        pads = [onnx_pads(which, size[i], s[i], d[i], k[i], op[i], case["output_shape"][i])
                for i in range(2)]
    case["begin"], case["end"] = (pads[0][0], pads[1][0]), (pads[0][1], pads[1][1])
    return case


ONNX_CASES = range(5000, 5060)


@needs_torch
@pytest.mark.parametrize("seed", ONNX_CASES)
def test_onnx_options_match_the_spec(seed):
    case = random_onnx_case(seed)
    rng = np.random.default_rng(case["data_seed"])
    dtype = np.float64 if seed % 5 == 0 else np.float32
    x = rng.uniform(-1, 1, (case["n"], case["c"], case["h"], case["w"])).astype(dtype)
    w = rng.uniform(-1, 1, (case["c"], case["c_out"] // case["groups"]) + case["kernel"]) \
        .astype(dtype)
    b = rng.uniform(-1, 1, case["c_out"]).astype(dtype) if case["bias"] else None
    want = onnx_reference(x, w, b, case["stride"], case["dilation"], case["groups"],
                          case["output_padding"], case["begin"], case["end"])
    kw = dict(stride=case["stride"], output_padding=case["output_padding"],
              groups=case["groups"], dilation=case["dilation"], layout=case["layout"])
    mode = case["mode"]
    if mode in ("SAME_UPPER", "SAME_LOWER", "VALID"):
        kw["auto_pad"] = mode
    elif mode == "pads":
        kw["pads"] = case["begin"] + case["end"]  # ONNX order: x1_begin, x2_begin, x1_end, ...
        if case["notset"]:
            kw["auto_pad"] = "NOTSET"
    else:
        kw["auto_pad"] = "SAME_UPPER" if mode == "shape_upper" else "SAME_LOWER"
        kw["output_shape"] = case["output_shape"]
    if mode in ("SAME_UPPER", "SAME_LOWER") or "output_shape" in kw:
        expected = kw.get("output_shape", (case["h"] * case["stride"][0],
                                           case["w"] * case["stride"][1]))
        assert want.shape[2:] == expected
    got = nn.conv_transpose2d(to_layout(x, case["layout"]), w, b, **kw)
    assert_close(from_layout(got, case["layout"]), want, dtype, describe(case))


def test_onnx_cases_cover_the_spec():
    cases = [random_onnx_case(s) for s in ONNX_CASES]
    assert {"SAME_UPPER", "SAME_LOWER", "VALID", "pads", "shape_upper", "shape_lower"} <= \
        {c["mode"] for c in cases}
    assert any(min(c["end"]) < 0 for c in cases)       # zero rows appended
    assert any(min(c["begin"]) < 0 for c in cases)     # zero rows prepended
    assert any((sum(c["begin"]) + sum(c["end"])) % 2 for c in cases if c["mode"][0] == "S")
    assert any(max(c["output_padding"]) > 0 for c in cases)
    assert any(c["groups"] > 1 for c in cases)


@needs_torch
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_onnx_output_shape_alone_splits_as_the_spec_says(dtype):
    """auto_pad NOTSET with output_shape: the operator spec's 'Else' branch,
    begin = total - total // 2, end = total // 2 (the extra row cut at the start)."""
    rng = np.random.default_rng(31)
    x = rng.uniform(-1, 1, (1, 2, 4, 5)).astype(dtype)
    w = rng.uniform(-1, 1, (2, 3, 3, 4)).astype(dtype)
    b = rng.uniform(-1, 1, 3).astype(dtype)
    stride = (2, 3)
    for out in [(8, 14), (9, 15), (7, 13), (10, 17), (11, 20)]:
        pads = [onnx_pads("SAME_LOWER", (4, 5)[i], stride[i], 1, (3, 4)[i], 0, out[i])
                for i in range(2)]
        want = onnx_reference(x, w, b, stride, (1, 1), 1, (0, 0), (pads[0][0], pads[1][0]),
                              (pads[0][1], pads[1][1]))
        assert want.shape[2:] == out
        assert_close(nn.conv_transpose2d(x, w, b, stride, output_shape=out), want, dtype, out)


ONNX_X = np.arange(9, dtype=np.float32).reshape(1, 1, 3, 3)
ONNX_W = np.ones((1, 2, 3, 3), np.float32)
ONNX_Y = np.array([[0, 1, 3, 3, 2], [3, 8, 15, 12, 7], [9, 21, 36, 27, 15],
                   [9, 20, 33, 24, 13], [6, 13, 21, 15, 8]], np.float32)
ONNX_Y_SHAPE = np.array([[0, 0, 1, 1, 3, 2, 2, 0]] * 3 + [[3, 3, 7, 4, 9, 5, 5, 0]] * 3 +
                        [[6, 6, 13, 7, 15, 8, 8, 0]] * 3 + [[0] * 8], np.float32)
ONNX_Y_PADS = np.array([[1, 1, 3]] * 2 + [[7, 4, 9]] * 3 + [[13, 7, 15]] * 2, np.float32)


@pytest.mark.parametrize("kwargs, y", [
    (dict(), ONNX_Y),                                                    # test_convtranspose
    (dict(stride=(3, 2), output_shape=(10, 8)), ONNX_Y_SHAPE),           # ..._output_shape
    (dict(stride=(3, 2), output_padding=(1, 1)), ONNX_Y_SHAPE),          # ..._pad
    (dict(stride=(3, 2), output_shape=(10, 8), output_padding=(1, 1)),   # ..._kernel_shape
     ONNX_Y_SHAPE),
    (dict(stride=(3, 2), pads=(1, 2, 1, 2)), ONNX_Y_PADS),               # ..._pads
    (dict(stride=(3, 2), padding=(1, 2)), ONNX_Y_PADS),                  # the same, torch's way
], ids=["default", "output_shape", "output_padding", "kernel_shape", "pads", "torch_padding"])
def test_onnx_backend_vectors(kwargs, y):
    got = nn.conv_transpose2d(ONNX_X, ONNX_W, **kwargs)
    np.testing.assert_array_equal(got, np.stack([y, y])[None])


# ---- convkit.nn.grad: conv2d ---------------------------------------------------------------------

def same_pads(n, stride, dilation, k):
    out = -(-n // stride)
    total = max((out - 1) * stride + dilation * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def explicit_pads(padding, h, w, kh, kw, stride, dilation):
    (sh, sw), (dh, dw) = pair(stride), pair(dilation)
    if padding == "valid":
        return (0, 0, 0, 0)
    if padding == "same":
        return same_pads(h, sh, dh, kh) + same_pads(w, sw, dw, kw)
    if isinstance(padding, int):
        return (padding,) * 4
    if len(padding) == 2:
        return (padding[0], padding[0], padding[1], padding[1])
    return tuple(padding)


def conv2d_torch(t, tw, tb, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros"):
    """F.conv2d where torch has the form, else F.pad + F.conv2d(padding=0); NCHW, batched."""
    st, dl = pair(stride), pair(dilation)
    native = padding_mode == "zeros" and (
        isinstance(padding, int) or (isinstance(padding, tuple) and len(padding) == 2)
        or padding == "valid" or (padding == "same" and st == (1, 1)))
    if native:
        with warnings.catch_warnings():  # 'same' with an even kernel: torch pads a copy
            warnings.simplefilter("ignore", UserWarning)
            return F.conv2d(t, tw, tb, st, padding, dl, groups)
    top, bottom, left, right = explicit_pads(padding, t.shape[2], t.shape[3], tw.shape[2],
                                             tw.shape[3], st, dl)
    mode = "constant" if padding_mode == "zeros" else padding_mode
    return F.conv2d(F.pad(t, (left, right, top, bottom), mode=mode), tw, tb, st, 0, dl, groups)


def random_conv_case(seed):
    """A seeded conv2d problem whose padded input holds the dilated kernel (as test_nn.py)."""
    rng = np.random.default_rng(seed)
    kind = str(rng.choice(["dense", "depthwise", "grouped", "pointwise"], p=[0.4, 0.25, 0.2, 0.15]))
    if kind == "depthwise":
        c = int(rng.integers(1, 71))
        mult = int(rng.choice([1, 1, 2, 3])) if c <= 23 else 1
        groups, k = c, c * mult
    elif kind == "grouped":
        groups = int(rng.integers(2, 6))
        c = groups * int(rng.integers(1, 70 // groups + 1))
        k = groups * int(rng.integers(1, 70 // groups + 1))
    else:
        groups, c, k = 1, int(rng.integers(1, 71)), int(rng.integers(1, 71))
    kh, kw = (1, 1) if kind == "pointwise" else (int(v) for v in rng.integers(1, 8, 2))
    sh, sw = (int(v) for v in rng.integers(1, 4, 2))
    dh, dw = (1, 1) if rng.random() < 0.6 else (int(v) for v in rng.integers(1, 4, 2))
    form = str(rng.choice(["int", "pair", "quad", "valid", "same"]))
    if form == "int":
        padding = int(rng.integers(0, 4))
    elif form == "pair":
        padding = tuple(int(v) for v in rng.integers(0, 4, 2))
    elif form == "quad":
        padding = tuple(int(v) for v in rng.integers(0, 4, 4))
    else:
        padding = form
    padding_mode = str(rng.choice(PADDING_MODES, p=[0.4, 0.2, 0.2, 0.2]))
    stride, dilation = choose_pair(rng, sh, sw), choose_pair(rng, dh, dw)
    n = int(rng.integers(1, 5))
    eff_h, eff_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    for _ in range(2000):
        h = int(rng.integers(max(1, eff_h - 6), eff_h + 12))
        w = int(rng.integers(max(1, eff_w - 6), eff_w + 12))
        top, bottom, left, right = explicit_pads(padding, h, w, kh, kw, stride, dilation)
        if h + top + bottom < eff_h or w + left + right < eff_w:
            continue
        if padding_mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
            continue
        if padding_mode == "circular" and (max(top, bottom) > h or max(left, right) > w):
            continue
        out_h = (h + top + bottom - eff_h) // sh + 1
        out_w = (w + left + right - eff_w) // sw + 1
        if n * k * (c // groups) * kh * kw * out_h * out_w > 3_000_000:
            n = 1
            continue
        break
    else:
        raise AssertionError(f"seed {seed}: no valid spatial size")
    return dict(kind=kind, n=n, c=c, h=h, w=w, k=k, kh=kh, kw=kw, stride=stride,
                padding=padding, dilation=dilation, groups=groups, padding_mode=padding_mode,
                layout=str(rng.choice(["NCHW", "NHWC"])),
                mode=str(rng.choice(["contiguous", "view", "strided"])),
                unbatched=bool(rng.random() < 0.12), data_seed=seed + 1_000_003)


def copts(case):
    return {key: case[key] for key in ("stride", "padding", "dilation", "groups")}


GRAD_F32 = range(2000, 2120)
GRAD_F64 = range(3000, 3030)


@needs_torch
@pytest.mark.parametrize("seed", [*GRAD_F32, *GRAD_F64])
def test_conv2d_gradients_match_autograd(seed):
    case = random_conv_case(seed)
    dtype = np.float64 if seed in GRAD_F64 else np.float32
    rng = np.random.default_rng(case["data_seed"])
    c, g, k = case["c"], case["groups"], case["k"]
    x = rng.uniform(-1, 1, (case["n"], c, case["h"], case["w"])).astype(dtype)
    w = (rng.uniform(-1, 1, (k, c // g, case["kh"], case["kw"]))
         * (3 / (c // g * case["kh"] * case["kw"])) ** 0.5).astype(dtype)
    b = rng.uniform(-1, 1, k).astype(dtype)
    tx, tw, tb = (t64(a).requires_grad_() for a in (x, w, b))
    y = conv2d_torch(tx, tw, tb, **copts(case), padding_mode=case["padding_mode"])
    gy = rng.uniform(-1, 1, tuple(y.shape)).astype(dtype)
    y.backward(t64(gy))
    layout, mode, what = case["layout"], case["mode"], describe(case)
    kw = dict(padding_mode=case["padding_mode"], layout=layout)
    ws = strided(w) if mode == "strided" else w

    if case["unbatched"]:  # 3-D input_size and grad_output
        size = tuple(to_layout(x[0], layout).shape)
        got = grad.conv2d_input(size, ws, present(gy[0], layout, mode), **copts(case), **kw)
        assert got.shape == size
        assert_close(from_layout(got, layout), tx.grad[0], dtype, "grad_input " + what)
    size = tuple(to_layout(x, layout).shape)
    gys = present(gy, layout, mode)
    got = grad.conv2d_input(size, ws, gys, **copts(case), **kw)
    assert got.shape == size
    assert_close(from_layout(got, layout), tx.grad, dtype, "grad_input " + what)
    got = grad.conv2d_weight(present(x, layout, mode), w.shape, gys, **copts(case), **kw)
    assert_close(got, tw.grad, dtype, "grad_weight " + what)
    assert_close(grad.conv2d_bias(gys, layout=layout), tb.grad, dtype, "grad_bias " + what)


def test_grad_cases_cover_the_spec():
    cases = [random_conv_case(s) for s in [*GRAD_F32, *GRAD_F64]]
    seen = lambda key: {str(c[key]) if not isinstance(c[key], tuple) else  # noqa: E731
                        f"tuple{len(c[key])}" for c in cases}
    assert set(PADDING_MODES) <= seen("padding_mode")
    assert {"same", "valid", "tuple2", "tuple4"} <= seen("padding")
    for mode in PADDING_MODES:  # every form with every mode
        assert {"same", "valid", "tuple2", "tuple4"} <= {
            str(c["padding"]) if not isinstance(c["padding"], tuple)
            else f"tuple{len(c['padding'])}" for c in cases if c["padding_mode"] == mode}
    assert any(c["groups"] == c["c"] > 1 and c["k"] > c["c"] for c in cases)
    assert any(1 < c["groups"] < c["c"] for c in cases)
    assert any(c["c"] > 64 for c in cases) and any(c["k"] > 64 for c in cases)
    assert any(c["kh"] % 2 == 0 for c in cases) and any(c["kw"] == 7 for c in cases)
    assert any(pair(c["stride"])[0] == 3 for c in cases)
    assert any(pair(c["dilation"])[1] == 3 for c in cases)
    assert any(c["padding"] == "same" and pair(c["stride"]) != (1, 1) for c in cases)
    assert any(c["padding"] == "same" and c["kh"] % 2 == 0 for c in cases)
    assert {1, 4} <= {c["n"] for c in cases}
    assert any(c["unbatched"] for c in cases)
    assert {"NCHW", "NHWC"} <= seen("layout")


@needs_torch
@pytest.mark.parametrize("padding_mode", PADDING_MODES)
@pytest.mark.parametrize("padding", [0, 2, (1, 3), (0, 2, 3, 1), "valid", "same"], ids=str)
@pytest.mark.parametrize("stride", [1, 2])
def test_conv2d_gradients_every_padding(padding, padding_mode, stride):
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, (2, 3, 7, 9))
    w = rng.uniform(-1, 1, (4, 3, 4, 3))
    tx, tw = t64(x).requires_grad_(), t64(w).requires_grad_()
    y = conv2d_torch(tx, tw, None, stride, padding, 1, 1, padding_mode)
    gy = rng.uniform(-1, 1, tuple(y.shape))
    y.backward(t64(gy))
    kw = dict(stride=stride, padding=padding, padding_mode=padding_mode)
    assert_close(grad.conv2d_input(x.shape, w, gy, **kw), tx.grad, np.float64, kw)
    assert_close(grad.conv2d_weight(x, w.shape, gy, **kw), tw.grad, np.float64, kw)


# ---- convkit.nn.grad: conv_transpose2d -----------------------------------------------------------

TGRAD_CASES = range(4000, 4060)


@needs_torch
@pytest.mark.parametrize("seed", TGRAD_CASES)
def test_conv_transpose2d_gradients_match_autograd(seed):
    case = random_transpose_case(seed)
    dtype = np.float64 if seed % 4 == 0 else np.float32
    x, w, b = transpose_data(case, dtype)
    b = np.zeros(case["c_out"], dtype) if b is None else b
    batched = x if case["n"] is not None else x[None]
    tx, tw, tb = (t64(a).requires_grad_() for a in (batched, w, b))
    y = F.conv_transpose2d(tx, tw, tb, case["stride"], case["padding"], case["output_padding"],
                           case["groups"], case["dilation"])
    gy = np.random.default_rng(seed).uniform(-1, 1, tuple(y.shape)).astype(dtype)
    y.backward(t64(gy))
    layout, mode, what = case["layout"], case["mode"], describe(case)
    ws = strided(w) if case["weight_strided"] else w
    if case["n"] is None:
        size = tuple(to_layout(x, layout).shape)
        got = grad.conv_transpose2d_input(size, ws, present(gy[0], layout, mode), **topts(case),
                                          layout=layout)
        assert got.shape == size
        assert_close(from_layout(got, layout), tx.grad[0], dtype, "grad_input " + what)
    size = tuple(to_layout(batched, layout).shape)
    gys = present(gy, layout, mode)
    got = grad.conv_transpose2d_input(size, ws, gys, **topts(case), layout=layout)
    assert got.shape == size
    assert_close(from_layout(got, layout), tx.grad, dtype, "grad_input " + what)
    got = grad.conv_transpose2d_weight(present(batched, layout, mode), w.shape, gys, **topts(case),
                                       layout=layout)
    assert_close(got, tw.grad, dtype, "grad_weight " + what)
    assert_close(grad.conv_transpose2d_bias(gys, layout=layout), tb.grad, dtype,
                 "grad_bias " + what)


# ---- torch.nn.grad's signatures ------------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("stride,padding,dilation,groups", [
    (1, 0, 1, 1), (2, 1, 1, 1), ((2, 1), (1, 2), (1, 2), 2), (3, 2, 2, 4), (1, (0, 3), 3, 8),
    ((3, 2), 0, 1, 8)])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64] if torch else [], ids=str)
def test_same_positional_arguments_as_torch_nn_grad(stride, padding, dilation, groups, dtype):
    """grad.conv2d_input / conv2d_weight called exactly as torch.nn.grad's (positional args,
    torch tensors, torch.Size) give torch tensors with torch.nn.grad's values; so do NumPy
    arrays (then NumPy arrays come back)."""
    gen = torch.Generator().manual_seed(sum(pair(stride)) + groups)
    x = torch.rand((2, 8, 13, 12), generator=gen, dtype=torch.float64) * 2 - 1
    w = torch.rand((8, 8 // groups, 3, 2), generator=gen, dtype=torch.float64) - 0.5
    y = F.conv2d(x, w, None, stride, padding, dilation, groups)
    gy = torch.rand(y.shape, generator=gen, dtype=torch.float64) * 2 - 1
    args = (stride, padding, dilation, groups)
    want_i = torch.nn.grad.conv2d_input(x.shape, w, gy, *args)
    want_w = torch.nn.grad.conv2d_weight(x, w.shape, gy, *args)
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    xd, wd, gyd = x.to(dtype), w.to(dtype), gy.to(dtype)
    got_i = grad.conv2d_input(x.shape, wd, gyd, *args)
    got_w = grad.conv2d_weight(xd, w.shape, gyd, *args)
    for got, want, what in ((got_i, want_i, "input"), (got_w, want_w, "weight")):
        assert isinstance(got, torch.Tensor) and got.dtype == dtype, (type(got), what)
        assert_close(got.numpy(), want.numpy(), np_dtype, what)
    got_i = grad.conv2d_input(tuple(x.shape), wd.numpy(), gyd.numpy(), *args)
    got_w = grad.conv2d_weight(xd.numpy(), tuple(w.shape), gyd.numpy(), *args)
    assert isinstance(got_i, np.ndarray) and isinstance(got_w, np.ndarray)
    assert_close(got_i, want_i.numpy(), np_dtype, "input (NumPy)")
    assert_close(got_w, want_w.numpy(), np_dtype, "weight (NumPy)")


# ---- torch tensors in, torch tensors out ---------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64] if torch else [], ids=str)
def test_torch_tensors_in_torch_tensors_out(dtype):
    gen = torch.Generator().manual_seed(1)
    rand = lambda *s: (torch.rand(s, generator=gen, dtype=torch.float64) * 2 - 1)  # noqa: E731
    x, w, b = rand(2, 4, 9, 8), rand(6, 2, 3, 3) * 0.3, rand(6)
    wt, bt = rand(4, 3, 3, 2) * 0.3, rand(6)
    np_dtype = np.float32 if dtype == torch.float32 else np.float64
    d = lambda t: t.to(dtype)  # noqa: E731

    def check(got, want, what):
        assert isinstance(got, torch.Tensor), (type(got), what)
        assert got.dtype == dtype and got.device.type == "cpu", what
        assert_close(got.numpy(), want.detach().numpy(), np_dtype, what)

    check(nn.conv2d(d(x), d(w), d(b), padding=1, groups=2), F.conv2d(x, w, b, padding=1, groups=2),
          "conv2d")
    check(nn.conv2d(d(x).transpose(2, 3), d(w), None, 2, 1, groups=2),
          F.conv2d(x.transpose(2, 3), w, None, 2, 1, groups=2), "conv2d of a transposed tensor")
    check(nn.conv2d(d(x).permute(0, 2, 3, 1), d(w), d(b), padding=1, groups=2, layout="NHWC"),
          F.conv2d(x, w, b, padding=1, groups=2).permute(0, 2, 3, 1), "conv2d NHWC")
    check(nn.conv_transpose2d(d(x), d(wt), d(bt), 2, 1, 1, 2),
          F.conv_transpose2d(x, wt, bt, 2, 1, 1, 2), "conv_transpose2d")
    check(nn.conv_transpose2d(d(x)[:, :, ::2], d(wt), None, 2, 1, (1, 0), 2, activation="relu"),
          F.relu(F.conv_transpose2d(x[:, :, ::2], wt, None, 2, 1, (1, 0), 2)),
          "conv_transpose2d of a strided tensor")

    tx, tw, tb = (a.clone().requires_grad_() for a in (x, w, b))
    y = F.conv2d(tx, tw, tb, 2, 1, 1, 2)
    gy = rand(*y.shape)
    y.backward(gy)
    check(grad.conv2d_input(x.shape, d(w), d(gy), 2, 1, 1, 2), tx.grad, "conv2d_input")
    check(grad.conv2d_weight(d(x), w.shape, d(gy), 2, 1, 1, 2), tw.grad, "conv2d_weight")
    check(grad.conv2d_bias(d(gy)), tb.grad, "conv2d_bias")
    tx, tw, tb = (a.clone().requires_grad_() for a in (x, wt, bt))
    y = F.conv_transpose2d(tx, tw, tb, 2, 1, 1, 2)
    gy = rand(*y.shape)
    y.backward(gy)
    check(grad.conv_transpose2d_input(x.shape, d(wt), d(gy), 2, 1, 1, 2), tx.grad,
          "conv_transpose2d_input")
    check(grad.conv_transpose2d_weight(d(x), wt.shape, d(gy), 2, 1, 1, 2), tw.grad,
          "conv_transpose2d_weight")
    check(grad.conv_transpose2d_bias(d(gy)), tb.grad, "conv_transpose2d_bias")


@needs_torch
def test_torch_tensors_that_require_grad_are_read():
    """As torch.nn.grad's functions do: parameters with requires_grad=True are taken."""
    w = torch.nn.Parameter(torch.rand(4, 3, 3, 3))
    x = torch.rand(1, 3, 6, 6, requires_grad=True)
    gy = torch.rand(1, 4, 4, 4)
    with torch.no_grad():
        want_i = torch.nn.grad.conv2d_input(x.shape, w.double(), gy.double())
        want_w = torch.nn.grad.conv2d_weight(x.double(), w.shape, gy.double())
        want_y = F.conv2d(x.double(), w.double())
    assert_close(grad.conv2d_input(x.shape, w, gy), want_i, np.float32, "conv2d_input")
    assert_close(grad.conv2d_weight(x, w.shape, gy), want_w, np.float32, "conv2d_weight")
    assert_close(nn.conv2d(x, w), want_y, np.float32, "conv2d")


# ---- determinism ---------------------------------------------------------------------------------

@pytest.mark.parametrize("which", ["conv2d_weight", "conv2d_weight_depthwise_nhwc",
                                   "conv2d_weight_reflect_stride2", "conv2d_bias",
                                   "conv_transpose2d_weight"])
def test_weight_gradients_are_bit_identical_for_any_thread_count(which):
    rng = np.random.default_rng(17)
    x = rng.uniform(-1, 1, (4, 32, 36, 36)).astype(np.float32)
    if which == "conv2d_weight":
        gy = rng.uniform(-1, 1, (4, 48, 34, 34)).astype(np.float32)
        run = lambda: grad.conv2d_weight(x, (48, 32, 3, 3), gy)  # noqa: E731
    elif which == "conv2d_weight_depthwise_nhwc":
        xh = np.ascontiguousarray(x.transpose(0, 2, 3, 1))
        gy = rng.uniform(-1, 1, (4, 36, 36, 32)).astype(np.float32)
        run = lambda: grad.conv2d_weight(xh, (32, 1, 5, 5), gy, 1, 2, 1, 32,  # noqa: E731
                                         layout="NHWC")
    elif which == "conv2d_weight_reflect_stride2":
        gy = rng.uniform(-1, 1, (4, 16, 18, 18)).astype(np.float32)
        run = lambda: grad.conv2d_weight(x, (16, 32, 3, 3), gy, 2, 1,  # noqa: E731
                                         padding_mode="reflect")
    elif which == "conv2d_bias":
        gy = rng.uniform(-1, 1, (4, 48, 34, 34)).astype(np.float32)
        run = lambda: grad.conv2d_bias(gy)  # noqa: E731
    else:
        gy = rng.uniform(-1, 1, (4, 24, 73, 73)).astype(np.float32)
        run = lambda: grad.conv_transpose2d_weight(x, (32, 24, 3, 3), gy, 2)  # noqa: E731
    assert hasattr(convkit, "set_num_threads") and hasattr(convkit, "get_num_threads")
    before = convkit.get_num_threads()
    results = []
    try:
        for n in (1, 2, 3, 1, 2):
            convkit.set_num_threads(n)
            results.append(run())
    finally:
        convkit.set_num_threads(before)
    for n, r in zip((2, 3, 1, 2), results[1:]):
        np.testing.assert_array_equal(r, results[0], err_msg=f"{which}: {n} threads vs 1")


# ---- empty batches -------------------------------------------------------------------------------

@needs_torch
def test_empty_batch_as_torch():
    w = np.ones((4, 3, 3, 3), np.float32)  # conv_transpose2d: 4 -> 3 channels
    x0 = np.zeros((0, 4, 5, 6), np.float32)
    kw = dict(stride=2, padding=1, output_padding=1)
    want = F.conv_transpose2d(torch.from_numpy(x0), torch.from_numpy(w), **kw).shape
    assert want == (0, 3, 10, 12)
    assert nn.conv_transpose2d(x0, w, **kw).shape == want
    assert nn.conv_transpose2d(x0.transpose(0, 2, 3, 1), w, **kw, layout="NHWC").shape == \
        (0, 10, 12, 3)
    assert nn.ConvTranspose2d(4, 3, 3, **kw)(x0).shape == want
    assert nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1)(x0, output_size=(10, 12)).shape == want
    assert nn.conv_transpose2d(x0, w, auto_pad="SAME_UPPER", stride=2).shape == (0, 3, 10, 12)

    wc = np.ones((2, 4, 3, 3), np.float32)  # conv2d: 4 -> 2 channels
    gy0 = np.zeros((0, 2, 4, 5), np.float32)
    gi = grad.conv2d_input((0, 4, 6, 7), wc, gy0)
    assert gi.shape == (0, 4, 6, 7) and gi.dtype == np.float32
    gw = grad.conv2d_weight(np.zeros((0, 4, 6, 7), np.float32), wc.shape, gy0)
    assert gw.shape == wc.shape and not gw.any()  # torch: zeros
    gb = grad.conv2d_bias(gy0)
    assert gb.shape == (2,) and not gb.any()
    assert grad.conv2d_input((0, 6, 7, 4), wc, gy0.transpose(0, 2, 3, 1),
                             layout="NHWC").shape == (0, 6, 7, 4)
    gyt0 = np.zeros((0, 3, 10, 12), np.float32)
    assert grad.conv_transpose2d_input((0, 4, 5, 6), w, gyt0, **kw).shape == (0, 4, 5, 6)
    gw = grad.conv_transpose2d_weight(x0, w.shape, gyt0, **kw)
    assert gw.shape == w.shape and not gw.any()


# ---- errors --------------------------------------------------------------------------------------

XT = np.zeros((1, 4, 5, 5), np.float32)
WT = np.zeros((4, 3, 3, 3), np.float32)   # conv_transpose2d: 4 -> 3 channels
GYT = np.zeros((1, 3, 7, 7), np.float32)  # its output at stride 1
X = np.zeros((1, 4, 6, 6), np.float32)
W = np.zeros((2, 4, 3, 3), np.float32)    # conv2d: 4 -> 2 channels
GY = np.zeros((1, 2, 4, 4), np.float32)   # its output at stride 1


def _layer_call(*args, **kwargs):
    return nn.ConvTranspose2d(*args, **kwargs)(XT)


@pytest.mark.parametrize("call, match", [
    (lambda: nn.conv_transpose2d(XT, WT, stride=2, output_padding=2), OP_MESSAGE),
    (lambda: nn.conv_transpose2d(XT, WT, output_padding=1), OP_MESSAGE),
    (lambda: nn.conv_transpose2d(XT, WT, stride=(2, 1), output_padding=(1, 1)), OP_MESSAGE),
    (lambda: nn.conv_transpose2d(XT, WT, dilation=(1, 2), output_padding=(0, 2)), OP_MESSAGE),
    (lambda: nn.conv_transpose2d(XT, WT, stride=2, dilation=3, output_padding=3), OP_MESSAGE),
    (lambda: _layer_call(4, 3, 3, stride=2, output_padding=2), OP_MESSAGE),
    (lambda: grad.conv_transpose2d_input(XT.shape, WT, np.zeros((1, 3, 11, 11), np.float32),
                                         stride=2, output_padding=2), OP_MESSAGE),
    (lambda: grad.conv_transpose2d_weight(XT, WT.shape, np.zeros((1, 3, 11, 11), np.float32),
                                          stride=2, output_padding=2), OP_MESSAGE),
    (lambda: nn.conv_transpose2d(XT, WT, output_padding=-1), "output_padding"),
    (lambda: nn.conv_transpose2d(XT, WT, padding=-1), "padding"),
    (lambda: nn.conv_transpose2d(XT, WT, padding=(0, -2)), "padding"),
    (lambda: _layer_call(4, 3, 3, padding=-1), "padding"),
    (lambda: grad.conv2d_input(X.shape, W, GY, padding=-1), "padding"),
    (lambda: grad.conv2d_weight(X, W.shape, GY, padding=(1, -1)), "padding"),
    (lambda: grad.conv2d_input(X.shape, W, GY, padding=(0, 0, -1, 0)), "padding"),
    (lambda: grad.conv_transpose2d_input(XT.shape, WT, GYT, padding=-1), "padding"),
    (lambda: nn.conv_transpose2d(XT, WT, stride=0), "stride"),
    (lambda: nn.conv_transpose2d(XT, WT, dilation=0), "dilation"),
    (lambda: grad.conv2d_input(X.shape, W, GY, stride=0), "stride"),
    # a non-positive output size
    (lambda: nn.conv_transpose2d(XT[..., :2, :2], WT[..., :1, :1], padding=1), "(?i)output"),
    (lambda: nn.conv_transpose2d(XT[..., :1, :1], WT[..., :1, :1], padding=(0, 1)), "(?i)output"),
    (lambda: nn.ConvTranspose2d(4, 3, 1, padding=3)(XT[..., :2, :]), "(?i)output"),
    (lambda: grad.conv2d_input((1, 4, 0, 6), W, GY), "input_size"),
    (lambda: grad.conv2d_input((1, 4, -6, 6), W, GY), "input_size"),
    # channels
    (lambda: nn.conv_transpose2d(XT[:, :3], WT), "(?i)channel|weight|input"),
    (lambda: nn.conv_transpose2d(XT, np.zeros((4, 1, 3, 3), np.float32), groups=3), "groups"),
    (lambda: nn.conv_transpose2d(XT[:, :3], np.zeros((3, 1, 3, 3), np.float32), groups=2),
     "groups"),
    (lambda: nn.ConvTranspose2d(4, 3, 3)(XT[:, :3]), "(?i)channel|input"),
    (lambda: nn.ConvTranspose2d(5, 4, 3, groups=2), "groups"),
    (lambda: nn.ConvTranspose2d(4, 6, 3, groups=4), "groups"),
    (lambda: nn.ConvTranspose2d(4, 3, 3, weight=np.zeros((3, 4, 3, 3), np.float32)), "weight"),
    (lambda: nn.conv_transpose2d(XT, WT, np.zeros(4, np.float32)), "bias"),
    (lambda: nn.conv_transpose2d(XT[0, 0], WT), "input"),
    (lambda: nn.conv_transpose2d(XT, WT[0]), "weight"),
    (lambda: grad.conv2d_input((1, 3, 6, 6), W, GY), "(?i)channel|input_size|weight"),
    (lambda: grad.conv2d_weight(X, (2, 3, 3, 3), GY), "(?i)channel|weight_size|input"),
    (lambda: grad.conv2d_input(X.shape, W, np.zeros((1, 3, 4, 4), np.float32)), "grad_output"),
    (lambda: grad.conv2d_input(X.shape, W, np.zeros((1, 2, 5, 4), np.float32)), "grad_output"),
    (lambda: grad.conv2d_input(X.shape, W, np.zeros((2, 2, 4, 4), np.float32)), "grad_output"),
    (lambda: grad.conv2d_weight(X, W.shape, np.zeros((1, 2, 4, 3), np.float32)), "grad_output"),
    (lambda: grad.conv2d_weight(X[:0], W.shape, GY), "(?i)batch|grad_output|input"),
    (lambda: grad.conv2d_input((0, 4, 6, 6), W, GY), "(?i)batch|grad_output|input_size"),
    (lambda: grad.conv_transpose2d_weight(XT[:0], WT.shape, GYT), "(?i)batch|grad_output|input"),
    (lambda: grad.conv2d_input((1, 4, 6), W, GY), "(?i)input_size|grad_output|channel|weight"),
    (lambda: grad.conv2d_input((4, 6, 6), W, GY), "(?i)input_size|grad_output"),
    (lambda: grad.conv2d_input(X.shape, W, GY, padding_mode="mirror"), "padding_mode"),
    (lambda: grad.conv2d_input(X.shape, W, GY, layout="NHCW"), "layout"),
    (lambda: grad.conv2d_bias(GY, layout="CHWN"), "layout"),
    (lambda: grad.conv2d_bias(GY[0, 0, 0]), "grad_output"),
    (lambda: grad.conv_transpose2d_input(XT.shape, WT, np.zeros((1, 3, 8, 7), np.float32)),
     "grad_output"),
    (lambda: grad.conv_transpose2d_weight(XT, (4, 2, 3, 3), GYT),
     "(?i)channel|weight_size|grad_output"),
    # ONNX options
    (lambda: nn.conv_transpose2d(XT, WT, auto_pad="SAME"), "auto_pad"),
    (lambda: nn.conv_transpose2d(XT, WT, auto_pad="same_upper"), "auto_pad"),
    (lambda: nn.conv_transpose2d(XT, WT, pads=(1, 1)), "pads"),
    (lambda: nn.conv_transpose2d(XT, WT, pads=(0, -1, 0, 0)), "pads"),
    (lambda: nn.conv_transpose2d(XT, WT, padding=1, auto_pad="SAME_UPPER"), "padding"),
    (lambda: nn.conv_transpose2d(XT, WT, padding=1, pads=(1, 1, 1, 1)), "padding"),
    (lambda: nn.conv_transpose2d(XT, WT, output_shape=(0, 7)), "output_shape"),
    (lambda: nn.conv_transpose2d(XT, WT, output_shape=(7,)), "output_shape"),
    (lambda: nn.conv_transpose2d(XT, WT, output_shape=(7, 7, 7)), "output_shape"),
    # torch's ConvTranspose2d: padding_mode zeros only
    (lambda: nn.ConvTranspose2d(4, 3, 3, padding_mode="reflect"), "padding_mode"),
    (lambda: nn.ConvTranspose2d(4, 3, 0), "kernel"),
    (lambda: nn.ConvTranspose2d(0, 3, 3), "in_channels"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_parameters_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@needs_torch
def test_output_padding_message_is_torchs():
    for kw in (dict(stride=2, output_padding=2), dict(dilation=(1, 2), output_padding=(0, 2))):
        with pytest.raises(RuntimeError, match=OP_MESSAGE):
            F.conv_transpose2d(torch.from_numpy(XT), torch.from_numpy(WT), **kw)
        with pytest.raises(ValueError, match=OP_MESSAGE + ", but got"):
            nn.conv_transpose2d(XT, WT, **kw)


@pytest.mark.parametrize("call, match", [
    (lambda: nn.conv_transpose2d(XT, WT.astype(np.float64)), "float64"),
    (lambda: nn.conv_transpose2d(XT.astype(np.int32), WT), "int32"),
    (lambda: nn.conv_transpose2d(XT.astype(np.float16), WT), "float16"),
    (lambda: nn.conv_transpose2d(XT, WT, np.zeros(3, np.float64)), "bias"),
    (lambda: nn.conv_transpose2d(XT, WT, stride=1.5), "stride"),
    (lambda: nn.conv_transpose2d(XT, WT, output_padding=0.5), "output_padding"),
    (lambda: nn.conv_transpose2d(XT, WT, auto_pad=1), "auto_pad"),
    (lambda: nn.ConvTranspose2d(4, 3, 3)(XT.astype(np.float64)), "float64"),
    (lambda: nn.ConvTranspose2d(4, 3, 3, weight=WT.astype(np.int32)), "int32"),
    (lambda: nn.ConvTranspose2d(4, 3, 3, dtype="int16"), "int16"),
    (lambda: grad.conv2d_input(X.shape, W, GY.astype(np.float64)), "float64"),
    (lambda: grad.conv2d_input(X.shape, W.astype(np.int64), GY), "int64"),
    (lambda: grad.conv2d_weight(X.astype(np.float64), W.shape, GY), "float64"),
    (lambda: grad.conv2d_weight(X, W.shape, GY.astype(np.int32)), "int32"),
    (lambda: grad.conv2d_bias(GY.astype(np.int32)), "int32"),
    (lambda: grad.conv_transpose2d_input(XT.shape, WT, GYT.astype(np.float64)), "float64"),
    (lambda: grad.conv_transpose2d_weight(XT.astype(np.float64), WT.shape, GYT), "float64"),
    (lambda: grad.conv2d_input(X.shape, W, GY, stride=1.5), "stride"),
    (lambda: grad.conv2d_input("abc", W, GY), "input_size"),
    (lambda: grad.conv2d_weight(X, None, GY), "weight_size"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_types_are_type_errors(call, match):
    with pytest.raises(TypeError, match=match):
        call()
