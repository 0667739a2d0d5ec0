#pragma once
// NumPy .npy files: the lossless way in and out of convkit for every dtype.
//
// Reads format versions 1.0, 2.0 and 3.0 (any byte order, C or Fortran order, ranks 1..4) and
// writes 1.0, C order, little-endian, with the header padded so the data starts on a 64-byte
// boundary as NumPy does.

#include <string>
#include <string_view>

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

}  // namespace convkit::io
