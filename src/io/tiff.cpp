// TIFF reading through libtiff (writing: tiff_write.cpp; libtiff messages: tiff_detail.cpp).
//
// Strips are decoded straight into the caller's rows when the file's layout is the tensor's
// (interleaved samples of a type convkit has); everything else (planes, tiles, packed bits,
// widened types) goes through one decoded strip or row of tiles at a time.

#include "io/tiff.h"

#include <sys/stat.h>
#include <tiffio.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>

#include "convkit/error.h"
#include "io/files.h"
#include "io/tiff_detail.h"

namespace convkit::io {

using tiff_detail::CaptureScope;

namespace {

// The largest image read_tiff allocates (64 GiB), checked before allocating so that a corrupt
// or hostile header cannot ask for terabytes.
constexpr std::uint64_t kMaxImageBytes = std::uint64_t(1) << 36;

// How the file's samples become the tensor's.
enum class Conversion {
  same,        // identical representation: copy bytes
  unpack,      // 1..7-bit unsigned, packed MSB first (libtiff undoes FillOrder) -> u8
  i8_to_i16,   // convkit has no i8
  f16_to_f32,  // convkit has no f16
};

float half_to_float(std::uint16_t h) {
  const std::uint32_t sign = std::uint32_t(h >> 15) << 31;
  const std::uint32_t exponent = (h >> 10) & 0x1f;
  const std::uint32_t mantissa = h & 0x3ff;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact in float
    const float v = float(mantissa) * 0x1p-24f;
    return sign ? -v : v;
  }
  const std::uint32_t bits = exponent == 31 ? sign | 0x7f800000u | (mantissa << 13)
                                            : sign | ((exponent + 112) << 23) | (mantissa << 13);
  return std::bit_cast<float>(bits);
}

// One plane's samples into every `step`-th sample of an interleaved row.
template <class T>
void scatter_as(const unsigned char* src, std::int64_t count, unsigned char* dst,
                std::int64_t step) {
  for (std::int64_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, src + i * std::int64_t(sizeof(T)), sizeof(T));
    std::memcpy(dst + i * step * std::int64_t(sizeof(T)), &v, sizeof(T));
  }
}

void scatter(const unsigned char* src, std::int64_t count, std::size_t size, unsigned char* dst,
             std::int64_t step) {
  switch (size) {
    case 1: return scatter_as<std::uint8_t>(src, count, dst, step);
    case 2: return scatter_as<std::uint16_t>(src, count, dst, step);
    case 4: return scatter_as<std::uint32_t>(src, count, dst, step);
    default: return scatter_as<std::uint64_t>(src, count, dst, step);
  }
}

std::uint64_t file_size(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : std::uint64_t(n);
}

}  // namespace

struct TiffReader::State {
  tiff_detail::Messages messages;
  std::string parameter;  // what convkit::Error names
  TIFF* tif = nullptr;

  DType dtype = DType::u8;
  std::int64_t height = 0, width = 0, channels = 1;
  TiffMeta meta;

  std::uint16_t bits = 8, format = SAMPLEFORMAT_UINT, planar = PLANARCONFIG_CONTIG;
  std::uint16_t compression = COMPRESSION_NONE, photometric = PHOTOMETRIC_MINISBLACK;
  bool tiled = false;
  std::int64_t chunk_rows = 1;                // rows per strip, or tile height
  std::int64_t tile_width = 0;                // tiles only
  std::int64_t piece_row_bytes = 0;           // bytes per row of one decoded strip / tile
  Conversion conversion = Conversion::same;

  // Uncompressed samples that are already convkit's, every strip right after the last: the
  // rows are one run of bytes from raw_offset on, read straight into the caller's buffer
  // (one pread, not a libtiff call per strip). -1 otherwise.
  std::int64_t raw_offset = -1;

  std::vector<unsigned char> piece;  // one decoded strip or tile, in the file's layout
  std::vector<unsigned char> chunk;  // one strip / row of tiles as HxWxC rows of dtype
  std::int64_t cached_chunk = -1;

  ~State() {
    if (tif) {
      CaptureScope scope(messages);
      TIFFClose(tif);
    }
  }

