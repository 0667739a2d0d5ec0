"""Streaming (bounded memory) and batches in the CLI: the streamed result is the in-memory
result bit for bit -- and cv2's where cv2 has the filter -- over random images, band heights
(1 row, heights that do not divide the image, bands shorter than the kernel) and filters; a file
that cannot stream says so; batches, globs and the summary line."""

import os
import subprocess

import cv2
import numpy as np
import pytest
import tifffile
from PIL import Image

from conftest import CLI

RNG = np.random.default_rng(20261205)

# (command args, style) -- every command whose reach is finite.
FILTERS = [
    ["gaussian", "--sigma", "2.5"],
    ["gaussian", "--sigma", "1", "--sigma-y", "4", "--border", "wrap"],
    ["gaussian", "--style", "scipy", "--sigma", "3", "--mode", "wrap"],
    ["gaussian", "--style", "scipy", "--sigma", "2", "--mode", "nearest"],
    ["box", "--size", "7x15"],
    ["box", "--style", "scipy", "--size", "5", "--mode", "constant", "--cval", "3"],
    ["sobel", "--dx", "1", "--dy", "1", "--ksize", "5", "--depth", "f32"],
    ["sobel", "--style", "scipy", "--dy", "1", "--dx", "0", "--depth", "f32"],
    ["scharr", "--dx", "0", "--dy", "1", "--depth", "i16"],
    ["prewitt", "--dx", "1", "--depth", "f64"],
    ["laplacian", "--ksize", "5", "--depth", "f32"],
    ["laplacian", "--style", "scipy", "--sigma", "1.5", "--depth", "f32"],
    ["gradient", "--ksize", "3"],
    ["gradient", "--style", "scipy", "--sigma", "2"],
    ["unsharp", "--sigma", "2", "--amount", "1.5"],
    ["sepfilter", "--kx", "1 2 1", "--ky", "1 0 -1 2 5 1 1", "--depth", "f32"],
    ["filter", "--preset", "sharpen"],
    ["filter", "--kernel", "1 2; 3 4; 5 6; 7 8", "--border", "reflect", "--depth", "f32"],
    ["filter", "--kernel", "1 0 1; 0 2 0; 1 0 1", "--border", "constant", "--depth", "f64"],
]


def _random_image(dtype, h, w, c):
    shape = (h, w) if c == 0 else (h, w, c)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return RNG.integers(info.min, int(info.max) + 1, size=shape, dtype=dtype)
    return (RNG.standard_normal(shape) * 50).astype(dtype)


def _read(path):
    return np.load(path) if str(path).endswith(".npy") else tifffile.imread(path)


@pytest.mark.parametrize("args", FILTERS, ids=lambda a: " ".join(a))
def test_streamed_equals_in_memory_bit_for_bit(cli, args):
    for trial in range(3):
        dtype = RNG.choice([np.uint8, np.uint16, np.float32])
        h, w = int(RNG.integers(5, 90)), int(RNG.integers(3, 40))
        scipy_style = "scipy" in args or args[0] == "prewitt"  # 2-D arrays only
        c = 0 if scipy_style else int(RNG.choice([0, 0, 3]))
        image = _random_image(dtype, h, w, c)
        src = cli.path("in.tif")
        tifffile.imwrite(src, image, photometric="rgb" if c == 3 else "minisblack")
        whole, banded = cli.path("whole.npy"), cli.path("banded.npy")
        cli.ok(args[0], src, whole, *args[1:])
        band = int(RNG.choice([1, 2, 3, 7, 16, h]))
        r = cli.ok(args[0], src, banded, *args[1:], "--stream", "--band-rows", band, "-v")
        assert "streamed in" in r.stdout, r.stdout
        a, b = np.load(whole), np.load(banded)
        assert a.dtype == b.dtype and a.shape == b.shape
        assert a.tobytes() == b.tobytes(), f"{args} {dtype} {image.shape} bands of {band}"


def test_streamed_gaussian_is_cv2s_on_every_format(cli):
    image = _random_image(np.uint8, 203, 157, 3)
    expect = cv2.GaussianBlur(image, (0, 0), 3)
    for ext in (".tif", ".npy", ".png", ".ppm"):
        src, out = cli.path("in" + ext), cli.path("out" + ext)
        if ext == ".npy":
            np.save(src, image)
        elif ext == ".tif":
            tifffile.imwrite(src, image, rowsperstrip=16)
        else:
            Image.fromarray(image).save(src)
        cli.ok("gaussian", src, out, "--sigma", "3", "--stream", "--band-rows", "10")
        got = np.load(out) if ext == ".npy" else np.asarray(Image.open(out)) if ext != ".tif" else tifffile.imread(out)
        np.testing.assert_array_equal(got, expect, err_msg=ext)


def test_memory_budget_decides_and_keeps_tiff_resolution(cli):
    image = _random_image(np.uint16, 300, 200, 0)
    src = cli.path("in.tif")
    tifffile.imwrite(src, image, resolution=(300, 300), resolutionunit="INCH")
    out = cli.path("out.tif")
    r = cli.ok("gaussian", src, out, "--sigma", "2", "--memory", "100K", "-v")
    assert "streamed in" in r.stdout
    np.testing.assert_array_equal(tifffile.imread(out), cv2.GaussianBlur(image, (0, 0), 2))
    with tifffile.TiffFile(out) as f:
        assert f.pages[0].tags["XResolution"].value == (300, 1)
    r = cli.ok("gaussian", src, out, "--sigma", "2", "-v")
    assert "streamed in" not in r.stdout


