// TIFF writing through libtiff: strips or 256x256 tiles, interleaved or planar, written one
// strip / row of tiles at a time from any strided view, so memory stays one chunk.

#include <tiffio.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <utility>

#include "convkit/error.h"
#include "io/tiff.h"
#include "io/files.h"
#include "io/tiff_detail.h"

namespace convkit::io {

using tiff_detail::CaptureScope;

namespace {

constexpr std::int64_t kTileSize = 256;
// Rows per strip aim at this many bytes: big enough that per-strip overhead (offsets, codec
// setup) is noise, small enough that a reader streaming the file holds little.
constexpr std::int64_t kStripBytes = 256 << 10;
// Classic TIFF offsets are 32-bit; past this many bytes of output we write BigTIFF. The
// headroom covers the directory and the strip offset/byte-count arrays.
constexpr double kClassicLimit = double((std::uint64_t(1) << 32) - (std::uint64_t(64) << 20));

struct Problem {
  std::string parameter, message;
};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// libtiff's compression code for an option value; 0 when unknown.
std::uint16_t compression_code(const std::string& name) {
  const std::string n = lower(name);
  if (n == "none" || n.empty()) return COMPRESSION_NONE;
  if (n == "lzw") return COMPRESSION_LZW;
  // tifffile's 'zlib' and 'deflate' are both the Adobe Deflate code that every reader knows.
  if (n == "deflate" || n == "zlib" || n == "adobe_deflate") return COMPRESSION_ADOBE_DEFLATE;
  if (n == "jpeg") return COMPRESSION_JPEG;
  if (n == "packbits") return COMPRESSION_PACKBITS;
  return 0;
}

// The predictor actually written (1 none, 2 horizontal, 3 floating point).
int effective_predictor(DType dtype, std::uint16_t compression, int requested) {
  const bool can = compression == COMPRESSION_LZW || compression == COMPRESSION_ADOBE_DEFLATE;
  if (requested != 0) return requested;
  if (!can) return PREDICTOR_NONE;
  return is_floating(dtype) ? PREDICTOR_FLOATINGPOINT : PREDICTOR_HORIZONTAL;
}

Problem find_problem(DType dtype, std::int64_t height, std::int64_t width, std::int64_t channels,
                     const TiffOptions& o) {
  if (dtype != DType::u8 && dtype != DType::u16 && dtype != DType::i16 && dtype != DType::i32 &&
      dtype != DType::f32 && dtype != DType::f64) {
    return {"output", std::string("cannot store ") + dtype_name(dtype) +
                          " in a TIFF (it holds u8, u16, i16, i32, f32, f64)"};
  }
  if (channels < 1 || channels > 4)
    return {"output", "a TIFF here holds HxW or HxWxC with C = 1..4, not " +
                          std::to_string(channels) + " channels"};
  if (height < 1 || width < 1) return {"output", "cannot store an empty image in a TIFF"};
  if (height > 0xffffffffLL || width > 0xffffffffLL)
    return {"output", "a TIFF image is at most 4294967295 pixels high and wide"};
  const std::uint16_t compression = compression_code(o.compression);
  if (compression == 0 && !o.compression.empty() && lower(o.compression) != "none")
    return {"compression", in_quotes(o.compression) +
                               " is not a TIFF compression (none, lzw, deflate, zlib, packbits, "
                               "jpeg)"};
  if (compression == COMPRESSION_JPEG) {
    if (dtype != DType::u8)
      return {"compression",
              std::string("JPEG compression in a TIFF holds u8 only, not ") + dtype_name(dtype)};
    if (!o.planar && channels != 1 && channels != 3)
      return {"compression",
              "JPEG compression in a TIFF holds 1 or 3 interleaved channels (gray or RGB); "
              "use planar=true for " + std::to_string(channels)};
    // libtiff writes each plane as a JPEG without a JFIF marker, which tifffile then decodes
    // as 3-component RGB and fails; interleaved RGB (stored as YCbCr) has no such problem.
    if (o.planar && channels == 3)
      return {"planar", "planar RGB with JPEG compression is not written (tifffile cannot "
                        "read it); use planar=false"};
    if ((o.quality < 1 && o.quality != -1) || o.quality > 100)
      return {"quality", std::to_string(o.quality) + " is outside 1..100"};
  }
  if (o.predictor < 0 || o.predictor > 3)
    return {"predictor", std::to_string(o.predictor) +
                             " is not a TIFF predictor (0 auto, 1 none, 2 horizontal, 3 float)"};
  if (o.predictor >= 2) {
    if (compression != COMPRESSION_LZW && compression != COMPRESSION_ADOBE_DEFLATE)
      return {"predictor", "predictor " + std::to_string(o.predictor) +
                               " needs lzw or deflate compression"};
    if (o.predictor == 2 && is_floating(dtype))
      return {"predictor", std::string("horizontal differencing (2) is for integers; use 3 for ") +
                               dtype_name(dtype)};
    if (o.predictor == 3 && !is_floating(dtype))
      return {"predictor", std::string("the floating-point predictor (3) is for f32/f64; use 2 "
                                       "for ") + dtype_name(dtype)};
  }
  if (o.bigtiff < -1 || o.bigtiff > 1)
    return {"bigtiff", std::to_string(o.bigtiff) + " is not -1 (auto), 0 or 1"};
  if (o.meta.has_resolution && !(o.meta.x_resolution > 0 && o.meta.y_resolution > 0 &&
                                 o.meta.unit >= RESUNIT_NONE && o.meta.unit <= RESUNIT_CENTIMETER))
    return {"resolution", "needs positive x and y and a unit of 1 (none), 2 (inch) or 3 (cm)"};
  return {};
}

// Whether the file could pass classic TIFF's 4 GB: the samples times the worst expansion of
// the codec (LZW can grow noise by 12/8; JPEG at high quality can exceed the raw size).
bool needs_bigtiff(DType dtype, std::int64_t height, std::int64_t width, std::int64_t channels,
                   std::uint16_t compression, bool tiles) {
  if (tiles) {  // edge tiles are stored whole
    height = (height + kTileSize - 1) / kTileSize * kTileSize;
    width = (width + kTileSize - 1) / kTileSize * kTileSize;
  }
  double growth = 1.0;
  switch (compression) {
    case COMPRESSION_NONE: break;
    case COMPRESSION_LZW: growth = 1.5; break;
    case COMPRESSION_JPEG: growth = 2.0; break;
    default: growth = 1.01; break;  // deflate stored blocks, PackBits literals: under 1%
  }
  return double(height) * double(width) * double(channels) * double(dtype_size(dtype)) * growth >
         kClassicLimit;
}

template <class T>
void gather_as(const unsigned char* src, std::int64_t stride, std::int64_t count,
               unsigned char* dst) {
  for (std::int64_t i = 0; i < count; ++i) {
    T v;
    std::memcpy(&v, src + i * stride * std::int64_t(sizeof(T)), sizeof(T));
    std::memcpy(dst + i * std::int64_t(sizeof(T)), &v, sizeof(T));
  }
}

// `count` samples of `size` bytes, `stride` samples apart, from `src` to consecutive ones
// at `dst` (one plane out of interleaved rows).
void gather(const unsigned char* src, std::int64_t stride, std::int64_t count, std::size_t size,
            unsigned char* dst) {
  if (stride == 1) {
    std::memcpy(dst, src, std::size_t(count) * size);
    return;
  }
  switch (size) {
    case 1: return gather_as<std::uint8_t>(src, stride, count, dst);
    case 2: return gather_as<std::uint16_t>(src, stride, count, dst);
    case 4: return gather_as<std::uint32_t>(src, stride, count, dst);
    default: return gather_as<std::uint64_t>(src, stride, count, dst);
  }
}

// One row of a strided view (`width` pixels `x_stride` apart, `channels` samples `c_stride`
// apart) into an interleaved row.
template <class T>
void copy_row_as(const unsigned char* src, std::int64_t width, std::int64_t x_stride,
                 std::int64_t channels, std::int64_t c_stride, unsigned char* dst) {
  constexpr std::int64_t n = sizeof(T);
  for (std::int64_t x = 0; x < width; ++x)
    for (std::int64_t c = 0; c < channels; ++c)
      std::memcpy(dst + (x * channels + c) * n, src + (x * x_stride + c * c_stride) * n, n);
}

void copy_row(const unsigned char* src, std::int64_t width, std::int64_t x_stride,
              std::int64_t channels, std::int64_t c_stride, std::size_t size,
              unsigned char* dst) {
  switch (size) {
    case 1: return copy_row_as<std::uint8_t>(src, width, x_stride, channels, c_stride, dst);
    case 2: return copy_row_as<std::uint16_t>(src, width, x_stride, channels, c_stride, dst);
    case 4: return copy_row_as<std::uint32_t>(src, width, x_stride, channels, c_stride, dst);
    default: return copy_row_as<std::uint64_t>(src, width, x_stride, channels, c_stride, dst);
  }
}

}  // namespace

std::string tiff_storage_problem(DType dtype, std::int64_t height, std::int64_t width,
                                 std::int64_t channels, const TiffOptions& o) {
  return find_problem(dtype, height, width, channels, o).message;
}

struct TiffWriter::State {
  tiff_detail::Messages messages;
  TIFF* tif = nullptr;
  bool finished = false;

