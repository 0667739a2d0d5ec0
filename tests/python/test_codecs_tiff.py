"""convkit.imread / convkit.imwrite on TIFF files against tifffile 2026.3.3 (imagecodecs
2026.3.6 codecs), both pinned in requirements-dev.txt.

Files tifffile writes (every dtype, 1-4 channels, contiguous and planar, strips and tiles,
lzw/zlib/packbits/jpeg, predictors, BigTIFF, big-endian, packed bits, palettes, float16, ...)
must read as tifffile.imread(path, key=0) reads them, to the bit -- JPEG included, since both
decode with libjpeg-turbo. Files convkit writes must read back the same in tifffile, with the
tags asked for. Where convkit differs from tifffile on purpose, the test says so: planar files
come back HxWxC (tifffile: CxHxW), bilevel as uint8 0/1 (tifffile: bool), int8 as int16 and
float16 as float32 (convkit has neither type), and only the first page is read.
"""

import numpy as np
import pytest

import convkit

tifffile = pytest.importorskip("tifffile")
pytest.importorskip("imagecodecs")  # tifffile's codecs for everything but raw strips

DTYPES = [np.uint8, np.uint16, np.int16, np.int32, np.float32, np.float64]
# tifffile's names; convkit takes the same ones ('zlib' is 'deflate').
COMPRESSIONS = [None, "lzw", "zlib", "packbits", "jpeg"]
CODES = {None: 1, "none": 1, "lzw": 5, "zlib": 8, "deflate": 8, "packbits": 32773, "jpeg": 7}


def noise(dtype, shape, seed=0):
    """Full-range values: the hardest case for predictors and run-length coding."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return (rng.standard_normal(shape) * 1e3).astype(dtype)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, shape, endpoint=True, dtype=dtype)


def smooth(shape):
    """A uint8 picture JPEG keeps within a few levels."""
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    channels = shape[2] if len(shape) == 3 else 1
    planes = [128 + 100 * np.sin(x / 20 + k) * np.cos(y / 30) for k in range(channels)]
    return np.stack(planes, -1).reshape(shape).astype(np.uint8)


def image(dtype, shape, compression, seed=0):
    return smooth(shape).astype(dtype) if compression == "jpeg" else noise(dtype, shape, seed)


def tifffile_read(path):
    """tifffile's first page as convkit returns it: planar files moved to HxWxC."""
    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        a = page.asarray()
        if page.planarconfig == 2 and page.samplesperpixel > 1:
            a = np.moveaxis(a, 0, -1)
    return a


def tifffile_write(path, a, *, planar=False, **options):
    """HxW or HxWxC with the photometric convkit writes: gray(+alpha) or RGB(+alpha)."""
    channels = a.shape[2] if a.ndim == 3 else 1
    kw = dict(photometric="rgb" if channels >= 3 else "minisblack", **options)
    if channels > 1:
        kw["planarconfig"] = "separate" if planar else "contig"
        if planar:
            a = np.moveaxis(a, -1, 0)
    if channels in (2, 4):
        kw["extrasamples"] = ["unassalpha"]
    tifffile.imwrite(path, a, **kw)


def assert_same(got, expected):
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_array_equal(got, expected)


