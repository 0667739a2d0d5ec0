"""Deblurring by least squares: ``scipy.sparse.linalg.lsqr`` on convkit's ConvolutionOperator.

data/ascent.png (a centre crop) is blurred by a known kernel -- a 9-pixel motion blur at 30
degrees, or a Gaussian -- with half-sample symmetric borders (scipy.signal's 'symm'), and given
a little Gaussian noise. It is restored by Tikhonov-damped least squares,

    minimise  ||A x - b||^2 + damp^2 ||x||^2,

with ``lsqr``, which needs only ``A @ x`` (convkit's ``convolve2d``) and ``A^H @ y`` (the exact
adjoint: a correlation whose border margin is folded back onto the image). The matrix A
(``size^2`` x ``size^2``) is never formed. Prints the PSNR of the blurred and of the restored
image against the sharp one, and the time lsqr took.

    PYTHONPATH=python .venv/bin/python examples/lsqr_deblur.py
    PYTHONPATH=python .venv/bin/python examples/lsqr_deblur.py --kernel gaussian --size 128 \\
        --iterations 20 --damp 0.05 --out out/restored.png

Only NumPy, SciPy and convkit: the PNG is read with zlib (8-bit grey/RGB, non-interlaced).
"""

import argparse
import os
import pathlib
import struct
import sys
import time
import zlib

# lsqr alternates convkit's OpenMP threads with NumPy's BLAS threads (its vector norms); OpenMP
# threads that busy-wait after each convolution starve the BLAS ones (measured 30x slower on 2
# cores). Passive waiting costs nothing here. (Set before convkit loads its OpenMP runtime.)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
from scipy.sparse.linalg import lsqr  # noqa: E402

from convkit import restoration  # noqa: E402
from convkit.linalg import ConvolutionOperator  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[1]


def read_png(path):
    """An 8-bit, non-interlaced PNG (grey, grey+alpha, RGB, RGBA) as a uint8 array (H, W[, C])."""
    blob = pathlib.Path(path).read_bytes()
    if blob[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(blob):
        length, kind = struct.unpack(">I4s", blob[pos:pos + 8])
        chunk = blob[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"{path}: only 8-bit non-interlaced grey/RGB(A) PNGs are read here")
    bpp, stride = channels, width * channels
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(height):
        f, line = raw[y, 0], raw[y, 1:]
        if f == 0:
            row = line.copy()
        elif f == 1:  # Sub: a running sum (mod 256) over each byte of a pixel
            row = np.cumsum(line.reshape(width, bpp), axis=0, dtype=np.uint64)
            row = (row % 256).astype(np.uint8).reshape(-1)
        elif f == 2:  # Up
            row = line + prev
        else:  # Average, Paeth: each byte depends on the one to its left
            row, up = bytearray(stride), prev.tolist()
            for x, v in enumerate(line.tolist()):
                left = row[x - bpp] if x >= bpp else 0
                if f == 3:
                    row[x] = (v + (left + up[x]) // 2) & 255
                else:
                    ul = up[x - bpp] if x >= bpp else 0
                    p = left + up[x] - ul
                    pa, pb, pc = abs(p - left), abs(p - up[x]), abs(p - ul)
                    pred = left if pa <= pb and pa <= pc else (up[x] if pb <= pc else ul)
                    row[x] = (v + pred) & 255
            row = np.frombuffer(bytes(row), np.uint8)
        out[y] = row
        prev = row
    return out.reshape(height, width, channels) if channels > 1 else out


def psnr(x, reference):
    """Peak signal-to-noise ratio in dB of x against reference (both in [0, 1])."""
    return 10 * np.log10(1.0 / np.mean((x - reference) ** 2))


def make_kernel(name):
    if name == "motion":
        return restoration.psf_motion(9, 30.0)
    if name == "gaussian":
        return restoration.psf_gaussian(1.5, shape=(9, 9))
    raise ValueError(f"kernel: unknown kernel {name!r} (expected 'motion' or 'gaussian')")


def run(size=256, iterations=30, damp=0.1, kernel="motion", noise=0.01, seed=0,
        image=ROOT / "data" / "ascent.png", quiet=False):
    """Blurs, adds noise, restores; returns (PSNR blurred, PSNR restored, seconds, restored)."""
    img = read_png(image).astype(np.float64) / 255.0
    if img.ndim == 3:
        img = img[..., :3].mean(axis=2)
    top, left = max(0, (img.shape[0] - size) // 2), max(0, (img.shape[1] - size) // 2)
    sharp = img[top:top + size, left:left + size]
    k = make_kernel(kernel)
    A = ConvolutionOperator(k, sharp.shape, mode="same", boundary="symm")
    blurred = (A @ sharp.ravel()).reshape(sharp.shape)
    b = blurred + np.random.default_rng(seed).normal(0.0, noise, blurred.shape)
    t0 = time.perf_counter()
    x, istop, itn = lsqr(A, b.ravel(), damp=damp, iter_lim=iterations)[:3]
    seconds = time.perf_counter() - t0
    restored = np.clip(x.reshape(sharp.shape), 0.0, 1.0)
    before, after = psnr(np.clip(b, 0, 1), sharp), psnr(restored, sharp)
    if not quiet:
        print(f"image {sharp.shape[0]}x{sharp.shape[1]}, {kernel} kernel {k.shape[0]}x"
              f"{k.shape[1]}, noise sigma {noise}, damp {damp}")
        print(f"PSNR blurred + noise: {before:6.2f} dB")
        print(f"PSNR lsqr restored:   {after:6.2f} dB   ({itn} iterations, stop reason {istop}, "
              f"{seconds * 1e3:.0f} ms)")
    return before, after, seconds, restored


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=256, help="centre crop, pixels (default 256)")
    ap.add_argument("--iterations", type=int, default=30, help="lsqr iter_lim (default 30)")
    ap.add_argument("--damp", type=float, default=0.1, help="Tikhonov damping (default 0.1)")
    ap.add_argument("--kernel", choices=("motion", "gaussian"), default="motion")
    ap.add_argument("--noise", type=float, default=0.01, help="noise sigma (default 0.01)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--image", default=str(ROOT / "data" / "ascent.png"))
    ap.add_argument("--out", help="write the restored image here (.npy, or .png with Pillow)")
    args = ap.parse_args(argv)
    before, after, _, restored = run(args.size, args.iterations, args.damp, args.kernel,
                                     args.noise, args.seed, args.image)
    if args.out:
        out = pathlib.Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".npy":
            np.save(out, restored)
        else:
            from PIL import Image
            Image.fromarray(np.rint(restored * 255).astype(np.uint8)).save(out)
    return 0 if after > before else 1


if __name__ == "__main__":
    sys.exit(main())