  DType dtype = DType::u8;
  std::int64_t height = 0, width = 0, channels = 1;
  bool tiled = false, planar = false, jpeg = false;
  std::int64_t chunk_rows = 1;

  std::vector<unsigned char> chunk;    // the current strip / tile row, HxWxC rows
  std::vector<unsigned char> scratch;  // one plane of a strip, or one tile
  std::int64_t rows_in_chunk = 0, next_row = 0, chunk_index = 0;

  ~State() {
    if (!tif) return;
    CaptureScope scope(messages);
    TIFFClose(tif);
    if (!finished) std::remove(messages.path.c_str());  // abandoned: no partial file
  }

  std::size_t sample_size() const { return dtype_size(dtype); }
  std::size_t row_bytes() const { return std::size_t(width * channels) * sample_size(); }

  [[noreturn]] void fail(const std::string& what) {
    {
      CaptureScope scope(messages);
      TIFFClose(tif);
    }
    tif = nullptr;
    std::remove(messages.path.c_str());
    messages.fail(what);
  }

  void open(const TiffOptions& o);
  void flush();

  // Replicates the last valid column and row of a partial tile (u8) into its padding: JPEG
  // blocks and chroma subsampling then straddle no black border, which would bleed into the
  // visible edge pixels.
  void pad_tile_edges(std::int64_t rows, std::int64_t cols, std::int64_t per_pixel) {
    const std::size_t row = std::size_t(kTileSize * per_pixel);
    for (std::int64_t r = 0; r < rows && cols < kTileSize; ++r) {
      unsigned char* line = scratch.data() + std::size_t(r) * row;
      for (std::int64_t x = cols; x < kTileSize; ++x)
        std::memcpy(line + x * per_pixel, line + (cols - 1) * per_pixel, std::size_t(per_pixel));
    }
    for (std::int64_t r = rows; r < kTileSize; ++r)
      std::memcpy(scratch.data() + std::size_t(r) * row,
                  scratch.data() + std::size_t(rows - 1) * row, row);
  }
};

void TiffWriter::State::open(const TiffOptions& o) {
  const std::uint16_t compression = compression_code(o.compression);
  const bool big = o.bigtiff == 1 ||
                   (o.bigtiff == -1 &&
                    needs_bigtiff(dtype, height, width, channels, compression, tiled));
  CaptureScope scope(messages);
  tif = tiff_detail::open(messages.path, big ? "w8" : "w", messages);
  if (!tif) messages.fail("cannot create TIFF");

  jpeg = compression == COMPRESSION_JPEG;
  const bool ycbcr = jpeg && channels == 3 && !planar;  // as tifffile and libvips write JPEG RGB
  std::uint16_t photometric = channels >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
  if (ycbcr) photometric = PHOTOMETRIC_YCBCR;
  const std::uint16_t format = is_floating(dtype)                          ? SAMPLEFORMAT_IEEEFP
                               : (dtype == DType::i16 || dtype == DType::i32) ? SAMPLEFORMAT_INT
                                                                              : SAMPLEFORMAT_UINT;
  bool ok = TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, std::uint32_t(width)) &&
            TIFFSetField(tif, TIFFTAG_IMAGELENGTH, std::uint32_t(height)) &&
            TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, std::uint16_t(channels)) &&
            TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, std::uint16_t(8 * sample_size())) &&
            TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, format) &&
            TIFFSetField(tif, TIFFTAG_PLANARCONFIG,
                         planar ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG) &&
            TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, photometric) &&
            TIFFSetField(tif, TIFFTAG_COMPRESSION, compression) &&
            TIFFSetField(tif, TIFFTAG_SOFTWARE, "convkit");
  if (ok && (channels == 2 || channels == 4)) {
    const std::uint16_t extra[] = {EXTRASAMPLE_UNASSALPHA};
    ok = TIFFSetField(tif, TIFFTAG_EXTRASAMPLES, std::uint16_t(1), extra);
  }
  const int predictor = effective_predictor(dtype, compression, o.predictor);
  if (ok && predictor != PREDICTOR_NONE)
    ok = TIFFSetField(tif, TIFFTAG_PREDICTOR, std::uint16_t(predictor));
  if (ok && jpeg) {
    ok = TIFFSetField(tif, TIFFTAG_JPEGQUALITY, o.quality == -1 ? 75 : o.quality);
    // We hand libtiff RGB; it converts to subsampled YCbCr itself.
    if (ok && ycbcr) ok = TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
  }
  if (ok && o.meta.has_resolution) {
    ok = TIFFSetField(tif, TIFFTAG_XRESOLUTION, o.meta.x_resolution) &&
         TIFFSetField(tif, TIFFTAG_YRESOLUTION, o.meta.y_resolution) &&
         TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, std::uint16_t(o.meta.unit));
  }
  if (tiled) {
    chunk_rows = kTileSize;
    ok = ok && TIFFSetField(tif, TIFFTAG_TILEWIDTH, std::uint32_t(kTileSize)) &&
         TIFFSetField(tif, TIFFTAG_TILELENGTH, std::uint32_t(kTileSize));
    scratch.resize(std::size_t(kTileSize * kTileSize * (planar ? 1 : channels)) * sample_size());
  } else {
    const std::int64_t plane_row = width * (planar ? 1 : channels) * std::int64_t(sample_size());
    chunk_rows = std::max<std::int64_t>(1, kStripBytes / plane_row);
    // JPEG strips hold whole MCU rows: 16 lines for 2x2-subsampled YCbCr, 8 otherwise.
    if (jpeg) {
      const std::int64_t mcu = ycbcr ? 16 : 8;
      chunk_rows = (chunk_rows + mcu - 1) / mcu * mcu;
    }
    chunk_rows = std::min(chunk_rows, height);
    ok = ok && TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, std::uint32_t(chunk_rows));
    if (planar) scratch.resize(std::size_t(chunk_rows * width) * sample_size());
  }
  if (!ok) fail("cannot write TIFF header");
  chunk.resize(std::size_t(std::min(chunk_rows, height)) * row_bytes());
}

