#pragma once
// Image and array files by extension (case-insensitive):
//   .npy                 any convkit dtype, ranks 1..4 (see io/npy.h)
//   .png                 8/16-bit gray, gray+alpha, RGB, RGBA; palettes expand to RGB(A)
//   .pgm .ppm .pnm       Netpbm P2/P5 (gray) and P3/P6 (RGB); maxval > 255 means 16-bit
//   .jpg .jpeg           8-bit gray, RGB, CMYK (libjpeg-turbo; io/jpeg.h)
//   .tif .tiff           u8/u16/i16/i32/f32/f64, 1-4 channels, strips or tiles, the usual
//                        compressions, BigTIFF (libtiff; io/tiff.h)
//   .webp                8-bit RGB / RGBA, lossy or lossless (libwebp; io/webp.h)
// Images come back as HxW (one channel) or HxWxC with the stored sample values (no gamma, no
// rescaling of a PNM maxval below 255/65535), the same values Pillow / tifffile give.

#include <cstdint>
#include <span>
#include <string>

#include "convkit/tensor.h"

namespace convkit::io {

enum class FileFormat { npy, png, pgm, ppm, pnm, jpeg, tiff, webp, unknown };

/// What a file says beyond its samples and a filtered copy should keep: TIFF's resolution tags.
struct ImageMeta {
  bool has_resolution = false;
  double x_resolution = 0, y_resolution = 0;
  int resolution_unit = 2;  ///< TIFF's: 1 none, 2 inch, 3 centimetre
};

/// How a format writes (each format reads the options that concern it; -1 / "" = its default).
struct WriteOptions {
  int quality = -1;            ///< JPEG 1..100 (default 95), WebP 0..100 (default 90)
  bool lossless = false;       ///< WebP
  bool progressive = false;    ///< JPEG
  std::string compression;     ///< TIFF: none, lzw, deflate, jpeg, packbits (default none)
  int predictor = 0;           ///< TIFF: 0 auto, 1 none, 2 horizontal, 3 floating point
  bool tiles = false;          ///< TIFF: 256x256 tiles instead of strips
  bool planar = false;         ///< TIFF: one plane per channel
  int bigtiff = -1;            ///< TIFF: -1 when the data needs it, 0 never, 1 always
  /// PNG zlib level 0..9; -1: kPngFastLevel (fast, as OpenCV's and libvips' writers choose).
  int png_compression = -1;
  ImageMeta meta;              ///< kept where the format has a place for it (TIFF)
};

/// The PNG zlib level used unless asked otherwise: 1, OpenCV's default (measured on the demo
/// images: several times faster than zlib's default 6, files about 10-15% larger).
constexpr int kPngFastLevel = 1;

/// The format implied by the extension of `path`.
FileFormat format_of(const std::string& path);
/// True for the image formats (not .npy).
bool is_image_extension(const std::string& path);
/// True for any extension read_image/write_image know.
bool is_known_extension(const std::string& path);

/// Reads an array or image file. Throws convkit::IoError for unreadable or truncated files,
/// convkit::Error (naming `parameter`) for unsupported contents or an unknown extension.
Tensor read_image(const std::string& path, const char* parameter = "input",
                  ImageMeta* meta = nullptr);

/// Writes `t` (any strides) in the format chosen by the extension. Throws convkit::Error
/// ("output") when the format cannot hold `t` (see storage_problem), IoError on write failure;
/// a failed write removes the partial file.
void write_image(const std::string& path, ConstTensorView t, const WriteOptions& options = {});

/// Why the file format of `path` cannot store an array of `dtype` and `shape`, e.g.
/// "cannot store f32 in a PNG (it holds u8 or u16)"; empty when it can. Lets callers fail
/// before computing, and add their own advice.
std::string storage_problem(const std::string& path, DType dtype,
                            std::span<const std::int64_t> shape);

}  // namespace convkit::io
