"""Bad input from Python: every public function of every convkit module, fed wrong types, shapes,
dtypes, values and outputs, raises TypeError or ValueError (or, where convkit is a drop-in for a
peer that raises another type for that input, the peer's type), with a message naming the
parameter where it reasonably can -- never a crash, never an exception leaking from internals
(RuntimeError, std::bad_cast, SystemError, IndexError, KeyError, AttributeError...).

How the cases are made: ``ROWS`` holds one row per public callable -- its valid arguments and,
per parameter, what kind of parameter it is (an array, an output, an int, a mode string...).
Each kind has a list of bad values (``KINDS``); a case replaces ONE argument of the valid call by
one bad value. A new public function is covered by adding one row; ``test_every_public_name_has_a
_row`` fails until it is there.

What a case expects: by default it raises TypeError or ValueError. Per row, patterns over
``param:label`` say where the input is in fact fine (``ok``: it is accepted, as the peer accepts
it), where the peer's exception type is kept (``peer``), where the message must name something
(``match``), and which cases are known bugs of code this file's authors may not touch
(``xfail``, strict, with what happens today).

Safety: cases that could crash the interpreter or allocate a lot (native ``_core`` calls, 5-D,
object/str/datetime arrays, huge sizes) run in one child interpreter (restarted after a crash,
under a 3 GiB address-space limit, with a per-case timeout); the rest run in-process. The whole
file takes a few seconds.
"""
import fnmatch
import json
import math
import os
import pathlib
import select
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest

import convkit
from convkit import _core, cv, ndimage as ndi, nn, signal

try:
    from convkit import dask as ckd
except ImportError:  # dask is optional
    ckd = None

TV = ("TypeError", "ValueError")
OK = "ok"


# ------------------------------------------------------------------------------------------------
# Bad values, by kind of parameter
# ------------------------------------------------------------------------------------------------

class Mut:
    """One bad value: `make(valid_value)` builds it (fresh for every call)."""

    def __init__(self, label, make, risky=False):
        self.label, self.make, self.risky = label, make, risky


def _const(v):
    return lambda _v: v


def _readonly(a):
    a = np.array(a)
    a.flags.writeable = False
    return a


def _t(v):
    """The valid value as an array template (never None)."""
    return np.asarray(v) if v is not None else np.zeros((5, 6))


# wrong Python types: any parameter
TYPES = [Mut("None", _const(None)), Mut("str", _const("abc")), Mut("strlist", _const(["a", "b"])),
         Mut("object", lambda v: object()), Mut("dict", lambda v: {}),
         Mut("complex", _const(1 + 2j))]


def _types(*skip):
    return [m for m in TYPES if m.label not in skip]


ARRAY = _types() + [
    Mut("0d", lambda v: np.array(_t(v).flat[0])),
    Mut("1d", lambda v: _t(v).reshape(-1)[:5].copy()),
    Mut("5d", lambda v: np.zeros((2, 1, 1, 3, 3), _t(v).dtype), risky=True),
    Mut("empty", lambda v: np.zeros((0,) + _t(v).shape[1:], _t(v).dtype)),
    Mut("bool", lambda v: _t(v).astype(bool)),
    Mut("float16", lambda v: _t(v).astype(np.float16)),
    Mut("int64", lambda v: _t(v).astype(np.int64)),
    Mut("object", lambda v: _t(v).astype(object), risky=True),
    Mut("strarray", lambda v: _t(v).astype(str), risky=True),
    Mut("complex128", lambda v: _t(v).astype(np.complex128)),
    Mut("datetime64", lambda v: np.zeros(_t(v).shape, "M8[s]"), risky=True),
]
# an output: out= / dst= / output= (the template is the valid output)
OUT = _types("None") + [
    Mut("readonly", lambda v: _readonly(np.zeros_like(v))),
    Mut("shape", lambda v: np.zeros(tuple(n + 1 for n in v.shape), v.dtype)),
    Mut("dtype", lambda v: np.zeros(v.shape, np.complex64 if v.dtype.kind != "c" else np.int8)),
    Mut("float16", lambda v: np.zeros(v.shape, np.float16)),
    Mut("5d", lambda v: np.zeros((2, 1, 1, 3, 3), v.dtype), risky=True),
    Mut("list", lambda v: np.zeros_like(v).tolist()),
]
INT = _types() + [
    Mut("float", _const(1.5)), Mut("bool", _const(True)), Mut("nan", _const(math.nan)),
    Mut("neg", _const(-1)), Mut("zero", _const(0)), Mut("seq3", _const([1, 1, 1])),
    Mut("huge", _const(10 ** 9), risky=True), Mut("overflow", _const(10 ** 30), risky=True),
]
FLOAT = _types() + [
    Mut("nan", _const(math.nan)), Mut("inf", _const(math.inf)), Mut("neg", _const(-1.0)),
    Mut("bool", _const(True)), Mut("seq3", _const([1.0, 1.0, 1.0])),
    Mut("huge", _const(1e9), risky=True),
]
SCALAR = _types("complex") + [Mut("nan", _const(math.nan)), Mut("seq3", _const([1.0, 1.0, 1.0]))]
CHOICE = _types("str") + [Mut("unknown", _const("bogus")), Mut("int", _const(1)),
                          Mut("bytes", _const(b"reflect"))]
