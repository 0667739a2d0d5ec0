// JPEG and WebP codecs (io/jpeg.h, io/webp.h): round trips, the layout of what we write, views
// with any strides, and broken files made here (truncated, corrupt, mislabelled) that must give
// one IoError/Error naming the file, never a crash. Pixel equality with Pillow is checked in
// tests/python/test_codecs_jpeg_webp.py.

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>
#include <type_traits>
#include <string>
#include <vector>

#include "convkit/error.h"
#include "convkit/tensor.h"
#include "io/jpeg.h"
#include "io/webp.h"

#include "temp_dir.h"

namespace convkit::io {
namespace {

namespace fs = std::filesystem;

using CodecTest = test::TempDirTest;

// A smooth, photo-like u8 image (lossy codecs keep it close), HxW when c == 0.
Tensor smooth_image(std::int64_t h, std::int64_t w, std::int64_t c) {
  Tensor t = c == 0 ? Tensor(DType::u8, {h, w}) : Tensor(DType::u8, {h, w, c});
  auto* p = t.data_as<std::uint8_t>();
  const std::int64_t cc = c == 0 ? 1 : c;
  for (std::int64_t y = 0; y < h; ++y)
    for (std::int64_t x = 0; x < w; ++x)
      for (std::int64_t k = 0; k < cc; ++k)
        p[(y * w + x) * cc + k] = std::uint8_t(
            127.5 + 60 * std::sin(0.11 * x + 0.7 * k) + 60 * std::cos(0.07 * y - 0.4 * k));
  return t;
}

// Every sample from (i*37 + 11) mod 256: a noisy image for the lossless codecs.
Tensor noise_image(std::int64_t h, std::int64_t w, std::int64_t c) {
  Tensor t(DType::u8, {h, w, c});
  auto* p = t.data_as<std::uint8_t>();
  for (std::int64_t i = 0; i < t.numel(); ++i) p[i] = std::uint8_t((i * 37 + 11) % 256);
  return t;
}

std::vector<std::int64_t> shape_of(const Tensor& t) {
  return {t.geometry().shape.begin(), t.geometry().shape.begin() + t.rank()};
}

double mean_abs_diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.numel(), b.numel());
  double sum = 0;
  for (std::int64_t i = 0; i < a.numel(); ++i)
    sum += std::abs(int(a.data_as<std::uint8_t>()[i]) - int(b.data_as<std::uint8_t>()[i]));
  return sum / double(a.numel());
}

bool same_samples(const Tensor& a, const Tensor& b) {
  return shape_of(a) == shape_of(b) &&
         std::memcmp(a.data(), b.data(), std::size_t(a.numel())) == 0;
}

