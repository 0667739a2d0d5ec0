#!/usr/bin/env python3
"""Merges the outputs of bench_peak, bench_compare and peers.py into one markdown table.

    merge.py --peak peak.txt --convkit convkit.jsonl --peers peers.jsonl

ratio = peer ms / convkit ms (> 1: convkit is faster). A case with several peer functions gets
one row per function (the convkit numbers repeated). Below the table: the geometric mean of each
ratio column, the 3x3 f32 cases as % of the measured FMA peak, the box case as % of the measured
copy bandwidth, and every correctness check (a failed one is printed as FAILED, never hidden).
Exit status 1 when any check failed or any case reported an error.
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
    meta, rows, errors = {}, {}, []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            obj = json.loads(line)
            if "meta" in obj:
                meta = obj["meta"]
            elif "error" in obj:
                errors.append(obj)
            else:
                rows[obj["case"]] = obj
    return meta, rows, errors


def parse_peak(path):
    """bench_peak's markdown: {'machine', 'fma': {row name: (1 thread, 2 threads)}, 'copy': ...}."""
    peak = {"machine": "", "fma": {}, "copy": None, "read": None}
    with open(path) as f:
        for line in f:
            if line.startswith("machine:"):
                peak["machine"] = line.split(":", 1)[1].strip()
            m = re.match(r"\|\s*([^|]+?)\s*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|", line)
            if not m:
                continue
            name, one, two = m.group(1), float(m.group(2)), float(m.group(3))
            if "AVX" in name:
                peak["fma"][name] = (one, two)
            elif name.startswith("copy"):
                peak["copy"] = (one, two)
            elif name.startswith("read"):
                peak["read"] = (one, two)
    return peak


