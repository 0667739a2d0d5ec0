#!/usr/bin/env python3
"""Training convolutions from Python (issue 12): forward and gradients, convkit vs PyTorch.

    .venv/bin/python bench/nn/bench_train.py [--threads 1,2] [--min-reps 5] [--budget 0.3]
                                             [--only ID[,ID]] [--list] [--quick] [--torch-only]

Cases (f32, NCHW, with bias): ResNet-50 layers at batch 8 (3x3 64->64 56x56 pad 1; 1x1 256->64
56x56; 3x3 stride 2 pad 1 128->128 on a 56x56 input, torchvision's downsampling conv; 3x3
256->256 14x14 pad 1), the DCGAN generator's transposed 4x4 stride 2 pad 1 layers at batch 32
(512->256 8x8, 256->128 16x16, 128->64 32x32), a U-Net decoder's transposed convolutions at batch
2 (2x2 stride 2 256->128 64x64; 3x3 stride 2 pad 1 output_padding 1 128->64 64x64), and a
MobileNet depthwise 3x3 pad 1 (128 channels, 56x56, batch 8).

Per case and thread count (torch.set_num_threads and convkit.set_num_threads, then
convkit.clear_plan_cache(): a cached plan keeps the thread count it was built with), five
directions, each timed for PyTorch and for convkit as a user calls them, every result allocated
by the call:

  forward           torch.nn.functional.conv2d / conv_transpose2d  |  convkit.nn.conv2d /
                    conv_transpose2d on NumPy views of the same tensors
  grad-input        torch.ops.aten.convolution_backward with output_mask (True, False, False),
                    what autograd calls (torch.nn.grad.conv2d_input is a slow unfold-based path
                    with stride > 1 in some versions)  |  convkit.nn.grad.conv2d_input /
                    conv_transpose2d_input
  grad-weight       convolution_backward, mask (False, True, False)  |  convkit.nn.grad.
                    conv2d_weight / conv_transpose2d_weight
  fwd+bwd           forward + convolution_backward, mask (True, True, True)  |  forward +
                    grad-input + grad-weight + convkit.nn.grad.conv2d_bias
  fwd+bwd autograd  y = F.conv2d(x, w, b) (or conv_transpose2d); y.backward(gy), with x, w, b
                    requiring grad  |  the same through convkit.torch.conv2d / conv_transpose2d

Timing: per direction, PyTorch's calls back to back, then convkit's (never interleaved call by
call, for the reason bench/nn gives), each after one warm-up call: the median of at least
--min-reps timed calls (default 5) that also cover --budget seconds (default 0.3; at most 1000
calls). ratio = torch ms / convkit ms (> 1: convkit faster). "GFLOP/s" is convkit's rate on the
dense count 2 * N * K * P * Q * (C / groups) * R * S (transposed: the input's pixels times the
taps; the same count for grad-input and grad-weight, three times it for fwd+bwd), with its share
of bench/peak's f32 FMA peak for the thread count; "bwd/fwd per FLOP" is convkit's time per
FLOP of the row over its forward's.

Before timing, per case and thread count, convkit's forward output, its three gradients
(NumPy functions) and the autograd path's x.grad, w.grad, b.grad are checked against PyTorch's:
max |convkit - torch| / max |torch| <= 1e-4, else MISMATCH (an exception: ERROR), listed at the
end, exit status 1.

The summary gives, per thread count, the geometric mean of each direction's ratios (fwd+bwd
first) and the smallest ratio of all. --quick: four cases (one per family), 2 timed calls, no
time budget -- a smoke run. --torch-only times PyTorch alone (no convkit columns, no checks).
The header prints bench/peak's FMA and memory ceilings (bench_peak, built once with g++ into
build-bench-peak/).
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

import numpy as np
import torch
import torch.nn.functional as F

import convkit

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))
import report  # noqa: E402  (bench/report.py: the benchmarks' number formatting)

TOLERANCE = 1e-4
MAX_REPS = 1000
PEAK_BIN = ROOT / "build-bench-peak" / "bench_peak"
DIRECTIONS = ("forward", "grad-input", "grad-weight", "fwd+bwd", "fwd+bwd autograd")
FLOP_FACTOR = {"forward": 1, "grad-input": 1, "grad-weight": 1, "fwd+bwd": 3,
               "fwd+bwd autograd": 3}


class Case:
    """One layer. Weights: conv (K, C/groups, R, S); transposed (C, K/groups, R, S)."""

    def __init__(self, cid, n, c, k, h, w, r, stride=1, padding=0, output_padding=0, groups=1,
                 dilation=1, transposed=False):
        self.id, self.n, self.c, self.k, self.h, self.w, self.r = cid, n, c, k, h, w, r
        self.stride, self.padding, self.output_padding = stride, padding, output_padding
        self.groups, self.dilation, self.transposed = groups, dilation, transposed
        span = dilation * (r - 1) + 1
        if transposed:
            self.p = (h - 1) * stride - 2 * padding + span + output_padding
            self.q = (w - 1) * stride - 2 * padding + span + output_padding
            self.w_shape = (c, k // groups, r, r)
            self.flops = 2 * n * c * h * w * (k // groups) * r * r
        else:
            self.p = (h + 2 * padding - span) // stride + 1
            self.q = (w + 2 * padding - span) // stride + 1
            self.w_shape = (k, c // groups, r, r)
            self.flops = 2 * n * k * self.p * self.q * (c // groups) * r * r

    def describe(self):
        kind = "convT" if self.transposed else ("dwconv" if self.groups == self.c > 1 else "conv")
        extra = f" op{self.output_padding}" if self.output_padding else ""
        return (f"{kind} {self.r}x{self.r} s{self.stride} p{self.padding}{extra} "
                f"{self.c}->{self.k} {self.h}x{self.w} -> {self.p}x{self.q}, batch {self.n}")


CASES = [
    Case("resnet-3x3-64-56", 8, 64, 64, 56, 56, 3, padding=1),
    Case("resnet-1x1-256-64-56", 8, 256, 64, 56, 56, 1),
    Case("resnet-3x3s2-128-56", 8, 128, 128, 56, 56, 3, stride=2, padding=1),
    Case("resnet-3x3-256-14", 8, 256, 256, 14, 14, 3, padding=1),
    Case("dcgan-512-256-8", 32, 512, 256, 8, 8, 4, stride=2, padding=1, transposed=True),
    Case("dcgan-256-128-16", 32, 256, 128, 16, 16, 4, stride=2, padding=1, transposed=True),
    Case("dcgan-128-64-32", 32, 128, 64, 32, 32, 4, stride=2, padding=1, transposed=True),
    Case("unet-2x2s2-256-128-64", 2, 256, 128, 64, 64, 2, stride=2, transposed=True),
    Case("unet-3x3s2op1-128-64-64", 2, 128, 64, 64, 64, 3, stride=2, padding=1,
         output_padding=1, transposed=True),
    Case("dw3x3-128-56", 8, 128, 128, 56, 56, 3, padding=1, groups=128),
]
QUICK = ("resnet-3x3s2-128-56", "dcgan-512-256-8", "unet-3x3s2op1-128-64-64", "dw3x3-128-56")


def measure(fn, min_reps, budget_s):
    """(median ms, calls timed): one warm-up call, then >= min_reps calls covering budget_s."""
    fn()
    times, spent = [], 0.0
    while len(times) < min_reps or (spent < budget_s and len(times) < MAX_REPS):
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        times.append(dt * 1e3)
        spent += dt
    return statistics.median(times), len(times)


def rel_err(ours, ref):
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    if ours.shape != ref.shape:
        return math.inf
    diff = np.abs(ours - ref)
    if np.isnan(diff).any():
        return math.inf
    scale = float(np.abs(ref).max()) if ref.size else 0.0
    worst = float(diff.max()) if diff.size else 0.0
    return worst / scale if scale > 0 else worst


def torch_calls(case, x, w, b, gy):
    """PyTorch's callables per direction, and a function giving (y, gx, gw, gb) once."""
    s, p, d, g = [case.stride] * 2, [case.padding] * 2, [case.dilation] * 2, case.groups
    op = [case.output_padding] * 2
    t = case.transposed
    bias_sizes = [case.k]
    backward = torch.ops.aten.convolution_backward

    if t:
        def fwd():
            return F.conv_transpose2d(x, w, b, s, p, op, g, d)
    else:
        def fwd():
            return F.conv2d(x, w, b, s, p, d, g)

    def bwd(mask):
        return backward(gy, x, w, bias_sizes, s, p, d, t, op if t else [0, 0], g, mask)

    xa, wa, ba = (v.detach().requires_grad_() for v in (x, w, b))

    def autograd():
        xa.grad = wa.grad = ba.grad = None
        if t:
            y = F.conv_transpose2d(xa, wa, ba, s, p, op, g, d)
        else:
            y = F.conv2d(xa, wa, ba, s, p, d, g)
        y.backward(gy)

    def fwd_bwd():
        return fwd(), bwd([True, True, True])

    calls = {"forward": fwd,
             "grad-input": lambda: bwd([True, False, False]),
             "grad-weight": lambda: bwd([False, True, False]),
             "fwd+bwd": fwd_bwd,
             "fwd+bwd autograd": autograd}

    def reference():
        y, (gx, gw, gb) = fwd_bwd()
        return [v.numpy() for v in (y, gx, gw, gb)]
    return calls, reference


