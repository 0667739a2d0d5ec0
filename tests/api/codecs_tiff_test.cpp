// TIFF codec: round trips over every dtype x channels x compression x strips/tiles x planar,
// band reading and writing, hand-made files for what our writer never produces (1/4-bit,
// palettes, int8, float16, big-endian, unsupported types), and broken files: one clean
// exception, nothing on stderr, never a crash. tifffile comparisons: tests/python.

#include <gtest/gtest.h>
#include <tiffio.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "convkit/error.h"
#include "convkit/tensor.h"
#include "io/tiff.h"

#include "temp_dir.h"

namespace convkit::io {
namespace {

namespace fs = std::filesystem;

using TiffTest = test::TempDirTest;

std::vector<std::int64_t> image_shape(std::int64_t h, std::int64_t w, std::int64_t c) {
  return c == 1 ? std::vector<std::int64_t>{h, w} : std::vector<std::int64_t>{h, w, c};
}

// Full-range values for every dtype (noise: the hardest case for the predictors), or a smooth
// u8 picture that JPEG keeps within a few levels.
Tensor make_image(DType dt, std::int64_t h, std::int64_t w, std::int64_t c, bool smooth,
                  std::uint32_t seed = 1) {
  const auto shape = image_shape(h, w, c);
  Tensor t(dt, std::span<const std::int64_t>(shape));
  std::uint32_t state = seed;
  visit_dtype(dt, [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_arithmetic_v<T>) {
      T* p = static_cast<T*>(t.data());
      for (std::int64_t i = 0; i < t.numel(); ++i) {
        state = state * 1664525u + 1013904223u;
        if (smooth) {
          const std::int64_t y = i / (w * c), x = (i / c) % w, k = i % c;
          p[i] = T(128 + 100 * std::sin(double(x) / 20 + double(k)) * std::cos(double(y) / 30));
        } else if constexpr (std::is_floating_point_v<T>) {
          p[i] = T((double(state) / 4294967296.0 - 0.5) * 1e3);
        } else {
          p[i] = static_cast<T>(state >> (32 - 8 * sizeof(T)));  // wraps into signed range
        }
      }
    }
  });
  return t;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  double worst = 0;
  visit_dtype(a.dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_arithmetic_v<T>) {
      for (std::int64_t i = 0; i < a.numel(); ++i)
        worst = std::max(worst, std::abs(double(static_cast<const T*>(a.data())[i]) -
                                         double(static_cast<const T*>(b.data())[i])));
    }
  });
  return worst;
}

void expect_same(const Tensor& a, const Tensor& b) {
  ASSERT_EQ(a.dtype(), b.dtype());
  ASSERT_EQ(a.geometry().shape_string(), b.geometry().shape_string());
  EXPECT_EQ(0, std::memcmp(a.data(), b.data(), std::size_t(a.numel()) * dtype_size(a.dtype())));
}

struct Tags {
  int compression = 0, predictor = 0, planar = 0, photometric = 0;
  bool tiled = false, big = false;
};

Tags tags_of(const std::string& path) {
  Tags t;
  TIFF* tif = TIFFOpen(path.c_str(), "r");
  if (!tif) return t;
  std::uint16_t v = 0;
  TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &v), t.compression = v;
  // libtiff knows the Predictor tag only for codecs that use it.
  t.predictor = PREDICTOR_NONE;
  if (t.compression == COMPRESSION_LZW || t.compression == COMPRESSION_ADOBE_DEFLATE)
    TIFFGetFieldDefaulted(tif, TIFFTAG_PREDICTOR, &v), t.predictor = v;
  TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &v), t.planar = v;
  TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &v), t.photometric = v;
  t.tiled = TIFFIsTiled(tif);
  t.big = TIFFIsBigTIFF(tif);
  TIFFClose(tif);
  return t;
}

const DType kDTypes[] = {DType::u8, DType::u16, DType::i16, DType::i32, DType::f32, DType::f64};
const char* const kCompressions[] = {"none", "lzw", "deflate", "packbits", "jpeg"};