def test_files_that_cannot_stream_fall_back_or_fail_cleanly(cli):
    image = _random_image(np.uint8, 120, 90, 3)
    jpg = cli.path("progressive.jpg")
    Image.fromarray(image).save(jpg, progressive=True, quality=90)
    out = cli.path("out.png")
    r = cli.ok("gaussian", jpg, out, "--sigma", "2", "--stream")
    assert "progressive JPEG" in r.stderr and "in memory" in r.stderr and r.stderr.count("\n") == 1
    r = cli.run("gaussian", jpg, cli.tmp / "over.png", "--sigma", "2", "--memory", "10K")
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1 and "raise --memory" in r.stderr, r.stderr
    assert not (cli.tmp / "over.png").exists()
    # A periodic border needs the bottom rows first: fine from a TIFF, not from a PNG.
    png = cli.path("in.png")
    Image.fromarray(image).save(png)
    r = cli.ok("gaussian", png, cli.path("w.png"), "--sigma", "2", "--border", "wrap", "--stream")
    assert "wrap" in r.stderr


def test_bad_memory_and_band_options(cli):
    src = cli.save(np.zeros((4, 4), np.uint8))
    for bad in ("lots", "-5M", "0", "12Q"):
        r = cli.run("gaussian", src, cli.tmp / "o.npy", "--sigma", "1", "--memory", bad)
        assert r.returncode == 1 and "memory" in r.stderr and r.stderr.count("\n") == 1
    r = cli.run("gaussian", src, cli.tmp / "o.npy", "--sigma", "1", "--band-rows", "0")
    assert r.returncode == 2
    r = cli.run("gaussian", src, "--sigma", "1")
    assert r.returncode == 1 and "IN OUT" in r.stderr
    assert not (cli.tmp / "o.npy").exists()


def test_batch_globs_out_dir_and_summary(cli):
    folder = cli.tmp / "scans"
    folder.mkdir()
    images = {}
    for i in range(5):
        images[f"s{i}.tif"] = _random_image(np.uint8, 40 + i, 30, 0)
        tifffile.imwrite(folder / f"s{i}.tif", images[f"s{i}.tif"])
    (folder / "broken.tif").write_bytes(b"II*\0garbage")
    out = cli.tmp / "out"
    r = cli.run("gaussian", str(folder / "s*.tif"), "--out-dir", out, "--sigma", "2")
    assert r.returncode == 0, r.stderr
    assert "5 file(s)" in r.stdout and "5 written" in r.stdout
    for name, image in images.items():
        np.testing.assert_array_equal(tifffile.imread(out / name), cv2.GaussianBlur(image, (0, 0), 2))
    r = cli.run("gaussian", str(folder / "*.tif"), "--out-dir", out, "--sigma", "2", "--stream")
    assert r.returncode == 1
    assert "1 failed" in r.stdout and "broken.tif" in r.stderr
    assert not (out / "broken.tif").exists()
    r = cli.run("gaussian", str(folder / "nothing*.tif"), "--out-dir", out, "--sigma", "2")
    assert r.returncode == 1 and "no file matches" in r.stderr


def test_progress_bar_when_forced_and_quiet(cli):
    image = _random_image(np.uint8, 64, 64, 0)
    src = cli.path("in.tif")
    tifffile.imwrite(src, image)
    env = dict(os.environ, CONVKIT_PROGRESS_DELAY="0")
    run = lambda *extra: subprocess.run(
        [str(CLI), "gaussian", str(src), str(cli.tmp / "o.tif"), "--sigma", "1", "--stream",
         "--band-rows", "8", *extra], capture_output=True, text=True, env=env)
    r = run("--progress")
    assert r.returncode == 0 and "100%" in r.stderr and "[####" in r.stderr, r.stderr
    r = run("--progress", "--quiet")
    assert r.returncode == 0 and r.stderr == ""
    r = run()  # stderr is not a terminal here
    assert r.returncode == 0 and r.stderr == ""


def test_an_algorithm_asked_for_by_name(cli):
    """In memory, --algorithm fft is the user's choice; in bands only row-local algorithms can
    give the whole image's bits, so a streamed FFT is refused in one line."""
    image = (RNG.standard_normal((60, 50)) * 10).astype(np.float32)
    src = cli.save(image)
    kernel = cli.save(RNG.standard_normal((15, 15)), "k.npy")
    out = cli.tmp / "fft.npy"
    cli.ok("filter", src, out, "--kernel-file", kernel, "--algorithm", "fft")
    expect = cv2.filter2D(image, -1, np.load(kernel), borderType=cv2.BORDER_REFLECT_101)
    np.testing.assert_allclose(np.load(out), expect, rtol=1e-4, atol=1e-3)
    r = cli.run("filter", src, cli.tmp / "s.npy", "--kernel-file", kernel, "--algorithm", "fft",
                "--stream")
    assert r.returncode == 1 and r.stderr.count("\n") == 1 and "streaming" in r.stderr
    assert not (cli.tmp / "s.npy").exists()
