"""convkit.imread(path, auto_orient=True) against Pillow's ImageOps.exif_transpose: files Pillow
writes with an EXIF Orientation of 1..8 (JPEG, PNG, WebP, TIFF; an asymmetric, non-square
picture, so that each orientation gives different pixels) read as
np.asarray(exif_transpose(Image.open(path))) exactly; XMP orientations and ImageMagick's raw
profiles where Pillow reads them; malformed EXIF blocks (truncated, offsets past the end, IFD
loops, huge counts) are ignored, never an error. Also imread(path, mmap=True): a read-only
memory map of a .npy file, ValueError for other formats."""
import io
import struct
import warnings
import zlib

import numpy as np
import pytest
from PIL import Image, ImageOps, PngImagePlugin, TiffImagePlugin

import convkit

ORIENTATIONS = range(1, 9)


def picture(h=10, w=17, c=3, dtype=np.uint8):
    """Every pixel different (mod 256), no symmetry: a wrong flip or turn cannot go unseen."""
    y, x = np.mgrid[0:h, 0:w]
    planes = [(y * 23 + x * 3 + k * 101 + (x * y) % 7) for k in range(max(c, 1))]
    a = np.stack(planes, -1)
    a = (a % 256).astype(dtype) if dtype == np.uint8 else (a * 97).astype(dtype)
    return a[..., 0] if c == 0 else a


def photo(h=37, w=53, c=3):
    """Smooth gradients, which JPEG keeps well."""
    y, x = np.mgrid[0:h, 0:w]
    planes = [np.sin(x / 7.0 + k) * 60 + np.cos(y / 5.0 - k) * 50 + 128 + x for k in range(c)]
    return np.clip(np.stack(planes, -1), 0, 255).astype(np.uint8)


def exif_with(orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "convkit tests"  # Make: something besides the Orientation
    return exif


def _open(path):
    # From memory: Pillow 13 memory-maps uncompressed TIFFs opened by name in the modes it can
    # map (L, RGBA, I;16, ...) with the size it already turned for orientations 5..8, giving
    # unturned, garbled pixels; its regular decoder (used for a file object) gets them right.
    with open(path, "rb") as f:
        return Image.open(io.BytesIO(f.read()))


def pillow_oriented(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with _open(path) as im:
            return np.asarray(ImageOps.exif_transpose(im))


def pillow_stored(path):
    """The pixels as stored (Pillow itself turns TIFF images when it loads them)."""
    with _open(path) as im:
        if isinstance(im, TiffImagePlugin.TiffImageFile):
            return None
        return np.asarray(im)


# Pillow's transposes for 1..8, as exif_transpose picks them
_METHODS = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
            4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
            6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_90}
# the same in NumPy terms
_NUMPY = {1: lambda a: a, 2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1],
          4: lambda a: a[::-1], 5: lambda a: a.swapaxes(0, 1), 6: lambda a: np.rot90(a, -1),
          7: lambda a: a[::-1, ::-1].swapaxes(0, 1), 8: lambda a: np.rot90(a, 1)}


def check_oriented(path, orientation, stored=None):
    got = convkit.imread(path, auto_orient=True)
    want = pillow_oriented(path)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_array_equal(got, want)
    plain = convkit.imread(path)  # auto_orient=False: the stored pixels
    np.testing.assert_array_equal(got, _NUMPY[orientation](plain))
    if stored is not None:
        np.testing.assert_array_equal(plain, stored)
    return got


def test_numpy_transposes_are_pillows():
    a = picture()
    for k, method in _METHODS.items():
        np.testing.assert_array_equal(np.asarray(Image.fromarray(a).transpose(method)),
                                      _NUMPY[k](a), err_msg=str(k))


# --- lossless files: exactly Pillow's pixels --------------------------------------------------

@pytest.mark.parametrize("orientation", ORIENTATIONS)
@pytest.mark.parametrize("mode, channels, dtype", [
    ("RGB", 3, np.uint8), ("RGBA", 4, np.uint8), ("L", 0, np.uint8), ("I;16", 0, np.uint16)])