def layouts(compression):
    """(channels, planar, tile, predictor) for one compression."""
    for channels in (1, 2, 3, 4):
        for planar in (False, True) if channels > 1 else (False,):
            for tile in (None, (64, 48)):
                for predictor in (False, True) if compression in ("lzw", "zlib") else (False,):
                    yield channels, planar, tile, predictor


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_reads_what_tifffile_writes(tmp_path, dtype, compression):
    if compression == "jpeg" and dtype != np.uint8:
        pytest.skip("JPEG holds uint8")
    read = 0
    for channels, planar, tile, predictor in layouts(compression):
        # 97x130: strips and tiles that do not divide the image.
        shape = (97, 130) if channels == 1 else (97, 130, channels)
        a = image(dtype, shape, compression, seed=channels)
        path = tmp_path / f"{channels}_{planar}_{tile}_{predictor}.tif"
        try:
            tifffile_write(path, a, planar=planar, tile=tile, compression=compression,
                           predictor=predictor, rowsperstrip=None if tile else 13)
        except ValueError:  # tifffile's own limits, e.g. interleaved RGBA JPEG
            continue
        assert_same(convkit.imread(path), tifffile_read(path))
        read += 1
    assert read >= 8


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_reads_bigtiff_and_big_endian(tmp_path, dtype):
    a = noise(dtype, (70, 90, 3))
    tifffile_write(tmp_path / "big.tif", a, bigtiff=True, compression="zlib", tile=(32, 32))
    assert tifffile.TiffFile(tmp_path / "big.tif").is_bigtiff
    assert_same(convkit.imread(tmp_path / "big.tif"), a)
    for planar in (False, True):
        path = tmp_path / f"be_{planar}.tif"
        tifffile_write(path, a, planar=planar, byteorder=">", compression="lzw", predictor=True)
        assert_same(convkit.imread(path), a)


def expected_refusal(dtype, channels, compression, planar, predictor):
    if compression == "jpeg":
        if dtype != np.uint8 or (channels in (2, 4) and not planar) or (channels == 3 and planar):
            return True
    if predictor in (2, 3) and compression not in ("lzw", "zlib"):
        return True
    floating = np.dtype(dtype).kind == "f"
    return (predictor == 2 and floating) or (predictor == 3 and not floating)


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_tifffile_reads_what_convkit_writes(tmp_path, dtype, compression):
    floating = np.dtype(dtype).kind == "f"
    written = 0
    for channels in (1, 2, 3, 4):
        for planar in (False, True):
            for tiles in (False, True):
                for predictor in (None, 1, 2, 3):
                    shape = (300, 277) if channels == 1 else (300, 277, channels)
                    a = image(dtype, shape, compression, seed=channels)
                    path = tmp_path / f"{channels}_{planar}_{tiles}_{predictor}.tif"
                    options = dict(compression=compression, predictor=predictor, tiles=tiles,
                                   planar=planar)
                    if expected_refusal(dtype, channels, compression, planar, predictor):
                        with pytest.raises(ValueError):
                            convkit.imwrite(path, a, **options)
                        assert not path.exists()
                        continue
                    convkit.imwrite(path, a, **options)
                    written += 1
                    expected = tifffile_read(path)
                    if compression == "jpeg":
                        assert expected.shape == a.shape and expected.dtype == a.dtype
                        error = np.abs(expected.astype(int) - a)
                        assert error.max() <= 16 and error.mean() < 1.5
                    else:
                        assert_same(expected, a)
                    assert_same(convkit.imread(path), expected)

                    with tifffile.TiffFile(path) as tif:
                        page = tif.pages[0]
                        assert not tif.is_bigtiff
                        assert page.compression == CODES[compression]
                        assert page.is_tiled == tiles
                        if tiles:
                            assert (page.tilelength, page.tilewidth) == (256, 256)
                        assert page.planarconfig == (2 if planar and channels > 1 else 1)
                        if predictor is None:
                            auto = 3 if floating else 2
                            want = auto if compression in ("lzw", "zlib") else 1
                        else:
                            want = predictor
                        assert page.predictor == want
                        rgb = channels >= 3
                        jpeg_rgb = compression == "jpeg" and channels == 3
                        assert page.photometric == (6 if jpeg_rgb else 2 if rgb else 1)
                        assert page.extrasamples == ((2,) if channels in (2, 4) else ())
    assert written >= 16 or (compression == "jpeg" and dtype != np.uint8)


