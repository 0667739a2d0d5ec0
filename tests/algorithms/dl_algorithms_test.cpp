// The f32 deep-learning algorithms (direct-blocked, gemm-1x1, depthwise, grouped, winograd)
// against the reference
// over random problems.
#include <gtest/gtest.h>

#include <cstdio>

#include "algorithms/dl_problems.h"
#include "convkit/plan.h"
#include "test_util.h"

namespace convkit {
namespace {

TEST(DirectBlocked, MatchesReferenceOnRandomProblems) {
  test::Rng rng(57);
  int ran = 0;
  for (int iter = 0; iter < test::case_count(200); ++iter) {
    // Up to 70 output channels per group: several blocks of SIMD width and ragged last blocks.
    ConvProblem p = test::random_dl_problem(rng, true, rng.chance(0.5) ? 9 : 70);
    if (!test::has_output(p)) continue;
    ++ran;
    SCOPED_TRACE(p.to_string());
    EXPECT_LE(test::relative_error_vs_reference(p, Algorithm::direct_blocked, rng),
              test::f32_tolerance(p));
  }
  EXPECT_GT(ran, test::case_count(200) / 2);
}

// Shapes of ResNet layers, scaled down: many bands, channel chunks, stride 2, 1x1 and 7x7.
TEST(DirectBlocked, LayerShapesMatchTheReference) {
  struct Case {
    std::int64_t n, c, k, h, r, stride, pad;
  };
  // The last: an 8.4 MB output, written with non-temporal stores.
  const Case cases[] = {{1, 3, 64, 30, 7, 2, 3},  {2, 64, 64, 14, 3, 1, 1}, {1, 96, 40, 9, 1, 1, 0},
                        {1, 48, 48, 15, 3, 2, 1}, {1, 128, 128, 5, 3, 1, 1}, {2, 4, 64, 128, 3, 1, 1}};
  test::Rng rng(8);
  for (const Case& c : cases) {
    ConvProblem p;
    p.n = c.n, p.c = c.c, p.k = c.k, p.h = p.w = c.h, p.r = p.s = c.r;
    p.stride_h = p.stride_w = c.stride;
    p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = c.pad;
    p.filter_dtype = DType::f32, p.has_bias = true, p.activation = Activation::relu;
    SCOPED_TRACE(p.to_string());
    EXPECT_LE(test::relative_error_vs_reference(p, Algorithm::direct_blocked, rng),
              test::f32_tolerance(p));
    const bool big = p.n * p.k * p.out_h() * p.out_w() * 4 >= 8000000;
    Tensor wt(DType::f32, {p.k, p.c, p.r, p.s}), b(DType::f32, {p.k});
    const std::string plan = Plan(p, wt, b, {Algorithm::direct_blocked}).explain();
    EXPECT_EQ(plan.find("non-temporal") != std::string::npos, big) << plan;
  }
}

TEST(Gemm1x1, MatchesReferenceOnRandomProblems) {
  test::Rng rng(58);
  for (int iter = 0; iter < test::case_count(150); ++iter) {
    ConvProblem p = test::random_dl_problem(rng, true, rng.chance(0.5) ? 9 : 70);
    p.r = p.s = 1;
    if (rng.chance(0.5)) p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = 0;
    if (rng.chance(0.5)) p.stride_h = p.stride_w = 1;
    if (rng.chance(0.3)) p.h = rng.uniform(20, 40), p.w = rng.uniform(20, 40);  // many panels
    SCOPED_TRACE(p.to_string());
    EXPECT_LE(test::relative_error_vs_reference(p, Algorithm::gemm_1x1, rng),
              test::f32_tolerance(p));
  }
}

TEST(Depthwise, MatchesReferenceOnRandomProblems) {
  test::Rng rng(59);
  int ran = 0;
  for (int iter = 0; iter < test::case_count(150); ++iter) {
    ConvProblem p = test::random_dl_problem(rng, true);
    p.groups = p.c = rng.uniform(1, 20);
    p.k = p.c * rng.uniform(1, 3);  // channel multipliers
    if (!test::has_output(p)) continue;
    ++ran;
    SCOPED_TRACE(p.to_string());
    EXPECT_LE(test::relative_error_vs_reference(p, Algorithm::depthwise, rng),
              test::f32_tolerance(p));
  }
  EXPECT_GT(ran, test::case_count(150) / 2);
}

TEST(Grouped, MatchesReferenceOnRandomProblems) {
  test::Rng rng(64);
  int ran = 0;
  for (int iter = 0; iter < test::case_count(150); ++iter) {
    ConvProblem p = test::random_dl_problem(rng, true);
    p.groups = rng.uniform(1, 6);
    p.c = p.groups * rng.uniform(1, 16);  // 1..16 channels per group, K too (blocks of <= 8)
    p.k = p.groups * rng.uniform(1, 16);
    if (rng.chance(0.3)) p.h = rng.uniform(20, 50), p.w = rng.uniform(20, 50);  // several bands
    if (!test::has_output(p)) continue;
    ++ran;
    SCOPED_TRACE(p.to_string());
    EXPECT_LE(test::relative_error_vs_reference(p, Algorithm::grouped, rng),
              test::f32_tolerance(p));
  }
  EXPECT_GT(ran, test::case_count(150) / 2);
}

// Winograd's round-off against the reference, relative to the largest output, on random r x r
// stride-1 problems (data in [-1, 1]); the worst case is printed for the documentation.
void check_winograd(Algorithm a, double factor, std::uint64_t seed, std::int64_t r = 3) {
  test::Rng rng(seed);
  double worst = 0, worst_direct = 0;
  for (int iter = 0; iter < test::case_count(50); ++iter) {
    ConvProblem p = test::random_dl_problem(rng, true, rng.chance(0.5) ? 9 : 70);
    p.r = p.s = r, p.stride_h = p.stride_w = 1, p.dilation_h = p.dilation_w = 1;
    if (rng.chance(0.3)) p.h = rng.uniform(20, 40), p.w = rng.uniform(20, 40);
    if (!test::has_output(p)) continue;
    SCOPED_TRACE(p.to_string());
    test::Rng same = rng;
    const double err = test::relative_error_vs_reference(p, a, rng);
    const double direct = test::relative_error_vs_reference(p, Algorithm::direct_blocked, same);
    worst = std::max(worst, err), worst_direct = std::max(worst_direct, direct);
    EXPECT_LE(err, factor * test::f32_tolerance(p));
  }
  std::printf("%s, %lldx%lld: worst relative error %.3g (direct-blocked on the same data: %.3g)\n",
              algorithm_name(a), static_cast<long long>(r), static_cast<long long>(r), worst,
              worst_direct);
}

TEST(Winograd, F2x2MatchesReferenceOnRandomProblems) { check_winograd(Algorithm::winograd, 1, 60); }
TEST(Winograd, F4x4MatchesReferenceWithinItsBound) { check_winograd(Algorithm::winograd_4x4, 30, 61); }
// Strided problems (2..3, kernels 1..7 incl. smaller than the stride, every pad, groups, bias
// and activations) as sums of stride-1 phase convolutions.
TEST(StridePhases, MatchesReferenceOnRandomProblems) {
  test::Rng rng(63);
  int ran = 0;
  for (int iter = 0; iter < test::case_count(120); ++iter) {
    ConvProblem p = test::random_dl_problem(rng, true);
    p.stride_h = rng.uniform(1, 3), p.stride_w = rng.uniform(p.stride_h == 1 ? 2 : 1, 3);
    p.dilation_h = p.dilation_w = 1;
    p.border = Border::constant;
    if (rng.chance(0.3)) p.h = rng.uniform(20, 40), p.w = rng.uniform(20, 40);
    if (!test::has_output(p)) continue;
    ++ran;
    SCOPED_TRACE(p.to_string());
    EXPECT_LE(test::relative_error_vs_reference(p, Algorithm::stride_phases, rng),
              2 * test::f32_tolerance(p));
  }
  EXPECT_GT(ran, test::case_count(120) / 2);
}

TEST(Winograd, F2x2Kernel2x2MatchesReferenceOnRandomProblems) {
  check_winograd(Algorithm::winograd, 1, 62, 2);
}

TEST(DirectBlocked, RefusesWhatItCannotRun) {
  ConvProblem p;
  p.c = p.k = 4, p.h = p.w = 8, p.r = p.s = 3;
  p.src_dtype = p.dst_dtype = DType::f64, p.filter_dtype = DType::f64;
  Tensor wt(DType::f64, {4, 4, 3, 3});
  EXPECT_THROW(Plan(p, wt, {}, {Algorithm::direct_blocked}), Error);
  EXPECT_EQ(parse_algorithm("direct-blocked"), Algorithm::direct_blocked);
  EXPECT_THROW(Plan(p, wt, {}, {Algorithm::gemm_1x1}), Error);   // 3x3 and f64
  EXPECT_THROW(Plan(p, wt, {}, {Algorithm::depthwise}), Error);  // channels mixed
  EXPECT_EQ(parse_algorithm("gemm-1x1"), Algorithm::gemm_1x1);
  EXPECT_EQ(parse_algorithm("depthwise"), Algorithm::depthwise);
  p.src_dtype = p.dst_dtype = p.filter_dtype = DType::f32;
  p.c = p.k = 34, p.groups = 2;  // 17 channels per group
  Tensor w32(DType::f32, {34, 17, 3, 3});
  EXPECT_THROW(Plan(p, w32, {}, {Algorithm::grouped}), Error);
  EXPECT_EQ(parse_algorithm("grouped"), Algorithm::grouped);
}

}  // namespace
}  // namespace convkit