TEST_F(TiffTest, RoundTripsEveryDtypeChannelsCompressionLayout) {
  int written = 0, refused = 0;
  for (DType dt : kDTypes) {
    for (std::int64_t c = 1; c <= 4; ++c) {
      for (const char* compression : kCompressions) {
        for (bool tiles : {false, true}) {
          for (bool planar : {false, true}) {
            SCOPED_TRACE(std::string(dtype_name(dt)) + " C=" + std::to_string(c) + " " +
                         compression + (tiles ? " tiles" : " strips") +
                         (planar ? " planar" : ""));
            TiffOptions o{.compression = compression, .tiles = tiles, .planar = planar};
            const bool jpeg = o.compression == "jpeg";
            // 290x270: partial tiles at both edges.
            Tensor image = make_image(dt, 290, 270, c, jpeg);
            if (!tiff_storage_problem(dt, 290, 270, c, o).empty()) {
              EXPECT_THROW(write_tiff(path("refused.tif"), image, o), Error);
              EXPECT_FALSE(fs::exists(path("refused.tif")));
              ++refused;
              continue;
            }
            write_tiff(path("r.tif"), image, o);
            ++written;
            TiffMeta meta;
            Tensor back = read_tiff(path("r.tif"), &meta);
            EXPECT_FALSE(meta.has_resolution);
            if (jpeg) {
              ASSERT_EQ(back.geometry().shape_string(), image.geometry().shape_string());
              EXPECT_LE(max_abs_diff(back, image), 16);
            } else {
              expect_same(back, image);
            }
            const Tags tags = tags_of(path("r.tif"));
            EXPECT_EQ(tags.tiled, tiles);
            EXPECT_EQ(tags.planar, planar && c > 1 ? PLANARCONFIG_SEPARATE : PLANARCONFIG_CONTIG);
            const bool predicts = o.compression == "lzw" || o.compression == "deflate";
            EXPECT_EQ(tags.predictor, !predicts            ? PREDICTOR_NONE
                                      : is_floating(dt) ? PREDICTOR_FLOATINGPOINT
                                                        : PREDICTOR_HORIZONTAL);
          }
        }
      }
    }
  }
  EXPECT_EQ(written + refused, 6 * 4 * 5 * 2 * 2);
  EXPECT_EQ(refused, 5 * 4 * 2 * 2 + 2 * 2 + 2);  // JPEG: non-u8; C=2,4 interleaved; planar RGB
}

TEST_F(TiffTest, ManyStripsAndTileRowsInBandsOfAnyHeight) {
  for (const char* compression : {"none", "lzw", "deflate", "packbits"}) {
    for (bool tiles : {false, true}) {
      for (bool planar : {false, true}) {
        SCOPED_TRACE(std::string(compression) + (tiles ? " tiles" : "") +
                     (planar ? " planar" : ""));
        TiffOptions o{.compression = compression, .tiles = tiles, .planar = planar};
        Tensor image = make_image(DType::u16, 700, 611, 3, false, 7);
        {
          // Bands of 37 rows from a row-reversed view: neither strips nor tiles line up.
          TiffWriter w(path("b.tif"), DType::u16, 700, 611, 3, o);
          EXPECT_LT(w.chunk_rows(), 700);
          for (std::int64_t y = 0; y < 700; y += 37) {
            const std::int64_t n = std::min<std::int64_t>(37, 700 - y);
            Geometry g = image.geometry();
            g.shape[0] = n;
            w.write_rows(ConstTensorView(image.data_as<std::uint16_t>() + y * 611 * 3,
                                         DType::u16, g));
          }
          w.finish();
        }
        TiffReader r(path("b.tif"));
        EXPECT_LT(r.chunk_rows(), 700);
        Tensor back(DType::u16, {700, 611, 3});
        for (std::int64_t band : {1, 13, 256, 700}) {
          std::memset(back.data(), 0, std::size_t(back.numel()) * 2);
          for (std::int64_t y = 0; y < 700; y += band) {
            const std::int64_t n = std::min(band, 700 - y);
            Geometry g = back.geometry();
            g.shape[0] = n;
            r.read_rows(y, TensorView(back.data_as<std::uint16_t>() + y * 611 * 3, DType::u16, g));
          }
          expect_same(back, image);
        }
        // Random access, backwards, into a strided (column-reversed) destination.
        Tensor rows(DType::u16, {5, 611, 3});
        const std::int64_t shape[] = {5, 611, 3}, strides[] = {611 * 3, -3, 1};
        r.read_rows(400, TensorView(rows.data_as<std::uint16_t>() + 610 * 3, DType::u16, shape,
                                    strides));
        r.read_rows(3, TensorView(back.data_as<std::uint16_t>(), DType::u16, {2, 611, 3}));
        for (std::int64_t x = 0; x < 611; ++x)
          EXPECT_EQ(rows.data_as<std::uint16_t>()[(2 * 611 + 610 - x) * 3 + 1],
                    image.data_as<std::uint16_t>()[(402 * 611 + x) * 3 + 1]);
        EXPECT_EQ(0, std::memcmp(back.data(), image.data_as<std::uint16_t>() + 3 * 611 * 3,
                                 2 * 611 * 3 * 2));
      }
    }
  }
}

