#pragma once
// Random deep-learning problems and the reference check shared by the Conv2d algorithm tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "convkit/plan.h"
#include "test_util.h"

namespace convkit::test {

/// Groups (incl. depthwise-like), strides, dilation, every pad and border, bias, activation.
/// `f32`: f32 data only; `max_per_group`: channels per group up to this (tails of SIMD blocks).
inline ConvProblem random_dl_problem(Rng& rng, bool f32 = false, std::int64_t max_per_group = 9) {
  ConvProblem p;
  p.groups = rng.chance(0.4) ? 1 : rng.uniform(1, 4);
  p.n = rng.uniform(1, 3);
  p.c = p.groups * rng.uniform(1, std::max<std::int64_t>(5, max_per_group / 2));
  p.k = p.groups * rng.uniform(1, max_per_group);
  p.h = rng.uniform(1, 20), p.w = rng.uniform(1, 20);
  p.r = rng.uniform(1, 5), p.s = rng.uniform(1, 5);
  p.stride_h = rng.uniform(1, 3), p.stride_w = rng.uniform(1, 3);
  if (rng.chance(0.4)) p.dilation_h = rng.uniform(1, 3), p.dilation_w = rng.uniform(1, 3);
  p.pad_top = rng.uniform(0, 4), p.pad_left = rng.uniform(0, 4);
  p.pad_bottom = rng.uniform(0, 4), p.pad_right = rng.uniform(0, 4);
  p.border = rng.pick(kBorders);
  p.border_value = rng.chance(0.7) ? 0.0 : rng.real(-2, 2);
  p.src_dtype = f32 || rng.chance(0.6) ? DType::f32 : DType::f64;
  p.dst_dtype = f32 || rng.chance(0.8) ? p.src_dtype : (rng.chance(0.5) ? DType::f32 : DType::f64);
  p.filter_dtype = rng.chance(0.5) ? DType::f32 : DType::f64;
  p.flip = rng.chance(0.3);
  p.scale = rng.chance(0.7) ? 1.0 : rng.real(0.5, 2);
  p.delta = rng.chance(0.7) ? 0.0 : rng.real(-1, 1);
  p.has_bias = rng.chance(0.5);
  p.has_residual = rng.chance(0.25);
  p.activation = static_cast<Activation>(rng.uniform(0, 8));
  p.activation_alpha = p.activation == Activation::clamp ? -1.0 : 0.1;
  p.activation_beta = 1.5;
  return p;
}

/// Tolerance of an f32-accumulating algorithm against the double reference, relative to the
/// largest output: 1e-5, growing like the rounding error of a sum, sqrt(terms), past 100 terms.
inline double f32_tolerance(const ConvProblem& p) {
  const double terms = double(p.c / p.groups * p.r * p.s);
  return 1e-5 * std::max(1.0, std::sqrt(terms / 100.0));
}

/// True when the padded input holds the dilated kernel at least once.
inline bool has_output(const ConvProblem& p) {
  return p.h + p.pad_top + p.pad_bottom - p.dilation_h * (p.r - 1) - 1 >= 0 &&
         p.w + p.pad_left + p.pad_right - p.dilation_w * (p.s - 1) - 1 >= 0;
}

/// Runs `algorithm` on random data (strided input and output views) and returns its largest
/// error relative to the reference's largest magnitude.
inline double relative_error_vs_reference(const ConvProblem& p, Algorithm algorithm, Rng& rng) {
  auto x = random_view(p.src_dtype, {p.n, p.c, p.h, p.w}, rng);
  fill_random(x.view, rng, 1);
  Tensor wt(p.filter_dtype, {p.k, p.c / p.groups, p.r, p.s}), b(DType::f64, {p.k});
  fill_random(wt.view(), rng, 1);
  fill_random(b.view(), rng, 1);
  ConstTensorView bias = p.has_bias ? b.cview() : ConstTensorView{};
  const std::int64_t P = p.out_h(), Q = p.out_w();
  Tensor want(p.dst_dtype, {p.n, p.k, P, Q});
  auto res = random_view(p.dst_dtype, {p.n, p.k, P, Q}, rng);
  fill_random(res.view, rng, 1);
  auto got = random_view(p.dst_dtype, {p.n, p.k, P, Q}, rng);
  Plan plan(p, wt, bias, {algorithm});
  EXPECT_EQ(plan.algorithm(), algorithm);
  if (p.has_residual) {
    Plan(p, wt, bias, {Algorithm::reference}).execute(x.view, want, res.view);
    if (rng.chance(0.3)) {  // the residual accumulated in place
      copy(res.view, got.view);
      plan.execute(x.view, got.view, got.view);
    } else {
      plan.execute(x.view, got.view, res.view);
    }
  } else {
    Plan(p, wt, bias, {Algorithm::reference}).execute(x.view, want);
    plan.execute(x.view, got.view);
  }
  double scale = 1e-30, err = 0;
  for (std::int64_t i = 0; i < want.numel(); ++i)
    scale = std::max(scale, std::abs(element(want.cview(), i).real()));
  for (std::int64_t i = 0; i < want.numel(); ++i)
    err = std::max(err, std::abs(element(want.cview(), i).real() - element(got.view, i).real()));
  return err / scale;
}

}  // namespace convkit::test
