#pragma once
// NumPy .npy files: the lossless way in and out of convkit for every dtype.
//
// Reads format versions 1.0, 2.0 and 3.0 (any byte order, C or Fortran order, ranks 1..4) and
// writes 1.0, C order, little-endian, with the header padded so the data starts on a 64-byte
// boundary as NumPy does.

#include <cstdint>
#include <cstdio>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "convkit/tensor.h"

namespace convkit::io {

/// Reads an .npy file into a contiguous Tensor.
/// Throws convkit::IoError when the file cannot be read or is truncated, convkit::Error
/// (named `parameter`) when it holds something convkit has no type for (e.g. '<i8', structured
/// arrays).
Tensor read_npy(const std::string& path, const char* parameter = "input");

/// Writes `t` (any strides) as an .npy file. Throws convkit::IoError when the file cannot be
/// written, and then leaves no partial file.
void write_npy(const std::string& path, ConstTensorView t);

/// Writes `header` and then `bytes` bytes of `data` to `path`. On failure removes the file and
/// throws IoError naming the path (shared by the .npy and Netpbm writers).
void write_file(const std::string& path, std::string_view header, const void* data,
                std::size_t bytes);

/// The row-major bytes of `t`: its own data when contiguous, else a copy made into `storage`.
const void* contiguous_data(ConstTensorView t, Tensor& storage);

// --- Internal: shared by read_npy / write_npy and the .npy band reader and writer (io/rows.h).

/// What an .npy header says.
struct NpyHeader {
  DType dtype = DType::u8;
  bool swap = false;  ///< the file's byte order is not this machine's
  bool fortran_order = false;
  std::vector<std::int64_t> shape;  ///< as the header says it (rank 1..4)
  std::uint64_t data_offset = 0;    ///< where the data starts in the file
  std::uint64_t data_bytes = 0;     ///< product of the shape x dtype size
};

/// Reads and checks the header of `f`, open at the start of the file: supported version,
/// dtype and rank, and that the file holds data_bytes after the header (IoError "truncated"
/// otherwise). Leaves `f` at the start of the data. Throws as read_npy does.
NpyHeader read_npy_header(std::FILE* f, const std::string& path, const char* parameter);

/// Reverses the byte order of `count` elements of `dtype` in place (the two halves of a complex
/// separately).
void swap_npy_bytes(void* data, std::size_t count, DType dtype);

/// The bytes write_npy puts before the data of a C-order, native-order array.
std::string npy_header(DType dtype, std::span<const std::int64_t> shape);

}  // namespace convkit::io