TEST_F(TiffTest, WritesStridedViewsPredictorsResolutionAndBigTiff) {
  Tensor image = make_image(DType::f32, 40, 50, 4, false);
  // Transposed and channel-reversed: strides (4, 200, -1).
  const std::int64_t shape[] = {50, 40, 4}, strides[] = {4, 200, -1};
  ConstTensorView view(image.data_as<float>() + 3, DType::f32, shape, strides);
  TiffOptions o{.compression = "deflate", .predictor = 1, .bigtiff = 1};
  o.meta = {true, 72.5, 300, RESUNIT_CENTIMETER};
  write_tiff(path("s.tif"), view, o);
  TiffMeta meta;
  Tensor back = read_tiff(path("s.tif"), &meta);
  ASSERT_EQ(back.geometry().shape_string(), "(50, 40, 4)");
  for (std::int64_t y = 0; y < 50; ++y)
    for (std::int64_t x = 0; x < 40; ++x)
      for (std::int64_t k = 0; k < 4; ++k)
        ASSERT_EQ(back.data_as<float>()[(y * 40 + x) * 4 + k],
                  image.data_as<float>()[(x * 50 + y) * 4 + 3 - k]);
  EXPECT_TRUE(meta.has_resolution);
  EXPECT_NEAR(meta.x_resolution, 72.5, 1e-4);
  EXPECT_NEAR(meta.y_resolution, 300, 1e-4);
  EXPECT_EQ(meta.unit, RESUNIT_CENTIMETER);
  const Tags tags = tags_of(path("s.tif"));
  EXPECT_TRUE(tags.big);
  EXPECT_EQ(tags.predictor, PREDICTOR_NONE);
  EXPECT_EQ(read_bytes("s.tif").substr(0, 4), std::string("II+\0", 4));  // BigTIFF header

  // Small images stay classic TIFF under bigtiff = -1 (auto).
  write_tiff(path("c.tif"), image, {.compression = "lzw", .predictor = 3});
  EXPECT_FALSE(tags_of(path("c.tif")).big);
  expect_same(read_tiff(path("c.tif")), image);
  // HxWx1 is gray, as for PNG.
  Tensor gray = make_image(DType::u16, 30, 31, 1, false);
  write_tiff(path("g.tif"), ConstTensorView(gray.data(), DType::u16, {30, 31, 1}));
  expect_same(read_tiff(path("g.tif")), gray);
  Tensor ints = make_image(DType::i32, 30, 31, 2, false);
  write_tiff(path("i.tif"), ints, {.compression = "lzw", .predictor = 2});
  expect_same(read_tiff(path("i.tif")), ints);
}

TEST_F(TiffTest, RefusesBadOptionsAndShapesBeforeCreatingAFile) {
  const auto refuses = [&](ConstTensorView t, const TiffOptions& o, const std::string& param) {
    try {
      write_tiff(path("x.tif"), t, o);
      ADD_FAILURE() << "accepted, expected a refusal naming " << param;
    } catch (const Error& e) {
      EXPECT_EQ(e.parameter(), param) << e.what();
    }
    EXPECT_FALSE(fs::exists(path("x.tif")));
  };
  Tensor u8 = make_image(DType::u8, 8, 8, 3, false), f32 = make_image(DType::f32, 8, 8, 1, false);
  Tensor five = make_image(DType::u8, 8, 8, 5, false);
  Tensor c64(DType::c64, {4, 4});
  refuses(c64, {}, "output");
  refuses(five, {}, "output");
  refuses(u8, {.compression = "webp2"}, "compression");
  refuses(f32, {.compression = "jpeg"}, "compression");
  refuses(u8, {.compression = "jpeg", .quality = 0}, "quality");
  refuses(u8, {.compression = "jpeg", .planar = true}, "planar");
  refuses(u8, {.compression = "none", .predictor = 2}, "predictor");
  refuses(f32, {.compression = "lzw", .predictor = 2}, "predictor");
  refuses(u8, {.compression = "deflate", .predictor = 3}, "predictor");
  refuses(u8, {.predictor = 7}, "predictor");
  refuses(u8, {.bigtiff = 2}, "bigtiff");
  refuses(u8, {.meta = {true, 72, 72, 7}}, "resolution");
  Tensor empty(DType::u8, {0, 5});
  refuses(empty, {}, "output");
  EXPECT_THROW(write_tiff(path("no/such/dir/x.tif"), u8), IoError);
}

