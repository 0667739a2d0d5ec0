#pragma once
// WebP files through libwebp (decode.h / encode.h): still images, lossy and lossless, with or
// without alpha. Pixels read equal np.asarray(PIL.Image.open(path)) for the same file: Pillow
// also decodes with libwebp's default options (fancy upsampling, no dithering) into RGBA, and
// drops the alpha channel when the file says it has none.
//
// Errors: convkit::IoError("'path': ...") for unreadable, truncated or corrupt files;
// convkit::Error(parameter, ...) for files that are not WebP or are animated.

#include <string>

#include "convkit/tensor.h"

namespace convkit::io {

struct WebpOptions {
  float quality = 90;     ///< 0..100: lossy quality, or compression effort when lossless
  bool lossless = false;  ///< lossless (VP8L); RGB under fully transparent pixels is kept too
};

/// u8 HxWx3 (RGB), or HxWx4 (RGBA) when the file has alpha, as Pillow gives them.
Tensor read_webp(const std::string& path, const char* parameter = "input");

/// u8 HxW or HxWx1 (gray, written as RGB), HxWx2 (gray+alpha, written as RGBA), HxWx3 (RGB) or
/// HxWx4 (RGBA), any strides, sides up to 16383. An image whose alpha is all 255 is stored
/// without alpha (libwebp decides), so it reads back as HxWx3, as with Pillow. Throws
/// convkit::Error("output") for other dtypes/shapes, Error("quality") outside 0..100, IoError
/// when encoding or writing fails (no partial file).
void write_webp(const std::string& path, ConstTensorView t, const WebpOptions& o = {});

}  // namespace convkit::io
