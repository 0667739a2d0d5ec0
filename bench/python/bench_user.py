"""convkit where its users stand: from Python, one call at a time, beside the peers in one process.

    .venv/bin/python bench/python/bench_user.py [--repeats N] [--threads 2] [--quick]
                                                [--section images|tiny|conv2d]

Every convkit call is the drop-in a user writes (convkit.cv / .ndimage / .signal / .nn): no plan
object, no out=/dst=, the result allocated by the call; so is every peer call (cv2, SciPy,
torch.nn.functional.conv2d on tensors). The default allocator, untuned, serves both sides.

Timing: for each case every library gets one warm-up call, then its --repeats timed calls back
to back (convkit, then the engine column, then the peer), the median reported. Not interleaved,
for the reason bench/nn gives: alternating call by call hands each library caches (and, here,
freed result buffers and spinning OpenMP threads) just left by another one, which is not how a
program repeats a call. A library whose timed calls have used SLOW_S (3 s; 0.5 s with --quick)
stops repeating there: SciPy's direct 2-D convolution takes seconds on the large kernels; the
table then says how many calls were timed. ratio = peer ms / convkit ms (> 1: convkit faster).
Threads: convkit.set_num_threads, cv2.setNumThreads, torch.set_num_threads and, around the whole
run, scipy.fft.set_workers (SciPy 1.17's fftconvolve/oaconvolve take no `workers`).

Correctness, before timing: convkit's result against the peer's, bit for bit where convkit
documents it (cv GaussianBlur/blur on uint8, integer Sobel/Laplacian, ndimage Gaussian and
Sobel on uint8), otherwise max |diff| / max |peer| <= 1e-4 (shape and dtype must match too).
A failure is printed as MISMATCH (or ERROR for an exception) and makes the exit status 1.

Sections:
  images  the cases of bench/compare (issue 3), called the way users call them. "engine ms" is
          the same convolution through convkit.plan(...) made once and run as p(img, out=buf):
          what the door (argument handling, plan-cache lookup, allocation) adds is the
          difference. Its output is checked against the door's; a dagger marks a plan that
          differs (listed below the table); "—" where no plan computes the same thing.
  tiny    per-call overhead on 16x16 and 40x40 images: batches of >= 1000 calls (>= 100 with
          --quick), the median over --repeats batches, in microseconds.
  conv2d  convkit.nn.Conv2d (layer) and convkit.nn.conv2d (functional) against
          torch.nn.functional.conv2d under torch.no_grad(), f32 NCHW with bias.
Summaries print the targets and the cases that miss one. The header runs bench/peak/peak.cpp
(built once into build-bench-peak/ with g++) for this machine's FMA and memory ceilings.
"""
import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import scipy
import scipy.fft
import scipy.ndimage as sndi
import scipy.signal as ssig

import convkit
import convkit.cv as kcv
import convkit.ndimage as kndi
import convkit.nn as knn
import convkit.signal as ksig

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import report  # noqa: E402  (bench/report.py: the benchmarks' number formatting)

TOLERANCE = 1e-4
SLOW_S = 3.0
PEAK_BIN = ROOT / "build-bench-peak" / "bench_peak"


class Call:
    """fn(*args, **kw), with the name a table shows."""

    def __init__(self, label, fn, *args, **kw):
        self.label, self.fn, self.args, self.kw = label, fn, args, kw

    def __call__(self):
        return self.fn(*self.args, **self.kw)


class Row:
    """One comparison: convkit's call, the peer's, how to check them, an optional engine."""

    def __init__(self, case, ours, peer, check="close", engine=None, note=None):
        self.case, self.ours, self.peer, self.check = case, ours, peer, check
        self.engine, self.note = engine, note  # engine: (kernel, image, convkit.plan kwargs)


def time_call(c, repeats, budget_s, batch=1):
    """Seconds per call: one warm-up call, then the median of up to `repeats` timed batches of
    `batch` calls, stopping once they have used budget_s. Returns (seconds, batches timed)."""
    fn, args, kw = c.fn, c.args, c.kw
    fn(*args, **kw)
    times, spent = [], 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(batch):
            fn(*args, **kw)
        dt = time.perf_counter() - t0
        times.append(dt / batch)
        spent += dt
        if spent >= budget_s:
            break
    return statistics.median(times), len(times)