def test_png_exif_chunk(tmp_path, orientation, mode, channels, dtype):
    a = picture(c=channels, dtype=dtype)
    path = tmp_path / "o.png"
    Image.fromarray(a).save(path, exif=exif_with(orientation))
    got = check_oriented(path, orientation, stored=a)
    assert got.shape[:2] == (a.shape[:2] if orientation < 5 else a.shape[1::-1])


@pytest.mark.parametrize("orientation", ORIENTATIONS)
@pytest.mark.parametrize("channels", [3, 4])
def test_webp_lossless_exif_chunk(tmp_path, orientation, channels):
    a = picture(c=channels)
    if channels == 4:
        a[..., 3] = np.where(a[..., 3] == 255, 254, a[..., 3])  # keep it RGBA
    path = tmp_path / "o.webp"
    Image.fromarray(a).save(path, exif=exif_with(orientation), lossless=True, exact=True)
    check_oriented(path, orientation, stored=a)


@pytest.mark.parametrize("orientation", ORIENTATIONS)
@pytest.mark.parametrize("channels, dtype, compression", [
    (3, np.uint8, None), (0, np.uint8, "tiff_lzw"), (0, np.uint16, None), (4, np.uint8, None)])
def test_tiff_orientation_tag(tmp_path, orientation, channels, dtype, compression):
    a = picture(c=channels, dtype=dtype)
    path = tmp_path / "o.tif"
    Image.fromarray(a).save(path, exif=exif_with(orientation), compression=compression)
    # convkit (like tifffile) reads the stored pixels; Pillow turns them when it loads a TIFF
    check_oriented(path, orientation, stored=a)


def test_tiff_orientation_written_by_convkit_tools(tmp_path):
    """A TIFF Orientation written with tifffile (not Pillow), Pillow's turn applied on load."""
    tifffile = pytest.importorskip("tifffile")
    a = picture()
    for k in ORIENTATIONS:
        path = tmp_path / f"t{k}.tif"
        tifffile.imwrite(path, a, photometric="rgb", extratags=[(274, 3, 1, k, True)])
        check_oriented(path, k, stored=a)


# --- JPEG: the same libjpeg-turbo decode as Pillow ------------------------------------------------

@pytest.mark.parametrize("orientation", ORIENTATIONS)
@pytest.mark.parametrize("mode, options", [
    ("RGB", dict(quality=90)), ("L", dict(quality=75)), ("RGB", dict(progressive=True)),
    ("CMYK", dict(quality=90))])
def test_jpeg_app1_exif(tmp_path, orientation, mode, options):
    a = photo(c={"RGB": 3, "L": 1, "CMYK": 4}[mode])
    a = a[..., 0] if mode == "L" else a
    path = tmp_path / "o.jpg"
    Image.fromarray(a, mode).save(path, exif=exif_with(orientation), **options)
    check_oriented(path, orientation, stored=pillow_stored(path))


@pytest.mark.parametrize("orientation", [2, 6, 8])
def test_jpeg_big_endian_exif(tmp_path, orientation):
    """A Motorola-order block, as many cameras write."""
    block = (b"Exif\0\0MM\0*\0\0\0\x08\0\x01" + struct.pack(">HHIHH", 0x0112, 3, 1, orientation, 0)
             + b"\0\0\0\0")
    path = tmp_path / "be.jpg"
    Image.fromarray(photo()).save(path, exif=block)
    check_oriented(path, orientation)


# --- where else Pillow finds an orientation -------------------------------------------------------

def _xmp(k, attribute=True):
    tag = f'tiff:Orientation="{k}"' if attribute else f"><tiff:Orientation>{k}</tiff:Orientation"
    return ("<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF><rdf:Description "
            "xmlns:tiff='http://ns.adobe.com/tiff/1.0/' " + tag + "/></rdf:RDF></x:xmpmeta>")


@pytest.mark.parametrize("fmt", ["jpg", "webp", "png", "tif"])
@pytest.mark.parametrize("orientation, attribute", [(6, True), (8, False), (3, True)])
def test_xmp_orientation_without_exif(tmp_path, fmt, orientation, attribute):
    a = picture()
    path = tmp_path / f"x.{fmt}"
    xmp = _xmp(orientation, attribute)
    im = Image.fromarray(a)
    if fmt == "png":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp, zip=attribute)
        im.save(path, pnginfo=info)
    elif fmt == "tif":
        ifd = TiffImagePlugin.ImageFileDirectory_v2()
        ifd[700] = xmp.encode()
        ifd.tagtype[700] = 1
        im.save(path, tiffinfo=ifd)
    else:
        im.save(path, xmp=xmp.encode(), **({"lossless": True} if fmt == "webp" else {}))
    check_oriented(path, orientation)


