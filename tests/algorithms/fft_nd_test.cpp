// The N-D FFT convolution (fft_nd.cpp) against a plain N-D convolution loop: ranks 1..4, every
// mode, f32 and f64, kernels larger than the input in 'full' and 'same', strided views.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <vector>

#include "algorithms/fft_nd.h"
#include "test_util.h"

namespace convkit {
namespace {

TEST(FftNd, MatchesTheDirectSum) {
  test::Rng rng(71);
  for (int iter = 0; iter < test::case_count(120); ++iter) {
    const int d = int(rng.uniform(1, 4));
    const signal::Mode mode = rng.pick(std::vector<signal::Mode>{
        signal::Mode::full, signal::Mode::same, signal::Mode::valid});
    std::vector<std::int64_t> as(static_cast<std::size_t>(d)), bs(static_cast<std::size_t>(d));
    const std::int64_t most = d >= 3 ? 5 : 9;  // the direct sum below is O(in x out)
    for (int i = 0; i < d; ++i) {
      as[std::size_t(i)] = rng.uniform(1, most);
      bs[std::size_t(i)] = mode == signal::Mode::valid ? rng.uniform(1, as[std::size_t(i)])
                                                       : rng.uniform(1, most + 2);
    }
    const DType t = rng.chance(0.5) ? DType::f32 : DType::f64;
    test::OwnedView a = test::random_view(t, as, rng), b = test::random_view(t, bs, rng);
    test::fill_random(a.view, rng, 1), test::fill_random(b.view, rng, 1);
    const Geometry g = fft::nd_output_shape(a.view, b.view, mode);
    Tensor out(t, std::span<const std::int64_t>(g.shape.data(), std::size_t(d)));
    fft::convolve_nd(a.view, b.view, mode, out.view());
    // The direct sum: full[i] = sum_j a[j] b[i - j]; the mode's window starts at (full - shape)/2.
    std::array<std::int64_t, kMaxRank> full{}, start{}, idx{};
    for (int i = 0; i < d; ++i) {
      full[std::size_t(i)] = as[std::size_t(i)] + bs[std::size_t(i)] - 1;
      start[std::size_t(i)] = (full[std::size_t(i)] - g.shape[std::size_t(i)]) / 2;
    }
    double worst = 0, scale = 1e-30;
    std::vector<double> want(std::size_t(out.numel()));
    for (std::int64_t o = 0; o < out.numel(); ++o) {
      std::array<std::int64_t, kMaxRank> pos{};
      for (std::int64_t rem = o, i = d - 1; i >= 0; --i) {
        pos[std::size_t(i)] = rem % g.shape[std::size_t(i)] + start[std::size_t(i)];
        rem /= g.shape[std::size_t(i)];
      }
      double sum = 0;
      for (std::int64_t j = 0; j < a.view.numel(); ++j) {
        std::int64_t jb = 0, rem = j;
        bool inside = true;
        for (std::int64_t i = d - 1; i >= 0; --i) {
          const std::int64_t ai = rem % as[std::size_t(i)], bi = pos[std::size_t(i)] - ai;
          rem /= as[std::size_t(i)];
          inside = inside && bi >= 0 && bi < bs[std::size_t(i)];
          idx[std::size_t(i)] = bi;
        }
        if (!inside) continue;
        for (int i = 0; i < d; ++i) jb = jb * bs[std::size_t(i)] + idx[std::size_t(i)];
        sum += test::element(a.view, j).real() * test::element(b.view, jb).real();
      }
      want[std::size_t(o)] = sum;
      scale = std::max(scale, std::abs(sum));
    }
    for (std::int64_t o = 0; o < out.numel(); ++o)
      worst = std::max(worst, std::abs(test::element(out.cview(), o).real() - want[std::size_t(o)]));
    EXPECT_LE(worst / scale, t == DType::f32 ? 2e-5 : 1e-12)
        << "rank " << d << " a " << a.view.geometry().shape_string() << " b "
        << b.view.geometry().shape_string();
  }
}

TEST(FftNd, RefusesWhatItCannotRun) {
  std::vector<double> x(8, 1.0);
  const ConstTensorView a(x.data(), DType::f64, {2, 4}), b(x.data(), DType::f64, {8});
  EXPECT_EQ(test::error_parameter([&] { fft::nd_output_shape(a, b, signal::Mode::full); }), "in2");
  const ConstTensorView small(x.data(), DType::f64, {1, 2}), big(x.data(), DType::f64, {2, 4});
  EXPECT_EQ(test::error_parameter([&] { fft::nd_output_shape(small, big, signal::Mode::valid); }),
            "in2");
}

}  // namespace
}  // namespace convkit