AXIS = _types() + [Mut("float", _const(1.0)), Mut("bool", _const(True)), Mut("big", _const(5)),
                   Mut("neg", _const(-5)), Mut("overflow", _const(10 ** 30), risky=True)]
AXES = _types("None") + [Mut("float", _const(1.0)), Mut("big", _const(5)),
                         Mut("neg", _const(-5)), Mut("dup", _const((0, 0))),
                         Mut("seq3", _const((0, 1, 2)))]
PAIR = _types() + [
    Mut("int", _const(3)), Mut("len1", _const((3,))), Mut("len3", _const((3, 3, 3))),
    Mut("float", _const((3.5, 3))), Mut("strs", _const(("a", "b"))), Mut("bool", _const((True, 3))),
    Mut("neg", _const((-3, -3))), Mut("zero", _const((0, 0))), Mut("even", _const((4, 4))),
    Mut("huge", _const((10 ** 9, 3)), risky=True),
    Mut("overflow", _const((10 ** 30, 3)), risky=True),
]
ANCHOR = _types() + [Mut("int", _const(1)), Mut("len3", _const((1, 1, 1))),
                     Mut("float", _const((1.5, 1))), Mut("outside", _const((9, 9))),
                     Mut("neg", _const((-2, -2))), Mut("overflow", _const((10 ** 30, 0)),
                                                       risky=True)]
SHAPE = _types() + [
    Mut("ndarray", _const(np.array([5, 6]))), Mut("neg", _const((-5, 6))),
    Mut("zero", _const((0, 6))), Mut("1d", _const((5,))), Mut("5d", _const((1, 1, 1, 5, 6))),
    Mut("float", _const((5.0, 6.0))), Mut("huge", _const((10 ** 9, 10 ** 9)), risky=True),
    Mut("overflow", _const((10 ** 30, 6)), risky=True),
]
DTYPE = _types("str", "None") + [
    Mut("unknown", _const("bogus")), Mut("bool", _const(np.bool_)), Mut("float16", _const("float16")),
    Mut("object", _const(object)), Mut("complex", _const(np.complex128)),
    Mut("datetime64", _const("M8[s]")), Mut("int", _const(5)),
]
CALLABLE = [Mut("None", _const(None)), Mut("str", _const("abc")), Mut("int", _const(1)),
            Mut("object", lambda v: object())]
SEQ = [Mut("int", _const(5)), Mut("object", lambda v: object()), Mut("None", _const(None))]
MAPPING = [Mut("str", _const("abc")), Mut("list", _const([1, 2])), Mut("int", _const(5))]
ACTIVATION = _types("None", "str") + [
    Mut("unknown", _const("bogus")), Mut("int", _const(1)),
    Mut("badparam", _const(("leaky_relu", "x"))), Mut("nparams", _const(("clamp", 1.0))),
    Mut("lohi", _const(("clamp", 2.0, 1.0))), Mut("extra", _const(("relu", 1.0))),
    Mut("empty", _const(())),
]
PADDING = _types("str") + [
    Mut("unknown", _const("bogus")), Mut("neg", _const(-1)), Mut("float", _const(1.5)),
    Mut("bool", _const(True)), Mut("len3", _const((1, 1, 1))), Mut("strs", _const(("a", "b"))),
    Mut("huge", _const(10 ** 9), risky=True), Mut("overflow", _const(10 ** 30), risky=True),
]
KINDS = dict(array=ARRAY, out=OUT, int=INT, float=FLOAT, scalar=SCALAR, choice=CHOICE, axis=AXIS,
             axes=AXES, pair=PAIR, anchor=ANCHOR, shape=SHAPE, dtype=DTYPE, callable=CALLABLE,
             seq=SEQ, mapping=MAPPING, activation=ACTIVATION, padding=PADDING)


