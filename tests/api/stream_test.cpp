// Band-by-band filtering (src/stream/) against the whole image: bit for bit over random images,
// band heights (1 row, heights that do not divide the image, bands shorter than the kernel),
// kernels, dtypes and every border, wrap included. The reader and writer are in-memory doubles,
// so the engine's windows, halo copies and threads are what is tested; the file formats' own
// row readers are tested in io_rows_test.cpp.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "convkit/convkit.h"
#include "stream/bands.h"
#include "test_util.h"

namespace convkit {
namespace {

using test::Rng;

// Rows of an in-memory image; counts how many rows were read (the halo is copied, not re-read).
class MemoryReader final : public io::RowReader {
 public:
  MemoryReader(ConstTensorView image, bool random) : image_(image), random_(random) {
    layout_.dtype = image.dtype();
    layout_.height = image.dim(0);
    layout_.width = image.dim(1);
    layout_.channels = image.rank() == 3 ? image.dim(2) : 0;
  }
  bool random_access() const override { return random_; }
  void read_rows(std::int64_t y0, TensorView dst) override {
    if (!random_) {
      EXPECT_EQ(y0, next_) << "a sequential reader was read out of order";
    }
    ASSERT_GE(y0, 0);
    ASSERT_LE(y0 + dst.dim(0), layout_.height);
    std::memcpy(dst.data(), static_cast<const char*>(image_.data()) + y0 * layout_.row_bytes(),
                std::size_t(dst.dim(0) * layout_.row_bytes()));
    next_ = y0 + dst.dim(0);
    rows_read += dst.dim(0);
  }
  std::int64_t rows_read = 0;

 private:
  ConstTensorView image_;
  bool random_;
  std::int64_t next_ = 0;
};

class MemoryWriter final : public io::RowWriter {
 public:
  explicit MemoryWriter(const io::RowLayout& layout)
      : layout_(layout), image_(layout.dtype, std::span<const std::int64_t>(layout.shape())) {}
  void write_rows(ConstTensorView band) override {
    ASSERT_EQ(band.dtype(), layout_.dtype);
    ASSERT_LE(row_ + band.dim(0), layout_.height);
    const auto shape = layout_.band_shape(band.dim(0));
    TensorView dst(static_cast<char*>(image_.data()) + row_ * layout_.row_bytes(), band.dtype(),
                   std::span<const std::int64_t>(shape));
    copy(band, dst);
    row_ += band.dim(0);
  }
  void finish() override { EXPECT_EQ(row_, layout_.height); }
  const Tensor& image() const { return image_; }

