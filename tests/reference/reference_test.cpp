// The oracle's own checks: border patterns from DESIGN.md §5 and an independent formula for the
// deep-learning generalities (stride, dilation, groups, padding, bias, activation).
#include <gtest/gtest.h>

#include <cmath>

#include "algorithms/border.h"
#include "convkit/plan.h"
#include "test_util.h"

namespace convkit {
namespace {

std::string extend(Border b, int left, int right) {  // input "abcd"
  std::string s;
  for (int i = -left; i < 4 + right; ++i) {
    std::int64_t j = border_index(i, 4, b);
    s += j < 0 ? 'k' : char('a' + j);
    if (i == -1 || i == 3) s += '|';
  }
  return s;
}

TEST(Border, PatternsOfTheSemanticsTable) {
  EXPECT_EQ(extend(Border::constant, 2, 2), "kk|abcd|kk");
  EXPECT_EQ(extend(Border::replicate, 2, 2), "aa|abcd|dd");
  EXPECT_EQ(extend(Border::reflect, 2, 2), "ba|abcd|dc");
  EXPECT_EQ(extend(Border::mirror, 2, 2), "cb|abcd|cb");
  EXPECT_EQ(extend(Border::wrap, 2, 2), "cd|abcd|ab");
}

TEST(Border, KernelsLargerThanTheImageKeepReflecting) {
  EXPECT_EQ(extend(Border::reflect, 9, 9), "aabcddcba|abcd|dcbaabcdd");
  EXPECT_EQ(extend(Border::mirror, 7, 7), "babcdcb|abcd|cbabcdc");
  EXPECT_EQ(extend(Border::wrap, 6, 6), "cdabcd|abcd|abcdab");
  for (Border b : {Border::reflect, Border::mirror, Border::wrap, Border::replicate})
    for (int i = -20; i < 20; ++i) EXPECT_EQ(border_index(i, 1, b), 0);
}

// out[n,k,p,q] written straight from the definition with zero padding, independent of the
// reference's code.
TEST(Reference, DeepLearningGeneralitiesMatchTheDefinition) {
  test::Rng rng(7);
  for (int iter = 0; iter < test::case_count(200); ++iter) {
    ConvProblem p;
    p.groups = rng.uniform(1, 3);
    p.n = rng.uniform(1, 2);
    p.c = p.groups * rng.uniform(1, 3);
    p.k = p.groups * rng.uniform(1, 3);
    p.h = rng.uniform(1, 9), p.w = rng.uniform(1, 9);
    p.r = rng.uniform(1, 4), p.s = rng.uniform(1, 4);
    p.stride_h = rng.uniform(1, 3), p.stride_w = rng.uniform(1, 3);
    p.dilation_h = rng.uniform(1, 2), p.dilation_w = rng.uniform(1, 2);
    p.pad_top = rng.uniform(0, 3), p.pad_left = rng.uniform(0, 3);
    p.pad_bottom = rng.uniform(0, 3), p.pad_right = rng.uniform(0, 3);
    if (p.out_h() < 1 || p.out_w() < 1) continue;
    p.src_dtype = DType::f64, p.filter_dtype = DType::f64, p.dst_dtype = DType::f64;
    p.has_bias = true;
    p.activation = rng.chance(0.5) ? Activation::relu : Activation::none;
    p.flip = rng.chance(0.5);
    const std::int64_t cg = p.c / p.groups, kg = p.k / p.groups, P = p.out_h(), Q = p.out_w();
    Tensor x(DType::f64, {p.n, p.c, p.h, p.w}), wt(DType::f64, {p.k, cg, p.r, p.s}),
        b(DType::f64, {p.k}), y(DType::f64, {p.n, p.k, P, Q});
    test::fill_random(x, rng), test::fill_random(wt, rng), test::fill_random(b, rng);
    Plan(p, wt, b, {Algorithm::reference}).execute(x, y);
    const double *X = x.data_as<double>(), *W = wt.data_as<double>(), *B = b.data_as<double>();
    for (std::int64_t n = 0; n < p.n; ++n)
      for (std::int64_t k = 0; k < p.k; ++k)
        for (std::int64_t op = 0; op < P; ++op)
          for (std::int64_t oq = 0; oq < Q; ++oq) {
            double acc = B[k];
            for (std::int64_t c = 0; c < cg; ++c)
              for (std::int64_t r = 0; r < p.r; ++r)
                for (std::int64_t s = 0; s < p.s; ++s) {
                  std::int64_t iy = op * p.stride_h - p.pad_top + r * p.dilation_h;
                  std::int64_t ix = oq * p.stride_w - p.pad_left + s * p.dilation_w;
                  if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
                  std::int64_t rr = p.flip ? p.r - 1 - r : r, ss = p.flip ? p.s - 1 - s : s;
                  acc += X[((n * p.c + (k / kg) * cg + c) * p.h + iy) * p.w + ix] *
                         W[((k * cg + c) * p.r + rr) * p.s + ss];
                }
            if (p.activation == Activation::relu) acc = std::max(acc, 0.0);
            ASSERT_NEAR(y.data_as<double>()[((n * p.k + k) * P + op) * Q + oq], acc, 1e-9)
                << p.to_string();
          }
  }
}

TEST(Reference, IntegerWrapAndSaturateRules) {
  // 200 + 200 in u8: NumPy arithmetic wraps to 144, OpenCV saturates to 255.
  std::uint8_t img[2] = {200, 200}, one[2] = {1, 1}, out[1];
  ConvProblem p;
  p.w = 2, p.s = 2, p.src_dtype = p.filter_dtype = p.dst_dtype = DType::u8;
  p.rounding = Rounding::wrap;
  ConstTensorView src(img, DType::u8, {1, 1, 1, 2}), f(one, DType::u8, {1, 1, 1, 2});
  TensorView dst(out, DType::u8, {1, 1, 1, 1});
  Plan(p, f, {}).execute(src, dst);
  EXPECT_EQ(out[0], 144);
  p.rounding = Rounding::saturate;
  Plan(p, f, {}).execute(src, dst);
  EXPECT_EQ(out[0], 255);
}

TEST(Reference, RoundsHalfToEven) {
  EXPECT_EQ(saturate_round<std::uint8_t>(2.5), 2);
  EXPECT_EQ(saturate_round<std::uint8_t>(3.5), 4);
  EXPECT_EQ(saturate_round<std::int16_t>(-2.5), -2);
  EXPECT_EQ(saturate_round<std::uint8_t>(-7.0), 0);
  EXPECT_EQ(saturate_round<std::uint16_t>(1e9), 65535);
}

TEST(Problem, ValidateNamesTheField) {
  ConvProblem p;
  p.c = 3, p.groups = 2;
  try {
    p.validate();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.parameter(), "groups");
  }
  ConvProblem q;
  q.h = 2, q.r = 5;
  EXPECT_THROW(q.validate(), Error);
  EXPECT_EQ(ConvProblem{}.to_string(), "n1c1h1w1k1r1s1_pt0pl0pb0pr0_constant_corr_f32-f64-f32");
}

}  // namespace
}  // namespace convkit
