#pragma once
// Image and array files by extension (case-insensitive):
//   .npy                 any convkit dtype, ranks 1..4 (see io/npy.h)
//   .png                 8/16-bit gray, gray+alpha, RGB, RGBA; palettes expand to RGB(A)
//   .pgm .ppm .pnm       Netpbm P2/P5 (gray) and P3/P6 (RGB); maxval > 255 means 16-bit
// Images come back as HxW (one channel) or HxWxC, u8 or u16, with the stored sample values
// (no gamma, no rescaling of a PNM maxval below 255/65535).

#include <cstdint>
#include <span>
#include <string>

#include "convkit/tensor.h"

namespace convkit::io {

enum class FileFormat { npy, png, pgm, ppm, pnm, unknown };

/// The format implied by the extension of `path`.
FileFormat format_of(const std::string& path);
/// True for the image formats (not .npy).
bool is_image_extension(const std::string& path);
/// True for any extension read_image/write_image know.
bool is_known_extension(const std::string& path);

/// Reads an array or image file. Throws convkit::IoError for unreadable or truncated files,
/// convkit::Error (naming `parameter`) for unsupported contents or an unknown extension.
Tensor read_image(const std::string& path, const char* parameter = "input");

/// Writes `t` (any strides) in the format chosen by the extension. Throws convkit::Error
/// ("output") when the format cannot hold `t` (see storage_problem), IoError on write failure;
/// a failed write removes the partial file.
void write_image(const std::string& path, ConstTensorView t);

/// Why the file format of `path` cannot store an array of `dtype` and `shape`, e.g.
/// "cannot store f32 in a PNG (it holds u8 or u16)"; empty when it can. Lets callers fail
/// before computing, and add their own advice.
std::string storage_problem(const std::string& path, DType dtype,
                            std::span<const std::int64_t> shape);

}  // namespace convkit::io