# ------------------------------------------------------------------------------------------------
# The rows: one per public callable
# ------------------------------------------------------------------------------------------------

class Row:
    """`fn(**valid)` works; `params` = {name: kind} (kind: a KINDS key, or (key, template) for an
    output or an optional array whose valid value is None). Pattern dicts over 'param:label'
    (fnmatch): ok (accepted: no error expected), peer (extra exception type names allowed),
    match (a substring the message must contain), xfail (reason)."""

    def __init__(self, name, fn, valid, params, *, ok=(), peer=None, match=None, xfail=None,
                 isolated=False, extra_kwarg=True):
        self.name, self.fn, self.valid, self.params = name, fn, valid, params
        self.ok, self.peer, self.match = ok, peer or {}, match or {}
        self.xfail, self.isolated, self.extra_kwarg = xfail or {}, isolated, extra_kwarg


def _hits(key, patterns):
    return [p for p in patterns if fnmatch.fnmatchcase(key, p)]


def _arr(shape, dtype=np.float64):
    return (np.arange(int(np.prod(shape))) % 7).astype(dtype).reshape(shape)


IMG = _arr((5, 6))                   # ndimage, signal, dask
F32 = _arr((5, 6), np.float32)       # convkit, _core
U8 = _arr((5, 6), np.uint8)          # cv
K3 = np.full((3, 3), 1 / 9)
K3F = K3.astype(np.float32)
W3 = np.array([1.0, 2.0, 1.0])
X4 = _arr((1, 2, 5, 5), np.float32)  # nn: N x C x H x W
W4 = _arr((4, 2, 3, 3), np.float32)  # nn: K x C x R x S
B4 = np.ones(4, np.float32)
Y4 = np.zeros((1, 4, 3, 3), np.float32)  # nn output for X4, W4

# ---- convkit --------------------------------------------------------------------------------
_PLAN = convkit.plan(K3F, (5, 6))


def _set_num_threads(n):  # restores the thread count: these rows run in the child anyway
    before = convkit.get_num_threads()
    try:
        return convkit.set_num_threads(n)
    finally:
        convkit.set_num_threads(before)


def _set_plan_cache_capacity(capacity):
    before = convkit.plan_cache_info()["capacity"]
    try:
        return convkit.set_plan_cache_capacity(capacity)
    finally:
        convkit.set_plan_cache_capacity(before)


_CONV2D = dict(image="array", kernel="array", border="choice", mode="choice", value="float",
               out_dtype="dtype", layout="choice", algorithm="choice", out=("out", F32))
_PLANP = dict(kernel="array", shape="shape", dtype="dtype", border="choice", mode="choice",
              value="float", out_dtype="dtype", layout="choice", algorithm="choice")

ROWS = [
    Row("convkit.conv2d", convkit.conv2d, dict(image=F32, kernel=K3F), _CONV2D),
    Row("convkit.plan", convkit.plan, dict(kernel=K3F, shape=(5, 6)), _PLANP),
    Row("convkit.Plan", convkit.Plan, dict(core_plan=_PLAN._plan),
        dict(core_plan="array")),
    Row("convkit.Plan.__call__", lambda image, out=None: _PLAN(image, out=out), dict(image=F32),
        dict(image="array", out=("out", F32))),
    Row("convkit.set_num_threads", _set_num_threads, dict(n=1), dict(n="int"), isolated=True),
    Row("convkit.get_num_threads", convkit.get_num_threads, {}, {}),
    Row("convkit.active_isa", convkit.active_isa, {}, {}),
    Row("convkit.plan_cache_info", convkit.plan_cache_info, {}, {}),
    Row("convkit.clear_plan_cache", convkit.clear_plan_cache, {}, {}),
    Row("convkit.set_plan_cache_capacity", _set_plan_cache_capacity, dict(capacity=16),
        dict(capacity="int"), isolated=True),
]

# ---- convkit.signal (scipy.signal) -------------------------------------------------------------
_S2 = dict(in1="array", in2="array", mode="choice", boundary="choice", fillvalue="scalar")
_SN = dict(in1="array", in2="array", mode="choice", method="choice")
_SF = dict(in1="array", in2="array", mode="choice", axes="axes")
ROWS += [
    Row("signal.convolve2d", signal.convolve2d, dict(in1=IMG, in2=K3), _S2),
    Row("signal.correlate2d", signal.correlate2d, dict(in1=IMG, in2=K3), _S2),
    Row("signal.convolve", signal.convolve, dict(in1=IMG, in2=K3), _SN),
    Row("signal.correlate", signal.correlate, dict(in1=IMG, in2=K3), _SN),
    Row("signal.fftconvolve", signal.fftconvolve, dict(in1=IMG, in2=K3), _SF),
    Row("signal.oaconvolve", signal.oaconvolve, dict(in1=IMG, in2=K3), _SF),
    Row("signal.choose_conv_method", signal.choose_conv_method, dict(in1=IMG, in2=K3),
        dict(in1="array", in2="array", mode="choice")),
    Row("signal.sepfir2d", signal.sepfir2d, dict(input=IMG, hrow=W3, hcol=W3),
        dict(input="array", hrow="array", hcol="array")),
]

