#!/usr/bin/env python3
"""Merges bench_peak, bench_nn and peers_torch.py outputs into one markdown table.

    merge.py --peak peak.txt --bench bench_nn.jsonl --torch torch.jsonl [--load "0.1 0.2 0.3"]

bench_nn.jsonl / torch.jsonl: every JSON line bench_nn / peers_torch.py printed, for every case
and thread count (rows are keyed by case and threads; meta lines may repeat). One table row per
(threads, case), thread counts in the order they first appear; ratio = peer ms / convkit ms
(> 1: convkit is faster); a geometric-mean row per thread count. Below the table: what each
library ran (convkit's algorithm is in the table; oneDNN's implementation and layouts; ATen's
convolution backend), the minor page faults per timed call, and every correctness check (a
failed one is printed as FAILED, never hidden). Exit status 1 when any check failed or any case
or library reported an error.
"""

import argparse
import json
import math
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from report import fmt_ms, fmt_ratio, geomean, ratio  # noqa: E402


def read_jsonl(path):
    metas, rows, errors = [], {}, []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            obj = json.loads(line)
            if "meta" in obj:
                metas.append(obj["meta"])
            elif "error" in obj:
                errors.append(obj)
            else:
                rows[(obj["case"], int(obj["threads"]))] = obj
    return metas, rows, errors


def parse_peak(path):
    """bench_peak's markdown: machine, and {FMA row name: (1 thread, 2 threads) GFLOP/s}."""
    peak = {"machine": "", "fma": {}}
    with open(path) as f:
        for line in f:
            if line.startswith("machine:"):
                peak["machine"] = line.split(":", 1)[1].strip()
            m = re.match(r"\|\s*([^|]+?)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|", line)
            if m and "AVX" in m.group(1):
                peak["fma"][m.group(1)] = (float(m.group(2)), float(m.group(3)))
    return peak


def best_peak(peak, threads):
    """The machine's best measured FMA peak for 1 or 2 threads (more threads: the 2-thread one)."""
    if not peak["fma"]:
        return None, None
    col = 0 if threads == 1 else 1
    name = max(peak["fma"], key=lambda k: peak["fma"][k][col])
    return name, peak["fma"][name][col]


def rate(flops, ms, peak):
    """ 'GFLOP/s (% of peak)' for flops done in ms."""
    if ms is None or not ms or flops is None:
        return "—"
    gf = flops / (ms * 1e-3) * 1e-9
    return f"{gf:.1f} ({100 * gf / peak:.0f}%)" if peak else f"{gf:.1f}"