def test_exif_orientation_beats_xmp(tmp_path):
    path = tmp_path / "both.jpg"
    Image.fromarray(photo()).save(path, exif=exif_with(3), xmp=_xmp(6).encode())
    assert check_oriented(path, 3).shape[:2] == (37, 53)
    # an EXIF Orientation of 1 is an orientation too: the XMP packet is not consulted
    Image.fromarray(photo()).save(path, exif=exif_with(1), xmp=_xmp(6).encode())
    check_oriented(path, 1)


def _raw_profile(block):
    h = block.hex()
    return "\nexif\n" + f"{len(block):8}\n" + "\n".join(h[i:i + 72] for i in range(0, len(h), 72))


@pytest.mark.parametrize("chunk", ["tEXt", "zTXt", "iTXt"])
def test_png_imagemagick_raw_profile(tmp_path, chunk):
    block = exif_with(5).tobytes()
    info = PngImagePlugin.PngInfo()
    text = _raw_profile(b"Exif\0\0" + block)
    if chunk == "iTXt":
        info.add_itxt("Raw profile type exif", text, zip=True)
    else:
        info.add_text("Raw profile type exif", text, zip=chunk == "zTXt")
    path = tmp_path / "raw.png"
    Image.fromarray(picture()).save(path, pnginfo=info)
    check_oriented(path, 5)


# --- malformed EXIF: ignored, never an error ----------------------------------------------------

def _block(entries, ifd_offset=8, count=None, tail=b"", little=True):
    e = "<" if little else ">"
    head = (b"II*\0" if little else b"MM\0*") + struct.pack(e + "I", ifd_offset)
    body = struct.pack(e + "H", len(entries) if count is None else count)
    for tag, typ, n, field in entries:
        body += struct.pack(e + "HHI", tag, typ, n) + field
    return head + body + b"\0\0\0\0" + tail


_SIX = struct.pack("<HH", 6, 0)
GOOD = _block([(0x010F, 2, 4, b"abc\0"), (0x0112, 3, 1, _SIX)])
MALFORMED = {
    "empty": b"",
    "header only": GOOD[:8],
    "cut header": GOOD[:5],
    "not TIFF": b"XX*\0" + GOOD[4:],
    "BigTIFF header": b"II+\0" + GOOD[4:],
    "IFD past the end": _block([(0x0112, 3, 1, _SIX)], ifd_offset=0xFFFFFF00),
    "IFD at the end": _block([(0x0112, 3, 1, _SIX)], ifd_offset=len(GOOD[:8]) + 200),
    "entries cut": GOOD[:8 + 2 + 12 + 6],
    "count past the end": _block([(0x010F, 2, 4, b"abc\0")], count=0xFFFF),
    "value past the end": _block([(0x0112, 3, 3, struct.pack("<I", 0xFFFFFFF0))]),
    "value overlapping the end": _block([(0x0112, 3, 40, struct.pack("<I", 20))]),
    "huge count": _block([(0x0112, 5, 0xFFFFFFFF, struct.pack("<I", 8))]),
    "IFD0 pointing at itself": _block([(0x8769, 4, 1, struct.pack("<I", 8)),
                                       (0x8825, 4, 1, struct.pack("<I", 8))]),
    "orientation 9": _block([(0x0112, 3, 1, struct.pack("<HH", 9, 0))]),
    "orientation 0": _block([(0x0112, 3, 1, struct.pack("<HH", 0, 0))]),
    "orientation as text": _block([(0x0112, 2, 2, b"6\0\0\0")]),
    "unknown type": _block([(0x0112, 77, 1, _SIX)]),
}


def _jpeg_with_app1(payload):
    b = io.BytesIO()
    Image.fromarray(photo()).save(b, "JPEG")
    data = b.getvalue()
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


