// The blur operator of the deconvolutions against a plain loop (the oracle): forward blur and
// back-projection, direct and FFT engines, zero and periodic boundaries, both conventions, odd
// and even PSFs, ranks 1-3; the exact adjoint passes a dot-product test; and the front ends'
// checks and promises (Richardson-Lucy leaves a constant image alone, Wiener inverts an exact
// periodic blur with balance 0).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "convkit/error.h"
#include "convkit/restoration.h"
#include "restoration/blur.h"

namespace convkit::restoration {
namespace {

// out[j] = sum_r in[j - p + r] g[r] over D x H x W, zeros (or wrap) outside.
std::vector<double> correlate_loop(const std::vector<double>& in, const Dims& d,
                                   const std::vector<double>& g, const Dims& k, const Dims& p,
                                   bool wrap) {
  std::vector<double> out(in.size(), 0.0);
  for (std::int64_t a = 0; a < d[0]; ++a)
    for (std::int64_t b = 0; b < d[1]; ++b)
      for (std::int64_t c = 0; c < d[2]; ++c) {
        double s = 0;
        for (std::int64_t x = 0; x < k[0]; ++x)
          for (std::int64_t y = 0; y < k[1]; ++y)
            for (std::int64_t z = 0; z < k[2]; ++z) {
              std::int64_t i = a - p[0] + x, j = b - p[1] + y, l = c - p[2] + z;
              if (wrap) {
                i = ((i % d[0]) + d[0]) % d[0], j = ((j % d[1]) + d[1]) % d[1];
                l = ((l % d[2]) + d[2]) % d[2];
              } else if (i < 0 || j < 0 || l < 0 || i >= d[0] || j >= d[1] || l >= d[2]) {
                continue;
              }
              s += in[std::size_t((i * d[1] + j) * d[2] + l)] * g[std::size_t((x * k[1] + y) * k[2] + z)];
            }
        out[std::size_t((a * d[1] + b) * d[2] + c)] = s;
      }
  return out;
}

struct Case {
  int rank;
  Dims d, k;
};

TEST(RestorationBlur, MatchesPlainLoopOnEveryEngineAndConvention) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  const std::vector<Case> cases = {{1, {1, 1, 37}, {1, 1, 4}}, {1, {1, 1, 20}, {1, 1, 7}},
                                   {2, {1, 19, 23}, {1, 5, 4}}, {2, {1, 16, 9}, {1, 1, 1}},
                                   {2, {1, 12, 12}, {1, 12, 12}}, {3, {6, 9, 11}, {3, 2, 5}},
                                   {3, {5, 7, 8}, {4, 3, 3}}};
  for (const Case& cs : cases)
   for (bool separable : {false, true})  // depth (x) plane PSFs take the direct engine's own form
    for (Engine engine : {Engine::direct, Engine::fft})
      for (Convention conv : {Convention::skimage, Convention::adjoint})
        for (bool periodic : {false, true}) {
          const Dims& d = cs.d;
          const Dims& k = cs.k;
          std::vector<double> x(std::size_t(d[0] * d[1] * d[2])), h(std::size_t(k[0] * k[1] * k[2]));
          for (auto& v : x) v = u(rng);
          for (auto& v : h) v = u(rng);
          if (separable) {
            if (cs.rank < 3) continue;
            const std::int64_t m = k[1] * k[2];
            for (std::int64_t a = 0; a < k[0]; ++a)
              for (std::int64_t i = 0; i < m; ++i) h[std::size_t(a * m + i)] = h[std::size_t(i)] * (a + 1.5);
          }
          std::array<std::int64_t, 3> ks{};
          for (int i = 0; i < cs.rank; ++i) ks[std::size_t(i)] = k[std::size_t(3 - cs.rank + i)];
          const ConstTensorView psf(h.data(), DType::f64,
                                    std::span<const std::int64_t>(ks.data(), std::size_t(cs.rank)));
          Blur<double> blur(cs.rank, d, psf, periodic, conv, engine);
          std::vector<double> y(x.size()), back(x.size());
          blur.forward(x.data(), y.data());
          blur.adjoint(y.data(), back.data());
          std::vector<double> flipped(h.rbegin(), h.rend());
          Dims pf{}, pa{};
          for (std::size_t i = 0; i < 3; ++i) {
            const std::int64_t s = (k[i] - 1) / 2;
            pf[i] = periodic ? k[i] - 1 - k[i] / 2 : k[i] - 1 - s;
            pa[i] = periodic ? k[i] / 2 : conv == Convention::skimage ? k[i] - 1 - s : s;
          }
          const auto want_y = correlate_loop(x, d, flipped, k, pf, periodic);
          const auto want_back = correlate_loop(y, d, h, k, pa, periodic);
          for (std::size_t i = 0; i < x.size(); ++i) {
            ASSERT_NEAR(y[i], want_y[i], 1e-10) << blur.description() << " case " << cs.rank << " at " << i;
            ASSERT_NEAR(back[i], want_back[i], 1e-9) << blur.description() << " adjoint at " << i;
          }
          if (conv == Convention::adjoint || periodic) {  // <Hx, z> == <x, H^T z>
            std::vector<double> z(x.size()), hz(x.size());
            for (auto& v : z) v = u(rng);
            blur.adjoint(z.data(), hz.data());
            double lhs = 0, rhs = 0;
            for (std::size_t i = 0; i < x.size(); ++i) lhs += y[i] * z[i], rhs += x[i] * hz[i];
            EXPECT_NEAR(lhs, rhs, 1e-9 * std::abs(lhs)) << blur.description();
          }
        }
}

TEST(Restoration, RichardsonLucyKeepsAConstantImageUnderAPeriodicBlur) {
  std::vector<float> img(30 * 40, 0.25f);
  const float psf[9] = {0, 0.1f, 0, 0.1f, 0.6f, 0.1f, 0, 0.1f, 0};
  RichardsonLucyOptions o;
  o.boundary = Boundary::periodic;
  o.num_iter = 40;
  const Tensor out = richardson_lucy(ConstTensorView(img.data(), DType::f32, {30, 40}),
                                     ConstTensorView(psf, DType::f32, {3, 3}), o);
  ASSERT_EQ(out.dtype(), DType::f32);
  for (std::int64_t i = 0; i < 30 * 40; ++i) ASSERT_NEAR(out.data_as<float>()[i], 0.25f, 1e-5);
}

TEST(Restoration, WienerWithoutRegularisationInvertsAPeriodicBlur) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(0, 1);
  const Dims d{1, 24, 30};
  std::vector<double> x(24 * 30);
  for (auto& v : x) v = u(rng);
  const std::vector<double> h = {0.05, 0.1, 0.05, 0.1, 0.4, 0.1, 0.05, 0.1, 0.05};
  const auto blurred = correlate_loop(x, d, std::vector<double>(h.rbegin(), h.rend()), {1, 3, 3},
                                      {0, 1, 1}, true);
  const Tensor out = wiener(ConstTensorView(blurred.data(), DType::f64, {24, 30}),
                            ConstTensorView(h.data(), DType::f64, {3, 3}), 0.0);
  for (std::size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(out.data_as<double>()[i], x[i], 1e-9);
}

TEST(Restoration, BadInputNamesTheParameter) {
  std::vector<double> img(16, 1.0), zero(4, 0.0), big(25, 1.0);
  const ConstTensorView im(img.data(), DType::f64, {4, 4});
  auto message = [](auto&& f) {
    try {
      f();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message([&] { richardson_lucy(im, ConstTensorView(zero.data(), DType::f64, {2, 2})); })
                .find("psf"), std::string::npos);
  EXPECT_NE(message([&] { richardson_lucy(im, ConstTensorView(big.data(), DType::f64, {5, 5})); })
                .find("larger"), std::string::npos);
  img[5] = std::nan("");
  EXPECT_NE(message([&] { wiener(im, ConstTensorView(big.data(), DType::f64, {1, 1}), 0.1); })
                .find("image"), std::string::npos);
  EXPECT_NE(message([] { psf_from_spec("disk:-1"); }).find("radius"), std::string::npos);
  EXPECT_NE(message([] { psf_from_spec("blob:3"); }).find("psf"), std::string::npos);
}

TEST(Restoration, PsfBuildersAreNormalised) {
  for (const char* spec : {"gaussian:1.5", "gaussian:1,2", "disk:3", "disk:0.5", "motion:9,30",
                           "motion:4", "motion:7,90"}) {
    const Tensor p = psf_from_spec(spec);
    double s = 0;
    for (std::int64_t i = 0; i < p.cview().numel(); ++i) s += p.data_as<double>()[i];
    EXPECT_NEAR(s, 1.0, 1e-12) << spec;
  }
  const Tensor m = psf_from_spec("motion:5");
  EXPECT_EQ(m.dim(0), 1);
  EXPECT_EQ(m.dim(1), 5);
}

}  // namespace
}  // namespace convkit::restoration
