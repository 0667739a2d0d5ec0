// libFuzzer target: convkit::io::open_row_reader (src/io/rows.h), reading every row in bands.
//
// The extension comes from the input's magic bytes (\x93NUMPY .npy, \x89PNG .png, FF D8 .jpg,
// II/MM .tif, RIFF .webp, P .pnm; else .npy), so the other targets' seeds serve here as they
// are. The band height (1..8) and whether bands go into a strided view (a padded buffer) come
// from the input's length, so appending bytes varies them. Random-access readers are read a
// second time, bottom band first. Checked beyond crashes: when both the whole read
// (read_image) and the banded read succeed, they give the same shape, dtype and samples, as
// rows.h promises (NaN payloads aside: see same_samples).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common.h"
#include "io/image.h"
#include "io/rows.h"

namespace {

const char* extension_of(const std::uint8_t* d, std::size_t n) {
  auto starts = [&](const char* magic, std::size_t len) {
    return n >= len && std::memcmp(d, magic, len) == 0;
  };
  if (starts("\x89PNG", 4)) return ".png";
  if (starts("\xff\xd8", 2)) return ".jpg";
  if (starts("II", 2) || starts("MM", 2)) return ".tif";
  if (starts("RIFF", 4)) return ".webp";
  if (starts("P", 1)) return ".pnm";
  return ".npy";
}

// Reads rows [y0, y0 + rows) through a band buffer, and copies them to `whole` (the full image,
// packed) unless it is null.
void read_band(convkit::io::RowReader& reader, std::int64_t y0, std::int64_t rows, bool strided,
               unsigned char* whole) {
  const convkit::io::RowLayout& layout = reader.layout();
  const std::vector<std::int64_t> shape = layout.band_shape(rows);
  const std::size_t item = convkit::dtype_size(layout.dtype);
  const std::size_t row_bytes = std::size_t(layout.row_bytes());
  if (!strided) {
    convkit::Tensor band(layout.dtype, std::span<const std::int64_t>(shape));
    reader.read_rows(y0, band.view());
    if (whole)
      std::memcpy(whole + std::size_t(y0) * row_bytes, band.data(), std::size_t(rows) * row_bytes);
    return;
  }
  // One padding pixel at the end of every row: the view's rows are not packed.
  std::vector<std::int64_t> padded = shape;
  padded[1] += 1;
  convkit::Tensor storage(layout.dtype, std::span<const std::int64_t>(padded));
  convkit::Geometry g = storage.geometry();
  g.shape[1] -= 1;
  reader.read_rows(y0, convkit::TensorView(storage.data(), layout.dtype, g));
  const std::size_t padded_row =
      row_bytes + std::size_t(std::max<std::int64_t>(layout.channels, 1)) * item;
  for (std::int64_t r = 0; whole && r < rows; ++r)
    std::memcpy(whole + std::size_t(y0 + r) * row_bytes,
                static_cast<const unsigned char*>(storage.data()) + std::size_t(r) * padded_row,
                row_bytes);
}

// Byte-equal, except that any two NaNs of a float type count as equal: the banded .npy reader
// copies complex samples through convkit::copy, which turns a signaling NaN quiet (a known,
// harmless difference; see fuzz/README.md).
template <class T>
bool same_floats(const void* a, const void* b, std::size_t bytes) {
  for (std::size_t i = 0; i < bytes / sizeof(T); ++i) {
    T x, y;
    std::memcpy(&x, static_cast<const char*>(a) + i * sizeof(T), sizeof(T));
    std::memcpy(&y, static_cast<const char*>(b) + i * sizeof(T), sizeof(T));
    if (!(std::isnan(x) && std::isnan(y)) &&
        std::memcmp(&x, &y, sizeof(T)) != 0)
      return false;
  }
  return true;
}

bool same_samples(convkit::DType dtype, const void* a, const void* b, std::size_t bytes) {
  if (bytes == 0) return true;
  switch (dtype) {
    case convkit::DType::f32:
    case convkit::DType::c64: return same_floats<float>(a, b, bytes);
    case convkit::DType::f64:
    case convkit::DType::c128: return same_floats<double>(a, b, bytes);
    default: return std::memcmp(a, b, bytes) == 0;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = convkit_fuzz::write_input(data, size, extension_of(data, size));
  const std::int64_t band = std::int64_t(size % 8) + 1;
  const bool strided = (size / 8) % 2 == 1;

  std::optional<std::vector<unsigned char>> streamed;
  convkit::io::RowLayout layout;
  try {
    std::string why_not;
    std::unique_ptr<convkit::io::RowReader> reader = convkit::io::open_row_reader(path, &why_not);
    if (!reader) {
      fuzz_check(!why_not.empty());
    } else {
      layout = reader->layout();
      fuzz_check(layout.height >= 0 && layout.width >= 0 && layout.channels >= 0);
      fuzz_check(reader->chunk_rows() >= 1);
      const std::uint64_t total = std::uint64_t(layout.height) * std::uint64_t(layout.row_bytes());
      if (total / std::max<std::int64_t>(layout.height, 1) == std::uint64_t(layout.row_bytes()) &&
          total <= convkit_fuzz::kTensorLimitBytes) {
        std::vector<unsigned char> whole(total);
        for (std::int64_t y = 0; y < layout.height; y += band)
          read_band(*reader, y, std::min(band, layout.height - y), strided, whole.data());
        if (reader->random_access() && layout.height > 0) {
          std::vector<unsigned char> again(total);
          for (std::int64_t y = (layout.height - 1) / band * band; y >= 0; y -= band)
            read_band(*reader, y, std::min(band, layout.height - y), !strided, again.data());
          fuzz_check(again == whole);
        }
        streamed = std::move(whole);
      } else {
        // Too large to hold: the first band, and the last one where the order is free.
        read_band(*reader, 0, std::min(band, layout.height), strided, nullptr);
        if (reader->random_access() && layout.height > band)
          read_band(*reader, layout.height - band, band, !strided, nullptr);
      }
    }
  } catch (const std::exception&) {
  }

  if (streamed) {
    try {
      convkit::Tensor t = convkit::io::read_image(path);
      fuzz_check(t.dtype() == layout.dtype);
      const std::vector<std::int64_t> shape = layout.shape();
      fuzz_check(t.rank() == int(shape.size()));
      for (int i = 0; i < t.rank(); ++i) fuzz_check(t.dim(i) == shape[std::size_t(i)]);
      fuzz_check(same_samples(t.dtype(), t.data(), streamed->data(), streamed->size()));
    } catch (const std::exception&) {
    }
  }
  convkit_fuzz::remove_input();
  return 0;
}
