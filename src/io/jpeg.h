#pragma once
// JPEG files through libjpeg-turbo's libjpeg API, decoding the way Pillow does (JDCT_ISLOW,
// fancy upsampling), so that the pixels equal np.asarray(PIL.Image.open(path)) for the same
// file.
//
// Errors: convkit::IoError("'path': ...") for unreadable, truncated or corrupt files (libjpeg's
// "premature end" warnings count as errors, as Pillow's "image file is truncated" does);
// convkit::Error(parameter, ...) for files that are not JPEGs or hold what we do not decode
// (12-bit, lossless, 2-component). Never a crash, an exit() or a message on stderr.

#include <cstdint>
#include <memory>
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

// --- Internal: shared by read_jpeg / write_jpeg and the JPEG band reader and writer
// (io/rows.h), so that both paths decode the same samples and write the same bytes. -----------

/// A JPEG decoded top to bottom, as read_jpeg decodes it.
class JpegDecoder {
 public:
  /// Opens `path` and reads its header; throws as read_jpeg does.
  JpegDecoder(const std::string& path, const char* parameter);
  ~JpegDecoder();
  JpegDecoder(const JpegDecoder&) = delete;
  JpegDecoder& operator=(const JpegDecoder&) = delete;

  std::int64_t height() const;
  std::int64_t width() const;
  int channels() const;  ///< 1 gray, 3 RGB, 4 CMYK
  /// A progressive (multi-scan) file: libjpeg decodes it only as a whole, holding all of it.
  bool progressive() const;
  /// The next `count` rows (u8, width x channels each) into rows[0..count). The first call
  /// starts decoding, the one that reaches the last row checks the end of the file. IoError on
  /// truncated or corrupt data.
  void read_rows(unsigned char* const* rows, std::int64_t count);

  struct State;

 private:
  std::unique_ptr<State> s_;
};

/// A JPEG written top to bottom with write_jpeg's settings (progressive included: libjpeg then
/// keeps the whole image until finish()).
class JpegEncoder {
 public:
  /// Creates `path` for a u8 image of 1 (gray) or 3 (RGB) channels. Error("quality") outside
  /// 0..100 (and then no file), IoError when the file cannot be created.
  JpegEncoder(const std::string& path, std::int64_t height, std::int64_t width, int channels,
              const JpegOptions& o);
  /// Removes the file unless finish() succeeded.
  ~JpegEncoder();
  JpegEncoder(const JpegEncoder&) = delete;
  JpegEncoder& operator=(const JpegEncoder&) = delete;

  /// The next band.dim(0) rows: u8 {rows, W} or {rows, W, C}, any strides.
  void write_rows(ConstTensorView band);
  /// Completes and closes the file; IoError (and no file) on failure.
  void finish();

  struct State;

 private:
  std::unique_ptr<State> s_;
};

}  // namespace convkit::io
