// cv::filter2D semantics: anchor, delta, borders, depths, channels, errors.
#include <gtest/gtest.h>

#include "convkit/filters.h"
#include "test_util.h"

namespace convkit {
namespace {

TEST(Filter2d, AnchorDeltaAndReflect101OnASmallExample) {
  // One row [1 2 3 4], kernel [1 10 100] (correlation), default anchor 1, reflect-101 border:
  // out[0] = 2*1 + 1*10 + 2*100 (left neighbour of a is b) ...
  float in[4] = {1, 2, 3, 4};
  double k[3] = {1, 10, 100};
  ConstTensorView src(in, DType::f32, {1, 4}), K(k, DType::f64, {1, 3});
  Tensor out = filter2d(src, -1, K, {.delta = 0.5});
  const float* o = out.data_as<float>();
  EXPECT_FLOAT_EQ(o[0], 2 + 10 + 200 + 0.5f);
  EXPECT_FLOAT_EQ(o[1], 1 + 20 + 300 + 0.5f);
  EXPECT_FLOAT_EQ(o[3], 3 + 40 + 300 + 0.5f);
  Tensor left = filter2d(src, -1, K, {.anchor = {0, 0}, .border = Border::constant});
  EXPECT_FLOAT_EQ(left.data_as<float>()[0], 1 + 20 + 300);
  EXPECT_FLOAT_EQ(left.data_as<float>()[3], 4);
  Tensor wrap = filter2d(src, -1, K, {.border = Border::wrap});
  EXPECT_FLOAT_EQ(wrap.data_as<float>()[0], 4 + 10 + 200);
}

TEST(Filter2d, ChannelsAreFilteredIndependently) {
  test::Rng rng(3);
  auto img = test::random_view(DType::u8, {9, 11, 3}, rng, false);
  test::fill_random(img.view, rng);
  Tensor k = preset_kernel("gaussian5");
  Tensor all = filter2d(img.view, -1, k);
  for (int c = 0; c < 3; ++c) {
    ConstTensorView plane(static_cast<const std::uint8_t*>(img.view.data()) + c, DType::u8,
                          std::array<std::int64_t, 2>{9, 11}, std::array<std::int64_t, 2>{33, 3});
    Tensor one = filter2d(plane, -1, k);
    for (int i = 0; i < 99; ++i) ASSERT_EQ(all.data_as<std::uint8_t>()[i * 3 + c], one.data_as<std::uint8_t>()[i]);
  }
}

TEST(Filter2d, DepthsRoundHalfToEvenAndSaturate) {
  std::uint8_t in[4] = {5, 7, 9, 200};
  double half[1] = {0.5}, twice[1] = {2};
  ConstTensorView src(in, DType::u8, {1, 4});
  Tensor h = filter2d(src, -1, ConstTensorView(half, DType::f64, {1, 1}));
  EXPECT_EQ(std::vector<int>(h.data_as<std::uint8_t>(), h.data_as<std::uint8_t>() + 4),
            (std::vector<int>{2, 4, 4, 100}));  // 2.5 -> 2, 3.5 -> 4, 4.5 -> 4
  Tensor t = filter2d(src, -1, ConstTensorView(twice, DType::f64, {1, 1}), {.delta = -20});
  EXPECT_EQ(t.data_as<std::uint8_t>()[3], 255);
  Tensor s = filter2d(src, DType::i16, ConstTensorView(twice, DType::f64, {1, 1}), {.delta = -20});
  EXPECT_EQ(s.data_as<std::int16_t>()[0], -10);
  EXPECT_EQ(s.data_as<std::int16_t>()[3], 380);
}

TEST(Filter2d, PresetsAreNormalisedAsDocumented) {
  for (const char* name : {"box3", "box5", "gaussian3", "gaussian5", "sharpen"}) {
    Tensor k = preset_kernel(name);
    double sum = 0;
    for (std::int64_t i = 0; i < k.numel(); ++i) sum += k.data_as<double>()[i];
    EXPECT_NEAR(sum, 1.0, 1e-12) << name;
  }
  for (const char* name : {"laplacian", "sobel-x", "sobel-y", "outline", "emboss"}) EXPECT_NO_THROW(preset_kernel(name));
  EXPECT_THROW(preset_kernel("blurry"), Error);
}

TEST(Filter2d, BadInputNamesTheParameter) {
  float img[12] = {};
  double k[9] = {};
  ConstTensorView src(img, DType::f32, {3, 4}), K(k, DType::f64, {3, 3});
  auto param = [](auto&& f) { return test::error_parameter(f); };
  EXPECT_EQ(param([&] { filter2d(src, -1, K, {.anchor = {3, 0}}); }), "anchor");
  EXPECT_EQ(param([&] { filter2d(src, -1, K, {.anchor = {0, -2}}); }), "anchor");
  EXPECT_EQ(param([&] { filter2d(src, 4, K); }), "ddepth");
  EXPECT_EQ(param([&] { filter2d(src, DType::i32, K); }), "ddepth");
  EXPECT_EQ(param([&] { filter2d(ConstTensorView(img, DType::i32, {3, 4}), -1, K); }), "src");
  EXPECT_EQ(param([&] { filter2d(ConstTensorView(img, DType::f32, {12}), -1, K); }), "src");
  EXPECT_EQ(param([&] { filter2d(ConstTensorView(img, DType::f32, {0, 4}), -1, K); }), "src");
  EXPECT_EQ(param([&] { filter2d(src, -1, ConstTensorView(k, DType::f64, {0, 3})); }), "kernel");
  EXPECT_EQ(param([&] { filter2d(src, -1, ConstTensorView(k, DType::c64, {2, 2})); }), "kernel");
  EXPECT_EQ(param([&] { filter2d(src, DType::u8, K, {.border = Border::constant, .border_value = NAN}); }),
            "border_value");
}

}  // namespace
}  // namespace convkit
