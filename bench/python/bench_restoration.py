"""convkit.restoration against skimage.restoration (0.25.2, NumPy/SciPy FFTs) from one run.

    .venv/bin/python bench/python/bench_restoration.py [--quick]

Each case times the user's call from Python (allocation, dtype conversion, planning included)
for convkit and skimage on the same data, checks the values agree, and prints the engine time
(convkit._core, the C++ call without the Python front end) beside it. Medians of repeated runs.
Then: iterations accelerated Richardson-Lucy needs to reach plain RL's error after N iterations.
The header has this machine's FMA and memory ceilings (bench/peak, as bench_user.py).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from skimage import restoration as S

import convkit
import convkit.restoration as R
from convkit import _core

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_user import peak_table  # noqa: E402

TARGETS = {"rl": 10.0, "rl-large": 5.0, "wiener": 3.0}


def median_time(fn, repeats, budget_s=20.0):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if sum(times) > budget_s:
            break
    return statistics.median(times)


def cases(rng, quick):
    box = lambda n, d: np.ones((n,) * d) / n ** d  # noqa: E731
    img = lambda shape, dt: rng.random(shape).astype(dt)  # noqa: E731
    out = [
        ("rl", "RL 512x512 f32, 5x5, 30 it", img((512, 512), np.float32),
         box(5, 2).astype(np.float32), dict(num_iter=30)),
        ("rl", "RL 512x512 f32, gaussian s=2 13x13, 30 it", img((512, 512), np.float32),
         R.psf_gaussian(2.0).astype(np.float32), dict(num_iter=30)),
        ("rl-large", "RL 1024x1024 f64, 9x9, 20 it", img((1024, 1024), np.float64),
         rng.random((9, 9)), dict(num_iter=20)),
        ("rl-large", "RL 256x256x32 f64, 5x5x5, 10 it (skimage's benchmark)",
         img((32, 256, 256), np.float64), box(5, 3), dict(num_iter=10)),
        ("rl-large", "RL 256x256x32 f32, 5x5x5, 10 it", img((32, 256, 256), np.float32),
         box(5, 3).astype(np.float32), dict(num_iter=10)),
        ("rl-large", "RL 256x256x32 f64, random (not separable) 5x5x5, 10 it",
         img((32, 256, 256), np.float64), rng.random((5, 5, 5)), dict(num_iter=10)),
        ("wiener", "Wiener 2048x2048 f64, 15x15", img((2048, 2048), np.float64), box(15, 2),
         dict(balance=0.1)),
        ("wiener", "Wiener 1024x1024 f32, 9x9", img((1024, 1024), np.float32),
         box(9, 2).astype(np.float32), dict(balance=0.05)),
        ("wiener", "Wiener 128x128x64 f64, 5x5x5", img((64, 128, 128), np.float64), box(5, 3),
         dict(balance=0.05)),
    ]
    if quick:
        out = [c for c in out if "256x256x32 f32" not in c[1] and "128x128x64" not in c[1]]
    return out


def acceleration_table(rng):
    """Iterations of each method to reach plain RL's error (vs the sharp truth) after N."""
    # A photograph with a zero frame, blurred under RL's own (zero-boundary) model, so that
    # plain RL's error keeps falling and "iterations to reach it" is meaningful.
    from PIL import Image
    photo = np.asarray(Image.open(Path(__file__).resolve().parents[2] / "data" / "ascent.png")
                       .convert("L"), dtype=np.float64)[128:384, 128:384] / 255
    truth = np.zeros_like(photo)
    truth[8:-8, 8:-8] = photo[8:-8, 8:-8]
    psf = R.psf_gaussian(2.0)
    blurred = convkit.signal.fftconvolve(truth, psf, mode="same")
    err = lambda x: float(np.sqrt(np.mean((x - truth) ** 2)))  # noqa: E731
    lines = ["| plain RL iterations | its error | accelerated RL reaches it after | TV RL |",
             "| ---: | ---: | ---: | ---: |"]
    for n in (10, 30, 100):
        target = err(R.richardson_lucy(blurred, psf, n, clip=False))
        found = {}
        for method in ("accelerated", "tv"):
            found[method] = "> " + str(n)
            for k in range(1, n + 1):
                if err(R.richardson_lucy(blurred, psf, k, clip=False, method=method,
                                         tv_weight=0.0005)) <= target:
                    found[method] = str(k)
                    break
        lines.append(f"| {n} | {target:.4f} | {found['accelerated']} | {found['tv']} |")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer cases and repeats")
    args = ap.parse_args()
    import convkit.signal  # noqa: F401  (the acceleration table's blur)
    rng = np.random.default_rng(0)
    repeats = 3 if args.quick else 7
    print(f"convkit {convkit.__version__} ({convkit.active_isa()}, {convkit.get_num_threads()} "
          f"threads) vs scikit-image {__import__('skimage').__version__}")
    print(peak_table())
    print("\n| case | skimage (ms) | convkit from Python (ms) | C++ engine (ms) | speed-up | "
          "target | max rel. diff |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    misses, ratios = [], []
    for kind, name, image, psf, kw in cases(rng, args.quick):
        if kind == "wiener":
            ours = lambda: R.wiener(image, psf, kw["balance"])  # noqa: E731
            peer = lambda: S.wiener(image, psf, kw["balance"])  # noqa: E731
            engine = lambda: _core.wiener(image, psf, kw["balance"])  # noqa: E731
        else:
            ours = lambda: R.richardson_lucy(image, psf, **kw)  # noqa: E731
            peer = lambda: S.richardson_lucy(image, psf, **kw)  # noqa: E731
            engine = lambda: _core.richardson_lucy(image, psf, kw["num_iter"])  # noqa: E731
        a, b = ours(), peer()
        diff = float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))
        t_peer = median_time(peer, max(1, repeats // 2))
        t_ours = median_time(ours, repeats)
        t_engine = median_time(engine, repeats)
        ratio = t_peer / t_ours
        ratios.append(ratio)
        target = TARGETS[kind]
        if ratio < target:
            misses.append(name)
        print(f"| {name} | {t_peer * 1e3:.1f} | {t_ours * 1e3:.1f} | {t_engine * 1e3:.1f} | "
              f"{ratio:.1f}x | {target:.0f}x | {diff:.1e} |")
    geo = float(np.exp(np.mean(np.log(ratios))))
    print(f"\ngeomean speed-up vs skimage: {geo:.1f}x; below target: "
          f"{', '.join(misses) if misses else 'none'}")
    print("\nAccelerated and TV Richardson-Lucy (256x256 crop of data/ascent.png in a zero frame, "
          "gaussian sigma 2, noise-free):\n")
    print(acceleration_table(rng))


if __name__ == "__main__":
    main()