// Encodes the buffered rows: one strip (per plane), or one row of tiles (per plane).
void TiffWriter::State::flush() {
  const std::int64_t rows = rows_in_chunk;
  const std::int64_t y = chunk_index * chunk_rows;
  const std::size_t size = sample_size();
  const int planes = planar ? int(channels) : 1;
  for (int p = 0; p < planes; ++p) {
    if (!tiled) {
      const std::uint32_t strip = TIFFComputeStrip(tif, std::uint32_t(y), std::uint16_t(p));
      unsigned char* data = chunk.data();
      tmsize_t bytes = tmsize_t(std::size_t(rows) * row_bytes());
      if (planar) {
        gather(chunk.data() + p * size, channels, rows * width, size, scratch.data());
        data = scratch.data();
        bytes = tmsize_t(std::size_t(rows * width) * size);
      }
      // libtiff may difference the buffer in place (predictors): both buffers are ours.
      if (TIFFWriteEncodedStrip(tif, strip, data, bytes) < 0)
        fail("cannot write TIFF strip " + std::to_string(strip));
      continue;
    }
    const std::int64_t per_pixel = planar ? 1 : channels;
    for (std::int64_t x = 0; x < width; x += kTileSize) {
      const std::int64_t cols = std::min(kTileSize, width - x);
      // Edge tiles are padded with zeros, as tifffile and libvips pad them.
      if (cols < kTileSize || rows < kTileSize) std::fill(scratch.begin(), scratch.end(), 0);
      for (std::int64_t r = 0; r < rows; ++r) {
        const unsigned char* from =
            chunk.data() + std::size_t(r) * row_bytes() + std::size_t(x * channels + p) * size;
        unsigned char* to = scratch.data() + std::size_t(r * kTileSize * per_pixel) * size;
        if (planar)
          gather(from, channels, cols, size, to);
        else
          std::memcpy(to, from, std::size_t(cols * channels) * size);
      }
      if (jpeg) pad_tile_edges(rows, cols, per_pixel);
      const std::uint32_t tile =
          TIFFComputeTile(tif, std::uint32_t(x), std::uint32_t(y), 0, std::uint16_t(p));
      if (TIFFWriteEncodedTile(tif, tile, scratch.data(), tmsize_t(scratch.size())) < 0)
        fail("cannot write TIFF tile " + std::to_string(tile));
    }
  }
  rows_in_chunk = 0;
  ++chunk_index;
}

