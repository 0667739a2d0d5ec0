#pragma once
// PNG files through libpng: whole (read_image / write_image use read_png / write_png) or top
// to bottom in bands of rows (PngDecoder / PngEncoder). Errors: convkit::IoError("'path': ...")
// for unreadable, truncated or corrupt files and failed writes (libpng's longjmp never crosses
// C++ frames), convkit::Error(parameter, ...) for files that are not PNGs.

#include <cstdint>
#include <memory>
#include <string>

#include "convkit/tensor.h"
#include "io/image.h"

namespace convkit::io {

/// The whole image: HxW or HxWxC (C = 1..4), u8 or u16, as read_image describes.
Tensor read_png(const std::string& path, const char* parameter = "input");
/// u8/u16 HxW or HxWxC (C = 1..4), any strides, with zlib `level` (0..9; 0 and 1 with one SUB
/// row filter and Z_RLE, as OpenCV writes). No file is left on failure.
void write_png(const std::string& path, ConstTensorView t, int level = kPngFastLevel);

// --- Internal: PngDecoder / PngEncoder, on which read_png / write_png are built, are also the
// PNG band reader and writer (io/rows.h): both paths decode the same samples, write the same
// bytes. -------------------------------------------------------------------------------------

/// A PNG decoded top to bottom with read_image's transforms (palette -> RGB(A), tRNS -> alpha,
/// 1/2/4-bit gray -> 8 bits, 16-bit samples in this machine's byte order).
class PngDecoder {
 public:
  /// Opens `path` and reads the header; throws as read_image does.
  PngDecoder(const std::string& path, const char* parameter);
  ~PngDecoder();
  PngDecoder(const PngDecoder&) = delete;
  PngDecoder& operator=(const PngDecoder&) = delete;

  DType dtype() const;  ///< u8 or u16
  std::int64_t height() const;
  std::int64_t width() const;
  int channels() const;  ///< 1..4
  bool interlaced() const;
  /// The next `count` rows (packed, width x channels samples each) into rows[0..count); after
  /// the last row also reads the end of the file. Not for interlaced files. IoError on corrupt
  /// or truncated data.
  void read_rows(unsigned char* const* rows, std::int64_t count);
  /// The whole image (interlaced or not) and the end of the file.
  void read_image(unsigned char* const* rows);

  struct State;

 private:
  std::unique_ptr<State> s_;
};

/// A PNG written top to bottom with write_image's settings for zlib `level`.
class PngEncoder {
 public:
  /// Creates `path` (IoError when it cannot) for depth 8 or 16, channels 1..4 (gray, gray +
  /// alpha, RGB, RGBA) and writes the header.
  PngEncoder(const std::string& path, std::int64_t height, std::int64_t width, int channels,
             int depth, int level);
  /// Removes the file unless finish() succeeded.
  ~PngEncoder();
  PngEncoder(const PngEncoder&) = delete;
  PngEncoder& operator=(const PngEncoder&) = delete;

  /// The next `count` packed rows (16-bit samples in this machine's byte order).
  void write_rows(const unsigned char* const* rows, std::int64_t count);
  /// Writes the end of the file and closes it; IoError (and no file) on failure.
  void finish();

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace convkit::io