def _png_with_exif(block):
    b = io.BytesIO()
    Image.fromarray(picture()).save(b, "PNG")
    data = b.getvalue()
    at = data.index(b"IDAT") - 4
    chunk = struct.pack(">I", len(block)) + b"eXIf" + block + \
        struct.pack(">I", zlib.crc32(b"eXIf" + block))
    return data[:at] + chunk + data[at:]


@pytest.mark.parametrize("name", sorted(MALFORMED))
@pytest.mark.parametrize("fmt", ["jpg", "png"])
def test_malformed_exif_is_ignored(tmp_path, name, fmt):
    block = MALFORMED[name]
    path = tmp_path / f"m.{fmt}"
    path.write_bytes(_jpeg_with_app1(b"Exif\0\0" + block) if fmt == "jpg"
                     else _png_with_exif(block))
    got = convkit.imread(path, auto_orient=True)
    np.testing.assert_array_equal(got, convkit.imread(path))
    # Pillow agrees wherever it gets through the block (it raises for some)
    try:
        want = pillow_oriented(path)
    except Exception:  # noqa: BLE001 - Pillow's own failures on broken metadata
        return
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name, block", [
    ("good", GOOD),  # the malformed cases above start from a block that works
    ("next IFD loop", GOOD[:-4] + struct.pack("<I", 8)),  # only IFD0 is read
    ("Orientation before a cut", GOOD[:8 + 2 + 12 * 2]),  # Pillow keeps the entries it read
    ("unknown type, then a good entry", _block([(0x0112, 77, 1, _SIX), (0x0112, 3, 1, _SIX)])),
    ("rational 12/2 (out of line)", _block([(0x0112, 5, 1, struct.pack("<I", 26))],
                                           tail=struct.pack("<II", 12, 2))),
])
def test_blocks_pillow_reads_give_six(tmp_path, name, block):
    path = tmp_path / "six.jpg"
    path.write_bytes(_jpeg_with_app1(b"Exif\0\0" + block))
    check_oriented(path, 6)
    path = tmp_path / "six.png"
    path.write_bytes(_png_with_exif(block))
    check_oriented(path, 6)


def test_randomly_damaged_exif_never_fails(tmp_path):
    rng = np.random.default_rng(5)
    base = b"Exif\0\0" + exif_with(6).tobytes()
    path = tmp_path / "d.jpg"
    for _ in range(200):
        block = bytearray(base)
        for at in rng.integers(6, len(block), size=int(rng.integers(1, 5))):
            block[at] = int(rng.integers(0, 256))
        path.write_bytes(_jpeg_with_app1(bytes(block)))
        got = convkit.imread(path, auto_orient=True)
        try:
            want = pillow_oriented(path)
        except Exception:  # noqa: BLE001
            continue
        np.testing.assert_array_equal(got, want)


# --- files without an orientation ---------------------------------------------------------------

def test_files_without_orientation_are_unchanged(tmp_path):
    a = picture()
    for name in ["a.npy", "a.ppm", "a.png", "a.tif", "a.jpg", "a.webp"]:
        path = tmp_path / name
        convkit.imwrite(path, a)
        np.testing.assert_array_equal(convkit.imread(path, auto_orient=True), convkit.imread(path))
    # any rank of .npy: nothing to turn
    for shape in [(5,), (2, 3, 4, 5)]:
        np.save(tmp_path / "r.npy", np.zeros(shape, np.float32))
        assert convkit.imread(tmp_path / "r.npy", auto_orient=True).shape == shape


def test_auto_orient_off_reads_the_stored_pixels(tmp_path):
    path = tmp_path / "six.jpg"
    Image.fromarray(photo()).save(path, exif=exif_with(6))
    np.testing.assert_array_equal(convkit.imread(path), pillow_stored(path))
    assert convkit.imread(path).shape[:2] == (37, 53)
    assert convkit.imread(path, auto_orient=True).shape[:2] == (53, 37)
    array, resolution = convkit.imread(path, auto_orient=True, with_resolution=True)
    assert array.shape[:2] == (53, 37) and resolution is None
    assert array.flags.c_contiguous and array.flags.writeable


