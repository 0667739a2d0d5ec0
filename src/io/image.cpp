#include "io/image.h"

#include <png.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "convkit/error.h"
#include "io/files.h"
#include "io/jpeg.h"
#include "io/npy.h"
#include "io/tiff.h"
#include "io/webp.h"

namespace convkit::io {
namespace {

constexpr bool kLittleEndian = std::endian::native == std::endian::little;

struct CloseFile {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, CloseFile>;

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

const char* format_title(FileFormat f) {
  switch (f) {
    case FileFormat::png: return "PNG";
    case FileFormat::pgm: return "PGM";
    case FileFormat::ppm: return "PPM";
    case FileFormat::pnm: return "PNM";
    case FileFormat::jpeg: return "JPEG";
    case FileFormat::tiff: return "TIFF";
    case FileFormat::webp: return "WebP";
    default: return "NPY";
  }
}

std::string unknown_format(const std::string& path) {
  std::string ext = lower_extension(path);
  return "unknown file type " + (ext.empty() ? std::string("(no extension)") : in_quotes(ext)) +
         " (known: .npy, .png, .pgm, .ppm, .pnm, .jpg, .jpeg, .tif, .tiff, .webp)";
}

// Images are HxW or HxWxC; returns C (0 when the shape is not an image shape).
std::int64_t channels_of(std::span<const std::int64_t> shape) {
  if (shape.size() == 2) return 1;
  if (shape.size() == 3) return shape[2];
  return 0;
}

// --- PNG ------------------------------------------------------------------------------------
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
  return true;
}

bool png_read_rows(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
}

bool png_write_all(png_structp png, png_infop info, const PngShape& shape, int color,
                   int level, png_bytepp rows) {
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
  png_write_image(png, rows);
  png_write_end(png, nullptr);
  return true;
}

Tensor read_png(const std::string& path, const char* parameter) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) io_fail(path, std::string("cannot open: ") + std::strerror(errno));
  png_byte signature[8];
  std::size_t got = std::fread(signature, 1, sizeof signature, f.get());
  if (got < sizeof signature) io_fail(path, "truncated PNG file");
  if (png_sig_cmp(signature, 0, sizeof signature) != 0)
    throw Error(parameter, in_quotes(path) + " is not a PNG file (bad signature)");

  PngError error;
  png_structp png =
      png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, on_png_error, on_png_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  struct Release {
    png_structp* png;
    png_infop* info;
    ~Release() { png_destroy_read_struct(png, info, nullptr); }
  } release{&png, &info};
  if (!png || !info) io_fail(path, "libpng could not allocate its state");
  png_init_io(png, f.get());
  png_set_sig_bytes(png, sizeof signature);

  PngShape shape;
  if (!png_read_header(png, info, &shape))
    io_fail(path, std::string("cannot read PNG (truncated or corrupt): ") + error.message);
  const DType dtype = shape.depth == 16 ? DType::u16 : DType::u8;
  std::vector<std::int64_t> dims{std::int64_t(shape.height), std::int64_t(shape.width)};
  if (shape.channels > 1) dims.push_back(shape.channels);
  Tensor image(dtype, std::span<const std::int64_t>(dims));

  const std::size_t row_bytes =
      std::size_t(shape.width) * std::size_t(shape.channels) * dtype_size(dtype);
  std::vector<png_bytep> rows(shape.height);
  for (png_uint_32 y = 0; y < shape.height; ++y)
    rows[y] = static_cast<png_bytep>(image.data()) + y * row_bytes;
  if (!png_read_rows(png, rows.data()))
    io_fail(path, std::string("cannot read PNG (truncated or corrupt): ") + error.message);
  return image;
}

