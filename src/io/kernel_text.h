#pragma once
// Kernels written by hand: "1 2 1; 2 4 2; 1 2 1" on a command line, or a text file of rows.

#include <string>
#include <string_view>

#include "convkit/tensor.h"

namespace convkit::io {

/// Parses rows separated by ';' or newlines, values separated by spaces, tabs or commas.
/// Values are decimal numbers (1, -0.5, 1e-3, inf, nan) or fractions of two numbers ("1/16").
/// Blank rows are ignored. Returns an R x S f64 tensor; throws convkit::Error ("kernel") for
/// an empty kernel, ragged rows or a token that is not a number.
///
///   Tensor k = parse_kernel_string("1 2 1; 2 4 2; 1 2 1");   // 3x3
///   Tensor d = parse_kernel_string("-1/2, 0, 1/2");          // 1x3
Tensor parse_kernel_string(const std::string& text);

/// Parses a whole string as one decimal number ("2", "-1.5e3", "+4"); false if anything is left.
bool parse_double(std::string_view s, double* out);

/// Reads a kernel file: .npy (rank 1 becomes 1xN, rank 2 as stored, any convkit dtype), a gray
/// image (.png/.pgm/.pnm), or else text rows as parse_kernel_string reads them, where '#'
/// starts a comment that runs to the end of the line.
Tensor read_kernel_file(const std::string& path);

}  // namespace convkit::io