# ---- convkit.ndimage (scipy.ndimage) and convkit.dask -----------------------------------------
_D2 = lambda input, axis, output, mode, cval: ndi.correlate1d(input, [1, -2, 1], axis, output,  # noqa: E731
                                                                mode, cval)
_D1 = lambda input, axis, output, mode, cval: ndi.correlate1d(input, [-1, 0, 1], axis, output,  # noqa: E731
                                                                mode, cval)


def _ndi_rows(mod, prefix, out_kind):
    o = ("out", IMG) if out_kind == "out" else (out_kind, IMG)
    common = dict(input="array", output=o, mode="choice", cval="scalar")
    rows = [
        Row(f"{prefix}.correlate1d", mod.correlate1d, dict(input=IMG, weights=W3),
            dict(common, weights="array", axis="axis", origin="int")),
        Row(f"{prefix}.convolve1d", mod.convolve1d, dict(input=IMG, weights=W3),
            dict(common, weights="array", axis="axis", origin="int")),
        Row(f"{prefix}.correlate", mod.correlate, dict(input=IMG, weights=K3),
            dict(common, weights="array", origin="int", axes="axes")),
        Row(f"{prefix}.convolve", mod.convolve, dict(input=IMG, weights=K3),
            dict(common, weights="array", origin="int", axes="axes")),
        Row(f"{prefix}.gaussian_filter1d", mod.gaussian_filter1d, dict(input=IMG, sigma=1.0),
            dict(common, sigma="float", axis="axis", order="int", truncate="float",
                 radius="int")),
        Row(f"{prefix}.gaussian_filter", mod.gaussian_filter, dict(input=IMG, sigma=1.0),
            dict(common, sigma="float", order="int", truncate="float", radius="int",
                 axes="axes")),
        Row(f"{prefix}.uniform_filter1d", mod.uniform_filter1d, dict(input=IMG, size=3),
            dict(common, size="int", axis="axis", origin="int")),
        Row(f"{prefix}.uniform_filter", mod.uniform_filter, dict(input=IMG),
            dict(common, size="int", origin="int", axes="axes")),
        Row(f"{prefix}.sobel", mod.sobel, dict(input=IMG), dict(common, axis="axis")),
        Row(f"{prefix}.prewitt", mod.prewitt, dict(input=IMG), dict(common, axis="axis")),
        Row(f"{prefix}.laplace", mod.laplace, dict(input=IMG), dict(common, axes="axes")),
        Row(f"{prefix}.gaussian_laplace", mod.gaussian_laplace, dict(input=IMG, sigma=1.0),
            dict(common, sigma="float", axes="axes")),
        Row(f"{prefix}.gaussian_gradient_magnitude", mod.gaussian_gradient_magnitude,
            dict(input=IMG, sigma=1.0), dict(common, sigma="float", axes="axes")),
    ]
    if mod is ndi:
        rows += [
            Row(f"{prefix}.generic_laplace", ndi.generic_laplace, dict(input=IMG, derivative2=_D2),
                dict(common, derivative2="callable", extra_arguments="seq",
                     extra_keywords="mapping", axes="axes")),
            Row(f"{prefix}.generic_gradient_magnitude", ndi.generic_gradient_magnitude,
                dict(input=IMG, derivative=_D1),
                dict(common, derivative="callable", extra_arguments="seq",
                     extra_keywords="mapping", axes="axes")),
        ]
    return rows


ROWS += _ndi_rows(ndi, "ndimage", "out")
if ckd is not None:
    ROWS += _ndi_rows(ckd, "dask", "out")

