#include "io/image.h"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <vector>

#include "convkit/error.h"
#include "io/files.h"
#include "io/jpeg.h"
#include "io/npy.h"
#include "io/png.h"
#include "io/tiff.h"
#include "io/webp.h"

namespace convkit::io {
namespace {

constexpr bool kLittleEndian = std::endian::native == std::endian::little;

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

// --- Netpbm ---------------------------------------------------------------------------------

// Thrown by PnmParser when it reaches the end of the first bytes of a file (not the whole file)
// in the middle of the header; caught in parse_pnm_header.
struct PnmNeedsMore {};

class PnmParser {
 public:
  PnmParser(std::string_view bytes, bool whole, const std::string& path)
      : s_(bytes), whole_(whole), path_(path) {}

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
    if (pos_ >= s_.size()) {
      if (!whole_) throw PnmNeedsMore{};
      io_fail(path_, std::string("truncated PNM file (no ") + what + ")");
    }
    if (!std::isdigit(static_cast<unsigned char>(s_[pos_])))
      io_fail(path_, std::string("corrupt PNM file (bad ") + what + ")");
    std::uint64_t v = 0;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
      v = v * 10 + std::uint64_t(s_[pos_++] - '0');
      if (v > (1ull << 40)) io_fail(path_, std::string("corrupt PNM file (huge ") + what + ")");
    }
    if (pos_ >= s_.size() && !whole_) throw PnmNeedsMore{};  // more digits may follow
    return v;
  }
  std::size_t pos() const { return pos_; }
  void skip(std::size_t n) { pos_ += n; }

 private:
  std::string_view s_;
  bool whole_;
  const std::string& path_;
  std::size_t pos_ = 0;
};

Tensor read_pnm(const std::string& path, const char* parameter) {
  const std::string bytes = read_file(path);
  const PnmHeader h = *parse_pnm_header(bytes, true, bytes.size(), path, parameter);
  std::vector<std::int64_t> dims{h.height, h.width};
  if (h.channels > 1) dims.push_back(h.channels);
  const std::uint64_t count = std::uint64_t(h.width) * std::uint64_t(h.height) * h.channels;
  Tensor image(h.dtype, std::span<const std::int64_t>(dims));

  if (h.ascii) {
    PnmParser p(bytes, true, path);
    p.skip(h.data_offset - 1);  // just after maxval
    for (std::uint64_t i = 0; i < count; ++i) {
      auto v = p.number("sample");
      if (v > h.maxval) {
        throw Error(parameter, in_quotes(path) + ": sample " + std::to_string(v) +
                                   " exceeds maxval " + std::to_string(h.maxval));
      }
      if (h.dtype == DType::u8)
        static_cast<std::uint8_t*>(image.data())[i] = std::uint8_t(v);
      else
        static_cast<std::uint16_t*>(image.data())[i] = std::uint16_t(v);
    }
    return image;
  }
  // parse_pnm_header checked that all the data is there.
  convert_pnm_samples(bytes.data() + h.data_offset, std::size_t(count), h.dtype, image.data());
  return image;
}

void write_pnm(const std::string& path, ConstTensorView t) {
  Tensor storage;
  const void* data = contiguous_data(t, storage);
  const std::int64_t channels = t.rank() == 3 ? t.dim(2) : 1;
  const std::string header = pnm_header(t.dtype(), t.dim(0), t.dim(1), channels);
  const std::size_t count = std::size_t(t.numel());
  std::vector<unsigned char> swapped;
  if (t.dtype() == DType::u16) {
    swapped.resize(2 * count);
    convert_pnm_samples(data, count, DType::u16, swapped.data());
    data = swapped.data();
  }
  write_file(path, header, data, count * dtype_size(t.dtype()));
}

}  // namespace

// --- Netpbm header --------------------------------------------------------------------------

