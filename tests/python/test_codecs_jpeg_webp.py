"""JPEG and WebP against Pillow: files written by Pillow (and by libjpeg-turbo through
imagecodecs) read by convkit.imread give np.asarray(Image.open(f)) exactly, and files written by
convkit.imwrite are read by Pillow as the same pixels. Also what Pillow refuses or cannot write
(12-bit, lossless and animated files; truncated and mislabelled ones)."""
import io

import numpy as np
import pytest
from PIL import Image

import convkit

RNG = np.random.default_rng(2024)
SIZES = [(1, 1), (37, 53), (64, 48), (5, 301)]


def photo(h, w, c=0):
    """Smooth gradients plus noise, like a photo: exercises DCT, chroma subsampling and fancy
    upsampling (HxW when c == 0)."""
    y, x = np.mgrid[0:h, 0:w]
    planes = [np.sin(x / 7.0 + k) * 60 + np.cos(y / 5.0 - k) * 50 + 128 for k in range(max(c, 1))]
    a = np.stack(planes, -1) + RNG.normal(0, 20, (h, w, max(c, 1)))
    a = np.clip(a, 0, 255).astype(np.uint8)
    return a[..., 0] if c == 0 else a


def pillow_pixels(path):
    with Image.open(path) as im:
        return np.asarray(im)


def assert_same_as_pillow(path):
    expected = pillow_pixels(path)
    got = convkit.imread(path)
    assert got.dtype == np.uint8 and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)
    return got


# --- JPEG files written by Pillow -------------------------------------------------------------

@pytest.mark.parametrize("h, w", SIZES)
@pytest.mark.parametrize("mode, options", [
    ("L", dict(quality=75)), ("L", dict(quality=10)), ("L", dict(progressive=True)),
    ("RGB", dict(quality=75)), ("RGB", dict(quality=95)), ("RGB", dict(quality=100)),
    ("RGB", dict(subsampling="4:4:4")), ("RGB", dict(subsampling="4:2:2")),
    ("RGB", dict(optimize=True)), ("RGB", dict(progressive=True)),
    ("RGB", dict(progressive=True, subsampling="4:4:4", quality=30)),
    ("CMYK", dict(quality=90)), ("CMYK", dict(progressive=True)),
])
def test_jpeg_written_by_pillow_reads_as_pillow(tmp_path, h, w, mode, options):
    a = photo(h, w, {"L": 0, "RGB": 3, "CMYK": 4}[mode])
    path = tmp_path / "p.jpg"
    Image.fromarray(a, mode).save(path, **options)
    got = assert_same_as_pillow(path)
    # CMYK comes back with Pillow's (Adobe-inverted) convention: the values it was given.
    assert got.shape == a.shape
    if mode == "CMYK" and options.get("quality", 0) >= 90:
        assert np.abs(got.astype(int) - a).mean() < 12


@pytest.mark.parametrize("name, data, options", [
    ("ycck", "cmyk", dict(colorspace="CMYK", outcolorspace="YCCK")),
    ("cmyk without inversion marker", "cmyk", dict(colorspace="CMYK", outcolorspace="CMYK")),
    ("RGB stored as RGB (Adobe transform 0)", "rgb", dict(colorspace="RGB", outcolorspace="RGB")),
    ("4:1:1", "rgb", dict(subsampling="411")),
    ("4:4:0", "rgb", dict(subsampling="440")),
    ("smoothed", "rgb", dict(smoothing=50)),
])
def test_jpeg_variants_from_libjpeg_read_as_pillow(tmp_path, name, data, options):
    imagecodecs = pytest.importorskip("imagecodecs")
    a = photo(45, 67, 4 if data == "cmyk" else 3)
    path = tmp_path / "v.jpg"
    path.write_bytes(imagecodecs.jpeg8_encode(a, level=90, **options))
    assert_same_as_pillow(path)


# --- JPEG files written by convkit ------------------------------------------------------------

@pytest.mark.parametrize("h, w", SIZES)
@pytest.mark.parametrize("channels", [0, 1, 3])
@pytest.mark.parametrize("quality, progressive", [
    (None, False), (95, True), (75, False), (10, True), (100, False), (1, False)])
def test_jpeg_written_by_convkit_is_written_like_pillow(tmp_path, h, w, channels, quality,
                                                        progressive):
    a = photo(h, w, 3 if channels == 3 else 0)
    if channels == 1:
        a = a[..., None]  # HxWx1 is gray too
    options = {} if quality is None else dict(quality=quality)
    path = tmp_path / "c.jpg"
    convkit.imwrite(path, a, progressive=progressive, **options)
    with Image.open(path) as im:
        assert im.mode == ("RGB" if channels == 3 else "L")
        assert bool(im.info.get("progressive")) == progressive
        if channels == 3:  # 4:2:0, Pillow's default at every quality
            assert [layer[1:3] for layer in im.layer] == [(2, 2), (1, 1), (1, 1)]
    ours = assert_same_as_pillow(path)
    assert ours.shape == a.shape[:2] + ((3,) if channels == 3 else ())
    # Pillow writing the same array with the same settings (our default quality is 95) makes
    # the same JPEG: the same libjpeg-turbo encoder with the same parameters.
    buffer = io.BytesIO()
    Image.fromarray(a[..., 0] if channels == 1 else a).save(
        buffer, "JPEG", quality=95 if quality is None else quality, progressive=progressive)
    np.testing.assert_array_equal(ours, pillow_pixels(buffer))