@pytest.mark.parametrize("bad", [None, "yes", 1, 0.0, [True], np.array([True])])
def test_flags_must_be_booleans(tmp_path, bad):
    path = tmp_path / "a.npy"
    np.save(path, np.zeros((2, 2)))
    with pytest.raises(TypeError, match="auto_orient"):
        convkit.imread(path, auto_orient=bad)
    with pytest.raises(TypeError, match="mmap"):
        convkit.imread(path, mmap=bad)
    convkit.imread(path, auto_orient=np.True_, mmap=np.False_)  # NumPy booleans are fine


# --- mmap -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("array", [
    np.arange(24, dtype=np.float32).reshape(4, 6),
    np.arange(60, dtype=np.uint16).reshape(3, 4, 5),
    np.asfortranarray(np.arange(12.0).reshape(3, 4)),
    np.arange(6, dtype=">i4").reshape(2, 3),
    np.zeros((0, 3), np.uint8),
    np.arange(32, dtype=np.int8).reshape(2, 2, 2, 2, 2),
], ids=["f32", "u16-3d", "fortran", "big-endian", "empty", "5d"])
def test_mmap_is_numpys_read_only_map(tmp_path, array):
    path = tmp_path / "a.npy"
    np.save(path, array)
    m = convkit.imread(path, mmap=True)
    want = np.load(path, mmap_mode="r")
    assert isinstance(m, np.memmap)
    assert m.dtype == want.dtype and m.shape == want.shape and m.strides == want.strides
    np.testing.assert_array_equal(m, array)
    assert not m.flags.writeable
    if m.size:
        with pytest.raises(ValueError):
            m[(0,) * m.ndim] = 1
    # nothing copied: a write through another map of the file shows
    if m.size and array.dtype.kind in "iuf":
        w = np.load(path, mmap_mode="r+")
        w[(0,) * w.ndim] = 7
        w.flush()
        assert m[(0,) * m.ndim] == 7
        del w
    m2, resolution = convkit.imread(path, mmap=True, with_resolution=True)
    assert isinstance(m2, np.memmap) and resolution is None


def test_mmap_matches_the_copying_read(tmp_path):
    a = np.arange(20, dtype=np.float64).reshape(4, 5)
    path = tmp_path / "UPPER.NPY"  # the extension in any case
    with open(path, "wb") as f:
        np.save(f, a)
    np.testing.assert_array_equal(convkit.imread(path, mmap=True), convkit.imread(path))
    # auto_orient has nothing to do for an .npy
    np.testing.assert_array_equal(convkit.imread(path, mmap=True, auto_orient=True), a)


@pytest.mark.parametrize("name", ["a.png", "a.jpg", "a.tif", "a.webp", "a.ppm", "noext"])
def test_mmap_refuses_other_formats(tmp_path, name):
    path = tmp_path / name
    if name != "noext":
        convkit.imwrite(path, picture())
    else:
        path.write_bytes(b"\x93NUMPY")
    with pytest.raises(ValueError, match="mmap"):
        convkit.imread(path, mmap=True)


def test_mmap_errors(tmp_path):
    missing = tmp_path / "missing.npy"
    with pytest.raises(OSError, match="missing.npy"):
        convkit.imread(missing, mmap=True)
    full = tmp_path / "full.npy"
    np.save(full, np.zeros((100, 100)))
    data = full.read_bytes()
    cut = tmp_path / "cut.npy"
    for n in [0, 4, 20, 500]:  # no header, part of the magic, part of the header, part of the data
        cut.write_bytes(data[:n])
        with pytest.raises(OSError, match="cut.npy"):
            convkit.imread(cut, mmap=True)
    garbage = tmp_path / "garbage.npy"
    garbage.write_bytes(b"definitely not an array")
    with pytest.raises(ValueError, match="not an .npy file"):
        convkit.imread(garbage, mmap=True)
    objects = tmp_path / "objects.npy"
    np.save(objects, np.array([1, None], object))
    with pytest.raises(ValueError, match="objects.npy"):
        convkit.imread(objects, mmap=True)
    folder = tmp_path / "folder.npy"
    folder.mkdir()
    with pytest.raises(OSError, match="folder.npy"):
        convkit.imread(folder, mmap=True)
