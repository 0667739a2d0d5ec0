#pragma once
// JPEG files through libjpeg-turbo's libjpeg API, decoding the way Pillow does (JDCT_ISLOW,
// fancy upsampling), so that the pixels equal np.asarray(PIL.Image.open(path)) for the same
// file.
//
// Errors: convkit::IoError("'path': ...") for unreadable, truncated or corrupt files (libjpeg's
// "premature end" warnings count as errors, as Pillow's "image file is truncated" does);
// convkit::Error(parameter, ...) for files that are not JPEGs or hold what we do not decode
// (12-bit, lossless, 2-component). Never a crash, an exit() or a message on stderr.

#include <string>

#include "convkit/tensor.h"

namespace convkit::io {

struct JpegOptions {
  int quality = 95;          ///< 0..100, libjpeg's scale (Pillow's `quality`)
  bool progressive = false;  ///< progressive JPEG (jpeg_simple_progression)
};

/// Gray -> u8 HxW; RGB/YCbCr -> u8 HxWx3; CMYK/YCCK -> u8 HxWx4 with the values Pillow gives
/// (Pillow reads every 4-channel JPEG with Adobe's inverted convention: 255 - libjpeg's CMYK).
/// Baseline, progressive and arithmetic-coded files.
Tensor read_jpeg(const std::string& path, const char* parameter = "input");

/// u8 HxW or HxWx1 (gray) or HxWx3 (RGB), any strides, as a JFIF JPEG with libjpeg's defaults,
/// which are also Pillow's: 4:2:0 chroma subsampling at every quality, ISLOW DCT, standard
/// Huffman tables (optimized ones when progressive). Throws convkit::Error("output") for other
/// dtypes/shapes or a side over 65500, Error("quality") outside 0..100, IoError when the file
/// cannot be written (no partial file is left).
void write_jpeg(const std::string& path, ConstTensorView t, const JpegOptions& o = {});

}  // namespace convkit::io