TEST_F(TiffTest, AbandonedOrShortWritesLeaveNoFile) {
  {
    TiffWriter w(path("a.tif"), DType::u8, 10, 10, 1);
    w.write_rows(make_image(DType::u8, 4, 10, 1, false));
    EXPECT_THROW(w.finish(), Error);  // 4 of 10 rows
  }
  EXPECT_FALSE(fs::exists(path("a.tif")));
  TiffWriter w(path("b.tif"), DType::u8, 2, 10, 1);
  EXPECT_THROW(w.write_rows(make_image(DType::u8, 3, 10, 1, false)), Error);  // too many rows
  EXPECT_THROW(w.write_rows(make_image(DType::u16, 2, 10, 1, false)), Error);
}

// A classic TIFF with one strip, built byte by byte, for layouts our writer never produces.
class TiffBuilder {
 public:
  explicit TiffBuilder(bool big_endian = false) : big_(big_endian) {}
  TiffBuilder& tag(std::uint16_t tag, std::vector<std::uint32_t> values, int type = 3) {
    tags_[tag] = {type, std::move(values)};
    return *this;
  }
  std::string build(const std::string& strip, std::uint32_t strip_bytes_claimed = 0) {
    tag(273, {0}, 4);
    tag(279, {strip_bytes_claimed ? strip_bytes_claimed : std::uint32_t(strip.size())}, 4);
    std::string out = big_ ? std::string("MM\0*", 4) : std::string("II*\0", 4);
    put(out, 8, 4);
    const std::uint32_t ifd_end = 8 + 2 + 12 * std::uint32_t(tags_.size()) + 4;
    std::string extra;
    std::string entries;
    for (auto& [tag, entry] : tags_) {
      const std::uint32_t size = entry.first == 3 ? 2 : 4;
      std::string blob;
      for (std::uint32_t v : entry.second) put(blob, v, size);
      put(entries, tag, 2);
      put(entries, std::uint32_t(entry.first), 2);
      put(entries, std::uint32_t(entry.second.size()), 4);
      if (blob.size() <= 4) {
        entries += blob + std::string(4 - blob.size(), '\0');
      } else {
        put(entries, ifd_end + std::uint32_t(extra.size()), 4);
        extra += blob;
      }
    }
    // StripOffsets was written as 0: patch it now that the data's place is known.
    const std::uint32_t data_at = ifd_end + std::uint32_t(extra.size());
    std::size_t i = 0;
    for (auto& [tag, entry] : tags_) {
      if (tag == 273) {
        std::string v;
        put(v, data_at, 4);
        entries.replace(12 * i + 8, 4, v);
      }
      ++i;
    }
    put(out, std::uint32_t(tags_.size()), 2);
    out += entries;
    put(out, 0, 4);
    return out + extra + strip;
  }

 private:
  void put(std::string& s, std::uint32_t v, std::uint32_t size) const {
    for (std::uint32_t b = 0; b < size; ++b)
      s.push_back(char(big_ ? v >> (8 * (size - 1 - b)) : v >> (8 * b)));
  }
  bool big_;
  std::map<std::uint16_t, std::pair<int, std::vector<std::uint32_t>>> tags_;
};

// Width, height, bits, samples, SampleFormat, Photometric.
TiffBuilder basic(std::uint32_t w, std::uint32_t h, std::uint32_t bits, std::uint32_t spp = 1,
                  std::uint32_t format = 1, std::uint32_t photometric = 1, bool big = false) {
  TiffBuilder b(big);
  b.tag(256, {w}, 4).tag(257, {h}, 4).tag(258, std::vector<std::uint32_t>(spp, bits));
  b.tag(259, {1}).tag(262, {photometric}).tag(277, {spp}).tag(278, {h}, 4);
  b.tag(339, std::vector<std::uint32_t>(spp, format));
  return b;
}

