"""Bad input from Python: every public function of every convkit module (convkit, signal,
ndimage, cv, nn, dask) and of the native layer they call (convkit._core), fed wrong types,
shapes, dtypes, values and outputs, raises TypeError or ValueError -- or, where convkit is a
drop-in for a peer (scipy.signal, scipy.ndimage, cv2) and the peer raises another type for that
very input, the peer's type -- with a message naming the parameter where it reasonably can;
never a crash, never an exception leaking from internals (RuntimeError: std::bad_cast,
SystemError, IndexError, KeyError, AttributeError...).

How the cases are made: ``ROWS`` holds one row per public callable: its valid arguments and,
per parameter, what kind of parameter it is (an array, an output, an int, a mode string...).
Each kind has a list of bad values (``KINDS``); a case replaces ONE argument of the valid call
by one bad value (plus the valid call itself and an unknown keyword). A new public function is
covered by adding one row: ``test_every_public_name_has_a_row`` and
``test_every_core_function_has_a_row`` fail until it is there.

What a case expects: by default TypeError or ValueError. For drop-ins the peer is called with
the same arguments whenever convkit accepts the input (then the peer must accept it too) or
raises another type (then the peer must raise that very type). Per row, patterns over
``param:label`` say where the input is in fact fine (``ok``), where either outcome is fine
(``either``), what the message must contain (``match``) and which cases are known bugs
(``xfail``, strict, saying what happens today; none at present).

Safety: the cases that could crash the interpreter or allocate a lot (every native ``_core``
call, 5-D, object/str/datetime arrays, huge sizes) run in one child interpreter, restarted after
a crash, under a 3 GiB address-space limit and a per-case timeout; the others run in-process.
The file takes about 10 s.
"""
import fnmatch
import json
import math
import os
import pathlib
import select
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pytest

import convkit
from convkit import _core, _im2col, cv, ndimage as ndi, nn, signal
from convkit.nn import grad as nn_grad

try:
    from convkit import dask as ckd
except ImportError:  # dask is optional
    ckd = None
try:  # the peers (test dependencies)
    import cv2
    import scipy.ndimage as sndi
    import scipy.signal as ssig
except ImportError:
    cv2 = sndi = ssig = None

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
    Mut("boolarray", lambda v: _t(v).astype(bool)),
    Mut("float16", lambda v: _t(v).astype(np.float16)),
    Mut("int64", lambda v: _t(v).astype(np.int64)),
    Mut("objarray", lambda v: _t(v).astype(object), risky=True),
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
    Mut("huge", _const(1e9), risky=True), Mut("bigint", _const(10 ** 400)),
]
# a value (delta, scale, cval...): any real number is fine, NaN and infinities included
VALUE = _types() + [Mut("seq3", _const([1.0, 1.0, 1.0])), Mut("bigint", _const(10 ** 400))]
# a value that may be complex (a constant border of a complex convolution)
SCALAR = [m for m in VALUE if m.label != "complex"]
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
    Mut("overflow", _const((10 ** 30 + 1, 3)), risky=True),
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
    Mut("unknown", _const("bogus")), Mut("booldtype", _const(np.bool_)),
    Mut("float16", _const("float16")),
    Mut("object", _const(object)), Mut("complex128", _const(np.complex128)),
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
OBJECT = _types() + [Mut("ndarray", lambda v: np.zeros((5, 6), np.float32))]
KINDS = dict(object=OBJECT, array=ARRAY, out=OUT, int=INT, float=FLOAT, value=VALUE,
             scalar=SCALAR, choice=CHOICE, axis=AXIS, axes=AXES, pair=PAIR, anchor=ANCHOR,
             shape=SHAPE, dtype=DTYPE, callable=CALLABLE, seq=SEQ, mapping=MAPPING,
             activation=ACTIVATION, padding=PADDING)


# ------------------------------------------------------------------------------------------------
# The rows: one per public callable
# ------------------------------------------------------------------------------------------------

class Row:
    """`fn(**valid)` works; `params` = {name: kind} (kind: a KINDS key, or (key, template) for an
    output or an optional array whose valid value is None).

    peer: for a drop-in (signal, ndimage, dask, cv), the peer's function called with the same
        arguments: a bad value may then also be accepted where the peer accepts it, and raise
        another type than TypeError/ValueError where the peer raises that type for it.
    Patterns over 'param:label' (fnmatch): ok (accepted, no error expected), either (accepted,
    or refused with TypeError/ValueError), match ({pattern: a substring the message must
    contain, '{param}' = the parameter; the first matching pattern applies}), xfail ({pattern:
    reason}: known bugs in code this file's authors may not edit)."""

    def __init__(self, name, fn, valid, params, *, peer=None, ok=(), either=(), match=None,
                 xfail=None, isolated=False, extra_kwarg=True):
        self.name, self.fn, self.valid, self.params, self.peer = name, fn, valid, params, peer
        self.ok, self.either, self.match, self.xfail = ok, either, match or {}, xfail or {}
        self.isolated, self.extra_kwarg = isolated, extra_kwarg


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
WT4 = _arr((2, 3, 3, 3), np.float32)  # nn conv_transpose2d: C_in x C_out/groups x R x S
B3 = np.ones(3, np.float32)
YT4 = np.zeros((1, 3, 7, 7), np.float32)  # nn conv_transpose2d output for X4, WT4

# ---- convkit --------------------------------------------------------------------------------
_PLAN = convkit.plan(K3F, (5, 6))


def _restoring_threads(setter):
    """set_num_threads that puts the thread count back (the rows run in the child anyway)."""
    def set_num_threads(n):
        before = _core.get_num_threads()
        try:
            return setter(n)
        finally:
            _core.set_num_threads(before)
    return set_num_threads


def _restoring_capacity(setter):
    """set_plan_cache_capacity that puts the capacity back."""
    def set_plan_cache_capacity(capacity):
        before = _core.plan_cache_info()["capacity"]
        try:
            return setter(capacity)
        finally:
            _core.set_plan_cache_capacity(before)
    return set_plan_cache_capacity


_PLANP = dict(kernel="array", border="choice", mode="choice", value="scalar", out_dtype="dtype",
              layout="choice", algorithm="choice")
