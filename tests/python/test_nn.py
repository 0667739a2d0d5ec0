"""convkit.nn against torch.nn.functional.conv2d / torch.nn.Conv2d (torch 2.13 CPU, pinned in
requirements-dev.txt): randomized but seeded problems over batch, channels, kernels, strides,
dilations, groups, every padding form and padding_mode, both layouts and every activation; then
the layer (initialisation, reuse, explain), errors, strided views.

The reference is torch in float64 on the same (float32 or float64) data, so a float32 result is
held to its own round-off: max|diff| <= 1e-5 * max(1, max|ref|) (2e-13 for float64). Where torch
has no such form, the reference is spelled out with torch: 4-tuple padding, padding_mode other than
zeros and 'same' at stride > 1 (TensorFlow's SAME rule in convkit) are F.pad + conv2d(padding=0).
"""

import doctest
import pickle
import re
import threading
import warnings

import numpy as np
import pytest

import convkit
from convkit import nn

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
               ("leaky_relu", 0.2), "clamp", "hardtanh", ("clamp", -0.5, 0.25),
               ("hardtanh", -2.0, 0.5)]
PADDING_MODES = ["zeros", "reflect", "replicate", "circular"]
TOLERANCE = {np.float32: 1e-5, np.float64: 2e-13}


# ---- the torch reference -------------------------------------------------------------------------

def pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def same_pads(n, stride, dilation, k):
    out = -(-n // stride)
    total = max((out - 1) * stride + dilation * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def explicit_pads(padding, h, w, kh, kw, stride, dilation):
    """(top, bottom, left, right) for any padding form."""
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
        return F.gelu(t)  # approximate='none': the erf form
    if name == "silu":
        return F.silu(t)
    if name == "leaky_relu":
        return F.leaky_relu(t, *params) if params else F.leaky_relu(t)
    if name in ("clamp", "hardtanh"):
        lo, hi = params or (-1.0, 1.0)
        return F.hardtanh(t, lo, hi) if name == "hardtanh" else torch.clamp(t, lo, hi)
    raise AssertionError(name)


def reference(x, w, b=None, stride=1, padding=0, dilation=1, groups=1, padding_mode="zeros",
              activation=None):
    """torch in float64 on an NCHW x: F.conv2d's own padding where torch has the form."""
    t = torch.from_numpy(np.asarray(x, np.float64))
    tw = torch.from_numpy(np.asarray(w, np.float64))
    tb = None if b is None else torch.from_numpy(np.asarray(b, np.float64))
    st, dl = pair(stride), pair(dilation)
    native = padding_mode == "zeros" and (
        isinstance(padding, int) or (isinstance(padding, tuple) and len(padding) == 2)
        or padding == "valid" or (padding == "same" and st == (1, 1)))
    if native:
        with warnings.catch_warnings():  # 'same' with an even kernel: torch pads a copy
            warnings.simplefilter("ignore", UserWarning)
            y = F.conv2d(t, tw, tb, st, padding, dl, groups)
    else:
        top, bottom, left, right = explicit_pads(padding, x.shape[2], x.shape[3], w.shape[2],
                                                 w.shape[3], st, dl)
        mode = "constant" if padding_mode == "zeros" else padding_mode
        y = F.conv2d(F.pad(t, (left, right, top, bottom), mode=mode), tw, tb, st, 0, dl, groups)
    return torch_activation(y, activation).numpy()


# Winograd F(4x4, 3x3) runs only on request: its documented bound (README) is 2e-4 relative.
WINOGRAD_4X4_TOLERANCE = 2e-4


def assert_close(got, want, dtype, what="", tolerance=None):
    assert got.dtype == np.dtype(dtype), (got.dtype, dtype)
    assert got.shape == want.shape, (got.shape, want.shape, what)
    tol = tolerance if tolerance is not None else TOLERANCE[np.dtype(dtype).type]
    diff = float(np.max(np.abs(got.astype(np.float64) - want))) if want.size else 0.0
    scale = max(1.0, float(np.max(np.abs(want))) if want.size else 0.0)
    assert diff <= tol * scale, f"max|diff| {diff:.3g} > {tol:g} * {scale:.3g}: {what}"


def to_layout(x_nchw, layout, contiguous=True):
    if layout == "NCHW":
        return x_nchw
    v = x_nchw.transpose(0, 2, 3, 1)  # a strided NHWC view of the NCHW data
    return np.ascontiguousarray(v) if contiguous else v


def from_layout(y, layout):
    return y if layout == "NCHW" else y.transpose(0, 3, 1, 2)


# ---- randomized problems ---------------------------------------------------------------------------

def random_case(seed):
    """A seeded random problem whose padded input holds the dilated kernel."""
    rng = np.random.default_rng(seed)
    kind = rng.choice(["dense", "depthwise", "grouped", "pointwise"], p=[0.4, 0.25, 0.2, 0.15])
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
    stride = sh if sh == sw and rng.random() < 0.5 else (sh, sw)
    dh, dw = (1, 1) if rng.random() < 0.6 else (int(v) for v in rng.integers(1, 4, 2))
    dilation = dh if dh == dw and rng.random() < 0.5 else (dh, dw)
    form = rng.choice(["int", "pair", "quad", "valid", "same"])
    if form == "int":
        padding = int(rng.integers(0, 4))
    elif form == "pair":
        padding = tuple(int(v) for v in rng.integers(0, 4, 2))
    elif form == "quad":
        padding = tuple(int(v) for v in rng.integers(0, 4, 4))
    else:
        padding = str(form)
    padding_mode = str(rng.choice(PADDING_MODES, p=[0.4, 0.2, 0.2, 0.2]))
    layout = str(rng.choice(["NCHW", "NHWC"]))
    activation = ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]
    n = int(rng.integers(1, 5))
    eff_h, eff_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    for _ in range(1000):
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
        if n * k * (c // groups) * kh * kw * out_h * out_w > 4_000_000:
            n = 1
            continue
        break
    else:
        raise AssertionError(f"seed {seed}: no valid spatial size")
    return dict(n=n, c=c, h=h, w=w, k=k, kh=kh, kw=kw, stride=stride, padding=padding,
                dilation=dilation, groups=groups, padding_mode=padding_mode, layout=layout,
                activation=activation, bias=bool(rng.random() < 0.8),
                contiguous=bool(rng.random() < 0.5), data_seed=seed + 1_000_003)


def case_data(case, dtype):
    rng = np.random.default_rng(case["data_seed"])
    fan_in = case["c"] // case["groups"] * case["kh"] * case["kw"]
    x = rng.uniform(-1, 1, (case["n"], case["c"], case["h"], case["w"])).astype(dtype)
    wt = (rng.uniform(-1, 1, (case["k"], case["c"] // case["groups"], case["kh"], case["kw"]))
          * (3 / fan_in) ** 0.5).astype(dtype)
    b = rng.uniform(-1, 1, case["k"]).astype(dtype) if case["bias"] else None
    return x, wt, b


def options(case):
    return {key: case[key] for key in ("stride", "padding", "dilation", "groups", "padding_mode",
                                       "activation")}


def describe(case):
    return " ".join(f"{k}={v}" for k, v in case.items() if k != "data_seed")


F32_CASES = range(0, 400)
F64_CASES = range(10_000, 10_080)
LAYER_CASES = range(20_000, 20_080)
ALGORITHM_CASES = range(30_000, 30_080)


@needs_torch
@pytest.mark.parametrize("seed", [*F32_CASES, *F64_CASES])
def test_conv2d_matches_torch(seed):
    case = random_case(seed)
    dtype = np.float64 if seed in F64_CASES else np.float32
    x, wt, b = case_data(case, dtype)
    want = reference(x, wt, b, **options(case))
    got = nn.conv2d(to_layout(x, case["layout"], case["contiguous"]), wt, b, **options(case),
                    layout=case["layout"])
    assert_close(from_layout(got, case["layout"]), want, dtype, describe(case))


@needs_torch
@pytest.mark.parametrize("seed", LAYER_CASES)
def test_layer_matches_torch(seed):
    case = random_case(seed)
    dtype = np.float32
    x, wt, b = case_data(case, dtype)
    layer = nn.Conv2d(case["c"], case["k"], (case["kh"], case["kw"]), **options(case),
                      weight=wt, bias=b if b is not None else False, layout=case["layout"])
    want = reference(x, wt, b, **options(case))
    got = layer(to_layout(x, case["layout"], case["contiguous"]))
    assert_close(from_layout(got, case["layout"]), want, dtype, describe(case))
    # a second batch of another size through the same layer
    x2 = x[:1, :, ::-1]
    assert_close(from_layout(layer.forward(to_layout(x2, case["layout"])), case["layout"]),
                 reference(x2, wt, b, **options(case)), dtype, describe(case))


def accepting_algorithms(explanation):
    """The candidates of Plan::explain() that accept the problem (those with an estimate)."""
    names = re.findall(r"^ +(\S+) +[0-9.]+ ms", explanation, flags=re.M)
    assert names, explanation
    return names


@needs_torch
@pytest.mark.parametrize("seed", ALGORITHM_CASES)
def test_every_accepting_algorithm_matches_torch(seed):
    """Not only the planner's choice: each algorithm that accepts the problem, forced."""
    case = random_case(seed)
    dtype = np.float64 if seed % 4 == 0 else np.float32
    x, wt, b = case_data(case, dtype)
    xs = to_layout(x, case["layout"], case["contiguous"])
    layer = nn.Conv2d(case["c"], case["k"], (case["kh"], case["kw"]), **options(case),
                      weight=wt, bias=b if b is not None else False, layout=case["layout"])
    want = reference(x, wt, b, **options(case))
    names = accepting_algorithms(layer.explain(xs))
    assert layer.plan_algorithm(xs) in names and "reference" in names
    for name in names:
        got = nn.conv2d(xs, wt, b, **options(case), layout=case["layout"], algorithm=name)
        tol = WINOGRAD_4X4_TOLERANCE if name == "winograd-4x4" else None
        assert_close(from_layout(got, case["layout"]), want, dtype, f"{name}: {describe(case)}",
                     tol)


def test_random_cases_cover_the_spec():
    cases = [random_case(s) for s in [*F32_CASES, *F64_CASES, *LAYER_CASES, *ALGORITHM_CASES]]
    seen = lambda key: {str(c[key]) if not isinstance(c[key], tuple) else  # noqa: E731
                        f"tuple{len(c[key])}" for c in cases}
    assert {"zeros", "reflect", "replicate", "circular"} <= seen("padding_mode")
    assert {"same", "valid", "tuple2", "tuple4"} <= seen("padding")
    assert {str(a) for a in ACTIVATIONS} <= {str(c["activation"]) for c in cases}
    assert any(c["groups"] == c["c"] > 1 and c["k"] > c["c"] for c in cases)  # multipliers
    assert any(1 < c["groups"] < c["c"] for c in cases)
    assert any(c["c"] % 16 and c["c"] > 16 for c in cases)
    assert any(c["kh"] != c["kw"] for c in cases) and any(c["kh"] % 2 == 0 for c in cases)
    assert any(pair(c["stride"])[0] == 3 for c in cases)
    assert any(pair(c["dilation"])[1] == 3 for c in cases)
    assert any(c["padding"] == "same" and pair(c["stride"]) != (1, 1) for c in cases)
    assert {1, 4} <= {c["n"] for c in cases}


# ---- every form, deterministically ---------------------------------------------------------------

@needs_torch
@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
@pytest.mark.parametrize("activation", ACTIVATIONS, ids=str)
def test_every_activation(activation, layout):
    rng = np.random.default_rng(7)
    x = rng.uniform(-3, 3, (2, 5, 9, 8)).astype(np.float32)
    w = rng.uniform(-0.5, 0.5, (6, 5, 3, 2)).astype(np.float32)
    b = rng.uniform(-1, 1, 6).astype(np.float32)
    got = nn.conv2d(to_layout(x, layout), w, b, padding=1, activation=activation, layout=layout)
    assert_close(from_layout(got, layout), reference(x, w, b, padding=1, activation=activation),
                 np.float32, str(activation))


@needs_torch
@pytest.mark.parametrize("padding_mode", PADDING_MODES)
@pytest.mark.parametrize("padding", [0, 2, (1, 3), (0, 2, 3, 1), "valid", "same"], ids=str)
@pytest.mark.parametrize("stride", [1, 2])
def test_every_padding(padding, padding_mode, stride):
    rng = np.random.default_rng(11)
    x = rng.uniform(-1, 1, (1, 3, 7, 9)).astype(np.float32)
    w = rng.uniform(-1, 1, (4, 3, 4, 3)).astype(np.float32)
    got = nn.conv2d(x, w, stride=stride, padding=padding, padding_mode=padding_mode)
    want = reference(x, w, stride=stride, padding=padding, padding_mode=padding_mode)
    assert_close(got, want, np.float32, f"{padding} {padding_mode}")


@needs_torch
@pytest.mark.parametrize("padding_mode", PADDING_MODES)
@pytest.mark.parametrize("padding", [1, (2, 1), "same", "valid"], ids=str)
def test_layer_equals_torch_module(padding, padding_mode):
    """Against torch.nn.Conv2d itself (its own padding_mode handling), weights copied over."""
    torch.manual_seed(3)
    ref = torch.nn.Conv2d(6, 4, (3, 4), padding=padding, dilation=(1, 2), groups=2,
                          padding_mode=padding_mode, dtype=torch.float64)
    layer = nn.Conv2d(6, 4, (3, 4), padding=padding, dilation=(1, 2), groups=2,
                      padding_mode=padding_mode, weight=ref.weight.detach().numpy(),
                      bias=ref.bias.detach().numpy())
    x = np.random.default_rng(5).uniform(-1, 1, (2, 6, 8, 11))
    with torch.no_grad():
        want = ref(torch.from_numpy(x)).numpy()
    assert_close(layer(x), want, np.float64, f"{padding} {padding_mode}")


@needs_torch
def test_same_padding_at_stride_one_is_torchs():
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (1, 2, 6, 7)).astype(np.float32)
    for kh, kw, d in [(2, 4, 1), (4, 3, 2), (1, 6, 3), (5, 5, 1)]:
        w = rng.uniform(-1, 1, (3, 2, kh, kw)).astype(np.float32)
        want = F.conv2d(torch.from_numpy(x).double(), torch.from_numpy(w).double(),
                        padding="same", dilation=d).numpy()
        assert_close(nn.conv2d(x, w, padding="same", dilation=d), want, np.float32, (kh, kw, d))


@needs_torch
def test_unbatched_input_as_torch():
    rng = np.random.default_rng(4)
    x = rng.uniform(-1, 1, (3, 8, 8)).astype(np.float32)
    w = rng.uniform(-1, 1, (5, 3, 3, 3)).astype(np.float32)
    want = F.conv2d(torch.from_numpy(x).double(), torch.from_numpy(w).double(), padding=1)
    got = nn.conv2d(x, w, padding=1)
    assert_close(got, want.numpy(), np.float32)
    assert_close(nn.Conv2d(3, 5, 3, padding=1, weight=w, bias=False)(x), want.numpy(), np.float32)
    got_hwc = nn.conv2d(x.transpose(1, 2, 0), w, padding=1, layout="NHWC")
    assert_close(got_hwc.transpose(2, 0, 1), want.numpy(), np.float32)


def test_empty_batch_as_torch():
    x, W = np.zeros((0, 4, 6, 6), np.float32), np.zeros((2, 4, 3, 3), np.float32)
    assert nn.conv2d(x, W, padding=1).shape == (0, 2, 6, 6)
    assert nn.Conv2d(4, 2, 3, stride=2)(x).shape == (0, 2, 2, 2)
    assert nn.conv2d(x.transpose(0, 2, 3, 1), W, layout="NHWC").shape == (0, 4, 4, 2)
    with pytest.raises(ValueError, match="larger than the padded input"):
        nn.conv2d(x[..., :2], W)
    with pytest.raises(TypeError):
        nn.conv2d(x.astype(np.int32), W)


# ---- views and layouts ----------------------------------------------------------------------------

def test_non_contiguous_views_give_the_contiguous_result():
    rng = np.random.default_rng(9)
    base = rng.uniform(-1, 1, (3, 8, 14, 15)).astype(np.float32)
    w = rng.uniform(-1, 1, (6, 4, 3, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, 6).astype(np.float32)
    views = {"channel step": base[:, ::2], "reversed rows": base[:, 1:5, ::-1],
             "reversed both": base[:, 4:, ::-1, ::-1], "column step": base[:2, :4, 1:, ::2],
             "batch step": base[::2, 2:6], "negative batch": base[::-1, :4, 3:11, 2:9]}
    layer = nn.Conv2d(4, 6, 3, padding=1, groups=2, padding_mode="reflect", weight=w[:, :2],
                      bias=b)
    for name, v in views.items():
        assert not v.flags.c_contiguous
        c = np.ascontiguousarray(v)
        np.testing.assert_allclose(nn.conv2d(v, w[:, :2], b, padding=1, groups=2),
                                   nn.conv2d(c, w[:, :2], b, padding=1, groups=2),
                                   rtol=1e-6, atol=1e-6, err_msg=name)
        np.testing.assert_allclose(layer(v), layer(c), rtol=1e-6, atol=1e-6, err_msg=name)
    # strided weights and bias too
    wv, bv = w[::-1, :, ::-1][:, :4], b[::-1]
    np.testing.assert_allclose(nn.conv2d(base[:, :4], wv, bv),
                               nn.conv2d(base[:, :4], np.ascontiguousarray(wv),
                                         np.ascontiguousarray(bv)), rtol=1e-6, atol=1e-6)


@needs_torch
def test_nhwc_views_and_contiguous_nhwc():
    rng = np.random.default_rng(12)
    x = rng.uniform(-1, 1, (2, 19, 10, 12)).astype(np.float32)
    w = rng.uniform(-1, 1, (19, 1, 3, 3)).astype(np.float32)  # depthwise
    want = reference(x, w, stride=2, padding="same", groups=19, activation="relu6")
    layer = nn.Conv2d(19, 19, 3, stride=2, padding="same", groups=19, activation="relu6",
                      weight=w, bias=False, layout="NHWC")
    for xs in (x.transpose(0, 2, 3, 1), np.ascontiguousarray(x.transpose(0, 2, 3, 1))):
        got = layer(xs)
        assert got.shape == (2, 5, 6, 19) and got.flags.c_contiguous
        assert_close(got.transpose(0, 3, 1, 2), want, np.float32)
        assert layer.output_shape(xs.shape) == (2, 5, 6, 19)


def test_results_own_their_memory():
    x = np.ones((1, 2, 5, 5), np.float32)
    y = nn.conv2d(x, np.ones((3, 2, 3, 3), np.float32))
    assert isinstance(y, np.ndarray) and y.flags.writeable and y.shape == (1, 3, 3, 3)
    del x
    y += 1
    np.testing.assert_array_equal(y, 19)


# ---- the layer --------------------------------------------------------------------------------

def test_default_init_is_torchs_distribution():
    layer = nn.Conv2d(32, 64, (3, 5), groups=4, rng=np.random.default_rng(0))
    fan_in = 32 // 4 * 3 * 5
    bound = 1 / np.sqrt(fan_in)
    w, b = layer.weight, layer.bias
    assert w.shape == (64, 8, 3, 5) and w.dtype == np.float32
    assert b.shape == (64,) and b.dtype == np.float32
    for a in (w, b):
        assert np.abs(a).max() <= bound
        assert np.abs(a).max() > 0.9 * bound
        assert abs(float(a.mean())) < 4 * bound / np.sqrt(3 * a.size)
    assert abs(float(w.std()) / (bound / np.sqrt(3)) - 1) < 0.03
    assert abs(float(np.mean(w > 0)) - 0.5) < 0.03
    # the same bounds as torch.nn.Conv2d's own reset_parameters
    if torch is not None:
        torch.manual_seed(0)
        ref = torch.nn.Conv2d(32, 64, (3, 5), groups=4)
        rw, rb = ref.weight.detach().numpy(), ref.bias.detach().numpy()
        assert np.abs(rw).max() <= bound and np.abs(rb).max() <= bound
        assert abs(float(rw.std()) / float(w.std()) - 1) < 0.05
    # reproducible with a seed, float64 on request, no bias with bias=False
    np.testing.assert_array_equal(nn.Conv2d(3, 4, 3, rng=1).weight, nn.Conv2d(3, 4, 3, rng=1).weight)
    d = nn.Conv2d(3, 4, 2, dtype="float64", bias=False)
    assert d.weight.dtype == np.float64 and d.bias is None and d.dtype == np.float64
    assert d(np.ones((1, 3, 4, 4))).dtype == np.float64
    assert nn.Conv2d(3, 4, 1, bias=True).bias.shape == (4,)


def test_layer_attributes():
    layer = nn.Conv2d(6, 12, 3, stride=(2, 1), padding=(1, 2, 0, 3), dilation=2, groups=3,
                      padding_mode="circular", activation=("leaky_relu", 0.3), layout="NHWC")
    assert (layer.in_channels, layer.out_channels, layer.kernel_size) == (6, 12, (3, 3))
    assert (layer.stride, layer.padding, layer.dilation) == ((2, 1), (1, 2, 0, 3), (2, 2))
    assert (layer.groups, layer.padding_mode, layer.layout) == (3, "circular", "NHWC")
    assert layer.activation == ("leaky_relu", 0.3)
    assert nn.Conv2d(1, 1, 1, padding=2).padding == (2, 2)
    assert nn.Conv2d(1, 1, 1, padding="same").padding == "same"
    assert "Conv2d(6, 12, kernel_size=(3, 3)" in repr(layer)
    with pytest.raises(ValueError):
        layer.weight[0, 0, 0, 0] = 1.0  # read-only: repack by assignment instead


@needs_torch
def test_layer_reuse_on_several_shapes():
    rng = np.random.default_rng(21)
    w = rng.uniform(-0.3, 0.3, (8, 5, 3, 3)).astype(np.float32)
    b = rng.uniform(-1, 1, 8).astype(np.float32)
    layer = nn.Conv2d(5, 8, 3, stride=2, padding=1, activation="silu", weight=w, bias=b)
    shapes = [(1, 5, 16, 16), (3, 5, 9, 20), (1, 5, 16, 16), (2, 5, 3, 3), (3, 5, 9, 20)]
    for i, shape in enumerate(shapes):
        x = rng.uniform(-1, 1, shape).astype(np.float32)
        assert_close(layer(x), reference(x, w, b, stride=2, padding=1, activation="silu"),
                     np.float32, shape)
        assert layer.cached_plans == len(set(shapes[:i + 1]))
    # new weights repack the layer
    layer.weight = w * 2
    x = rng.uniform(-1, 1, (1, 5, 6, 6)).astype(np.float32)
    assert_close(layer(x), reference(x, w * 2, b, stride=2, padding=1, activation="silu"),
                 np.float32)
    layer.bias = None
    assert_close(layer(x), reference(x, w * 2, None, stride=2, padding=1, activation="silu"),
                 np.float32)
    # pickling keeps parameters and options
    again = pickle.loads(pickle.dumps(layer))
    np.testing.assert_array_equal(again(x), layer(x))


def test_explain_names_the_algorithm():
    layer = nn.Conv2d(16, 32, 3, padding=1)
    x = np.zeros((2, 16, 12, 12), np.float32)
    text = layer.explain(x)
    algorithm = layer.plan_algorithm(x.shape)
    assert algorithm and f"plan: {algorithm}" in text and algorithm in accepting_algorithms(text)
    assert text == layer.explain((2, 16, 12, 12)) == layer.explain([2, 16, 12, 12])
    assert layer.explain((16, 12, 12)) == layer.explain((1, 16, 12, 12))
    forced = nn.Conv2d(16, 32, 3, padding=1, algorithm="reference")
    assert forced.plan_algorithm(x) == "reference"
    np.testing.assert_allclose(forced(x + 1), nn.conv2d(x + 1, forced.weight, forced.bias,
                                                        padding=1), rtol=1e-5, atol=1e-5)


def test_threads_share_a_layer():
    rng = np.random.default_rng(8)
    layer = nn.Conv2d(8, 8, 3, padding=1, rng=rng)
    xs = [rng.uniform(-1, 1, (1, 8, 24 + i, 24)).astype(np.float32) for i in range(4)]
    want = [layer(x) for x in xs]
    got = [None] * len(xs)

    def run(i):
        for _ in range(3):
            got[i] = layer(xs[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(xs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


# ---- errors --------------------------------------------------------------------------------------

X = np.zeros((1, 4, 6, 6), np.float32)
W = np.zeros((2, 4, 3, 3), np.float32)


@pytest.mark.parametrize("call, match", [
    (lambda: nn.conv2d(X, np.zeros((2, 2, 3, 3), np.float32), groups=3), "groups"),
    (lambda: nn.conv2d(X[:, :3], np.zeros((2, 1, 3, 3), np.float32), groups=2), "groups"),
    (lambda: nn.conv2d(X, np.zeros((2, 3, 3, 3), np.float32)), "weight"),
    (lambda: nn.Conv2d(5, 4, 3, groups=2), "groups"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), "groups"),
    (lambda: nn.Conv2d(4, 2, 3)(np.zeros((1, 3, 6, 6), np.float32)), "channels"),
    (lambda: nn.conv2d(X, np.zeros((2, 4, 7, 3), np.float32)), "larger than the padded input"),
    (lambda: nn.conv2d(X, W, dilation=3), "larger than the padded input"),
    (lambda: nn.Conv2d(4, 2, 5, dilation=2)(X), "larger than the padded input"),
    (lambda: nn.conv2d(X, W, stride=0), "stride"),
    (lambda: nn.conv2d(X, W, stride=(1, 0)), "stride"),
    (lambda: nn.Conv2d(4, 2, 3, stride=0), "stride"),
    (lambda: nn.conv2d(X, W, dilation=0), "dilation"),
    (lambda: nn.conv2d(X, W, padding="full"), "padding"),
    (lambda: nn.Conv2d(4, 2, 3, padding="half"), "padding"),
    (lambda: nn.conv2d(X, W, padding=-1), "padding"),
    (lambda: nn.conv2d(X, W, padding=(1, 2, 3)), "padding"),
    (lambda: nn.conv2d(X, W, padding=6, padding_mode="reflect"), "reflect"),
    (lambda: nn.conv2d(X, W, padding=7, padding_mode="circular"), "circular"),
    (lambda: nn.conv2d(X, W, padding_mode="mirror"), "padding_mode"),
    (lambda: nn.conv2d(X, W, layout="NHCW"), "layout"),
    (lambda: nn.conv2d(X, W, activation="softmax"), "activation"),
    (lambda: nn.conv2d(X, W, activation=("leaky_relu", 0.1, 2)), "activation"),
    (lambda: nn.conv2d(X, W, activation=("clamp", 1, -1)), "activation"),
    (lambda: nn.conv2d(X, W, algorithm="fft"), "fft"),
    (lambda: nn.conv2d(X, W, np.zeros(3, np.float32)), "bias"),
    (lambda: nn.conv2d(X[0, 0], W), "input"),
    (lambda: nn.conv2d(X, W[0]), "weight"),
    (lambda: nn.conv2d(np.zeros((1, 0, 6, 6), np.float32), W), "in_channels"),
    (lambda: nn.Conv2d(0, 2, 3), "in_channels"),
    (lambda: nn.Conv2d(4, 2, 0), "kernel"),
    (lambda: nn.Conv2d(4, 2, 3, weight=np.zeros((2, 4, 3, 2), np.float32)), "weight"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_parameters_are_value_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call, match", [
    (lambda: nn.conv2d(X.astype(np.int32), W.astype(np.int32)), "int32"),
    (lambda: nn.conv2d(X.astype(np.int64), W), "int64"),
    (lambda: nn.conv2d(X.astype(np.uint8), W), "uint8"),
    (lambda: nn.conv2d(X.astype(np.float16), W), "float16"),
    (lambda: nn.conv2d(X, W.astype(np.float64)), "float64"),
    (lambda: nn.conv2d(X, W, np.zeros(2, np.float64)), "bias"),
    (lambda: nn.Conv2d(4, 2, 3)(X.astype(np.int32)), "int32"),
    (lambda: nn.Conv2d(4, 2, 3)(X.astype(np.float64)), "float64"),
    (lambda: nn.Conv2d(4, 2, 3, weight=W.astype(np.int32)), "int32"),
    (lambda: nn.Conv2d(4, 2, 3, dtype="int16"), "int16"),
    (lambda: nn.Conv2d(4, 2, 3, weight=W, bias=np.zeros(2, np.float64)), "bias"),
    (lambda: nn.conv2d(X, W, stride=1.5), "stride"),
    (lambda: nn.conv2d(X, W, padding=1.0), "padding"),
    (lambda: nn.conv2d(X, W, groups="2"), "groups"),
    (lambda: nn.conv2d(X, W, padding_mode=None), "padding_mode"),
    (lambda: nn.conv2d(X, W, activation=3), "activation"),
    (lambda: nn.conv2d(X, None), "weight"),
    (lambda: nn.Conv2d(4.0, 2, 3), "in_channels"),
    (lambda: nn.Conv2d(4, 2, 3).explain("abc"), "input_shape"),
], ids=lambda v: v if isinstance(v, str) else "")
def test_bad_types_are_type_errors(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_core_errors_are_the_cpp_messages():
    with pytest.raises(ValueError, match=r"^stride: must be >= 1, got \(0, 1\)$"):
        convkit._core.nn_conv2d(X, W, stride=(0, 1))
    with pytest.raises(ValueError, match=r"^groups: 3 does not divide the input channels \(4\)$"):
        convkit._core.nn_conv2d(X, np.zeros((3, 1, 3, 3), np.float32), groups=3)


def test_docstring_examples():
    result = doctest.testmod(nn, extraglobs={"np": np}, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 5


@pytest.mark.parametrize("layout", ["NCHW", "NHWC"])
@pytest.mark.parametrize("kernel,groups", [(1, 1), (3, 1), (3, 8), (3, 16)])
def test_residual_is_added_before_the_activation(layout, kernel, groups):
    rng = np.random.default_rng(kernel * 10 + groups)
    x = rng.standard_normal((2, 16, 9, 11)).astype(np.float32)
    w = rng.standard_normal((16, 16 // groups, kernel, kernel)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    plain = nn.conv2d(x, w, b, padding=kernel // 2, groups=groups)
    res = rng.standard_normal(plain.shape).astype(np.float32)
    want = np.maximum(plain + res, 0)
    to = (lambda a: a.transpose(0, 2, 3, 1)) if layout == "NHWC" else (lambda a: a)
    got = nn.conv2d(to(x), w, b, padding=kernel // 2, groups=groups, activation="relu",
                    layout=layout, residual=to(res))
    np.testing.assert_allclose(got, to(want), rtol=0, atol=1e-5)
    layer = nn.Conv2d(16, 16, kernel, padding=kernel // 2, groups=groups, activation="relu",
                      weight=w, bias=b, layout=layout)
    np.testing.assert_allclose(layer(to(x), residual=to(res)), to(want), rtol=0, atol=1e-5)
    with pytest.raises(ValueError, match="residual"):
        layer(to(x), residual=np.zeros((1, 1, 1, 1), np.float32))


@needs_torch
@pytest.mark.parametrize("algorithm,tolerance", [("winograd", None),
                                                 ("winograd-4x4", WINOGRAD_4X4_TOLERANCE),
                                                 ("direct-blocked", None)])
@pytest.mark.parametrize("c,k,size,batch", [(3, 8, 9, 1), (17, 70, 23, 2), (64, 64, 30, 1)])
def test_winograd_matches_torch_within_its_bound(algorithm, tolerance, c, k, size, batch):
    """3x3 stride-1 layers (odd sizes, ragged tiles, channels off the SIMD width) against
    PyTorch: F(2x2) within the direct path's 1e-5, F(4x4) within its documented 2e-4."""
    rng = np.random.default_rng(c * 100 + k)
    x = rng.standard_normal((batch, c, size, size + 3)).astype(np.float32)
    w = (rng.standard_normal((k, c, 3, 3)) / np.sqrt(9 * c)).astype(np.float32)
    b = rng.standard_normal(k).astype(np.float32)
    want = torch.nn.functional.conv2d(torch.from_numpy(x.astype(np.float64)),
                                      torch.from_numpy(w.astype(np.float64)),
                                      torch.from_numpy(b.astype(np.float64)), padding=1).numpy()
    got = nn.conv2d(x, w, b, padding=1, activation=None, algorithm=algorithm)
    assert_close(got, want, np.float32, algorithm, tolerance)
