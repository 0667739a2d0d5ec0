"""convkit.imread / imwrite: the formats by extension, round trips, the atomic write, and errors
(OSError for files, ValueError / TypeError for arguments). The codec tests against Pillow and
tifffile are test_codecs_*.py."""
import doctest
import os

import numpy as np
import pytest
from PIL import Image

import convkit
import convkit._io

RNG = np.random.default_rng(13)


@pytest.mark.parametrize("ext, dtype, shape", [
    (".npy", np.float32, (5, 7)), (".npy", np.int16, (2, 3, 4)),
    (".png", np.uint8, (5, 7)), (".png", np.uint16, (5, 7, 3)), (".png", np.uint8, (4, 4, 4)),
    (".pgm", np.uint8, (6, 5)), (".ppm", np.uint16, (6, 5, 3)),
    (".tif", np.float64, (5, 7, 2)), (".tiff", np.int32, (9, 3)),
    (".webp", np.uint8, (8, 9, 3)),
])
def test_lossless_round_trips(tmp_path, ext, dtype, shape):
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    a = (RNG.integers(info.min, info.max, shape, endpoint=True) if info is not None
         else RNG.standard_normal(shape)).astype(dtype)
    path = tmp_path / f"a{ext}"
    convkit.imwrite(path, a, lossless=ext == ".webp")
    b = convkit.imread(path)
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(b, a)
    assert not [p for p in os.listdir(tmp_path) if ".tmp" in p]


def test_png_equals_pillow(tmp_path):
    a = RNG.integers(0, 256, (13, 17, 3), dtype=np.uint8)
    Image.fromarray(a).save(tmp_path / "p.png")
    np.testing.assert_array_equal(convkit.imread(tmp_path / "p.png"), a)
    convkit.imwrite(str(tmp_path / "q.png"), a)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "q.png")), a)


def test_jpeg_lossy_round_trip_is_close(tmp_path):
    a = np.tile(np.linspace(0, 255, 64, dtype=np.uint8), (48, 1))
    convkit.imwrite(tmp_path / "g.jpg", a, quality=95)
    b = convkit.imread(tmp_path / "g.jpg")
    assert b.shape == a.shape and b.dtype == np.uint8
    assert np.abs(b.astype(int) - a).max() <= 8


def test_tiff_resolution_kept(tmp_path):
    a = RNG.integers(0, 255, (4, 5), dtype=np.uint8)
    convkit.imwrite(tmp_path / "r.tif", a, resolution=(300.0, 150.0, 2), compression="lzw")
    b, res = convkit.imread(tmp_path / "r.tif", with_resolution=True)
    np.testing.assert_array_equal(b, a)
    assert res == pytest.approx((300.0, 150.0, 2))
    assert convkit.imread(tmp_path / "r.tif", with_resolution=True)[1] is not None
    convkit.imwrite(tmp_path / "n.png", a)
    assert convkit.imread(tmp_path / "n.png", with_resolution=True)[1] is None


def test_a_failed_write_leaves_the_old_file(tmp_path):
    path = tmp_path / "keep.png"
    convkit.imwrite(path, np.zeros((3, 3), np.uint8))
    before = path.read_bytes()
    with pytest.raises(ValueError, match="keep.png"):
        convkit.imwrite(path, np.zeros((3, 3), np.float32))  # a PNG cannot hold float32
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["keep.png"]


@pytest.mark.parametrize("make, exc, match", [
    (lambda d: d / "missing.png", OSError, "missing.png"),
    (lambda d: d / "x.bmp", ValueError, "unknown file type"),
])
def test_read_errors(tmp_path, make, exc, match):
    path = make(tmp_path)
    if path.suffix == ".bmp":
        path.write_bytes(b"BM")
    with pytest.raises(exc, match=match):
        convkit.imread(path)


@pytest.mark.parametrize("ext", [".png", ".jpg", ".tif", ".webp", ".npy", ".pgm"])
def test_garbage_and_truncated_files_are_oserror(tmp_path, ext):
    good = tmp_path / f"good{ext}"
    convkit.imwrite(good, RNG.integers(0, 256, (32, 32), dtype=np.uint8)
                    if ext != ".webp" else RNG.integers(0, 256, (32, 32, 3), dtype=np.uint8))
    data = good.read_bytes()
    for name, content in (("empty", b""), ("garbage", b"not an image at all" * 10),
                          ("truncated", data[: len(data) // 2])):
        bad = tmp_path / f"{name}{ext}"
        bad.write_bytes(content)
        with pytest.raises((OSError, ValueError)):
            convkit.imread(bad)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(quality=101), ValueError, "quality"),
    (dict(quality=1.5), TypeError, "quality"),
    (dict(compression="zip"), ValueError, "compression"),
    (dict(compression=5), TypeError, "compression"),
    (dict(predictor=7), ValueError, "predictor"),
    (dict(resolution=(1, 2)), ValueError, "resolution"),
])
def test_bad_options(tmp_path, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        convkit.imwrite(tmp_path / "o.tif", np.zeros((2, 2), np.uint8), **kwargs)


def test_bad_paths_and_arrays(tmp_path):
    with pytest.raises(TypeError, match="path"):
        convkit.imread(5)
    with pytest.raises(ValueError, match="JPEG"):
        convkit.imwrite(tmp_path / "f.jpg", np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="shape"):
        convkit.imwrite(tmp_path / "f.jpg", np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(OSError):
        convkit.imwrite(tmp_path / "no" / "such" / "dir.png", np.zeros((2, 2), np.uint8))


def test_doctests():
    assert doctest.testmod(convkit._io).failed == 0