# ---- convkit.cv (cv2) --------------------------------------------------------------------------
_CVC = dict(src="array", dst=("out", U8), borderType="int")
ROWS += [
    Row("cv.filter2D", cv.filter2D, dict(src=U8, ddepth=-1, kernel=K3F),
        dict(_CVC, ddepth="int", kernel="array", anchor="anchor", delta="float")),
    Row("cv.sepFilter2D", cv.sepFilter2D, dict(src=U8, ddepth=-1, kernelX=W3, kernelY=W3),
        dict(_CVC, ddepth="int", kernelX="array", kernelY="array", anchor="anchor",
             delta="float")),
    Row("cv.GaussianBlur", cv.GaussianBlur, dict(src=U8, ksize=(3, 3), sigmaX=1.0),
        dict(_CVC, ksize="pair", sigmaX="float", sigmaY="float")),
    Row("cv.blur", cv.blur, dict(src=U8, ksize=(3, 3)),
        dict(_CVC, ksize="pair", anchor="anchor")),
    Row("cv.boxFilter", cv.boxFilter, dict(src=U8, ddepth=-1, ksize=(3, 3)),
        dict(_CVC, ddepth="int", ksize="pair", anchor="anchor")),
    Row("cv.Sobel", cv.Sobel, dict(src=U8, ddepth=-1, dx=1, dy=0),
        dict(_CVC, ddepth="int", dx="int", dy="int", ksize="int", scale="float", delta="float")),
    Row("cv.Scharr", cv.Scharr, dict(src=U8, ddepth=-1, dx=1, dy=0),
        dict(_CVC, ddepth="int", dx="int", dy="int", scale="float", delta="float")),
    Row("cv.Laplacian", cv.Laplacian, dict(src=U8, ddepth=-1),
        dict(_CVC, ddepth="int", ksize="int", scale="float", delta="float")),
    Row("cv.getGaussianKernel", cv.getGaussianKernel, dict(ksize=3, sigma=1.0),
        dict(ksize="int", sigma="float", ktype="int")),
    Row("cv.getDerivKernels", cv.getDerivKernels, dict(dx=1, dy=0, ksize=3),
        dict(dx="int", dy="int", ksize="int", ktype="int")),
]

# ---- convkit.nn (torch.nn.functional.conv2d / torch.nn.Conv2d) ---------------------------------
_LAYER = nn.Conv2d(2, 4, 3, rng=0)


def _set_weight(value):
    layer = nn.Conv2d(2, 4, 3, rng=0)
    layer.weight = value


def _set_bias(value):
    layer = nn.Conv2d(2, 4, 3, rng=0)
    layer.bias = value


_NNC = dict(stride="int", padding="padding", dilation="int", groups="int",
            padding_mode="choice", activation="activation", layout="choice", algorithm="choice")
ROWS += [
    Row("nn.conv2d", nn.conv2d, dict(input=X4, weight=W4),
        dict(_NNC, input="array", weight="array", bias=("array", B4),
             residual=("array", Y4))),
    Row("nn.Conv2d", nn.Conv2d, dict(in_channels=2, out_channels=4, kernel_size=3),
        dict(_NNC, in_channels="int", out_channels="int", kernel_size="int",
             weight=("array", W4), bias=("array", B4), dtype="dtype")),
    Row("nn.Conv2d.forward", _LAYER.forward, dict(input=X4),
        dict(input="array", residual=("array", Y4))),
    Row("nn.Conv2d.explain", _LAYER.explain, dict(input_shape_or_array=(1, 2, 5, 5)),
        dict(input_shape_or_array="shape")),
    Row("nn.Conv2d.plan_algorithm", _LAYER.plan_algorithm,
        dict(input_shape_or_array=(1, 2, 5, 5)), dict(input_shape_or_array="shape")),
    Row("nn.Conv2d.output_shape", _LAYER.output_shape, dict(input_shape_or_array=(1, 2, 5, 5)),
        dict(input_shape_or_array="shape")),
    Row("nn.Conv2d.weight=", _set_weight, dict(value=W4), dict(value="array")),
    Row("nn.Conv2d.bias=", _set_bias, dict(value=B4), dict(value="array")),
]

