// Band readers and writers (io/rows.h), for every format: rows read in random bands (1-row bands,
// bands that do not divide the height, empty bands, out of order where the reader allows it,
// into destinations with any strides) equal read_image's samples; files written in bands (from
// views with any strides) have write_image's bytes; what cannot stream gives nullptr and a
// reason; truncated or corrupt files fail as read_image does (IoError naming the file), never
// with a crash; misuse is a convkit::Error and an abandoned writer leaves no file.

#include <gtest/gtest.h>

// jpeglib.h uses FILE and size_t without including their headers.
#include <cstddef>
#include <cstdio>
// clang-format off
#include <jpeglib.h>
// clang-format on
#include <png.h>

#include <algorithm>
#include <complex>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "convkit/error.h"
#include "convkit/tensor.h"
#include "io/image.h"
#include "io/rows.h"

#include "temp_dir.h"

namespace convkit::io {
namespace {

namespace fs = std::filesystem;

// The scratch-folder fixture, with its helpers open to the free functions below.
class RowsTest : public test::TempDirTest {
 public:
  using TempDirTest::path;
  using TempDirTest::read_bytes;
  using TempDirTest::write_bytes;
};

const DType kAllDTypes[] = {DType::u8,  DType::u16, DType::i16, DType::i32,
                            DType::f32, DType::f64, DType::c64, DType::c128};

RowLayout layout_of(DType dtype, std::int64_t h, std::int64_t w, std::int64_t c) {
  return RowLayout{dtype, h, w, c};
}

// Random samples over the whole range of integer types; floats in [-1000, 1000).
Tensor random_image(const RowLayout& l, std::mt19937& rng) {
  const std::vector<std::int64_t> shape = l.shape();
  Tensor t(l.dtype, std::span<const std::int64_t>(shape));
  visit_dtype(l.dtype, [&](auto zero) {
    using T = decltype(zero);
    T* p = static_cast<T*>(t.data());
    std::uniform_real_distribution<double> real(-1000, 1000);
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_integral_v<T>)
        p[i] = static_cast<T>(rng());
      else if constexpr (std::is_floating_point_v<T>)
        p[i] = T(real(rng));
      else
        p[i] = T(real(rng), real(rng));
    }
  });
  return t;
}

std::string bytes_of(const Tensor& t) {
  return std::string(static_cast<const char*>(t.data()),
                     std::size_t(t.numel()) * dtype_size(t.dtype()));
}

void expect_same(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.dtype(), want.dtype());
  ASSERT_EQ(got.geometry().shape_string(), want.geometry().shape_string());
  EXPECT_TRUE(bytes_of(got) == bytes_of(want)) << "samples differ";
}

// Where bands go to or come from: mode 0 the rows of one contiguous tensor; 1 rows that are
// packed but further apart (a wider tensor); 2 columns reversed (no row is packed).
class Canvas {
 public:
  Canvas(const RowLayout& l, int mode) : layout_(l) {
    if (l.width == 0) mode = 0;
    const std::int64_t c = std::max<std::int64_t>(l.channels, 1), pad = mode == 1 ? 3 : 0;
    storage_ = Tensor::zeros(l.dtype, {l.height, l.width + pad, c});
    g_.rank = l.channels > 0 ? 3 : 2;
    g_.shape = {l.height, l.width, l.channels, 0};
    g_.strides = {(l.width + pad) * c, mode == 2 ? -c : c, 1, 0};
    offset_ = mode == 2 ? (l.width - 1) * c : 0;
  }
  TensorView band(std::int64_t y0, std::int64_t rows) {
    Geometry g = g_;
    g.shape[0] = rows;
    auto* base = static_cast<unsigned char*>(storage_.data());
    return TensorView(base + (offset_ + y0 * g_.strides[0]) * std::int64_t(dtype_size(dtype())),
                      dtype(), g);
  }
  TensorView all() { return band(0, layout_.height); }
  Tensor contents() {
    const std::vector<std::int64_t> shape = layout_.shape();
    Tensor out(dtype(), std::span<const std::int64_t>(shape));
    copy(all(), out.view());
    return out;
  }

 private:
  DType dtype() const { return layout_.dtype; }
  RowLayout layout_;
  Tensor storage_;
  Geometry g_;
  std::int64_t offset_ = 0;
};

// Bands covering [0, height): random heights (often 1, sometimes 0, rarely dividing the
// height), shuffled when `shuffle`.
std::vector<std::pair<std::int64_t, std::int64_t>> band_plan(std::int64_t height,
                                                             std::mt19937& rng, bool shuffle) {
  std::vector<std::pair<std::int64_t, std::int64_t>> plan;
  const std::int64_t most = std::max<std::int64_t>(1, height / 3);
  for (std::int64_t y = 0; y < height;) {
    const int pick = int(rng() % 8);
    std::int64_t n = pick < 2 ? 1 : pick == 2 ? 0 : 1 + std::int64_t(rng() % std::uint64_t(most));
    n = std::min(n, height - y);
    plan.emplace_back(y, n);
    y += n;
  }
  if (shuffle) std::shuffle(plan.begin(), plan.end(), rng);
  return plan;
}

