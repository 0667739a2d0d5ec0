#pragma once
// Image files read and written in bands of rows, for filtering images larger than memory
// (src/stream/ pulls bands from a RowReader and pushes them to a RowWriter).
//
//   format      read                                   write
//   .tif/.tiff  any order (TiffReader)                 top to bottom (TiffWriter)
//   .npy        any order, memory-mapped (C order)     top to bottom
//   .pgm/.ppm   any order (binary P5/P6)               top to bottom
//   .png        top to bottom (not interlaced)         top to bottom
//   .jpg/.jpeg  top to bottom (baseline, not progressive)  top to bottom
//   .webp       cannot stream                          cannot stream
//
// A file that cannot be read in bands (an interlaced PNG, a progressive JPEG, a Fortran-order
// .npy, any WebP) gives nullptr from open_row_reader with the reason, so that the caller can fall
// back to reading it whole or fail with that reason. Rows come back with exactly the samples
// read_image gives for the same file; a file written by a RowWriter has exactly the bytes
// write_image writes for the same array and options.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "convkit/tensor.h"
#include "io/image.h"

namespace convkit::io {

/// What a row stream holds: rows of width x channels samples of one dtype. `channels == 0`
/// means the image is HxW (one channel, no channel axis), as read_image returns it.
struct RowLayout {
  DType dtype = DType::u8;
  std::int64_t height = 0, width = 0, channels = 0;

  /// {H, W} or {H, W, C}: the shape read_image returns.
  std::vector<std::int64_t> shape() const;
  /// The shape of `rows` rows: {rows, W} or {rows, W, C}.
  std::vector<std::int64_t> band_shape(std::int64_t rows) const;
  /// Bytes in one row (width x max(channels, 1) x dtype size).
  std::int64_t row_bytes() const;
};

class RowReader {
 public:
  virtual ~RowReader() = default;
  const RowLayout& layout() const { return layout_; }
  /// What the file says beyond its samples (TIFF resolution), kept on a filtered copy.
  const ImageMeta& meta() const { return meta_; }
  /// True: read_rows takes rows in any order. False: bands must come top to bottom, each row
  /// once (y0 equal to the previous call's end).
  virtual bool random_access() const = 0;
  /// Rows that decode as one unit (strip or tile height, 1 for row formats): bands that are
  /// multiples of it decode nothing twice.
  virtual std::int64_t chunk_rows() const { return 1; }
  /// Rows [y0, y0 + dst.dim(0)) into `dst`, shaped layout().band_shape(rows), layout().dtype,
  /// any strides. Throws IoError (naming the path) on corrupt or truncated data.
  virtual void read_rows(std::int64_t y0, TensorView dst) = 0;

 protected:
  RowLayout layout_;
  ImageMeta meta_;
};

class RowWriter {
 public:
  virtual ~RowWriter() = default;
  /// The next band.dim(0) rows, top to bottom: shaped band_shape(rows) of the layout's dtype,
  /// any strides.
  virtual void write_rows(ConstTensorView band) = 0;
  /// Completes the file (all rows written); throws IoError, and then removes the file.
  /// A writer destroyed without finish() removes its partial file.
  virtual void finish() = 0;
};

/// Opens `path` for reading in bands. nullptr, with the reason in *why_not (e.g. "an
/// interlaced PNG cannot be read in bands"), when this file cannot stream; then *layout, when
/// given, receives the image's layout if the header told it (PNG, JPEG; else height 0), so that
/// the caller can tell whether reading it whole fits its memory. Throws as read_image does for
/// unreadable files and unknown extensions.
std::unique_ptr<RowReader> open_row_reader(const std::string& path, std::string* why_not,
                                           const char* parameter = "input",
                                           RowLayout* layout = nullptr);

/// Creates `path` for writing `layout` in bands. nullptr, with the reason in *why_not, when its
/// format cannot be written in bands (WebP). Throws Error("output") when the format cannot hold
/// the layout (see storage_problem), IoError when the file cannot be created.
std::unique_ptr<RowWriter> create_row_writer(const std::string& path, const RowLayout& layout,
                                             const WriteOptions& options, std::string* why_not);

}  // namespace convkit::io