# ---- convkit._core (the native layer the modules call) ----------------------------------------
_CORE_PLAN = _core.Plan2d(K3F, (5, 6), "float32")
_CORE_LAYER = _core.NnConv2d(2, 4, (3, 3), W4)
_C_IMG = dict(src="array", border="choice", layout="choice", algorithm="choice")
_C_OUT = ("out", F32)
_ND_OUT = ("out", IMG)
ROWS += [Row(f"_core.{name}", getattr(_core, name), valid, params, isolated=True) for
         name, valid, params in [
    ("Plan2d", dict(kernel=K3F, shape=(5, 6), dtype="float32"),
     dict(kernel="array", shape="shape", dtype="dtype", pads="anchor", border="choice",
          border_value="scalar", out_dtype="dtype", layout="choice", rounding="choice",
          algorithm="choice")),
    ("NnConv2d", dict(in_channels=2, out_channels=4, kernel_size=(3, 3), weight=W4),
     dict(in_channels="int", out_channels="int", kernel_size="pair", weight="array",
          bias=("array", B4), stride="int", padding="padding", dilation="int", groups="int",
          padding_mode="choice", activation="choice", alpha="float", beta="float",
          layout="choice", algorithm="choice")),
    ("blur", dict(src=F32, ksize=(3, 3)), dict(_C_IMG, ksize="pair", anchor="anchor", out=_C_OUT)),
    ("box_filter", dict(src=F32, ddepth=None, ksize=(3, 3)),
     dict(_C_IMG, ddepth="dtype", ksize="pair", anchor="anchor", out=_C_OUT)),
    ("convolve", dict(a=W3, v=W3), dict(a="array", v="array", mode="choice")),
    ("correlate", dict(a=W3, v=W3), dict(a="array", v="array", mode="choice")),
    ("convolve2d", dict(in1=IMG, in2=K3),
     dict(in1="array", in2="array", mode="choice", boundary="choice", fillvalue="scalar",
          out=_ND_OUT, algorithm="choice")),
    ("correlate2d", dict(in1=IMG, in2=K3),
     dict(in1="array", in2="array", mode="choice", boundary="choice", fillvalue="scalar",
          out=_ND_OUT, algorithm="choice")),
    ("filter2d", dict(src=F32, kernel=K3F),
     dict(_C_IMG, kernel="array", ddepth="dtype", anchor="anchor", delta="float",
          border_value="float", rounding="choice", out=_C_OUT)),
    ("sep_filter2d", dict(src=F32, kernel_x=W3, kernel_y=W3),
     dict(_C_IMG, kernel_x="array", kernel_y="array", ddepth="dtype", anchor="anchor",
          delta="float", border_value="float", rounding="choice", out=_C_OUT)),
    ("gaussian_blur", dict(src=F32, ksize=(3, 3), sigma_x=1.0),
     dict(_C_IMG, ksize="pair", sigma_x="float", sigma_y="float", out=_C_OUT)),
    ("gaussian_kernel1d", dict(sigma=1.0), dict(sigma="float", order="int", radius="int",
                                                truncate="float")),
    ("get_deriv_kernels", dict(dx=1, dy=0, ksize=3),
     dict(dx="int", dy="int", ksize="int", dtype="dtype")),
    ("get_gaussian_kernel", dict(ksize=3, sigma=1.0), dict(ksize="int", sigma="float",
                                                           dtype="dtype")),
    ("gradient_magnitude", dict(src=F32), dict(_C_IMG, ksize="int")),
    ("laplacian", dict(src=F32, ddepth=None),
     dict(_C_IMG, ddepth="dtype", ksize="int", scale="float", delta="float", out=_C_OUT)),
    ("scharr", dict(src=F32, ddepth=None, dx=1, dy=0),
     dict(_C_IMG, ddepth="dtype", dx="int", dy="int", scale="float", delta="float",
          out=_C_OUT)),
    ("sobel", dict(src=F32, ddepth=None, dx=1, dy=0),
     dict(_C_IMG, ddepth="dtype", dx="int", dy="int", ksize="int", scale="float",
          delta="float", out=_C_OUT)),
    ("unsharp_mask", dict(src=F32, sigma=1.0, amount=1.0),
     dict(_C_IMG, sigma="float", amount="float", threshold="float")),
    ("nd_correlate", dict(input=IMG, weights=K3, output=np.zeros_like(IMG)),
     dict(input="array", weights="array", output=_ND_OUT, mode="choice", cval="float",
          origins="anchor")),
    ("nd_correlate1d", dict(input=IMG, weights=W3, axis=1, output=np.zeros_like(IMG)),
     dict(input="array", weights="array", axis="axis", output=_ND_OUT, mode="choice",
          cval="float", origin="int")),
    ("nd_gaussian_filter", dict(input=IMG, sigma=1.0),
     dict(input="array", sigma="float", order="int", mode="choice", cval="float",
          truncate="float", radius="int", output=_ND_OUT)),
    ("nd_gaussian_gradient_magnitude", dict(input=IMG, sigma=1.0),
     dict(input="array", sigma="float", mode="choice", cval="float", truncate="float",
          output=_ND_OUT)),
    ("nd_gaussian_laplace", dict(input=IMG, sigma=1.0),
     dict(input="array", sigma="float", mode="choice", cval="float", truncate="float",
          output=_ND_OUT)),
    ("nd_laplace", dict(input=IMG), dict(input="array", mode="choice", cval="float",
                                         output=_ND_OUT)),
    ("nd_prewitt", dict(input=IMG), dict(input="array", axis="axis", mode="choice",
                                         cval="float", output=_ND_OUT)),
    ("nd_sobel", dict(input=IMG), dict(input="array", axis="axis", mode="choice", cval="float",
                                       output=_ND_OUT)),
    ("nd_uniform_filter", dict(input=IMG, size=3),
     dict(input="array", size="int", mode="choice", cval="float", origin="int",
          output=_ND_OUT)),
    ("nn_conv2d", dict(input=X4, weight=W4),
     dict(input="array", weight="array", bias=("array", B4), stride="int", padding="padding",
          dilation="int", groups="int", padding_mode="choice", activation="choice",
          alpha="float", beta="float", layout="choice", algorithm="choice",
          residual=("array", Y4))),
    ("set_num_threads", dict(n=1), dict(n="int")),
    ("set_plan_cache_capacity", dict(capacity=16), dict(capacity="int")),
    ("get_num_threads", {}, {}), ("active_isa", {}, {}), ("plan_cache_info", {}, {}),
    ("clear_plan_cache", {}, {}), ("version", {}, {}),
]]
ROWS += [
    Row("_core.Plan2d.__call__", lambda image, out=None: _CORE_PLAN(image, out=out),
        dict(image=F32), dict(image="array", out=_C_OUT), isolated=True),
    Row("_core.NnConv2d.forward", _CORE_LAYER.forward, dict(input=X4),
        dict(input="array", residual=("array", Y4)), isolated=True),
    Row("_core.NnConv2d.explain", _CORE_LAYER.explain, dict(input_shape=(1, 2, 5, 5)),
        dict(input_shape="shape"), isolated=True),
    Row("_core.NnConv2d.algorithm", _CORE_LAYER.algorithm, dict(input_shape=(1, 2, 5, 5)),
        dict(input_shape="shape"), isolated=True),
    Row("_core.NnConv2d.output_shape", _CORE_LAYER.output_shape,
        dict(input_shape=(1, 2, 5, 5)), dict(input_shape="shape"), isolated=True),
]