Tensor read_in_bands(RowReader& r, int mode, bool shuffle, std::mt19937& rng) {
  Canvas canvas(r.layout(), mode);
  for (auto [y0, n] : band_plan(r.layout().height, rng, shuffle))
    r.read_rows(y0, canvas.band(y0, n));
  return canvas.contents();
}

// The band reader of `file` gives read_image's samples, shape and metadata in any bands.
void check_reader(const std::string& file, std::mt19937& rng, int rounds = 6) {
  SCOPED_TRACE(file);
  ImageMeta meta;
  const Tensor whole = read_image(file, "input", &meta);
  for (int round = 0; round < rounds; ++round) {
    std::string why = "stale";
    auto reader = open_row_reader(file, &why);
    ASSERT_TRUE(reader) << why;
    EXPECT_EQ(why, "");
    const RowLayout& l = reader->layout();
    EXPECT_EQ(l.dtype, whole.dtype());
    EXPECT_EQ(Geometry::contiguous(l.shape()).shape_string(), whole.geometry().shape_string());
    EXPECT_EQ(l.row_bytes() * l.height,
              std::int64_t(dtype_size(whole.dtype())) * whole.numel());
    EXPECT_GE(reader->chunk_rows(), 1);
    EXPECT_EQ(reader->meta().has_resolution, meta.has_resolution);
    EXPECT_EQ(reader->meta().x_resolution, meta.x_resolution);
    EXPECT_EQ(reader->meta().y_resolution, meta.y_resolution);
    EXPECT_EQ(reader->meta().resolution_unit, meta.resolution_unit);
    const bool shuffle = reader->random_access() && round % 2 == 1;
    expect_same(read_in_bands(*reader, round % 3, shuffle, rng), whole);
    if (reader->random_access() && l.height > 0) {
      // Overlapping bands anywhere, again and again.
      for (int i = 0; i < 8; ++i) {
        const auto y0 = std::int64_t(rng() % std::uint64_t(l.height));
        const auto n = 1 + std::int64_t(rng() % std::uint64_t(l.height - y0));
        const auto shape = l.band_shape(n);
        Tensor band(l.dtype, std::span<const std::int64_t>(shape));
        reader->read_rows(y0, band.view());
        const std::size_t row = std::size_t(l.row_bytes());
        EXPECT_TRUE(bytes_of(band) == bytes_of(whole).substr(std::size_t(y0) * row,
                                                             std::size_t(n) * row))
            << "rows [" << y0 << ", " << y0 + n << ")";
      }
    }
  }
}

// A file written in bands (from views of each Canvas mode) has the bytes of write_image's.
void check_writer(const RowsTest& test, const std::string& ext, const Tensor& image,
                  const WriteOptions& options, std::mt19937& rng) {
  const std::string a = test.path("whole" + ext), b = test.path("bands" + ext);
  SCOPED_TRACE(b + " " + image.geometry().shape_string() + " " + dtype_name(image.dtype()));
  write_image(a, image, options);
  const RowLayout l{image.dtype(), image.dim(0), image.dim(1),
                    image.rank() == 3 ? image.dim(2) : 0};
  for (int mode = 0; mode < 3; ++mode) {
    Canvas source(l, mode);
    copy(image.cview(), source.all());
    std::string why = "stale";
    auto writer = create_row_writer(b, l, options, &why);
    ASSERT_TRUE(writer) << why;
    EXPECT_EQ(why, "");
    for (auto [y0, n] : band_plan(l.height, rng, false)) writer->write_rows(source.band(y0, n));
    writer->finish();
    writer.reset();  // after finish(), destroying the writer keeps the file
    ASSERT_TRUE(fs::exists(b));
    EXPECT_TRUE(test.read_bytes("bands" + ext) == test.read_bytes("whole" + ext))
        << "mode " << mode << ": " << fs::file_size(b) << " vs " << fs::file_size(a) << " bytes";
  }
}

// --- files write_image never writes -----------------------------------------------------------

