"""The learner's and inverse-problem tools from Python, against their peers, from one run.

    .venv/bin/python bench/python/bench_linalg.py [--quick]

Each case times the user's call (argument checks, allocation included; no plan objects, no
out=) for convkit and the peer on the same data, checks the values agree first, and prints
medians of repeated runs and the ratio peer / convkit (> 1: convkit faster):
nn.unfold / nn.fold against torch.nn.functional (2.13 CPU), cv.integral* against cv2,
integral_image against skimage, convolution_matrix against scipy.linalg, a
ConvolutionOperator's matvec + rmatvec against the same map as a SciPy CSR matrix, and the
cost of a step-by-step trace and its renders. The header has this machine's FMA and memory
ceilings (bench/peak, as bench_user.py).
"""

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np
import scipy.linalg
import torch
import torch.nn.functional as F
from skimage import transform

import convkit
import convkit.cv as cv
from convkit import linalg, nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_restoration import median_time  # noqa: E402
from bench_user import peak_table  # noqa: E402


def cases(rng, quick):
    s = 0.5 if quick else 1.0
    x = rng.standard_normal((8, 64, int(56 * s), int(56 * s)), dtype=np.float32)
    xt = torch.from_numpy(x)
    cols = nn.unfold(x, 3, padding=1)
    colst = torch.from_numpy(cols)
    hw = x.shape[2:]
    img3 = rng.integers(0, 256, (int(1080 * s), int(1920 * s), 3), dtype=np.uint8)
    gray = np.ascontiguousarray(img3[..., 0])
    f32 = rng.random(gray.shape, dtype=np.float32)
    big = rng.integers(0, 256, (int(2048 * s), int(2048 * s)), dtype=np.uint8)
    a = rng.standard_normal(64)
    kern = rng.standard_normal((5, 5))
    n = int(256 * s)
    A = linalg.convolution_matrix_2d(kern, (n, n), mode="same", boundary="symm")
    op = linalg.ConvolutionOperator(kern, (n, n), mode="same", boundary="symm")
    v = rng.standard_normal(n * n)
    return [
        ("nn.unfold 8x64x56x56, 3x3 pad 1", "torch",
         lambda: nn.unfold(x, 3, padding=1), lambda: F.unfold(xt, 3, padding=1).numpy()),
        ("nn.fold (the same columns back)", "torch",
         lambda: nn.fold(cols, hw, 3, padding=1), lambda: F.fold(colst, hw, 3, padding=1).numpy()),
        ("cv.integral 1080p u8x3 -> int32", "cv2",
         lambda: cv.integral(img3), lambda: cv2.integral(img3)),
        ("cv.integral2 1080p u8 -> int32, f64", "cv2",
         lambda: cv.integral2(gray), lambda: cv2.integral2(gray)),
        ("cv.integral3 1080p u8 (tilted)", "cv2",
         lambda: cv.integral3(gray), lambda: cv2.integral3(gray)),
        ("cv.integral 1080p f32 -> f64", "cv2",
         lambda: cv.integral(f32), lambda: cv2.integral(f32)),
        ("integral_image 2048^2 u8", "skimage",
         lambda: convkit.integral_image(big), lambda: transform.integral_image(big)),
        ("integral_image 1080p f32", "skimage",
         lambda: convkit.integral_image(f32), lambda: transform.integral_image(f32)),
        ("convolution_matrix(a[64], 2000)", "scipy",
         lambda: linalg.convolution_matrix(a, 2000), lambda: scipy.linalg.convolution_matrix(a, 2000)),
        (f"ConvolutionOperator {n}^2 5x5 symm: A x + A^T y", "scipy CSR",
         lambda: (op.matvec(v), op.rmatvec(v)), lambda: (A @ v, A.T @ v)),
    ]


def same(a, b):
    a = a if isinstance(a, tuple) else (a,)
    b = b if isinstance(b, tuple) else (b,)
    return all(np.allclose(np.asarray(p), np.asarray(q), rtol=1e-6, atol=1e-6 * max(1.0, float(np.abs(q).max())))
               for p, q in zip(a, b))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    args = ap.parse_args()
    torch.set_num_threads(2)
    cv2.setNumThreads(2)
    print(peak_table())
    rng = np.random.default_rng(0)
    repeats = 3 if args.quick else 15
    rows = []
    for name, peer, ours, theirs in cases(rng, args.quick):
        assert same(ours(), theirs()), f"{name}: values differ from {peer}"
        t_ours = median_time(ours, repeats)
        t_peer = median_time(theirs, repeats)
        rows.append((name, peer, t_peer * 1e3, t_ours * 1e3, t_peer / t_ours))
    print("| case | peer | peer (ms) | convkit (ms) | peer / convkit |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, peer, tp, to, r in rows:
        print(f"| {name} | {peer} | {tp:.3f} | {to:.3f} | {r:.2f}x |")
    ratios = [r[4] for r in rows]
    print(f"geomean peer / convkit: {float(np.exp(np.mean(np.log(ratios)))):.2f}x")

    ex = np.loadtxt(Path(__file__).resolve().parents[2] / "data" / "exercise8x8.txt")
    k = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    print("\nsteps of the 8x8 exercise (36 cells), from Python:")
    for label, fn in [("trace + every record", lambda: list(convkit.steps(ex, k))),
                      ("render text", lambda: convkit.steps(ex, k).render("text")),
                      ("render svg (first frame)", lambda: convkit.steps(ex, k).render("svg")),
                      ("render html (36 frames)", lambda: convkit.steps(ex, k).render("html")),
                      ("render gif (36 frames)", lambda: convkit.steps(ex, k).render("gif"))]:
        print(f"  {label:28s} {median_time(fn, repeats) * 1e3:8.2f} ms")


if __name__ == "__main__":
    main()