def convkit_calls(case, x, w, b, gy, knn, kgrad, ktorch):
    """convkit's callables per direction, and a function giving the results to check."""
    xn, wn, bn, gyn = (v.numpy() for v in (x, w, b, gy))
    common = dict(stride=case.stride, padding=case.padding, dilation=case.dilation,
                  groups=case.groups)
    if case.transposed:
        common["output_padding"] = case.output_padding

        def fwd():
            return knn.conv_transpose2d(xn, wn, bn, **common)

        def gin():
            return kgrad.conv_transpose2d_input(xn.shape, wn, gyn, **common)

        def gwt():
            return kgrad.conv_transpose2d_weight(xn, wn.shape, gyn, **common)
        gbias = getattr(kgrad, "conv_transpose2d_bias", kgrad.conv2d_bias)
        torch_fn = ktorch.conv_transpose2d if ktorch else None
    else:
        def fwd():
            return knn.conv2d(xn, wn, bn, **common)

        def gin():
            return kgrad.conv2d_input(xn.shape, wn, gyn, **common)

        def gwt():
            return kgrad.conv2d_weight(xn, wn.shape, gyn, **common)
        gbias = kgrad.conv2d_bias
        torch_fn = ktorch.conv2d if ktorch else None

    def fwd_bwd():
        return fwd(), gin(), gwt(), gbias(gyn)

    calls = {"forward": fwd, "grad-input": gin, "grad-weight": gwt, "fwd+bwd": fwd_bwd}
    xa, wa, ba = (v.detach().requires_grad_() for v in (x, w, b))
    if torch_fn is not None:
        def autograd():
            xa.grad = wa.grad = ba.grad = None
            torch_fn(xa, wa, ba, **common).backward(gy)
        calls["fwd+bwd autograd"] = autograd

    def results():
        """{name: array} for the check: the NumPy functions' and the autograd path's."""
        out = dict(zip(("y", "gx", "gw", "gb"), (np.asarray(v) for v in fwd_bwd())))
        if torch_fn is not None:
            calls["fwd+bwd autograd"]()
            for name, v in (("autograd gx", xa), ("autograd gw", wa), ("autograd gb", ba)):
                out[name] = v.grad.numpy() if v.grad is not None else None
        return out
    return calls, results


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


