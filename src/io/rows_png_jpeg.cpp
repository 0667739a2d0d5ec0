// PNG and JPEG in bands of rows, top to bottom (io/rows.h). The codecs themselves are
// PngDecoder / PngEncoder (io/png.h) and JpegDecoder / JpegEncoder (io/jpeg.h), on which
// read_image and write_image are built too: the same samples, the same bytes.

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "convkit/error.h"
#include "io/image.h"
#include "io/jpeg.h"
#include "io/png.h"
#include "io/rows.h"
#include "io/rows_detail.h"

namespace convkit::io::detail {
namespace {

// --- PNG --------------------------------------------------------------------------------------

// A reader over a top-to-bottom decoder (PngDecoder, JpegDecoder): rows in order, each once.
template <class Decoder>
class SequentialRowReader final : public RowReader {
 public:
  SequentialRowReader(const std::string& path, std::unique_ptr<Decoder> decoder, DType dtype)
      : path_(path), decoder_(std::move(decoder)) {
    layout_ = {dtype, decoder_->height(), decoder_->width(),
               decoder_->channels() > 1 ? decoder_->channels() : 0};
  }
  bool random_access() const override { return false; }
  void read_rows(std::int64_t y0, TensorView dst) override {
    check_dst(layout_, path_, y0, dst);
    check_next_row(path_, next_, y0);
    const BandRows target(dst, layout_.row_bytes(), scratch_);
    decoder_->read_rows(target.rows(), dst.dim(0));
    target.store();
    next_ += dst.dim(0);
  }

 private:
  std::string path_;
  std::unique_ptr<Decoder> decoder_;
  std::int64_t next_ = 0;
  std::vector<unsigned char> scratch_;
};

class PngRowWriter final : public RowWriter {
 public:
  PngRowWriter(const std::string& path, const RowLayout& layout, int level)
      : path_(path),
        layout_(layout),
        encoder_(path, layout.height, layout.width,
                 int(std::max<std::int64_t>(layout.channels, 1)),
                 layout.dtype == DType::u16 ? 16 : 8, level) {}
  void write_rows(ConstTensorView band) override {
    check_band(layout_, path_, written_, band);
    const auto rows = packed_rows(band, layout_.row_bytes(), scratch_);
    encoder_.write_rows(rows.data(), band.dim(0));
    written_ += band.dim(0);
  }
  void finish() override { encoder_.finish(); }

 private:
  std::string path_;
  RowLayout layout_;
  PngEncoder encoder_;
  std::int64_t written_ = 0;
  std::vector<unsigned char> scratch_;
};

// --- JPEG -------------------------------------------------------------------------------------

class JpegRowWriter final : public RowWriter {
 public:
  JpegRowWriter(const std::string& path, const RowLayout& layout, const JpegOptions& options)
      : path_(path),
        layout_(layout),
        encoder_(path, layout.height, layout.width,
                 int(std::max<std::int64_t>(layout.channels, 1)), options) {}
  void write_rows(ConstTensorView band) override {
    check_band(layout_, path_, written_, band);
    encoder_.write_rows(band);  // any strides
    written_ += band.dim(0);
  }
  void finish() override { encoder_.finish(); }

 private:
  std::string path_;
  RowLayout layout_;
  JpegEncoder encoder_;
  std::int64_t written_ = 0;
};

}  // namespace

std::unique_ptr<RowReader> open_png_rows(const std::string& path, std::string* why_not,
                                         const char* parameter, RowLayout* layout) {
  auto decoder = std::make_unique<PngDecoder>(path, parameter);
  if (decoder->interlaced()) {
    *why_not = "an interlaced PNG cannot be read in bands";
    if (layout)
      *layout = {decoder->dtype(), decoder->height(), decoder->width(),
                 decoder->channels() > 1 ? decoder->channels() : 0};
    return nullptr;
  }
  const DType dtype = decoder->dtype();
  return std::make_unique<SequentialRowReader<PngDecoder>>(path, std::move(decoder), dtype);
}

std::unique_ptr<RowReader> open_jpeg_rows(const std::string& path, std::string* why_not,
                                          const char* parameter, RowLayout* layout) {
  auto decoder = std::make_unique<JpegDecoder>(path, parameter);
  if (decoder->progressive()) {
    *why_not = "a progressive JPEG cannot be read in bands";
    if (layout)
      *layout = {DType::u8, decoder->height(), decoder->width(),
                 decoder->channels() > 1 ? decoder->channels() : 0};
    return nullptr;
  }
  return std::make_unique<SequentialRowReader<JpegDecoder>>(path, std::move(decoder), DType::u8);
}

std::unique_ptr<RowWriter> create_png_rows(const std::string& path, const RowLayout& layout,
                                           const WriteOptions& options) {
  return std::make_unique<PngRowWriter>(path, layout, png_level(options));
}

std::unique_ptr<RowWriter> create_jpeg_rows(const std::string& path, const RowLayout& layout,
                                            const WriteOptions& options, std::string* why_not) {
  const JpegOptions o = jpeg_options(options);
  if (o.progressive) {
    // libjpeg would keep every coefficient of the image until the end.
    *why_not = "a progressive JPEG cannot be written in bands";
    return nullptr;
  }
  return std::make_unique<JpegRowWriter>(path, layout, o);
}

}  // namespace convkit::io::detail