  [[noreturn]] void corrupt(const std::string& what) const { messages.fail(what); }
  [[noreturn]] void unsupported(const std::string& what) const {
    throw Error(parameter, in_quotes(messages.path) + ": " + what);
  }

  std::size_t sample_size() const { return dtype_size(dtype); }
  std::size_t row_bytes() const { return std::size_t(width * channels) * sample_size(); }

  void open(const std::string& path);
  void check_sample_type();
  void check_compressed_size();
  void find_raw_rows();
  void read_raw(std::int64_t y0, std::int64_t rows, unsigned char* out);
  void decode_chunk(std::int64_t index, unsigned char* out);
  void place(const unsigned char* src, std::int64_t rows, std::int64_t x0, std::int64_t cols,
             int plane, unsigned char* out) const;
};

void TiffReader::State::open(const std::string& path) {
  messages.path = path;
  {
    // Our own signature check: a PNG renamed .tif deserves "not a TIFF file", not libtiff's
    // "bad magic number 20617".
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) messages.fail(std::string("cannot open: ") + std::strerror(errno));
    unsigned char head[4] = {};
    const std::size_t got = std::fread(head, 1, 4, f);
    std::fclose(f);
    if (got < 4) messages.fail("truncated TIFF file");
    const bool ok = (head[0] == 'I' && head[1] == 'I' && (head[2] == 42 || head[2] == 43) &&
                     head[3] == 0) ||
                    (head[0] == 'M' && head[1] == 'M' && head[2] == 0 &&
                     (head[3] == 42 || head[3] == 43));
    if (!ok) throw Error(parameter, in_quotes(path) + " is not a TIFF file (bad signature)");
  }
  CaptureScope scope(messages);
  // "m": read() rather than mmap, so resident memory stays one strip however large the file.
  tif = tiff_detail::open(path, "rm", messages);
  if (!tif) messages.fail("cannot read TIFF (truncated or corrupt)");

  std::uint32_t w = 0, h = 0, depth = 1;
  std::uint16_t spp = 1;
  if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h))
    corrupt("corrupt TIFF (no image size)");
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
  TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &format);
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
  TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
  TIFFGetFieldDefaulted(tif, TIFFTAG_IMAGEDEPTH, &depth);
  if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric))
    photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;  // as tifffile guesses
  if (w == 0 || h == 0 || spp == 0) corrupt("corrupt TIFF (empty image)");
  if (depth != 1) unsupported("volumetric TIFF tiles (ImageDepth > 1) are not supported");
  height = h;
  width = w;
  channels = spp;
  if (spp == 1) planar = PLANARCONFIG_CONTIG;  // one plane either way

  if (!TIFFIsCODECConfigured(compression)) {
    const TIFFCodec* codec = TIFFFindCODEC(compression);
    unsupported("TIFF compression " + std::to_string(compression) +
                (codec ? std::string(" (") + codec->name + ")" : std::string()) +
                " is not supported by this libtiff");
  }
  if (compression == COMPRESSION_SGILOG || compression == COMPRESSION_SGILOG24)
    unsupported("SGILog (LogLuv) compressed TIFFs are not supported");

  if (photometric == PHOTOMETRIC_YCBCR) {
    std::uint16_t sub_h = 1, sub_v = 1;
    TIFFGetFieldDefaulted(tif, TIFFTAG_YCBCRSUBSAMPLING, &sub_h, &sub_v);
    if (compression == COMPRESSION_JPEG && planar == PLANARCONFIG_CONTIG) {
      // libjpeg upsamples and converts to RGB, as tifffile's JPEG decoder does.
      TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
    } else if (sub_h != 1 || sub_v != 1) {
      unsupported("YCbCr TIFFs with chroma subsampling are supported only JPEG-compressed");
    }
  }
  check_sample_type();

  const std::uint64_t total = std::uint64_t(w) * h * spp * sample_size();
  if (total / h / w / spp != sample_size() || total > kMaxImageBytes) {
    unsupported("image of " + std::to_string(h) + "x" + std::to_string(w) + "x" +
                std::to_string(spp) + " " + dtype_name(dtype) +
                " is too large (the limit is 64 GiB)");
  }

  tiled = TIFFIsTiled(tif);
  if (tiled) {
    std::uint32_t tw = 0, th = 0;
    TIFFGetField(tif, TIFFTAG_TILEWIDTH, &tw);
    TIFFGetField(tif, TIFFTAG_TILELENGTH, &th);
    if (tw == 0 || th == 0) corrupt("corrupt TIFF (zero tile size)");
    // Tiles may overhang the image (a 512x512 tile on a 100x100 image), but a tile far larger
    // than both the image and any tile size in use is a corrupt header asking for memory.
    const auto absurd = [](std::uint32_t tile, std::int64_t image) {
      return tile > 8192 && tile > (image + 15) / 16 * 16;
    };
    if (absurd(tw, width) || absurd(th, height))
      corrupt("corrupt TIFF (tiles of " + std::to_string(th) + "x" + std::to_string(tw) +
              " for a " + std::to_string(height) + "x" + std::to_string(width) + " image)");
    tile_width = tw;
    chunk_rows = th;
    piece_row_bytes = std::int64_t(TIFFTileRowSize64(tif));
  } else {
    std::uint32_t rps = 0;
    TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
    chunk_rows = std::clamp<std::int64_t>(rps, 1, height);
    piece_row_bytes = std::int64_t(TIFFScanlineSize64(tif));
  }
  const std::uint64_t piece_bytes = std::uint64_t(piece_row_bytes) * std::uint64_t(chunk_rows);
  if (piece_row_bytes <= 0 || piece_bytes > kMaxImageBytes)
    corrupt("corrupt TIFF (bad strip or tile size)");
  check_compressed_size();
  if (tiled) {
    // One tile is read whole into memory: real tiles are kilobytes to megabytes, so a tile of
    // more than 1 GiB is a corrupt header asking for memory (a fuzzer's 10 GB JPEG tile).
    const std::uint64_t tile_bytes = TIFFTileSize64(tif);
    if (tile_bytes > (std::uint64_t(1) << 30))
      corrupt("corrupt TIFF (a tile of " + std::to_string(tile_bytes) + " bytes)");
    piece.resize(std::size_t(tile_bytes));
  }
  find_raw_rows();

  // libtiff 4 hands the rational resolutions out as float.
  float x_resolution = 0, y_resolution = 0;
  std::uint16_t unit = RESUNIT_INCH;
  if (TIFFGetField(tif, TIFFTAG_XRESOLUTION, &x_resolution)) {
    if (!TIFFGetField(tif, TIFFTAG_YRESOLUTION, &y_resolution)) y_resolution = x_resolution;
    TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
    meta = {true, x_resolution, y_resolution, unit};
  }
}