// A PNG made by libpng directly: palettes, 1/2/4-bit gray, tRNS, Adam7. `rows` holds packed
// rows as the file stores them.
void write_raw_png(const std::string& path, int width, int height, int depth, int color,
                   bool interlace, std::vector<std::string> rows, int palette = 0,
                   bool trns = false) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_TRUE(f);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_init_io(png, f);
  png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), depth, color,
               interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  std::vector<png_color> colors(std::size_t(std::max(palette, 1)));
  std::vector<png_byte> alpha(colors.size());
  for (std::size_t i = 0; i < colors.size(); ++i) {
    colors[i] = {png_byte(i * 37), png_byte(255 - i * 11), png_byte(i * 5 + 3)};
    alpha[i] = png_byte(i * 53 + 7);
  }
  if (palette) png_set_PLTE(png, info, colors.data(), palette);
  png_color_16 gray_key{};
  gray_key.gray = 1;
  if (trns && palette) png_set_tRNS(png, info, alpha.data(), palette, nullptr);
  if (trns && !palette) png_set_tRNS(png, info, nullptr, 0, &gray_key);
  png_write_info(png, info);
  if (interlace) png_set_interlace_handling(png);
  std::vector<png_bytep> pointers;
  for (auto& r : rows) pointers.push_back(reinterpret_cast<png_bytep>(r.data()));
  png_write_image(png, pointers.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(f);
}

std::vector<std::string> random_rows(int height, std::size_t row_bytes, std::mt19937& rng,
                                     int below = 256) {
  std::vector<std::string> rows(std::size_t(height), std::string(row_bytes, '\0'));
  for (auto& r : rows)
    for (auto& c : r) c = char(rng() % unsigned(below));
  return rows;
}

// A JPEG made by libjpeg directly: CMYK / YCCK, restart markers.
void write_raw_jpeg(const std::string& path, const Tensor& image, J_COLOR_SPACE in,
                    J_COLOR_SPACE file_space, int restart_rows) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_TRUE(f);
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr errors{};
  cinfo.err = jpeg_std_error(&errors);
  jpeg_create_compress(&cinfo);
  jpeg_stdio_dest(&cinfo, f);
  cinfo.image_width = JDIMENSION(image.dim(1));
  cinfo.image_height = JDIMENSION(image.dim(0));
  cinfo.input_components = image.rank() == 3 ? int(image.dim(2)) : 1;
  cinfo.in_color_space = in;
  jpeg_set_defaults(&cinfo);
  jpeg_set_colorspace(&cinfo, file_space);
  jpeg_set_quality(&cinfo, 90, TRUE);
  cinfo.restart_in_rows = restart_rows;
  jpeg_start_compress(&cinfo, TRUE);
  const std::size_t row_bytes = std::size_t(image.dim(1)) * cinfo.input_components;
  while (cinfo.next_scanline < cinfo.image_height) {
    auto row = const_cast<JSAMPROW>(static_cast<const JSAMPLE*>(image.data()) +
                                    cinfo.next_scanline * row_bytes);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::fclose(f);
}

// The .npy that write_image writes for `t`, turned big-endian (header and data).
std::string big_endian_npy(const RowsTest& test, const Tensor& t) {
  write_image(test.path("le.npy"), t);
  std::string bytes = test.read_bytes("le.npy");
  const std::size_t start = 10 + std::uint8_t(bytes[8]) + 256 * std::uint8_t(bytes[9]);
  bytes.replace(bytes.find("'<"), 2, "'>");
  const std::size_t item = dtype_size(t.dtype());
  const std::size_t scalar = is_complex(t.dtype()) ? item / 2 : item;
  for (std::size_t i = start; i + scalar <= bytes.size(); i += scalar)
    std::reverse(bytes.begin() + std::ptrdiff_t(i), bytes.begin() + std::ptrdiff_t(i + scalar));
  return bytes;
}

// --- reading ----------------------------------------------------------------------------------

TEST_F(RowsTest, NpyAndNetpbmReadersGiveReadImageSamples) {
  std::mt19937 rng(1);
  for (DType dt : kAllDTypes) {
    for (std::int64_t c : {0, 1, 3}) {
      write_image(path("a.npy"), random_image(layout_of(dt, 37, 23, c), rng));
      check_reader(path("a.npy"), rng);
    }
  }
  // Big-endian files are byte-swapped row by row.
  for (DType dt : {DType::u16, DType::i32, DType::f64, DType::c64}) {
    const Tensor t = random_image(layout_of(dt, 29, 17, 2), rng);
    write_bytes("be.npy", big_endian_npy(*this, t));
    expect_same(read_image(path("be.npy")), t);
    check_reader(path("be.npy"), rng);
  }
  // Empty images stream too.
  write_image(path("empty.npy"), Tensor(DType::f32, {0, 5}));
  check_reader(path("empty.npy"), rng, 1);
  for (DType dt : {DType::u8, DType::u16}) {
    write_image(path("g.pgm"), random_image(layout_of(dt, 41, 19, 0), rng));
    check_reader(path("g.pgm"), rng);
    write_image(path("c.ppm"), random_image(layout_of(dt, 41, 19, 3), rng));
    check_reader(path("c.ppm"), rng);
    write_image(path("c.pnm"), random_image(layout_of(dt, 12, 7, 3), rng));
    check_reader(path("c.pnm"), rng);
  }
  // A maxval below 255 keeps the stored values.
  write_bytes("m.pgm", std::string("P5 3 2 100\n") + std::string("\x01\x02\x03\x63\x00\x10", 6));
  check_reader(path("m.pgm"), rng);
}