# Names in __all__ that are constants, not callables (their values are checked elsewhere).
CONSTANTS = {
    "convkit": {"signal", "ndimage", "cv", "dask", "nn"},  # the submodules: rows of their own
    "cv": {n for n in cv.__all__ if n.isupper()},
    "nn": {"ACTIVATIONS", "PADDING_MODES", "LAYOUTS"},
}


# ------------------------------------------------------------------------------------------------
# The cases
# ------------------------------------------------------------------------------------------------

class Case:
    def __init__(self, row, param, mut):
        self.row, self.param, self.mut = row, param, mut
        self.key = f"{param}:{mut.label}" if mut else param
        self.id = f"{row.name}[{self.key}]"
        self.isolated = row.isolated or (mut is not None and mut.risky)

    def call(self):
        row, valid = self.row, dict(self.row.valid)
        if self.param == "valid":
            return row.fn(**valid)
        if self.param == "extra_kwarg":
            return row.fn(**valid, not_a_parameter=1)
        kind = row.params[self.param]
        template = kind[1] if isinstance(kind, tuple) else valid.get(self.param)
        valid[self.param] = self.mut.make(template)
        return row.fn(**valid)

    def expectation(self):
        """(OK,) or ('raises', allowed type names, message substring or None)."""
        if self.param == "valid" or _hits(self.key, self.row.ok):
            return (OK,)
        allowed = set(TV)
        for p in _hits(self.key, self.row.peer):
            extra = self.row.peer[p]
            allowed.update((extra,) if isinstance(extra, str) else extra)
        match = [self.row.match[p] for p in _hits(self.key, self.row.match)]
        return ("raises", allowed, match[0] if match else None)


def _cases():
    out = []
    for row in ROWS:
        out.append(Case(row, "valid", None))
        if row.extra_kwarg:
            out.append(Case(row, "extra_kwarg", None))
        for param, kind in row.params.items():
            for mut in KINDS[kind[0] if isinstance(kind, tuple) else kind]:
                out.append(Case(row, param, mut))
    return out


CASES = _cases()
BY_ID = {c.id: c for c in CASES}


