// convkit::linalg and convkit::steps against the definitions: the convolution matrix against
// the reference plan, unfold against the reference convolution (conv == weight rows @ unfold)
// and fold as its exact adjoint, integral images against their sums, step records against the
// library's output, transposed traces against scatter-add.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "convkit/linalg.h"
#include "convkit/steps.h"
#include "test_util.h"

namespace convkit {
namespace {

using test::Rng;

std::vector<double> random_vector(std::int64_t n, Rng& rng) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = rng.real();
  return v;
}

ConvProblem random_plane_problem(Rng& rng) {
  for (;;) {
    ConvProblem p;
    p.src_dtype = p.filter_dtype = p.dst_dtype = DType::f64;
    p.h = rng.uniform(1, 9), p.w = rng.uniform(1, 9);
    p.r = rng.uniform(1, 5), p.s = rng.uniform(1, 5);
    p.stride_h = rng.uniform(1, 3), p.stride_w = rng.uniform(1, 3);
    p.dilation_h = rng.uniform(1, 3), p.dilation_w = rng.uniform(1, 3);
    p.pad_top = rng.uniform(0, 4), p.pad_bottom = rng.uniform(0, 4);
    p.pad_left = rng.uniform(0, 4), p.pad_right = rng.uniform(0, 4);
    p.border = rng.pick(std::vector<Border>{Border::constant, Border::replicate, Border::reflect,
                                            Border::mirror, Border::wrap});
    p.flip = rng.chance(0.5);
    if (p.out_h() >= 1 && p.out_w() >= 1) return p;
  }
}

std::vector<double> run_reference(const ConvProblem& p, const std::vector<double>& k,
                                  const std::vector<double>& x) {
  std::vector<double> y(static_cast<std::size_t>(p.out_h() * p.out_w()));
  const std::int64_t fs[4] = {1, 1, p.r, p.s}, xs[4] = {1, 1, p.h, p.w},
                     ys[4] = {1, 1, p.out_h(), p.out_w()};
  PlanOptions o;
  o.algorithm = Algorithm::reference;
  Plan(p, ConstTensorView(k.data(), DType::f64, fs), {}, o)
      .execute(ConstTensorView(x.data(), DType::f64, xs), TensorView(y.data(), DType::f64, ys));
  return y;
}

TEST(LinalgMatrix, MatchesReferenceInBothOrders) {
  Rng rng(11);
  for (int c = 0; c < test::case_count(300); ++c) {
    const ConvProblem p = random_plane_problem(rng);
    const auto k = random_vector(p.r * p.s, rng), x = random_vector(p.h * p.w, rng);
    const auto want = run_reference(p, k, x);
    const std::int64_t ks[2] = {p.r, p.s};
    for (auto order : {linalg::Order::row_major, linalg::Order::column_major}) {
      const auto m = linalg::convolution_matrix(p, ConstTensorView(k.data(), DType::f64, ks), order);
      ASSERT_EQ(m.rows, p.out_h() * p.out_w());
      ASSERT_EQ(m.cols, p.h * p.w);
      const bool rm = order == linalg::Order::row_major;
      for (std::int64_t row = 0; row < m.rows; ++row) {
        ASSERT_LE(m.indptr[row + 1] - m.indptr[row], p.r * p.s);
        double y = 0;
        for (std::int64_t e = m.indptr[row]; e < m.indptr[row + 1]; ++e) {
          if (e > m.indptr[row]) ASSERT_LT(m.indices[e - 1], m.indices[e]);  // sorted, merged
          const std::int64_t col = m.indices[e];
          const std::int64_t iy = rm ? col / p.w : col % p.h, ix = rm ? col % p.w : col / p.h;
          y += m.values[e] * x[iy * p.w + ix];
        }
        const std::int64_t oi = rm ? row / p.out_w() : row % p.out_h();
        const std::int64_t oj = rm ? row % p.out_w() : row / p.out_h();
        ASSERT_NEAR(y, want[oi * p.out_w() + oj], 1e-12) << p.to_string() << " row " << row;
      }
    }
  }
}

TEST(LinalgMatrix, RefusesWhatIsNotLinear) {
  ConvProblem p;
  p.h = p.w = 4, p.r = p.s = 3, p.pad_top = p.pad_left = 1;
  p.border_value = 2.0;
  std::vector<double> k(9, 1.0);
  EXPECT_THROW(linalg::convolution_matrix(p, ConstTensorView(k.data(), DType::f64, {3, 3})), Error);
  p.border_value = 0.0;
  EXPECT_THROW(linalg::convolution_matrix(p, ConstTensorView(k.data(), DType::f64, {2, 2})), Error);
  p.c = p.k = 2;
  EXPECT_THROW(linalg::convolution_matrix(p, ConstTensorView(k.data(), DType::f64, {3, 3})), Error);
}

TEST(LinalgUnfold, WeightRowsTimesColumnsIsTheConvolution) {
  Rng rng(12);
  for (int c = 0; c < test::case_count(150); ++c) {
    ConvProblem p = random_plane_problem(rng);
    p.border = Border::constant, p.flip = false;
    p.n = rng.uniform(1, 2), p.c = rng.uniform(1, 3), p.k = rng.uniform(1, 3);
    linalg::UnfoldOptions o;
    o.kernel = nn::Size2(p.r, p.s);
    o.dilation = nn::Size2(p.dilation_h, p.dilation_w);
    o.stride = nn::Size2(p.stride_h, p.stride_w);
    o.padding = nn::Padding(p.pad_top, p.pad_bottom, p.pad_left, p.pad_right);
    const auto x = random_vector(p.n * p.c * p.h * p.w, rng);
    const auto w = random_vector(p.k * p.c * p.r * p.s, rng);
    const Tensor cols = linalg::unfold(
        ConstTensorView(x.data(), DType::f64, {p.n, p.c, p.h, p.w}), o);
    const std::int64_t rows = p.c * p.r * p.s, L = p.out_h() * p.out_w();
    ASSERT_EQ(cols.dim(1), rows);
    ASSERT_EQ(cols.dim(2), L);
    std::vector<double> y(static_cast<std::size_t>(p.n * p.k * L));
    PlanOptions po;
    po.algorithm = Algorithm::reference;
    Plan(p, ConstTensorView(w.data(), DType::f64, {p.k, p.c, p.r, p.s}), {}, po)
        .execute(ConstTensorView(x.data(), DType::f64, {p.n, p.c, p.h, p.w}),
                 TensorView(y.data(), DType::f64, {p.n, p.k, p.out_h(), p.out_w()}));
    const double* cd = cols.data_as<double>();
    for (std::int64_t n = 0; n < p.n; ++n)
      for (std::int64_t k = 0; k < p.k; ++k)
        for (std::int64_t l = 0; l < L; ++l) {
          double s = 0;
          for (std::int64_t r = 0; r < rows; ++r) s += w[k * rows + r] * cd[(n * rows + r) * L + l];
          ASSERT_NEAR(s, y[(n * p.k + k) * L + l], 1e-12) << p.to_string();
        }
    // fold is unfold's adjoint: <unfold(x), z> == <x, fold(z)>.
    const auto z = random_vector(p.n * rows * L, rng);
    const Tensor back = linalg::fold(ConstTensorView(z.data(), DType::f64, {p.n, rows, L}), p.h,
                                     p.w, o);
    double lhs = 0, rhs = 0;
    for (std::size_t i = 0; i < z.size(); ++i) lhs += cd[i] * z[i];
    for (std::size_t i = 0; i < x.size(); ++i) rhs += x[i] * back.data_as<double>()[i];
    ASSERT_NEAR(lhs, rhs, 1e-10 * (1 + std::abs(lhs)));
  }
}

TEST(LinalgUnfold, NamesTheParameterAtFault) {
  std::vector<float> x(16);
  const ConstTensorView v(x.data(), DType::f32, {1, 1, 4, 4});
  linalg::UnfoldOptions o;
  o.kernel = 5;
  EXPECT_THROW(linalg::unfold(v, o), Error);
  o.kernel = 2;
  o.stride = 0;
  EXPECT_THROW(linalg::unfold(v, o), Error);
  o.stride = 1;
  std::vector<float> cols(1 * 3 * 9);
  EXPECT_THROW(linalg::fold(ConstTensorView(cols.data(), DType::f32, {1, 3, 9}), 4, 4, o), Error);
}

TEST(LinalgIntegral, TablesAreTheirSums) {
  Rng rng(13);
  for (int c = 0; c < test::case_count(40); ++c) {
    const std::int64_t H = rng.uniform(1, 12), W = rng.uniform(1, 12), C = rng.uniform(1, 3);
    std::vector<std::uint8_t> img(static_cast<std::size_t>(H * W * C));
    for (auto& v : img) v = static_cast<std::uint8_t>(rng.uniform(0, 255));
    linalg::IntegralOptions o;
    o.sum = DType::i32, o.with_sqsum = true, o.with_tilted = true;
    const auto t = linalg::integral(ConstTensorView(img.data(), DType::u8, {H, W, C}), o);
    for (std::int64_t Y = 0; Y <= H; ++Y)
      for (std::int64_t X = 0; X <= W; ++X)
        for (std::int64_t ch = 0; ch < C; ++ch) {
          std::int64_t s = 0, q = 0, tl = 0;
          for (std::int64_t y = 0; y < H; ++y)
            for (std::int64_t x = 0; x < W; ++x) {
              const std::int64_t v = img[(y * W + x) * C + ch];
              if (y < Y && x < X) s += v, q += v * v;
              if (y < Y && std::abs(x - X + 1) <= Y - y - 1) tl += v;
            }
          const std::int64_t at = (Y * (W + 1) + X) * C + ch;
          ASSERT_EQ(t.sum.data_as<std::int32_t>()[at], s);
          ASSERT_EQ(t.sqsum.data_as<double>()[at], double(q));
          ASSERT_EQ(t.tilted.data_as<std::int32_t>()[at], tl);
        }
  }
  std::vector<std::uint16_t> u16(4);
  linalg::IntegralOptions bad;
  bad.sum = DType::i32;  // OpenCV has no u16 -> i32 table
  EXPECT_THROW(linalg::integral(ConstTensorView(u16.data(), DType::u16, {2, 2}), bad), Error);
}

TEST(LinalgIntegral, ThreadedChunksEqualOnePassAndWrapLikeOpenCV) {
  Rng rng(15);
  const std::int64_t H = 613, W = 509, C = 3;
  std::vector<std::uint8_t> img(static_cast<std::size_t>(H * W * C));
  for (auto& v : img) v = static_cast<std::uint8_t>(rng.uniform(0, 255));
  linalg::IntegralOptions o;
  o.sum = DType::i32, o.with_sqsum = true, o.sqsum = DType::f64;
  const auto t = linalg::integral(ConstTensorView(img.data(), DType::u8, {H, W, C}), o);
  std::vector<std::int64_t> above(static_cast<std::size_t>((W + 1) * C), 0), sq(above);
  for (std::int64_t y = 0; y < H; ++y)
    for (std::int64_t ch = 0; ch < C; ++ch) {
      std::int64_t run = 0, run_sq = 0;
      for (std::int64_t x = 0; x < W; ++x) {
        const std::int64_t v = img[(y * W + x) * C + ch];
        run += v, run_sq += v * v;
        const std::size_t i = static_cast<std::size_t>((x + 1) * C + ch);
        above[i] += run, sq[i] += run_sq;
        const std::int64_t at = ((y + 1) * (W + 1) + x + 1) * C + ch;
        ASSERT_EQ(t.sum.data_as<std::int32_t>()[at], above[i]);
        ASSERT_EQ(t.sqsum.data_as<double>()[at], double(sq[i]));
      }
    }
  // The sum alone takes the threads itself (row chunks): the same table.
  linalg::IntegralOptions alone;
  alone.sum = DType::i32;
  const auto t1 = linalg::integral(ConstTensorView(img.data(), DType::u8, {H, W, C}), alone);
  for (std::int64_t i = 0; i < t1.sum.numel(); ++i)
    ASSERT_EQ(t1.sum.data_as<std::int32_t>()[i], t.sum.data_as<std::int32_t>()[i]);
  // 255 * 3000 * 3000 exceeds int32: the table keeps the low 32 bits, as OpenCV's does.
  std::vector<std::uint8_t> white(3000 * 3000, 255);
  linalg::IntegralOptions w;
  w.sum = DType::i32;
  const auto big = linalg::integral(ConstTensorView(white.data(), DType::u8, {3000, 3000}), w);
  for (std::int64_t Y : {1, 1500, 2999, 3000})
    for (std::int64_t X : {1, 1777, 3000})
      ASSERT_EQ(big.sum.data_as<std::int32_t>()[Y * 3001 + X],
                static_cast<std::int32_t>(static_cast<std::uint32_t>(255 * Y * X)));
}

steps::Options random_step_options(Rng& rng, bool transposed) {
  steps::Options o;
  o.stride_h = rng.uniform(1, 3), o.stride_w = rng.uniform(1, 3);
  o.dilation_h = rng.uniform(1, 2), o.dilation_w = rng.uniform(1, 2);
  o.pad_top = rng.uniform(0, 2), o.pad_bottom = rng.uniform(0, 2);
  o.pad_left = rng.uniform(0, 2), o.pad_right = rng.uniform(0, 2);
  o.flip = rng.chance(0.5);
  o.bias = rng.chance(0.5) ? rng.real() : 0.0;
  o.transposed = transposed;
  if (transposed) {
    o.output_padding_h = rng.uniform(0, std::max(o.stride_h, o.dilation_h) - 1);
    o.output_padding_w = rng.uniform(0, std::max(o.stride_w, o.dilation_w) - 1);
  } else {
    o.border = rng.pick(std::vector<Border>{Border::constant, Border::reflect, Border::wrap});
  }
  return o;
}

TEST(Steps, RecordsSumToTheLibrarysValues) {
  Rng rng(14);
  int ran = 0;
  for (int c = 0; c < test::case_count(200); ++c) {
    const std::int64_t H = rng.uniform(1, 8), W = rng.uniform(1, 8);
    const std::int64_t R = rng.uniform(1, 4), S = rng.uniform(1, 4);
    const auto x = random_vector(H * W, rng), k = random_vector(R * S, rng);
    const steps::Options o = random_step_options(rng, rng.chance(0.4));
    steps::Trace t;
    try {
      t = steps::trace(ConstTensorView(x.data(), DType::f64, {H, W}),
                       ConstTensorView(k.data(), DType::f64, {R, S}), o);
    } catch (const Error&) {
      continue;  // a window larger than the padded image: refused, as it must be
    }
    ++ran;
    for (std::int64_t i = 0; i < t.out_h; ++i)
      for (std::int64_t j = 0; j < t.out_w; ++j) {
        const steps::Record r = steps::record(t, i, j);
        ASSERT_NEAR(r.running.back() + r.bias, r.value, 1e-12);
        const steps::ThreeWays w = steps::three_ways(t, i, j);
        ASSERT_NEAR(w.im2col, r.value, 1e-12);
        ASSERT_NEAR(w.matrix, r.value, 1e-12);
      }
    if (o.transposed) {  // the zero-insertion picture equals scatter-add
      std::vector<double> acc(t.out.size(), o.bias);
      for (std::int64_t i = 0; i < H; ++i)
        for (std::int64_t j = 0; j < W; ++j) {
          const steps::Scatter s = steps::scatter(t, i, j);
          for (std::int64_t r = 0; r < R; ++r)
            for (std::int64_t q = 0; q < S; ++q)
              if (s.out_rows[r] >= 0 && s.out_cols[q] >= 0)
                acc[s.out_rows[r] * t.out_w + s.out_cols[q]] += s.contributions[r * S + q];
        }
      for (std::size_t e = 0; e < acc.size(); ++e) ASSERT_NEAR(acc[e], t.out[e], 1e-12);
    }
  }
  EXPECT_GT(ran, 100);
}

TEST(Steps, GeometryAndErrors) {
  std::vector<double> x(36, 1.0), k(9, 1.0);
  steps::Options o;
  o.stride_h = o.stride_w = 4;  // 1x1 of a 3x3 kernel reaches rows 0-2 and 4-5
  auto t = steps::trace(ConstTensorView(x.data(), DType::f64, {6, 6}),
                        ConstTensorView(k.data(), DType::f64, {1, 1}), o);
  EXPECT_EQ(t.unreached_rows, (std::vector<std::int64_t>{1, 2, 3, 5}));
  const auto w = steps::three_ways(t, 1, 1);
  EXPECT_TRUE(w.box);
  EXPECT_DOUBLE_EQ(w.integral, 1.0);
  steps::Options big;
  EXPECT_THROW(steps::trace(ConstTensorView(x.data(), DType::f64, {2, 2}),
                            ConstTensorView(k.data(), DType::f64, {3, 3}), big),
               Error);  // window larger than the (unpadded) image
  steps::Options tr;
  tr.transposed = true;
  tr.stride_h = tr.stride_w = 2;
  tr.output_padding_h = 2;  // not below stride 2 or dilation 1
  EXPECT_THROW(steps::trace(ConstTensorView(x.data(), DType::f64, {6, 6}),
                            ConstTensorView(k.data(), DType::f64, {3, 3}), tr),
               Error);
  EXPECT_THROW(steps::record(t, 9, 0), Error);
}

}  // namespace
}  // namespace convkit
