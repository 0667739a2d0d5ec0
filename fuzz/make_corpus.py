#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus: fuzz/corpus/<target>/ (small valid files of each kind).

    .venv/bin/python fuzz/make_corpus.py      # needs numpy, Pillow, tifffile, imagecodecs

The output is committed; rerun this only to change the seeds (it rewrites the folders it owns,
deterministically). Every file stays under 4 KB and the whole corpus well under 300 KB.
fuzz/run.sh fuzzes copies of these folders, never the folders themselves.
"""
import io
import pathlib
import shutil
import struct
import zlib

import numpy as np
import tifffile
from PIL import Image

HERE = pathlib.Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
MAX_FILE = 4096
rng = np.random.default_rng(20240607)


def ramp(h, w, c=None, dtype=np.uint8, scale=None):
    shape = (h, w) if c is None else (h, w, c)
    n = int(np.prod(shape))
    a = (np.arange(n) * 37 % 251).reshape(shape)
    if scale is not None:
        a = a * scale
    return a.astype(dtype)


def noise(h, w, c=None, dtype=np.uint8):
    shape = (h, w) if c is None else (h, w, c)
    return rng.integers(0, 256, size=shape).astype(dtype)


class Writer:
    def __init__(self, target):
        self.dir = CORPUS / target
        if self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True)

    def bytes(self, name, data):
        if len(data) > MAX_FILE:
            raise SystemExit(f"{self.dir.name}/{name}: {len(data)} bytes, over {MAX_FILE}")
        (self.dir / name).write_bytes(data)


# --- .npy ---------------------------------------------------------------------------------------

def npy_bytes(a, version=None, fortran=False):
    buf = io.BytesIO()
    if version is None:
        np.save(buf, np.asfortranarray(a) if fortran else a)
    else:
        arr = np.asfortranarray(a) if fortran else np.ascontiguousarray(a)
        np.lib.format.write_array(buf, arr, version=version)
    return buf.getvalue()


def make_npy():
    w = Writer("npy")
    w.bytes("u8_2d.npy", npy_bytes(ramp(4, 5)))
    w.bytes("u16_3d.npy", npy_bytes(ramp(3, 4, 3, np.uint16, 257)))
    w.bytes("i16_be.npy", npy_bytes(ramp(3, 3, dtype=np.int16).astype(">i2") - 100))
    w.bytes("i32_fortran.npy", npy_bytes(ramp(3, 4, dtype=np.int32) * -7, fortran=True))
    w.bytes("f32_4d.npy", npy_bytes(np.linspace(-1, 1, 2 * 3 * 2 * 2, dtype=np.float32)
                                    .reshape(2, 3, 2, 2)))
    w.bytes("f64_1d.npy", npy_bytes(np.array([0.0, -1.5, np.inf, np.nan, 1e-300])))
    w.bytes("f64_be_fortran_3d.npy",
            npy_bytes(np.arange(24, dtype=">f8").reshape(2, 3, 4), fortran=True))
    w.bytes("c64.npy", npy_bytes((np.arange(6) + 1j * np.arange(6)).astype(np.complex64)
                                 .reshape(2, 3)))
    w.bytes("c128_be.npy", npy_bytes(np.array([[1 + 2j, -3j]], dtype=">c16")))
    w.bytes("empty.npy", npy_bytes(np.zeros((0, 3), np.float32)))
    w.bytes("v2.npy", npy_bytes(ramp(2, 2), version=(2, 0)))
    w.bytes("v3.npy", npy_bytes(ramp(2, 3, dtype=np.uint16), version=(3, 0)))
    # Hand-written headers: Python 2 long shapes, odd spacing, key order.
    hdr = b"{'shape': (2L, 2L), 'fortran_order': False, 'descr': '|u1'}"
    hdr += b" " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + b"\n"
    w.bytes("py2_long.npy",
            b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr + b"\x01\x02\x03\x04")


# --- PNG ----------------------------------------------------------------------------------------

def png_chunk(kind, data):
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
         (0, 1, 1, 2)]


def png_raw(a, color_type, depth, interlace=False, extra=b""):
    """A PNG written by hand (Pillow cannot write interlaced files); filter type 0 rows."""
    h, w = a.shape[:2]
    big = a.astype(">u2") if depth == 16 else a.astype(np.uint8)

    def rows_of(img):
        return b"".join(b"\x00" + img[y].tobytes() for y in range(img.shape[0]))

    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = big[y0::dy, x0::dx]
            if sub.shape[0] and sub.shape[1]:
                raw += rows_of(sub)
    else:
        raw = rows_of(big)
    ihdr = struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra
            + png_chunk(b"IDAT", zlib.compress(raw, 9)) + png_chunk(b"IEND", b""))


def pil_bytes(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def make_png():
    w = Writer("png")
    w.bytes("gray8.png", pil_bytes(Image.fromarray(ramp(6, 7)), "PNG"))
    w.bytes("gray16.png", png_raw(ramp(5, 4, dtype=np.uint16, scale=261), 0, 16))
    w.bytes("gray1.png", pil_bytes(Image.fromarray(ramp(8, 9) > 120), "PNG"))
    w.bytes("gray_alpha.png", pil_bytes(Image.fromarray(ramp(4, 4, 2), "LA"), "PNG"))
    w.bytes("rgb.png", pil_bytes(Image.fromarray(noise(6, 5, 3)), "PNG"))
    w.bytes("rgba.png", pil_bytes(Image.fromarray(ramp(5, 6, 4)), "PNG"))
    w.bytes("rgb16.png", png_raw(ramp(3, 4, 3, np.uint16, 263), 2, 16))
    pal = Image.fromarray(ramp(6, 6) % 5).convert("P")
    pal.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255])
    w.bytes("palette.png", pil_bytes(pal, "PNG"))
    w.bytes("palette_trns.png", pil_bytes(pal, "PNG", transparency=2))
    w.bytes("interlaced_gray.png", png_raw(ramp(9, 11), 0, 8, interlace=True))
    w.bytes("interlaced_rgba16.png", png_raw(ramp(5, 3, 4, np.uint16, 257), 6, 16,
                                              interlace=True))
    w.bytes("gray_trns.png", png_raw(ramp(3, 3), 0, 8, extra=png_chunk(b"tRNS", b"\x00\x07")))
    w.bytes("gray4_text.png", pil_bytes(Image.fromarray(ramp(4, 5) % 16).convert("L")
                                        .point(lambda v: v), "PNG", bits=4))


# --- Netpbm -------------------------------------------------------------------------------------

def make_pnm():
    w = Writer("pnm")
    g = ramp(3, 4)
    w.bytes("p2.pgm", b"P2\n# a comment\n4 3\n255\n" +
            b"\n".join(b" ".join(b"%d" % v for v in row) for row in g) + b"\n")
    w.bytes("p3.ppm", b"P3\n2 2\n15\n0 1 2  3 4 5\n6 7 8  15 14 13\n")
    w.bytes("p5.pgm", b"P5\n4 3\n255\n" + g.tobytes())
    w.bytes("p5_16.pgm", b"P5 3 2 65535\n" + ramp(2, 3, dtype=np.uint16, scale=257)
            .astype(">u2").tobytes())
    w.bytes("p6.ppm", b"P6\n#c\n3 2\n255\n" + ramp(2, 3, 3).tobytes())
    w.bytes("p6_1000.ppm", b"P6 2 2 1000\n" + (ramp(2, 2, 3, np.uint16) * 3).astype(">u2")
            .tobytes())
    w.bytes("p2_16.pgm", b"P2 2 2 65535 0 65535 1000 7\n")
    w.bytes("p5_maxval1.pgm", b"P5 3 1 1\n\x00\x01\x00")


# --- JPEG ---------------------------------------------------------------------------------------

def make_jpeg():
    w = Writer("jpeg")
    smooth = np.clip(ramp(16, 16, 3) // 2 + 40, 0, 255).astype(np.uint8)
    w.bytes("baseline_rgb.jpg", pil_bytes(Image.fromarray(smooth), "JPEG", quality=50))
    w.bytes("gray.jpg", pil_bytes(Image.fromarray(smooth[..., 0]), "JPEG", quality=60))
    w.bytes("progressive.jpg", pil_bytes(Image.fromarray(smooth), "JPEG", quality=40,
                                         progressive=True))
    w.bytes("rgb444.jpg", pil_bytes(Image.fromarray(smooth[:8, :9]), "JPEG", quality=30,
                                    subsampling=0))
    w.bytes("rgb422_odd.jpg", pil_bytes(Image.fromarray(smooth[:7, :13]), "JPEG", quality=30,
                                        subsampling=1))
    w.bytes("cmyk.jpg", pil_bytes(Image.fromarray(ramp(8, 8, 4), "CMYK"), "JPEG", quality=40))
    w.bytes("optimized.jpg", pil_bytes(Image.fromarray(smooth[:8, :8]), "JPEG", quality=20,
                                       optimize=True))
    w.bytes("gray_progressive.jpg", pil_bytes(Image.fromarray(smooth[:9, :5, 1]), "JPEG",
                                              quality=70, progressive=True))


# --- TIFF ---------------------------------------------------------------------------------------

def tiff_bytes(a, **kw):
    buf = io.BytesIO()
    tifffile.imwrite(buf, a, **kw)
    return buf.getvalue()


def make_tiff():
    w = Writer("tiff")
    w.bytes("u8_strips.tif", tiff_bytes(ramp(8, 6), rowsperstrip=3))
    w.bytes("u16_tiles.tif", tiff_bytes(ramp(20, 18, dtype=np.uint16, scale=100), tile=(16, 16)))
    w.bytes("rgb_lzw.tif", tiff_bytes(ramp(6, 7, 3), compression="lzw", photometric="rgb"))
    w.bytes("rgb_deflate_predictor.tif", tiff_bytes(ramp(5, 6, 3), compression="zlib",
                                                    predictor=True, photometric="rgb"))
    w.bytes("packbits.tif", tiff_bytes(ramp(5, 5) // 16, compression="packbits"))
    w.bytes("planar_rgb.tif", tiff_bytes(ramp(3, 4, 4, np.uint16) * 9, planarconfig="separate",
                                         photometric="rgb", extrasamples=["unassalpha"]))
    w.bytes("f32.tif", tiff_bytes(np.linspace(-1, 1, 20, dtype=np.float32).reshape(4, 5)))
    w.bytes("f16_predictor3.tif", tiff_bytes(np.linspace(-2, 2, 12, dtype=np.float16)
                                             .reshape(3, 4), compression="zlib", predictor=3))
    w.bytes("f64.tif", tiff_bytes(np.array([[0.5, -np.inf], [np.nan, 1e300]])))
    w.bytes("i8.tif", tiff_bytes((ramp(3, 3).astype(np.int16) - 128).astype(np.int8)))
    w.bytes("i16_be.tif", tiff_bytes(ramp(3, 3, dtype=np.int16) - 50, byteorder=">"))
    w.bytes("i32_tiles_lzw.tif", tiff_bytes(ramp(17, 17, dtype=np.int32) * -1000,
                                            tile=(16, 16), compression="lzw"))
    w.bytes("bigtiff.tif", tiff_bytes(ramp(4, 4, 2), bigtiff=True, photometric="minisblack",
                                      planarconfig="contig"))
    w.bytes("bilevel.tif", pil_bytes(Image.fromarray(ramp(9, 10) > 100), "TIFF"))
    w.bytes("bits4.tif", tiff_bytes(ramp(3, 5) % 16, bitspersample=4))
    w.bytes("jpeg_ycbcr.tif", pil_bytes(Image.fromarray(ramp(16, 16, 3)), "TIFF",
                                        compression="jpeg", quality=30))
    w.bytes("jpeg_gray_tiles.tif", tiff_bytes(ramp(16, 16), compression="jpeg",
                                              compressionargs={"level": 40}, tile=(16, 16)))
    w.bytes("resolution.tif", tiff_bytes(ramp(2, 3), resolution=(72.0, 36.0),
                                         resolutionunit="centimeter"))


# --- WebP ---------------------------------------------------------------------------------------

def make_webp():
    w = Writer("webp")
    w.bytes("lossy_rgb.webp", pil_bytes(Image.fromarray(ramp(16, 16, 3)), "WEBP", quality=30))
    w.bytes("lossless_rgba.webp", pil_bytes(Image.fromarray(ramp(8, 9, 4)), "WEBP",
                                            lossless=True))
    w.bytes("lossy_alpha.webp", pil_bytes(Image.fromarray(ramp(9, 7, 4)), "WEBP", quality=20))
    w.bytes("lossless_rgb.webp", pil_bytes(Image.fromarray(noise(4, 4, 3)), "WEBP",
                                           lossless=True))
    w.bytes("lossy_odd.webp", pil_bytes(Image.fromarray(noise(3, 5, 3)), "WEBP", quality=10,
                                        method=0))


# --- kernels ------------------------------------------------------------------------------------

def make_kernel_text():
    w = Writer("kernel_text")
    texts = {
        "box.txt": "1 2 1; 2 4 2; 1 2 1",
        "fractions.txt": "-1/2, 0, 1/2",
        "comments.txt": "# a derivative\n-1 0 1 # row 1\n-2 0 2\n\n-1 0 1\n",
        "special.txt": "1e-3\tinf -inf; nan +4 -0.0",
        "crlf.txt": "1 2\r\n3 4\r\n",
        "column.txt": "1;2;3;4",
        "spaces.txt": "  1 ,2 , 3 ;; 4,5,6 ;",
    }
    for name, text in texts.items():
        w.bytes(name, text.encode())
    w.bytes("row.npy", npy_bytes(np.array([1.0, 2.0, 1.0])))
    w.bytes("kernel.npy", npy_bytes(ramp(3, 3, dtype=np.int16) - 100))
    w.bytes("kernel.pgm", b"P5 3 3 255\n" + ramp(3, 3).tobytes())


# --- EXIF orientation ---------------------------------------------------------------------------

def make_exif():
    """Files whose metadata turns the image: JPEG APP1, PNG eXIf, WebP EXIF, TIFF tag 274."""
    w = Writer("exif")
    image = Image.fromarray(ramp(6, 10, 3))
    for n, fmt in ((6, "JPEG"), (3, "PNG"), (8, "WEBP"), (5, "TIFF")):
        exif = Image.Exif()
        exif[0x0112] = n
        buf = io.BytesIO()
        image.save(buf, fmt, exif=exif.tobytes())
        w.bytes(f"orientation{n}.{fmt.lower()}", buf.getvalue())
    buf = io.BytesIO()
    image.save(buf, "JPEG")
    w.bytes("none.jpeg", buf.getvalue())


# --- band reading -------------------------------------------------------------------------------

def make_rows():
    """A few files of every streamable kind (the magic bytes pick the reader)."""
    w = Writer("rows")
    picks = {
        "npy": ["u8_2d.npy", "u16_3d.npy", "i16_be.npy", "i32_fortran.npy", "c64.npy"],
        "png": ["gray8.png", "gray16.png", "rgb.png", "palette_trns.png", "interlaced_gray.png",
                "gray1.png"],
        "pnm": ["p5.pgm", "p6.ppm", "p5_16.pgm", "p2.pgm"],
        "jpeg": ["baseline_rgb.jpg", "gray.jpg", "progressive.jpg", "cmyk.jpg",
                 "rgb422_odd.jpg"],
        "tiff": ["u8_strips.tif", "u16_tiles.tif", "planar_rgb.tif", "f16_predictor3.tif",
                 "bits4.tif", "jpeg_ycbcr.tif", "i8.tif"],
        "webp": ["lossy_rgb.webp"],
    }
    for target, names in picks.items():
        for name in names:
            w.bytes(name, (CORPUS / target / name).read_bytes())


# --- command lines ------------------------------------------------------------------------------

def make_cli_args():
    """One argument per line; the fuzzer's scratch folder holds a.npy (3x4 f64), g.pgm (8x8),
    c.ppm (3x3 RGB) and k.txt ("1 2 1")."""
    w = Writer("cli_args")
    lines = {
        "convolve": ["convolve", "a.npy", "k.txt", "o.npy", "--mode", "same", "--boundary",
                     "wrap"],
        "correlate": ["correlate", "g.pgm", "k.txt", "o.npy", "--fillvalue", "-2.5e-3",
                      "--algorithm", "fft"],
        "filter_kernel": ["filter", "g.pgm", "o.png", "--kernel", "1 2 1; 2 4 2; 1 2 1",
                          "--normalize", "--anchor", "1,1", "--border", "constant"],
        "filter_preset": ["filter", "c.ppm", "o.ppm", "--preset", "sharpen", "--delta", "3",
                          "--depth", "u8"],
        "filter_kernel_file": ["filter", "a.npy", "o.tif", "--kernel-file", "k.txt",
                               "--compression", "lzw", "-v"],
        "presets": ["presets"],
        "version": ["--version"],
        "help": ["filter", "--help"],
        "gaussian": ["gaussian", "g.pgm", "o.pgm", "--sigma", "1.5", "--style", "scipy",
                     "--mode", "nearest"],
        "box": ["box", "c.ppm", "o.npy", "--size", "3x1", "--no-normalize"],
        "sobel": ["sobel", "g.pgm", "o.npy", "--dx", "1", "--dy", "0", "--ksize", "3"],
        "laplacian": ["laplacian", "a.npy", "o.npy", "--ksize", "1", "--depth", "f64"],
        "unsharp": ["unsharp", "g.pgm", "o.webp", "--sigma", "1", "--amount", "2",
                    "--quality", "50"],
        "sepfilter": ["sepfilter", "g.pgm", "o.jpg", "--kx", "1 2 1", "--ky", "-1 0 1",
                      "--progressive"],
        "deblur": ["deblur", "g.pgm", "o.npy", "--psf", "gaussian:1", "--method", "wiener",
                   "--nsr", "0.01", "--quiet"],
        "steps": ["steps", "1 2 3; 4 5 6", "1 0; 0 -1", "o.txt", "--stride", "1",
                  "--padding", "1", "--cell", "0,0"],
        "steps_svg": ["steps", "a.npy", "box3", "o.svg", "--dilation", "1,1", "--strip"],
        "bad_usage": ["filter", "g.pgm", "o.npy", "--anchor", "1;2", "--kernel", "1"],
        "threads": ["gradient", "g.pgm", "o.npy", "--threads", "2", "--explain"],
    }
    for name, args in lines.items():
        w.bytes(name, "\n".join(args).encode())


def main():
    make_npy()
    make_png()
    make_pnm()
    make_jpeg()
    make_tiff()
    make_webp()
    make_kernel_text()
    make_exif()
    make_rows()
    make_cli_args()
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    count = sum(1 for p in CORPUS.rglob("*") if p.is_file())
    print(f"{count} files, {total} bytes in {CORPUS}")
    if total > 300_000:
        raise SystemExit("corpus over 300 KB")


if __name__ == "__main__":
    main()
