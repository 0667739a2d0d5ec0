#pragma once
// Internal to io/rows.cpp and io/rows_png_jpeg.cpp: the checks and row-pointer helpers every
// band reader and writer uses, and the PNG / JPEG factories.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "convkit/tensor.h"
#include "io/image.h"
#include "io/rows.h"

namespace convkit::io::detail {

/// Error("dst") unless `dst` is layout.band_shape(rows) of layout.dtype and rows [y0, y0 + rows)
/// lie in the image.
void check_dst(const RowLayout& layout, const std::string& path, std::int64_t y0,
               const ConstTensorView& dst);
/// Error("band") unless `band` is layout.band_shape(rows) of layout.dtype and fits after the
/// `written` rows.
void check_band(const RowLayout& layout, const std::string& path, std::int64_t written,
                const ConstTensorView& band);
/// Error("y0") unless a top-to-bottom reader is asked for its next row.
void check_next_row(const std::string& path, std::int64_t next, std::int64_t y0);

/// Where a reader puts a band: straight into the rows of `dst` when each row is packed (any
/// distance between rows), else into rows of `scratch`, copied into dst by store().
class BandRows {
 public:
  BandRows(TensorView dst, std::int64_t row_bytes, std::vector<unsigned char>& scratch);
  unsigned char* const* rows() const { return rows_.data(); }
  void store() const;

 private:
  TensorView dst_;
  const std::vector<unsigned char>& scratch_;
  std::vector<unsigned char*> rows_;
  bool staged_ = false;
};

/// The rows of `band`, each packed: its own when they are, else a packed copy in `scratch`.
std::vector<const unsigned char*> packed_rows(ConstTensorView band, std::int64_t row_bytes,
                                              std::vector<unsigned char>& scratch);

/// In rows_png_jpeg.cpp; the same contract as open_row_reader / create_row_writer.
std::unique_ptr<RowReader> open_png_rows(const std::string& path, std::string* why_not,
                                         const char* parameter, RowLayout* layout);
std::unique_ptr<RowReader> open_jpeg_rows(const std::string& path, std::string* why_not,
                                          const char* parameter, RowLayout* layout);
std::unique_ptr<RowWriter> create_png_rows(const std::string& path, const RowLayout& layout,
                                           const WriteOptions& options);
std::unique_ptr<RowWriter> create_jpeg_rows(const std::string& path, const RowLayout& layout,
                                            const WriteOptions& options, std::string* why_not);

}  // namespace convkit::io::detail