def lib_ms(row, key):
    """ms of a library's entry in a bench_nn row, None when it is missing or failed."""
    if not row or key not in row or "error" in row[key]:
        return None
    return row[key]["ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peak", required=True)
    ap.add_argument("--bench", required=True, help="bench_nn JSON lines (all thread counts)")
    ap.add_argument("--torch", required=True, help="peers_torch.py JSON lines (all thread counts)")
    ap.add_argument("--load", default="", help="load average when the run started")
    args = ap.parse_args()

    b_metas, b_rows, b_errors = read_jsonl(args.bench)
    t_metas, t_rows, t_errors = read_jsonl(args.torch)
    peak = parse_peak(args.peak)
    bm = b_metas[0] if b_metas else {}
    tm = t_metas[0] if t_metas else {}

    keys = list(b_rows) + [k for k in t_rows if k not in b_rows]
    thread_counts = list(dict.fromkeys(t for _, t in keys))
    cases = list(dict.fromkeys(c for c, _ in keys))

    print(f"Conv2d forward, f32, NCHW in and out, with bias, no activation: convkit "
          f"{bm.get('convkit', '?')} (`nn::Conv2d`, planner's choice, ISA {bm.get('isa', '?')}) vs "
          f"oneDNN {bm.get('onednn', '?')} (Debian libdnnl, C++ API, {bm.get('onednn_cpu_runtime', '?')}"
          f" threads, convolution_direct) and PyTorch {tm.get('torch', '?')} "
          f"(`torch.nn.functional.conv2d`, CPU build, its own oneDNN {tm.get('torch_onednn', '?')}). "
          f"Median of {bm.get('repeats', '?')} timed runs after warm-up; threads set by "
          f"OMP_NUM_THREADS, `convkit::set_num_threads` and `torch.set_num_threads`; machine: "
          f"{peak['machine'] or '?'}" + (f"; load average at the start: {args.load}" if args.load else ""))
    print()
    print("| threads | case | convkit algorithm | convkit ms | convkit GFLOP/s (% peak) | "
          "convkit, non-padding taps only: GFLOP/s (% peak) | oneDNN own layout ms | GFLOP/s (% peak) "
          "| ratio | oneDNN NCHW ms | GFLOP/s (% peak) | ratio | PyTorch ms | GFLOP/s (% peak) | ratio |")
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
          "| ---: | ---: |")
    for t in thread_counts:
        _, pk = best_peak(peak, t)
        cols = {"blk": [], "nchw": [], "torch": []}
        for case in cases:
            b = b_rows.get((case, t))
            tr = t_rows.get((case, t), {}).get("torch")
            if not b and not tr:
                continue
            label = b["label"] if b else case
            flops = b["flops"] if b else None
            ck_ms = lib_ms(b, "convkit")
            alg = b["convkit"]["algorithm"] if b else "—"
            shape = b["shape"] if b else {}
            nonpad = "—"
            if b and shape["r"] == 3 and shape["s"] == 3 and shape["stride"] == 1:
                nonpad = rate(b["flops_nonpad"], ck_ms, pk)
            blk_ms, nchw_ms = lib_ms(b, "onednn_blocked"), lib_ms(b, "onednn_nchw")
            t_ms = tr["ms"] if tr else None
            r_blk, r_nchw, r_t = ratio(blk_ms, ck_ms), ratio(nchw_ms, ck_ms), ratio(t_ms, ck_ms)
            cols["blk"].append(r_blk)
            cols["nchw"].append(r_nchw)
            cols["torch"].append(r_t)
            print(f"| {t} | {label} | {alg} | {fmt_ms(ck_ms)} | {rate(flops, ck_ms, pk)} | {nonpad} | "
                  f"{fmt_ms(blk_ms)} | {rate(flops, blk_ms, pk)} | {fmt_ratio(r_blk)} | "
                  f"{fmt_ms(nchw_ms)} | {rate(flops, nchw_ms, pk)} | {fmt_ratio(r_nchw)} | "
                  f"{fmt_ms(t_ms)} | {rate(flops, t_ms, pk)} | {fmt_ratio(r_t)} |")
        g = {k: geomean(v) for k, v in cols.items()}
        print(f"| {t} | **geometric mean of the ratios, {t} thread{'s' if t > 1 else ''}** | | | | | | "
              f"| **{fmt_ratio(g['blk'])}** | | | **{fmt_ratio(g['nchw'])}** | | | "
              f"**{fmt_ratio(g['torch'])}** |")
    print()
    print("- ratio = peer ms / convkit ms (> 1: convkit is faster): oneDNN own layout / convkit, "
          "oneDNN NCHW / convkit, PyTorch / convkit.")
    print("- GFLOP/s = 2·N·K·P·Q·(C/groups)·R·S / time: every tap, padding included (the usual "
          "count). The non-padding column counts only the taps that land inside the input (what "
          "the 85%-of-peak target uses); shown for the 3x3 stride-1 cases.")
    for t in thread_counts:
        name, pk = best_peak(peak, t)
        if pk:
            extra = " (the 2-thread peak)" if t > 2 else ""
            print(f"- % peak, {t} thread{'s' if t > 1 else ''}: of bench_peak's measured f32 FMA "
                  f"peak, {name}, {pk:.1f} GFLOP/s{extra}.")
        else:
            print("- % peak: no FMA peak found in bench_peak's output")
    print("- convkit: `nn::Conv2d::forward(x, y)`, output allocated once; the plan is built once "
          "before timing. oneDNN own layout: `format_tag::any` for src/weights/dst, so its "
          "preferred kernel and layouts (listed below; blocked, or NHWC for brgconv); the "
          "reorders from/to NCHW are done once outside the timing. oneDNN NCHW: plain nchw src/dst, "
          "(g)oihw weights; only `execute` + `stream.wait` timed for both. PyTorch: `F.conv2d` "
          "under `torch.inference_mode()`; it allocates its output each call. Both processes set "
          "glibc's malloc to keep freed memory mapped (mallopt: no mmap below 32 MiB, no trim" +
          ("" if tm.get("mallopt") and bm.get("mallopt") else " — NOT applied in this run") +
          "), so that per-call allocations reuse mapped pages after the warm-up; see the page "
          "faults below.")

    # What each library ran.
    print()
    print("Implementations picked (oneDNN `primitive_desc::impl_info_str()`, layouts in oneDNN's "
          "notation: abcd = NCHW, acdb = NHWC, aBcd16b = nChw16c; ATen's convolution backend; convkit plan ms):")
    for case in cases:
        parts = []
        for t in thread_counts:
            b = b_rows.get((case, t))
            tr = t_rows.get((case, t), {}).get("torch")
            desc = []
            if b:
                for key, name in (("onednn_blocked", "oneDNN own layout"), ("onednn_nchw", "oneDNN NCHW")):
                    e = b[key]
                    if "error" in e:
                        desc.append(f"{name}: ERROR {e['error']}")
                    else:
                        desc.append(f"{name} `{e['impl']}` (src {e['src']}, weights {e['weights']}, "
                                    f"dst {e['dst']})")
                desc.append(f"convkit `{b['convkit']['algorithm']}` (plan {fmt_ms(b['convkit']['plan_ms'])} ms)")
            if tr:
                desc.append(f"PyTorch `{tr['backend']}`")
            parts.append((t, "; ".join(desc)))
        if len({d for _, d in parts}) == 1:
            print(f"- {case}: {parts[0][1]}")
        else:
            for t, d in parts:
                print(f"- {case} ({t} thread{'s' if t > 1 else ''}): {d}")

    # Page faults in the timed calls.
    faulty = []
    for (case, t) in keys:
        b = b_rows.get((case, t), {})
        tr = t_rows.get((case, t), {}).get("torch")
        for key, name in (("convkit", "convkit"), ("onednn_blocked", "oneDNN own layout"),
                          ("onednn_nchw", "oneDNN NCHW")):
            f = b.get(key, {}).get("faults_per_call")
            if f:
                faulty.append(f"{case}/{t}T {name} {f:.1f}")
        if tr and tr.get("faults_per_call"):
            faulty.append(f"{case}/{t}T PyTorch {tr['faults_per_call']:.1f}")
    print()
    print("Minor page faults per timed call: " +
          ("none in any timed call." if not faulty else ", ".join(faulty)))

    # Correctness, every check.
    failed = []
    print()
    print("Checks (before timing; max |a - b| / max |b|, tolerance 1e-4):")
    for case in cases:
        for t in thread_counts:
            b = b_rows.get((case, t))
            tr = t_rows.get((case, t), {}).get("torch")
            items = []
            for key, name in (("onednn_blocked", "oneDNN own layout"), ("onednn_nchw", "oneDNN NCHW")):
                if b and "check" in b[key]:
                    c = b[key]["check"]
                    items.append(f"convkit vs {name} {c['rel_err']:.2g} {'ok' if c['ok'] else 'FAILED'}")
                    if not c["ok"]:
                        failed.append(f"{case}/{t}T convkit vs {name}")
            if tr:
                c = tr["check"]
                items.append(f"convkit vs PyTorch {c['rel_err']:.2g} {'ok' if c['ok'] else 'FAILED'}")
                if not c["ok"]:
                    failed.append(f"{case}/{t}T convkit vs PyTorch")
            if items:
                print(f"- {case}, {t} thread{'s' if t > 1 else ''}: " + "; ".join(items))
    for key, row in b_rows.items():
        for lib in ("onednn_blocked", "onednn_nchw"):
            if "error" in row[lib]:
                failed.append(f"{key[0]}/{key[1]}T {lib} error")
    for e in b_errors + t_errors:
        failed.append(f"{e['case']}/{e.get('threads', '?')}T")
        print(f"- {e['case']}, {e.get('threads', '?')} threads: ERROR {e['error']}")
    if failed:
        print()
        print("FAILED: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
