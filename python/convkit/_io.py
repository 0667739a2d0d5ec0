"""convkit.imread / convkit.imwrite: image and array files as NumPy arrays, by extension.

.npy (any convkit dtype), .png (8/16-bit), .pgm/.ppm/.pnm, .jpg/.jpeg (8-bit gray, RGB, CMYK;
libjpeg-turbo), .tif/.tiff (uint8/16, int16/32, float32/64, 1-4 channels; libtiff) and .webp
(8-bit RGB/RGBA; libwebp). The samples are the file's own (no gamma, no scaling): the same
arrays Pillow and tifffile give for the same files. ``imread(p, auto_orient=True)`` turns an
image the way its EXIF orientation says, as Pillow's ``ImageOps.exif_transpose`` does;
``imread(p, mmap=True)`` maps a .npy file instead of reading it.

>>> import numpy as np, convkit, tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "ramp.tif")
>>> convkit.imwrite(path, np.arange(12, dtype=np.uint16).reshape(3, 4), compression="lzw")
>>> convkit.imread(path)
array([[ 0,  1,  2,  3],
       [ 4,  5,  6,  7],
       [ 8,  9, 10, 11]], dtype=uint16)
"""

import numbers
import os

import numpy as np

from . import _core

__all__ = ["imread", "imwrite"]

_COMPRESSIONS = ("none", "lzw", "deflate", "zlib", "jpeg", "packbits")


def _path(path, name="path"):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{name}: expected a str or os.PathLike, got {type(path).__name__}")
    path = os.fspath(path)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    return path


def _int_in(value, name, lo, hi):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"{name}: must be {lo}..{hi}, got {value}")
    return int(value)


def _flag(value, name):
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {type(value).__name__}")
    return bool(value)


_NPY_MAGIC = b"\x93NUMPY"


def _npy_memmap(path):
    """numpy.load(path, mmap_mode='r'), with imread's errors: OSError for a missing, unreadable
    or truncated file, ValueError for one that is not an .npy file or cannot be mapped."""
    try:
        with open(path, "rb") as f:
            magic = f.read(len(_NPY_MAGIC))
    except OSError as e:
        raise OSError(f"'{path}': cannot open: {e.strerror or e}") from None
    if magic != _NPY_MAGIC:
        if len(magic) < len(_NPY_MAGIC) and _NPY_MAGIC.startswith(magic):
            raise OSError(f"'{path}': truncated .npy file (no complete header)")
        raise ValueError(f"path: '{path}' is not an .npy file (bad magic)")
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except EOFError as e:
        raise OSError(f"'{path}': truncated .npy file ({e})") from None
    except OSError as e:
        raise OSError(f"'{path}': cannot map: {e.strerror or e}") from None
    except ValueError as e:  # numpy's: a cut header, too little data, an object dtype, ...
        message = str(e)
        if "EOF" in message or "greater than file size" in message:
            raise OSError(f"'{path}': truncated .npy file ({message})") from None
        raise ValueError(f"path: '{path}' cannot be memory-mapped ({message})") from None


def imread(path, *, with_resolution=False, auto_orient=False, mmap=False):
    """Reads an image or array file into a new NumPy array (a memory map with ``mmap=True``):
    HxW for one channel, HxWxC otherwise (CMYK JPEGs are HxWx4 as Pillow gives them), the
    file's own dtype.

    with_resolution: also return the TIFF resolution tags as (x, y, unit) -- unit 1 none,
        2 inch, 3 centimetre -- or None: ``array, resolution = imread(p, with_resolution=True)``.
    auto_orient: turn the image the way its EXIF orientation says, exactly as Pillow's
        ``ImageOps.exif_transpose(Image.open(p))`` does: 2 mirrored left-right, 3 rotated 180,
        4 mirrored top-bottom, 5 transposed, 6 rotated 90 degrees clockwise, 7 transversed,
        8 rotated 90 degrees counter-clockwise (5-8 swap height and width). The orientation is
        read where Pillow reads it: JPEG APP1 Exif, PNG eXIf (or an ImageMagick raw profile),
        WebP EXIF chunks, TIFF's Orientation tag, else an XMP packet's tiff:Orientation. A
        malformed EXIF block counts as no orientation, never as an error. NPY and PNM files
        have none. (Without it, the stored pixels come back, as tifffile gives them -- Pillow
        itself turns TIFF images when it loads them.)
    mmap: for a .npy file, return ``numpy.load(path, mmap_mode='r')``: a read-only
        ``numpy.memmap`` of the file, nothing copied, its dtype, shape and memory order as
        stored (any that NumPy maps: big-endian, Fortran order and dtypes convkit does not
        compute with included); pages are read as they are touched, and the file must stay
        in place while the array is used. Copy it (``np.array(a)``) for a writable array. Any
        other extension raises ValueError: images are decoded, there is nothing to map.

    Raises OSError for a missing, unreadable, truncated or corrupt file (one line naming it) and
    ValueError for an unknown extension or contents convkit does not take.
    """
    path = _path(path)
    auto_orient = _flag(auto_orient, "auto_orient")
    if _flag(mmap, "mmap"):
        ext = os.path.splitext(path)[1]
        if ext.lower() != ".npy":
            what = repr(ext) if ext else "a file without an extension"
            raise ValueError(f"mmap: only .npy files can be memory-mapped, not {what} "
                             f"({path!r}); images are decoded: use mmap=False")
        array, resolution = _npy_memmap(path), None  # an .npy has no orientation
    else:
        array, resolution = _core.imread(path, auto_orient)
    return (array, resolution) if with_resolution else array