def compare(ours, ref, kind):
    """(ok, text): `kind` 'exact' (bit for bit) or 'close' (max |diff| / max |ref| <= 1e-4)."""
    ours, ref = np.asarray(ours), np.asarray(ref)
    if ours.shape != ref.shape or ours.dtype != ref.dtype:
        return False, f"MISMATCH: {ours.dtype}{ours.shape} vs {ref.dtype}{ref.shape}"
    diff = np.abs(ours.astype(np.float64) - ref.astype(np.float64))
    worst = float(diff.max()) if diff.size else 0.0
    if kind == "exact":
        n = int(np.count_nonzero(diff))
        return n == 0, "bit-exact" if n == 0 else \
            f"MISMATCH: {n} of {diff.size} differ, max abs diff {worst:g}"
    scale = float(np.abs(ref.astype(np.float64)).max()) if ref.size else 0.0
    rel = worst / scale if scale > 0 else worst
    text = f"max rel diff {rel:.1e}"
    return rel <= TOLERANCE, text if rel <= TOLERANCE else f"MISMATCH ({text})"


def geo_line(name, ratios, target, floor):
    """A summary line: the geometric mean against `target`, and the rows below `floor`."""
    g = report.geomean([r for _, r in ratios])
    low = [f"{case} ({report.fmt_ratio(r)})" for case, r in ratios if r is not None and r < floor]
    verdict = "no target" if target is None else f"target >= {target:g}x: " + \
        ("—" if g is None else "meets" if g >= target else "MISSES")
    print(f"- {name}: geomean **{report.fmt_ratio(g)}** ({verdict}); "
          f"below {floor:g}x: {', '.join(low) if low else 'none'}")


# images: the cases of bench/compare (issue 3)