TEST_F(RowsTest, NetpbmHeadersOfAnyLengthAreParsed) {
  std::mt19937 rng(2);
  const std::string data = bytes_of(random_image(layout_of(DType::u8, 3, 1000, 0), rng));
  // The header reader reads 4096 bytes first, then more: put every number across that edge.
  for (std::size_t end = 4085; end < 4101; ++end) {
    std::string header = "P5\n#";
    header.append(end - header.size() - 1, 'x');
    header += "\n1000 3\n255\n";
    write_bytes("long.pgm", header + data);
    check_reader(path("long.pgm"), rng, 1);
  }
  write_bytes("longer.pgm", "P5 1000\n#" + std::string(20000, 'c') + "\n3 255 " + data);
  check_reader(path("longer.pgm"), rng, 2);
}

TEST_F(RowsTest, PngReaderGivesReadImageSamples) {
  std::mt19937 rng(3);
  for (DType dt : {DType::u8, DType::u16})
    for (std::int64_t c : {0, 1, 2, 3, 4}) {
      write_image(path("a.png"), random_image(layout_of(dt, 45, 31, c), rng));
      check_reader(path("a.png"), rng);
    }
  // Palettes (with and without transparency), 1/2/4-bit gray, 16-bit RGBA from libpng itself.
  write_raw_png(path("p8.png"), 29, 40, 8, PNG_COLOR_TYPE_PALETTE, false,
                random_rows(40, 29, rng, 200), 200, true);
  write_raw_png(path("p4.png"), 29, 40, 4, PNG_COLOR_TYPE_PALETTE, false,
                random_rows(40, 15, rng), 16, false);
  write_raw_png(path("g1.png"), 29, 40, 1, PNG_COLOR_TYPE_GRAY, false, random_rows(40, 4, rng));
  write_raw_png(path("g2.png"), 29, 40, 2, PNG_COLOR_TYPE_GRAY, false, random_rows(40, 8, rng),
                0, true);
  write_raw_png(path("g4.png"), 29, 40, 4, PNG_COLOR_TYPE_GRAY, false, random_rows(40, 15, rng));
  write_raw_png(path("rgba16.png"), 29, 40, 16, PNG_COLOR_TYPE_RGB_ALPHA, false,
                random_rows(40, 29 * 8, rng));
  for (const char* name : {"p8.png", "p4.png", "g1.png", "g2.png", "g4.png", "rgba16.png"})
    check_reader(path(name), rng);
}

TEST_F(RowsTest, JpegReaderGivesReadImageSamples) {
  std::mt19937 rng(4);
  for (std::int64_t c : {0, 3}) {
    for (int quality : {40, 95}) {
      // 61x45: partial MCUs at both edges; noise: every block differs.
      write_image(path("a.jpg"), random_image(layout_of(DType::u8, 61, 45, c), rng),
                  {.quality = quality});
      check_reader(path("a.jpg"), rng);
    }
  }
  const Tensor rgb = random_image(layout_of(DType::u8, 50, 37, 3), rng);
  write_raw_jpeg(path("restart.jpg"), rgb, JCS_RGB, JCS_YCbCr, 1);
  check_reader(path("restart.jpg"), rng);
  // CMYK and YCCK come back as Pillow gives them (inverted CMYK), band by band too.
  const Tensor cmyk = random_image(layout_of(DType::u8, 35, 22, 4), rng);
  write_raw_jpeg(path("cmyk.jpg"), cmyk, JCS_CMYK, JCS_CMYK, 0);
  check_reader(path("cmyk.jpg"), rng);
  write_raw_jpeg(path("ycck.jpg"), cmyk, JCS_CMYK, JCS_YCCK, 2);
  check_reader(path("ycck.jpg"), rng);
}