def fma_peaks(table):
    """{threads: best f32 FMA GFLOP/s}, read from bench_peak's '| f32 FMA peak | ...' table."""
    peaks, columns, in_fma = {}, [], False
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| f32 FMA peak"):
            columns = [int(c.split()[0]) if c.split() and c.split()[0].isdigit() else None
                       for c in cells[1:]]
            in_fma = True
        elif in_fma and line.startswith("|") and not set(cells[0]) <= set("-: "):
            for t, v in zip(columns, cells[1:]):
                try:
                    if t is not None:
                        peaks[t] = max(peaks.get(t, 0.0), float(v))
                except ValueError:
                    pass
        elif not line.startswith("|"):
            in_fma = False
    return peaks


def torch_backend(case, x, w, b):
    """The backend ATen picks for this convolution (Mkldnn, SlowTranspose2d, ...), if it says."""
    try:
        be = torch._C._select_conv_backend(x, w, b, [case.stride] * 2, [case.padding] * 2,
                                           [case.dilation] * 2, case.transposed,
                                           [case.output_padding] * 2, case.groups, None)
        name = str(be).split(".")[-1]
        # torch 2.13's Python enum lacks a name for MkldnnTranspose (ATen's value 9).
        return {9: "MkldnnTranspose"}.get(int(be), name) if name == "???" else name
    except Exception:  # a private API: absent or changed in another version
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", default="1,2", help="thread counts, comma separated (1,2)")
    ap.add_argument("--min-reps", type=int, default=None, help="timed calls at least (5)")
    ap.add_argument("--budget", type=float, default=None,
                    help="seconds of timed calls per measurement at least (0.3)")
    ap.add_argument("--only", default=None, help="case ids, comma separated (see --list)")
    ap.add_argument("--list", action="store_true", help="print the cases and exit")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: 4 cases, 2 timed calls, no time budget")
    ap.add_argument("--torch-only", action="store_true", help="time PyTorch alone")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.list:
        for c in CASES:
            print(f"{c.id:<26} {c.describe()}")
        return 0
    args.min_reps = args.min_reps or (2 if args.quick else 5)
    args.budget = args.budget if args.budget is not None else (0.0 if args.quick else 0.3)
    try:
        threads = [int(t) for t in args.threads.split(",") if t.strip()]
    except ValueError:
        ap.error("--threads: a list of ints such as 1,2")
    if not threads or min(threads) < 1 or args.min_reps < 1 or args.budget < 0:
        ap.error("--threads and --min-reps must be positive, --budget >= 0")
    cases = CASES
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in {c.id for c in CASES}]
        if unknown:
            ap.error(f"--only: unknown case(s) {', '.join(unknown)} (see --list)")
        cases = [c for c in CASES if c.id in wanted]
    elif args.quick:
        cases = [c for c in CASES if c.id in QUICK]

    knn = kgrad = ktorch = None
    notes = []
    if not args.torch_only:
        import convkit.nn as knn
        import convkit.nn.grad as kgrad
        try:
            import convkit.torch as ktorch
        except ImportError as e:
            notes.append(f"convkit.torch not importable ({e}): no convkit 'fwd+bwd autograd'")

    peaks_text = peak_table()
    peaks = fma_peaks(peaks_text)
    print(f"# Training convolutions from Python: convkit vs PyTorch\n\n"
          f"convkit {convkit.__version__} (ISA {convkit.active_isa()}); PyTorch "
          f"{torch.__version__}; NumPy {np.__version__}. f32 NCHW with bias. Median of >= "
          f"{args.min_reps} timed calls covering >= {args.budget:g} s, after a warm-up call; "
          f"ratio = torch ms / convkit ms (> 1: convkit faster). Load average at the start: "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs (other work skews the numbers)."
          f"\n\nThis machine's ceilings (bench/peak):\n\n{peaks_text}\n")
    for n in notes:
        print(f"Note: {n}\n")

    rng = torch.Generator().manual_seed(args.seed)
    rows, failures, checks, backends = [], [], [], {}
    for case in cases:
        x = torch.randn(case.n, case.c, case.h, case.w, generator=rng)
        w = torch.randn(*case.w_shape, generator=rng) * (1.0 / math.sqrt(
            case.w_shape[1] * case.r * case.r))
        b = torch.randn(case.k, generator=rng)
        gy = torch.randn(case.n, case.k, case.p, case.q, generator=rng)
        backends[case.id] = torch_backend(case, x, w, b)
        t_calls, t_ref = torch_calls(case, x, w, b, gy)
        for nt in threads:
            torch.set_num_threads(nt)
            convkit.set_num_threads(nt)
            # A cached plan keeps the thread count it was built with (the cache's key does not
            # hold it): without this, the second thread count would run the first one's plans.
            convkit.clear_plan_cache()
            print(f"{case.id}, {nt} thread(s) ...", file=sys.stderr, flush=True)
            k_calls, ok = {}, True
            if not args.torch_only:
                try:
                    k_calls, k_results = convkit_calls(case, x, w, b, gy, knn, kgrad, ktorch)
                    ref = dict(zip(("y", "gx", "gw", "gb"), t_ref()))
                    ref.update({"autograd gx": ref["gx"], "autograd gw": ref["gw"],
                                "autograd gb": ref["gb"]})
                    errs = {k: (rel_err(v, ref[k]) if v is not None else math.inf)
                            for k, v in k_results().items()}
                    ok = all(e <= TOLERANCE for e in errs.values())
                    text = ", ".join(f"{k} {e:.1e}" for k, e in errs.items())
                    checks.append(f"{case.id}, {nt} thread(s): {'ok' if ok else 'MISMATCH'} "
                                  f"(max rel err: {text})")
                    if not ok:
                        failures.append(f"{case.id}, {nt} thread(s): MISMATCH ({text})")
                except Exception as e:  # reported, never dropped
                    failures.append(f"{case.id}, {nt} thread(s): ERROR {type(e).__name__}: {e}")
                    checks.append(failures[-1])
                    k_calls = {}
            times = {}
            for d in DIRECTIONS:
                t_ms, _ = measure(t_calls[d], args.min_reps, args.budget)
                k_ms = None
                if d in k_calls:
                    try:
                        k_ms, _ = measure(k_calls[d], args.min_reps, args.budget)
                    except Exception as e:
                        failures.append(f"{case.id}, {nt} thread(s), {d}: ERROR "
                                        f"{type(e).__name__}: {e}")
                times[d] = (t_ms, k_ms)
            k_fwd = times["forward"][1]
            for d in DIRECTIONS:
                t_ms, k_ms = times[d]
                flops = case.flops * FLOP_FACTOR[d]
                gflops = flops / (k_ms * 1e6) if k_ms else None
                per_flop = (k_ms / FLOP_FACTOR[d]) / k_fwd if k_ms and k_fwd and \
                    d != "forward" else None
                rows.append(dict(case=case.id, threads=nt, direction=d, torch=t_ms,
                                 convkit=k_ms, ratio=report.ratio(t_ms, k_ms), gflops=gflops,
                                 per_flop=per_flop, ok=ok))

    print("| case | threads | direction | torch ms | convkit ms | ratio | convkit GFLOP/s "
          "(% peak) | convkit bwd/fwd per FLOP |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        gf = "—"
        if r["gflops"] is not None:
            peak = peaks.get(r["threads"])
            gf = f"{r['gflops']:.1f}" + (f" ({100 * r['gflops'] / peak:.0f}%)" if peak else "")
        ratio = report.fmt_ratio(r["ratio"]) + ("" if r["ok"] else " MISMATCH")
        pf = "—" if r["per_flop"] is None else f"{r['per_flop']:.2f}"
        print(f"| {r['case']} | {r['threads']} | {r['direction']} | {report.fmt_ms(r['torch'])} "
              f"| {report.fmt_ms(r['convkit'])} | {ratio} | {gf} | {pf} |")

    print("\nCases:\n")
    for c in cases:
        print(f"- {c.id}: {c.describe()}, {c.flops / 1e9:.2f} GFLOP forward; PyTorch backend "
              f"{backends.get(c.id, '?')}")

    if not args.torch_only:
        print("\n## Summary: geometric mean of torch / convkit per direction\n")
        print("| threads | " + " | ".join(DIRECTIONS) + " | min ratio |")
        print("| ---: | " + " | ".join("---:" for _ in DIRECTIONS) + " | --- |")
        for nt in threads:
            mine = [r for r in rows if r["threads"] == nt]
            geos = [report.geomean([r["ratio"] for r in mine if r["direction"] == d])
                    for d in DIRECTIONS]
            rated = [r for r in mine if r["ratio"] is not None]
            low = min(rated, key=lambda r: r["ratio"]) if rated else None
            low_text = "—" if low is None else \
                f"{report.fmt_ratio(low['ratio'])} ({low['case']}, {low['direction']})"
            print(f"| {nt} | " + " | ".join(f"**{report.fmt_ratio(g)}**" if d.startswith("fwd")
                                             else report.fmt_ratio(g)
                                             for d, g in zip(DIRECTIONS, geos))
                  + f" | {low_text} |")
        print("\nChecks (convkit against PyTorch, max |diff| / max |torch| <= "
              f"{TOLERANCE:g}):\n")
        for c in checks:
            print(f"- {c}")
    print(f"\n- checks: {'all passed' if not failures else f'{len(failures)} FAILED'}")
    for f in failures:
        print(f"  - {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
