"""convkit.imread / convkit.imwrite from Python, one call at a time as users make them, beside
cv2, Pillow and tifffile in the same process (values checked first; medians; ratio = peer's time
/ convkit's, > 1: convkit faster).

    .venv/bin/python bench/python/bench_imio.py [--repeats N] [--workdir DIR]
"""
import argparse
import os
import pathlib
import statistics
import tempfile
import time

import cv2
import numpy as np
import tifffile
from PIL import Image

import convkit

ROOT = pathlib.Path(__file__).resolve().parents[2]


def median_ms(fn, repeats):
    fn()  # warm
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = pathlib.Path(a.workdir or tempfile.mkdtemp(prefix="convkit-imio-"))
    work.mkdir(parents=True, exist_ok=True)

    face = np.asarray(Image.open(ROOT / "data" / "face.png").convert("RGB"))
    rng = np.random.default_rng(1)
    big = cv2.GaussianBlur(rng.integers(0, 256, (4000, 4000), dtype=np.uint8), (0, 0), 2)
    files = {"jpg": work / "face.jpg", "png": work / "face.png", "tif": work / "big.tif"}
    Image.fromarray(face).save(files["jpg"], quality=95)
    cv2.imwrite(str(files["png"]), face[..., ::-1])
    tifffile.imwrite(files["tif"], big)

    # The same pixels from every reader.
    assert np.array_equal(convkit.imread(files["jpg"]), np.asarray(Image.open(files["jpg"])))
    assert np.array_equal(convkit.imread(files["png"]), cv2.imread(str(files["png"]))[..., ::-1])
    assert np.array_equal(convkit.imread(files["tif"]), tifffile.imread(files["tif"]))

    out = work / "out"
    cases = [
        ("read 1024x768 RGB JPEG", lambda: convkit.imread(files["jpg"]),
         [("cv2.imread", lambda: cv2.imread(str(files["jpg"]))),
          ("Pillow", lambda: np.asarray(Image.open(files["jpg"])))]),
        ("read 1024x768 RGB PNG", lambda: convkit.imread(files["png"]),
         [("cv2.imread", lambda: cv2.imread(str(files["png"]))),
          ("Pillow", lambda: np.asarray(Image.open(files["png"])))]),
        ("read 4000² u8 TIFF", lambda: convkit.imread(files["tif"]),
         [("tifffile", lambda: tifffile.imread(files["tif"])),
          ("cv2.imread", lambda: cv2.imread(str(files["tif"]), cv2.IMREAD_UNCHANGED))]),
        ("write 1024x768 RGB PNG", lambda: convkit.imwrite(str(out) + ".png", face),
         [("cv2.imwrite", lambda: cv2.imwrite(str(out) + "_cv.png", face)),
          ("Pillow (compress_level 1)",
           lambda: Image.fromarray(face).save(str(out) + "_pil.png", compress_level=1))]),
        ("write 1024x768 RGB JPEG q95", lambda: convkit.imwrite(str(out) + ".jpg", face, quality=95),
         [("cv2.imwrite", lambda: cv2.imwrite(str(out) + "_cv.jpg", face,
                                              [cv2.IMWRITE_JPEG_QUALITY, 95])),
          ("Pillow", lambda: Image.fromarray(face).save(str(out) + "_pil.jpg", quality=95))]),
        ("write 4000² u8 TIFF", lambda: convkit.imwrite(str(out) + ".tif", big),
         [("tifffile", lambda: tifffile.imwrite(str(out) + "_tf.tif", big)),
          ("cv2.imwrite (no compression)",
           lambda: cv2.imwrite(str(out) + "_cv.tif", big, [cv2.IMWRITE_TIFF_COMPRESSION, 1]))]),
    ]
    print(f"convkit {convkit.__version__ if hasattr(convkit, '__version__') else ''}, "
          f"cv2 {cv2.__version__}, Pillow {Image.__version__}, tifffile {tifffile.__version__}; "
          f"{os.cpu_count()} cores; medians of {a.repeats}\n")
    print("| case | convkit ms | peer | peer ms | ratio |")
    print("| --- | ---: | --- | ---: | ---: |")
    for name, ours, peers in cases:
        t = median_ms(ours, a.repeats)
        for peer, fn in peers:
            p = median_ms(fn, a.repeats)
            print(f"| {name} | {t:.2f} | {peer} | {p:.2f} | {p / t:.2f}x |")


if __name__ == "__main__":
    main()