void TiffReader::State::check_sample_type() {
  const auto sample_kind = [&] {
    return std::to_string(bits) + "-bit " +
           (format == SAMPLEFORMAT_INT      ? "signed"
            : format == SAMPLEFORMAT_IEEEFP ? "float"
                                            : "unsigned");
  };
  switch (format) {
    case SAMPLEFORMAT_UINT:
    case SAMPLEFORMAT_VOID:  // "undefined": read as unsigned, as libtiff's tools do
      if (bits >= 1 && bits < 8) {
        dtype = DType::u8;
        conversion = Conversion::unpack;
        return;
      }
      if (bits == 8 || bits == 16) {
        dtype = bits == 8 ? DType::u8 : DType::u16;
        return;
      }
      break;
    case SAMPLEFORMAT_INT:
      if (bits == 8) {
        dtype = DType::i16;
        conversion = Conversion::i8_to_i16;
        return;
      }
      if (bits == 16 || bits == 32) {
        dtype = bits == 16 ? DType::i16 : DType::i32;
        return;
      }
      break;
    case SAMPLEFORMAT_IEEEFP:
      if (bits == 16) {
        dtype = DType::f32;
        conversion = Conversion::f16_to_f32;
        return;
      }
      if (bits == 32 || bits == 64) {
        dtype = bits == 32 ? DType::f32 : DType::f64;
        return;
      }
      break;
    case SAMPLEFORMAT_COMPLEXINT:
    case SAMPLEFORMAT_COMPLEXIEEEFP:
      unsupported("complex TIFF samples are not supported");
    default:
      unsupported("unknown TIFF SampleFormat " + std::to_string(format));
  }
  unsupported(sample_kind() +
              " TIFF samples are not supported (convkit reads 1..8/16-bit unsigned, "
              "8/16/32-bit signed, 16/32/64-bit float)");
}