TEST_F(TiffTest, ReadsRawValuesOfPackedPaletteAndWidenedTypes) {
  // 1-bit MinIsWhite, 10 wide: rows of 2 bytes, raw values (not inverted) 0/1 as u8.
  write_bytes("bw.tif", basic(10, 2, 1, 1, 1, 0).build(std::string("\xA5\xC0\x0F\x40", 4)));
  Tensor bw = read_tiff(path("bw.tif"));
  ASSERT_EQ(bw.dtype(), DType::u8);
  const std::uint8_t want_bw[] = {1, 0, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1};
  EXPECT_EQ(0, std::memcmp(bw.data(), want_bw, 20));
  // 4-bit palette: indices, not colors.
  std::vector<std::uint32_t> colormap(48, 0);
  write_bytes("p.tif", basic(3, 1, 4, 1, 1, 3).tag(320, colormap).build("\x1F\xA0"));
  Tensor pal = read_tiff(path("p.tif"));
  const std::uint8_t want_pal[] = {1, 15, 10};
  EXPECT_EQ(0, std::memcmp(pal.data(), want_pal, 3));
  // 3-bit samples straddle bytes: 0..7 packed MSB first into 3 bytes.
  write_bytes("3.tif", basic(8, 1, 3).build(std::string("\x05\x39\x77", 3)));
  Tensor three = read_tiff(path("3.tif"));
  for (int i = 0; i < 8; ++i) EXPECT_EQ(three.data_as<std::uint8_t>()[i], i);
  // int8 -> i16 and float16 -> f32, exactly.
  write_bytes("i8.tif", basic(3, 1, 8, 1, 2).build("\x80\xFF\x7F"));
  Tensor i8 = read_tiff(path("i8.tif"));
  ASSERT_EQ(i8.dtype(), DType::i16);
  EXPECT_EQ(i8.data_as<std::int16_t>()[0], -128);
  EXPECT_EQ(i8.data_as<std::int16_t>()[1], -1);
  EXPECT_EQ(i8.data_as<std::int16_t>()[2], 127);
  write_bytes("h.tif", basic(5, 1, 16, 1, 3).build(std::string("\x00\x3C\x00\xC0\x00\x7C\x01\x00"
                                                               "\xFF\x7B", 10)));
  Tensor h = read_tiff(path("h.tif"));
  ASSERT_EQ(h.dtype(), DType::f32);
  const float want_h[] = {1.0f, -2.0f, INFINITY, 0x1p-24f, 65504.0f};
  EXPECT_EQ(0, std::memcmp(h.data(), want_h, sizeof want_h));
  // Big-endian 16-bit RGB.
  write_bytes("be.tif",
              basic(1, 1, 16, 3, 1, 2, true).build(std::string("\x12\x34\0\1\xAB\xCD", 6)));
  Tensor be = read_tiff(path("be.tif"));
  ASSERT_EQ(be.geometry().shape_string(), "(1, 1, 3)");
  EXPECT_EQ(be.data_as<std::uint16_t>()[0], 0x1234);
  EXPECT_EQ(be.data_as<std::uint16_t>()[2], 0xABCD);
}

// The message of the exception `f` throws ("" when none), checking that nothing reached
// stderr on the way.
template <class F>
std::string error_of(F f, std::string* kind = nullptr) {
  ::testing::internal::CaptureStderr();
  std::string message;
  try {
    f();
  } catch (const Error& e) {
    message = e.what();
    if (kind) *kind = "Error";
  } catch (const IoError& e) {
    message = e.what();
    if (kind) *kind = "IoError";
  }
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  return message;
}

TEST_F(TiffTest, RefusesUnsupportedSampleTypesNamingInput) {
  const std::map<std::string, std::string> files = {
      {"u32.tif", basic(1, 1, 32).build(std::string(4, '\0'))},
      {"12.tif", basic(2, 1, 12).build(std::string(3, '\0'))},
      {"complex.tif", basic(1, 1, 64, 1, 6).build(std::string(8, '\0'))},
      {"f24.tif", basic(1, 1, 24, 1, 3).build(std::string(3, '\0'))},
      {"ycbcr.tif", basic(2, 2, 8, 3, 1, 6).tag(530, {2, 2}).build(std::string(6, '\0'))},
      {"huge.tif", basic(300000, 300000, 8).build("x")},  // 90 GB
      {"png.tif", "\x89PNG\r\n\x1a\n0000000000"},
  };
  for (const auto& [name, bytes] : files) {
    write_bytes(name, bytes);
    std::string kind;
    const std::string message = error_of([&] { read_tiff(path(name)); }, &kind);
    EXPECT_EQ(kind, "Error") << name << ": " << message;
    EXPECT_EQ(message.rfind("input: '" + path(name) + "'", 0), 0u) << message;
  }
}