def short_cv(fn):
    return fn.replace("cv::", "").replace("cv2.", "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peak", required=True)
    ap.add_argument("--convkit", required=True)
    ap.add_argument("--peers", required=True)
    ap.add_argument("--load", default="", help="load average when the run started")
    args = ap.parse_args()

    ck_meta, ck_rows, ck_errors = read_jsonl(args.convkit)
    py_meta, py_rows, py_errors = read_jsonl(args.peers)
    peak = parse_peak(args.peak)
    threads = int(ck_meta.get("threads", 2))

    print(f"convkit {ck_meta.get('convkit', '?')} (ISA {ck_meta.get('isa', '?')}) vs OpenCV "
          f"{ck_meta.get('opencv', '?')} (Debian, C++; parallel: {ck_meta.get('opencv_parallel', '?')}), "
          f"OpenCV {py_meta.get('cv2', '?')} (PyPI) and SciPy {py_meta.get('scipy', '?')} "
          f"(NumPy {py_meta.get('numpy', '?')}); {threads} threads; median of "
          f"{ck_meta.get('repeats', '?')} runs after a warm-up; machine: {peak['machine'] or '?'}"
          + (f"; load average at the start: {args.load}" if args.load else ""))
    print()
    print("| case | convkit ms | algorithm | plan ms | OpenCV 4.6 ms | ratio | "
          "OpenCV 5.x (PyPI) ms | ratio | SciPy function | SciPy ms | ratio |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")

    cols = {"cv46": [], "cv5": [], "scipy": []}
    order = list(ck_rows) + [c for c in py_rows if c not in ck_rows]
    failed = []
    for case in order:
        ck = ck_rows.get(case)
        py = py_rows.get(case, {})
        label = ck["label"] if ck else case
        ck_ms = ck["convkit_ms"] if ck else None
        alg = ck["algorithm"] if ck else "—"
        if ck and not ck["check"]["ok"]:
            alg += " ⚠ MISMATCH"
            failed.append(case)
        plan_ms = fmt_ms(ck.get("plan_ms")) if ck else "—"
        if ck and ck.get("plan_ms") is None:
            plan_ms = "incl."
        cv46 = ([ck["opencv"]] + ck["opencv_extra"]) if ck else []
        cv5 = ([py["cv2"]] if py.get("cv2") else []) + py.get("cv2_extra", [])
        scipy_cells = py.get("scipy", [])
        n = max(1, len(cv46), len(cv5), len(scipy_cells))
        for i in range(n):
            a = cv46[i] if i < len(cv46) else None
            b = cv5[i] if i < len(cv5) else None
            s = scipy_cells[i] if i < len(scipy_cells) else None
            name = label
            if i > 0 and (a or b):  # a second OpenCV function for the same case
                name += f" — OpenCV {short_cv((a or b)['fn'])}"
            r46 = ratio(a["ms"] if a else None, ck_ms)
            r5 = ratio(b["ms"] if b else None, ck_ms)
            rs = ratio(s["ms"] if s else None, ck_ms)
            cols["cv46"].append(r46)
            cols["cv5"].append(r5)
            cols["scipy"].append(rs)
            s_ms = "—"
            if s:
                s_ms = fmt_ms(s["ms"]) + (f" (scaled from {s['crop']})" if s.get("scaled") else "")
            s_fn = "—"
            if s:
                s_fn = s["fn"] + (f", {s['workers']} workers" if s.get("workers", 1) > 1 else "")
            print(f"| {name} | {fmt_ms(ck_ms)} | {alg if i == 0 else '″'} | "
                  f"{plan_ms if i == 0 else '″'} | {fmt_ms(a['ms']) if a else '—'} | {fmt_ratio(r46)} | "
                  f"{fmt_ms(b['ms']) if b else '—'} | {fmt_ratio(r5)} | {s_fn} | {s_ms} | "
                  f"{fmt_ratio(rs)} |")
    g = {k: geomean(v) for k, v in cols.items()}
    print(f"| **geometric mean** | | | | | **{fmt_ratio(g['cv46'])}** | | **{fmt_ratio(g['cv5'])}** "
          f"| | | **{fmt_ratio(g['scipy'])}** |")
    print()
    print("ratio = peer ms / convkit ms (> 1: convkit is faster). plan ms: building convkit's "
          "plan, timed once (the first time), not part of convkit ms. OpenCV 4.6's CPU paths for "
          "these functions gain nothing from a second thread on this kind of machine (compare "
          "`--threads 1`); scipy.ndimage and "
          "signal.convolve2d are single-threaded; fftconvolve / oaconvolve run under "
          "scipy.fft.set_workers. OpenCV has no 'full' mode: its f64 full row is copyMakeBorder "
          "(zero padding, timed) + filter2D with the flipped kernel.")

    # Against the machine's ceilings.
    isa = ck_meta.get("isa", "")
    fma_row = next((k for k in peak["fma"] if ("512" in k) == (isa == "AVX3")), None)
    col = 0 if threads == 1 else 1
    tcol = "1 thread" if threads == 1 else "2 threads"
    if fma_row:
        fma = peak["fma"][fma_row][col]
        for case in ("f32-1080p-3x3", "f32-512-3x3"):
            ck = ck_rows.get(case)
            if ck and ck.get("flops"):
                gf = ck["flops"] / (ck["convkit_ms"] * 1e-3) * 1e-9
                print(f"- {ck['label']}: {gf:.1f} GFLOP/s (2 x 9 taps x pixels / time) = "
                      f"{100 * gf / fma:.1f}% of the measured f32 FMA peak ({fma:.1f} GFLOP/s, "
                      f"{fma_row}, {tcol})")
    else:
        print("- FMA peak: not found in bench_peak's output")
    box = ck_rows.get("u8-4096-box51")
    if box and peak["copy"]:
        bw = peak["copy"][col]
        gbs = box["bytes"] / (box["convkit_ms"] * 1e-3) * 1e-9
        print(f"- {box['label']}: {gbs:.1f} GB/s effective (16.8 MB read + 16.8 MB written / time) = "
              f"{100 * gbs / bw:.1f}% of the measured copy bandwidth ({bw:.1f} GB/s, memcpy "
              f"read + write, {tcol})")
    if threads > 2:
        print(f"- (bench_peak measures 1 and 2 threads; the {threads}-thread run is compared with "
              "the 2-thread peak)")

    # Correctness, every check.
    print()
    print("Checks (before timing):")
    for case in order:
        ck = ck_rows.get(case)
        if ck:
            c = ck["check"]
            what = "bit-exact" if c["exact_required"] else f"tolerance {c['tolerance']:g}"
            status = "ok" if c["ok"] else "FAILED"
            extra = f"; {c['note']}" if c.get("note") else ""
            print(f"- {case}: convkit ({ck['convkit_api']}) vs {c['against']} 4.6: {status}, "
                  f"max |diff| {c['max_abs_diff']:.3g} (max |value| {c['max_abs_ref']:.3g}), "
                  f"{c['mismatches']} of {c['total']} elements differ ({what}){extra}")
        for c in py_rows.get(case, {}).get("checks", []):
            status = "ok" if c["ok"] else "FAILED"
            if not c["ok"]:
                failed.append(f"{case} ({c['what']})")
            print(f"- {case}: {c['what']}: {status}, max |diff| {c['max_abs_diff']:.3g}, "
                  f"{c['mismatches']} of {c['total']} differ (tolerance {c['tolerance']:g})")
    for e in ck_errors + py_errors:
        failed.append(e["case"])
        print(f"- {e['case']}: ERROR {e['error']}")
    if failed:
        print()
        print("FAILED: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