def test_strips_hold_64k_to_1m_and_bigtiff_follows_the_option(tmp_path):
    for shape, dtype in [((3000, 2000, 3), np.uint16), ((500, 40), np.uint8),
                         ((4, 1_500_000), np.uint8)]:
        path = tmp_path / "s.tif"
        convkit.imwrite(path, noise(dtype, shape), compression="lzw")
        with tifffile.TiffFile(path) as tif:
            page = tif.pages[0]
            strip_bytes = min(page.rowsperstrip, shape[0]) * page.imagewidth * \
                page.samplesperpixel * np.dtype(dtype).itemsize
            # A small image is one strip; a very wide one one row per strip.
            assert 64 << 10 <= strip_bytes <= 1 << 20 or page.rowsperstrip in (1, shape[0])
            np.testing.assert_array_equal(page.asarray(), tifffile.imread(path))
    a = noise(np.uint8, (50, 60, 3))
    for bigtiff, want in [(True, True), (False, False), (None, False)]:
        convkit.imwrite(tmp_path / "b.tif", a, bigtiff=bigtiff)
        assert tifffile.TiffFile(tmp_path / "b.tif").is_bigtiff == want
        assert_same(convkit.imread(tmp_path / "b.tif"), a)


def test_sample_types_convkit_widens_or_unpacks(tmp_path):
    rng = np.random.default_rng(5)
    bilevel = rng.random((37, 29)) > 0.5
    for compression in (None, "packbits", "zlib"):
        tifffile.imwrite(tmp_path / "bool.tif", bilevel, compression=compression)
        got = convkit.imread(tmp_path / "bool.tif")
        expected = tifffile.imread(tmp_path / "bool.tif")
        assert expected.dtype == np.bool_
        assert_same(got, expected.astype(np.uint8))  # 0/1, not 0/255
    for bits in range(2, 8):
        v = rng.integers(0, 2**bits, (23, 31), dtype=np.uint8)
        tifffile.imwrite(tmp_path / "bits.tif", v, bitspersample=bits)
        assert_same(convkit.imread(tmp_path / "bits.tif"), tifffile.imread(tmp_path / "bits.tif"))
    i8 = rng.integers(-128, 128, (40, 33, 2), dtype=np.int8)
    tifffile.imwrite(tmp_path / "i8.tif", i8, photometric="minisblack", planarconfig="contig")
    assert_same(convkit.imread(tmp_path / "i8.tif"), i8.astype(np.int16))
    f16 = rng.standard_normal((40, 33)).astype(np.float16)
    f16[0, :5] = [np.inf, -np.inf, np.nan, 6e-8, -0.0]
    for predictor in (False, True):
        tifffile.imwrite(tmp_path / "f16.tif", f16, compression="zlib", predictor=predictor)
        got = convkit.imread(tmp_path / "f16.tif")
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, f16.astype(np.float32))
        assert np.signbit(got[0, 4])


def test_raw_values_like_tifffile(tmp_path):
    rng = np.random.default_rng(6)
    idx = rng.integers(0, 256, (20, 30), dtype=np.uint8)
    colormap = rng.integers(0, 65536, (3, 256), dtype=np.uint16)
    files = {
        "palette.tif": dict(data=idx, photometric="palette", colormap=colormap),
        "palette16.tif": dict(data=idx.astype(np.uint16) * 200, photometric="palette",
                              colormap=rng.integers(0, 65536, (3, 65536), dtype=np.uint16)),
        "miniswhite.tif": dict(data=idx, photometric="miniswhite"),
        "cmyk.tif": dict(data=noise(np.uint8, (20, 30, 4)), photometric="separated"),
        "pages.tif": dict(data=noise(np.uint16, (3, 20, 30)), photometric="minisblack"),
    }
    for name, kw in files.items():
        tifffile.imwrite(tmp_path / name, **kw)
        assert_same(convkit.imread(tmp_path / name), tifffile_read(tmp_path / name))
    assert_same(convkit.imread(tmp_path / "palette.tif"), idx)  # indices, not colors
    assert_same(convkit.imread(tmp_path / "pages.tif"), files["pages.tif"]["data"][0])


@pytest.mark.parametrize("compression", ["zstd", "lzma", "webp", "lerc", "deflate"])
def test_other_codecs_libtiff_decodes(tmp_path, compression):
    a = smooth((64, 80, 3))
    path = tmp_path / "c.tif"
    tifffile.imwrite(path, a, compression=compression)
    assert_same(convkit.imread(path), tifffile.imread(path))