TEST_F(RowsTest, TiffReaderGivesReadImageSamplesAndResolution) {
  std::mt19937 rng(5);
  struct Case {
    DType dtype;
    std::int64_t channels;
    WriteOptions options;
  };
  WriteOptions with_resolution{.compression = "lzw"};
  with_resolution.meta = {true, 300, 150, 3};
  const Case cases[] = {
      {DType::u8, 3, with_resolution},
      {DType::u16, 0, {.compression = "deflate", .tiles = true}},
      {DType::f32, 2, {.planar = true}},
      {DType::i16, 4, {.compression = "packbits"}},
      {DType::f64, 0, {.compression = "deflate", .predictor = 3}},
      {DType::i32, 3, {.compression = "lzw", .tiles = true, .planar = true}},
      {DType::u8, 3, {.quality = 80, .compression = "jpeg"}},
      {DType::u8, 1, {.bigtiff = 1}},
  };
  for (const Case& k : cases) {
    // 300 rows: several strips, and tiles of 256 with a partial row of tiles.
    write_image(path("a.tif"), random_image(layout_of(k.dtype, 300, 70, k.channels), rng),
                k.options);
    check_reader(path("a.tif"), rng, 4);
  }
  auto reader = open_row_reader(path("a.tif"), nullptr);
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->random_access());
  write_image(path("r.tif"), random_image(layout_of(DType::u8, 8, 8, 0), rng), with_resolution);
  reader = open_row_reader(path("r.tif"), nullptr);
  ASSERT_TRUE(reader);
  EXPECT_TRUE(reader->meta().has_resolution);
  EXPECT_EQ(reader->meta().x_resolution, 300);
  EXPECT_EQ(reader->meta().y_resolution, 150);
  EXPECT_EQ(reader->meta().resolution_unit, 3);
}

// --- writing ----------------------------------------------------------------------------------

TEST_F(RowsTest, NpyAndNetpbmWritersWriteWriteImageBytes) {
  std::mt19937 rng(6);
  for (DType dt : kAllDTypes)
    for (std::int64_t c : {0, 1, 3})
      check_writer(*this, ".npy", random_image(layout_of(dt, 33, 21, c), rng), {}, rng);
  check_writer(*this, ".npy", Tensor(DType::u16, {0, 4, 2}), {}, rng);
  for (DType dt : {DType::u8, DType::u16}) {
    check_writer(*this, ".pgm", random_image(layout_of(dt, 33, 21, 0), rng), {}, rng);
    check_writer(*this, ".pgm", random_image(layout_of(dt, 33, 21, 1), rng), {}, rng);
    check_writer(*this, ".ppm", random_image(layout_of(dt, 33, 21, 3), rng), {}, rng);
    check_writer(*this, ".pnm", random_image(layout_of(dt, 9, 5, 3), rng), {}, rng);
  }
}

TEST_F(RowsTest, PngWriterWritesWriteImageBytes) {
  std::mt19937 rng(7);
  for (DType dt : {DType::u8, DType::u16})
    for (std::int64_t c : {0, 1, 2, 3, 4})
      for (int level : {-1, 0, 1, 6, 9})
        check_writer(*this, ".png", random_image(layout_of(dt, 40, 27, c), rng),
                     {.png_compression = level}, rng);
}

TEST_F(RowsTest, JpegWriterWritesWriteImageBytes) {
  std::mt19937 rng(8);
  for (std::int64_t c : {0, 1, 3})
    for (int quality : {-1, 0, 30, 100})
      check_writer(*this, ".jpg", random_image(layout_of(DType::u8, 53, 38, c), rng),
                   {.quality = quality}, rng);
}

TEST_F(RowsTest, TiffWriterWritesWriteImageBytes) {
  std::mt19937 rng(9);
  WriteOptions with_resolution{.compression = "deflate"};
  with_resolution.meta = {true, 72, 96, 2};
  const WriteOptions options[] = {
      {},
      with_resolution,
      {.compression = "lzw", .predictor = 1},
      {.compression = "packbits", .tiles = true},
      {.compression = "deflate", .tiles = true, .planar = true},
      {.planar = true, .bigtiff = 1},
  };
  for (DType dt : {DType::u8, DType::u16, DType::i16, DType::i32, DType::f32, DType::f64})
    for (std::int64_t c : {0, 3})
      for (const WriteOptions& o : options)
        check_writer(*this, ".tif", random_image(layout_of(dt, 270, 33, c), rng), o, rng);
  check_writer(*this, ".tif", random_image(layout_of(DType::i16, 270, 33, 2), rng),
               {.compression = "lzw", .predictor = 2}, rng);
  check_writer(*this, ".tif", random_image(layout_of(DType::f32, 270, 33, 2), rng),
               {.compression = "deflate", .predictor = 3}, rng);
  check_writer(*this, ".tiff", random_image(layout_of(DType::u8, 270, 33, 3), rng),
               {.quality = 60, .compression = "jpeg"}, rng);
}

// --- what cannot stream -----------------------------------------------------------------------

