#pragma once
// TIFF files through libtiff: the first image (page) of a file, read and written whole
// (read_tiff / write_tiff) or in bands of rows (TiffReader / TiffWriter, for bounded memory).
//
// Reading gives what tifffile.imread(path, key=0) gives, with these differences:
//   * the result is always HxW or HxWxC with interleaved channels; tifffile returns planar
//     (PlanarConfiguration = separate) files as CxHxW;
//   * sample types convkit lacks are widened when that is exact: 8-bit signed -> i16,
//     16-bit float -> f32; 1..7-bit samples unpack to u8 raw values (bilevel gives 0/1, where
//     tifffile gives bool); other types (u32, 64-bit ints, 12/24-bit, complex) are refused;
//   * like tifffile, samples are raw: MinIsWhite is not inverted, palette images give their
//     indices, Orientation is ignored, CMYK stays CMYK. JPEG-compressed YCbCr comes back as RGB
//     (libjpeg's conversion, as tifffile's); other YCbCr with chroma subsampling is refused.
// Errors: convkit::Error naming the parameter ("input" / "output" / an option) for contents or
// options that are not supported, convkit::IoError("'path': ...") for unreadable, truncated or
// corrupt files and failed writes. libtiff's own errors and warnings never reach stderr: they
// are collected per thread and end up in the one exception message.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "convkit/tensor.h"

namespace convkit::io {

/// Resolution tags kept on a filtered copy (XResolution, YResolution, ResolutionUnit).
struct TiffMeta {
  bool has_resolution = false;
  double x_resolution = 0, y_resolution = 0;
  int unit = 2;  ///< ResolutionUnit: 1 none, 2 inch, 3 centimeter
};

struct TiffOptions {
  std::string compression = "none";  ///< none, lzw, deflate (or zlib), jpeg (u8 only), packbits
  /// 0: auto (horizontal differencing for lzw/deflate on integers, the floating-point predictor
  /// for floats, none otherwise), 1 none, 2 horizontal (integers), 3 floating point (floats).
  int predictor = 0;
  bool tiles = false;   ///< 256x256 tiles instead of strips
  bool planar = false;  ///< PlanarConfiguration = separate (one plane per channel)
  int bigtiff = -1;     ///< -1 auto (BigTIFF when the file could pass 4 GB), 0 no, 1 yes
  int quality = 75;     ///< JPEG quality 1..100, or -1 for the default, 75 (jpeg only)
  TiffMeta meta;
};

/// The first image of a TIFF: HxW or HxWxC, u8/u16/i16/i32/f32/f64 (see the file comment).
/// Fills *meta when given. convkit::Error for unsupported contents names `parameter`.
Tensor read_tiff(const std::string& path, TiffMeta* meta = nullptr,
                 const char* parameter = "input");

/// Writes u8/u16/i16/i32/f32/f64 HxW or HxWxC (C = 1..4; 1 gray, 2 gray + alpha, 3 RGB,
/// 4 RGB + alpha, alpha as unassociated ExtraSamples), any strides. A failed write leaves no
/// file behind.
void write_tiff(const std::string& path, ConstTensorView t, const TiffOptions& o = {});

/// Why write_tiff cannot store this dtype/shape with these options (e.g. "JPEG compression in
/// a TIFF holds u8 only"); empty when it can. Lets callers fail before computing.
std::string tiff_storage_problem(DType dtype, std::int64_t height, std::int64_t width,
                                 std::int64_t channels, const TiffOptions& o = {});

/// Reads the first image of a TIFF in bands of rows, in any order (top to bottom is fastest:
/// each strip or row of tiles is decoded once). Memory: one strip / row of tiles at a time.
class TiffReader {
 public:
  /// Opens and checks the header; throws (Error naming `parameter`, or IoError).
  explicit TiffReader(const std::string& path, const char* parameter = "input");
  ~TiffReader();
  TiffReader(const TiffReader&) = delete;
  TiffReader& operator=(const TiffReader&) = delete;

  DType dtype() const;
  std::int64_t height() const;
  std::int64_t width() const;
  std::int64_t channels() const;
  /// {H, W} or {H, W, C}: the shape read_tiff returns.
  std::vector<std::int64_t> shape() const;
  const TiffMeta& meta() const;
  /// Rows per strip or tile height: bands that are multiples of it decode nothing twice.
  std::int64_t chunk_rows() const;

  /// Rows [y0, y0 + dst.dim(0)) into dst (shape {rows, W} or {rows, W, C}, dtype(), any
  /// strides). Throws IoError on corrupt data.
  void read_rows(std::int64_t y0, TensorView dst);

  struct State;

 private:
  std::unique_ptr<State> s_;
};

/// Writes a TIFF in bands of rows, top to bottom. finish() completes the file; a writer
/// destroyed without finish() (an exception in between) removes its partial file.
class TiffWriter {
 public:
  TiffWriter(const std::string& path, DType dtype, std::int64_t height, std::int64_t width,
             std::int64_t channels, const TiffOptions& o = {});
  ~TiffWriter();
  TiffWriter(const TiffWriter&) = delete;
  TiffWriter& operator=(const TiffWriter&) = delete;

  /// Rows per strip or tile height; any band height works.
  std::int64_t chunk_rows() const;
  /// The next band.dim(0) rows: {rows, W} or {rows, W, C} of the writer's dtype, any strides.
  void write_rows(ConstTensorView band);
  /// Writes the last strip and the directory; throws IoError (and removes the file) on failure.
  void finish();

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace convkit::io
