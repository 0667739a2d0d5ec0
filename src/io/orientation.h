#pragma once
// EXIF orientation, read and applied as Pillow's ImageOps.exif_transpose does:
//
//   Tensor img = read_image(path);
//   img = apply_orientation(img, read_exif_orientation(path));   // as the camera meant it
//
// read_exif_orientation looks only at the metadata (no pixels are decoded), recognizing the file
// by its first bytes, not its extension:
//   JPEG  APP1 "Exif\0\0" segments before the first scan (several are joined, as Pillow joins
//         them), else the last XMP APP1 segment
//   PNG   the last eXIf chunk (or a tEXt "exif"), else a "Raw profile type exif" text chunk
//         (ImageMagick's hex dump; tEXt, zTXt or iTXt), else an XML:com.adobe.xmp text chunk;
//         chunks after the image data count too
//   WebP  the first EXIF chunk, else the first "XMP " chunk, of an extended (VP8X) file whose
//         header flags announce them (libwebp's demuxer, which Pillow uses, ignores the others)
//   TIFF  the Orientation tag (274) of the first IFD, else its XMP tag (700); Pillow applies it
//         when it loads a TIFF
// The EXIF value is tag 274 of IFD0 in either byte order, read with Pillow's rules: the first
// usable entry wins, integer, rational and floating-point types count when they hold exactly
// 2..8; anything else (BYTE, ASCII, 0, 9, ...) means "as stored". Without an EXIF Orientation,
// the XMP packet's first tiff:Orientation="n" or <tiff:Orientation>n counts. A malformed block
// -- truncated, offsets past its end, endless IFD chains -- is ignored, never an error: every
// offset is checked and nothing is allocated beyond the file's own size.

#include <string>
#include <string_view>

#include "convkit/tensor.h"

namespace convkit::io {

/// The EXIF orientation of the image file at `path`: 1 (as stored) .. 8. 1 also when the file
/// has none, cannot be opened or read, or is not a JPEG, PNG, WebP or TIFF. Never throws.
int read_exif_orientation(const std::string& path) noexcept;

/// The same for a whole file's bytes in memory (for fuzzing and in-memory images).
int exif_orientation_of_bytes(std::string_view file_bytes) noexcept;

/// `image` (HxW or HxWxC, any dtype and strides) as Pillow's exif_transpose shows an image with
/// EXIF orientation `orientation`, as a view of the same memory (negative or swapped strides):
///   1 as is              2 mirrored left-right        3 rotated 180
///   4 mirrored top-bottom 5 transposed (WxH)          6 rotated 90 clockwise (WxH)
///   7 transversed (WxH)   8 rotated 90 counter-clockwise (WxH)
/// 5..8 swap height and width. Orientation 1 takes any rank. Throws convkit::Error
/// ("orientation") outside 1..8, Error("image") for 2..8 on a view that is not HxW or HxWxC.
ConstTensorView oriented_view(ConstTensorView image, int orientation);

/// oriented_view copied into a new contiguous Tensor (orientation 1: a plain copy).
Tensor apply_orientation(ConstTensorView image, int orientation);

}  // namespace convkit::io