TiffWriter::TiffWriter(const std::string& path, DType dtype, std::int64_t height,
                       std::int64_t width, std::int64_t channels, const TiffOptions& o)
    : s_(std::make_unique<State>()) {
  if (Problem problem = find_problem(dtype, height, width, channels, o);
      !problem.message.empty())
    throw Error(problem.parameter, in_quotes(path) + ": " + problem.message);
  State& s = *s_;
  s.messages.path = path;
  s.dtype = dtype;
  s.height = height;
  s.width = width;
  s.channels = channels;
  s.tiled = o.tiles;
  s.planar = o.planar && channels > 1;
  s.open(o);
}

TiffWriter::~TiffWriter() = default;

std::int64_t TiffWriter::chunk_rows() const { return s_->chunk_rows; }

void TiffWriter::write_rows(ConstTensorView band) {
  State& s = *s_;
  const std::int64_t rows = band.rank() >= 1 ? band.dim(0) : 0;
  // HxW, or HxWxC (HxWx1 for gray too).
  const bool shape_ok = band.dtype() == s.dtype && band.dim(1) == s.width &&
                        ((band.rank() == 2 && s.channels == 1) ||
                         (band.rank() == 3 && band.dim(2) == s.channels));
  if (!shape_ok || !s.tif || s.finished || s.next_row + rows > s.height) {
    throw Error("band", band.geometry().shape_string() + " " + dtype_name(band.dtype()) +
                            " does not fit the next rows of " + in_quotes(s.messages.path) +
                            " (" + std::to_string(s.next_row) + " of " +
                            std::to_string(s.height) + " written)");
  }
  CaptureScope scope(s.messages);
  const std::size_t size = s.sample_size();
  const auto* base = static_cast<const unsigned char*>(band.data());
  const std::int64_t c_stride = s.channels > 1 ? band.stride(2) : 1;
  const bool dense_rows = s.channels == 1 ? band.stride(1) == 1
                                          : band.stride(2) == 1 && band.stride(1) == s.channels;
  for (std::int64_t r = 0; r < rows; ++r) {
    const unsigned char* from = base + r * band.stride(0) * std::int64_t(size);
    unsigned char* to = s.chunk.data() + std::size_t(s.rows_in_chunk) * s.row_bytes();
    if (dense_rows)
      std::memcpy(to, from, s.row_bytes());
    else
      copy_row(from, s.width, band.stride(1), s.channels, c_stride, size, to);
    ++s.rows_in_chunk;
    ++s.next_row;
    if (s.rows_in_chunk == s.chunk_rows || s.next_row == s.height) s.flush();
  }
}