// A corrupt header can claim a huge image with a few bytes of compressed data. The codecs
// below cannot expand data more than these ratios, so a claim beyond them is refused before
// the image is allocated. (Other codecs, e.g. JPEG, have no useful bound.)
void TiffReader::State::check_compressed_size() {
  double ratio = 0;
  switch (compression) {
    case COMPRESSION_NONE: ratio = 1; break;
    case COMPRESSION_PACKBITS: ratio = 64; break;             // 2 bytes -> 128
    case COMPRESSION_ADOBE_DEFLATE:
    case COMPRESSION_DEFLATE: ratio = 1032; break;            // 258 bytes per 2 bits
    case COMPRESSION_LZW: ratio = 4096; break;                // <= 4096 bytes per 9+ bits
    default: return;
  }
  const std::uint64_t available = file_size(messages.path);
  const std::uint32_t pieces = tiled ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif);
  std::uint64_t stored = 0;
  for (std::uint32_t i = 0; i < pieces; ++i)
    stored += std::min<std::uint64_t>(TIFFGetStrileByteCount(tif, i), available);
  // What the codec must produce: whole tiles (edge tiles included), or every strip's rows.
  const double decoded =
      tiled ? double(TIFFTileSize64(tif)) * pieces
            : double(piece_row_bytes) * double(height) *
                  (planar == PLANARCONFIG_SEPARATE ? double(channels) : 1.0);
  if (decoded > double(stored) * ratio + double(1 << 20))
    corrupt("corrupt or truncated TIFF (" + std::to_string(stored) +
            " bytes of image data cannot hold a " + std::to_string(height) + "x" +
            std::to_string(width) + " image)");
}

// Copies `rows` rows of one decoded strip/tile (columns [x0, x0 + cols) of the image; one
// sample plane, or all samples when interleaved) into `out`, HxWxC rows of dtype.
void TiffReader::State::place(const unsigned char* src, std::int64_t rows, std::int64_t x0,
                              std::int64_t cols, int plane, unsigned char* out) const {
  const std::size_t size = sample_size();
  const std::int64_t per_pixel = planar == PLANARCONFIG_SEPARATE ? 1 : channels;
  const std::int64_t first = planar == PLANARCONFIG_SEPARATE ? plane : 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    const unsigned char* s = src + r * piece_row_bytes;
    unsigned char* d = out + std::size_t(r) * row_bytes() + std::size_t(x0 * channels) * size;
    if (conversion == Conversion::same) {
      if (per_pixel == channels)
        std::memcpy(d, s, std::size_t(cols * channels) * size);
      else
        scatter(s, cols, size, d + std::size_t(first) * size, channels);
      continue;
    }
    for (std::int64_t j = 0; j < cols * per_pixel; ++j) {
      const std::int64_t sample = (j / per_pixel) * channels + first + j % per_pixel;
      unsigned char* to = d + std::size_t(sample) * size;
      switch (conversion) {
        case Conversion::same: std::memcpy(to, s + j * size, size); break;
        case Conversion::unpack: {
          const std::int64_t bit = j * bits;
          const std::int64_t byte = bit >> 3;
          const unsigned next = byte + 1 < piece_row_bytes ? s[byte + 1] : 0;
          const unsigned word = (unsigned(s[byte]) << 8) | next;
          *to = std::uint8_t((word >> (16 - (bit & 7) - bits)) & ((1u << bits) - 1));
          break;
        }
        case Conversion::i8_to_i16: {
          const std::int16_t v = static_cast<std::int8_t>(s[j]);
          std::memcpy(to, &v, sizeof v);
          break;
        }
        case Conversion::f16_to_f32: {
          std::uint16_t h;
          std::memcpy(&h, s + 2 * j, 2);
          const float v = half_to_float(h);
          std::memcpy(to, &v, sizeof v);
          break;
        }
      }
    }
  }
}