TEST_F(TiffTest, BrokenFilesGiveOneIoErrorLine) {
  // A header claiming 100000x100000 over 10 bytes of uncompressed data: refused before the
  // 10 GB are allocated.
  write_bytes("claim.tif", basic(100000, 100000, 8).build(std::string(10, '\0')));
  EXPECT_NE(error_of([&] { read_tiff(path("claim.tif")); }).find("cannot hold"),
            std::string::npos);
  // The strip lies past the end of the file.
  write_bytes("past.tif", basic(64, 64, 8).build(std::string(100, '\0'), 4096));
  EXPECT_NE(error_of([&] { read_tiff(path("past.tif")); }).find("'" + path("past.tif") + "'"),
            std::string::npos);
  write_bytes("empty.tif", "");
  EXPECT_NE(error_of([&] { read_tiff(path("empty.tif")); }).find("truncated"), std::string::npos);
  EXPECT_NE(error_of([&] { read_tiff(path("missing.tif")); }).find("missing.tif"),
            std::string::npos);

  // Every compression and layout, truncated at many lengths and with garbage over its data:
  // an exception or (rarely, for damage the format cannot notice) an image, never a crash.
  int failures = 0;
  for (const char* compression : kCompressions) {
    for (bool tiles : {false, true}) {
      TiffOptions o{.compression = compression, .tiles = tiles};
      write_tiff(path("good.tif"), make_image(DType::u8, 300, 280, 3, true), o);
      const std::string good = read_bytes("good.tif");
      // (bytes, must fail): libtiff puts the directory after the data, so every cut but the
      // last byte (the unused half of the next-directory offset) loses something it needs.
      std::vector<std::pair<std::string, bool>> broken;
      for (std::size_t cut : {std::size_t(7), std::size_t(16), good.size() / 3,
                              good.size() / 2, good.size() - 40})
        broken.emplace_back(good.substr(0, cut), true);
      broken.emplace_back(good.substr(0, good.size() - 1), false);
      // Garbage over the middle of the file, pixel data: codecs notice most of it.
      std::string garbage = good;
      for (std::size_t i = good.size() / 4; i < good.size() / 2; ++i) garbage[i] = char(i * 7);
      broken.emplace_back(garbage, false);
      for (const auto& [bytes, must_fail] : broken) {
        write_bytes("bad.tif", bytes);
        std::string kind;
        const std::string message = error_of([&] { read_tiff(path("bad.tif")); }, &kind);
        if (message.empty()) {
          EXPECT_FALSE(must_fail) << compression << " " << bytes.size() << " of " << good.size();
          continue;
        }
        failures += must_fail;
        EXPECT_EQ(kind, "IoError") << message;
        EXPECT_EQ(message.rfind("'" + path("bad.tif") + "': ", 0), 0u) << message;
      }
    }
  }
  EXPECT_EQ(failures, 5 * 2 * 5);
}

TEST_F(TiffTest, ConcurrentFailuresKeepTheirOwnMessages) {
  for (int i = 0; i < 4; ++i)
    write_bytes("t" + std::to_string(i) + ".tif",
                basic(64, 64, 8).build(std::string(100, '\0'), 4096));
  std::vector<std::string> messages(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      for (int k = 0; k < 25; ++k) {
        try {
          read_tiff(path("t" + std::to_string(i) + ".tif"));
        } catch (const IoError& e) {
          messages[i] = e.what();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(messages[i].rfind("'" + path("t" + std::to_string(i) + ".tif") + "'", 0), 0u)
        << messages[i];
    for (int j = 0; j < 4; ++j)
      if (j != i) {
        EXPECT_EQ(messages[i].find("t" + std::to_string(j) + ".tif"), std::string::npos);
      }
  }
}

}  // namespace
}  // namespace convkit::io