def run_case(case):
    """Runs a case; returns what happened as a dict (outcome ok / raised, type, mro, message)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            case.call()
    except BaseException as e:  # noqa: BLE001 - everything is reported
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        mro = [t.__name__ for t in type(e).__mro__]
        return dict(outcome="raised", type=f"{type(e).__module__}.{type(e).__qualname__}",
                    mro=mro, message=str(e)[:500])
    return dict(outcome=OK)


# ---- the child interpreter for the risky cases ---------------------------------------------------

def _child_main():
    import resource
    limit = 3 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for line in sys.stdin:
        cid = json.loads(line)
        print("S", flush=True)
        print("R " + json.dumps(run_case(BY_ID[cid])), flush=True)


CASE_TIMEOUT = 20.0


def run_isolated(ids):
    """Runs the cases `ids` in a child interpreter, one after the other; a crash or a hang is the
    result of the case that was running, and a fresh child goes on with the rest."""
    results = {}
    todo = list(ids)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(pathlib.Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
        OMP_NUM_THREADS="2")
    while todo:
        child = subprocess.Popen(
            [sys.executable, "-c", "import test_bad_input as t; t._child_main()"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            bufsize=1)
        try:
            while todo:
                cid = todo[0]
                child.stdin.write(json.dumps(cid) + "\n")
                child.stdin.flush()
                line, deadline = "", time.monotonic() + CASE_TIMEOUT + 30  # + the imports once
                while not line.startswith("R "):
                    ready, _, _ = select.select([child.stdout], [], [],
                                                max(0.0, deadline - time.monotonic()))
                    if not ready:
                        raise TimeoutError
                    line = child.stdout.readline()
                    if not line:
                        raise EOFError
                    if line.startswith("S"):
                        deadline = time.monotonic() + CASE_TIMEOUT
                results[cid] = json.loads(line[2:])
                todo.pop(0)
        except (TimeoutError, EOFError, BrokenPipeError) as e:
            if isinstance(e, TimeoutError):
                child.kill()
                results[todo.pop(0)] = dict(outcome="hang", message=f"> {CASE_TIMEOUT} s")
            else:
                child.wait(timeout=30)
                err = child.stderr.read()[-2000:]
                results[todo.pop(0)] = dict(outcome="crash", returncode=child.returncode,
                                            message=err)
        finally:
            if child.poll() is None:
                child.stdin.close()
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
            child.stdout.close()
            child.stderr.close()
    return results


@pytest.fixture(scope="session")
def isolated_results(request):
    ids = [item.callspec.params["case"].id for item in request.session.items
           if getattr(item, "callspec", None) is not None
           and isinstance(item.callspec.params.get("case"), Case)
           and item.callspec.params["case"].isolated]
    return run_isolated(ids)


# ------------------------------------------------------------------------------------------------
# The tests
# ------------------------------------------------------------------------------------------------

def _param(case):
    reasons = [case.row.xfail[p] for p in _hits(case.key, case.row.xfail)]
    marks = [pytest.mark.xfail(strict=True, reason=reasons[0])] if reasons else []
    return pytest.param(case, id=case.id, marks=marks)


def check(case, result):
    want = case.expectation()
    what = f"{case.id}: {result}"
    if want[0] == OK:
        assert result["outcome"] == OK, what
        return
    assert result["outcome"] == "raised", what
    _, allowed, match = want
    assert allowed & set(result["mro"]), f"{what}: expected one of {sorted(allowed)}"
    if match is not None:
        text = match.format(param=case.param)
        assert text.lower() in result["message"].lower(), f"{what}: message lacks {text!r}"


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input(case, request):
    if case.row.name.startswith("dask.") and ckd is None:
        pytest.skip("dask is not installed")
    if case.isolated:
        result = request.getfixturevalue("isolated_results")[case.id]
    else:
        result = run_case(case)
    check(case, result)


@pytest.mark.parametrize("module", [convkit, signal, ndi, cv, nn] + ([ckd] if ckd else []),
                         ids=lambda m: m.__name__)
def test_every_public_name_has_a_row(module):
    prefix = "convkit" if module is convkit else module.__name__.rsplit(".", 1)[1]
    names = {r.name.split(".")[1] for r in ROWS if r.name.startswith(prefix + ".")}
    missing = set(module.__all__) - names - CONSTANTS.get(prefix, set())
    assert not missing, f"{module.__name__}: no row for {sorted(missing)}"


def test_every_core_function_has_a_row():
    names = {r.name.split(".")[1] for r in ROWS if r.name.startswith("_core.")}
    public = {n for n in dir(_core) if not n.startswith("_")}
    assert public - names == set(), sorted(public - names)