def test_jpeg_strided_arrays_are_written_by_value(tmp_path):
    a = photo(40, 60, 3)
    view = a[::-1, ::2, ::-1]  # negative and non-unit strides
    convkit.imwrite(tmp_path / "v.jpg", view, quality=90)
    convkit.imwrite(tmp_path / "c.jpg", np.ascontiguousarray(view), quality=90)
    assert (tmp_path / "v.jpg").read_bytes() == (tmp_path / "c.jpg").read_bytes()


def test_jpeg_quality_and_shape_errors(tmp_path):
    with pytest.raises(ValueError):
        convkit.imwrite(tmp_path / "q.jpg", photo(8, 8, 3), quality=101)
    with pytest.raises(ValueError, match="u16|uint16"):
        convkit.imwrite(tmp_path / "d.jpg", np.zeros((8, 8), np.uint16))
    with pytest.raises(ValueError):
        convkit.imwrite(tmp_path / "rgba.jpg", np.zeros((8, 8, 4), np.uint8))
    assert not list(tmp_path.iterdir())


# --- broken and unsupported JPEG files ----------------------------------------------------------

def jpeg_bytes(**options):
    buffer = io.BytesIO()
    Image.fromarray(photo(40, 50, 3)).save(buffer, "JPEG", **options)
    return buffer.getvalue()