# complex images, kernels and outputs are convolved; the constant border value is any number
_PLAN_OK = ["image:complex128", "dtype:complex128", "value:complex", "out_dtype:complex128"]
# the messages name the parameter (nanobind's own TypeError shows the signature, names and all)
_NAMED = {"*": "{param}"}
# (the first matching pattern applies) a complex kernel with a real output: "f32 cannot hold a
# complex result"
_PLAN_MATCH = {"kernel:complex128": "complex", "*": "{param}"}

ROWS = [
    Row("convkit.conv2d", convkit.conv2d, dict(image=F32, kernel=K3F),
        dict(_PLANP, image="array", out=("out", F32)), match=_PLAN_MATCH,
        ok=_PLAN_OK + ["out:dtype"]),  # a complex64 out: a complex result, written there
    Row("convkit.plan", convkit.plan, dict(kernel=K3F, shape=(5, 6)),
        dict(_PLANP, shape="shape", dtype="dtype"), match=_PLAN_MATCH,
        # a shape may be any sequence of ints (an ndarray too); a plan allocates nothing
        ok=_PLAN_OK + ["shape:ndarray", "shape:huge"]),
    Row("convkit.Plan", convkit.Plan, dict(core_plan=_PLAN._plan), dict(core_plan="object"),
        match=_NAMED),
    Row("convkit.Plan.__call__", lambda image, out=None: _PLAN(image, out=out), dict(image=F32),
        dict(image="array", out=("out", F32)), match=_NAMED),
    # 0: the default thread count; any count is taken (the pool uses what the work needs)
    Row("convkit.set_num_threads", _restoring_threads(convkit.set_num_threads), dict(n=1),
        dict(n="int"), isolated=True,
        ok=["n:zero", "n:huge"], match=_NAMED),
    Row("convkit.get_num_threads", convkit.get_num_threads, {}, {}),
    Row("convkit.active_isa", convkit.active_isa, {}, {}),
    Row("convkit.plan_cache_info", convkit.plan_cache_info, {}, {}),
    Row("convkit.clear_plan_cache", convkit.clear_plan_cache, {}, {}),
    # 0 turns the cache off; a large capacity is a bound, not an allocation
    Row("convkit.set_plan_cache_capacity",
        _restoring_capacity(convkit.set_plan_cache_capacity), dict(capacity=16),
        dict(capacity="int"), isolated=True, ok=["capacity:zero", "capacity:huge"],
        match=_NAMED),
]

# convkit.steps: any real 2-D image and kernel (bool, float16, int64 are read as float64);
# a stride past the image is one output cell, even and (a window's worth of) large values fit
_STEPS_OK = ["image:boolarray", "image:float16", "image:int64", "kernel:boolarray",
             "kernel:float16", "kernel:int64"]
ROWS += [
    Row("convkit.steps", convkit.steps, dict(image=IMG, kernel=K3),
        dict(image="array", kernel="array", stride="pair", padding="padding", dilation="pair",
             bias="value", mode="choice", border="choice", value="value",
             output_padding="pair", cells="object"),
        match=_NAMED, ok=_STEPS_OK + ["stride:int", "stride:even", "stride:huge", "mode:None",
                                      "output_padding:zero", "cells:None"]),
]

# convkit.imread / imwrite (files in a scratch folder; the valid write makes the file read)
_IO_DIR = tempfile.mkdtemp(prefix="convkit-bad-input-")
_IO_TIF = os.path.join(_IO_DIR, "valid.tif")
convkit.imwrite(_IO_TIF, np.zeros((4, 5), np.uint8))
ROWS += [
    # auto_orient / mmap: True or False (NumPy booleans too); mmap=True on a .tif is a
    # ValueError of its own (tests/python/test_orientation.py)
    Row("convkit.imread", convkit.imread, dict(path=_IO_TIF),
        dict(path="choice", auto_orient="object", mmap="object"),
        match={"path:unknown": "unknown file type", "*": "{param}"}),
    Row("convkit.imwrite", convkit.imwrite, dict(path=_IO_TIF, array=F32),
        dict(path="choice", array="array", quality="int", compression="choice",
             predictor="int"),
        # quality 0 is the lowest, not a mistake; None is each option's default
        match=_NAMED, ok=["quality:zero", "quality:None", "compression:None", "predictor:None"]),
]

# skimage.transform.integral_image / integrate: any numeric N-D array, as scikit-image takes it
# (complex ones too); integrate's windows are points of ii.ndim ints
_II_OK = ["image:complex", "image:0d", "image:1d", "image:5d", "image:empty", "image:boolarray",
          "image:float16", "image:int64", "image:complex128"]
ROWS += [
    Row("convkit.integral_image", convkit.integral_image, dict(image=IMG),
        dict(image="array", dtype="dtype"), match=_NAMED,
        ok=_II_OK + ["dtype:booldtype", "dtype:float16", "dtype:complex128"]),
    Row("convkit.integrate", convkit.integrate, dict(ii=IMG, start=(0, 0), end=(1, 1)),
        dict(ii="array", start="anchor", end="anchor"), match=_NAMED,
        ok=["ii:boolarray", "ii:float16", "ii:int64", "ii:complex128", "end:neg"]),
]

# ---- convkit.signal (scipy.signal) -------------------------------------------------------------
_S2 = dict(in1="array", in2="array", mode="choice", boundary="choice", fillvalue="value")
_SN = dict(in1="array", in2="array", mode="choice", method="choice")
_SF = dict(in1="array", in2="array", mode="choice", axes="axes")


def _sepfir2d(input, hrow, hcol):
    """SciPy's sepfir2d (which takes no keywords). On an empty image it writes out of bounds
    (valgrind: _fir_mirror_symmetric), corrupting the heap of whoever calls it, and returns: it
    is not called then, and counts as accepting the input."""
    if np.asarray(input).size == 0:
        return None
    return ssig.sepfir2d(input, hrow, hcol)


def _signal(name, valid, params, **kw):
    return Row(f"signal.{name}", getattr(signal, name), valid, params,
               peer=getattr(ssig, name) if ssig else None, **kw)


