// im2col against the reference over random deep-learning and image-filtering problems.
#include <gtest/gtest.h>

#include <cmath>

#include "convkit/plan.h"
#include "algorithms/dl_problems.h"
#include "test_util.h"

namespace convkit {
namespace {

TEST(Im2col, MatchesReferenceOnRandomProblems) {
  test::Rng rng(91);
  int ran = 0;
  for (int iter = 0; iter < test::case_count(300); ++iter) {
    ConvProblem p = test::random_dl_problem(rng);
    if (!test::has_output(p)) continue;
    ++ran;
    SCOPED_TRACE(p.to_string());
    const bool f32 = p.src_dtype == DType::f32 && p.dst_dtype == DType::f32;
    EXPECT_LE(test::relative_error_vs_reference(p, Algorithm::im2col, rng), f32 ? 1e-5 : 1e-12);
  }
  EXPECT_GT(ran, test::case_count(300) / 2);
}

// Many column tiles of 48 pixels (Cg*R*S = 1200 rows) and threads over (n, group, tile).
TEST(Im2col, ManyTilesMatchTheReference) {
  test::Rng rng(3);
  ConvProblem p;
  p.n = 2, p.c = 96, p.k = 22, p.groups = 2, p.h = 29, p.w = 31, p.r = p.s = 5;
  p.pad_top = 2, p.pad_bottom = 1, p.pad_left = 3, p.pad_right = 2, p.stride_w = 2;
  p.border = Border::mirror, p.has_bias = true, p.activation = Activation::silu;
  p.filter_dtype = DType::f32;
  Tensor x(DType::f32, {p.n, p.c, p.h, p.w}), wt(DType::f32, {p.k, p.c / p.groups, p.r, p.s}),
      b(DType::f32, {p.k});
  test::fill_random(x.view(), rng, 1), test::fill_random(wt.view(), rng, 1);
  test::fill_random(b.view(), rng, 1);
  Tensor want(DType::f32, {p.n, p.k, p.out_h(), p.out_w()}),
      got(DType::f32, {p.n, p.k, p.out_h(), p.out_w()});
  Plan(p, wt, b, {Algorithm::reference}).execute(x, want);
  Plan plan(p, wt, b, {Algorithm::im2col});
  EXPECT_NE(plan.explain().find("tiles of 48 pixels"), std::string::npos) << plan.explain();
  plan.execute(x, got);
  double scale = 0, err = 0;
  for (std::int64_t i = 0; i < want.numel(); ++i) {
    scale = std::max(scale, double(std::abs(want.data_as<float>()[i])));
    err = std::max(err, double(std::abs(want.data_as<float>()[i] - got.data_as<float>()[i])));
  }
  EXPECT_LE(err / scale, 1e-5);
}

TEST(Im2col, PlannerPrefersItOverTheReferenceForChannelMixing) {
  ConvProblem p;
  p.n = 1, p.c = 16, p.k = 16, p.h = p.w = 32, p.r = p.s = 3, p.pad_top = p.pad_left = 1;
  p.pad_bottom = p.pad_right = 1;
  p.filter_dtype = DType::f32;
  Tensor wt(DType::f32, {16, 16, 3, 3});
  EXPECT_EQ(Plan(p, wt).algorithm(), Algorithm::direct_blocked);  // f32: channel-blocked
  ConvProblem p64 = p;
  p64.src_dtype = p64.dst_dtype = p64.filter_dtype = DType::f64;
  Tensor wt64(DType::f64, {16, 16, 3, 3});
  EXPECT_EQ(Plan(p64, wt64).algorithm(), Algorithm::im2col);
  // Integer data stays with the paths that round as the reference does.
  p.src_dtype = p.dst_dtype = DType::u8;
  EXPECT_NE(Plan(p, wt).algorithm(), Algorithm::im2col);
  // Per-channel image filtering still goes to direct.
  ConvProblem q;
  q.c = q.k = q.groups = 3, q.h = q.w = 512, q.r = q.s = 3, q.filter_dtype = DType::f32;
  Tensor k3(DType::f32, {3, 1, 3, 3});
  test::Rng rng(1);
  test::fill_random(k3.view(), rng, 1);
  EXPECT_EQ(Plan(q, k3).algorithm(), Algorithm::direct);
  EXPECT_EQ(parse_algorithm("im2col"), Algorithm::im2col);
}

}  // namespace
}  // namespace convkit