 private:
  io::RowLayout layout_;
  Tensor image_;
  std::int64_t row_ = 0;
};

Tensor random_image(DType t, std::int64_t h, std::int64_t w, std::int64_t c, Rng& rng) {
  std::vector<std::int64_t> shape{h, w};
  if (c > 0) shape.push_back(c);
  Tensor img(t, std::span<const std::int64_t>(shape));
  auto* p = static_cast<char*>(img.data());
  for (std::int64_t i = 0; i < img.numel(); ++i)
    store_complex(test::random_value(t, rng, 100), p + i * std::int64_t(dtype_size(t)), t,
                  Rounding::saturate);
  return img;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.numel() == b.numel() &&
         std::memcmp(a.data(), b.data(), std::size_t(a.numel()) * dtype_size(a.dtype())) == 0;
}

// A filter as the CLI builds it: a function of the image (or a band) and the plan options.
struct Case {
  std::string name;
  stream::Reach reach;
  bool wrap;
  std::function<Tensor(ConstTensorView, const PlanOptions&)> apply;
};

Case random_case(Rng& rng, DType t) {
  const std::vector<Border> borders{Border::constant, Border::replicate, Border::reflect,
                                    Border::mirror, Border::wrap};
  const Border b = rng.pick(borders);
  switch (rng.uniform(0, 4)) {
    case 0: {  // filter2d, any kernel size (even too), anchor
      const int r = int(rng.uniform(1, 23)), s = int(rng.uniform(1, 9));
      auto k = std::make_shared<Tensor>(DType::f64, std::vector<std::int64_t>{r, s});
      for (std::int64_t i = 0; i < k->numel(); ++i) k->data_as<double>()[i] = rng.real(-1, 1);
      Filter2dOptions o;
      o.border = b;
      o.border_value = 7;
      o.anchor = {int(rng.uniform(0, s - 1)), int(rng.uniform(0, r - 1))};
      return {"filter2d " + std::to_string(r) + "x" + std::to_string(s), {r - 1, r - 1},
              b == Border::wrap, [k, o](ConstTensorView in, const PlanOptions& plan) mutable {
                o.plan = plan;
                return filter2d(in, std::nullopt, *k, o);
              }};
    }
    case 1: {  // GaussianBlur
      const double sigma = rng.real(0.3, 6);
      const std::int64_t reach = std::int64_t(std::ceil(4 * sigma)) + 1;
      return {"gaussian " + std::to_string(sigma), {reach, reach}, b == Border::wrap,
              [sigma, b](ConstTensorView in, const PlanOptions& plan) {
                return gaussian_blur(in, {0, 0}, sigma, 0, b, ImageOptions{Layout::HWC, plan});
              }};
    }
    case 2: {  // box filter (running sums on integer images)
      const int n = int(rng.uniform(1, 31));
      return {"box " + std::to_string(n), {n - 1, n - 1}, b == Border::wrap,
              [n, b](ConstTensorView in, const PlanOptions& plan) {
                return box_filter(in, std::nullopt, {3, n}, {}, true, b,
                                  ImageOptions{Layout::HWC, plan});
              }};
    }
    case 3: {  // scipy gaussian_filter (ordered, per-pass casts)
      const double sigma = rng.real(0.5, 4);
      const std::vector<Border> modes = borders;
      const auto m = rng.pick(modes);
      const std::int64_t reach = std::int64_t(4 * sigma + 0.5);
      return {"ndimage gaussian", {reach, reach}, m == Border::wrap,
              [sigma, m](ConstTensorView in, const PlanOptions& plan) {
                ndimage::Options o;
                o.mode = m;
                o.plan = plan;
                return ndimage::gaussian_filter(in, {sigma, sigma}, {0, 0}, 4.0, {-1, -1}, o);
              }};
    }
    default: {  // Sobel
      return {"sobel", {3, 3}, b == Border::wrap, [b](ConstTensorView in, const PlanOptions& plan) {
                return sobel(in, std::nullopt, 1, 1, 5, 1, 0, b, ImageOptions{Layout::HWC, plan});
              }};
    }
  }
  (void)t;
}

TEST(Stream, BandsGiveTheWholeImagesBitsForEveryFilterBorderAndBandHeight) {
  Rng rng(20261205);
  const std::vector<DType> types{DType::u8, DType::u16, DType::i16, DType::f32, DType::f64};
  for (int i = 0; i < test::case_count(150); ++i) {
    const DType t = rng.pick(types);
    const std::int64_t h = rng.uniform(1, 120), w = rng.uniform(1, 70);
    const std::int64_t c = rng.chance(0.3) ? rng.uniform(1, 4) : 0;
    const Tensor image = random_image(t, h, w, c, rng);
    const Case k = random_case(rng, t);
    PlanOptions whole;
    whole.band_of_height = h;
    Tensor expected;
    try {
      expected = k.apply(image.cview(), whole);
    } catch (const Error&) {
      continue;  // a dtype this filter refuses
    }
    MemoryReader reader(image.cview(), k.wrap || rng.chance(0.5));
    io::RowLayout out_layout = reader.layout();
    out_layout.dtype = expected.dtype();
    stream::BandOptions bands;
    bands.band_rows = rng.pick(std::vector<std::int64_t>{1, 2, 3, 7, 16, 33, h});
    bands.wrap = k.wrap;
    if (!stream::banding_problem(reader, k.reach, bands).empty()) {
      EXPECT_TRUE(k.wrap) << k.name;  // only wrap asks for something (a tall enough image)
      continue;
    }
    MemoryWriter writer(out_layout);
    std::int64_t last = 0;
    bands.progress = [&](std::int64_t done, std::int64_t total) {
      EXPECT_GT(done, last);
      EXPECT_EQ(total, h);
      last = done;
    };
    stream::run(reader, writer, out_layout, k.reach,
                [&](ConstTensorView window) { return k.apply(window, whole); }, bands);
    writer.finish();
    EXPECT_EQ(last, h);
    ASSERT_TRUE(same_bits(writer.image(), expected))
        << "case " << i << ": " << k.name << " " << dtype_name(t) << " " << h << "x" << w << "x"
        << c << " bands of " << bands.band_rows << (k.wrap ? " wrap" : "");
    if (!k.wrap) {
      EXPECT_EQ(reader.rows_read, h) << "the halo is copied, not read again";
    }
  }
}

TEST(Stream, RowLocalPlansAvoidFftAndFloatRunningSums) {
  // A large kernel on a float image: the whole-image plan would take an FFT; as a band of a
  // taller image (and as the whole image with band_of_height) it takes a row-local algorithm.
  Rng rng(5);
  const Tensor image = random_image(DType::f32, 300, 300, 0, rng);
  Tensor k(DType::f64, {31, 31});
  for (std::int64_t i = 0; i < k.numel(); ++i) k.data_as<double>()[i] = rng.real(-1, 1);
  std::string why;
  Filter2dOptions o;
  o.plan.explain = &why;
  o.plan.band_of_height = 300;
  filter2d(image.cview(), std::nullopt, k.cview(), o);
  EXPECT_NE(why.find("fft            rejects"), std::string::npos) << why;
  o.plan.algorithm = Algorithm::fft;
  EXPECT_THROW(filter2d(image.cview(), std::nullopt, k.cview(), o), Error);
}

TEST(Stream, RefusesWrapOnSequentialReadersAndSizesBands) {
  Rng rng(9);
  const Tensor image = random_image(DType::u8, 40, 10, 3, rng);
  MemoryReader sequential(image.cview(), false);
  stream::BandOptions o;
  o.wrap = true;
  EXPECT_NE(stream::banding_problem(sequential, {2, 2}, o), "");
  o.wrap = false;
  EXPECT_EQ(stream::banding_problem(sequential, {2, 2}, o), "");
  o.band_rows = 0;
  EXPECT_NE(stream::banding_problem(sequential, {2, 2}, o), "");

  io::RowLayout big{DType::u8, 32000, 32000, 0};
  const std::int64_t rows = stream::band_rows_for(big, big, {9, 9}, 8, 64 << 20);
  EXPECT_GE(rows, 16);
  EXPECT_LE(rows * (2 * 32000 + 2 * 32000 + 8 * 32000), std::int64_t(64) << 20);
  EXPECT_EQ(stream::band_rows_for(io::RowLayout{DType::u8, 10, 10, 0},
                                  io::RowLayout{DType::u8, 10, 10, 0}, {1, 1}, 8, 1 << 30),
            10);
}

}  // namespace
}  // namespace convkit
