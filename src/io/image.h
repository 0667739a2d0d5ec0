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
#include <optional>
#include <span>
#include <string>
#include <string_view>

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

// --- Internal: shared by read_image / write_image and the band readers and writers
// (io/rows.h), so that both paths give the same samples and write the same bytes. ---------------

struct JpegOptions;
struct TiffOptions;
struct TiffMeta;

/// write_image's check: Error("output") naming `path` with storage_problem's reason.
void check_storage(const std::string& path, DType dtype, std::span<const std::int64_t> shape);
/// read_image's error for an unknown extension (Error naming `parameter`).
[[noreturn]] void fail_unknown_format(const std::string& path, const char* parameter);
/// The PNG zlib level write_image uses; Error("png_compression") outside 0..9.
int png_level(const WriteOptions& options);
/// The JPEG settings write_image uses.
JpegOptions jpeg_options(const WriteOptions& options);
/// The TIFF settings write_image uses.
TiffOptions tiff_options(const WriteOptions& options);
/// The TIFF resolution read_image reports.
ImageMeta image_meta(const TiffMeta& meta);

/// A Netpbm header: binary P5/P6 or ASCII P2/P3.
struct PnmHeader {
  bool ascii = false;
  std::int64_t height = 0, width = 0, channels = 1;
  std::uint64_t maxval = 255;
  DType dtype = DType::u8;        ///< u16 when maxval > 255
  std::uint64_t data_offset = 0;  ///< where the samples start
};

/// Parses the header at the start of `bytes`: the whole file when `whole`, else its first bytes
/// (then nullopt when the header may go on past them: read more and call again). Checks the
/// magic number, maxval and the file's size (`file_size`: at least a byte per sample, and all
/// the data of a binary file). Throws as read_image does.
std::optional<PnmHeader> parse_pnm_header(std::string_view bytes, bool whole,
                                          std::uint64_t file_size, const std::string& path,
                                          const char* parameter);
/// The header write_image writes for a binary image: P5 (1 channel) or P6, maxval 255 or 65535.
std::string pnm_header(DType dtype, std::int64_t height, std::int64_t width,
                       std::int64_t channels);
/// Converts `count` samples between a binary Netpbm file (16-bit big-endian) and memory, either
/// way (the same byte shuffle): u8 copies, u16 swaps on little-endian machines.
void convert_pnm_samples(const void* src, std::size_t count, DType dtype, void* dst);

}  // namespace convkit::io
