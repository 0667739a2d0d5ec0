// The `ordered` algorithm: scipy.ndimage's summation orders. Against a scalar loop that sums
// in that order (must match bit for bit) and the reference (to round-off), over random
// per-channel problems: 1-D kernels along rows and columns, symmetric / antisymmetric / other
// taps, 2-D kernels with near-zero taps, every border, dilation, residual starts.
#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstring>
#include <vector>

#include "algorithms/border.h"
#include "convkit/plan.h"
#include "test_util.h"
#include "util/convert.h"

namespace convkit {
namespace {

// Input sample (n, c, y, x) extended by the border, as double.
double sample(const ConvProblem& p, const ConstTensorView& v, std::int64_t n, std::int64_t c,
              std::int64_t y, std::int64_t x) {
  const std::int64_t by = border_index(y, p.h, p.border), bx = border_index(x, p.w, p.border);
  if (by < 0 || bx < 0) return p.border_value.real();
  return test::element(v, ((n * p.c + c) * p.h + by) * p.w + bx).real();
}

// One output in SciPy's order (correlate1d's pairs, or correlate's sequence from `start`).
double scipy_order(const ConvProblem& p, const std::vector<double>& w, const ConstTensorView& src,
                   std::int64_t n, std::int64_t c, std::int64_t oy, std::int64_t ox, double start) {
  std::vector<double> x;  // samples of the taps, row-major
  std::vector<double> tw;
  for (std::int64_t r = 0; r < p.r; ++r)
    for (std::int64_t s = 0; s < p.s; ++s) {
      const double wt = w[std::size_t(r * p.s + s)];
      if (p.summation == Summation::ndimage && !(std::fabs(wt) > DBL_EPSILON)) continue;
      x.push_back(sample(p, src, n, c, oy - p.pad_top + r * p.dilation_h,
                         ox - p.pad_left + s * p.dilation_w));
      tw.push_back(wt);
    }
  const std::size_t T = tw.size(), h = T / 2;
  volatile double acc = start;
  if (p.summation == Summation::ndimage) {
    for (std::size_t t = 0; t < T; ++t) {
      const double prod = tw[t] * x[t];
      acc = acc + prod;
    }
    return acc;
  }
  bool sym = T % 2 == 1, anti = T % 2 == 1;
  for (std::size_t i = 1; i <= h && T % 2; ++i) {
    sym = sym && std::fabs(tw[h + i] - tw[h - i]) <= DBL_EPSILON;
    anti = anti && std::fabs(tw[h + i] + tw[h - i]) <= DBL_EPSILON;
  }
  if (sym || anti) {
    acc = x[h] * tw[h];
    for (std::size_t t = 0; t < h; ++t) {
      const double pair = sym ? x[t] + x[T - 1 - t] : x[t] - x[T - 1 - t];
      const double prod = pair * tw[t];
      acc = acc + prod;
    }
  } else {
    acc = x[T - 1] * tw[T - 1];
    for (std::size_t t = 0; t + 1 < T; ++t) {
      const double prod = x[t] * tw[t];
      acc = acc + prod;
    }
  }
  return acc;
}

TEST(Ordered, SumsInScipysOrderBitForBit) {
  test::Rng rng(61);
  const int cases = test::case_count(400);
  for (int iter = 0; iter < cases; ++iter) {
    ConvProblem p = test::random_filter_problem(rng, 40, 9, {1, 1, 2, 3}, 0.2);
    p.delta = 0.0;
    p.dst_dtype = DType::f64;
    const bool line = rng.chance(0.6);
    p.summation = line ? Summation::ndimage_line : Summation::ndimage;
    if (line) {
      if (rng.chance(0.5)) p.r = 1, p.pad_top = 0, p.pad_bottom = 0;
      else p.s = 1, p.pad_left = 0, p.pad_right = 0;
      if (p.out_h() < 1 || p.out_w() < 1) continue;
    }
    p.has_residual = !line && rng.chance(0.3);
    const std::int64_t T = p.r * p.s;
    std::vector<double> w(std::size_t(p.k * T));
    for (std::int64_t k = 0; k < p.k; ++k) {
      double* wk = w.data() + k * T;
      for (std::int64_t t = 0; t < T; ++t) wk[t] = double(float(rng.real(-1, 1)));
      const int kind = int(rng.uniform(0, 2));
      for (std::int64_t t = 0; t < T / 2 && kind; ++t) wk[T - 1 - t] = kind == 1 ? wk[t] : -wk[t];
      if (kind == 2 && T % 2) wk[T / 2] = 0;
      if (!line)
        for (std::int64_t t = 0; t < T; ++t)
          if (rng.chance(0.15)) wk[t] = rng.chance(0.5) ? 0.0 : 1e-17;  // skipped by NI_Correlate
    }
    p.filter_dtype = DType::f64;
    const ConstTensorView filter(w.data(), DType::f64, {p.k, 1, p.r, p.s});
    test::OwnedView src = test::random_view(p.src_dtype, {1, p.c, p.h, p.w}, rng);
    test::fill_random(src.view, rng, 100);
    const std::int64_t P = p.out_h(), Q = p.out_w();
    Tensor out(DType::f64, {1, p.k, P, Q}), start(DType::f64, {1, p.k, P, Q});
    for (std::int64_t i = 0; i < start.numel(); ++i) start.data_as<double>()[i] = rng.real(-3, 3);
    PlanOptions o;
    o.algorithm = Algorithm::ordered;
    const Plan plan(p, filter, {}, o);
    ASSERT_EQ(plan.algorithm(), Algorithm::ordered) << p.to_string();
    if (p.has_residual) {
      std::memcpy(out.data(), start.data(), std::size_t(out.numel()) * sizeof(double));
      plan.execute(src.view, out.view(), out.cview());  // accumulates onto itself
    } else {
      plan.execute(src.view, out.view());
    }
    for (std::int64_t c = 0; c < p.k; ++c)
      for (std::int64_t y = 0; y < P; ++y)
        for (std::int64_t x = 0; x < Q; ++x) {
          const std::int64_t i = (c * P + y) * Q + x;
          const double want = scipy_order(p, std::vector<double>(w.begin() + c * T, w.begin() + (c + 1) * T),
                                           src.view, 0, c, y, x,
                                           p.has_residual ? start.data_as<double>()[i] : 0.0);
          const double got = out.data_as<double>()[i];
          ASSERT_EQ(std::memcmp(&got, &want, sizeof(double)), 0)
              << p.to_string() << " at c=" << c << " y=" << y << " x=" << x << ": " << got
              << " != " << want;
        }
  }
}

TEST(Ordered, OnlyOrderedOrTheReferenceRunsAFixedOrder) {
  ConvProblem p;
  p.h = p.w = 8, p.r = 1, p.s = 3, p.pad_left = p.pad_right = 1;
  p.src_dtype = p.dst_dtype = DType::f32;
  p.summation = Summation::ndimage_line;
  const double taps[3] = {0.25, 0.5, 0.25};
  const ConstTensorView filter(taps, DType::f64, {1, 1, 1, 3});
  EXPECT_EQ(Plan(p, filter).algorithm(), Algorithm::ordered);
  PlanOptions direct;
  direct.algorithm = Algorithm::direct;
  EXPECT_EQ(test::error_parameter([&] { Plan(p, filter, {}, direct); }), "algorithm");
  p.summation = Summation::any;
  EXPECT_NE(Plan(p, filter).algorithm(), Algorithm::ordered);  // opt-in otherwise
}

}  // namespace
}  // namespace convkit