TEST_F(RowsTest, WhatCannotStreamGivesNullptrAndTheReason) {
  std::mt19937 rng(10);
  auto reason = [&](const std::string& name) {
    std::string why;
    EXPECT_EQ(open_row_reader(path(name), &why), nullptr) << name;
    EXPECT_EQ(open_row_reader(path(name), nullptr), nullptr) << name;  // no reason wanted
    read_image(path(name));                                            // whole: fine
    return why;
  };
  write_raw_png(path("adam7.png"), 21, 17, 8, PNG_COLOR_TYPE_RGB, true,
                random_rows(17, 21 * 3, rng));
  EXPECT_EQ(reason("adam7.png"), "an interlaced PNG cannot be read in bands");

  const Tensor rgb = random_image(layout_of(DType::u8, 20, 30, 3), rng);
  write_image(path("p.jpg"), rgb, {.progressive = true});
  EXPECT_EQ(reason("p.jpg"), "a progressive JPEG cannot be read in bands");

  write_image(path("a.webp"), rgb);
  EXPECT_EQ(reason("a.webp"), "a WebP file cannot be read in bands");

  write_image(path("c.npy"), random_image(layout_of(DType::f32, 4, 5, 0), rng));
  std::string bytes = read_bytes("c.npy");
  bytes.replace(bytes.find("False"), 5, "True ");
  write_bytes("f.npy", bytes);
  EXPECT_EQ(reason("f.npy"), "a Fortran-order .npy file cannot be read in bands");
  write_image(path("r1.npy"), Tensor(DType::u8, {7}));
  EXPECT_NE(reason("r1.npy").find("rank 1"), std::string::npos);
  write_image(path("r4.npy"), Tensor(DType::u8, {2, 3, 4, 5}));
  EXPECT_NE(reason("r4.npy").find("rank 4"), std::string::npos);

  write_bytes("a.pgm", "P2\n2 2\n255\n1 2\n3 4\n");
  EXPECT_EQ(reason("a.pgm"), "an ASCII PGM/PPM file (P2/P3) cannot be read in bands");
  write_bytes("a.ppm", "P3 1 1 255 1 2 3\n");
  EXPECT_EQ(reason("a.ppm"), "an ASCII PGM/PPM file (P2/P3) cannot be read in bands");

  // Writers: no file is created.
  const RowLayout l{DType::u8, 20, 30, 3};
  std::string why;
  EXPECT_EQ(create_row_writer(path("out.webp"), l, {}, &why), nullptr);
  EXPECT_EQ(why, "a WebP file cannot be written in bands");
  EXPECT_EQ(create_row_writer(path("out.jpg"), l, {.progressive = true}, &why), nullptr);
  EXPECT_EQ(why, "a progressive JPEG cannot be written in bands");
  EXPECT_EQ(create_row_writer(path("out.jpg"), l, {.progressive = true}, nullptr), nullptr);
  EXPECT_FALSE(fs::exists(path("out.webp")));
  EXPECT_FALSE(fs::exists(path("out.jpg")));
}

// --- broken files -----------------------------------------------------------------------------

// What reading `file` gave: samples, or the kind of exception (and its message).
struct Outcome {
  enum Kind { image, io_error, error, other } kind = other;
  std::string what;
  Tensor samples;
};

Outcome outcome_of(const std::function<Tensor()>& read) {
  Outcome o;
  try {
    o.samples = read();
    o.kind = Outcome::image;
  } catch (const IoError& e) {
    o = {Outcome::io_error, e.what(), {}};
  } catch (const Error& e) {
    o = {Outcome::error, e.what(), {}};
  } catch (const std::exception& e) {
    o = {Outcome::other, e.what(), {}};
  }
  return o;
}

Outcome read_streamed(const std::string& file, std::mt19937& rng) {
  return outcome_of([&] {
    std::string why;
    auto reader = open_row_reader(file, &why);
    if (!reader) throw std::runtime_error("nullptr: " + why);
    return read_in_bands(*reader, int(rng() % 3), reader->random_access(), rng);
  });
}

// Cut and damaged copies of `good` (named `name`) fail in bands exactly as read_image fails
// (IoError naming the file when cut after `header` bytes and before the last `tail`), or give
// its samples.
void check_broken(RowsTest& test, const std::string& name, const std::string& good,
                  std::size_t header, std::size_t tail, std::mt19937& rng) {
  const std::string file = test.path(name);
  auto compare = [&](const std::string& bytes, const std::string& what) {
    test.write_bytes(name, bytes);
    const Outcome whole = outcome_of([&] { return read_image(file); });
    Outcome bands = read_streamed(file, rng);
    EXPECT_EQ(bands.kind, whole.kind) << what << ": " << bands.what << " | " << whole.what;
    if (bands.kind == Outcome::image && whole.kind == Outcome::image)
      expect_same(bands.samples, whole.samples);
    return bands;
  };
  const std::size_t step = std::max<std::size_t>(1, good.size() / 200);
  for (std::size_t n = 0; n < good.size(); n += (n < header + 64 ? 1 : step)) {
    const Outcome o = compare(good.substr(0, n), name + " cut at " + std::to_string(n));
    if (n >= header && n + tail < good.size()) {
      EXPECT_EQ(o.kind, Outcome::io_error) << name << " cut at " << n << ": " << o.what;
      EXPECT_NE(o.what.find("'" + file + "'"), std::string::npos) << o.what;
      EXPECT_EQ(o.what.find('\n'), std::string::npos) << o.what;
    }
  }
  for (std::size_t i = header; i < good.size(); i += step * 3 + 1) {
    std::string bad = good;
    bad[i] = char(bad[i] ^ 0x5a);
    compare(bad, name + " byte " + std::to_string(i) + " changed");
  }
}

