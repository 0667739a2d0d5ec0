#!/usr/bin/env python3
"""PyTorch's torch.nn.functional.conv2d on the data bench_nn wrote, checked and timed.

    peers_torch.py --dir DIR --case ID[,ID...] [--threads N (default 2)] [--repeats N (default 11)]

For each case, DIR/<case>.{x,w,b,y}.npy (input, weights, bias, convkit's output) and
DIR/<case>.json (stride, padding, groups) come from `bench_nn --npy-dir DIR`. Runs
F.conv2d(x, w, b, stride, padding, groups=groups) under torch.inference_mode() with
torch.set_num_threads(N) (run.sh also sets OMP_NUM_THREADS=N): one call whose output is
checked (max |torch - convkit| / max |torch| <= 1e-4), three warm-up calls, then the median of
--repeats timed calls.

F.conv2d has no out= argument: each call allocates its output (and ATen/oneDNN their temporary
buffers). So that no timed call pays for faulting in fresh pages (convkit and oneDNN write into
outputs allocated once), glibc's malloc is told, before torch is imported, to serve blocks up to
32 MiB from its heap (M_MMAP_THRESHOLD) and never to give freed heap memory back to the system
(M_TRIM_THRESHOLD): after the warm-up every call reuses memory already mapped. The minor page
faults per timed call are measured (getrusage) and printed, to show it.

Prints a {"meta": ...} line, then one JSON line per case:
    {"case", "threads", "torch": {"ms", "backend", "faults_per_call", "check": {...}}}
A case that fails prints {"case", "threads", "error"}. Exit status 1 on a failed check or error.
"""

import argparse
import json
import math
import os
import resource
import statistics
import sys
import time

import numpy as np

TOLERANCE = 1e-4


def keep_freed_memory():
    """glibc mallopt: heap (not mmap) for blocks up to 32 MiB, no trimming. True when applied."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        m_trim_threshold, m_mmap_threshold = -1, -3
        return bool(libc.mallopt(m_mmap_threshold, 32 << 20)) and \
            bool(libc.mallopt(m_trim_threshold, 2**31 - 1))
    except (OSError, AttributeError):  # not glibc
        return False


def minor_faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def onednn_version(torch):
    for line in torch.__config__.show().splitlines():
        if "MKL-DNN" in line or "oneDNN" in line:
            for word in line.split():
                if word.startswith("v") and word[1:2].isdigit():
                    return word[1:]
    return "?"


def conv_backend(torch, x, w, b, stride, padding, groups):
    """The backend ATen picks for this convolution (Mkldnn, Slow2d, ...), when it can say."""
    try:
        be = torch._C._select_conv_backend(x, w, b, [stride] * 2, [padding] * 2, [1, 1], False,
                                           [0, 0], groups, None)
        return str(be).split(".")[-1]
    except Exception:  # a private API: absent or changed in another version
        return "?"


def run_case(torch, F, directory, case, threads, repeats):
    base = os.path.join(directory, case)
    with open(base + ".json") as f:
        params = json.load(f)
    x = torch.from_numpy(np.load(base + ".x.npy"))
    w = torch.from_numpy(np.load(base + ".w.npy"))
    b = torch.from_numpy(np.load(base + ".b.npy"))
    y_convkit = np.load(base + ".y.npy")
    stride, padding, groups = params["stride"], params["padding"], params["groups"]

    def call():
        return F.conv2d(x, w, b, stride=stride, padding=padding, groups=groups)

    with torch.inference_mode():
        out = call()
        ref = out.numpy().astype(np.float64)
        diff = np.abs(ref - y_convkit.astype(np.float64))
        max_diff = float(diff.max()) if not np.isnan(diff).any() else math.inf
        max_ref = float(np.abs(ref).max())
        rel = max_diff / max_ref if max_ref > 0 else max_diff
        check = {"max_abs_diff": max_diff, "max_abs_ref": max_ref, "rel_err": rel,
                 "tolerance": TOLERANCE, "ok": bool(rel <= TOLERANCE),
                 "shape_ok": list(ref.shape) == list(y_convkit.shape)}
        check["ok"] = check["ok"] and check["shape_ok"]
        del out, ref, diff
        # Warm-up after the check: the check's large temporaries, once freed, may be trimmed
        # from the heap, and the next calls would fault their buffers in again.
        for _ in range(3):
            out = call()
            del out
        times, faults = [], 0
        for _ in range(repeats):
            f0 = minor_faults()
            t0 = time.perf_counter()
            out = call()
            times.append((time.perf_counter() - t0) * 1e3)
            faults += minor_faults() - f0
            del out
        backend = conv_backend(torch, x, w, b, stride, padding, groups)
    return {"case": case, "threads": threads,
            "torch": {"ms": statistics.median(times), "backend": backend,
                      "faults_per_call": faults / repeats, "check": check}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True, help="bench_nn --npy-dir output")
    ap.add_argument("--case", required=True, help="case id(s), comma separated")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=11)
    args = ap.parse_args()

    mallopt = keep_freed_memory()
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(args.threads)
    print(json.dumps({"meta": {"torch": torch.__version__, "torch_onednn": onednn_version(torch),
                               "threads": torch.get_num_threads(),
                               "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset"),
                               "repeats": args.repeats, "mallopt": mallopt}}), flush=True)
    status = 0
    for case in args.case.split(","):
        try:
            row = run_case(torch, F, args.dir, case, args.threads, args.repeats)
            if not row["torch"]["check"]["ok"]:
                status = 1
        except Exception as e:  # reported as a row, never dropped
            row = {"case": case, "threads": args.threads, "error": f"{type(e).__name__}: {e}"}
            status = 1
        print(json.dumps(row), flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