ROWS += [
    _signal("convolve2d", dict(in1=IMG, in2=K3), _S2),
    _signal("correlate2d", dict(in1=IMG, in2=K3), _S2),
    _signal("convolve", dict(in1=IMG, in2=K3), _SN),
    _signal("correlate", dict(in1=IMG, in2=K3), _SN),
    _signal("fftconvolve", dict(in1=IMG, in2=K3), _SF),
    _signal("oaconvolve", dict(in1=IMG, in2=K3), _SF),
    _signal("choose_conv_method", dict(in1=IMG, in2=K3),
            dict(in1="array", in2="array", mode="choice")),
    Row("signal.sepfir2d", signal.sepfir2d, dict(input=IMG, hrow=W3, hcol=W3),
        dict(input="array", hrow="array", hcol="array"), peer=_sepfir2d if ssig else None),
]

# ---- convkit.ndimage (scipy.ndimage) and convkit.dask -----------------------------------------
def _D2(input, axis, output, mode, cval):  # generic_laplace's derivative2
    return ndi.correlate1d(input, [1, -2, 1], axis, output, mode, cval)


def _D1(input, axis, output, mode, cval):  # generic_gradient_magnitude's derivative
    return ndi.correlate1d(input, [-1, 0, 1], axis, output, mode, cval)


def _computed(f):
    """A convkit.dask function that also computes its result (on this thread)."""
    def run(**kwargs):
        return f(**kwargs).compute(scheduler="sync")
    return run


def _ndi_rows(mod, prefix):
    common = dict(input="array", output=("out", IMG), mode="choice", cval="value")
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
    for r in rows:
        name = r.name.split(".")[1]
        r.peer = getattr(sndi, name) if sndi else None
        if mod is not ndi:
            r.fn = _computed(r.fn)
            # output= takes a dtype only ({} is one: an empty record, refused as SciPy does)
            r.match = {"output:dict": "", "output:*": "output"}
    return rows


ROWS += _ndi_rows(ndi, "ndimage")
if ckd is not None:
    ROWS += _ndi_rows(ckd, "dask")

# ---- convkit.cv (cv2) --------------------------------------------------------------------------
_CVC = dict(src="array", dst=("out", U8), borderType="int")


def _cv(name, valid, params, **kw):
    return Row(f"cv.{name}", getattr(cv, name), valid, params,
               peer=getattr(cv2, name) if cv2 else None, match=_NAMED, **kw)


ROWS += [
    _cv("filter2D", dict(src=U8, ddepth=-1, kernel=K3F),
        dict(_CVC, ddepth="int", kernel="array", anchor="anchor", delta="value")),
    _cv("sepFilter2D", dict(src=U8, ddepth=-1, kernelX=W3, kernelY=W3),
        dict(_CVC, ddepth="int", kernelX="array", kernelY="array", anchor="anchor",
             delta="value")),
    _cv("GaussianBlur", dict(src=U8, ksize=(3, 3), sigmaX=1.0),
        dict(_CVC, ksize="pair", sigmaX="float", sigmaY="float")),
    _cv("blur", dict(src=U8, ksize=(3, 3)),
        dict(_CVC, ksize="pair", anchor="anchor")),
    _cv("boxFilter", dict(src=U8, ddepth=-1, ksize=(3, 3)),
        dict(_CVC, ddepth="int", ksize="pair", anchor="anchor")),
    _cv("Sobel", dict(src=U8, ddepth=-1, dx=1, dy=0),
        dict(_CVC, ddepth="int", dx="int", dy="int", ksize="int", scale="value", delta="value")),
    _cv("Scharr", dict(src=U8, ddepth=-1, dx=1, dy=0),
        dict(_CVC, ddepth="int", dx="int", dy="int", scale="value", delta="value")),
    _cv("Laplacian", dict(src=U8, ddepth=-1),
        dict(_CVC, ddepth="int", ksize="int", scale="value", delta="value")),
    _cv("getGaussianKernel", dict(ksize=3, sigma=1.0),
        dict(ksize="int", sigma="float", ktype="int")),
    _cv("getDerivKernels", dict(dx=1, dy=0, ksize=3),
        dict(dx="int", dy="int", ksize="int", ktype="int")),
]

# the integral images (in the child: cv2's tilted table of an image without columns writes out
# of bounds); an int sdepth <= 0 is the default, as in OpenCV; a 0-d image is 1x1 and an empty
# one a table of zeros, as cv2's
def _cv2_integral3(src, *args, **kwargs):
    # cv2.integral3 of an image with no rows or columns writes past its tilted table and
    # corrupts the heap (opencv-python-headless 5.0; the crash then hits a later case), so the
    # peer is not asked about empty images: convkit returns tables of zeros there.
    if isinstance(src, np.ndarray) and src.size == 0:
        return None
    return cv2.integral3(src, *args, **kwargs)


_I32 = np.zeros((6, 7), np.int32)
_F64T = np.zeros((6, 7))
_INTEGRAL_OK = ["src:0d", "src:1d", "src:empty", "sdepth:neg", "sdepth:zero", "sqdepth:neg",
                "sqdepth:zero"]
