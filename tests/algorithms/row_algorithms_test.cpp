// The row algorithms (direct, separable, box) against the reference over thousands of random
// image-filtering problems:
// sizes 1..70 (1-pixel images, kernels larger than the image), kernels 1x1..15x15 (even ones
// too), every border, every supported dtype pair, random anchors (pads), dilation, 1..4
// channels interleaved or planar, and awkward views (gaps, reversed and permuted axes).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "convkit/plan.h"
#include "test_util.h"

namespace convkit {
namespace {

ConvProblem random_problem(test::Rng& rng) {
  ConvProblem p = test::random_filter_problem(rng, 70, 15, {1, 1, 1, 2, 3, 4}, 0.2);
  if (rng.chance(0.3)) p.delta = double(rng.uniform(-50, 50));
  return p;
}

// How the test kernel is made, so each algorithm sees the kernels it accepts.
enum class KernelKind {
  dense,     // random taps (rank > 1 almost surely)
  rank1,     // a dense outer product: the planner's factoring must find it
  rank2,     // a sum of two outer products: the SVD must find both terms
  factored,  // given as two 1-D kernels (SeparableKernel)
  uniform,   // every tap equal (box)
};

struct Case {
  ConvProblem p;
  Tensor filter;                 // K x 1 x R x S (or 1 x 1 x R x S, shared through stride 0)
  std::vector<double> col, row;  // for KernelKind::factored
  bool shared = false;
};

double random_tap(test::Rng& rng, bool dyadic) {
  return dyadic ? double(rng.uniform(-8, 8)) / 8 : rng.real(-1, 1);
}

// Runs `algorithm` and the reference on random problems with `kind` kernels and compares.
void check_against_reference(Algorithm algorithm, KernelKind kind, std::uint64_t seed, int cases) {
  test::Rng rng(seed);
  int ran = 0;
  for (int iter = 0; iter < cases; ++iter) {
    Case tc;
    do {  // running sums (box) have no dilation
      tc.p = random_problem(rng);
    } while (kind == KernelKind::uniform && (tc.p.dilation_h != 1 || tc.p.dilation_w != 1));
    ConvProblem& p = tc.p;
    if (kind == KernelKind::factored) {
      p.filter_dtype = DType::f64;
      tc.shared = true;  // one factored kernel for every channel
    } else {
      // Per-channel kernels (planar path), or one kernel shared by every channel (stride 0).
      tc.shared = rng.chance(0.6);
    }
    const std::int64_t kn = tc.shared ? 1 : p.k;
    tc.filter = Tensor(p.filter_dtype, {kn, 1, p.r, p.s});
    // Dyadic taps keep f32 sums exact; real-valued taps exercise the general path.
    const bool dyadic = rng.chance(0.5);
    std::vector<double> taps(std::size_t(kn * p.r * p.s));
    for (std::int64_t k = 0; k < kn; ++k) {
      std::vector<double> col(std::size_t(p.r)), row(std::size_t(p.s));
      std::vector<double> col2(std::size_t(p.r)), row2(std::size_t(p.s));
      for (auto& v : col) v = random_tap(rng, dyadic);
      for (auto& v : row) v = random_tap(rng, dyadic);
      for (auto& v : col2) v = random_tap(rng, dyadic);
      for (auto& v : row2) v = random_tap(rng, dyadic);
      const double u = kind == KernelKind::uniform
                           ? (rng.chance(0.5) ? 1.0 / double(p.r * p.s) : random_tap(rng, dyadic))
                           : 0;
      for (std::int64_t r = 0; r < p.r; ++r)
        for (std::int64_t s = 0; s < p.s; ++s) {
          double& t = taps[std::size_t((k * p.r + r) * p.s + s)];
          switch (kind) {
            case KernelKind::dense: t = random_tap(rng, dyadic); break;
            case KernelKind::uniform: t = u; break;
            case KernelKind::rank2:
              t = col[std::size_t(r)] * row[std::size_t(s)] + col2[std::size_t(r)] * row2[std::size_t(s)];
              break;
            default: t = col[std::size_t(r)] * row[std::size_t(s)]; break;
          }
        }
      if (k == 0) tc.col = col, tc.row = row;
    }
    for (std::size_t i = 0; i < taps.size(); ++i)
      store_real(taps[i], static_cast<char*>(tc.filter.data()) + i * dtype_size(p.filter_dtype),
                 p.filter_dtype, Rounding::saturate);
    if (kind == KernelKind::uniform && p.filter_dtype == DType::f32)
      for (std::size_t i = 0; i < taps.size(); ++i) taps[i] = double(float(taps[i]));
    ConstTensorView filter = tc.filter.cview();
    if (tc.shared)
      filter = ConstTensorView(tc.filter.data(), p.filter_dtype,
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
    ctx << algorithm_name(algorithm) << " case " << iter << " " << p.to_string()
        << " delta=" << p.delta.real() << (hwc ? " hwc" : "") << (tc.shared ? " shared-kernel" : "")
        << (dyadic ? " dyadic" : "") << " src strides";
    for (int i = 0; i < 4; ++i) ctx << ' ' << src.view.stride(i);
    ctx << " dst strides";
    for (int i = 0; i < 4; ++i) ctx << ' ' << out.view.stride(i);
    auto make = [&](Algorithm a) {
      if (kind == KernelKind::factored)
        return Plan(p, SeparableKernel{ConstTensorView(tc.col.data(), DType::f64, {p.r}),
                                       ConstTensorView(tc.row.data(), DType::f64, {p.s})},
                    {}, {a});
      return Plan(p, filter, {}, {a});
    };
    Plan ref = make(Algorithm::reference);
    std::string why;
    try {
      Plan fast = make(algorithm);
      fast.execute(src.view, out.view);
      why = fast.explain();
    } catch (const Error& e) {
      // Only these refusals are acceptable: integer output the algorithm cannot make exact, a
      // kernel stored in f32 that is rank 1 only within f32 round-off (for an f64 result), or a
      // rank-2 kernel too small to be worth two passes.
      const std::string msg = e.what();
      ASSERT_TRUE(algorithm != Algorithm::direct &&
                  ((is_integer(p.dst_dtype) && msg.find("exact") != std::string::npos) ||
                   msg.find("approximately rank 1") != std::string::npos ||
                   // small kernels are not factored into two terms: the dense one is cheaper
                   (kind == KernelKind::rank2 && msg.find("no low-rank") != std::string::npos)))
          << ctx.str() << ": " << msg;
      continue;
    }
    ref.execute(src.view, ref_out);
    // The reference's value before rounding, to tell near-ties apart.
    Tensor unrounded(DType::f64, {1, p.k, P, Q});
    if (is_integer(p.dst_dtype)) {
      const DType keep = p.dst_dtype;
      p.dst_dtype = DType::f64;
      make(Algorithm::reference).execute(src.view, unrounded);
      p.dst_dtype = keep;
    }
    ++ran;
    double max_abs_in = 1;
    for (std::int64_t i = 0; i < src.view.numel(); ++i)
      max_abs_in = std::max(max_abs_in, std::abs(test::element(src.view, i)));
    double tap_sum = 0;
    for (double t : taps) tap_sum += std::abs(t);
    const double mag = tap_sum * std::max(max_abs_in, std::abs(p.border_value.real())) + 60;
    double tol = (p.dst_dtype == DType::f64 && p.src_dtype != DType::f32) ? 1e-12 : 2e-6;
    // Running sums (box) add and subtract: round-off grows with the number of updates.
    if (algorithm == Algorithm::box) tol *= 4;
    for (std::int64_t i = 0; i < ref_out.numel(); ++i) {
      const double got = test::element(out.view, i).real(), want = test::element(ref_out, i).real();
      if (is_integer(p.dst_dtype)) {
        // Integer results equal the reference's, except where the exact value lies within
        // float round-off of a rounding tie: then a different summation order (or float
        // accumulation of float input, as OpenCV does) may round the other way.
        const double exact = test::element(unrounded, i).real();
        const double from_tie = std::abs(exact - std::floor(exact) - 0.5);
        const bool near_tie = from_tie <= tol * mag || !is_integer(p.src_dtype);
        ASSERT_LE(std::abs(got - want), near_tie ? 1 : 0)
            << ctx.str() << " at " << i << ": " << got << " vs " << want << " (exact " << exact
            << ")\n" << why;
      } else {
        ASSERT_LE(std::abs(got - want), tol * mag)
            << ctx.str() << " at " << i << ": " << got << " vs " << want << "\n" << why;
      }
    }
  }
  EXPECT_GT(ran, cases / 4) << "too many cases refused";
}

TEST(Direct, MatchesReferenceOnRandomProblems) {
  check_against_reference(Algorithm::direct, KernelKind::dense, 2026, test::case_count(3000));
}

TEST(Separable, MatchesReferenceOnDenseRank1Kernels) {
  check_against_reference(Algorithm::separable, KernelKind::rank1, 7, test::case_count(1500));
}

TEST(Separable, MatchesReferenceOnRank2Kernels) {
  check_against_reference(Algorithm::separable, KernelKind::rank2, 11, test::case_count(1000));
}

TEST(Separable, MatchesReferenceOnFactoredKernels) {
  check_against_reference(Algorithm::separable, KernelKind::factored, 8, test::case_count(1500));
}

TEST(Direct, MatchesReferenceOnFactoredKernels) {
  check_against_reference(Algorithm::direct, KernelKind::factored, 9, test::case_count(500));
}

TEST(Box, MatchesReferenceOnUniformKernels) {
  check_against_reference(Algorithm::box, KernelKind::uniform, 10, test::case_count(2000));
}

TEST(Separable, PlannerFactorsRank1KernelsExactly) {
  ConvProblem p;
  p.h = p.w = 64, p.r = p.s = 7;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 3;
  p.src_dtype = p.dst_dtype = DType::u8;
  // Binomial (x) derivative, given dense: integer taps, factored exactly.
  const double col[7] = {1, 6, 15, 20, 15, 6, 1}, row[7] = {-1, -4, -5, 0, 5, 4, 1};
  double taps[49];
  for (int r = 0; r < 7; ++r)
    for (int s = 0; s < 7; ++s) taps[r * 7 + s] = col[r] * row[s] / 4096;
  Plan plan(p, ConstTensorView(taps, DType::f64, {1, 1, 7, 7}));
  EXPECT_EQ(plan.algorithm(), Algorithm::separable) << plan.explain();
  // A fixed-point Gaussian (integers over 2^16): no tap divides out dyadically; still exact.
  const double g[5] = {14, 62, 104, 62, 14};
  double gauss[25];
  for (int r = 0; r < 5; ++r)
    for (int s = 0; s < 5; ++s) gauss[r * 5 + s] = g[r] * g[s] / 65536;
  ConvProblem q = p;
  q.r = q.s = 5;
  q.pad_top = q.pad_left = q.pad_bottom = q.pad_right = 2;
  Plan gplan(q, ConstTensorView(gauss, DType::f64, {1, 1, 5, 5}));
  EXPECT_EQ(gplan.algorithm(), Algorithm::separable) << gplan.explain();
  EXPECT_NE(gplan.explain().find("f32 accumulation"), std::string::npos) << gplan.explain();
  // Rank 2: two passes (SVD terms), when asked for.
  taps[0] += 1;
  Plan rank2(p, ConstTensorView(taps, DType::f64, {1, 1, 7, 7}), {}, {Algorithm::separable});
  EXPECT_NE(rank2.explain().find("2 rank-1 terms"), std::string::npos) << rank2.explain();
  // Full rank: no factoring.
  for (int i = 0; i < 49; ++i) taps[i] = double((i * 37) % 11) - 5 + (i == 24 ? 0.5 : 0);
  Plan dense(p, ConstTensorView(taps, DType::f64, {1, 1, 7, 7}));
  EXPECT_NE(dense.algorithm(), Algorithm::separable) << dense.explain();
  EXPECT_NE(dense.explain().find("no low-rank"), std::string::npos) << dense.explain();
}

TEST(Direct, PlannerPrefersDirectAndExplains) {
  ConvProblem p;  // large enough that depthwise's padded plane copy does not pay
  p.h = p.w = 512, p.r = p.s = 3, p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  double taps[9] = {1, 2, 3, 4, 5, 6, 7, 8, 10};  // rank 3: not separable
  Plan plan(p, ConstTensorView(taps, DType::f64, {1, 1, 3, 3}));
  EXPECT_EQ(plan.algorithm(), Algorithm::direct);
  EXPECT_NE(plan.explain().find("<- chosen"), std::string::npos);
  EXPECT_NE(plan.explain().find("reference"), std::string::npos);
  p.stride_h = 2;
  Plan strided(p, ConstTensorView(taps, DType::f64, {1, 1, 3, 3}));
  EXPECT_EQ(strided.algorithm(), Algorithm::depthwise);  // per-channel f32 at any stride
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