def imwrite(path, array, *, quality=None, lossless=False, progressive=False, compression=None,
            predictor=None, tiles=False, planar=False, bigtiff=None, resolution=None,
            png_compression=None):
    """Writes ``array`` to ``path`` in the format of its extension, through a temporary file
    renamed into place: ``path`` is the whole file or untouched, never half-written.

    quality: JPEG 1..100 (default 95), WebP 0..100 (default 90, lossy).
    lossless: WebP lossless. progressive: progressive JPEG.
    compression (TIFF): 'none' (default), 'lzw', 'deflate' (= 'zlib'), 'jpeg' (uint8),
        'packbits'; predictor (TIFF): None (horizontal for lzw/deflate integers, floating point
        for floats), 1 none, 2 horizontal, 3 floating point; tiles: 256x256 tiles; planar: one
        plane per channel; bigtiff: None (when the data needs it), True, False;
        resolution: (x, y, unit) resolution tags.
    png_compression: PNG zlib level 0..9 (default 1: fast, as OpenCV's writer; 6 is zlib's
        default, a little smaller and several times slower).

    ValueError when the format cannot hold the array (e.g. float32 in a PNG: use .tif or .npy)
    or an option is out of range; OSError when the file cannot be written.
    """
    path = _path(path)
    array = np.asarray(array)
    q = -1 if quality is None else _int_in(quality, "quality", 0, 100)
    if compression is None:
        comp = ""
    elif not isinstance(compression, str):
        raise TypeError(f"compression: expected a string, got {type(compression).__name__}")
    elif compression.lower() not in _COMPRESSIONS:
        raise ValueError(f"compression: unknown compression {compression!r} (expected one of "
                         f"{', '.join(_COMPRESSIONS)})")
    else:
        comp = {"zlib": "deflate"}.get(compression.lower(), compression.lower())
    pred = 0 if predictor is None else _int_in(predictor, "predictor", 1, 3)
    big = -1 if bigtiff is None else int(bool(bigtiff))
    level = -1 if png_compression is None else _int_in(png_compression, "png_compression", 0, 9)
    if resolution is not None:
        try:
            x, y, unit = resolution
            resolution = (float(x), float(y), _int_in(unit, "resolution", 1, 3))
        except (TypeError, ValueError) as e:
            raise ValueError(f"resolution: expected (x, y, unit) with unit 1, 2 or 3 ({e})") \
                from None
    directory, name = os.path.split(os.path.abspath(path))
    base, ext = os.path.splitext(name)
    if not ext:
        raise ValueError(f"path: {path!r} has no extension; it picks the format (.npy, .png, "
                         f".pgm, .ppm, .pnm, .jpg, .jpeg, .tif, .tiff, .webp)")
    tmp = os.path.join(directory, f".{base}.tmp{os.getpid()}{ext}")  # the extension picks
    try:
        _core.imwrite(tmp, array, q, bool(lossless), bool(progressive), comp, pred,
                      bool(tiles), bool(planar), big, resolution, level)
        os.replace(tmp, path)
    except (OSError, ValueError) as e:  # name the user's file, not the temporary one
        if os.path.exists(tmp):
            os.remove(tmp)
        message = str(e).replace(tmp, path)
        if message.startswith("output: "):  # the format cannot hold the array, or is unknown
            what = "path" if "unknown file type" in message else "array"
            message = f"{what}: {message[len('output: '):]}"
        raise type(e)(message) from None
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