void TiffReader::State::find_raw_rows() {
  if (tiled || compression != COMPRESSION_NONE || conversion != Conversion::same ||
      planar != PLANARCONFIG_CONTIG || photometric == PHOTOMETRIC_YCBCR ||
      (sample_size() > 1 && TIFFIsByteSwapped(tif)) ||
      std::size_t(piece_row_bytes) != row_bytes())
    return;
  const std::uint32_t strips = TIFFNumberOfStrips(tif);
  const std::uint64_t *offsets = nullptr, *counts = nullptr;
  if (!TIFFGetField(tif, TIFFTAG_STRIPOFFSETS, &offsets) ||
      !TIFFGetField(tif, TIFFTAG_STRIPBYTECOUNTS, &counts) || !offsets || !counts ||
      std::int64_t(strips) != (height + chunk_rows - 1) / chunk_rows)
    return;
  const auto rb = std::uint64_t(row_bytes());
  for (std::uint32_t i = 0; i < strips; ++i) {
    const auto rows = std::uint64_t(std::min(chunk_rows, height - std::int64_t(i) * chunk_rows));
    if (counts[i] != rows * rb || (i > 0 && offsets[i] != offsets[i - 1] + counts[i - 1])) return;
  }
  // A file cut short goes through libtiff, whose message says which strip is missing.
  struct stat st {};
  if (::fstat(TIFFFileno(tif), &st) != 0 ||
      std::uint64_t(st.st_size) < offsets[0] + std::uint64_t(height) * rb ||
      offsets[0] > std::uint64_t(std::numeric_limits<std::int64_t>::max() / 2))
    return;
  raw_offset = std::int64_t(offsets[0]);
}

void TiffReader::State::read_raw(std::int64_t y0, std::int64_t rows, unsigned char* out) {
  const int fd = TIFFFileno(tif);
  std::size_t left = std::size_t(rows) * row_bytes();
  off_t at = off_t(raw_offset + y0 * std::int64_t(row_bytes()));
  while (left > 0) {
    const ssize_t n = ::pread(fd, out, left, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) corrupt(n < 0 ? std::string("cannot read: ") + std::strerror(errno)
                              : "truncated TIFF (the image data ends early)");
    out += n, left -= std::size_t(n), at += n;
  }
}

// Decodes strip / tile row `index` (rows [index * chunk_rows, ...)) into `out`.
void TiffReader::State::decode_chunk(std::int64_t index, unsigned char* out) {
  const std::int64_t y = index * chunk_rows;
  const std::int64_t rows = std::min(chunk_rows, height - y);
  const int planes = planar == PLANARCONFIG_SEPARATE ? int(channels) : 1;
  const bool direct = !tiled && conversion == Conversion::same && planes == 1 &&
                      std::size_t(piece_row_bytes) == row_bytes();
  const tmsize_t want = tmsize_t(rows * piece_row_bytes);
  if (!tiled && !direct) piece.resize(std::size_t(want));
  for (int p = 0; p < planes; ++p) {
    if (!tiled) {
      const std::uint32_t strip = TIFFComputeStrip(tif, std::uint32_t(y), std::uint16_t(p));
      unsigned char* to = direct ? out : piece.data();
      // A codec may fill less than it reports (libtiff's JPEG decoder, given a JPEG narrower
      // than the strip, only warns): start from zeros, not from what the buffer held.
      if (compression != COMPRESSION_NONE) std::memset(to, 0, std::size_t(want));
      if (TIFFReadEncodedStrip(tif, strip, to, want) != want)
        corrupt("cannot read TIFF strip " + std::to_string(strip) + " (truncated or corrupt)");
      if (!direct) place(piece.data(), rows, 0, width, p, out);
      continue;
    }
    for (std::int64_t x = 0; x < width; x += tile_width) {
      const std::uint32_t tile =
          TIFFComputeTile(tif, std::uint32_t(x), std::uint32_t(y), 0, std::uint16_t(p));
      const tmsize_t size = tmsize_t(piece.size());
      if (compression != COMPRESSION_NONE) std::fill(piece.begin(), piece.end(), 0);
      if (TIFFReadEncodedTile(tif, tile, piece.data(), size) != size)
        corrupt("cannot read TIFF tile " + std::to_string(tile) + " (truncated or corrupt)");
      place(piece.data(), rows, x, std::min(tile_width, width - x), p, out);
    }
  }
}