void write_png(const std::string& path, ConstTensorView t, int level) {
  Tensor storage;
  const auto* data = static_cast<const unsigned char*>(contiguous_data(t, storage));
  const int channels = t.rank() == 3 ? int(t.dim(2)) : 1;
  static constexpr int kColor[] = {PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                   PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
  PngShape shape;
  shape.width = png_uint_32(t.dim(1));
  shape.height = png_uint_32(t.dim(0));
  shape.channels = channels;
  shape.depth = t.dtype() == DType::u16 ? 16 : 8;
  const std::size_t row_bytes = std::size_t(t.dim(1)) * channels * dtype_size(t.dtype());
  std::vector<png_bytep> rows(shape.height);
  for (png_uint_32 y = 0; y < shape.height; ++y)
    rows[y] = const_cast<png_bytep>(data + y * row_bytes);

  errno = 0;
  File f(std::fopen(path.c_str(), "wb"));
  if (!f) io_fail(path, std::string("cannot create: ") + std::strerror(errno));
  PngError error;
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, &error, on_png_error, on_png_warning);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  bool ok = png && info;
  if (ok) {
    png_init_io(png, f.get());
    ok = png_write_all(png, info, shape, kColor[channels - 1], level, rows.data());
  }
  png_destroy_write_struct(&png, &info);
  ok = (std::fclose(f.release()) == 0) && ok;
  if (!ok) {
    std::remove(path.c_str());
    io_fail(path, std::string("cannot write PNG: ") + error.message);
  }
}

// --- Netpbm ---------------------------------------------------------------------------------

class PnmParser {
 public:
  PnmParser(const std::string& bytes, const std::string& path) : s_(bytes), path_(path) {}

  // The next unsigned decimal, skipping whitespace and '#' comments.
  std::uint64_t number(const char* what) {
    while (pos_ < s_.size()) {
      unsigned char c = s_[pos_];
      if (c == '#') {
        while (pos_ < s_.size() && s_[pos_] != '\n' && s_[pos_] != '\r') ++pos_;
      } else if (std::isspace(c)) {
        ++pos_;
      } else {
        break;
      }
    }
    if (pos_ >= s_.size()) io_fail(path_, std::string("truncated PNM file (no ") + what + ")");
    if (!std::isdigit(static_cast<unsigned char>(s_[pos_])))
      io_fail(path_, std::string("corrupt PNM file (bad ") + what + ")");
    std::uint64_t v = 0;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
      v = v * 10 + std::uint64_t(s_[pos_++] - '0');
      if (v > (1ull << 40)) io_fail(path_, std::string("corrupt PNM file (huge ") + what + ")");
    }
    return v;
  }
  std::size_t pos() const { return pos_; }
  void skip(std::size_t n) { pos_ += n; }

 private:
  const std::string& s_;
  const std::string& path_;
  std::size_t pos_ = 0;
};

Tensor read_pnm(const std::string& path, const char* parameter) {
  const std::string bytes = read_file(path);
  if (bytes.size() < 2 || bytes[0] != 'P' || bytes[1] < '1' || bytes[1] > '7')
    throw Error(parameter, in_quotes(path) + " is not a PGM/PPM file (bad magic number)");
  const char kind = bytes[1];
  if (kind != '2' && kind != '3' && kind != '5' && kind != '6') {
    throw Error(parameter, in_quotes(path) + ": Netpbm type P" + std::string(1, kind) +
                               " is not supported (only P2/P5 gray and P3/P6 RGB)");
  }
  const bool ascii = kind == '2' || kind == '3';
  const std::int64_t channels = (kind == '3' || kind == '6') ? 3 : 1;

  PnmParser p(bytes, path);
  p.skip(2);
  const auto width = std::int64_t(p.number("width"));
  const auto height = std::int64_t(p.number("height"));
  const auto maxval = p.number("maxval");
  if (maxval == 0 || maxval > 65535) io_fail(path, "corrupt PNM file (maxval must be 1..65535)");
  const DType dtype = maxval > 255 ? DType::u16 : DType::u8;
  std::vector<std::int64_t> dims{height, width};
  if (channels > 1) dims.push_back(channels);
  // Every sample needs at least one byte in either encoding: reject before allocating.
  if (width != 0 && std::uint64_t(height) > bytes.size() / std::uint64_t(width) / channels)
    io_fail(path, "truncated PNM file");
  const std::uint64_t count = std::uint64_t(width) * std::uint64_t(height) * channels;
  const std::uint64_t sample_bytes = dtype_size(dtype);
  Tensor image(dtype, std::span<const std::int64_t>(dims));

  if (ascii) {
    for (std::uint64_t i = 0; i < count; ++i) {
      auto v = p.number("sample");
      if (v > maxval) {
        throw Error(parameter, in_quotes(path) + ": sample " + std::to_string(v) +
                                   " exceeds maxval " + std::to_string(maxval));
      }
      if (dtype == DType::u8)
        static_cast<std::uint8_t*>(image.data())[i] = std::uint8_t(v);
      else
        static_cast<std::uint16_t*>(image.data())[i] = std::uint16_t(v);
    }
    return image;
  }
  // Exactly one whitespace byte separates maxval from binary data.
  const std::size_t start = p.pos() + 1;
  if (start > bytes.size() || bytes.size() - start < count * sample_bytes) {
    io_fail(path, "truncated PNM file (expected " + std::to_string(count * sample_bytes) +
                      " data bytes)");
  }
  const auto* src = reinterpret_cast<const unsigned char*>(bytes.data()) + start;
  if (dtype == DType::u8) {
    std::memcpy(image.data(), src, count);
  } else {
    auto* dst = static_cast<std::uint16_t*>(image.data());
    for (std::uint64_t i = 0; i < count; ++i)
      dst[i] = std::uint16_t((src[2 * i] << 8) | src[2 * i + 1]);  // Netpbm is big-endian
  }
  return image;
}