ROWS += [
    Row("cv.integral", cv.integral, dict(src=U8),
        dict(src="array", sum=("out", _I32), sdepth="int"),
        peer=cv2.integral if cv2 else None, match=_NAMED, ok=_INTEGRAL_OK, isolated=True),
    Row("cv.integral2", cv.integral2, dict(src=U8),
        dict(src="array", sum=("out", _I32), sqsum=("out", _F64T), sdepth="int",
             sqdepth="int"),
        peer=cv2.integral2 if cv2 else None, match=_NAMED, ok=_INTEGRAL_OK, isolated=True),
    Row("cv.integral3", cv.integral3, dict(src=U8),
        dict(src="array", sum=("out", _I32), sqsum=("out", _F64T), tilted=("out", _I32),
             sdepth="int", sqdepth="int"),
        peer=_cv2_integral3 if cv2 else None, match=_NAMED, ok=_INTEGRAL_OK, isolated=True),
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
# None: no bias / no residual; an empty batch is PyTorch's too; a stride larger than the input
# gives a 1x1 output, as in PyTorch
_NN_OK = ["bias:None", "bias:1d", "residual:None", "input:empty", "stride:huge"]
ROWS += [
    Row("nn.conv2d", nn.conv2d, dict(input=X4, weight=W4),
        dict(_NNC, input="array", weight="array", bias=("array", B4), residual=("array", Y4)),
        ok=_NN_OK, match={"padding:huge": "",  # NumPy: the output "array is too big"
                          "dilation:huge": "dilated kernel", "weight:empty": "out_channels",
                          "*": "{param}"}),
    # a layer is made for inputs of any size: its padding and dilation are checked per input
    Row("nn.Conv2d", nn.Conv2d, dict(in_channels=2, out_channels=4, kernel_size=3),
        dict(_NNC, in_channels="int", out_channels="int", kernel_size="int",
             weight=("array", W4), bias=("array", B4), dtype="dtype"),
        ok=_NN_OK + ["weight:None", "padding:huge", "dilation:huge"], match=_NAMED),
    Row("nn.Conv2d.forward", _LAYER.forward, dict(input=X4),
        dict(input="array", residual=("array", Y4)), ok=_NN_OK, match=_NAMED),
    Row("nn.Conv2d.explain", _LAYER.explain, dict(input_shape_or_array=(1, 2, 5, 5)),
        dict(input_shape_or_array="shape"), match={"*": "input_shape"}),
    Row("nn.Conv2d.plan_algorithm", _LAYER.plan_algorithm,
        dict(input_shape_or_array=(1, 2, 5, 5)), dict(input_shape_or_array="shape"),
        match={"*": "input_shape"}),
    Row("nn.Conv2d.output_shape", _LAYER.output_shape, dict(input_shape_or_array=(1, 2, 5, 5)),
        dict(input_shape_or_array="shape"), match={"*": "input_shape"}),
    Row("nn.Conv2d.weight=", _set_weight, dict(value=W4), dict(value="array"),
        match={"*": "weight"}),
    Row("nn.Conv2d.bias=", _set_bias, dict(value=B4), dict(value="array"),
        ok=["value:None", "value:1d"],
        match={"*": "bias"}),
]

# conv_transpose2d / ConvTranspose2d (torch.nn.functional.conv_transpose2d / nn.ConvTranspose2d,
# plus ONNX's auto_pad, pads and output_shape). output_padding 0 is the default; None: no bias,
# no ONNX option; an ndarray output_shape (5, 6) is a valid shape for X4; torch's message for
# too large an output_padding says "output padding"; a huge padding, stride or dilation makes an
# output too small or too large to allocate, named as such.
_TLAYER = nn.ConvTranspose2d(2, 3, 3, rng=0)
_NNT = dict(stride="int", padding="padding", output_padding="int", groups="int", dilation="int",
            layout="choice")
_NNT_MATCH = {"output_padding:huge": "output padding", "*:huge": "", "*": "{param}"}
ROWS += [
    Row("nn.conv_transpose2d", nn.conv_transpose2d, dict(input=X4, weight=WT4),
        dict(_NNT, input="array", weight="array", bias=("array", B3), activation="activation",
             auto_pad="choice", pads="shape", output_shape="shape", algorithm="choice"),
        ok=["bias:None", "bias:1d", "input:empty", "output_padding:zero", "auto_pad:None",
            "pads:None", "output_shape:None"],
        either=["output_shape:ndarray"], match=_NNT_MATCH),
    # a layer is made for inputs of any size: padding, stride and dilation are checked per input
    # (torch checks output_padding in forward too)
    Row("nn.ConvTranspose2d", nn.ConvTranspose2d,
        dict(in_channels=2, out_channels=3, kernel_size=3),
        dict(_NNT, in_channels="int", out_channels="int", kernel_size="int",
             bias=("array", B3), padding_mode="choice", weight=("array", WT4),
             activation="activation", dtype="dtype"),
        ok=["weight:None", "bias:None", "bias:1d", "output_padding:zero", "stride:huge",
            "padding:huge", "dilation:huge"],
        either=["output_padding:huge"], match=_NNT_MATCH),
    Row("nn.ConvTranspose2d.forward", _TLAYER.forward, dict(input=X4),
        dict(input="array", output_size="shape"),
        ok=["input:empty", "output_size:None"], match={"output_size:*": "output", "*": "{param}"}),
]

# convkit.nn.grad (torch.nn.grad's signatures plus padding_mode and layout): input_size /
# weight_size are shapes; an empty grad_output sums to zeros (torch's too); a huge stride,
# padding or dilation gives another output shape than grad_output's. They run in the child
# (isolated): the native code gets their parameters as given.
_GRADP = dict(stride="int", padding="padding", dilation="int", groups="int",
              padding_mode="choice", layout="choice")
_GRADT = dict(stride="int", padding="padding", output_padding="int", groups="int",
              dilation="int", layout="choice")
_GRAD_MATCH = {"output_padding:huge": "output padding", "*:huge": "", "*": "{param}"}
ROWS += [
    Row("nn.grad.conv2d_input", nn_grad.conv2d_input,
        dict(input_size=(1, 2, 5, 5), weight=W4, grad_output=Y4),
        dict(_GRADP, input_size="shape", weight="array", grad_output="array"),
        match={"weight:empty": "out_channels", **_GRAD_MATCH}, isolated=True),
    Row("nn.grad.conv2d_weight", nn_grad.conv2d_weight,
        dict(input=X4, weight_size=(4, 2, 3, 3), grad_output=Y4),
        dict(_GRADP, input="array", weight_size="shape", grad_output="array"),
        match=_GRAD_MATCH, isolated=True),
    Row("nn.grad.conv2d_bias", nn_grad.conv2d_bias, dict(grad_output=Y4),
        dict(grad_output="array", layout="choice"), ok=["grad_output:empty"], match=_NAMED),
    Row("nn.grad.conv_transpose2d_input", nn_grad.conv_transpose2d_input,
        dict(input_size=(1, 2, 5, 5), weight=WT4, grad_output=YT4),
        dict(_GRADT, input_size="shape", weight="array", grad_output="array"),
        ok=["output_padding:zero"], match=_GRAD_MATCH, isolated=True),
    Row("nn.grad.conv_transpose2d_weight", nn_grad.conv_transpose2d_weight,
        dict(input=X4, weight_size=(2, 3, 3, 3), grad_output=YT4),
        dict(_GRADT, input="array", weight_size="shape", grad_output="array"),
        ok=["output_padding:zero"], match=_GRAD_MATCH, isolated=True),
    Row("nn.grad.conv_transpose2d_bias", nn_grad.conv_transpose2d_bias, dict(grad_output=YT4),
        dict(grad_output="array", layout="choice"), ok=["grad_output:empty"], match=_NAMED),
]

# torch.nn.functional.unfold / fold (float32/float64; float16, complex and bool too, as torch);
# an empty batch is torch's too; a stride past the input is one block
_COLS = np.zeros((1, 8, 16), np.float32)  # unfold(X4, 2)
_UNFOLD = dict(kernel_size="int", dilation="int", padding="padding", stride="int")
_UNFOLD_OK = ["input:empty", "input:float16", "input:complex128", "input:boolarray",
              "stride:huge"]
ROWS += [
    Row("nn.unfold", nn.unfold, dict(input=X4, kernel_size=2), dict(_UNFOLD, input="array"),
        ok=_UNFOLD_OK, match={"padding:huge": "too big", "*": "{param}"}),
    Row("nn.fold", nn.fold, dict(input=_COLS, output_size=(5, 5), kernel_size=2),
        dict(_UNFOLD, input="array", output_size="shape"),
        # a huge stride: one block, so L = 16 is refused
        ok=[o for o in _UNFOLD_OK if o != "stride:huge"], match={"*": "{param}"}),
]
# im2col / col2im (MATLAB's), for the re-exports in convkit.nn and convkit.linalg: any numeric
# dtype; an int block_size is square; blocks larger than the image give no columns, as MATLAB
_IM2COL_OK = ["*:boolarray", "*:float16", "*:int64", "*:complex128", "block_size:int"]
ROWS += [
    Row("nn.im2col", _im2col.im2col, dict(image=IMG, block_size=(2, 2)),
        dict(image="array", block_size="pair", mode="choice", order="choice"), match=_NAMED,
        ok=_IM2COL_OK + ["image:empty", "block_size:even", "block_size:huge"]),
    Row("nn.col2im", _im2col.col2im, dict(columns=np.zeros((1, 20)), block_size=(2, 2),
                                          image_size=(5, 6)),
        dict(columns="array", block_size="pair", image_size="shape", mode="choice",
             order="choice"), match=_NAMED, ok=_IM2COL_OK[:-1] + ["image_size:ndarray"]),
]

# ---- convkit._core (the native layer the modules call) ----------------------------------------
# The native functions take Python bools where they take numbers (nanobind's casters); the modules
# above refuse them where their peers do. Each row runs in the child interpreter.
_CORE_PLAN = _core.Plan2d(K3F, (5, 6), "float32")
_CORE_LAYER = _core.NnConv2d(2, 4, (3, 3), W4)
_C_IMG = dict(src="array", border="choice", layout="choice", algorithm="choice")
_C_OUT = ("out", F32)
_ND_OUT = ("out", IMG)

def _core_row(name, valid, params, ok=(), xfail=None, fn=None, match=None, either=()):
    return Row(f"_core.{name}", fn or getattr(_core, name), valid, params, isolated=True,
               ok=ok, either=["*:bool", *either], xfail=xfail, match=match)


ROWS += [
    _core_row("Plan2d", dict(kernel=K3F, shape=(5, 6), dtype="float32"),
              dict(kernel="array", shape="shape", dtype="dtype", pads="anchor", border="choice",
                   border_value="scalar", out_dtype="dtype", layout="choice",
                   rounding="choice", algorithm="choice"),
              ok=["shape:ndarray", "shape:huge", "dtype:complex128", "out_dtype:complex128"]),
    _core_row("NnConv2d", dict(in_channels=2, out_channels=4, kernel_size=(3, 3), weight=W4),
              dict(in_channels="int", out_channels="int", kernel_size="pair", weight="array",
                   bias=("array", B4), stride="int", padding="padding", dilation="int",
                   groups="int", padding_mode="choice", activation="choice", alpha="value",
                   beta="value", layout="choice", algorithm="choice"),
              ok=["kernel_size:int", "bias:None", "bias:1d", "stride:huge", "padding:huge",
                  "dilation:huge"]),
    _core_row("blur", dict(src=F32, ksize=(3, 3)),
              dict(_C_IMG, ksize="pair", anchor="anchor", out=_C_OUT),
              ok=["ksize:int", "ksize:even", "anchor:int"]),
    _core_row("box_filter", dict(src=F32, ddepth=None, ksize=(3, 3)),
              dict(_C_IMG, ddepth="dtype", ksize="pair", anchor="anchor", out=_C_OUT),
              ok=["ksize:int", "ksize:even", "anchor:int"]),
    _core_row("convolve", dict(a=W3, v=W3), dict(a="array", v="array", mode="choice"),
              ok=["*:1d", "*:complex128"]),
    _core_row("correlate", dict(a=W3, v=W3), dict(a="array", v="array", mode="choice"),
              ok=["*:1d", "*:complex128"]),
    _core_row("convolve2d", dict(in1=IMG, in2=K3),
              dict(in1="array", in2="array", mode="choice", boundary="choice",
                   fillvalue="scalar", out=_ND_OUT, algorithm="choice"),
              ok=["in1:complex128", "in2:complex128"]),
    _core_row("correlate2d", dict(in1=IMG, in2=K3),
              dict(in1="array", in2="array", mode="choice", boundary="choice",
                   fillvalue="scalar", out=_ND_OUT, algorithm="choice"),
              ok=["in1:complex128", "in2:complex128"]),
    _core_row("fftconvolve_nd", dict(in1=IMG, in2=K3),
              dict(in1="array", in2="array", mode="choice"),
              match={"in1:empty": "in1", "in2:empty": "in2"}),
    _core_row("richardson_lucy", dict(image=IMG, psf=K3, num_iter=2),
              dict(image="array", psf="array", num_iter="int", filter_epsilon="value",
                   method="choice", tv_weight="value", boundary="choice", convention="choice",
                   engine="choice", out=_ND_OUT),
              ok=["num_iter:zero"]),  # 0 iterations: the 0.5 start, as skimage
    _core_row("richardson_lucy_explain", dict(image=IMG, psf=K3),
              dict(image="array", psf="array", method="choice", boundary="choice",
                   convention="choice", engine="choice")),
    _core_row("wiener", dict(image=IMG, psf=K3, balance=0.1),
              dict(image="array", psf="array", balance="value", boundary="choice",
                   out=_ND_OUT)),
    _core_row("psf_from_spec", dict(spec="disk:2"), dict(spec="choice")),
    # im2col / col2im (torch.nn.functional.unfold / fold); padding is (top, bottom, left, right)
    _core_row("unfold", dict(input=X4, kernel=(2, 2), dilation=(1, 1), padding=(0, 0, 0, 0),
                             stride=(1, 1)),
              dict(input="array", kernel="pair", dilation="pair", padding="anchor",
                   stride="pair"),
              ok=["kernel:even", "dilation:even", "stride:even", "stride:huge", "input:empty"]),
    _core_row("fold", dict(input=_COLS, output_size=(5, 5), kernel=(2, 2), dilation=(1, 1),
                           padding=(0, 0, 0, 0), stride=(1, 1)),
              dict(input="array", output_size="shape", kernel="pair", dilation="pair",
                   padding="anchor", stride="pair"),
              ok=["input:empty"]),
    # step-by-step traces; a stride past the image is one output, any real image is read
    _core_row("StepTrace", dict(image=IMG, kernel=K3, stride=(1, 1), padding=(1, 1, 1, 1),
                                dilation=(1, 1), border="constant", value=0.0, flip=False,
                                bias=0.0, transposed=False, output_padding=(0, 0)),
              dict(image="array", kernel="array", stride="pair", padding="anchor",
                   dilation="pair", border="choice", value="value", flip="object",
                   bias="value", transposed="object", output_padding="pair"),
              ok=["stride:even", "stride:huge", "output_padding:zero"]),
    # image files: a path (the extension picks the format) and the writer's options
    _core_row("imread", dict(path=_IO_TIF), dict(path="choice", auto_orient="object")),
    # the native writer takes any quality (< 0: the format's default; TIFF ignores it) and
    # predictor 0 (automatic); convkit.imwrite checks the ranges
    _core_row("imwrite", dict(path=_IO_TIF, array=F32),
              dict(path="choice", array="array", quality="int", compression="choice",
                   predictor="int"),
              ok=["quality:neg", "quality:zero", "quality:huge", "predictor:zero"]),
    # cv::integral's tables: sdepth / sqdepth are dtype names (None: no squared sum)
    _core_row("integral", dict(src=U8, sdepth="int32"),
              dict(src="array", sdepth="dtype", sqdepth="dtype", tilted="object"),
              ok=["src:empty"]),  # a table of zeros
    # convkit.linalg's builder: a stride of 4 and a (huge) stride past the image are fine (one
    # output row/column), as is a dilation of 4 with these pads
    _core_row("convolution_matrix_2d",
              dict(kernel=K3, shape=(5, 6), pads=(2, 2, 2, 2), stride=(1, 1), dilation=(1, 1),
                   border="constant", flip=True, order="C"),
              dict(kernel="array", shape="shape", pads="anchor", stride="pair",
                   dilation="pair", border="choice", flip="object", order="choice"),
              ok=["shape:ndarray", "stride:even", "stride:huge", "dilation:even"]),
    _core_row("filter2d", dict(src=F32, kernel=K3F),
              dict(_C_IMG, kernel="array", ddepth="dtype", anchor="anchor", delta="value",
                   border_value="value", rounding="choice", out=_C_OUT),
              ok=["kernel:1d"]),  # a 1-D kernel is a row
    _core_row("sep_filter2d", dict(src=F32, kernel_x=W3, kernel_y=W3),
              dict(_C_IMG, kernel_x="array", kernel_y="array", ddepth="dtype",
                   anchor="anchor", delta="value", border_value="value", rounding="choice",
                   out=_C_OUT),
              ok=["kernel_x:1d", "kernel_y:1d"]),
    _core_row("gaussian_blur", dict(src=F32, ksize=(3, 3), sigma_x=1.0),
              dict(_C_IMG, ksize="pair", sigma_x="float", sigma_y="float", out=_C_OUT),
              # (0, 0): from sigma; a large sigma with a given ksize is just flat taps
              ok=["ksize:int", "ksize:zero", "sigma_x:huge", "sigma_y:huge"]),
    _core_row("gaussian_kernel1d", dict(sigma=1.0),
              dict(sigma="float", order="int", radius="int", truncate="float"),
              ok=["order:zero", "radius:neg", "radius:zero"]),  # radius -1: from truncate
    _core_row("get_deriv_kernels", dict(dx=1, dy=0, ksize=3),
              dict(dx="int", dy="int", ksize="int", dtype="dtype"),
              ok=["dy:zero", "ksize:neg"]),  # ksize -1: Scharr
    _core_row("get_gaussian_kernel", dict(ksize=3, sigma=1.0),
              dict(ksize="int", sigma="float", dtype="dtype"),
              ok=["sigma:neg", "sigma:huge"]),  # sigma <= 0: from ksize, as OpenCV
    _core_row("gradient_magnitude", dict(src=F32), dict(_C_IMG, ksize="int"),
              ok=["ksize:neg"]),
    _core_row("laplacian", dict(src=F32, ddepth=None),
              dict(_C_IMG, ddepth="dtype", ksize="int", scale="value", delta="value",
                   out=_C_OUT)),
    _core_row("scharr", dict(src=F32, ddepth=None, dx=1, dy=0),
              dict(_C_IMG, ddepth="dtype", dx="int", dy="int", scale="value", delta="value",
                   out=_C_OUT),
              ok=["dy:zero"]),
    _core_row("sobel", dict(src=F32, ddepth=None, dx=1, dy=0),
              dict(_C_IMG, ddepth="dtype", dx="int", dy="int", ksize="int", scale="value",
                   delta="value", out=_C_OUT),
              ok=["dy:zero", "ksize:neg"]),
    _core_row("unsharp_mask", dict(src=F32, sigma=1.0, amount=1.0),
              dict(_C_IMG, sigma="float", amount="value", threshold="value")),
    _core_row("nd_correlate", dict(input=IMG, weights=K3, output=np.zeros_like(IMG),
                                   origins=[0, 0]),
              dict(input="array", weights="array", output=_ND_OUT, mode="choice",
                   cval="value", origins="anchor")),
    _core_row("nd_correlate1d", dict(input=IMG, weights=W3, axis=1, output=np.zeros_like(IMG)),
              dict(input="array", weights="array", axis="axis", output=_ND_OUT, mode="choice",
                   cval="value", origin="int"),
              ok=["weights:1d", "origin:neg", "origin:zero"]),
    _core_row("nd_gaussian_filter", dict(input=IMG, sigma=1.0),
              dict(input="array", sigma="float", order="int", mode="choice", cval="value",
                   truncate="float", radius="int", output=_ND_OUT),
              ok=["order:zero", "radius:None", "radius:neg", "radius:zero"]),
    _core_row("nd_gaussian_gradient_magnitude", dict(input=IMG, sigma=1.0),
              dict(input="array", sigma="float", mode="choice", cval="value",
                   truncate="float", output=_ND_OUT)),
    _core_row("nd_gaussian_laplace", dict(input=IMG, sigma=1.0),
              dict(input="array", sigma="float", mode="choice", cval="value",
                   truncate="float", output=_ND_OUT)),
    _core_row("nd_laplace", dict(input=IMG),
              dict(input="array", mode="choice", cval="value", output=_ND_OUT)),
    _core_row("nd_prewitt", dict(input=IMG),
              dict(input="array", axis="axis", mode="choice", cval="value", output=_ND_OUT)),
    _core_row("nd_sobel", dict(input=IMG),
              dict(input="array", axis="axis", mode="choice", cval="value", output=_ND_OUT)),
    _core_row("nd_uniform_filter", dict(input=IMG, size=3),
              dict(input="array", size="int", mode="choice", cval="value", origin="int",
                   output=_ND_OUT),
              ok=["origin:neg", "origin:zero"]),
    _core_row("nn_conv2d", dict(input=X4, weight=W4),
              dict(input="array", weight="array", bias=("array", B4), stride="int",
                   padding="padding", dilation="int", groups="int", padding_mode="choice",
                   activation="choice", alpha="value", beta="value", layout="choice",
                   algorithm="choice", residual=("array", Y4)),
              ok=["bias:None", "bias:1d", "stride:huge", "residual:None"]),
    # training (nn_train.h): crop is None or (top, bottom, left, right) of the full scatter;
    # an empty batch is the module's to handle (either answer is fine here)
    _core_row("nn_conv_transpose2d", dict(input=X4, weight=WT4),
              dict(input="array", weight="array", bias=("array", B3), stride="int",
                   padding="padding", output_padding="int", groups="int", dilation="int",
                   crop="anchor", activation="choice", alpha="value", beta="value",
                   layout="choice", algorithm="choice"),
              ok=["bias:None", "bias:1d", "output_padding:zero", "crop:None"],
              either=["input:empty"]),
    _core_row("nn_conv2d_grad_input", dict(input_size=(1, 2, 5, 5), weight=W4, grad_output=Y4),
              dict(input_size="shape", weight="array", grad_output="array", stride="int",
                   padding="padding", dilation="int", groups="int", padding_mode="choice",
                   layout="choice", algorithm="choice")),
    _core_row("nn_conv2d_grad_weight", dict(input=X4, weight_size=(4, 2, 3, 3), grad_output=Y4),
              dict(input="array", weight_size="shape", grad_output="array", stride="int",
                   padding="padding", dilation="int", groups="int", padding_mode="choice",
                   layout="choice", algorithm="choice")),
    _core_row("nn_conv_transpose2d_grad_input",
              dict(input_size=(1, 2, 5, 5), weight=WT4, grad_output=YT4),
              dict(input_size="shape", weight="array", grad_output="array", stride="int",
                   padding="padding", output_padding="int", groups="int", dilation="int",
                   crop="anchor", layout="choice", algorithm="choice"),
              ok=["output_padding:zero", "crop:None"]),
    _core_row("nn_conv_transpose2d_grad_weight",
              dict(input=X4, weight_size=(2, 3, 3, 3), grad_output=YT4),
              dict(input="array", weight_size="shape", grad_output="array", stride="int",
                   padding="padding", output_padding="int", groups="int", dilation="int",
                   crop="anchor", layout="choice", algorithm="choice"),
              ok=["output_padding:zero", "crop:None"]),
    _core_row("nn_grad_bias", dict(grad_output=Y4), dict(grad_output="array", layout="choice"),
              either=["grad_output:empty"]),
    _core_row("set_num_threads", dict(n=1), dict(n="int"), ok=["n:zero", "n:huge"],
              fn=_restoring_threads(_core.set_num_threads)),
    _core_row("set_plan_cache_capacity", dict(capacity=16), dict(capacity="int"),
              ok=["capacity:zero", "capacity:huge"],
              fn=_restoring_capacity(_core.set_plan_cache_capacity)),
    _core_row("get_num_threads", {}, {}), _core_row("active_isa", {}, {}),
    _core_row("plan_cache_info", {}, {}), _core_row("clear_plan_cache", {}, {}),
    _core_row("version", {}, {}),
    _core_row("Plan2d.__call__", dict(image=F32), dict(image="array", out=_C_OUT),
              fn=lambda image, out=None: _CORE_PLAN(image, out=out)),
    _core_row("NnConv2d.forward", dict(input=X4), dict(input="array", residual=("array", Y4)),
              ok=["residual:None"], fn=_CORE_LAYER.forward),
    _core_row("NnConv2d.explain", dict(input_shape=(1, 2, 5, 5)), dict(input_shape="shape"),
              fn=_CORE_LAYER.explain),
    _core_row("NnConv2d.algorithm", dict(input_shape=(1, 2, 5, 5)), dict(input_shape="shape"),
              fn=_CORE_LAYER.algorithm),
    _core_row("NnConv2d.output_shape", dict(input_shape=(1, 2, 5, 5)),
              dict(input_shape="shape"), fn=_CORE_LAYER.output_shape),
]

# Names in __all__ that are constants, not callables (their values are checked elsewhere).
CONSTANTS = {
    "convkit": {"signal", "ndimage", "cv", "dask", "nn", "restoration", "linalg"},  # the submodules: rows of their own
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

    def arguments(self):
        """(args, kwargs) of the call: the valid ones, one replaced by a bad value."""
        valid = dict(self.row.valid)
        if self.param == "extra_kwarg":
            valid["not_a_parameter"] = 1
        elif self.param != "valid":
            kind = self.row.params[self.param]
            template = kind[1] if isinstance(kind, tuple) else valid.get(self.param)
            valid[self.param] = self.mut.make(template)
        return valid


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


def _outcome(fn, kwargs):
    """What `fn(**kwargs)` does: {'outcome': 'ok'} or 'raised' with the type, its MRO's names
    and the message."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn(**kwargs)
    except Exception as e:  # noqa: BLE001 - everything is reported
        return dict(outcome="raised", type=f"{type(e).__module__}.{type(e).__qualname__}",
                    mro=[t.__name__ for t in type(e).__mro__], message=str(e)[:600])
    return dict(outcome=OK)


def run_case(case):
    """convkit's outcome, and the peer's where it decides (convkit accepted the input, or
    raised something other than TypeError/ValueError)."""
    result = _outcome(case.row.fn, case.arguments())
    if case.row.peer is not None and (result["outcome"] == OK or not set(TV) & set(result["mro"])):
        result["peer"] = _outcome(case.row.peer, case.arguments())
    return result


# ---- the child interpreter for the risky cases ---------------------------------------------------

def _child_main():
    import resource
    limit = 3 << 30  # address space: a huge allocation fails instead of swapping
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for line in sys.stdin:
        case = BY_ID[json.loads(line)]
        print("S", flush=True)
        print("R " + json.dumps(run_case(case)), flush=True)


CASE_TIMEOUT = 20.0


def run_isolated(ids):
    """Runs the cases `ids` in a child interpreter, one after the other; a crash or a hang is the
    result of the case that was running, and a fresh child goes on with the rest."""
    results = {}
    todo = list(ids)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(pathlib.Path(__file__).parent), os.environ.get("PYTHONPATH", "")]))
    while todo:
        err = tempfile.TemporaryFile()
        child = subprocess.Popen(
            [sys.executable, "-c", "import test_bad_input as t; t._child_main()"], env=env,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
        fd, buf = child.stdout.fileno(), b""
        deadline = time.monotonic() + CASE_TIMEOUT + 60  # the child's imports, once

        def line():
            nonlocal buf, deadline
            while b"\n" not in buf:
                ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    raise TimeoutError
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise EOFError
                buf += chunk
            head, buf = buf.split(b"\n", 1)
            return head.decode()

        i = 0
        try:
            for i, cid in enumerate(todo):
                child.stdin.write((json.dumps(cid) + "\n").encode())
                child.stdin.flush()
                assert line() == "S"
                deadline = time.monotonic() + CASE_TIMEOUT
                results[cid] = json.loads(line()[2:])
            todo = []
        except (TimeoutError, EOFError, BrokenPipeError) as e:
            cid, todo = todo[i], todo[i + 1:]
            if isinstance(e, TimeoutError):
                child.kill()
                child.wait()
                results[cid] = dict(outcome="hang", message=f"> {CASE_TIMEOUT} s")
            else:
                child.wait(timeout=30)
                err.seek(0)
                results[cid] = dict(outcome="crash", returncode=child.returncode,
                                    message=err.read().decode(errors="replace")[-2000:])
        finally:
            if child.poll() is None:
                child.stdin.close()
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
            child.stdout.close()
            err.close()
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


def _describe(r):
    if r["outcome"] == "raised":
        return f"{r['type']}: {r['message']}"
    return r["outcome"] + (f" {r.get('returncode')}: {r['message']}" if "message" in r else "")


def check(case, result):
    what = f"{case.id} -> {_describe(result)}"
    row = case.row
    if "peer" in result:
        what += f"; the peer: {_describe(result['peer'])}"
    assert result["outcome"] in (OK, "raised"), what  # a crash or a hang
    if case.param == "valid" or _hits(case.key, row.ok):
        assert result["outcome"] == OK, what
        return
    if result["outcome"] == OK:
        if _hits(case.key, row.either):
            return
        # accepted: fine only where the peer accepts it too
        assert row.peer is not None and result["peer"]["outcome"] == OK, \
            f"{what}: accepted, expected TypeError or ValueError"
        return
    if not set(TV) & set(result["mro"]):  # another type: only the peer's for this input
        peer = result.get("peer", {})
        assert peer.get("outcome") == "raised" and peer["mro"][0] == result["mro"][0], \
            f"{what}: expected TypeError or ValueError" + \
            (" (or the peer's type)" if row.peer is not None else "")
    for pattern in _hits(case.key, row.match)[:1] if case.mut is not None else ():
        text = row.match[pattern].format(param=case.param)
        assert text.lower() in result["message"].lower(), f"{what}: the message lacks {text!r}"


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


def test_every_nn_grad_name_has_a_row():
    names = {r.name.split(".")[2] for r in ROWS if r.name.startswith("nn.grad.")}
    public = getattr(nn_grad, "__all__", None) or [
        n for n, v in vars(nn_grad).items()
        if not n.startswith("_") and callable(v)
        and getattr(v, "__module__", "") == nn_grad.__name__]
    missing = set(public) - names
    assert not missing, f"convkit.nn.grad: no row for {sorted(missing)}"


def test_every_core_function_has_a_row():
    names = {r.name.split(".")[1] for r in ROWS if r.name.startswith("_core.")}
    public = {n for n in dir(_core) if not n.startswith("_")}
    assert public - names == set(), sorted(public - names)