std::optional<PnmHeader> parse_pnm_header(std::string_view bytes, bool whole,
                                          std::uint64_t file_size, const std::string& path,
                                          const char* parameter) {
  if (bytes.size() < 2 || bytes[0] != 'P' || bytes[1] < '1' || bytes[1] > '7')
    throw Error(parameter, in_quotes(path) + " is not a PGM/PPM file (bad magic number)");
  const char kind = bytes[1];
  if (kind != '2' && kind != '3' && kind != '5' && kind != '6') {
    throw Error(parameter, in_quotes(path) + ": Netpbm type P" + std::string(1, kind) +
                               " is not supported (only P2/P5 gray and P3/P6 RGB)");
  }
  PnmHeader h;
  h.ascii = kind == '2' || kind == '3';
  h.channels = (kind == '3' || kind == '6') ? 3 : 1;
  PnmParser p(bytes, whole, path);
  p.skip(2);
  try {
    h.width = std::int64_t(p.number("width"));
    h.height = std::int64_t(p.number("height"));
    h.maxval = p.number("maxval");
  } catch (const PnmNeedsMore&) {
    return std::nullopt;
  }
  if (h.maxval == 0 || h.maxval > 65535)
    io_fail(path, "corrupt PNM file (maxval must be 1..65535)");
  h.dtype = h.maxval > 255 ? DType::u16 : DType::u8;
  // Every sample needs at least one byte in either encoding: reject before allocating.
  if (h.width != 0 && std::uint64_t(h.height) > file_size / std::uint64_t(h.width) / h.channels)
    io_fail(path, "truncated PNM file");
  // Exactly one whitespace byte separates maxval from binary data.
  h.data_offset = p.pos() + 1;
  if (!h.ascii) {
    const std::uint64_t bytes_needed = std::uint64_t(h.width) * std::uint64_t(h.height) *
                                       std::uint64_t(h.channels) * dtype_size(h.dtype);
    if (h.data_offset > file_size || file_size - h.data_offset < bytes_needed) {
      io_fail(path, "truncated PNM file (expected " + std::to_string(bytes_needed) +
                        " data bytes)");
    }
  }
  return h;
}

std::string pnm_header(DType dtype, std::int64_t height, std::int64_t width,
                       std::int64_t channels) {
  return std::string(channels == 3 ? "P6\n" : "P5\n") + std::to_string(width) + " " +
         std::to_string(height) + "\n" + (dtype == DType::u16 ? "65535" : "255") + "\n";
}

void convert_pnm_samples(const void* src, std::size_t count, DType dtype, void* dst) {
  if (count == 0) return;  // an empty row's buffers may be null, which memcpy must not get
  if (dtype != DType::u16 || !kLittleEndian) {
    std::memcpy(dst, src, count * dtype_size(dtype));
    return;
  }
  const auto* from = static_cast<const unsigned char*>(src);
  auto* to = static_cast<unsigned char*>(dst);
  for (std::size_t i = 0; i < count; ++i) {
    to[2 * i] = from[2 * i + 1];
    to[2 * i + 1] = from[2 * i];
  }
}

// --- Options shared with the band writers ---------------------------------------------------

void check_storage(const std::string& path, DType dtype, std::span<const std::int64_t> shape) {
  const FileFormat format = format_of(path);
  if (std::string problem = storage_problem(path, dtype, shape); !problem.empty()) {
    if (format != FileFormat::unknown && format != FileFormat::npy) problem += "; use .npy";
    throw Error("output", in_quotes(path) + ": " + problem);
  }
}

void fail_unknown_format(const std::string& path, const char* parameter) {
  throw Error(parameter, in_quotes(path) + ": " + unknown_format(path));
}

int png_level(const WriteOptions& options) {
  const int level = options.png_compression < 0 ? kPngFastLevel : options.png_compression;
  if (level > 9) throw Error("png_compression", "must be 0..9, got " + std::to_string(level));
  return level;
}

JpegOptions jpeg_options(const WriteOptions& options) {
  JpegOptions o;
  if (options.quality >= 0) o.quality = options.quality;
  o.progressive = options.progressive;
  return o;
}

TiffOptions tiff_options(const WriteOptions& options) {
  TiffOptions o;
  o.quality = options.quality;  // JPEG-in-TIFF; -1: the default
  if (!options.compression.empty()) o.compression = options.compression;
  o.predictor = options.predictor;
  o.tiles = options.tiles;
  o.planar = options.planar;
  o.bigtiff = options.bigtiff;
  o.meta = {options.meta.has_resolution, options.meta.x_resolution, options.meta.y_resolution,
            options.meta.resolution_unit};
  return o;
}

ImageMeta image_meta(const TiffMeta& meta) {
  return {meta.has_resolution, meta.x_resolution, meta.y_resolution, meta.unit};
}

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
      if (meta) *meta = image_meta(m);
      return t;
    }
    case FileFormat::pgm:
    case FileFormat::ppm:
    case FileFormat::pnm: return read_pnm(path, parameter);
    default: fail_unknown_format(path, parameter);
  }
}

void write_image(const std::string& path, ConstTensorView t, const WriteOptions& options) {
  check_storage(path, t.dtype(),
                std::span<const std::int64_t>(t.geometry().shape.data(), std::size_t(t.rank())));
  switch (format_of(path)) {
    case FileFormat::npy: return write_npy(path, t);
    case FileFormat::png: return write_png(path, t, png_level(options));
    case FileFormat::jpeg: return write_jpeg(path, t, jpeg_options(options));
    case FileFormat::webp: {
      WebpOptions o;
      if (options.quality >= 0) o.quality = float(options.quality);
      o.lossless = options.lossless;
      return write_webp(path, t, o);
    }
    case FileFormat::tiff: return write_tiff(path, t, tiff_options(options));
    default: return write_pnm(path, t);
  }
}

}  // namespace convkit::io