void write_pnm(const std::string& path, ConstTensorView t) {
  Tensor storage;
  const void* data = contiguous_data(t, storage);
  const std::int64_t channels = t.rank() == 3 ? t.dim(2) : 1;
  const bool wide = t.dtype() == DType::u16;
  const std::string header = std::string(channels == 3 ? "P6\n" : "P5\n") +
                             std::to_string(t.dim(1)) + " " + std::to_string(t.dim(0)) + "\n" +
                             (wide ? "65535" : "255") + "\n";
  const std::size_t count = std::size_t(t.numel());
  std::vector<unsigned char> swapped;
  if (wide) {
    swapped.resize(2 * count);
    const auto* s = static_cast<const std::uint16_t*>(data);
    for (std::size_t i = 0; i < count; ++i) {
      swapped[2 * i] = static_cast<unsigned char>(s[i] >> 8);
      swapped[2 * i + 1] = static_cast<unsigned char>(s[i] & 0xff);
    }
    data = swapped.data();
  }
  const std::size_t bytes = count * (wide ? 2 : 1);

  write_file(path, header, data, bytes);
}

}  // namespace

FileFormat format_of(const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext == ".npy") return FileFormat::npy;
  if (ext == ".png") return FileFormat::png;
  if (ext == ".pgm") return FileFormat::pgm;
  if (ext == ".ppm") return FileFormat::ppm;
  if (ext == ".pnm") return FileFormat::pnm;
  if (ext == ".jpg" || ext == ".jpeg") return FileFormat::jpeg;
  if (ext == ".tif" || ext == ".tiff") return FileFormat::tiff;
  if (ext == ".webp") return FileFormat::webp;
  return FileFormat::unknown;
}

bool is_image_extension(const std::string& path) {
  FileFormat f = format_of(path);
  return f != FileFormat::npy && f != FileFormat::unknown;
}

bool is_known_extension(const std::string& path) { return format_of(path) != FileFormat::unknown; }

