"""The README's deblurring picture row, made by the CLI.

data/ascent.png is blurred with a known PSF (a 9-pixel motion at 30 degrees) and given Gaussian
noise (sigma 0.01, seeded) -- the synthetic "photograph" -- then restored by `convkit deblur`
with Wiener, Richardson-Lucy and accelerated Richardson-Lucy. Prints the PSNR of each against
the sharp image and writes out/deblur/*.png and docs/images/deblur_row.png (sharp | blurred |
restored ones, side by side).

    .venv/bin/python scripts/deblur_demo.py        (scripts/demo.sh runs it)
"""

import pathlib
import subprocess
import time

import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[1]
CLI = ROOT / "build" / "convkit"
OUT = ROOT / "out" / "deblur"
PSF = "motion:9,30"
RUNS = [  # (name, extra CLI arguments)
    ("wiener", ["--method", "wiener", "--balance", "0.02", "--boundary", "reflect"]),
    ("rl", ["--method", "rl", "--iterations", "30", "--boundary", "reflect"]),
    ("rl-accelerated", ["--method", "rl-accelerated", "--iterations", "10",
                        "--boundary", "reflect"]),
]


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 10 * np.log10(255.0 ** 2 / mse)


def main():
    import convkit.signal
    from convkit import _core
    OUT.mkdir(parents=True, exist_ok=True)
    sharp = np.asarray(Image.open(ROOT / "data" / "ascent.png").convert("L"))
    psf = _core.psf_from_spec(PSF)  # the CLI's own PSF
    # The scene goes on beyond the frame: blur a mirrored copy, keep the middle.
    pad = max(psf.shape)
    ext = np.pad(sharp / 255.0, pad, mode="symmetric")
    blurred = convkit.signal.convolve(ext, psf, mode="same")[pad:-pad, pad:-pad]
    noisy = blurred + np.random.default_rng(1).normal(0, 0.01, blurred.shape)
    noisy_u8 = np.clip(np.rint(noisy * 255), 0, 255).astype(np.uint8)
    Image.fromarray(noisy_u8).save(OUT / "blurred.png")
    rows = [("blurred + noise", noisy_u8, None)]
    for name, args in RUNS:
        path = OUT / f"{name}.png"
        t0 = time.perf_counter()
        subprocess.run([str(CLI), "deblur", str(OUT / "blurred.png"), str(path), "--psf", PSF,
                        "--quiet", *args], check=True)
        rows.append((name, np.asarray(Image.open(path)), (time.perf_counter() - t0) * 1e3))
    print(f"PSF {PSF}, noise sigma 0.01; PSNR against data/ascent.png")
    print("| image | PSNR (dB) | whole command (ms) |\n| --- | ---: | ---: |")
    for name, img, ms in rows:
        print(f"| {name} | {psnr(img, sharp):.2f} | {'' if ms is None else f'{ms:.0f}'} |")
    # The row: sharp | blurred | each restoration, a 256x256 crop each, 4 px gaps.
    crop = (slice(128, 384), slice(128, 384))
    tiles = [sharp[crop]] + [img[crop] for _, img, _ in rows]
    gap = np.full((256, 4), 255, np.uint8)
    strip = np.concatenate([x for t in tiles for x in (t, gap)][:-1], axis=1)
    (ROOT / "docs" / "images").mkdir(parents=True, exist_ok=True)
    Image.fromarray(strip).save(ROOT / "docs" / "images" / "deblur_row.png", optimize=True)
    print("wrote docs/images/deblur_row.png (sharp | " + " | ".join(n for n, _, _ in rows) + ")")


if __name__ == "__main__":
    main()
