#include "io/png.h"

#include <png.h>

#include <bit>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "convkit/error.h"
#include "io/files.h"
#include "io/npy.h"

namespace convkit::io {
namespace {

constexpr bool kLittleEndian = std::endian::native == std::endian::little;

struct CloseFile {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, CloseFile>;

// --- libpng calls, each behind its own setjmp -----------------------------------------------
// libpng reports errors by longjmp. Every function that calls setjmp below holds only plain C
// data, so a jump never skips a C++ destructor; errors become exceptions in the callers.

struct PngError {
  char message[256] = "unknown libpng error";
};

void on_png_error(png_structp png, png_const_charp message) {
  auto* e = static_cast<PngError*>(png_get_error_ptr(png));
  std::snprintf(e->message, sizeof e->message, "%s", message);
  png_longjmp(png, 1);
}

// Warnings (unknown chunks, odd ICC profiles) do not affect the samples.
void on_png_warning(png_structp, png_const_charp) {}

struct PngShape {
  png_uint_32 width = 0, height = 0;
  int channels = 0, depth = 0;
  bool interlaced = false;
};

bool png_read_header(png_structp png, png_infop info, PngShape* shape) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_info(png, info);
  const int color = png_get_color_type(png, info);
  const int depth = png_get_bit_depth(png, info);
  if (color == PNG_COLOR_TYPE_PALETTE) {
    png_set_palette_to_rgb(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
  }
  if (color == PNG_COLOR_TYPE_GRAY && depth < 8) png_set_expand_gray_1_2_4_to_8(png);
  if (depth == 16 && kLittleEndian) png_set_swap(png);  // PNG stores 16-bit big-endian
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  shape->width = png_get_image_width(png, info);
  shape->height = png_get_image_height(png, info);
  shape->channels = png_get_channels(png, info);
  shape->depth = png_get_bit_depth(png, info);
  shape->interlaced = png_get_interlace_type(png, info) != PNG_INTERLACE_NONE;
  return true;
}

// The next `count` rows of a non-interlaced image; with `end`, then the chunks after the image.
bool png_read_some(png_structp png, png_bytepp rows, png_uint_32 count, bool end) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_rows(png, rows, nullptr, count);
  if (end) png_read_end(png, nullptr);
  return true;
}

bool png_read_all(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

bool png_write_start(png_structp png, png_infop info, const PngShape& shape, int color,
                     int level) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_compression_level(png, level);
  if (level <= 1) {
    // Fast mode, as OpenCV writes by default: one cheap row filter (libpng's adaptive choice
    // tries five per row) and run-length matching.
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    png_set_compression_strategy(png, 3 /* Z_RLE */);
  }
  png_set_IHDR(png, info, shape.width, shape.height, shape.depth, color, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  if (shape.depth == 16 && kLittleEndian) png_set_swap(png);
  return true;
}

bool png_write_some(png_structp png, png_bytepp rows, png_uint_32 count) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_write_rows(png, rows, count);
  return true;
}

bool png_write_finish(png_structp png) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_write_end(png, nullptr);
  return true;
}

}  // namespace

// --- PngDecoder / PngEncoder ----------------------------------------------------------------

struct PngDecoder::State {
  std::string path;
  File file;
  PngError error;
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngShape shape;
  std::int64_t next_row = 0;
  bool failed = false;  // libpng's state is undefined after an error: no more calls

  ~State() { png_destroy_read_struct(&png, &info, nullptr); }
  [[noreturn]] void fail() {
    failed = true;
    io_fail(path, std::string("cannot read PNG (truncated or corrupt): ") + error.message);
  }
};

PngDecoder::PngDecoder(const std::string& path, const char* parameter)
    : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.path = path;
  s.file.reset(std::fopen(path.c_str(), "rb"));
  if (!s.file) io_fail(path, std::string("cannot open: ") + std::strerror(errno));
  png_byte signature[8];
  std::size_t got = std::fread(signature, 1, sizeof signature, s.file.get());
  if (got < sizeof signature) io_fail(path, "truncated PNG file");
  if (png_sig_cmp(signature, 0, sizeof signature) != 0)
    throw Error(parameter, in_quotes(path) + " is not a PNG file (bad signature)");
  s.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &s.error, on_png_error, on_png_warning);
  s.info = s.png ? png_create_info_struct(s.png) : nullptr;
  if (!s.png || !s.info) io_fail(path, "libpng could not allocate its state");
  png_init_io(s.png, s.file.get());
  png_set_sig_bytes(s.png, sizeof signature);
  if (!png_read_header(s.png, s.info, &s.shape)) s.fail();
}

PngDecoder::~PngDecoder() = default;

DType PngDecoder::dtype() const { return s_->shape.depth == 16 ? DType::u16 : DType::u8; }
std::int64_t PngDecoder::height() const { return s_->shape.height; }
std::int64_t PngDecoder::width() const { return s_->shape.width; }
int PngDecoder::channels() const { return s_->shape.channels; }
bool PngDecoder::interlaced() const { return s_->shape.interlaced; }

void PngDecoder::read_rows(unsigned char* const* rows, std::int64_t count) {
  State& s = *s_;
  if (s.shape.interlaced || count < 0 || count > std::int64_t(s.shape.height) - s.next_row) {
    throw Error("rows", in_quotes(s.path) + ": cannot read " + std::to_string(count) +
                            " more rows after row " + std::to_string(s.next_row) +
                            (s.shape.interlaced ? " of an interlaced PNG" : ""));
  }
  if (s.failed) s.fail();
  if (count == 0) return;
  s.next_row += count;
  const bool end = s.next_row == std::int64_t(s.shape.height);
  if (!png_read_some(s.png, const_cast<png_bytepp>(rows), png_uint_32(count), end)) s.fail();
}