std::string storage_problem(const std::string& path, DType dtype,
                            std::span<const std::int64_t> shape) {
  const FileFormat format = format_of(path);
  if (format == FileFormat::unknown) return unknown_format(path);
  std::string shape_text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i)
    shape_text += (i ? ", " : "") + std::to_string(shape[i]);
  shape_text += shape.size() == 1 ? ",)" : ")";
  if (format == FileFormat::npy) {
    if (shape.empty() || shape.size() > std::size_t(kMaxRank))
      return "an .npy file here holds ranks 1 to 4, not shape " + shape_text;
    return {};
  }
  const std::string title = format_title(format);
  const bool eight_bit = format == FileFormat::jpeg || format == FileFormat::webp;
  if (format == FileFormat::tiff) {
    if (is_complex(dtype))
      return std::string("cannot store ") + dtype_name(dtype) + " in a TIFF (real types only)";
  } else if (eight_bit ? dtype != DType::u8 : dtype != DType::u8 && dtype != DType::u16) {
    return std::string("cannot store ") + dtype_name(dtype) + " in a " + title +
           (eight_bit ? " (u8 only)" : " (u8 or u16 only)");
  }
  const std::int64_t c = channels_of(shape);
  bool channels_ok = false;
  const char* holds = "";
  switch (format) {
    case FileFormat::png:
      channels_ok = c >= 1 && c <= 4;
      holds = "HxW or HxWxC with C = 1..4";
      break;
    case FileFormat::pgm:
      channels_ok = c == 1;
      holds = "HxW gray (RGB goes in a .ppm)";
      break;
    case FileFormat::jpeg:
      channels_ok = c == 1 || c == 3;
      holds = "HxW gray or HxWx3 RGB";
      break;
    case FileFormat::tiff:
    case FileFormat::webp:
      channels_ok = c >= 1 && c <= 4;
      holds = "HxW or HxWxC with C = 1..4";
      break;
    case FileFormat::ppm:
      channels_ok = c == 3;
      holds = "HxWx3 RGB (gray goes in a .pgm)";
      break;
    default:
      channels_ok = c == 1 || c == 3;
      holds = "HxW gray or HxWx3 RGB";
      break;
  }
  if (!channels_ok)
    return "cannot store shape " + shape_text + " in a " + title + ", which holds " + holds;
  if (shape[0] == 0 || shape[1] == 0)
    return "cannot store the empty shape " + shape_text + " in a " + title;
  if (format == FileFormat::png && (shape[0] > 0x7fffffff || shape[1] > 0x7fffffff))
    return "shape " + shape_text + " is too large for a PNG";
  if (format == FileFormat::jpeg && (shape[0] > 65500 || shape[1] > 65500))
    return "shape " + shape_text + " is too large for a JPEG (65500 pixels a side at most)";
  if (format == FileFormat::webp && (shape[0] > 16383 || shape[1] > 16383))
    return "shape " + shape_text + " is too large for a WebP (16383 pixels a side at most)";
  return {};
}

Tensor read_image(const std::string& path, const char* parameter, ImageMeta* meta) {
  if (meta) *meta = ImageMeta{};
  switch (format_of(path)) {
    case FileFormat::npy: return read_npy(path, parameter);
    case FileFormat::png: return read_png(path, parameter);
    case FileFormat::jpeg: return read_jpeg(path, parameter);
    case FileFormat::webp: return read_webp(path, parameter);
    case FileFormat::tiff: {
      TiffMeta m;
      Tensor t = read_tiff(path, &m, parameter);
      if (meta) *meta = {m.has_resolution, m.x_resolution, m.y_resolution, m.unit};
      return t;
    }
    case FileFormat::pgm:
    case FileFormat::ppm:
    case FileFormat::pnm: return read_pnm(path, parameter);
    default: throw Error(parameter, in_quotes(path) + ": " + unknown_format(path));
  }
}

void write_image(const std::string& path, ConstTensorView t, const WriteOptions& options) {
  std::span<const std::int64_t> shape(t.geometry().shape.data(), std::size_t(t.rank()));
  const FileFormat format = format_of(path);
  if (std::string problem = storage_problem(path, t.dtype(), shape); !problem.empty()) {
    if (format != FileFormat::unknown && format != FileFormat::npy) problem += "; use .npy";
    throw Error("output", in_quotes(path) + ": " + problem);
  }
  switch (format) {
    case FileFormat::npy: return write_npy(path, t);
    case FileFormat::png: {
      const int level = options.png_compression < 0 ? kPngFastLevel : options.png_compression;
      if (level > 9) throw Error("png_compression", "must be 0..9, got " + std::to_string(level));
      return write_png(path, t, level);
    }
    case FileFormat::jpeg: {
      JpegOptions o;
      if (options.quality >= 0) o.quality = options.quality;
      o.progressive = options.progressive;
      return write_jpeg(path, t, o);
    }
    case FileFormat::webp: {
      WebpOptions o;
      if (options.quality >= 0) o.quality = float(options.quality);
      o.lossless = options.lossless;
      return write_webp(path, t, o);
    }
    case FileFormat::tiff: {
      TiffOptions o;
      o.quality = options.quality;  // JPEG-in-TIFF; -1: the default
      if (!options.compression.empty()) o.compression = options.compression;
      o.predictor = options.predictor;
      o.tiles = options.tiles;
      o.planar = options.planar;
      o.bigtiff = options.bigtiff;
      o.meta = {options.meta.has_resolution, options.meta.x_resolution,
                options.meta.y_resolution, options.meta.resolution_unit};
      return write_tiff(path, t, o);
    }
    default: return write_pnm(path, t);
  }
}

}  // namespace convkit::io