// `f` must throw E whose message names `file` (quoted) and contains `part`, on one line.
template <class E>
void expect_throw(const std::function<void()>& f, const std::string& file, const std::string& part,
                  const std::string& parameter = "") {
  try {
    f();
    ADD_FAILURE() << "no exception (expected: " << part << ")";
  } catch (const E& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'" + file + "'"), std::string::npos) << what;
    EXPECT_NE(what.find(part), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    if constexpr (std::is_same_v<E, Error>) {
      if (!parameter.empty()) {
        EXPECT_EQ(e.parameter(), parameter) << what;
      }
    }
  }
}

// Reading a broken file may fail only with IoError or Error: anything else (or a crash) fails.
void expect_clean_failure_or_image(const std::string& file) {
  try {
    if (file.ends_with(".webp"))
      read_webp(file);
    else
      read_jpeg(file);
  } catch (const IoError&) {
  } catch (const Error&) {
  }
}

// --- JPEG -----------------------------------------------------------------------------------

TEST_F(CodecTest, JpegRgbRoundTripIsClose) {
  const Tensor rgb = smooth_image(48, 67, 3);
  write_jpeg(path("a.jpg"), rgb);
  const Tensor back = read_jpeg(path("a.jpg"));
  ASSERT_EQ(back.dtype(), DType::u8);
  ASSERT_EQ(shape_of(back), shape_of(rgb));
  EXPECT_LT(mean_abs_diff(back, rgb), 2.0);
}

TEST_F(CodecTest, JpegGrayIsHxWOrHxWx1AndReadsAsHxW) {
  const Tensor gray = smooth_image(33, 20, 0);
  Tensor gray1(DType::u8, {33, 20, 1});
  std::memcpy(gray1.data(), gray.data(), std::size_t(gray.numel()));
  write_jpeg(path("g.jpg"), gray, {90});
  write_jpeg(path("g1.jpg"), gray1, {90});
  EXPECT_EQ(read_bytes("g.jpg"), read_bytes("g1.jpg"));
  const Tensor back = read_jpeg(path("g.jpg"));
  ASSERT_EQ(shape_of(back), shape_of(gray));
  EXPECT_LT(mean_abs_diff(back, gray), 1.5);
}

// SOF0/SOF2 segment of a JPEG we wrote: {marker, components, sampling bytes...}.
std::vector<int> frame_header(const std::string& jpeg) {
  for (std::size_t i = 2; i + 4 < jpeg.size();) {
    const auto marker = std::uint8_t(jpeg[i + 1]);
    const std::size_t length = std::uint8_t(jpeg[i + 2]) * 256 + std::uint8_t(jpeg[i + 3]);
    if (marker == 0xC0 || marker == 0xC2) {
      std::vector<int> out{marker, std::uint8_t(jpeg[i + 9])};
      for (int k = 0; k < out[1]; ++k) out.push_back(std::uint8_t(jpeg[i + 11 + 3 * k]));
      return out;
    }
    i += 2 + length;
  }
  return {};
}

TEST_F(CodecTest, JpegIsBaseline420LikePillowOrProgressiveWithTheSameCoefficients) {
  const Tensor rgb = smooth_image(40, 56, 3);
  write_jpeg(path("b.jpg"), rgb, {95, false});
  write_jpeg(path("p.jpg"), rgb, {95, true});
  EXPECT_EQ(frame_header(read_bytes("b.jpg")), (std::vector<int>{0xC0, 3, 0x22, 0x11, 0x11}));
  EXPECT_EQ(frame_header(read_bytes("p.jpg")), (std::vector<int>{0xC2, 3, 0x22, 0x11, 0x11}));
  // Progressive scans re-code the same quantized coefficients: the decoded pixels are equal.
  EXPECT_TRUE(same_samples(read_jpeg(path("b.jpg")), read_jpeg(path("p.jpg"))));
  write_jpeg(path("q10.jpg"), rgb, {10});
  EXPECT_LT(fs::file_size(path("q10.jpg")), fs::file_size(path("b.jpg")));
}

TEST_F(CodecTest, JpegWritesStridedViewsLikeContiguousCopies) {
  const Tensor rgb = smooth_image(30, 40, 3);
  // Rows reversed, every other column, channels reversed (BGR): strides (-120, 6, -1).
  const std::int64_t shape[] = {30, 20, 3}, strides[] = {-120, 6, -1};
  const ConstTensorView view(rgb.data_as<std::uint8_t>() + 29 * 120 + 2, DType::u8, shape,
                             strides);
  Tensor copy_of_view(DType::u8, shape);
  copy(view, copy_of_view);
  write_jpeg(path("view.jpg"), view);
  write_jpeg(path("copy.jpg"), copy_of_view);
  EXPECT_EQ(read_bytes("view.jpg"), read_bytes("copy.jpg"));
  // A gray column view (stride W).
  const std::int64_t col_shape[] = {30, 1}, col_strides[] = {120, 1};
  Tensor col(DType::u8, col_shape);
  copy(ConstTensorView(rgb.data(), DType::u8, col_shape, col_strides), col);
  write_jpeg(path("colview.jpg"), ConstTensorView(rgb.data(), DType::u8, col_shape, col_strides));
  write_jpeg(path("col.jpg"), col);
  EXPECT_EQ(read_bytes("colview.jpg"), read_bytes("col.jpg"));
}

TEST_F(CodecTest, JpegWriterRefusesWhatAJpegCannotHold) {
  const std::string p = path("x.jpg");
  expect_throw<Error>([&] { write_jpeg(p, Tensor(DType::u16, {4, 4})); }, p, "u16", "output");
  expect_throw<Error>([&] { write_jpeg(p, Tensor(DType::u8, {4, 4, 4})); }, p, "(4, 4, 4)",
                      "output");
  expect_throw<Error>([&] { write_jpeg(p, Tensor(DType::u8, {4, 4, 2})); }, p, "HxWx3", "output");
  expect_throw<Error>([&] { write_jpeg(p, Tensor(DType::u8, {16})); }, p, "(16,)", "output");
  expect_throw<Error>([&] { write_jpeg(p, Tensor(DType::u8, {0, 5})); }, p, "empty", "output");
  // 65501 columns without the memory: every element aliases one byte (stride 0).
  std::uint8_t one = 7;
  const std::int64_t wide[] = {1, 65501}, zero[] = {0, 0};
  expect_throw<Error>([&] { write_jpeg(p, ConstTensorView(&one, DType::u8, wide, zero)); }, p,
                      "too large", "output");
  for (int q : {-1, 101}) {
    try {
      write_jpeg(p, Tensor(DType::u8, {4, 4}), {q});
      ADD_FAILURE() << "quality " << q << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.parameter(), "quality");
    }
  }
  EXPECT_FALSE(fs::exists(p));
  const std::string nowhere = path("no/such/dir/x.jpg");
  expect_throw<IoError>([&] { write_jpeg(nowhere, smooth_image(8, 8, 3)); }, nowhere,
                        "cannot create");
}