void TiffWriter::finish() {
  State& s = *s_;
  if (s.finished || !s.tif) return;
  if (s.next_row != s.height) {
    throw Error("band", in_quotes(s.messages.path) + ": only " + std::to_string(s.next_row) +
                            " of " + std::to_string(s.height) + " rows were written");
  }
  CaptureScope scope(s.messages);
  if (!TIFFWriteDirectory(s.tif) || !s.messages.errors.empty()) s.fail("cannot write TIFF");
  TIFFClose(s.tif);
  s.tif = nullptr;
  if (!s.messages.errors.empty()) {
    std::remove(s.messages.path.c_str());
    s.messages.fail("cannot write TIFF");
  }
  s.finished = true;
}

void write_tiff(const std::string& path, ConstTensorView t, const TiffOptions& o) {
  const std::int64_t channels = t.rank() == 3 ? t.dim(2) : t.rank() == 2 ? 1 : 0;
  if (t.rank() != 2 && t.rank() != 3)
    throw Error("output", in_quotes(path) + ": a TIFF holds HxW or HxWxC, not shape " +
                              t.geometry().shape_string());
  TiffWriter writer(path, t.dtype(), t.dim(0), t.dim(1), channels, o);
  writer.write_rows(t);
  writer.finish();
}

}  // namespace convkit::io