def fixed_point_taps(n, sigma, bits=8):
    """OpenCV's uint8 Gaussian taps: k/256, rounded from the outside in, the centre the rest."""
    g = kcv.getGaussianKernel(n, sigma).ravel()
    q, err, one = np.zeros(n), 0.0, float(1 << bits)
    for i in range(n // 2):
        adj = g[i] * one + err
        q[i] = q[n - 1 - i] = np.rint(adj)
        err = adj - q[i]
    q[n // 2] = one - 2 * q[: n // 2].sum()
    return q / one


def sep_pair(nd, img, col, row):
    """ndimage.correlate1d down the columns, then along the rows (a separable kernel's factors)."""
    return nd.correlate1d(nd.correlate1d(img, col, axis=0, mode="mirror"), row, axis=1,
                          mode="mirror")


def dense_rows(case, img, k):
    """filter2D, ndimage.correlate(mirror) and convolve2d(same, symm) with a dense kernel."""
    return [
        Row(case, Call("cv.filter2D", kcv.filter2D, img, -1, k),
            Call("cv2.filter2D", cv2.filter2D, img, -1, k),
            engine=(k, img, dict(border="mirror", correlate=True))),
        Row(case, Call("ndimage.correlate(mirror)", kndi.correlate, img, k, mode="mirror"),
            Call("scipy.ndimage.correlate", sndi.correlate, img, k, mode="mirror")),
        Row(case, Call("signal.convolve2d(same, symm)", ksig.convolve2d, img, k, mode="same",
                       boundary="symm"),
            Call("scipy.signal.convolve2d", ssig.convolve2d, img, k, mode="same", boundary="symm"),
            engine=(k, img, dict(border="reflect", mode="same"))),
    ]


def fft_rows(case, img, k, mode):
    """signal.oaconvolve / fftconvolve (zero border) against SciPy's."""
    return [Row(case, Call(f"signal.{name}({mode})", getattr(ksig, name), img, k, mode=mode),
                Call(f"scipy.signal.{name}", getattr(ssig, name), img, k, mode=mode),
                engine=(k, img, dict(border="constant", mode=mode, algorithm=algo)))
            for name, algo in (("oaconvolve", "overlap-add"), ("fftconvolve", "fft"))]


def image_rows(rng):
    def kern(r, s, dtype=np.float32):
        k = rng.uniform(0, 1, (r, s))
        return (k / k.sum()).astype(dtype)

    f32 = rng.uniform(-1, 1, (1080, 1920)).astype(np.float32)
    u8c3 = rng.integers(0, 256, (1080, 1920, 3), dtype=np.uint8)
    rows = []
    for k in (3, 7, 15, 31):
        rows += dense_rows(f"f32 1920x1080 {k}x{k}", f32, kern(k, k))
    for ksize, sigma in ((5, 1.0), (0, 3.0)):
        n = ksize or (int(round(sigma * 6 + 1)) | 1)
        case = f"u8x3 1920x1080 Gaussian {n}x{n} sigma {sigma:g}"
        q = fixed_point_taps(n, sigma)
        rows += [
            Row(case, Call(f"cv.GaussianBlur(({ksize}, {ksize}), {sigma:g})", kcv.GaussianBlur,
                           u8c3, (ksize, ksize), sigma),
                Call("cv2.GaussianBlur", cv2.GaussianBlur, u8c3, (ksize, ksize), sigma), "exact",
                engine=(np.outer(q, q), u8c3, dict(border="mirror", correlate=True))),
            Row(case, Call(f"ndimage.gaussian_filter(({sigma:g}, {sigma:g}, 0), radius {n // 2})",
                           kndi.gaussian_filter, u8c3, (sigma, sigma, 0),
                           radius=(n // 2, n // 2, 0), mode="mirror"),
                Call("scipy.ndimage.gaussian_filter", sndi.gaussian_filter, u8c3,
                     (sigma, sigma, 0), radius=(n // 2, n // 2, 0), mode="mirror"), "exact"),
        ]
    u8big = rng.integers(0, 256, (4096, 4096), dtype=np.uint8)
    case = "u8 4096x4096 box 51x51 normalized"
    rows += [
        Row(case, Call("cv.blur((51, 51))", kcv.blur, u8big, (51, 51)),
            Call("cv2.blur", cv2.blur, u8big, (51, 51)), "exact",
            engine=(np.full((51, 51), 1 / 2601), u8big, dict(border="mirror", correlate=True))),
        Row(case, Call("ndimage.uniform_filter(51, mirror)", kndi.uniform_filter, u8big, 51,
                       mode="mirror"),
            Call("scipy.ndimage.uniform_filter", sndi.uniform_filter, u8big, 51, mode="mirror")),
    ]
    f32big = rng.uniform(-1, 1, (4096, 4096)).astype(np.float32)
    k31 = kern(31, 31)
    case = "f32 4096x4096 31x31"
    rows.append(Row(case, Call("cv.filter2D", kcv.filter2D, f32big, -1, k31),
                    Call("cv2.filter2D", cv2.filter2D, f32big, -1, k31),
                    engine=(k31, f32big, dict(border="mirror", correlate=True))))
    rows += fft_rows(case, f32big, k31, "same")
    rows += dense_rows("f32 512x512 3x3", np.ascontiguousarray(f32[:512, :512]), kern(3, 3))
    f64 = rng.uniform(-1, 1, (1024, 1024))
    k11 = rng.uniform(-1, 1, (11, 11))
    case = "f64 1024x1024 11x11 full"
    rows.append(Row(case, Call("signal.convolve2d(full)", ksig.convolve2d, f64, k11, mode="full"),
                    Call("scipy.signal.convolve2d", ssig.convolve2d, f64, k11, mode="full"),
                    engine=(k11, f64, dict(border="constant", mode="full"))))
    rows += fft_rows(case, f64, k11, "full")
    col, row = kern(15, 1).ravel(), kern(1, 15).ravel()
    dense = np.outer(col, row).astype(np.float32)
    case = "f32 1920x1080 rank-1 15x15"
    rows += dense_rows(case + " (dense)", f32, dense)[:2]
    rows += [
        Row(case + " (factors)", Call("cv.sepFilter2D", kcv.sepFilter2D, f32, -1, row, col),
            Call("cv2.sepFilter2D", cv2.sepFilter2D, f32, -1, row, col),
            engine=(dense, f32, dict(border="mirror", correlate=True)),
            note="engine: the plan of the dense outer product (the planner factors it)"),
        Row(case + " (factors)", Call("ndimage.correlate1d x2", sep_pair, kndi, f32, col, row),
            Call("scipy.ndimage.correlate1d x2", sep_pair, sndi, f32, col, row)),
    ]
    sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], np.float32)
    laplace = np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], np.float32)
    as16 = dict(border="mirror", correlate=True, out_dtype="int16")
    rows += [
        Row("u8x3 1920x1080 Sobel dx=1 -> CV_16S",
            Call("cv.Sobel(CV_16S, 1, 0)", kcv.Sobel, u8c3, kcv.CV_16S, 1, 0),
            Call("cv2.Sobel", cv2.Sobel, u8c3, cv2.CV_16S, 1, 0), "exact",
            engine=(sobel_x, u8c3, as16)),
        Row("u8x3 1920x1080 Laplacian -> CV_16S",
            Call("cv.Laplacian(CV_16S)", kcv.Laplacian, u8c3, kcv.CV_16S),
            Call("cv2.Laplacian", cv2.Laplacian, u8c3, cv2.CV_16S), "exact",
            engine=(laplace, u8c3, as16)),
    ]
    return rows


def make_engine(spec):
    """The plan made once and a preallocated output: a Call of p(img, out=buf), the plan."""
    kernel, img, kw = spec
    p = convkit.plan(kernel, img.shape, img.dtype, **kw)
    out = np.empty(p.out_shape, np.dtype(kw.get("out_dtype") or img.dtype))
    return Call("plan", p, img, out=out), p


def run_images(args, failures):
    print("\n## images: the cases of bench/compare, as users call them\n")
    print("| case | convkit call | convkit ms | engine ms | algorithm | peer | peer ms | ratio "
          "| check |")
    print("| --- | --- | ---: | ---: | --- | --- | ---: | ---: | --- |")
    notes, ratios = [], {"cv2": [], "scipy": []}
    for r in image_rows(np.random.default_rng(2026)):
        cells = [r.case, r.ours.label]
        try:
            ok, check = compare(r.ours(), r.peer(), r.check)
            engine = make_engine(r.engine) if r.engine else None
            if engine:
                e_ok, e_check = compare(engine[0](), r.ours(), r.check)
                if not e_ok:
                    notes.append(f"† {r.case}, {r.ours.label}: the plan ({engine[1].algorithm}) "
                                 f"differs from the call: {e_check}")
            t_ours, _ = time_call(r.ours, args.repeats, args.slow_s)
            t_eng = time_call(engine[0], args.repeats, args.slow_s)[0] if engine else None
            t_peer, n_peer = time_call(r.peer, args.repeats, args.slow_s)
        except Exception as e:  # one broken case must not hide the others
            failures.append(f"{r.case}, {r.ours.label}: {type(e).__name__}: {e}")
            print("| " + " | ".join(cells + ["—"] * 6 + [f"ERROR: {type(e).__name__}: {e}"])
                  + " |")
            continue
        if not ok:
            failures.append(f"{r.case}, {r.ours.label} vs {r.peer.label}: {check}")
        if r.note:
            notes.append(f"{r.case}, {r.ours.label}: {r.note}")
        rat = report.ratio(t_peer * 1e3, t_ours * 1e3)
        group = "cv2" if r.peer.label.startswith("cv2") else "scipy"
        ratios[group].append((f"{r.ours.label} {r.case}", rat))
        eng = "—" if not engine else report.fmt_ms(t_eng * 1e3) + ("" if e_ok else " †")
        peer_ms = report.fmt_ms(t_peer * 1e3) + \
            (f" ({n_peer} timed)" if n_peer < args.repeats else "")
        cells += [report.fmt_ms(t_ours * 1e3), eng, engine[1].algorithm if engine else "—",
                  r.peer.label, peer_ms, report.fmt_ratio(rat), check]
        print("| " + " | ".join(cells) + " |", flush=True)
    notes.append("engine —: no plan computes what the call does; ndimage.* compute as SciPy "
                 "(each 1-D pass in float64 in SciPy's order, stored in the output dtype)")
    print("\n" + "\n".join(f"- {n}" for n in notes))
    return ratios


# tiny: per-call overhead

def tiny_rows(rng):
    k3 = rng.uniform(0, 1, (3, 3)).astype(np.float32)
    k3 /= k3.sum()
    rows = []
    for n in (16, 40):
        gray = rng.uniform(0, 1, (n, n)).astype(np.float32)
        rgb = rng.integers(0, 256, (n, n, 3), dtype=np.uint8)
        for img, kind in ((gray, f"f32 {n}x{n}"), (rgb, f"u8x3 {n}x{n}")):
            exact = "exact" if img.dtype == np.uint8 else "close"
            c3 = img.ndim == 3
            depth = (kcv.CV_16S, cv2.CV_16S) if c3 else (kcv.CV_32F, cv2.CV_32F)
            sig, size, w = ((1.0, 1.0, 0), (3, 3, 1), k3[:, :, None]) if c3 else (1.0, 3, k3)
            rows += [
                Row(kind, Call("cv.filter2D 3x3", kcv.filter2D, img, -1, k3),
                    Call("cv2.filter2D", cv2.filter2D, img, -1, k3)),
                Row(kind, Call("cv.GaussianBlur 3x3", kcv.GaussianBlur, img, (3, 3), 0),
                    Call("cv2.GaussianBlur", cv2.GaussianBlur, img, (3, 3), 0), exact),
                Row(kind, Call("cv.Sobel dx=1", kcv.Sobel, img, depth[0], 1, 0),
                    Call("cv2.Sobel", cv2.Sobel, img, depth[1], 1, 0), exact),
                Row(kind, Call("cv.blur 3x3", kcv.blur, img, (3, 3)),
                    Call("cv2.blur", cv2.blur, img, (3, 3)), exact),
                Row(kind, Call("ndimage.gaussian_filter sigma 1", kndi.gaussian_filter, img, sig),
                    Call("scipy.ndimage.gaussian_filter", sndi.gaussian_filter, img, sig), exact),
                Row(kind, Call("ndimage.correlate 3x3", kndi.correlate, img, w),
                    Call("scipy.ndimage.correlate", sndi.correlate, img, w)),
                Row(kind, Call("ndimage.uniform_filter(3)", kndi.uniform_filter, img, size),
                    Call("scipy.ndimage.uniform_filter", sndi.uniform_filter, img, size)),
                Row(kind, Call("ndimage.sobel(axis=1)", kndi.sobel, img, 1),
                    Call("scipy.ndimage.sobel", sndi.sobel, img, 1), exact),
            ]
        rows += [Row(f"f32 {n}x{n}", Call(f"signal.{name} 3x3 same", getattr(ksig, name),
                                          gray, k3, mode="same"),
                     Call(f"scipy.signal.{name}", getattr(ssig, name), gray, k3, mode="same"))
                 for name in ("convolve2d", "correlate2d", "fftconvolve")]
    x, h = rng.standard_normal(256), rng.standard_normal(9)
    rows.append(Row("f64 1-D 256 (*) 9", Call("signal.convolve", ksig.convolve, x, h),
                    Call("scipy.signal.convolve", ssig.convolve, x, h)))
    return rows


def batch_size(c, least):
    """Calls per timed batch: about 20 ms of them, at least `least`, at most 20000."""
    c()
    t0 = time.perf_counter()
    for _ in range(20):
        c()
    per = (time.perf_counter() - t0) / 20
    return int(min(20000, max(least, 0.02 / max(per, 1e-7))))


def run_tiny(args, failures):
    least = 100 if args.quick else 1000
    print(f"\n## tiny: per-call overhead (median of {args.repeats} batches of >= {least} calls, "
          "µs per call)\n")
    print("| image | convkit call | convkit µs | peer | peer µs | ratio | target | check |")
    print("| --- | --- | ---: | --- | ---: | ---: | --- | --- |")
    ratios = {"cv2": [], "scipy": []}
    for r in tiny_rows(np.random.default_rng(7)):
        vs_cv2 = r.peer.label.startswith("cv2")
        target = 0.5 if vs_cv2 else 1.0
        try:
            ok, check = compare(r.ours(), r.peer(), r.check)
            t = [time_call(c, args.repeats, math.inf, batch_size(c, least))[0] * 1e6
                 for c in (r.ours, r.peer)]
        except Exception as e:
            failures.append(f"tiny {r.case}, {r.ours.label}: {type(e).__name__}: {e}")
            print(f"| {r.case} | {r.ours.label} | — | {r.peer.label} | — | — | — | "
                  f"ERROR: {type(e).__name__}: {e} |")
            continue
        if not ok:
            failures.append(f"tiny {r.case}, {r.ours.label}: {check}")
        rat = t[1] / t[0]
        ratios["cv2" if vs_cv2 else "scipy"].append((f"{r.ours.label} {r.case}", rat))
        verdict = f">= {target:g}: " + ("ok" if rat >= target else "MISS")
        print(f"| {r.case} | {r.ours.label} | {t[0]:.1f} | {r.peer.label} | {t[1]:.1f} | "
              f"{rat:.2f} | {verdict} | {check} |", flush=True)
    return ratios


# conv2d: convkit.nn against torch.nn.functional.conv2d

# label, N, C, K, H(=W), kernel, stride, padding, groups
CONV_CASES = [
    ("ResNet conv1 3->64 224 7x7 s2", 1, 3, 64, 224, 7, 2, 3, 1),
    ("64->64 56 3x3", 1, 64, 64, 56, 3, 1, 1, 1),
    ("64->64 56 3x3 batch 8", 8, 64, 64, 56, 3, 1, 1, 1),
    ("256->64 56 1x1", 1, 256, 64, 56, 1, 1, 0, 1),
    ("256->256 14 3x3", 1, 256, 256, 14, 3, 1, 1, 1),
    ("128->128 56->28 3x3 s2", 1, 128, 128, 56, 3, 2, 1, 1),
    ("depthwise 144 56 3x3", 1, 144, 144, 56, 3, 1, 1, 144),
    ("512->512 7 3x3", 1, 512, 512, 7, 3, 1, 1, 1),
    ("ResNeXt 128 g32 56 3x3", 1, 128, 128, 56, 3, 1, 1, 32),
    ("ResNeXt 256 g32 28 3x3", 1, 256, 256, 28, 3, 1, 1, 32),
    ("RegNet 96 g8 56 3x3", 1, 96, 96, 56, 3, 1, 1, 8),
    ("RegNet 224 g14 28 3x3", 1, 224, 224, 28, 3, 1, 1, 14),
    ("ShuffleNet 240 g3 28 1x1", 1, 240, 240, 28, 1, 1, 0, 3),
    ("stem 3->32 224 3x3 s2", 1, 3, 32, 224, 3, 2, 1, 1),
    ("stem 3->16 112 3x3", 1, 3, 16, 112, 3, 1, 1, 1),
    ("stem 1->32 128 3x3", 1, 1, 32, 128, 3, 1, 1, 1),
    ("stem 4->32 64 3x3", 1, 4, 32, 64, 3, 1, 1, 1),
]


def run_conv2d(args, failures):
    torch = args.torch
    F = torch.nn.functional
    print("\n## conv2d: convkit.nn vs torch.nn.functional.conv2d (f32 NCHW, bias)\n")
    print("| case | layer ms | functional ms | torch ms | ratio layer | ratio functional "
          "| algorithm | layer GFLOP/s | check |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- |")
    rng = np.random.default_rng(5)
    plans, ratios = [], {"layer": [], "functional": []}
    for label, n, c, k, hw, r, s, p, g in CONV_CASES:
        x = rng.standard_normal((n, c, hw, hw), dtype=np.float32)
        bound = 1 / math.sqrt(c // g * r * r)
        w = rng.uniform(-bound, bound, (k, c // g, r, r)).astype(np.float32)
        b = rng.uniform(-bound, bound, k).astype(np.float32)
        xt, wt, bt = (torch.from_numpy(a) for a in (x, w, b))
        try:
            layer = knn.Conv2d(c, k, r, stride=s, padding=p, groups=g, weight=w, bias=b)
            calls = [Call("layer", layer, x),
                     Call("functional", knn.conv2d, x, w, b, stride=s, padding=p, groups=g),
                     Call("torch", F.conv2d, xt, wt, bt, s, p, 1, g)]
            with torch.no_grad():
                ref = calls[2]().numpy()
                checks = [compare(cl(), ref, "close") for cl in calls[:2]]
                t = [time_call(cl, args.repeats, args.slow_s)[0] * 1e3 for cl in calls]
        except Exception as e:
            failures.append(f"conv2d {label}: {type(e).__name__}: {e}")
            print(f"| {label} | " + " | ".join(["—"] * 7) + f" | ERROR: {type(e).__name__}: {e} |")
            continue
        for (ok, text), who in zip(checks, ("layer", "functional")):
            if not ok:
                failures.append(f"conv2d {label}, {who} vs torch: {text}")
        q = (hw + 2 * p - r) // s + 1
        flops = 2.0 * n * k * q * q * (c // g) * r * r
        rl, rf = report.ratio(t[2], t[0]), report.ratio(t[2], t[1])
        ratios["layer"].append((label, rl))
        ratios["functional"].append((label, rf))
        plans.append(f"{label}: {layer.explain(x).splitlines()[-1]}")
        check = "; ".join(f"{who} {text}" for (_, text), who in zip(checks, ("layer", "fn")))
        print(f"| {label} | {report.fmt_ms(t[0])} | {report.fmt_ms(t[1])} | "
              f"{report.fmt_ms(t[2])} | {report.fmt_ratio(rl)} | {report.fmt_ratio(rf)} | "
              f"{layer.plan_algorithm(x)} | {flops / t[0] * 1e-6:.1f} | {check} |", flush=True)
    if plans:
        print("\nPlans (the last line of `layer.explain(x)`):\n")
        print("\n".join(f"- {line}" for line in plans))
    return ratios


# header, summary, main

def peak_table():
    """bench/peak/peak.cpp's output, built once with g++ into build-bench-peak/."""
    if not PEAK_BIN.exists():
        gxx = shutil.which("g++")
        if gxx is None:
            return "(ceilings skipped: g++ is not installed)"
        PEAK_BIN.parent.mkdir(exist_ok=True)
        built = subprocess.run([gxx, "-O3", "-std=c++17", str(ROOT / "bench/peak/peak.cpp"),
                                "-o", str(PEAK_BIN), "-lpthread"], capture_output=True, text=True)
        if built.returncode:
            return f"(ceilings skipped: building bench_peak failed: {built.stderr[-500:]})"
    run = subprocess.run([str(PEAK_BIN)], capture_output=True, text=True)
    return run.stdout.strip() if run.returncode == 0 else f"(bench_peak failed: {run.stderr})"


# per section: (ratio group, summary name, geomean target or None, per-case floor)
TARGETS = {
    "images": [("cv2", "images vs cv2", 2.0, 1.0), ("scipy", "images vs SciPy", None, 1.0)],
    "tiny": [("cv2", "tiny vs cv2 (each within 2x)", 0.5, 0.5),
             ("scipy", "tiny vs SciPy (each at least as fast)", 1.0, 1.0)],
    "conv2d": [("layer", "Conv2d layer vs torch", 1.3, 1.0),
               ("functional", "Conv2d functional vs torch", 1.3, 1.0)],
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=None, help="timed calls (default 9; --quick 2)")
    ap.add_argument("--threads", type=int, default=2, help="for every library (default 2)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 2 repeats, short budgets")
    ap.add_argument("--section", choices=list(TARGETS), action="append",
                    help="run only this section (repeatable; default: all)")
    args = ap.parse_args()
    args.repeats = args.repeats or (2 if args.quick else 9)
    args.slow_s = 0.5 if args.quick else SLOW_S
    if args.repeats < 1 or args.threads < 1:
        ap.error("--repeats and --threads must be positive")
    sections = [name for name in TARGETS if name in (args.section or TARGETS)]
    args.torch = None
    if "conv2d" in sections:
        import torch
        torch.set_num_threads(args.threads)
        args.torch = torch
    convkit.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)
    t = args.torch
    torch_v = f"{t.__version__} ({t.get_num_threads()} threads)" if t else "not loaded"
    print(f"# convkit {convkit.__version__} from Python, one call at a time\n\n"
          f"convkit {convkit.__version__} (ISA {convkit.active_isa()}, "
          f"{convkit.get_num_threads()} threads); NumPy {np.__version__}; SciPy "
          f"{scipy.__version__} (fft workers {args.threads}); OpenCV {cv2.__version__} (PyPI, "
          f"{cv2.getNumThreads()} threads); PyTorch {torch_v}. Median of {args.repeats} timed "
          f"calls per library, back to back after a warm-up; ratio = peer / convkit (> 1: "
          f"convkit faster). Load average at the start: {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} CPUs (other work skews the numbers).\n\n"
          f"This machine's ceilings (bench/peak):\n\n{peak_table()}")
    failures, results = [], {}
    with scipy.fft.set_workers(args.threads):
        for name in sections:
            results[name] = globals()[f"run_{name}"](args, failures)
    print("\n## Summary of targets\n")
    for name in sections:
        for group, label, target, floor in TARGETS[name]:
            geo_line(label, results[name][group], target, floor)
    print(f"- checks: {'all passed' if not failures else f'{len(failures)} FAILED'}")
    for f in failures:
        print(f"  - {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