TEST_F(CodecTest, JpegReaderRefusesMissingEmptyAndForeignFiles) {
  expect_throw<IoError>([&] { read_jpeg(path("missing.jpg")); }, path("missing.jpg"),
                        "cannot open");
  write_bytes("empty.jpg", "");
  expect_throw<IoError>([&] { read_jpeg(path("empty.jpg")); }, path("empty.jpg"), "empty");
  write_bytes("ff.jpg", "\xff");
  expect_throw<IoError>([&] { read_jpeg(path("ff.jpg")); }, path("ff.jpg"), "truncated");
  write_bytes("text.jpg", "hello, this is text");
  expect_throw<Error>([&] { read_jpeg(path("text.jpg")); }, path("text.jpg"), "not a JPEG",
                      "input");
  write_bytes("png.jpg", std::string("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16));
  expect_throw<Error>([&] { read_jpeg(path("png.jpg"), "path"); }, path("png.jpg"), "not a JPEG",
                      "path");
}

TEST_F(CodecTest, JpegReaderRefusesTruncatedAndCorruptFiles) {
  for (bool progressive : {false, true}) {
    SCOPED_TRACE(progressive ? "progressive" : "baseline");
    write_jpeg(path("a.jpg"), smooth_image(40, 50, 3), {80, progressive});
    const std::string good = read_bytes("a.jpg");
    const Tensor clean = read_jpeg(path("a.jpg"));
    // Cut anywhere, even just before the final EOI marker: Pillow says "image file is
    // truncated" for all of these, and so do we.
    for (std::size_t n = 2; n < good.size(); n += (n < 700 ? 1 : 37)) {
      write_bytes("cut.jpg", good.substr(0, n));
      try {
        read_jpeg(path("cut.jpg"));
        ADD_FAILURE() << "accepted a file cut at " << n << " of " << good.size() << " bytes";
      } catch (const IoError& e) {
        EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
      }
    }
    write_bytes("cut.jpg", good.substr(0, good.size() - 2));
    expect_throw<IoError>([&] { read_jpeg(path("cut.jpg")); }, path("cut.jpg"), "truncated");
    // The coded data ends early (EOI in the middle): libjpeg would fill gray; we refuse.
    write_bytes("short.jpg", good.substr(0, good.size() * 2 / 3) + "\xff\xd9");
    expect_throw<IoError>([&] { read_jpeg(path("short.jpg")); }, path("short.jpg"), "JPEG file");
    // Overwritten bytes: an error or an image, never a crash.
    for (std::size_t i = 2; i < good.size(); i += 7) {
      std::string bad = good;
      bad[i] = char(bad[i] ^ 0x5a);
      write_bytes("bad.jpg", bad);
      expect_clean_failure_or_image(path("bad.jpg"));
    }
    // Junk between two markers only draws a libjpeg warning: the pixels are unchanged.
    const std::size_t app0_end = 4 + std::uint8_t(good[4]) * 256 + std::uint8_t(good[5]);
    write_bytes("junk.jpg", good.substr(0, app0_end) + "junk" + good.substr(app0_end));
    EXPECT_TRUE(same_samples(read_jpeg(path("junk.jpg")), clean));
  }
}

// Rewrites the SOF0 segment of `jpeg`: byte `offset` after the marker gets `value`.
std::string patch_sof(std::string jpeg, std::size_t offset, const std::string& value) {
  const std::size_t sof = jpeg.find("\xff\xc0");
  jpeg.replace(sof + offset, value.size(), value);
  return jpeg;
}

TEST_F(CodecTest, JpegReaderRefusesWhatItDoesNotDecode) {
  write_jpeg(path("a.jpg"), smooth_image(16, 16, 0));
  const std::string good = read_bytes("a.jpg");
  // SOF0 layout: FF C0, length (2), precision (1), height (2), width (2), components (1), ...
  write_bytes("p12.jpg", patch_sof(good, 4, "\x0c"));
  expect_throw<Error>([&] { read_jpeg(path("p12.jpg")); }, path("p12.jpg"), "12-bit", "input");
  write_bytes("sof3.jpg", patch_sof(good, 1, "\xc3"));  // lossless JPEG
  expect_throw<Error>([&] { read_jpeg(path("sof3.jpg")); }, path("sof3.jpg"), "lossless");
  write_bytes("huge.jpg", patch_sof(good, 5, "\xff\xff\xff\xff"));  // 65535 x 65535
  expect_throw<Error>([&] { read_jpeg(path("huge.jpg")); }, path("huge.jpg"), "unsupported");
  // Declares 8000 x 8000 but holds 16 x 16 of data: fails cleanly after allocating.
  write_bytes("big.jpg", patch_sof(good, 5, std::string("\x1f\x40\x1f\x40", 4)));
  expect_throw<IoError>([&] { read_jpeg(path("big.jpg")); }, path("big.jpg"), "JPEG file");
}

// --- WebP -----------------------------------------------------------------------------------

TEST_F(CodecTest, WebpLosslessRoundTripsExactly) {
  const Tensor rgb = noise_image(21, 34, 3);
  write_webp(path("rgb.webp"), rgb, {90, true});
  EXPECT_TRUE(same_samples(read_webp(path("rgb.webp")), rgb));
  // RGBA with fully transparent pixels: their RGB comes back too (exact mode).
  Tensor rgba = noise_image(21, 34, 4);
  for (std::int64_t i = 3; i < rgba.numel(); i += 4)
    rgba.data_as<std::uint8_t>()[i] = std::uint8_t(i % 3 == 0 ? 0 : (i * 5) % 256);
  for (float effort : {0.f, 100.f}) {
    write_webp(path("rgba.webp"), rgba, {effort, true});
    EXPECT_TRUE(same_samples(read_webp(path("rgba.webp")), rgba)) << effort;
  }
  // Gray is stored as RGB: three equal channels.
  const Tensor gray = smooth_image(9, 13, 0);
  write_webp(path("gray.webp"), gray, {90, true});
  const Tensor back = read_webp(path("gray.webp"));
  ASSERT_EQ(shape_of(back), (std::vector<std::int64_t>{9, 13, 3}));
  for (std::int64_t i = 0; i < back.numel(); ++i)
    ASSERT_EQ(back.data_as<std::uint8_t>()[i], gray.data_as<std::uint8_t>()[i / 3]) << i;
  // Gray+alpha is stored as RGBA.
  const Tensor ga = noise_image(7, 5, 2);
  write_webp(path("ga.webp"), ga, {90, true});
  const Tensor rgba_back = read_webp(path("ga.webp"));
  ASSERT_EQ(shape_of(rgba_back), (std::vector<std::int64_t>{7, 5, 4}));
  for (std::int64_t i = 0; i < rgba_back.numel(); ++i) {
    const std::int64_t source = i / 4 * 2 + (i % 4 == 3 ? 1 : 0);
    ASSERT_EQ(rgba_back.data_as<std::uint8_t>()[i], ga.data_as<std::uint8_t>()[source]) << i;
  }
}

TEST_F(CodecTest, WebpOpaqueRgbaReadsAsRgb) {
  Tensor rgba = smooth_image(10, 12, 4);
  for (std::int64_t i = 3; i < rgba.numel(); i += 4) rgba.data_as<std::uint8_t>()[i] = 255;
  write_webp(path("o.webp"), rgba, {90, true});
  const Tensor back = read_webp(path("o.webp"));
  ASSERT_EQ(shape_of(back), (std::vector<std::int64_t>{10, 12, 3}));
  for (std::int64_t i = 0; i < back.numel(); ++i)
    ASSERT_EQ(back.data_as<std::uint8_t>()[i], rgba.data_as<std::uint8_t>()[i / 3 * 4 + i % 3]);
}

TEST_F(CodecTest, WebpLossyIsCloseAndQualityMatters) {
  const Tensor rgb = smooth_image(64, 80, 3);
  write_webp(path("q90.webp"), rgb);
  write_webp(path("q10.webp"), rgb, {10});
  const Tensor back = read_webp(path("q90.webp"));
  ASSERT_EQ(shape_of(back), shape_of(rgb));
  EXPECT_LT(mean_abs_diff(back, rgb), 3.0);
  EXPECT_LT(fs::file_size(path("q10.webp")), fs::file_size(path("q90.webp")));
  EXPECT_EQ(read_bytes("q90.webp").substr(12, 4), "VP8 ");  // lossy bitstream
  const Tensor rgba = smooth_image(64, 80, 4);
  write_webp(path("a.webp"), rgba, {90});
  EXPECT_EQ(shape_of(read_webp(path("a.webp"))), shape_of(rgba));
}

TEST_F(CodecTest, WebpWritesStridedViews) {
  const Tensor rgba = noise_image(12, 20, 4);
  // Columns reversed, rows 1, 3, 5, ..., alpha dropped: strides (160, -4, 1).
  const std::int64_t shape[] = {6, 20, 3}, strides[] = {160, -4, 1};
  const ConstTensorView view(rgba.data_as<std::uint8_t>() + 80 + 19 * 4, DType::u8, shape,
                             strides);
  Tensor expected(DType::u8, shape);
  copy(view, expected);
  write_webp(path("v.webp"), view, {50, true});
  EXPECT_TRUE(same_samples(read_webp(path("v.webp")), expected));
}

TEST_F(CodecTest, WebpWriterRefusesWhatAWebpCannotHold) {
  const std::string p = path("x.webp");
  expect_throw<Error>([&] { write_webp(p, Tensor(DType::f32, {4, 4, 3})); }, p, "f32", "output");
  expect_throw<Error>([&] { write_webp(p, Tensor(DType::u8, {4, 4, 5})); }, p, "(4, 4, 5)",
                      "output");
  expect_throw<Error>([&] { write_webp(p, Tensor(DType::u8, {4, 0, 3})); }, p, "empty", "output");
  std::uint8_t one = 7;
  const std::int64_t tall[] = {16384, 1, 3}, zero[] = {0, 0, 0};
  expect_throw<Error>([&] { write_webp(p, ConstTensorView(&one, DType::u8, tall, zero)); }, p,
                      "too large", "output");
  for (float q : {-1.f, 100.5f, std::numeric_limits<float>::quiet_NaN()}) {
    try {
      write_webp(p, Tensor(DType::u8, {4, 4, 3}), {q});
      ADD_FAILURE() << "quality " << q << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.parameter(), "quality");
    }
  }
  EXPECT_FALSE(fs::exists(p));
  const std::string nowhere = path("no/such/dir/x.webp");
  expect_throw<IoError>([&] { write_webp(nowhere, smooth_image(8, 8, 3)); }, nowhere,
                        "cannot create");
}

TEST_F(CodecTest, WebpReaderRefusesBrokenAndForeignFiles) {
  expect_throw<IoError>([&] { read_webp(path("missing.webp")); }, path("missing.webp"),
                        "cannot open");
  write_bytes("empty.webp", "");
  expect_throw<IoError>([&] { read_webp(path("empty.webp")); }, path("empty.webp"), "empty");
  write_bytes("wav.webp", std::string("RIFF\x24\0\0\0WAVEfmt ", 16));
  expect_throw<Error>([&] { read_webp(path("wav.webp")); }, path("wav.webp"), "not a WebP",
                      "input");
  write_bytes("jpg.webp", "\xff\xd8\xff\xe0 not a webp");
  expect_throw<Error>([&] { read_webp(path("jpg.webp")); }, path("jpg.webp"), "not a WebP");
  write_bytes("riff.webp", "RIFF");
  expect_throw<IoError>([&] { read_webp(path("riff.webp")); }, path("riff.webp"), "truncated");

  for (bool lossless : {false, true}) {
    SCOPED_TRACE(lossless ? "lossless" : "lossy");
    write_webp(path("a.webp"), smooth_image(30, 41, 4), {80, lossless});
    const std::string good = read_bytes("a.webp");
    for (std::size_t n = 1; n < good.size(); n += 3) {
      write_bytes("cut.webp", good.substr(0, n));
      expect_throw<IoError>([&] { read_webp(path("cut.webp")); }, path("cut.webp"), "WebP");
    }
    for (std::size_t i = 12; i < good.size(); i += 5) {
      std::string bad = good;
      bad[i] = char(bad[i] ^ 0xa5);
      write_bytes("bad.webp", bad);
      expect_clean_failure_or_image(path("bad.webp"));
    }
  }
}

}  // namespace
}  // namespace convkit::io