def test_refuses_what_convkit_cannot_hold(tmp_path):
    cases = {
        "u32.tif": np.arange(12, dtype=np.uint32).reshape(3, 4),
        "complex.tif": np.ones((3, 4), np.complex64),
        "i64.tif": np.ones((3, 4), np.int64),
    }
    for name, a in cases.items():
        tifffile.imwrite(tmp_path / name, a)
        with pytest.raises(ValueError, match="not supported"):
            convkit.imread(tmp_path / name)
    tifffile.imwrite(tmp_path / "j2k.tif", smooth((32, 32)), compression="jpeg2000")
    with pytest.raises(ValueError, match="compression 34712"):
        convkit.imread(tmp_path / "j2k.tif")


def test_resolution_tags_round_trip(tmp_path):
    a = noise(np.uint16, (20, 30))
    convkit.imwrite(tmp_path / "r.tif", a, resolution=(72.5, 300.0, 3))
    with tifffile.TiffFile(tmp_path / "r.tif") as tif:
        tags = tif.pages[0].tags
        x, y = tags["XResolution"].value, tags["YResolution"].value
        assert x[0] / x[1] == pytest.approx(72.5) and y[0] / y[1] == pytest.approx(300)
        assert tags["ResolutionUnit"].value == 3
    got, resolution = convkit.imread(tmp_path / "r.tif", with_resolution=True)
    assert_same(got, a)
    assert resolution == pytest.approx((72.5, 300.0, 3))

    tifffile.imwrite(tmp_path / "t.tif", a, resolution=(96, 120), resolutionunit="INCH")
    assert convkit.imread(tmp_path / "t.tif", with_resolution=True)[1] == pytest.approx(
        (96, 120, 2))
    convkit.imwrite(tmp_path / "none.tif", a)
    assert "XResolution" not in tifffile.TiffFile(tmp_path / "none.tif").pages[0].tags
    assert convkit.imread(tmp_path / "none.tif", with_resolution=True)[1] is None


def test_cli_filtered_copy_keeps_depth_channels_and_resolution(cli):
    src, out = cli.path("in.tif"), cli.path("out.tif")
    a = smooth((60, 70, 3)).astype(np.uint16) * 200
    tifffile.imwrite(src, a, photometric="rgb", compression="lzw", resolution=(300, 300),
                     resolutionunit="CENTIMETER")
    cli.ok("gaussian", src, out, "--sigma", "1")
    with tifffile.TiffFile(out) as tif:
        page = tif.pages[0]
        assert page.shape == (60, 70, 3) and page.dtype == np.uint16
        tags = page.tags
        assert tags["XResolution"].value[0] / tags["XResolution"].value[1] == pytest.approx(300)
        assert tags["ResolutionUnit"].value == 3


def test_broken_files_raise_one_clean_line(tmp_path, capfd):
    a = smooth((300, 280, 3))
    for compression in COMPRESSIONS:
        for tiles in (False, True):
            good = tmp_path / "good.tif"
            convkit.imwrite(good, a, compression=compression, tiles=tiles)
            data = good.read_bytes()
            # libtiff puts the directory after the pixels: each cut loses something needed.
            for cut in (7, 16, len(data) // 3, len(data) // 2, len(data) - 40):
                bad = tmp_path / "bad.tif"
                bad.write_bytes(data[:cut])
                with pytest.raises(OSError) as info:
                    convkit.imread(bad)
                message = str(info.value)
                assert str(bad) in message and "\n" not in message, message
    (tmp_path / "png.tif").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(40))
    with pytest.raises(ValueError, match="not a TIFF"):
        convkit.imread(tmp_path / "png.tif")
    with pytest.raises(OSError, match="missing.tif"):
        convkit.imread(tmp_path / "missing.tif")
    # libtiff's own messages end up in the exceptions, not on stderr.
    captured = capfd.readouterr()
    assert captured.err == ""
