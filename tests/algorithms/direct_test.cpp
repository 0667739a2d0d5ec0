// The direct algorithm against the reference over thousands of random image-filtering problems:
// sizes 1..70 (1-pixel images, kernels larger than the image), kernels 1x1..15x15 (even ones
// too), every border, every supported dtype pair, random anchors (pads), dilation, 1..4
// channels interleaved or planar, and awkward views (gaps, reversed and permuted axes).
#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "convkit/plan.h"
#include "test_util.h"

namespace convkit {
namespace {

const std::vector<DType> kImageTypes = {DType::u8, DType::u16, DType::i16, DType::f32, DType::f64};
const std::vector<Border> kBorders = {Border::constant, Border::replicate, Border::reflect,
                                      Border::mirror, Border::wrap};

ConvProblem random_problem(test::Rng& rng) {
  ConvProblem p;
  p.c = p.k = p.groups = rng.pick(std::vector<std::int64_t>{1, 1, 1, 2, 3, 4});
  p.h = rng.chance(0.1) ? 1 : rng.uniform(1, 70);
  p.w = rng.chance(0.1) ? 1 : rng.uniform(1, 70);
  p.r = rng.uniform(1, 15);
  p.s = rng.uniform(1, 15);
  if (rng.chance(0.2)) p.dilation_h = rng.uniform(1, 3), p.dilation_w = rng.uniform(1, 3);
  // Anchor-like pads, and sometimes "full"-like or lopsided ones.
  const std::int64_t eh = (p.r - 1) * p.dilation_h, ew = (p.s - 1) * p.dilation_w;
  p.pad_top = rng.uniform(0, eh), p.pad_left = rng.uniform(0, ew);
  p.pad_bottom = rng.chance(0.7) ? eh - p.pad_top : rng.uniform(0, eh + 3);
  p.pad_right = rng.chance(0.7) ? ew - p.pad_left : rng.uniform(0, ew + 3);
  if (p.out_h() < 1) p.pad_bottom += 1 - p.out_h();
  if (p.out_w() < 1) p.pad_right += 1 - p.out_w();
  p.border = rng.pick(kBorders);
  p.src_dtype = rng.pick(kImageTypes);
  p.dst_dtype = rng.pick(kImageTypes);
  p.filter_dtype = rng.chance(0.5) ? DType::f64 : DType::f32;
  p.border_value = rng.chance(0.5) ? 0.0 : double(rng.uniform(-3, 300));
  p.delta = rng.chance(0.6) ? 0.0 : rng.real(-50, 50);
  if (rng.chance(0.3)) p.delta = double(rng.uniform(-50, 50));
  p.rounding = Rounding::saturate;
  return p;
}

TEST(Direct, MatchesReferenceOnRandomProblems) {
  test::Rng rng(2026);
  int ran = 0;
  for (int iter = 0; iter < test::case_count(3000); ++iter) {
    const ConvProblem p = random_problem(rng);
    // Per-channel kernels (planar path), or one kernel shared by every channel (stride 0).
    const bool shared = rng.chance(0.6);
    Tensor own_filter(p.filter_dtype, {shared ? 1 : p.k, 1, p.r, p.s});
    // Dyadic taps keep f32 sums exact; real-valued taps exercise the general path.
    const bool dyadic = rng.chance(0.5);
    for (std::int64_t i = 0; i < own_filter.numel(); ++i) {
      const double t = dyadic ? double(rng.uniform(-8, 8)) / 8 : rng.real(-1, 1);
      store_real(t, static_cast<char*>(own_filter.data()) + i * std::int64_t(dtype_size(p.filter_dtype)),
                 p.filter_dtype, Rounding::saturate);
    }
    ConstTensorView filter = own_filter.cview();
    if (shared)
      filter = ConstTensorView(own_filter.data(), p.filter_dtype,
                               std::array<std::int64_t, 4>{p.k, 1, p.r, p.s},
                               std::array<std::int64_t, 4>{0, 0, p.s, 1});
    // Input as an HWC image (channels adjacent) or any awkward N x C x H x W view.
    test::OwnedView src;
    const bool hwc = rng.chance(0.5);
    if (hwc) {
      auto img = test::random_view(p.src_dtype, {p.h, p.w, p.c}, rng, false);
      src.storage = std::move(img.storage);
      src.view = TensorView(src.storage.data(), p.src_dtype,
                            std::array<std::int64_t, 4>{1, p.c, p.h, p.w},
                            std::array<std::int64_t, 4>{0, 1, p.w * p.c, p.c});
    } else {
      src = test::random_view(p.src_dtype, {1, p.c, p.h, p.w}, rng);
    }
    test::fill_random(src.view, rng, 100);
    const std::int64_t P = p.out_h(), Q = p.out_w();
    Tensor ref_out(p.dst_dtype, {1, p.k, P, Q});
    test::OwnedView out;
    if (hwc) {
      out.storage = Tensor(p.dst_dtype, {P, Q, p.k});
      out.view = TensorView(out.storage.data(), p.dst_dtype, std::array<std::int64_t, 4>{1, p.k, P, Q},
                            std::array<std::int64_t, 4>{0, 1, Q * p.k, p.k});
    } else {
      out = test::random_view(p.dst_dtype, {1, p.k, P, Q}, rng);
    }
    std::ostringstream ctx;
    ctx << "case " << iter << " " << p.to_string() << " delta=" << p.delta.real()
        << (hwc ? " hwc" : "") << (shared ? " shared-kernel" : "") << " src strides";
    for (int i = 0; i < 4; ++i) ctx << ' ' << src.view.stride(i);
    ctx << " dst strides";
    for (int i = 0; i < 4; ++i) ctx << ' ' << out.view.stride(i);
    Plan fast(p, filter, {}, {Algorithm::direct});
    Plan ref(p, filter, {}, {Algorithm::reference});
    fast.execute(src.view, out.view);
    ref.execute(src.view, ref_out);
    ++ran;
    double max_abs_in = 1;
    for (std::int64_t i = 0; i < src.view.numel(); ++i)
      max_abs_in = std::max(max_abs_in, std::abs(test::element(src.view, i)));
    double tap_sum = 0;
    for (std::int64_t i = 0; i < own_filter.numel(); ++i) tap_sum += std::abs(test::element(own_filter, i));
    const double mag = tap_sum * std::max(max_abs_in, std::abs(p.border_value.real())) + 60;
    const double tol = (p.dst_dtype == DType::f64 && p.src_dtype != DType::f32) ? 1e-12 : 2e-6;
    for (std::int64_t i = 0; i < ref_out.numel(); ++i) {
      const double got = test::element(out.view, i).real(), want = test::element(ref_out, i).real();
      if (is_integer(p.dst_dtype)) {
        // Integer input accumulates exactly (f64, or f32 where that is exact); float input
        // accumulates in float like OpenCV and may differ by one where the value ties.
        const double allowed = is_integer(p.src_dtype) ? 0 : 1;
        ASSERT_LE(std::abs(got - want), allowed)
            << ctx.str() << " at " << i << ": " << got << " vs " << want << "\n" << fast.explain();
      } else {
        ASSERT_LE(std::abs(got - want), tol * mag)
            << ctx.str() << " at " << i << ": " << got << " vs " << want << "\n" << fast.explain();
      }
    }
  }
  EXPECT_GT(ran, 0);
}

TEST(Direct, PlannerPrefersDirectAndExplains) {
  ConvProblem p;
  p.h = p.w = 32, p.r = p.s = 3, p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  double taps[9] = {};
  Plan plan(p, ConstTensorView(taps, DType::f64, {1, 1, 3, 3}));
  EXPECT_EQ(plan.algorithm(), Algorithm::direct);
  EXPECT_NE(plan.explain().find("<- chosen"), std::string::npos);
  EXPECT_NE(plan.explain().find("reference"), std::string::npos);
  p.stride_h = 2;
  Plan strided(p, ConstTensorView(taps, DType::f64, {1, 1, 3, 3}));
  EXPECT_EQ(strided.algorithm(), Algorithm::reference);
  EXPECT_NE(strided.explain().find("stride"), std::string::npos);
  EXPECT_THROW(Plan(p, ConstTensorView(taps, DType::f64, {1, 1, 3, 3}), {}, {Algorithm::direct}), Error);
}

TEST(Direct, InPlaceUseWorksFromAPrivateCopy) {
  ConvProblem p;
  p.h = 5, p.w = 6, p.r = p.s = 3, p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  p.border = Border::replicate;
  float img[30], copy_of[30], expect[30];
  for (int i = 0; i < 30; ++i) img[i] = copy_of[i] = float(i * i % 7);
  double taps[9] = {0, 1, 0, 1, 1, 1, 0, 1, 0};
  Plan plan(p, ConstTensorView(taps, DType::f64, {1, 1, 3, 3}));
  plan.execute(ConstTensorView(copy_of, DType::f32, {1, 1, 5, 6}), TensorView(expect, DType::f32, {1, 1, 5, 6}));
  plan.execute(ConstTensorView(img, DType::f32, {1, 1, 5, 6}), TensorView(img, DType::f32, {1, 1, 5, 6}));
  for (int i = 0; i < 30; ++i) EXPECT_EQ(img[i], expect[i]);
}

}  // namespace
}  // namespace convkit