TiffReader::TiffReader(const std::string& path, const char* parameter)
    : s_(std::make_unique<State>()) {
  s_->parameter = parameter;
  s_->open(path);
}

TiffReader::~TiffReader() = default;

DType TiffReader::dtype() const { return s_->dtype; }
std::int64_t TiffReader::height() const { return s_->height; }
std::int64_t TiffReader::width() const { return s_->width; }
std::int64_t TiffReader::channels() const { return s_->channels; }
std::int64_t TiffReader::chunk_rows() const { return s_->chunk_rows; }
const TiffMeta& TiffReader::meta() const { return s_->meta; }

std::vector<std::int64_t> TiffReader::shape() const {
  std::vector<std::int64_t> dims{s_->height, s_->width};
  if (s_->channels > 1) dims.push_back(s_->channels);
  return dims;
}

void TiffReader::read_rows(std::int64_t y0, TensorView dst) {
  State& s = *s_;
  const std::int64_t rows = dst.rank() >= 1 ? dst.dim(0) : 0;
  // HxW, or HxWxC (HxWx1 for gray too).
  const bool shape_ok = dst.dtype() == s.dtype && dst.dim(1) == s.width &&
                        ((dst.rank() == 2 && s.channels == 1) ||
                         (dst.rank() == 3 && dst.dim(2) == s.channels));
  if (!shape_ok || y0 < 0 || rows < 0 || y0 + rows > s.height) {
    throw Error("dst", dst.geometry().shape_string() + " " + dtype_name(dst.dtype()) +
                           " does not fit rows [" + std::to_string(y0) + ", " +
                           std::to_string(y0 + rows) + ") of " + in_quotes(s.messages.path));
  }
  CaptureScope scope(s.messages);
  const std::size_t row_bytes = s.row_bytes();
  auto* out = static_cast<unsigned char*>(dst.data());
  if (s.raw_offset >= 0 && dst.is_contiguous()) return s.read_raw(y0, rows, out);
  for (std::int64_t y = y0; y < y0 + rows;) {
    const std::int64_t index = y / s.chunk_rows;
    const std::int64_t top = index * s.chunk_rows;
    const std::int64_t bottom = std::min(top + s.chunk_rows, s.height);
    const std::int64_t end = std::min(bottom, y0 + rows);
    if (top == y && bottom == end && dst.is_contiguous() && index != s.cached_chunk) {
      // The whole chunk is wanted: decode it in place, no copy.
      s.decode_chunk(index, out + std::size_t(y - y0) * row_bytes);
    } else {
      if (index != s.cached_chunk) {
        s.cached_chunk = -1;
        s.chunk.resize(std::size_t(bottom - top) * row_bytes);
        s.decode_chunk(index, s.chunk.data());
        s.cached_chunk = index;
      }
      const unsigned char* from = s.chunk.data() + std::size_t(y - top) * row_bytes;
      if (dst.is_contiguous()) {
        std::memcpy(out + std::size_t(y - y0) * row_bytes, from, std::size_t(end - y) * row_bytes);
      } else {
        Geometry g = dst.geometry();
        g.shape[0] = end - y;
        const Geometry packed = Geometry::contiguous(
            std::span<const std::int64_t>(g.shape.data(), std::size_t(g.rank)));
        const std::int64_t offset = (y - y0) * dst.stride(0) * std::int64_t(s.sample_size());
        copy(ConstTensorView(from, s.dtype, packed), TensorView(out + offset, s.dtype, g));
      }
    }
    y = end;
  }
}

Tensor read_tiff(const std::string& path, TiffMeta* meta, const char* parameter) {
  TiffReader reader(path, parameter);
  const std::vector<std::int64_t> dims = reader.shape();
  Tensor image(reader.dtype(), std::span<const std::int64_t>(dims));
  reader.read_rows(0, image.view());
  if (meta) *meta = reader.meta();
  return image;
}

}  // namespace convkit::io
