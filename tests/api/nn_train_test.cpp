// Backward passes (Direction::backward_data / backward_weights) and the training front ends of
// nn_train.h, checked against loops written here from the forward definition: every tap
//   out[n,k,p,q] += in~[n, g*Cg+c, p*sh - pt + r*dh, q*sw - pl + s*dw] * w[k,c,r,s]
// is scattered back onto the input (through the border rule) and onto the filter.
#include "convkit/nn_train.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "convkit/plan.h"
#include "test_util.h"

namespace convkit {
namespace {

using Vec = std::vector<double>;
using Shape = std::array<std::int64_t, 4>;

// Coordinate i of an axis of length len after the border rule; -1: outside (constant border).
std::int64_t border_index(std::int64_t i, std::int64_t len, Border b) {
  if (i >= 0 && i < len) return i;
  switch (b) {
    case Border::constant: return -1;
    case Border::replicate: return i < 0 ? 0 : len - 1;
    case Border::mirror: {  // c b | a b c d | c b (torch's 'reflect')
      if (len == 1) return 0;
      const std::int64_t period = 2 * (len - 1);
      i = ((i % period) + period) % period;
      return i < len ? i : period - i;
    }
    case Border::reflect: {  // b a | a b c d | d c
      const std::int64_t period = 2 * len;
      i = ((i % period) + period) % period;
      return i < len ? i : period - 1 - i;
    }
    case Border::wrap: return ((i % len) + len) % len;
  }
  return -1;
}

// Calls f(input index, filter index, output index) for every tap of the forward problem that
// reads an input sample (NCHW, K x C/g x R x S and NKPQ, contiguous). Negative pads need nothing.
template <class F>
void for_each_tap(const ConvProblem& p, F&& f) {
  const std::int64_t P = p.out_h(), Q = p.out_w(), cg = p.c / p.groups, kg = p.k / p.groups;
  for (std::int64_t n = 0; n < p.n; ++n)
    for (std::int64_t k = 0; k < p.k; ++k)
      for (std::int64_t oh = 0; oh < P; ++oh)
        for (std::int64_t ow = 0; ow < Q; ++ow)
          for (std::int64_t c = 0; c < cg; ++c)
            for (std::int64_t r = 0; r < p.r; ++r)
              for (std::int64_t s = 0; s < p.s; ++s) {
                const std::int64_t y = border_index(oh * p.stride_h - p.pad_top + r * p.dilation_h,
                                                    p.h, p.border);
                const std::int64_t x = border_index(
                    ow * p.stride_w - p.pad_left + s * p.dilation_w, p.w, p.border);
                if (y < 0 || x < 0) continue;
                const std::int64_t ch = (k / kg) * cg + c;
                f(std::size_t(((n * p.c + ch) * p.h + y) * p.w + x),
                  std::size_t(((k * cg + c) * p.r + r) * p.s + s),
                  std::size_t(((n * p.k + k) * P + oh) * Q + ow));
              }
}

Vec oracle_forward(const ConvProblem& p, const Vec& x, const Vec& w) {
  Vec y(std::size_t(p.n * p.k * p.out_h() * p.out_w()), 0.0);
  for_each_tap(p, [&](std::size_t i, std::size_t wi, std::size_t o) { y[o] += x[i] * w[wi]; });
  return y;
}

// diff_src, then the epilogue: bias of C entries, relu.
Vec oracle_backward_data(const ConvProblem& p, const Vec& w, const Vec& dy, const Vec& bias,
                         bool relu) {
  Vec dx(std::size_t(p.n * p.c * p.h * p.w), 0.0);
  for_each_tap(p, [&](std::size_t i, std::size_t wi, std::size_t o) { dx[i] += w[wi] * dy[o]; });
  for (std::size_t i = 0; i < dx.size(); ++i) {
    if (!bias.empty()) dx[i] += bias[(i / std::size_t(p.h * p.w)) % std::size_t(p.c)];
    if (relu) dx[i] = std::max(dx[i], 0.0);
  }
  return dx;
}

Vec oracle_backward_weights(const ConvProblem& p, const Vec& x, const Vec& dy) {
  Vec dw(std::size_t(p.k * (p.c / p.groups) * p.r * p.s), 0.0);
  for_each_tap(p, [&](std::size_t i, std::size_t wi, std::size_t o) { dw[wi] += x[i] * dy[o]; });
  return dw;
}

Vec oracle_bias_grad(const ConvProblem& p, const Vec& dy) {
  Vec db(std::size_t(p.k), 0.0);
  const std::size_t plane = std::size_t(p.out_h() * p.out_w());
  for (std::size_t i = 0; i < dy.size(); ++i) db[(i / plane) % std::size_t(p.k)] += dy[i];
  return db;
}

// The logical elements of a view (any strides), row-major.
Vec values(const ConstTensorView& v) {
  Vec out(std::size_t(v.numel()));
  for (std::int64_t i = 0; i < v.numel(); ++i) out[std::size_t(i)] = test::element(v, i).real();
  return out;
}

// max |got - want| / max(1, max |want|).
double max_error(const ConstTensorView& got, const Vec& want) {
  if (got.numel() != std::int64_t(want.size())) return std::numeric_limits<double>::infinity();
  double err = 0, scale = 1;
  for (double w : want) scale = std::max(scale, std::abs(w));
  for (std::int64_t i = 0; i < got.numel(); ++i)
    err = std::max(err, std::abs(test::element(got, i).real() - want[std::size_t(i)]));
  return err / scale;
}

double tolerance(DType dt) { return dt == DType::f32 ? 1e-5 : 1e-12; }

struct Buffer {
  Tensor storage;
  TensorView view;
};

// A view of `shape` filled with random values in [-scale, scale), laid out as one of:
// contiguous, channels last (NHWC strides), a window inside a bigger allocation, or
// test_util's random layouts (gaps, swapped inner axes, a reversed axis).
Buffer make_view(DType dt, Shape shape, test::Rng& rng, double scale) {
  Buffer b;
  const auto span = [](const Shape& s) { return std::span<const std::int64_t>(s); };
  switch (rng.uniform(0, 3)) {
    case 0:
      b.storage = Tensor(dt, span(shape));
      b.view = b.storage.view();
      break;
    case 1: {
      const Shape mem{shape[0], shape[2], shape[3], shape[1]};
      const Shape strides{shape[2] * shape[3] * shape[1], 1, shape[3] * shape[1], shape[1]};
      b.storage = Tensor(dt, span(mem));
      b.view = TensorView(b.storage.data(), dt, span(shape), span(strides));
      break;
    }
    case 2: {
      Shape mem{}, start{}, strides{};
      for (std::size_t i = 0; i < 4; ++i) {
        start[i] = rng.uniform(0, 2);
        mem[i] = shape[i] + start[i] + rng.uniform(0, 2);
      }
      std::int64_t stride = 1, offset = 0;
      for (int i = 3; i >= 0; --i) {
        strides[std::size_t(i)] = stride;
        offset += start[std::size_t(i)] * stride;
        stride *= mem[std::size_t(i)];
      }
      b.storage = Tensor(dt, span(mem));
      char* base = static_cast<char*>(b.storage.data()) + offset * std::int64_t(dtype_size(dt));
      b.view = TensorView(base, dt, span(shape), span(strides));
      break;
    }
    default: {
      auto o = test::random_view(dt, {shape.begin(), shape.end()}, rng);
      b.storage = std::move(o.storage);
      b.view = o.view;
    }
  }
  test::fill_random(b.view, rng, scale);
  return b;
}

const std::vector<Border> kTrainBorders = {Border::constant, Border::replicate, Border::mirror,
                                           Border::wrap};

// A small random problem of `dir` with one real dtype: dense, grouped or depthwise; even
// kernels; stride and dilation 1..3; pads min_pad..3 per side for the constant border, 0..size-1
// (at most 3) for the others; at least one output.
ConvProblem random_problem(test::Rng& rng, Direction dir, DType dt, std::int64_t min_pad = -2) {
  ConvProblem p;
  p.direction = dir;
  p.src_dtype = p.filter_dtype = p.dst_dtype = dt;
  switch (rng.uniform(0, 2)) {
    case 0: p.groups = 1, p.c = rng.uniform(1, 12), p.k = rng.uniform(1, 12); break;
    case 1:
      p.groups = rng.uniform(2, 4);
      p.c = p.groups * rng.uniform(1, 12 / p.groups);
      p.k = p.groups * rng.uniform(1, 12 / p.groups);
      break;
    default:  // depthwise, channel multiplier 1..12/c
      p.c = p.groups = rng.uniform(1, 12);
      p.k = p.c * rng.uniform(1, 12 / p.c);
      break;
  }
  p.n = rng.uniform(1, 3);
  p.border = rng.pick(kTrainBorders);
  auto pad = [&](std::int64_t len) {
    return p.border == Border::constant ? rng.uniform(min_pad, 3)
                                        : rng.uniform(0, std::min<std::int64_t>(3, len - 1));
  };
  do {
    p.h = rng.uniform(1, 10), p.w = rng.uniform(1, 10);
    p.r = rng.uniform(1, 5), p.s = rng.uniform(1, 5);
    p.stride_h = p.stride_w = 1, p.dilation_h = p.dilation_w = 1;
    if (rng.chance(0.6)) p.stride_h = rng.uniform(1, 3), p.stride_w = rng.uniform(1, 3);
    if (rng.chance(0.4)) p.dilation_h = rng.uniform(1, 3), p.dilation_w = rng.uniform(1, 3);
    p.pad_top = pad(p.h), p.pad_bottom = pad(p.h), p.pad_left = pad(p.w), p.pad_right = pad(p.w);
  } while (p.out_h() < 1 || p.out_w() < 1);
  return p;
}

Shape input_shape(const ConvProblem& p) { return {p.n, p.c, p.h, p.w}; }
Shape output_shape(const ConvProblem& p) { return {p.n, p.k, p.out_h(), p.out_w()}; }
Shape filter_shape(const ConvProblem& p) { return {p.k, p.c / p.groups, p.r, p.s}; }

TEST(ConvBackwardData, MatchesTheScatterOverRandomProblems) {
  test::Rng rng(4242);
  for (int iter = 0; iter < test::case_count(200); ++iter) {
    const DType dt = rng.chance(0.6) ? DType::f32 : DType::f64;
    ConvProblem p = random_problem(rng, Direction::backward_data, dt);
    p.has_bias = rng.chance(0.5);
    p.activation = rng.chance(0.4) ? Activation::relu : Activation::none;
    SCOPED_TRACE(::testing::Message() << "iter " << iter << " " << p.to_string() << " bias "
                                      << p.has_bias << " act " << int(p.activation));
    const Buffer wt = make_view(dt, filter_shape(p), rng, 1);
    Tensor bias(dt, {p.c});
    test::fill_random(bias.view(), rng, 1);
    const Buffer dy = make_view(dt, output_shape(p), rng, 1);
    const Vec want = oracle_backward_data(p, values(wt.view), values(dy.view),
                                          p.has_bias ? values(bias.cview()) : Vec{},
                                          p.activation == Activation::relu);
    for (Algorithm a : {Algorithm::automatic, Algorithm::reference}) {
      const Plan plan(p, wt.view, p.has_bias ? bias.cview() : ConstTensorView{},
                      PlanOptions{.algorithm = a});
      const Buffer dx = make_view(dt, input_shape(p), rng, 100);  // stale values: overwritten
      plan.execute(dy.view, dx.view);
      EXPECT_LE(max_error(dx.view, want), tolerance(dt)) << plan.explain();
    }
  }
}

TEST(ConvBackwardWeights, MatchesTheScatterOverRandomProblems) {
  test::Rng rng(5151);
  for (int iter = 0; iter < test::case_count(200); ++iter) {
    const DType dt = rng.chance(0.6) ? DType::f32 : DType::f64;
    const ConvProblem p = random_problem(rng, Direction::backward_weights, dt);
    SCOPED_TRACE(::testing::Message() << "iter " << iter << " " << p.to_string());
    const Buffer x = make_view(dt, input_shape(p), rng, 1);
    const Buffer dy = make_view(dt, output_shape(p), rng, 1);
    const Vec want_w = oracle_backward_weights(p, values(x.view), values(dy.view));
    const Vec want_b = oracle_bias_grad(p, values(dy.view));
    for (Algorithm a : {Algorithm::automatic, Algorithm::reference}) {
      const Plan plan(p, PlanOptions{.algorithm = a});
      const Buffer dw = make_view(dt, filter_shape(p), rng, 100);
      auto db = test::random_view(dt, {p.k}, rng);
      test::fill_random(db.view, rng, 100);
      const bool with_bias = rng.chance(0.7);
      plan.execute_backward_weights(x.view, dy.view, dw.view, with_bias ? db.view : TensorView{});
      EXPECT_LE(max_error(dw.view, want_w), tolerance(dt)) << plan.explain();
      if (with_bias) {
        EXPECT_LE(max_error(db.view, want_b), tolerance(dt)) << plan.explain();
      }
    }
  }
}

// Sizes where the fast paths (blocked, depthwise, 1x1, grouped, Winograd) take the problem.
std::vector<ConvProblem> fast_path_problems(DType dt) {
  std::vector<ConvProblem> out;
  auto add = [&](std::int64_t c, std::int64_t k, std::int64_t g, std::int64_t r, std::int64_t st,
                 std::int64_t pad) {
    ConvProblem p;
    p.n = 2, p.c = c, p.k = k, p.groups = g, p.h = 17, p.w = 19, p.r = p.s = r;
    p.stride_h = p.stride_w = st;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
    p.src_dtype = p.filter_dtype = p.dst_dtype = dt;
    out.push_back(p);
  };
  add(16, 24, 1, 3, 1, 1), add(16, 16, 16, 3, 1, 1), add(16, 32, 1, 1, 1, 0);
  add(32, 32, 4, 3, 2, 1), add(8, 16, 1, 5, 1, 2), add(24, 24, 24, 5, 2, 2);
  return out;
}

// <conv(x), gy> == <x, backward_data(gy)> == <w, backward_weights(x, gy)>: the library against
// itself, no oracle (small integers, so the f64 sums are exact on the direct paths). Zero
// padding and the other borders alike: folding border gradients back is the exact adjoint.
TEST(ConvBackward, AdjointIdentity) {
  test::Rng rng(99);
  std::vector<ConvProblem> problems;
  for (DType dt : {DType::f32, DType::f64}) {
    for (int i = 0; i < test::case_count(40); ++i)
      problems.push_back(random_problem(rng, Direction::forward, dt, 0));
    for (const ConvProblem& p : fast_path_problems(dt)) problems.push_back(p);
  }
  auto ints = [&](Shape s, DType dt) {
    Tensor t(dt, std::span<const std::int64_t>(s));
    for (std::int64_t i = 0; i < t.numel(); ++i) {
      const double v = double(rng.uniform(-3, 3));
      if (dt == DType::f32) t.data_as<float>()[i] = float(v);
      else t.data_as<double>()[i] = v;
    }
    return t;
  };
  auto dot = [](const Vec& a, const Vec& b) {
    double acc = 0;
    for (std::size_t i = 0; i < a.size(); ++i) acc += a[i] * b[i];
    return acc;
  };
  auto absolute = [](Vec v) {
    for (double& e : v) e = std::abs(e);
    return v;
  };
  for (const ConvProblem& fwd : problems) {
    SCOPED_TRACE(fwd.to_string());
    const DType dt = fwd.src_dtype;
    Tensor x = ints(input_shape(fwd), dt), w = ints(filter_shape(fwd), dt),
           gy = ints(output_shape(fwd), dt);
    Tensor y(dt, std::span<const std::int64_t>(output_shape(fwd)));
    Tensor gx(dt, std::span<const std::int64_t>(input_shape(fwd)));
    Tensor gw(dt, std::span<const std::int64_t>(filter_shape(fwd)));
    Plan(fwd, w.cview()).execute(x.cview(), y.view());
    ConvProblem bd = fwd, bw = fwd;
    bd.direction = Direction::backward_data, bw.direction = Direction::backward_weights;
    Plan(bd, w.cview()).execute(gy.cview(), gx.view());
    Plan(bw).execute_backward_weights(x.cview(), gy.cview(), gw.view());
    const double a = dot(values(y.cview()), values(gy.cview()));
    const double b = dot(values(x.cview()), values(gx.cview()));
    const double c = dot(values(w.cview()), values(gw.cview()));
    // Sum of |x w gy| over all taps: the scale round-off is measured against.
    const double scale = dot(
        oracle_forward(fwd, absolute(values(x.cview())), absolute(values(w.cview()))),
        absolute(values(gy.cview())));
    const double tol = (dt == DType::f32 ? 1e-5 : 1e-12) * std::max(1.0, scale);
    EXPECT_NEAR(a, b, tol);
    EXPECT_NEAR(a, c, tol);
  }
}

TEST(ConvBackward, FastPathSizesMatchTheScatter) {
  test::Rng rng(123);
  for (DType dt : {DType::f32, DType::f64})
    for (ConvProblem p : fast_path_problems(dt)) {
      SCOPED_TRACE(p.to_string());
      const Buffer x = make_view(dt, input_shape(p), rng, 1);
      const Buffer dy = make_view(dt, output_shape(p), rng, 1);
      const Buffer wt = make_view(dt, filter_shape(p), rng, 1);
      p.direction = Direction::backward_data;
      const Plan bd(p, wt.view);
      Tensor dx(dt, std::span<const std::int64_t>(input_shape(p)));
      bd.execute(dy.view, dx.view());
      const Vec want_x = oracle_backward_data(p, values(wt.view), values(dy.view), {}, false);
      EXPECT_LE(max_error(dx.cview(), want_x), tolerance(dt)) << bd.explain();
      p.direction = Direction::backward_weights;
      const Plan bw(p);
      Tensor dw(dt, std::span<const std::int64_t>(filter_shape(p)));
      bw.execute_backward_weights(x.view, dy.view, dw.view());
      EXPECT_LE(max_error(dw.cview(), oracle_backward_weights(p, values(x.view), values(dy.view))),
                tolerance(dt)) << bw.explain();
    }
}

TEST(ConvBackwardWeights, SameBitsForAnyThreadCount) {
  struct Restore {
    ~Restore() { set_num_threads(0); }
  } restore;
  test::Rng rng(7);
  for (std::int64_t groups : {1, 4, 32}) {
    ConvProblem p;
    p.n = 4, p.c = 32, p.k = 32, p.groups = groups, p.h = 28, p.w = 28, p.r = p.s = 3;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    p.src_dtype = p.filter_dtype = p.dst_dtype = DType::f32;
    p.direction = Direction::backward_weights;
    SCOPED_TRACE(p.to_string());
    Tensor x(DType::f32, std::span<const std::int64_t>(input_shape(p)));
    Tensor dy(DType::f32, std::span<const std::int64_t>(output_shape(p)));
    test::fill_random(x.view(), rng, 1), test::fill_random(dy.view(), rng, 1);
    std::vector<Tensor> dw, db;
    for (int threads : {1, 2, 0}) {
      set_num_threads(threads);
      dw.emplace_back(DType::f32, std::span<const std::int64_t>(filter_shape(p)));
      db.emplace_back(DType::f32, std::initializer_list<std::int64_t>{p.k});
      Plan(p).execute_backward_weights(x.cview(), dy.cview(), dw.back().view(), db.back().view());
    }
    const std::size_t wbytes = std::size_t(dw[0].numel()) * sizeof(float);
    const std::size_t bbytes = std::size_t(p.k) * sizeof(float);
    for (std::size_t i = 1; i < dw.size(); ++i) {
      EXPECT_EQ(std::memcmp(dw[0].data(), dw[i].data(), wbytes), 0) << "threads run " << i;
      EXPECT_EQ(std::memcmp(db[0].data(), db[i].data(), bbytes), 0) << "threads run " << i;
    }
    const Vec want = oracle_backward_weights(p, values(x.cview()), values(dy.cview()));
    EXPECT_LE(max_error(dw[0].cview(), want), 5e-5);  // f32 sums of 3136 products
  }
}

// The dilated, strided, padded vector from MXNet's deconvolution tests: 3 x 3 input, kernel 3,
// stride 2, padding 2, dilation 2. Input rows 0 and 2 are each read by two taps, row 1 by none.
TEST(ConvBackwardData, MXNetDilatedStridedVector) {
  test::Rng rng(11);
  for (DType dt : {DType::f32, DType::f64}) {
    ConvProblem p;
    p.h = p.w = 3, p.r = p.s = 3, p.stride_h = p.stride_w = 2, p.dilation_h = p.dilation_w = 2;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 2;
    p.src_dtype = p.filter_dtype = p.dst_dtype = dt;
    p.direction = Direction::backward_data;
    ASSERT_EQ(p.out_h(), 2);
    ASSERT_EQ(p.out_w(), 2);
    const Vec ones_want{4, 0, 4, 0, 0, 0, 4, 0, 4};
    EXPECT_EQ(oracle_backward_data(p, Vec(9, 1.0), Vec(4, 1.0), {}, false), ones_want);
    Tensor w(dt, {1, 1, 3, 3}), dy(dt, {1, 1, 2, 2}), dx(dt, {1, 1, 3, 3});
    copy(ConstTensorView(Vec(9, 1.0).data(), DType::f64, {1, 1, 3, 3}), w.view());
    copy(ConstTensorView(Vec(4, 1.0).data(), DType::f64, {1, 1, 2, 2}), dy.view());
    for (Algorithm a : {Algorithm::automatic, Algorithm::reference}) {
      Plan(p, w.cview(), {}, {.algorithm = a}).execute(dy.cview(), dx.view());
      EXPECT_EQ(values(dx.cview()), ones_want) << algorithm_name(a);
    }
    // The same through nn::conv_transpose2d: 2 x 2 -> (2-1)*2 - 4 + 2*2 + 1 = 3.
    Tensor t = nn::conv_transpose2d(dy.cview(), w.cview(), {},
                                    {.stride = 2, .dilation = 2, .padding = 2});
    EXPECT_EQ(values(t.cview()), ones_want);
    // Random values and channels.
    p.n = 2, p.c = 3, p.k = 2;
    const Buffer rw = make_view(dt, filter_shape(p), rng, 1);
    const Buffer rdy = make_view(dt, output_shape(p), rng, 1);
    const Vec want = oracle_backward_data(p, values(rw.view), values(rdy.view), {}, false);
    for (Algorithm a : {Algorithm::automatic, Algorithm::reference}) {
      Tensor rdx(dt, std::span<const std::int64_t>(input_shape(p)));
      Plan(p, rw.view, {}, {.algorithm = a}).execute(rdy.view, rdx.view());
      EXPECT_LE(max_error(rdx.cview(), want), tolerance(dt)) << algorithm_name(a);
    }
  }
}

// ---- nn front ends ----

// An NCHW view of a tensor in `layout` order.
ConstTensorView nchw(const ConstTensorView& v, nn::Layout layout) {
  if (layout == nn::Layout::NCHW) return v;
  const Shape shape{v.dim(0), v.dim(3), v.dim(1), v.dim(2)};
  const Shape strides{v.stride(0), v.stride(3), v.stride(1), v.stride(2)};
  return ConstTensorView(v.data(), v.dtype(), std::span<const std::int64_t>(shape),
                         std::span<const std::int64_t>(strides));
}
Shape in_layout(Shape s, nn::Layout layout) {
  return layout == nn::Layout::NCHW ? s : Shape{s[0], s[2], s[3], s[1]};
}

TEST(NnConvTranspose2d, OutputShapeFollowsTorch) {
  nn::ConvTranspose2dOptions o{.stride = {2, 3}, .dilation = {2, 1}, .groups = 2,
                               .padding = {1, 2}, .output_padding = {1, 0}};
  // H: (5-1)*2 - 2*1 + 2*(3-1) + 1 + 1 = 12; W: (7-1)*3 - 2*2 + 1*(4-1) + 0 + 1 = 18.
  EXPECT_EQ(nn::transpose_output_shape({1, 4, 5, 7}, 6, {3, 4}, o), (Shape{1, 6, 12, 18}));
  Tensor x = Tensor::zeros(DType::f32, {1, 4, 5, 7}), w = Tensor::zeros(DType::f32, {4, 3, 3, 4});
  const Tensor y = nn::conv_transpose2d(x.cview(), w.cview(), {}, o);
  EXPECT_EQ((Shape{y.dim(0), y.dim(1), y.dim(2), y.dim(3)}), (Shape{1, 6, 12, 18}));
  o.layout = nn::Layout::NHWC;
  EXPECT_EQ(nn::transpose_output_shape({1, 5, 7, 4}, 6, {3, 4}, o), (Shape{1, 12, 18, 6}));
}

TEST(NnConvTranspose2d, OutputPaddingMustBeSmallerThanStrideOrDilation) {
  std::vector<float> x(2 * 4 * 4, 1.f), w(2 * 2 * 3 * 3, 1.f);
  const ConstTensorView in(x.data(), DType::f32, {1, 2, 4, 4});
  const ConstTensorView wt(w.data(), DType::f32, {2, 2, 3, 3});
  auto message = [&](const nn::ConvTranspose2dOptions& o) -> std::string {
    try {
      nn::conv_transpose2d(in, wt, {}, o);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string want = "output padding must be smaller than either stride or dilation";
  EXPECT_NE(message({.stride = 2, .output_padding = 2}).find(want), std::string::npos);
  EXPECT_NE(message({.output_padding = 1}).find(want), std::string::npos);
  EXPECT_NE(message({.stride = 2, .dilation = 2, .output_padding = 2}).find(want),
            std::string::npos);
  EXPECT_NE(message({.stride = {3, 2}, .output_padding = {1, 2}}).find(want), std::string::npos);
  EXPECT_EQ(message({.dilation = 2, .output_padding = 1}), "no error");  // < dilation suffices
  EXPECT_EQ(message({.stride = {2, 1}, .dilation = {1, 3}, .output_padding = 1}), "no error");
  EXPECT_THROW(nn::transpose_crop({.stride = 2, .output_padding = 3}), Error);
}

// conv_transpose2d is backward-data of its forward problem (pads p and p - output_padding);
// its input gradient is that forward convolution, its weight gradient backward-weights with
// grad_output as the source.
TEST(NnConvTranspose2d, MatchesTheScatterAndItsGradients) {
  test::Rng rng(31337);
  for (int iter = 0; iter < test::case_count(100); ++iter) {
    const DType dt = rng.chance(0.6) ? DType::f32 : DType::f64;
    ConvProblem p = random_problem(rng, Direction::backward_data, dt, 0);  // for channels only
    nn::ConvTranspose2dOptions o;
    o.groups = p.groups;
    const std::int64_t cin = p.k, cout = p.c, n = p.n, h = rng.uniform(1, 6), w = rng.uniform(1, 6);
    const std::int64_t kh = rng.uniform(1, 4), kw = rng.uniform(1, 4);
    o.stride = {rng.uniform(1, 3), rng.uniform(1, 3)};
    o.dilation = rng.chance(0.5) ? nn::Size2(1) : nn::Size2(rng.uniform(1, 3), rng.uniform(1, 3));
    o.padding = {rng.uniform(0, 2), rng.uniform(0, 2)};
    o.output_padding = {rng.uniform(0, std::max(o.stride.h, o.dilation.h) - 1),
                        rng.uniform(0, std::max(o.stride.w, o.dilation.w) - 1)};
    o.layout = rng.chance(0.5) ? nn::Layout::NCHW : nn::Layout::NHWC;
    const bool relu = rng.chance(0.3), has_bias = rng.chance(0.5);
    o.activation = relu ? Activation::relu : Activation::none;
    const std::int64_t ho = (h - 1) * o.stride.h - 2 * o.padding.h + o.dilation.h * (kh - 1) +
                            o.output_padding.h + 1;
    const std::int64_t wo = (w - 1) * o.stride.w - 2 * o.padding.w + o.dilation.w * (kw - 1) +
                            o.output_padding.w + 1;
    const Shape x_shape = in_layout({n, cin, h, w}, o.layout);
    SCOPED_TRACE(::testing::Message() << "iter " << iter << " in " << n << "x" << cin << "x" << h
                                      << "x" << w << " out " << cout << " g" << o.groups << " k"
                                      << kh << "x" << kw << " -> " << ho << "x" << wo);
    if (ho < 1 || wo < 1) {
      EXPECT_THROW(nn::transpose_output_shape(x_shape, cout, {kh, kw}, o), Error);
      continue;
    }
    const Shape y_shape = in_layout({n, cout, ho, wo}, o.layout);
    ASSERT_EQ(nn::transpose_output_shape(x_shape, cout, {kh, kw}, o), y_shape);
    p.h = ho, p.w = wo, p.r = kh, p.s = kw, p.border = Border::constant;
    p.stride_h = o.stride.h, p.stride_w = o.stride.w;
    p.dilation_h = o.dilation.h, p.dilation_w = o.dilation.w;
    p.pad_top = o.padding.h, p.pad_bottom = o.padding.h - o.output_padding.h;
    p.pad_left = o.padding.w, p.pad_right = o.padding.w - o.output_padding.w;
    ASSERT_EQ(p.out_h(), h);
    ASSERT_EQ(p.out_w(), w);
    const Buffer x = make_view(dt, x_shape, rng, 1), gy = make_view(dt, y_shape, rng, 1);
    const Buffer wt = make_view(dt, filter_shape(p), rng, 1);
    Tensor b(dt, {cout});
    test::fill_random(b.view(), rng, 1);
    const Vec xv = values(nchw(x.view, o.layout)), gyv = values(nchw(gy.view, o.layout));
    const Vec wv = values(wt.view);

    const Tensor y =
        nn::conv_transpose2d(x.view, wt.view, has_bias ? b.cview() : ConstTensorView{}, o);
    const Vec want_y = oracle_backward_data(p, wv, xv, has_bias ? values(b.cview()) : Vec{}, relu);
    EXPECT_LE(max_error(nchw(y.cview(), o.layout), want_y), tolerance(dt));
    nn::ConvTranspose2dOptions plain = o;
    plain.activation = Activation::none;
    const Tensor gx = nn::conv_transpose2d_grad_input(x_shape, wt.view, gy.view, plain);
    EXPECT_LE(max_error(nchw(gx.cview(), o.layout), oracle_forward(p, gyv, wv)), tolerance(dt));
    const Tensor gw = nn::conv_transpose2d_grad_weight(x.view, filter_shape(p), gy.view, plain);
    EXPECT_LE(max_error(gw.cview(), oracle_backward_weights(p, gyv, xv)), tolerance(dt));
  }
}

// conv2d's gradients with every padding mode: the gradient of a padded sample is folded back
// onto the sample it copies (the scatter through the border rule).
TEST(NnConv2dGrad, InputWeightAndBiasFoldBordersBack) {
  test::Rng rng(8080);
  for (int iter = 0; iter < test::case_count(120); ++iter) {
    const DType dt = rng.chance(0.6) ? DType::f32 : DType::f64;
    // Non-constant borders come with pads < size: torch's reflect needs that (circular <= size).
    const ConvProblem p = random_problem(rng, Direction::backward_data, dt, 0);
    nn::Conv2dOptions o;
    o.stride = {p.stride_h, p.stride_w}, o.dilation = {p.dilation_h, p.dilation_w};
    o.groups = p.groups;
    o.padding = nn::Padding(p.pad_top, p.pad_bottom, p.pad_left, p.pad_right);
    o.padding_mode = p.border == Border::mirror      ? nn::PaddingMode::reflect
                     : p.border == Border::replicate ? nn::PaddingMode::replicate
                     : p.border == Border::wrap      ? nn::PaddingMode::circular
                                                     : nn::PaddingMode::zeros;
    o.layout = rng.chance(0.5) ? nn::Layout::NCHW : nn::Layout::NHWC;
    o.activation = rng.chance(0.3) ? Activation::relu : Activation::none;  // grad_input ignores it
    nn::Conv2dOptions plain = o;
    plain.activation = Activation::none;
    SCOPED_TRACE(::testing::Message() << "iter " << iter << " " << p.to_string() << " layout "
                                      << int(o.layout));
    const Shape x_shape = in_layout(input_shape(p), o.layout);
    const Shape y_shape = in_layout(output_shape(p), o.layout);
    ASSERT_EQ(nn::output_shape(x_shape, p.k, {p.r, p.s}, o), y_shape);
    const Buffer x = make_view(dt, x_shape, rng, 1), gy = make_view(dt, y_shape, rng, 1);
    const Buffer wt = make_view(dt, filter_shape(p), rng, 1);
    const Vec xv = values(nchw(x.view, o.layout)), gyv = values(nchw(gy.view, o.layout));
    const Vec want_x = oracle_backward_data(p, values(wt.view), gyv, {}, false);
    const Vec want_w = oracle_backward_weights(p, xv, gyv), want_b = oracle_bias_grad(p, gyv);

    const Tensor gx = nn::conv2d_grad_input(x_shape, wt.view, gy.view, o);
    EXPECT_LE(max_error(nchw(gx.cview(), o.layout), want_x), tolerance(dt));
    const Buffer gx2 = make_view(dt, x_shape, rng, 100);
    nn::conv2d_grad_input(gy.view, wt.view, o, gx2.view);
    EXPECT_LE(max_error(nchw(gx2.view, o.layout), want_x), tolerance(dt));

    const Tensor gw = nn::conv2d_grad_weight(x.view, filter_shape(p), gy.view, plain);
    EXPECT_LE(max_error(gw.cview(), want_w), tolerance(dt));
    const Buffer gw2 = make_view(dt, filter_shape(p), rng, 100);
    auto gb2 = test::random_view(dt, {p.k}, rng);
    test::fill_random(gb2.view, rng, 100);
    nn::conv2d_grad_weight(x.view, gy.view, plain, gw2.view, gb2.view);
    EXPECT_LE(max_error(gw2.view, want_w), tolerance(dt));
    EXPECT_LE(max_error(gb2.view, want_b), tolerance(dt));

    const Tensor gb = nn::conv2d_grad_bias(gy.view, o.layout);
    EXPECT_LE(max_error(gb.cview(), want_b), tolerance(dt));
  }
}

}  // namespace
}  // namespace convkit