TEST_F(RowsTest, TruncatedAndCorruptFilesFailAsReadImageDoes) {
  std::mt19937 rng(11);
  struct Case {
    const char* name;
    RowLayout layout;
    WriteOptions options;
    std::size_t header;  // a cut after this many bytes is an IoError...
    std::size_t tail;    // ...unless it only loses this many at the end
  };
  const Case cases[] = {
      {"a.npy", {DType::u16, 14, 9, 3}, {}, 0, 0},
      {"b.npy", {DType::c64, 6, 5, 0}, {}, 0, 0},
      {"a.pgm", {DType::u16, 14, 9, 0}, {}, 2, 0},
      {"a.ppm", {DType::u8, 14, 9, 3}, {}, 2, 0},
      {"a.png", {DType::u8, 14, 9, 3}, {}, 0, 0},
      {"b.png", {DType::u16, 14, 9, 0}, {.png_compression = 9}, 0, 0},
      {"a.jpg", {DType::u8, 30, 21, 3}, {}, 0, 0},
      {"b.jpg", {DType::u8, 30, 21, 0}, {}, 0, 0},
      // read_tiff still reads a TIFF that lost the last few bytes of its directory, which our
      // writer puts at the end (8 to 12 bytes here): so do the bands.
      {"a.tif", {DType::u8, 60, 9, 3}, {.compression = "lzw"}, 8, 16},
      {"b.tif", {DType::f32, 30, 20, 0}, {.compression = "deflate", .tiles = true}, 8, 16},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    write_image(path(k.name), random_image(k.layout, rng), k.options);
    check_broken(*this, k.name, read_bytes(k.name), k.header, k.tail, rng);
  }
  // A big-endian .npy and a JPEG with restart markers too.
  write_bytes("be.npy", big_endian_npy(*this, random_image(layout_of(DType::f64, 7, 6, 2), rng)));
  check_broken(*this, "be.npy", read_bytes("be.npy"), 0, 0, rng);
  write_raw_jpeg(path("r.jpg"), random_image(layout_of(DType::u8, 30, 21, 3), rng), JCS_RGB,
                 JCS_YCbCr, 1);
  check_broken(*this, "r.jpg", read_bytes("r.jpg"), 0, 0, rng);
}

// --- misuse -----------------------------------------------------------------------------------

template <class E>
std::string thrown(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    if constexpr (std::is_same_v<E, Error>) return e.parameter() + "|" + e.what();
    return e.what();
  }
  ADD_FAILURE() << "nothing thrown";
  return {};
}

