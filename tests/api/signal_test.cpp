// scipy.signal semantics that the C++ API must reproduce, checked against a from-the-definition
// "full" convolution sliced as SciPy slices it. (tests/python compares with the real SciPy.)
#include <gtest/gtest.h>

#include <complex>

#include "convkit/signal.h"
#include "test_util.h"

namespace convkit {
namespace {

using signal::Boundary;
using signal::Mode;
using C = std::complex<double>;

// full[i][j] = sum a[y][x] * b[i-y][j-x]  (or the conjugated correlation when !flip).
std::vector<C> full_zero(const ConstTensorView& a, const ConstTensorView& b, bool flip,
                         std::int64_t& FH, std::int64_t& FW) {
  const std::int64_t H = a.dim(0), W = a.dim(1), R = b.dim(0), S = b.dim(1);
  FH = H + R - 1, FW = W + S - 1;
  std::vector<C> f(std::size_t(FH * FW));
  for (std::int64_t i = 0; i < FH; ++i)
    for (std::int64_t j = 0; j < FW; ++j)
      for (std::int64_t r = 0; r < R; ++r)
        for (std::int64_t s = 0; s < S; ++s) {
          // convolution: in[i-r][j-s]*k[r][s]; correlation: in[i-(R-1)+r][j-(S-1)+s]*conj(k[r][s])
          std::int64_t y = flip ? i - r : i - (R - 1) + r, x = flip ? j - s : j - (S - 1) + s;
          if (y < 0 || y >= H || x < 0 || x >= W) continue;
          C k = test::element(b, r * S + s);
          f[std::size_t(i * FW + j)] += test::element(a, y * W + x) * (flip ? k : std::conj(k));
        }
  return f;
}

TEST(Signal, FullSameValidMatchScipySlicing) {
  test::Rng rng(5);
  for (int iter = 0; iter < test::case_count(400); ++iter) {
    const bool flip = rng.chance(0.5);
    const Mode mode = rng.pick(std::vector<Mode>{Mode::full, Mode::same, Mode::valid});
    const DType ta = rng.pick(std::vector<DType>{DType::f64, DType::f32, DType::c128, DType::i16});
    const DType tb = rng.pick(std::vector<DType>{DType::f64, DType::c64, DType::u8});
    std::int64_t H = rng.uniform(1, 12), W = rng.uniform(1, 12), R = rng.uniform(1, 6), S = rng.uniform(1, 6);
    if (mode == Mode::valid && !((H >= R && W >= S) || (R >= H && S >= W))) continue;
    auto a = test::random_view(ta, {H, W}, rng), b = test::random_view(tb, {R, S}, rng);
    test::fill_random(a.view, rng, 3), test::fill_random(b.view, rng, 3);
    Tensor out = flip ? signal::convolve2d(a.view, b.view, mode) : signal::correlate2d(a.view, b.view, mode);
    ASSERT_EQ(out.dtype(), result_type(ta, tb));
    const bool swap = mode == Mode::valid && !(H >= R && W >= S);
    std::int64_t FH, FW;
    auto full = swap ? full_zero(b.view, a.view, flip, FH, FW) : full_zero(a.view, b.view, flip, FH, FW);
    const std::int64_t kh = swap ? H : R, kw = swap ? W : S;
    std::int64_t oy = 0, ox = 0, OH = FH, OW = FW;
    if (mode == Mode::same) oy = flip ? (R - 1) / 2 : R / 2, ox = flip ? (S - 1) / 2 : S / 2, OH = H, OW = W;
    if (mode == Mode::valid) oy = kh - 1, ox = kw - 1, OH = FH - 2 * (kh - 1), OW = FW - 2 * (kw - 1);
    ASSERT_EQ(out.dim(0), OH);
    ASSERT_EQ(out.dim(1), OW);
    for (std::int64_t i = 0; i < OH; ++i)
      for (std::int64_t j = 0; j < OW; ++j) {
        // SciPy reverses a swapped 'valid' correlation on both axes.
        const std::int64_t si = swap && !flip ? OH - 1 - i : i, sj = swap && !flip ? OW - 1 - j : j;
        C want = full[std::size_t((si + oy) * FW + sj + ox)];
        if (is_integer(out.dtype())) {  // NumPy integer results wrap around
          std::int64_t buf = 0;
          store_wrapped(std::int64_t(std::llround(want.real())), &buf, out.dtype());
          want = load_as<C>(&buf, out.dtype());
        }
        C got = test::element(out.cview(), i * OW + j);
        const double tol = (out.dtype() == DType::f32 || out.dtype() == DType::c64) ? 1e-4 : 1e-9;
        ASSERT_NEAR(got.real(), want.real(), tol * (1 + std::abs(want))) << iter;
        ASSERT_NEAR(got.imag(), want.imag(), tol * (1 + std::abs(want))) << iter;
      }
  }
}

TEST(Signal, IntegerInputsWrapLikeNumpy) {
  std::uint8_t a[9], k[4] = {1, 1, 1, 1};
  for (auto& v : a) v = 200;
  Tensor out = signal::convolve2d(ConstTensorView(a, DType::u8, {3, 3}), ConstTensorView(k, DType::u8, {2, 2}));
  ASSERT_EQ(out.dtype(), DType::u8);
  EXPECT_EQ(out.data_as<std::uint8_t>()[0], 200);
  EXPECT_EQ(out.data_as<std::uint8_t>()[1], 144);  // 400 mod 256
  EXPECT_EQ(out.data_as<std::uint8_t>()[5], 32);   // 800 mod 256
}

TEST(Signal, BoundariesOnASmallExample) {
  // in = [[1, 2, 3]], kernel [[1, 1, 1]] same-mode sums of three neighbours.
  double in[3] = {1, 2, 3}, k[3] = {1, 1, 1};
  ConstTensorView a(in, DType::f64, {1, 3}), b(k, DType::f64, {1, 3});
  auto row = [](const Tensor& t) {
    return std::vector<double>(t.data_as<double>(), t.data_as<double>() + t.numel());
  };
  EXPECT_EQ(row(signal::convolve2d(a, b, Mode::same, Boundary::fill)), (std::vector<double>{3, 6, 5}));
  EXPECT_EQ(row(signal::convolve2d(a, b, Mode::same, Boundary::fill, 10.0)), (std::vector<double>{13, 6, 15}));
  EXPECT_EQ(row(signal::convolve2d(a, b, Mode::same, Boundary::symm)), (std::vector<double>{4, 6, 8}));
  EXPECT_EQ(row(signal::convolve2d(a, b, Mode::same, Boundary::wrap)), (std::vector<double>{6, 6, 6}));
}

TEST(Signal, OneDimensionalModesOfNumpy) {
  // numpy.convolve([1,2,3],[0,1,0.5]) = [0,1,2.5,4,1.5]; same -> [1,2.5,4]; valid -> [2.5]
  double a[3] = {1, 2, 3}, v[3] = {0, 1, 0.5};
  ConstTensorView A(a, DType::f64, {3}), V(v, DType::f64, {3});
  auto vec = [](const Tensor& t) {
    return std::vector<double>(t.data_as<double>(), t.data_as<double>() + t.numel());
  };
  EXPECT_EQ(vec(signal::convolve(A, V)), (std::vector<double>{0, 1, 2.5, 4, 1.5}));
  EXPECT_EQ(vec(signal::convolve(A, V, Mode::same)), (std::vector<double>{1, 2.5, 4}));
  EXPECT_EQ(vec(signal::convolve(A, V, Mode::valid)), (std::vector<double>{2.5}));
  // numpy.correlate([1,2,3],[0,1,0.5]) = [3.5]; full -> [0.5,2,3.5,3,0]; same -> [2,3.5,3]
  EXPECT_EQ(vec(signal::correlate(A, V)), (std::vector<double>{3.5}));
  EXPECT_EQ(vec(signal::correlate(A, V, Mode::full)), (std::vector<double>{0.5, 2, 3.5, 3, 0}));
  EXPECT_EQ(vec(signal::correlate(A, V, Mode::same)), (std::vector<double>{2, 3.5, 3}));
  // The longer second operand: numpy.correlate([1,2],[1,2,3,4], m) for full/same/valid.
  double b[4] = {1, 2, 3, 4};
  ConstTensorView A2(a, DType::f64, {2}), B(b, DType::f64, {4});
  EXPECT_EQ(vec(signal::correlate(A2, B, Mode::full)), (std::vector<double>{4, 11, 8, 5, 2}));
  EXPECT_EQ(vec(signal::correlate(A2, B, Mode::same)), (std::vector<double>{11, 8, 5, 2}));
  EXPECT_EQ(vec(signal::correlate(A2, B, Mode::valid)), (std::vector<double>{11, 8, 5}));
  EXPECT_EQ(vec(signal::convolve(A2, B, Mode::same)), (std::vector<double>{1, 4, 7, 10}));
  // Complex, longer v: numpy conjugates v and the swap must not change that.
  C x[3] = {1, {0, 2}, 3}, y[5] = {{0, 1}, 2, 3, {4, 1}, 5};
  ConstTensorView X(x, DType::c128, {3}), Y(y, DType::c128, {5});
  auto cvec = [](const Tensor& t) {
    return std::vector<C>(t.data_as<C>(), t.data_as<C>() + t.numel());
  };
  EXPECT_EQ(cvec(signal::correlate(X, Y, Mode::full)),
            (std::vector<C>{5, {4, 9}, {20, 8}, {14, 3}, {9, 3}, 8, {0, -3}}));
  EXPECT_EQ(cvec(signal::correlate(X, Y, Mode::same)),
            (std::vector<C>{{4, 9}, {20, 8}, {14, 3}, {9, 3}, 8}));
  EXPECT_EQ(cvec(signal::correlate(X, Y, Mode::valid)), (std::vector<C>{{20, 8}, {14, 3}, {9, 3}}));
}

TEST(Signal, BadInputNamesTheParameter) {
  double a[6] = {}, k[4] = {};
  ConstTensorView A(a, DType::f64, {2, 3}), K(k, DType::f64, {4, 1});
  auto param = [](auto&& f) { return test::error_parameter(f); };
  EXPECT_EQ(param([&] { signal::convolve2d(A, K, Mode::valid); }), "in2");
  EXPECT_EQ(param([&] { signal::convolve2d(ConstTensorView(a, DType::f64, {6}), K); }), "in1");
  EXPECT_EQ(param([&] { signal::convolve2d(ConstTensorView(a, DType::f64, {0, 3}), K); }), "in1");
  std::uint8_t u[4] = {};
  ConstTensorView U(u, DType::u8, {2, 2});
  EXPECT_EQ(param([&] { signal::convolve2d(U, U, Mode::full, Boundary::fill, 300.0); }), "fillvalue");
  EXPECT_EQ(param([&] { signal::convolve2d(U, U, Mode::full, Boundary::fill, NAN); }), "fillvalue");
  EXPECT_EQ(param([&] { signal::convolve2d(U, U, Mode::full, Boundary::fill, -1.5); }), "fillvalue");
  // Like SciPy, an integer output truncates the fill value: 2.9 fills with 2.
  EXPECT_EQ(signal::convolve2d(U, U, Mode::full, Boundary::fill, 2.9).data_as<std::uint8_t>()[0], 0);
  std::uint8_t ones[4] = {1, 1, 1, 1};
  ConstTensorView O(ones, DType::u8, {2, 2});
  EXPECT_EQ(signal::convolve2d(O, O, Mode::same, Boundary::fill, 2.9).data_as<std::uint8_t>()[0], 1 + 3 * 2);
  EXPECT_EQ(param([&] { signal::parse_mode("middle"); }), "mode");
  EXPECT_EQ(param([&] { signal::parse_boundary("reflect101"); }), "boundary");
}

}  // namespace
}  // namespace convkit
