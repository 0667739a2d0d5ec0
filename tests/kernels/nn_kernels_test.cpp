// kernels/nn/nn.inc against a scalar loop, on the ISA CONVKIT_MAX_ISA allows.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

#include "kernels/nn/nn.h"
#include "test_util.h"

namespace convkit::kernels {
namespace {

struct Aligned {
  explicit Aligned(std::size_t n) {
    void* m = nullptr;
    EXPECT_EQ(posix_memalign(&m, 64, std::max<std::size_t>(n, 1) * sizeof(float)), 0);
    p.reset(static_cast<float*>(m));
  }
  struct Free {
    void operator()(float* f) const { std::free(f); }
  };
  std::unique_ptr<float, Free> p;
  float* get() const { return p.get(); }
};

TEST(NnKernels, ConvTileMatchesScalarLoop) {
  std::size_t lanes = 0, max_v = 0, gemm_nv = 0;
  f32_conv_shape(&lanes, &max_v, &gemm_nv);
  ASSERT_GE(lanes, 1u);
  ASSERT_GE(max_v, 1u);
  test::Rng rng(31);
  for (int iter = 0; iter < 200; ++iter) {
    const std::size_t V = std::size_t(rng.uniform(1, std::int64_t(max_v)));
    const std::size_t KB = V * lanes;
    const std::size_t nq = std::size_t(rng.uniform(1, 30)), ntaps = std::size_t(rng.uniform(1, 9));
    const std::size_t C = std::size_t(rng.uniform(1, 40));
    const bool accumulate = rng.chance(0.3);
    // Pixels at scattered offsets of one input buffer; taps at offsets from each pixel.
    const std::size_t span = 64 + ntaps * 3 * C;
    std::vector<float> input(nq * 5 + span + C);
    for (auto& v : input) v = float(rng.real(-1, 1));
    std::vector<const float*> px(nq);
    for (std::size_t t = 0; t < nq; ++t) px[t] = input.data() + rng.uniform(0, std::int64_t(nq * 5));
    std::vector<std::ptrdiff_t> off(ntaps);
    for (auto& o : off) o = rng.uniform(0, std::int64_t(span - C));
    Aligned w(ntaps * C * KB), out(nq * KB);
    for (std::size_t i = 0; i < ntaps * C * KB; ++i) w.get()[i] = float(rng.real(-1, 1));
    std::vector<const float*> w_tap(ntaps);
    for (std::size_t i = 0; i < ntaps; ++i) w_tap[i] = w.get() + i * C * KB;
    std::vector<double> init(nq * KB);
    for (std::size_t i = 0; i < nq * KB; ++i) out.get()[i] = float(init[i] = rng.real(-1, 1));
    f32_conv_tile(px.data(), nq, off.data(), w_tap.data(), ntaps, C, V, out.get(), KB, accumulate);
    for (std::size_t t = 0; t < nq; ++t)
      for (std::size_t j = 0; j < KB; ++j) {
        double e = accumulate ? init[t * KB + j] : 0.0;
        for (std::size_t i = 0; i < ntaps; ++i)
          for (std::size_t c = 0; c < C; ++c) e += double(w_tap[i][c * KB + j]) * px[t][off[i] + c];
        ASSERT_NEAR(out.get()[t * KB + j], e, 1e-5 * double(ntaps * C + 1))
            << "t=" << t << " j=" << j << " V=" << V << " nq=" << nq;
      }
  }
}

// f32_gemm_tile against the scalar loop, and f32_gemm_store against the tile through the
// epilogue (writing nothing past n pixels or between the rows).
TEST(NnKernels, GemmTileAndStoreMatchScalarLoop) {
  std::size_t lanes = 0, max_v = 0, nv = 0;
  f32_conv_shape(&lanes, &max_v, &nv);
  const std::size_t NP = nv * lanes;
  test::Rng rng(32);
  for (int iter = 0; iter < 100; ++iter) {
    const std::size_t MR = std::size_t(rng.uniform(1, std::int64_t(kGemmMr)));
    const std::size_t C = std::size_t(rng.uniform(1, 70));
    Aligned a(C * MR), b(C * NP), out(MR * NP);
    for (std::size_t i = 0; i < C * MR; ++i) a.get()[i] = float(rng.real(-1, 1));
    for (std::size_t i = 0; i < C * NP; ++i) b.get()[i] = float(rng.real(-1, 1));
    f32_gemm_tile(a.get(), C, MR, b.get(), out.get());
    for (std::size_t m = 0; m < MR; ++m)
      for (std::size_t j = 0; j < NP; ++j) {
        double e = 0;
        for (std::size_t c = 0; c < C; ++c) e += double(a.get()[c * MR + m]) * b.get()[c * NP + j];
        ASSERT_NEAR(out.get()[m * NP + j], e, 1e-5 * double(C)) << "m=" << m << " j=" << j;
      }

    const std::size_t n = std::size_t(rng.uniform(1, std::int64_t(NP)));
    const std::size_t os = NP + std::size_t(rng.uniform(0, 20));
    const float scale = float(rng.real(0.5, 2)), lo = rng.chance(0.5) ? -1e30f : 0.0f,
                hi = rng.chance(0.5) ? 1e30f : 0.7f;
    std::vector<float> off(MR), stored(MR * os + 1, -7.0f);
    for (auto& v : off) v = float(rng.real(-1, 1));
    f32_gemm_store(a.get(), C, MR, b.get(), n, scale, off.data(), lo, hi, stored.data(),
                   std::ptrdiff_t(os), rng.chance(0.5));
    for (std::size_t m = 0; m < MR; ++m)
      for (std::size_t j = 0; j < os; ++j) {
        const float got = stored[m * os + j];
        if (j >= n) {
          ASSERT_EQ(got, -7.0f) << "wrote past n: m=" << m << " j=" << j;
          continue;
        }
        const float e = std::min(std::max(out.get()[m * NP + j] * scale + off[m], lo), hi);
        ASSERT_NEAR(got, e, 1e-6 * (1 + std::abs(e))) << "m=" << m << " j=" << j;
      }
    ASSERT_EQ(stored.back(), -7.0f);
  }
}

TEST(NnKernels, DepthwisePlaneMatchesScalarLoop) {
  std::size_t lanes = 0, max_v = 0, nv = 0;
  f32_conv_shape(&lanes, &max_v, &nv);
  test::Rng rng(33);
  for (int iter = 0; iter < 200; ++iter) {
    const std::size_t R = std::size_t(rng.uniform(1, 7)), S = std::size_t(rng.uniform(1, 7));
    const std::size_t dh = std::size_t(rng.uniform(1, 3)), dw = std::size_t(rng.uniform(1, 3));
    const std::size_t sh = std::size_t(rng.uniform(1, 3)), rows = std::size_t(rng.uniform(1, 4));
    const std::size_t n = std::size_t(rng.uniform(1, 150));
    const std::size_t stride = n + (S - 1) * dw + lanes + std::size_t(rng.uniform(0, 5));
    const std::size_t ostride = n + std::size_t(rng.uniform(0, 3));
    const float scale = float(rng.real(0.5, 2)), offset = float(rng.real(-1, 1));
    const float lo = rng.chance(0.5) ? -1e30f : 0.0f, hi = rng.chance(0.5) ? 1e30f : 0.7f;
    std::vector<float> in(((rows - 1) * sh + (R - 1) * dh + 1) * stride), w(R * S);
    std::vector<float> out(rows * ostride + 1, -7.0f);
    for (auto& v : in) v = float(rng.real(-1, 1));
    for (auto& v : w) v = float(rng.real(-1, 1));
    f32_depthwise_plane(in.data(), stride, sh, w.data(), R, S, dh, dw, rows, n, out.data(),
                        ostride, scale, offset, lo, hi);
    for (std::size_t p = 0; p < rows; ++p)
      for (std::size_t x = 0; x < n; ++x) {
        double e = 0;
        for (std::size_t r = 0; r < R; ++r)
          for (std::size_t s = 0; s < S; ++s)
            e += double(w[r * S + s]) * in[(p * sh + r * dh) * stride + s * dw + x];
        e = std::min(std::max(e * scale + offset, double(lo)), double(hi));
        ASSERT_NEAR(out[p * ostride + x], e, 1e-5 * double(R * S)) << "x=" << x << " n=" << n;
      }
    for (std::size_t p = 0; p < rows; ++p)
      for (std::size_t x = n; x < ostride; ++x) ASSERT_EQ(out[p * ostride + x], -7.0f) << "wrote past n";
    ASSERT_EQ(out[rows * ostride], -7.0f);
  }
}

TEST(NnKernels, TileStoreTransposesWithTheEpilogue) {
  test::Rng rng(34);
  for (int iter = 0; iter < 100; ++iter) {
    const std::size_t kb = 16 * std::size_t(rng.uniform(1, 4));
    const std::size_t kn = std::size_t(rng.uniform(1, std::int64_t(kb)));
    const std::size_t n = std::size_t(rng.uniform(1, 70));
    const std::ptrdiff_t os = std::ptrdiff_t(n) + rng.uniform(0, 5);
    std::vector<float> tile((n + 16) * kb), off(kn), out(std::size_t(os) * kn + 1, -7.0f);
    for (auto& v : tile) v = float(rng.real(-2, 2));
    for (auto& v : off) v = float(rng.real(-1, 1));
    const float scale = float(rng.real(0.5, 2));
    const float lo = rng.chance(0.5) ? -1e30f : 0.0f, hi = rng.chance(0.5) ? 1e30f : 0.7f;
    std::vector<float> res(std::size_t(os) * kn);
    for (auto& v : res) v = float(rng.real(-1, 1));
    const bool with_res = rng.chance(0.5);
    f32_tile_store(tile.data(), kb, kn, n, scale, off.data(), lo, hi, out.data(), os,
                   with_res ? res.data() : nullptr, os, rng.chance(0.5));
    for (std::size_t j = 0; j < kn; ++j)
      for (std::ptrdiff_t i = 0; i < os; ++i) {
        const float got = out[std::size_t(j * std::size_t(os) + std::size_t(i))];
        if (i >= std::ptrdiff_t(n)) {
          ASSERT_EQ(got, -7.0f) << "wrote past n";
          continue;
        }
        float y = tile[std::size_t(i) * kb + j] * scale + off[j];
        if (with_res) y += res[j * std::size_t(os) + std::size_t(i)];
        ASSERT_NEAR(got, std::min(std::max(y, lo), hi), 1e-6) << "i=" << i << " j=" << j;
      }
    ASSERT_EQ(out.back(), -7.0f);
  }
}

TEST(NnKernels, CopyBlockCopiesExactlyTheBlock) {
  test::Rng rng(35);
  for (int iter = 0; iter < 100; ++iter) {
    const std::size_t rows = std::size_t(rng.uniform(1, 5)), n = std::size_t(rng.uniform(1, 70));
    const std::size_t ss = n + std::size_t(rng.uniform(0, 4)), ds = n + std::size_t(rng.uniform(0, 4));
    std::vector<float> src(rows * ss), dst(rows * ds + 1, -7.0f);
    for (auto& v : src) v = float(rng.real(-1, 1));
    const bool reversed = rng.chance(0.3);  // negative source stride: rows bottom-up
    const float* s0 = reversed ? src.data() + (rows - 1) * ss : src.data();
    f32_copy_block(s0, reversed ? -std::ptrdiff_t(ss) : std::ptrdiff_t(ss), rows, n, dst.data(), ds);
    for (std::size_t y = 0; y < rows; ++y)
      for (std::size_t x = 0; x < ds; ++x) {
        const std::size_t sy = reversed ? rows - 1 - y : y;
        ASSERT_EQ(dst[y * ds + x], x < n ? src[sy * ss + x] : -7.0f) << y << "," << x;
      }
    ASSERT_EQ(dst.back(), -7.0f);
  }
}

TEST(NnKernels, ChannelsLastTransposesExactlyTheBlock) {
  test::Rng rng(36);
  for (int iter = 0; iter < 200; ++iter) {
    const std::size_t C = std::size_t(rng.uniform(1, 70)), nx = std::size_t(rng.uniform(1, 40));
    const std::ptrdiff_t xs = rng.uniform(1, 3), cs = std::ptrdiff_t(nx) * xs + rng.uniform(0, 5);
    const bool reversed = rng.chance(0.3);  // channels bottom-up (negative channel stride)
    const std::size_t os = C + std::size_t(rng.uniform(0, 3));
    std::vector<float> src(C * std::size_t(cs)), dst(nx * os + 1, -7.0f);
    for (auto& v : src) v = float(rng.real(-1, 1));
    const float* s0 = reversed ? src.data() + (C - 1) * std::size_t(cs) : src.data();
    f32_channels_last(s0, reversed ? -cs : cs, xs, nx, C, dst.data(), os);
    for (std::size_t x = 0; x < nx; ++x)
      for (std::size_t c = 0; c < os; ++c) {
        const std::size_t sc = reversed ? C - 1 - c : c;
        ASSERT_EQ(dst[x * os + c], c < C ? src[sc * std::size_t(cs) + x * std::size_t(xs)] : -7.0f)
            << x << "," << c;
      }
    ASSERT_EQ(dst.back(), -7.0f);
  }
}

// The written-out F(2x2, 3x3), F(4x4, 3x3) and F(2x2, 2x2) transforms equal L X L^T with the
// matrices of the literature.
TEST(NnKernels, WinogradFixedTransformsEqualTheMatrices) {
  std::size_t lanes = 0, max_v = 0, nv = 0;
  f32_conv_shape(&lanes, &max_v, &nv);
  const std::vector<float> bt2 = {1, 0, -1, 0, 0, 1, 1, 0, 0, -1, 1, 0, 0, 1, 0, -1};
  const std::vector<float> at2 = {1, 1, 1, 0, 0, 1, -1, -1};
  const std::vector<float> bt4 = {4, 0, -5, 0, 1, 0, 0, -4, -4, 1, 1, 0, 0, 4, -4, -1, 1, 0,
                                  0, -2, -1, 2, 1, 0, 0, 2, -1, -2, 1, 0, 0, 4, 0, -5, 0, 1};
  const std::vector<float> at4 = {1, 1, 1, 1, 1, 0, 0, 1, -1, 2, -2, 0,
                                  0, 1, 1, 4, 4, 0, 0, 1, -1, 8, -8, 1};
  const std::vector<float> bt22 = {1, -1, 0, 0, 1, 0, 0, -1, 1};  // F(2x2, 2x2)
  const std::vector<float> at22 = {1, 1, 0, 0, 1, 1};
  test::Rng rng(37);
  for (std::size_t m : {2, 4, 22})  // 22: F(2x2, 2x2)
    for (bool input : {true, false}) {
      const std::size_t r = m == 22 ? 2 : 3, mm = m == 22 ? 2 : m;
      const std::size_t a = mm + r - 1, o = input ? a : mm, T = 2 * lanes, xs = T + lanes;
      std::vector<float> X(a * a * xs), want(o * o * T), got(o * o * T);
      for (auto& v : X) v = float(rng.real(-1, 1));
      const std::vector<float>& L = m == 22 ? (input ? bt22 : at22)
                                    : m == 2 ? (input ? bt2 : at2) : (input ? bt4 : at4);
      for (std::size_t i = 0; i < o; ++i)  // want = L X L^T per lane, in double
        for (std::size_t j = 0; j < o; ++j)
          for (std::size_t t = 0; t < T; ++t) {
            double e = 0;
            for (std::size_t p = 0; p < a; ++p)
              for (std::size_t q = 0; q < a; ++q)
                e += double(L[i * a + p]) * X[(p * a + q) * xs + t] * L[j * a + q];
            want[(i * o + j) * T + t] = float(e);
          }
      f32_winograd_fixed(input, mm, r, X.data(), xs, got.data(), T, T);
      for (std::size_t i = 0; i < want.size(); ++i)
        ASSERT_NEAR(got[i], want[i], 1e-4 * (1 + std::abs(want[i]))) << "m=" << m << " i=" << i;
    }
}

TEST(NnKernels, WinogradGatherAndScatterMoveTiles) {
  std::size_t lanes = 0, max_v = 0, nv = 0;
  f32_conv_shape(&lanes, &max_v, &nv);
  test::Rng rng(38);
  for (std::size_t m : {2, 3, 4}) {
    const std::size_t a = m + 2, stride = lanes * m + 8, np = 2 * lanes;
    std::vector<float> in(a * stride), patch(a * a * np, -7.0f);
    for (auto& v : in) v = float(rng.real(-1, 1));
    f32_winograd_gather(in.data(), stride, m, a, patch.data(), np);
    for (std::size_t i = 0; i < a; ++i)
      for (std::size_t j = 0; j < a; ++j)
        for (std::size_t l = 0; l < lanes; ++l)
          ASSERT_EQ(patch[(i * a + j) * np + l], in[i * stride + l * m + j]) << m << i << j << l;
    if (m == 3) continue;  // the scatter's vector path is for m = 2 and 4
    const std::size_t cols = std::size_t(rng.uniform(1, std::int64_t(lanes * m)));
    const std::size_t os = lanes * m + 3, rows = m - 1;
    std::vector<float> y(m * m * np), out(m * os, -7.0f);
    for (auto& v : y) v = float(rng.real(-1, 1));
    f32_winograd_scatter(y.data(), np, m, 2.0f, 0.5f, -1e30f, 1e30f, out.data(), std::ptrdiff_t(os),
                         rows, cols);
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t x = 0; x < os; ++x) {
        const float want = (i < rows && x < cols) ? y[(i * m + x % m) * np + x / m] * 2.0f + 0.5f
                                                  : -7.0f;
        ASSERT_NEAR(out[i * os + x], want, 1e-6) << "m=" << m << " i=" << i << " x=" << x;
      }
  }
}

}  // namespace
}  // namespace convkit::kernels