TEST_F(RowsTest, MisuseIsAnErrorAndAbandonedWritesLeaveNoFile) {
  std::mt19937 rng(12);
  const RowLayout rgb{DType::u8, 10, 6, 3};
  const Tensor image = random_image(rgb, rng);
  Tensor band(DType::u8, {2, 6, 3});

  // Top-to-bottom readers refuse skips and going back; all refuse bands that do not fit.
  for (const char* name : {"s.png", "s.jpg", "s.tif", "s.npy", "s.ppm"}) {
    SCOPED_TRACE(name);
    write_image(path(name), image);
    auto r = open_row_reader(path(name), nullptr);
    ASSERT_TRUE(r);
    if (!r->random_access()) {
      EXPECT_EQ(thrown<Error>([&] { r->read_rows(2, band.view()); }).substr(0, 3), "y0|");
      r->read_rows(0, band.view());
      EXPECT_EQ(thrown<Error>([&] { r->read_rows(0, band.view()); }).substr(0, 3), "y0|");
    }
    EXPECT_EQ(thrown<Error>([&] { r->read_rows(9, band.view()); }).substr(0, 4), "dst|");
    EXPECT_EQ(thrown<Error>([&] { r->read_rows(-1, band.view()); }).substr(0, 4), "dst|");
    Tensor wrong_type(DType::u16, {2, 6, 3}), wrong_shape(DType::u8, {2, 6});
    EXPECT_EQ(thrown<Error>([&] { r->read_rows(2, wrong_type.view()); }).substr(0, 4), "dst|");
    EXPECT_EQ(thrown<Error>([&] { r->read_rows(2, wrong_shape.view()); }).substr(0, 4), "dst|");
  }

  // Writers refuse bands that do not fit; finish() before the last row is an Error; a writer
  // dropped before finish() removes its file.
  for (const char* name : {"w.png", "w.jpg", "w.tif", "w.npy", "w.ppm"}) {
    SCOPED_TRACE(name);
    auto w = create_row_writer(path(name), rgb, {}, nullptr);
    ASSERT_TRUE(w);
    EXPECT_TRUE(fs::exists(path(name)));
    Tensor wrong_type(DType::u16, {2, 6, 3}), wrong_width(DType::u8, {2, 5, 3});
    EXPECT_EQ(thrown<Error>([&] { w->write_rows(wrong_type.cview()); }).substr(0, 5), "band|");
    EXPECT_EQ(thrown<Error>([&] { w->write_rows(wrong_width.cview()); }).substr(0, 5), "band|");
    w->write_rows(band.cview());
    EXPECT_FALSE(thrown<Error>([&] { w->finish(); }).empty());
    for (int i = 0; i < 4; ++i) w->write_rows(band.cview());
    EXPECT_EQ(thrown<Error>([&] { w->write_rows(band.cview()); }).substr(0, 5), "band|");
    w.reset();
    EXPECT_FALSE(fs::exists(path(name)));
  }

  // Formats that cannot hold the layout, bad options and unknown extensions: no file.
  const RowLayout f32{DType::f32, 4, 4, 0};
  EXPECT_NE(thrown<Error>([&] { create_row_writer(path("f.png"), f32, {}, nullptr); })
                .find("output|"),
            std::string::npos);
  const RowLayout gray{DType::u8, 4, 4, 0};
  EXPECT_NE(thrown<Error>([&] { create_row_writer(path("f.ppm"), gray, {}, nullptr); })
                .find("output|"),
            std::string::npos);
  EXPECT_EQ(thrown<Error>([&] {
              create_row_writer(path("l.png"), rgb, {.png_compression = 10}, nullptr);
            }).substr(0, 16),
            "png_compression|");
  EXPECT_EQ(thrown<Error>([&] { create_row_writer(path("q.jpg"), rgb, {.quality = 101}, nullptr); })
                .substr(0, 8),
            "quality|");
  EXPECT_EQ(thrown<Error>([&] { create_row_writer(path("x.bmp"), rgb, {}, nullptr); })
                .substr(0, 7),
            "output|");
  EXPECT_EQ(thrown<Error>([&] { open_row_reader(path("x.bmp"), nullptr, "source"); })
                .substr(0, 7),
            "source|");
  for (const char* name : {"f.png", "f.ppm", "l.png", "q.jpg", "x.bmp"})
    EXPECT_FALSE(fs::exists(path(name))) << name;

  // A disk that is full (a link to /dev/full): IoError, at the latest from finish(), which
  // then keeps failing; the file (here the link) is removed, as write_image removes it. (A
  // TIFF fails in TIFFOpen already, which TiffWriter takes for "not created": it stays.)
  if (fs::exists("/dev/full")) {
    const RowLayout big{DType::u8, 300, 200, 3};
    const Tensor noise = random_image(big, rng);
    for (const std::string name : {"full.png", "full.jpg", "full.tif", "full.npy", "full.ppm"}) {
      SCOPED_TRACE(name);
      const bool removed = !name.ends_with(".tif");
      fs::create_symlink("/dev/full", path(name));
      EXPECT_THROW(write_image(path(name), noise), IoError);
      EXPECT_EQ(fs::is_symlink(path(name)), !removed);
      fs::remove(path(name));
      fs::create_symlink("/dev/full", path(name));
      if (!removed) {
        EXPECT_THROW(create_row_writer(path(name), big, {}, nullptr), IoError);
        continue;
      }
      auto w = create_row_writer(path(name), big, {}, nullptr);
      ASSERT_TRUE(w);
      const std::string message = thrown<IoError>([&] {
        for (std::int64_t y = 0; y < 300; y += 50) {
          Geometry g = noise.geometry();
          g.shape[0] = 50;
          w->write_rows(ConstTensorView(noise.data_as<std::uint8_t>() + y * 600, DType::u8, g));
        }
        w->finish();
      });
      EXPECT_NE(message.find(path(name)), std::string::npos) << message;
      EXPECT_THROW(w->finish(), IoError);
      EXPECT_FALSE(fs::is_symlink(path(name)));
    }
  }

  // Missing files and folders: IoError naming the file.
  for (const char* name : {"m.png", "m.jpg", "m.tif", "m.npy", "m.pgm"}) {
    const std::string missing = path(name);
    EXPECT_NE(thrown<IoError>([&] { open_row_reader(missing, nullptr); }).find(missing),
              std::string::npos);
    const std::string nowhere = path(std::string("no/such/") + name);
    EXPECT_NE(thrown<IoError>([&] { create_row_writer(nowhere, gray, {}, nullptr); })
                  .find(nowhere),
              std::string::npos);
  }
}

}  // namespace
}  // namespace convkit::io
