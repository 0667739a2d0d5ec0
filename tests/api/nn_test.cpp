// convkit::nn: torch.nn.functional.conv2d semantics, checked against a loop written here from the
// definition (its own padding arithmetic and border rules, not convkit's).
#include "convkit/nn.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "test_util.h"

namespace convkit {
namespace {

using nn::Conv2dOptions;
using nn::Layout;
using nn::PaddingMode;

struct Case {
  std::int64_t n, c, h, w, k, r, s;
  Conv2dOptions o;
  bool bias;
};

// PyTorch's padding modes on coordinate i of an axis of size len; -1 = zero.
std::int64_t torch_index(std::int64_t i, std::int64_t len, PaddingMode m) {
  if (i >= 0 && i < len) return i;
  switch (m) {
    case PaddingMode::zeros: return -1;
    case PaddingMode::replicate: return i < 0 ? 0 : len - 1;
    case PaddingMode::reflect: return i < 0 ? -i : 2 * (len - 1) - i;  // pad < len guaranteed
    case PaddingMode::circular: return i < 0 ? i + len : i - len;       // pad <= len
  }
  return -1;
}

double act(double v, const Conv2dOptions& o) {
  switch (o.activation) {
    case Activation::none: return v;
    case Activation::relu: return std::max(v, 0.0);
    case Activation::relu6: return std::min(std::max(v, 0.0), 6.0);
    case Activation::leaky_relu: return v < 0 ? o.alpha * v : v;
    case Activation::clamp: return std::min(std::max(v, o.alpha), o.beta);
    case Activation::sigmoid: return 1 / (1 + std::exp(-v));
    case Activation::tanh: return std::tanh(v);
    case Activation::gelu: return v * 0.5 * std::erfc(-v / std::sqrt(2.0));
    case Activation::silu: return v / (1 + std::exp(-v));
  }
  return v;
}

struct Pads4 {
  std::int64_t t, b, l, r;
};

Pads4 pads_of(const Case& cs) {
  const auto& p = cs.o.padding;
  if (p.kind == nn::Padding::Kind::valid) return {0, 0, 0, 0};
  if (p.kind == nn::Padding::Kind::explicit_pads) return {p.top, p.bottom, p.left, p.right};
  auto split = [](std::int64_t in, std::int64_t st, std::int64_t d, std::int64_t k) {
    std::int64_t total;
    if (st == 1) {
      total = d * (k - 1);  // PyTorch
    } else {                // TensorFlow SAME
      std::int64_t out = (in + st - 1) / st;
      total = std::max<std::int64_t>(0, (out - 1) * st + (k - 1) * d + 1 - in);
    }
    return std::pair{total / 2, total - total / 2};
  };
  auto [t, b] = split(cs.h, cs.o.stride.h, cs.o.dilation.h, cs.r);
  auto [l, r] = split(cs.w, cs.o.stride.w, cs.o.dilation.w, cs.s);
  return {t, b, l, r};
}

// Is the case legal for PyTorch (plus convkit's TF 'same' extension)?
bool legal(const Case& cs, std::int64_t& P, std::int64_t& Q) {
  const Pads4 pd = pads_of(cs);
  P = (cs.h + pd.t + pd.b - cs.o.dilation.h * (cs.r - 1) - 1) / cs.o.stride.h + 1;
  Q = (cs.w + pd.l + pd.r - cs.o.dilation.w * (cs.s - 1) - 1) / cs.o.stride.w + 1;
  if (cs.h + pd.t + pd.b - cs.o.dilation.h * (cs.r - 1) - 1 < 0) return false;
  if (cs.w + pd.l + pd.r - cs.o.dilation.w * (cs.s - 1) - 1 < 0) return false;
  if (cs.o.padding_mode == PaddingMode::reflect &&
      (pd.t >= cs.h || pd.b >= cs.h || pd.l >= cs.w || pd.r >= cs.w))
    return false;
  if (cs.o.padding_mode == PaddingMode::circular &&
      (pd.t > cs.h || pd.b > cs.h || pd.l > cs.w || pd.r > cs.w))
    return false;
  return true;
}

// Output in NCHW order, from the definition. x: N x C x H x W; wt: K x C/g x R x S.
std::vector<double> definition(const Case& cs, const std::vector<double>& x,
                               const std::vector<double>& wt, const std::vector<double>& b,
                               std::int64_t P, std::int64_t Q) {
  const Pads4 pd = pads_of(cs);
  const std::int64_t g = cs.o.groups, cg = cs.c / g, kg = cs.k / g;
  std::vector<double> out(std::size_t(cs.n * cs.k * P * Q));
  for (std::int64_t n = 0; n < cs.n; ++n)
    for (std::int64_t k = 0; k < cs.k; ++k)
      for (std::int64_t p = 0; p < P; ++p)
        for (std::int64_t q = 0; q < Q; ++q) {
          double acc = cs.bias ? b[std::size_t(k)] : 0.0;
          for (std::int64_t c = 0; c < cg; ++c)
            for (std::int64_t r = 0; r < cs.r; ++r)
              for (std::int64_t s = 0; s < cs.s; ++s) {
                const std::int64_t y = torch_index(p * cs.o.stride.h - pd.t + r * cs.o.dilation.h,
                                                   cs.h, cs.o.padding_mode);
                const std::int64_t xx = torch_index(
                    q * cs.o.stride.w - pd.l + s * cs.o.dilation.w, cs.w, cs.o.padding_mode);
                if (y < 0 || xx < 0) continue;
                const std::int64_t ch = (k / kg) * cg + c;
                acc += x[std::size_t(((n * cs.c + ch) * cs.h + y) * cs.w + xx)] *
                       wt[std::size_t(((k * cg + c) * cs.r + r) * cs.s + s)];
              }
          out[std::size_t(((n * cs.k + k) * P + p) * Q + q)] = act(acc, cs.o);
        }
  return out;
}

// Logical element (n, c, y, x) of a view in the layout's order.
std::int64_t flat(Layout l, std::array<std::int64_t, 4> shape, std::int64_t n, std::int64_t c,
                  std::int64_t y, std::int64_t x) {
  if (l == Layout::NCHW) return ((n * shape[1] + c) * shape[2] + y) * shape[3] + x;
  return ((n * shape[1] + y) * shape[2] + x) * shape[3] + c;
}

Case random_case(test::Rng& rng) {
  Case cs;
  cs.o = Conv2dOptions{};
  switch (rng.uniform(0, 3)) {
    case 0:  // dense
      cs.o.groups = 1, cs.c = rng.uniform(1, 12), cs.k = rng.uniform(1, 12);
      break;
    case 1: {  // grouped
      cs.o.groups = rng.uniform(2, 4);
      cs.c = cs.o.groups * rng.uniform(1, 12 / cs.o.groups);
      cs.k = cs.o.groups * rng.uniform(1, 12 / cs.o.groups);
      break;
    }
    default:  // depthwise, channel multiplier 1..3
      cs.c = cs.o.groups = rng.uniform(1, 12);
      cs.k = cs.c * rng.uniform(1, 3);
      break;
  }
  cs.n = rng.uniform(1, 3);
  cs.h = rng.uniform(1, 11), cs.w = rng.uniform(1, 11);
  cs.r = rng.uniform(1, 5), cs.s = rng.uniform(1, 5);
  cs.o.stride = rng.chance(0.5) ? nn::Size2(1) : nn::Size2(rng.uniform(1, 3), rng.uniform(1, 3));
  cs.o.dilation =
      rng.chance(0.6) ? nn::Size2(1) : nn::Size2(rng.uniform(1, 3), rng.uniform(1, 3));
  switch (rng.uniform(0, 4)) {
    case 0: cs.o.padding = nn::Padding(std::int64_t(rng.uniform(0, 2))); break;
    case 1: cs.o.padding = nn::Padding(rng.uniform(0, 2), rng.uniform(0, 2)); break;
    case 2:
      cs.o.padding =
          nn::Padding(rng.uniform(0, 3), rng.uniform(0, 3), rng.uniform(0, 3), rng.uniform(0, 3));
      break;
    case 3: cs.o.padding = "valid"; break;
    default: cs.o.padding = "same"; break;
  }
  cs.o.padding_mode = rng.pick(std::vector<PaddingMode>{PaddingMode::zeros, PaddingMode::reflect,
                                                         PaddingMode::replicate,
                                                         PaddingMode::circular});
  cs.o.layout = rng.chance(0.5) ? Layout::NCHW : Layout::NHWC;
  cs.o.activation = static_cast<Activation>(rng.uniform(0, 8));
  if (cs.o.activation == Activation::leaky_relu) cs.o.alpha = rng.real(0.01, 0.3);
  if (cs.o.activation == Activation::clamp) cs.o.alpha = rng.real(-2, 0), cs.o.beta = rng.real(0, 2);
  cs.bias = rng.chance(0.5);
  if (rng.chance(0.25)) cs.o.plan.algorithm = Algorithm::reference;  // else the planner's choice
  return cs;
}

double max_rel_error(const ConstTensorView& got, const std::vector<double>& want, Layout l,
                     std::array<std::int64_t, 4> nkpq) {
  double err = 0, scale = 1e-30;
  for (double v : want) scale = std::max(scale, std::abs(v));
  std::array<std::int64_t, 4> shape = l == Layout::NCHW
                                          ? nkpq
                                          : std::array<std::int64_t, 4>{nkpq[0], nkpq[2], nkpq[3], nkpq[1]};
  for (std::int64_t n = 0; n < nkpq[0]; ++n)
    for (std::int64_t k = 0; k < nkpq[1]; ++k)
      for (std::int64_t p = 0; p < nkpq[2]; ++p)
        for (std::int64_t q = 0; q < nkpq[3]; ++q) {
          const double g = test::element(got, flat(l, shape, n, k, p, q)).real();
          const double w = want[std::size_t(((n * nkpq[1] + k) * nkpq[2] + p) * nkpq[3] + q)];
          err = std::max(err, std::abs(g - w) / scale);
        }
  return err;
}

TEST(NnConv2d, MatchesTheDefinitionOverRandomProblems) {
  test::Rng rng(2024);
  int ran = 0;
  for (int iter = 0; iter < test::case_count(400); ++iter) {
    Case cs = random_case(rng);
    const DType dt = rng.chance(0.7) ? DType::f32 : DType::f64;
    std::int64_t P = 0, Q = 0;
    const bool ok = legal(cs, P, Q);
    const std::array<std::int64_t, 4> in_shape =
        cs.o.layout == Layout::NCHW ? std::array<std::int64_t, 4>{cs.n, cs.c, cs.h, cs.w}
                                    : std::array<std::int64_t, 4>{cs.n, cs.h, cs.w, cs.c};
    auto in = test::random_view(dt, {in_shape.begin(), in_shape.end()}, rng);
    test::fill_random(in.view, rng, 1);
    Tensor wt(dt, {cs.k, cs.c / cs.o.groups, cs.r, cs.s});
    test::fill_random(wt.view(), rng, 1);
    Tensor b(dt, {cs.k});
    test::fill_random(b.view(), rng, 1);
    ConstTensorView bias = cs.bias ? b.cview() : ConstTensorView{};
    SCOPED_TRACE(::testing::Message()
                 << "iter " << iter << " n" << cs.n << "c" << cs.c << "h" << cs.h << "w" << cs.w
                 << "k" << cs.k << "g" << cs.o.groups << "r" << cs.r << "s" << cs.s << " stride "
                 << cs.o.stride.h << "," << cs.o.stride.w << " dil " << cs.o.dilation.h << ","
                 << cs.o.dilation.w << " padkind " << int(cs.o.padding.kind) << " mode "
                 << int(cs.o.padding_mode) << " layout " << int(cs.o.layout) << " act "
                 << int(cs.o.activation) << " bias " << cs.bias);
    if (!ok) {
      const std::string param =
          test::error_parameter([&] { nn::conv2d(in.view, wt.cview(), bias, cs.o); });
      EXPECT_TRUE(param == "padding" || param == "weight") << param;
      continue;
    }
    ++ran;
    std::vector<double> x(std::size_t(cs.n * cs.c * cs.h * cs.w)), w, bv;
    for (std::int64_t n = 0; n < cs.n; ++n)
      for (std::int64_t c = 0; c < cs.c; ++c)
        for (std::int64_t y = 0; y < cs.h; ++y)
          for (std::int64_t xx = 0; xx < cs.w; ++xx)
            x[std::size_t(((n * cs.c + c) * cs.h + y) * cs.w + xx)] =
                test::element(in.view, flat(cs.o.layout, in_shape, n, c, y, xx)).real();
    for (std::int64_t i = 0; i < wt.numel(); ++i) w.push_back(test::element(wt.cview(), i).real());
    for (std::int64_t i = 0; i < cs.k; ++i) bv.push_back(test::element(b.cview(), i).real());
    const auto want = definition(cs, x, w, bv, P, Q);
    const double tol = dt == DType::f32 ? 1e-5 : 1e-12;
    const std::array<std::int64_t, 4> nkpq{cs.n, cs.k, P, Q};

    Tensor got = nn::conv2d(in.view, wt.cview(), bias, cs.o);
    ASSERT_EQ(got.dtype(), dt);
    EXPECT_LE(max_rel_error(got.cview(), want, cs.o.layout, nkpq), tol);

    // The view overload into an awkwardly strided output.
    const auto out_shape = nn::output_shape(in_shape, cs.k, {cs.r, cs.s}, cs.o);
    auto out = test::random_view(dt, {out_shape.begin(), out_shape.end()}, rng);
    nn::conv2d(in.view, wt.cview(), bias, cs.o, out.view);
    EXPECT_LE(max_rel_error(out.view, want, cs.o.layout, nkpq), tol);

    // The layer.
    nn::Conv2d layer(cs.c, cs.k, {cs.r, cs.s}, cs.o, wt.cview(), bias);
    Tensor y = layer.forward(in.view);
    EXPECT_LE(max_rel_error(y.cview(), want, cs.o.layout, nkpq), tol);
  }
  EXPECT_GT(ran, test::case_count(400) / 3);
}

// 1 x 1 x 5 x 5 input with distinct values; a one-hot kernel shows where the pads went.
TEST(NnConv2d, SameFollowsPyTorchOnEvenKernelsAndTensorFlowForStride) {
  std::vector<float> x(25);
  for (int i = 0; i < 25; ++i) x[std::size_t(i)] = float(i + 1);
  ConstTensorView in(x.data(), DType::f32, {1, 1, 5, 5});
  auto at = [&](const Tensor& t, std::int64_t p, std::int64_t q) {
    return t.data_as<float>()[p * t.dim(3) + q];
  };
  // kernel 4, dilation 1: total 3 -> top 1, bottom 2. One-hot at (0,0): out[p][q] = in[p-1][q-1].
  std::vector<float> w(16, 0.f);
  w[0] = 1;
  Tensor y = nn::conv2d(in, ConstTensorView(w.data(), DType::f32, {1, 1, 4, 4}), {},
                        {.padding = "same"});
  ASSERT_EQ(y.dim(2), 5);
  ASSERT_EQ(y.dim(3), 5);
  EXPECT_EQ(at(y, 0, 0), 0.f);
  EXPECT_EQ(at(y, 1, 1), 1.f);
  EXPECT_EQ(at(y, 4, 4), 19.f);  // in[3][3]
  // One-hot at (3,3): out[p][q] = in[p+2][q+2], zero past the bottom/right.
  w[0] = 0, w[15] = 1;
  y = nn::conv2d(in, ConstTensorView(w.data(), DType::f32, {1, 1, 4, 4}), {}, {.padding = "same"});
  EXPECT_EQ(at(y, 0, 0), 13.f);
  EXPECT_EQ(at(y, 2, 2), 25.f);
  EXPECT_EQ(at(y, 3, 3), 0.f);
  // kernel 2, dilation 2: total 2 -> 1 and 1. One-hot at (0,0): out[p][q] = in[p-1][q-1].
  std::vector<float> w2{1, 0, 0, 0};
  y = nn::conv2d(in, ConstTensorView(w2.data(), DType::f32, {1, 1, 2, 2}), {},
                 {.dilation = 2, .padding = "same"});
  EXPECT_EQ(y.dim(2), 5);
  EXPECT_EQ(at(y, 1, 1), 1.f);
  EXPECT_EQ(at(y, 0, 2), 0.f);
  // kernel 2, dilation 1: total 1 -> top 0, bottom 1 (PyTorch puts the extra one last).
  y = nn::conv2d(in, ConstTensorView(w2.data(), DType::f32, {1, 1, 2, 2}), {},
                 {.padding = "same"});
  EXPECT_EQ(at(y, 0, 0), 1.f);
  EXPECT_EQ(at(y, 4, 4), 25.f);
  // Stride 2 (TensorFlow SAME): out = ceil(5/2) = 3, total = 2*2 + 4 - 5 = 3 -> top 1, bottom 2.
  w.assign(16, 0.f);
  w[0] = 1;
  y = nn::conv2d(in, ConstTensorView(w.data(), DType::f32, {1, 1, 4, 4}), {},
                 {.stride = 2, .padding = "same"});
  ASSERT_EQ(y.dim(2), 3);
  ASSERT_EQ(y.dim(3), 3);
  EXPECT_EQ(at(y, 0, 0), 0.f);
  EXPECT_EQ(at(y, 1, 1), 7.f);   // in[1][1]
  EXPECT_EQ(at(y, 2, 2), 19.f);  // in[3][3]
  // 'reflect' is whole-sample: 1 x 1 x 1 x 3 input (1 2 3) padded by 1 -> 2 1 2 3 2.
  std::vector<float> row{1, 2, 3}, one{1, 0, 0};
  y = nn::conv2d(ConstTensorView(row.data(), DType::f32, {1, 1, 1, 3}),
                 ConstTensorView(one.data(), DType::f32, {1, 1, 1, 3}), {},
                 {.padding = {0, 1}, .padding_mode = PaddingMode::reflect});
  EXPECT_EQ(at(y, 0, 0), 2.f);
  EXPECT_EQ(at(y, 0, 1), 1.f);
  EXPECT_EQ(at(y, 0, 2), 2.f);
}

TEST(NnConv2d, ErrorsNameTheParameter) {
  std::vector<float> x(2 * 4 * 6 * 6, 1.f), w(4 * 2 * 3 * 3, 1.f), b(4, 0.f);
  std::vector<double> wd(w.size(), 1.0);
  ConstTensorView in(x.data(), DType::f32, {2, 4, 6, 6});
  ConstTensorView wt(w.data(), DType::f32, {4, 2, 3, 3});
  ConstTensorView bias(b.data(), DType::f32, {4});
  auto param = [&](auto f) { return test::error_parameter(f); };
  EXPECT_EQ(param([&] { nn::conv2d(in, wt, bias, {.groups = 2}); }), "no error");
  EXPECT_EQ(param([&] { nn::conv2d(in, wt, bias, {.groups = 3}); }), "groups");
  EXPECT_EQ(param([&] { nn::conv2d(in, wt, bias, {.groups = 0}); }), "groups");
  EXPECT_EQ(param([&] { nn::conv2d(in, wt, bias, {.groups = 1}); }), "weight");  // C/g = 4 != 2
  EXPECT_EQ(param([&] { nn::conv2d(in, wt, bias, {.stride = 0, .groups = 2}); }), "stride");
  EXPECT_EQ(param([&] { nn::conv2d(in, wt, bias, {.stride = {1, -1}, .groups = 2}); }), "stride");
  EXPECT_EQ(param([&] { nn::conv2d(in, wt, bias, {.dilation = 0, .groups = 2}); }), "dilation");
  EXPECT_EQ(param([&] { nn::conv2d(in, wt, bias, {.dilation = 3, .groups = 2}); }), "weight");
  EXPECT_EQ(param([&] { nn::conv2d(in, wt, bias, {.groups = 2, .padding = -1}); }), "padding");
  EXPECT_EQ(param([&] { nn::conv2d(in, wt, bias, {.groups = 2, .padding = "full"}); }), "padding");
  EXPECT_EQ(param([&] {
              nn::conv2d(in, wt, bias,
                         {.groups = 2, .padding = 6, .padding_mode = PaddingMode::reflect});
            }),
            "padding");
  EXPECT_EQ(param([&] {
              nn::conv2d(in, wt, ConstTensorView(b.data(), DType::f32, {3}), {.groups = 2});
            }),
            "bias");
  EXPECT_EQ(param([&] {
              nn::conv2d(in, wt, ConstTensorView(wd.data(), DType::f64, {4}), {.groups = 2});
            }),
            "bias");
  EXPECT_EQ(param([&] {
              nn::conv2d(in, ConstTensorView(wd.data(), DType::f64, {4, 2, 3, 3}), bias,
                         {.groups = 2});
            }),
            "weight");
  EXPECT_EQ(param([&] {
              nn::conv2d(ConstTensorView(x.data(), DType::f32, {4, 6, 6}), wt, bias, {.groups = 2});
            }),
            "input");
  EXPECT_EQ(param([&] {
              nn::conv2d(in, ConstTensorView(w.data(), DType::f32, {4, 18}), bias, {.groups = 2});
            }),
            "weight");
  EXPECT_EQ(param([&] {
              nn::conv2d(in, wt, bias,
                         {.groups = 2, .activation = Activation::clamp, .alpha = 1, .beta = 0});
            }),
            "beta");
  // The message names the value too.
  try {
    nn::conv2d(in, wt, bias, {.groups = 3});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("groups: 3"), std::string::npos) << e.what();
  }
  // Output view.
  std::vector<float> o(2 * 4 * 4 * 4);
  EXPECT_EQ(param([&] {
              nn::conv2d(in, wt, bias, {.groups = 2}, TensorView(o.data(), DType::f32, {2, 4, 4, 4}));
            }),
            "no error");
  EXPECT_EQ(param([&] {
              nn::conv2d(in, wt, bias, {.groups = 2}, TensorView(o.data(), DType::f32, {2, 4, 4, 3}));
            }),
            "output");
  // The layer checks at creation.
  EXPECT_EQ(param([&] { nn::Conv2d(4, 4, {3, 3}, {.groups = 2}, wt, bias); }), "no error");
  EXPECT_EQ(param([&] { nn::Conv2d(4, 4, {3, 2}, {.groups = 2}, wt, bias); }), "weight");
  EXPECT_EQ(param([&] { nn::Conv2d(4, 6, {3, 3}, {.groups = 4}, wt, bias); }), "groups");
  EXPECT_EQ(param([&] { nn::Conv2d(4, 4, {3, 3}, {.dilation = {1, 0}, .groups = 2}, wt, bias); }),
            "dilation");
  nn::Conv2d layer(4, 4, {3, 3}, {.groups = 2}, wt, bias);
  EXPECT_EQ(param([&] { layer.forward(ConstTensorView(x.data(), DType::f32, {2, 4, 2, 6})); }),
            "kernel");
  EXPECT_EQ(param([&] { layer.forward(ConstTensorView(x.data(), DType::f32, {1, 2, 6, 6})); }),
            "input");
  EXPECT_EQ(param([&] { layer.forward(ConstTensorView(wd.data(), DType::f64, {1, 4, 3, 3})); }),
            "input");
}

// output = act(conv + bias + residual): fused on the fast paths, a pass after the others.
TEST(NnConv2d, ResidualIsAddedBeforeTheActivation) {
  test::Rng rng(77);
  for (Layout layout : {Layout::NCHW, Layout::NHWC})
    for (std::int64_t groups : {1, 8})
      for (std::int64_t r : {1, 3}) {
        nn::Conv2dOptions o;
        o.layout = layout, o.groups = groups, o.padding = r / 2;
        o.activation = Activation::relu;
        const std::int64_t c = 16, k = 16;
        const std::array<std::int64_t, 4> in_shape =
            layout == Layout::NCHW ? std::array<std::int64_t, 4>{2, c, 9, 11}
                                   : std::array<std::int64_t, 4>{2, 9, 11, c};
        Tensor x(DType::f32, std::span<const std::int64_t>(in_shape)),
            wt(DType::f32, {k, c / groups, r, r}), b(DType::f32, {k});
        test::fill_random(x.view(), rng, 1), test::fill_random(wt.view(), rng, 1);
        test::fill_random(b.view(), rng, 1);
        const auto out_shape = nn::output_shape(in_shape, k, {r, r}, o);
        Tensor res(DType::f32, std::span<const std::int64_t>(out_shape));
        test::fill_random(res.view(), rng, 1);
        nn::Conv2dOptions plain = o;
        plain.activation = Activation::none;
        Tensor want = nn::conv2d(x, wt, b, plain);
        for (std::int64_t i = 0; i < want.numel(); ++i) {
          float& v = want.data_as<float>()[i];
          v = std::max(v + res.data_as<float>()[i], 0.0f);
        }
        nn::Conv2d layer(c, k, {r, r}, o, wt, b);
        Tensor got(DType::f32, std::span<const std::int64_t>(out_shape));
        layer.forward(x, got, res);
        Tensor acc(DType::f32, std::span<const std::int64_t>(out_shape));
        copy(res, acc);
        nn::conv2d(x, wt, b, o, acc, acc);  // accumulated in place
        for (std::int64_t i = 0; i < want.numel(); ++i) {
          ASSERT_NEAR(got.data_as<float>()[i], want.data_as<float>()[i], 1e-5) << i;
          ASSERT_NEAR(acc.data_as<float>()[i], want.data_as<float>()[i], 1e-5) << i;
        }
        EXPECT_NE(layer.explain(in_shape, true).find("residual"), std::string::npos);
        Tensor wrong(DType::f32, {1, 1, 1, 1});
        EXPECT_EQ(test::error_parameter([&] { layer.forward(x, got, wrong); }), "residual");
      }
}

TEST(NnConv2d, LayerCachesPlansPerShape) {
  test::Rng rng(5);
  Tensor wt(DType::f32, {8, 3, 3, 3}), b(DType::f32, {8});
  test::fill_random(wt.view(), rng, 1);
  test::fill_random(b.view(), rng, 1);
  nn::Conv2d layer(3, 8, {3, 3},
                   {.padding = 1, .layout = Layout::NHWC, .activation = Activation::silu}, wt, b);
  // The layer owns its copy of the weights: changing the caller's does not change the layer.
  Tensor x(DType::f32, {2, 7, 9, 3});
  test::fill_random(x.view(), rng, 1);
  Tensor y1 = layer.forward(x.cview());
  test::fill_random(wt.view(), rng, 1);
  EXPECT_EQ(layer.cached_plans(), 1u);
  const Plan* first = &layer.plan({2, 7, 9, 3});
  Tensor y2(DType::f32, {2, 7, 9, 8});
  layer.forward(x.cview(), y2.view());
  EXPECT_EQ(&layer.plan({2, 7, 9, 3}), first);
  EXPECT_EQ(layer.cached_plans(), 1u);
  for (std::int64_t i = 0; i < y1.numel(); ++i)
    ASSERT_EQ(y1.data_as<float>()[i], y2.data_as<float>()[i]);
  layer.forward(Tensor(DType::f32, {1, 7, 9, 3}).cview());
  EXPECT_EQ(layer.cached_plans(), 2u);
  EXPECT_EQ(&layer.plan({2, 7, 9, 3}), first);
  EXPECT_NE(layer.explain({2, 5, 5, 3}).find("candidates"), std::string::npos);
  EXPECT_EQ(layer.cached_plans(), 3u);
  EXPECT_EQ((layer.output_shape({2, 7, 9, 3})), (std::array<std::int64_t, 4>{2, 7, 9, 8}));
}

}  // namespace
}  // namespace convkit