void PngDecoder::read_image(unsigned char* const* rows) {
  State& s = *s_;
  if (s.failed) s.fail();
  if (s.next_row != 0)
    throw Error("rows", in_quotes(s.path) + ": the image was partly read already");
  s.next_row = s.shape.height;
  if (!png_read_all(s.png, const_cast<png_bytepp>(rows))) s.fail();
}

struct PngEncoder::State {
  std::string path;
  File file;
  PngError error;
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::int64_t height = 0, next_row = 0;
  bool done = false;    // finished, or failed and removed
  bool failed = false;  // failed: the file was removed

  ~State() {
    png_destroy_write_struct(&png, &info);
    if (file && !done) {
      file.reset();
      std::remove(path.c_str());
    }
  }
  [[noreturn]] void refuse() const {
    io_fail(path, "cannot go on after an earlier failure (the file was removed)");
  }
  // Closes and removes the file, then throws.
  [[noreturn]] void fail(const std::string& what) {
    png_destroy_write_struct(&png, &info);
    file.reset();
    std::remove(path.c_str());
    done = failed = true;
    io_fail(path, "cannot write PNG: " + what);
  }
};

PngEncoder::PngEncoder(const std::string& path, std::int64_t height, std::int64_t width,
                       int channels, int depth, int level)
    : s_(std::make_unique<State>()) {
  static constexpr int kColor[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                   PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  State& s = *s_;
  s.path = path;
  s.height = height;
  errno = 0;
  s.file.reset(std::fopen(path.c_str(), "wb"));
  if (!s.file) io_fail(path, std::string("cannot create: ") + std::strerror(errno));
  s.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s.error, on_png_error, on_png_warning);
  s.info = s.png ? png_create_info_struct(s.png) : nullptr;
  if (!s.png || !s.info) s.fail("libpng could not allocate its state");
  png_init_io(s.png, s.file.get());
  PngShape shape;
  shape.width = png_uint_32(width);
  shape.height = png_uint_32(height);
  shape.channels = channels;
  shape.depth = depth;
  if (!png_write_start(s.png, s.info, shape, kColor[channels - 1], level)) s.fail(s.error.message);
}

PngEncoder::~PngEncoder() = default;

void PngEncoder::write_rows(const unsigned char* const* rows, std::int64_t count) {
  State& s = *s_;
  if (s.failed) s.refuse();
  if (s.done || count < 0 || count > s.height - s.next_row) {
    throw Error("rows", in_quotes(s.path) + ": cannot write " + std::to_string(count) +
                            " more rows after row " + std::to_string(s.next_row) + " of " +
                            std::to_string(s.height));
  }
  if (count == 0) return;
  s.next_row += count;
  if (!png_write_some(s.png, const_cast<png_bytepp>(rows), png_uint_32(count)))
    s.fail(s.error.message);
}

void PngEncoder::finish() {
  State& s = *s_;
  if (s.failed) s.refuse();
  if (s.done) return;
  if (s.next_row != s.height) {
    throw Error("band", in_quotes(s.path) + ": only " + std::to_string(s.next_row) + " of " +
                            std::to_string(s.height) + " rows were written");
  }
  if (!png_write_finish(s.png)) s.fail(s.error.message);
  png_destroy_write_struct(&s.png, &s.info);
  errno = 0;
  const int closed = std::fclose(s.file.release());
  if (closed != 0) {
    const int err = errno ? errno : EIO;
    s.fail(std::strerror(err));
  }
  s.done = true;
}

// --- whole images ---------------------------------------------------------------------------

Tensor read_png(const std::string& path, const char* parameter) {
  PngDecoder decoder(path, parameter);
  const DType dtype = decoder.dtype();
  std::vector<std::int64_t> dims{decoder.height(), decoder.width()};
  if (decoder.channels() > 1) dims.push_back(decoder.channels());
  Tensor image(dtype, std::span<const std::int64_t>(dims));
  const std::size_t row_bytes =
      std::size_t(decoder.width()) * std::size_t(decoder.channels()) * dtype_size(dtype);
  std::vector<unsigned char*> rows(std::size_t(decoder.height()));
  for (std::size_t y = 0; y < rows.size(); ++y)
    rows[y] = static_cast<unsigned char*>(image.data()) + y * row_bytes;
  decoder.read_image(rows.data());
  return image;
}

void write_png(const std::string& path, ConstTensorView t, int level) {
  Tensor storage;
  const auto* data = static_cast<const unsigned char*>(contiguous_data(t, storage));
  const int channels = t.rank() == 3 ? int(t.dim(2)) : 1;
  const std::size_t row_bytes = std::size_t(t.dim(1)) * channels * dtype_size(t.dtype());
  std::vector<const unsigned char*> rows(std::size_t(t.dim(0)));
  for (std::size_t y = 0; y < rows.size(); ++y) rows[y] = data + y * row_bytes;
  PngEncoder encoder(path, t.dim(0), t.dim(1), channels, t.dtype() == DType::u16 ? 16 : 8,
                     level);
  encoder.write_rows(rows.data(), t.dim(0));
  encoder.finish();
}

}  // namespace convkit::io