@pytest.mark.parametrize("progressive", [False, True])
def test_jpeg_truncated_files_raise_oserror_like_pillow(tmp_path, progressive):
    data = jpeg_bytes(quality=85, progressive=progressive)
    path = tmp_path / "t.jpg"
    for n in [2, 20, 200, len(data) // 2, len(data) - 10, len(data) - 2, len(data) - 1]:
        path.write_bytes(data[:n])
        with pytest.raises(OSError):
            with Image.open(path) as im:
                im.load()
        with pytest.raises(OSError, match="t.jpg") as e:
            convkit.imread(path)
        assert "\n" not in str(e.value)


def test_jpeg_damaged_scan_data_is_refused(tmp_path):
    # Pillow lets libjpeg fill the lost blocks with gray; convkit refuses the file.
    data = jpeg_bytes(quality=85)
    path = tmp_path / "d.jpg"
    path.write_bytes(data[: len(data) * 2 // 3] + b"\xff\xd9")
    with pytest.raises(OSError, match="corrupt"):
        convkit.imread(path)


def test_jpeg_empty_and_foreign_files(tmp_path):
    (tmp_path / "empty.jpg").write_bytes(b"")
    with pytest.raises(OSError, match="empty"):
        convkit.imread(tmp_path / "empty.jpg")
    buffer = io.BytesIO()
    Image.fromarray(photo(4, 4, 3)).save(buffer, "PNG")
    (tmp_path / "png.jpg").write_bytes(buffer.getvalue())
    with pytest.raises(ValueError, match="not a JPEG"):
        convkit.imread(tmp_path / "png.jpg")
    (tmp_path / "text.jpeg").write_text("hello")
    with pytest.raises(ValueError, match="not a JPEG"):
        convkit.imread(tmp_path / "text.jpeg")


def test_jpeg_12_bit_and_lossless_are_refused_clearly(tmp_path):
    imagecodecs = pytest.importorskip("imagecodecs")
    path = tmp_path / "x.jpg"
    path.write_bytes(imagecodecs.jpeg8_encode(
        (photo(16, 16, 0).astype(np.uint16) * 16), level=90, bitspersample=12))
    with pytest.raises(ValueError, match="12-bit"):
        convkit.imread(path)
    path.write_bytes(imagecodecs.jpeg8_encode(photo(16, 16, 3), lossless=True))
    with pytest.raises(ValueError, match="lossless"):
        convkit.imread(path)


# --- WebP -------------------------------------------------------------------------------------

def rgba_with_transparency(h, w):
    a = photo(h, w, 4)
    a[..., 3] = np.where(a[..., 3] > 128, 255, a[..., 3] // 2)
    a[::3, ::2, 3] = 0
    return a


@pytest.mark.parametrize("h, w", SIZES)
@pytest.mark.parametrize("kind, options", [
    ("RGB", dict(quality=90)), ("RGB", dict(quality=5)), ("RGB", dict(lossless=True)),
    ("RGBA", dict(quality=80)), ("RGBA", dict(quality=30, alpha_quality=50)),
    ("RGBA", dict(lossless=True)), ("RGBA", dict(lossless=True, exact=True)),
    ("opaque RGBA", dict(quality=80)), ("opaque RGBA", dict(lossless=True)),
    ("L", dict(quality=50)),
])
def test_webp_written_by_pillow_reads_as_pillow(tmp_path, h, w, kind, options):
    if kind == "RGB":
        im = Image.fromarray(photo(h, w, 3))
    elif kind == "RGBA":
        im = Image.fromarray(rgba_with_transparency(h, w), "RGBA")
    elif kind == "opaque RGBA":
        im = Image.fromarray(np.dstack([photo(h, w, 3), np.full((h, w), 255, np.uint8)]), "RGBA")
    else:
        im = Image.fromarray(photo(h, w, 0))
    path = tmp_path / "p.webp"
    im.save(path, **options)
    got = assert_same_as_pillow(path)
    assert got.shape[2] == (4 if kind == "RGBA" else 3)  # RGB when the file has no alpha


@pytest.mark.parametrize("h, w", SIZES)
@pytest.mark.parametrize("channels", [0, 2, 3, 4])
@pytest.mark.parametrize("quality", [None, 0, 100])
def test_webp_lossless_by_convkit_reads_back_exactly_in_pillow(tmp_path, h, w, channels,
                                                               quality):
    rgba = rgba_with_transparency(h, w)
    a = {0: photo(h, w, 0), 2: rgba[..., 2:], 3: photo(h, w, 3), 4: rgba}[channels]
    path = tmp_path / "l.webp"
    convkit.imwrite(path, a, lossless=True, **({} if quality is None else dict(quality=quality)))
    # Gray is stored as RGB, gray+alpha as RGBA.
    expected = (np.dstack([a] * 3) if channels == 0 else a[..., [0, 0, 0, 1]] if channels == 2
                else a)
    if channels in (2, 4) and (a[..., -1] == 255).all():
        expected = expected[..., :3]  # libwebp stores an opaque image without alpha
    ours = assert_same_as_pillow(path)
    np.testing.assert_array_equal(ours, expected)  # transparent pixels keep their RGB too


@pytest.mark.parametrize("channels", [0, 3, 4])
@pytest.mark.parametrize("quality", [None, 10, 95])
def test_webp_lossy_by_convkit_reads_as_pillow(tmp_path, channels, quality):
    a = {0: photo(40, 56, 0), 3: photo(40, 56, 3), 4: rgba_with_transparency(40, 56)}[channels]
    path = tmp_path / "q.webp"
    convkit.imwrite(path, a, **({} if quality is None else dict(quality=quality)))
    assert path.read_bytes()[12:16] in (b"VP8 ", b"VP8X")  # lossy (VP8X: with an alpha chunk)
    ours = assert_same_as_pillow(path)
    assert ours.shape == (40, 56, 4 if channels == 4 else 3)
    if channels == 4:  # lossless alpha by default
        np.testing.assert_array_equal(ours[..., 3], a[..., 3])
    visible = a[..., 3] > 0 if channels == 4 else np.ones((40, 56), bool)
    rgb = np.dstack([a] * 3) if channels == 0 else a[..., :3]
    error = np.abs(ours[..., :3].astype(int) - rgb)[visible].mean()
    assert error < (30 if quality == 10 else 20)


def test_webp_animated_truncated_and_foreign_files(tmp_path):
    frames = [Image.fromarray(photo(16, 16, 3)), Image.fromarray(photo(16, 16, 3))]
    frames[0].save(tmp_path / "anim.webp", save_all=True, append_images=frames[1:])
    with pytest.raises(ValueError, match="animated"):
        convkit.imread(tmp_path / "anim.webp")
    buffer = io.BytesIO()
    Image.fromarray(photo(30, 40, 3)).save(buffer, "WEBP", quality=80)
    data = buffer.getvalue()
    path = tmp_path / "t.webp"
    for n in [1, 11, 20, 40, len(data) // 2, len(data) - 1]:
        path.write_bytes(data[:n])
        with pytest.raises(OSError, match="t.webp"):
            convkit.imread(path)
    (tmp_path / "empty.webp").write_bytes(b"")
    with pytest.raises(OSError, match="empty"):
        convkit.imread(tmp_path / "empty.webp")
    (tmp_path / "jpg.webp").write_bytes(jpeg_bytes())
    with pytest.raises(ValueError, match="not a WebP"):
        convkit.imread(tmp_path / "jpg.webp")


def test_webp_write_errors(tmp_path):
    with pytest.raises(ValueError):
        convkit.imwrite(tmp_path / "q.webp", photo(8, 8, 3), quality=101)
    with pytest.raises(ValueError):
        convkit.imwrite(tmp_path / "f.webp", np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError):
        convkit.imwrite(tmp_path / "five.webp", np.zeros((8, 8, 5), np.uint8))
    with pytest.raises(ValueError, match="16383"):
        convkit.imwrite(tmp_path / "big.webp", np.broadcast_to(np.uint8(1), (1, 16384, 3)))
    assert not list(tmp_path.iterdir())
