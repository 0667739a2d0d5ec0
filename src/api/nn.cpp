// torch.nn.functional.conv2d / torch.nn.Conv2d reduced to ConvProblem + Plan.
#include "convkit/nn.h"

#include <algorithm>
#include <sstream>
#include <tuple>

#include "api/nn_internal.h"
#include "api/views.h"
#include "convkit/error.h"

namespace convkit::nn {

Padding::Padding(const char* mode) : Padding(std::string(mode ? mode : "")) {}

Padding::Padding(const std::string& mode) {
  if (mode == "valid") kind = Kind::valid;
  else if (mode == "same") kind = Kind::same;
  else detail::fail("padding", "unknown padding '", mode, "' (expected 'valid', 'same' or sizes)");
}

Padding Padding::valid() { return Padding("valid"); }
Padding Padding::same() { return Padding("same"); }

PaddingMode parse_padding_mode(const std::string& s) {
  if (s == "zeros") return PaddingMode::zeros;
  if (s == "reflect") return PaddingMode::reflect;
  if (s == "replicate") return PaddingMode::replicate;
  if (s == "circular") return PaddingMode::circular;
  detail::fail("padding_mode", "unknown padding_mode '", s,
               "' (expected zeros, reflect, replicate or circular)");
}

namespace internal {

Border to_border(PaddingMode m) {
  switch (m) {
    case PaddingMode::zeros: return Border::constant;
    case PaddingMode::reflect: return Border::mirror;  // PyTorch reflect is whole-sample
    case PaddingMode::replicate: return Border::replicate;
    case PaddingMode::circular: return Border::wrap;
  }
  return Border::constant;
}

// 'same': TensorFlow's SAME split, which for stride 1 is PyTorch's (extra at the bottom/right).
std::pair<std::int64_t, std::int64_t> same_pads(std::int64_t in, std::int64_t stride,
                                                std::int64_t dilation, std::int64_t kernel) {
  const std::int64_t out = (in + stride - 1) / stride;
  const std::int64_t total = std::max<std::int64_t>((out - 1) * stride + dilation * (kernel - 1) + 1 - in, 0);
  return {total / 2, total - total / 2};
}

// The options conv2d and conv_transpose2d share.
void check_common(Size2 stride, Size2 dilation, std::int64_t groups, Layout layout,
                  Activation activation, double alpha, double beta) {
  if (stride.h < 1 || stride.w < 1)
    detail::fail("stride", "must be >= 1, got (", stride.h, ", ", stride.w, ")");
  if (dilation.h < 1 || dilation.w < 1)
    detail::fail("dilation", "must be >= 1, got (", dilation.h, ", ", dilation.w, ")");
  if (groups < 1) detail::fail("groups", "must be >= 1, got ", groups);
  if (static_cast<int>(layout) > 1)
    detail::fail("layout", "invalid value ", static_cast<int>(layout));
  if (static_cast<int>(activation) > static_cast<int>(Activation::silu))
    detail::fail("activation", "invalid value ", static_cast<int>(activation));
  if (activation == Activation::clamp && !(alpha <= beta))
    detail::fail("beta", "clamp needs lo (alpha) <= hi (beta), got alpha=", alpha, " beta=", beta);
}

// Parameters that do not depend on the input's spatial size.
void check_options(const Conv2dOptions& o) {
  check_common(o.stride, o.dilation, o.groups, o.layout, o.activation, o.alpha, o.beta);
  if (o.padding.kind == Padding::Kind::explicit_pads) {
    const Padding& p = o.padding;
    if (p.top < 0 || p.bottom < 0 || p.left < 0 || p.right < 0)
      detail::fail("padding", "must be >= 0, got (top ", p.top, ", bottom ", p.bottom, ", left ",
                   p.left, ", right ", p.right, ")");
  }
  if (static_cast<int>(o.padding_mode) > 3)
    detail::fail("padding_mode", "invalid value ", static_cast<int>(o.padding_mode));
}

void check_channels(std::int64_t c, std::int64_t k, std::int64_t groups) {
  if (c < 1) detail::fail("in_channels", "must be >= 1, got ", c);
  if (k < 1) detail::fail("out_channels", "must be >= 1, got ", k);
  if (c % groups)
    detail::fail("groups", groups, " does not divide the input channels (", c, ")");
  if (k % groups)
    detail::fail("groups", groups, " does not divide the output channels (", k, ")");
}

void check_dtype(const char* name, DType t) {
  if (t != DType::f32 && t != DType::f64)
    detail::fail(name, "dtype must be f32 or f64, got ", dtype_name(t));
}

void check_weight(ConstTensorView weight, std::int64_t c, std::int64_t k, std::int64_t r,
                  std::int64_t s, std::int64_t groups) {
  if (weight.rank() != 4)
    detail::fail("weight", "must be rank 4 (out, in/groups, kh, kw), got rank ", weight.rank(),
                 " with shape ", weight.geometry().shape_string());
  if (!weight.data() || weight.empty())
    detail::fail("weight", "is empty (shape ", weight.geometry().shape_string(), ")");
  if (weight.dim(0) != k || weight.dim(1) != c / groups || weight.dim(2) != r ||
      weight.dim(3) != s)
    detail::fail("weight", "shape ", weight.geometry().shape_string(), " != expected (", k, ", ",
                 c / groups, ", ", r, ", ", s, ") for in_channels=", c, ", groups=", groups);
}

void check_bias(ConstTensorView bias, std::int64_t k, DType dtype) {
  if (!bias.data()) return;  // no bias (an empty view); a 0-d one is refused below
  if (bias.rank() != 1 || bias.dim(0) != k)
    detail::fail("bias", "shape ", bias.geometry().shape_string(), " != expected (", k, ",)");
  if (bias.dtype() != dtype)
    detail::fail("bias", "dtype ", dtype_name(bias.dtype()), " != the weight's ",
                 dtype_name(dtype));
}

bool has_bias(ConstTensorView bias) { return bias.data() && bias.rank() == 1 && bias.dim(0) > 0; }

// (N, C, H, W) of an input shape given in the layout's order.
std::array<std::int64_t, 4> nchw_of(std::array<std::int64_t, 4> s, Layout layout) {
  return layout == Layout::NCHW ? s : std::array<std::int64_t, 4>{s[0], s[3], s[1], s[2]};
}

// The canonical problem for an input of N x C x H x W; every check that needs the input size.
ConvProblem make_problem(std::array<std::int64_t, 4> nchw, std::int64_t k, Size2 kernel,
                         DType dtype, bool bias, const Conv2dOptions& o,
                         const char* kernel_name, bool residual) {
  const auto [n, c, h, w] = nchw;
  if (n < 1 || c < 1 || h < 1 || w < 1)
    detail::fail("input", "every dimension must be >= 1, got N=", n, " C=", c, " H=", h, " W=", w);
  ConvProblem p;
  p.n = n, p.c = c, p.h = h, p.w = w;
  p.k = k, p.r = kernel.h, p.s = kernel.w;
  p.groups = o.groups;
  p.src_dtype = p.filter_dtype = p.dst_dtype = dtype;
  p.flip = false;  // deep-learning "convolution" is correlation
  p.stride_h = o.stride.h, p.stride_w = o.stride.w;
  p.dilation_h = o.dilation.h, p.dilation_w = o.dilation.w;
  switch (o.padding.kind) {
    case Padding::Kind::explicit_pads:
      p.pad_top = o.padding.top, p.pad_bottom = o.padding.bottom;
      p.pad_left = o.padding.left, p.pad_right = o.padding.right;
      break;
    case Padding::Kind::valid: break;
    case Padding::Kind::same: {
      std::tie(p.pad_top, p.pad_bottom) = same_pads(h, p.stride_h, p.dilation_h, p.r);
      std::tie(p.pad_left, p.pad_right) = same_pads(w, p.stride_w, p.dilation_w, p.s);
      break;
    }
  }
  if (o.padding_mode == PaddingMode::reflect &&
      (p.pad_top >= h || p.pad_bottom >= h || p.pad_left >= w || p.pad_right >= w))
    detail::fail("padding", "padding_mode 'reflect' needs each pad < the input size (H=", h,
                 ", W=", w, "), got (top ", p.pad_top, ", bottom ", p.pad_bottom, ", left ",
                 p.pad_left, ", right ", p.pad_right, ")");
  if (o.padding_mode == PaddingMode::circular &&
      (p.pad_top > h || p.pad_bottom > h || p.pad_left > w || p.pad_right > w))
    detail::fail("padding", "padding_mode 'circular' needs each pad <= the input size (H=", h,
                 ", W=", w, "), got (top ", p.pad_top, ", bottom ", p.pad_bottom, ", left ",
                 p.pad_left, ", right ", p.pad_right, ")");
  // The span check, not out_h() < 1: integer division toward zero would give a negative span
  // smaller than the stride an output row.
  const std::int64_t span_h = h + p.pad_top + p.pad_bottom - p.dilation_h * (p.r - 1) - 1;
  const std::int64_t span_w = w + p.pad_left + p.pad_right - p.dilation_w * (p.s - 1) - 1;
  if (span_h < 0 || span_w < 0)
    detail::fail(kernel_name, "the dilated kernel (", p.dilation_h * (p.r - 1) + 1, "x",
                 p.dilation_w * (p.s - 1) + 1, ") is larger than the padded input (",
                 h + p.pad_top + p.pad_bottom, "x", w + p.pad_left + p.pad_right, ")");
  p.border = to_border(o.padding_mode);
  p.border_value = 0.0;
  p.has_bias = bias;
  p.has_residual = residual;
  p.activation = o.activation;
  p.activation_alpha = o.alpha, p.activation_beta = o.beta;
  p.validate();
  return p;
}

std::array<std::int64_t, 4> out_shape(const ConvProblem& p, Layout layout) {
  return layout == Layout::NCHW ? std::array<std::int64_t, 4>{p.n, p.k, p.out_h(), p.out_w()}
                                : std::array<std::int64_t, 4>{p.n, p.out_h(), p.out_w(), p.k};
}

std::string shape_str(std::array<std::int64_t, 4> s) {
  std::ostringstream os;
  os << '(' << s[0] << ", " << s[1] << ", " << s[2] << ", " << s[3] << ')';
  return os.str();
}

void check_input(ConstTensorView input) {
  if (input.rank() != 4)
    detail::fail("input", "must be rank 4 (NCHW or NHWC), got rank ", input.rank(), " with shape ",
                 input.geometry().shape_string());
  if (!input.data()) detail::fail("input", "has no data");
  check_dtype("input", input.dtype());
}

std::array<std::int64_t, 4> dims(const ConstTensorView& v) {
  return {v.dim(0), v.dim(1), v.dim(2), v.dim(3)};
}

void check_residual(ConstTensorView residual, std::array<std::int64_t, 4> shape, DType dtype) {
  if (residual.rank() != 4 || !residual.data())
    detail::fail("residual", "must be a rank-4 tensor shaped like the output ", shape_str(shape),
                 ", got rank ", residual.rank());
  if (dims(residual) != shape)
    detail::fail("residual", "shape ", residual.geometry().shape_string(), " != the output's ",
                 shape_str(shape));
  if (residual.dtype() != dtype)
    detail::fail("residual", "dtype ", dtype_name(residual.dtype()), " != the output's ",
                 dtype_name(dtype));
}

void check_output(TensorView output, std::array<std::int64_t, 4> shape, DType dtype) {
  if (output.rank() != 4)
    detail::fail("output", "must be rank 4, got rank ", output.rank());
  if (dims(output) != shape)
    detail::fail("output", "shape ", output.geometry().shape_string(), " != expected ",
                 shape_str(shape));
  if (output.dtype() != dtype)
    detail::fail("output", "dtype ", dtype_name(output.dtype()), " != the input's ",
                 dtype_name(dtype));
}

// Checks common to the functional form: returns the problem for this call.
ConvProblem functional_problem(ConstTensorView input, ConstTensorView weight, ConstTensorView bias,
                               const Conv2dOptions& o, bool residual = false) {
  check_options(o);
  check_input(input);
  const auto nchw = nchw_of(dims(input), o.layout);
  if (weight.rank() != 4)
    detail::fail("weight", "must be rank 4 (out, in/groups, kh, kw), got rank ", weight.rank(),
                 " with shape ", weight.geometry().shape_string());
  const std::int64_t k = weight.dim(0);
  check_channels(nchw[1], k, o.groups);
  check_weight(weight, nchw[1], k, weight.dim(2), weight.dim(3), o.groups);
  if (weight.dtype() != input.dtype())
    detail::fail("weight", "dtype ", dtype_name(weight.dtype()), " != the input's ",
                 dtype_name(input.dtype()));
  check_bias(bias, k, input.dtype());
  return make_problem(nchw, k, {weight.dim(2), weight.dim(3)}, input.dtype(), has_bias(bias), o,
                      "weight", residual);
}

}  // namespace internal

using namespace internal;

std::array<std::int64_t, 4> output_shape(std::array<std::int64_t, 4> input_shape, std::int64_t k,
                                         Size2 kernel, const Conv2dOptions& options) {
  check_options(options);
  const auto nchw = nchw_of(input_shape, options.layout);
  check_channels(nchw[1], k, options.groups);
  if (kernel.h < 1 || kernel.w < 1)
    detail::fail("kernel", "must be >= 1, got (", kernel.h, ", ", kernel.w, ")");
  return out_shape(make_problem(nchw, k, kernel, DType::f32, false, options, "kernel"),
                   options.layout);
}

void conv2d(ConstTensorView input, ConstTensorView weight, ConstTensorView bias,
            const Conv2dOptions& options, TensorView output) {
  const ConvProblem p = functional_problem(input, weight, bias, options);
  check_output(output, out_shape(p, options.layout), input.dtype());
  const auto plan = Plan::cached(p, weight, has_bias(bias) ? bias : ConstTensorView{}, options.plan);
  plan->execute(as_nchw(input, options.layout), as_nchw(output, options.layout));
}

void conv2d(ConstTensorView input, ConstTensorView weight, ConstTensorView bias,
            const Conv2dOptions& options, TensorView output, ConstTensorView residual) {
  const ConvProblem p = functional_problem(input, weight, bias, options, true);
  const auto shape = out_shape(p, options.layout);
  check_output(output, shape, input.dtype());
  check_residual(residual, shape, input.dtype());
  const auto plan = Plan::cached(p, weight, has_bias(bias) ? bias : ConstTensorView{}, options.plan);
  plan->execute(as_nchw(input, options.layout), as_nchw(output, options.layout),
               as_nchw(residual, options.layout));
}

Tensor conv2d(ConstTensorView input, ConstTensorView weight, ConstTensorView bias,
              const Conv2dOptions& options) {
  const ConvProblem p = functional_problem(input, weight, bias, options);
  const auto shape = out_shape(p, options.layout);
  Tensor out(input.dtype(), std::span<const std::int64_t>(shape));
  const auto plan = Plan::cached(p, weight, has_bias(bias) ? bias : ConstTensorView{}, options.plan);
  plan->execute(as_nchw(input, options.layout), as_nchw(out.view(), options.layout));
  return out;
}

// --- Conv2d -----------------------------------------------------------------------------------

Conv2d::Conv2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel,
               const Conv2dOptions& options, ConstTensorView weight, ConstTensorView bias)
    : in_channels_(in_channels),
      out_channels_(out_channels),
      kernel_(kernel),
      options_(options),
      mutex_(std::make_unique<std::mutex>()) {
  check_options(options);
  check_channels(in_channels, out_channels, options.groups);
  if (kernel.h < 1 || kernel.w < 1)
    detail::fail("kernel", "must be >= 1, got (", kernel.h, ", ", kernel.w, ")");
  check_weight(weight, in_channels, out_channels, kernel.h, kernel.w, options.groups);
  check_dtype("weight", weight.dtype());
  check_bias(bias, out_channels, weight.dtype());
  weight_ = Tensor(weight.dtype(), {out_channels, in_channels / options.groups, kernel.h, kernel.w});
  copy(weight, weight_.view());
  if (has_bias(bias)) {
    bias_ = Tensor(bias.dtype(), {out_channels});
    copy(bias, bias_.view());
  }
}

Conv2d::~Conv2d() = default;
Conv2d::Conv2d(Conv2d&&) noexcept = default;
Conv2d& Conv2d::operator=(Conv2d&&) noexcept = default;

std::array<std::int64_t, 4> Conv2d::output_shape(std::array<std::int64_t, 4> input_shape) const {
  const auto nchw = nchw_of(input_shape, options_.layout);
  if (nchw[1] != in_channels_)
    detail::fail("input", "has ", nchw[1], " channels, the layer expects in_channels=",
                 in_channels_);
  return out_shape(make_problem(nchw, out_channels_, kernel_, weight_.dtype(), bias_.rank() == 1,
                                options_, "kernel"),
                   options_.layout);
}

const Plan& Conv2d::plan(std::array<std::int64_t, 4> input_shape, bool residual) const {
  const auto nchw = nchw_of(input_shape, options_.layout);
  if (nchw[1] != in_channels_)
    detail::fail("input", "has ", nchw[1], " channels, the layer expects in_channels=",
                 in_channels_);
  const std::array<std::int64_t, 4> key{nchw[0], nchw[2], nchw[3], residual ? 1 : 0};
  std::lock_guard<std::mutex> lock(*mutex_);
  auto it = plans_.find(key);
  if (it != plans_.end()) return *it->second;
  const ConvProblem p = make_problem(nchw, out_channels_, kernel_, weight_.dtype(),
                                     bias_.rank() == 1, options_, "kernel", residual);
  auto plan = std::make_unique<Plan>(p, weight_.cview(),
                                     bias_.rank() == 1 ? bias_.cview() : ConstTensorView{},
                                     options_.plan);
  return *plans_.emplace(key, std::move(plan)).first->second;
}

std::string Conv2d::explain(std::array<std::int64_t, 4> input_shape, bool residual) const {
  return plan(input_shape, residual).explain();
}

std::size_t Conv2d::cached_plans() const {
  std::lock_guard<std::mutex> lock(*mutex_);
  return plans_.size();
}

void Conv2d::forward(ConstTensorView input, TensorView output) const {
  check_input(input);
  if (input.dtype() != weight_.dtype())
    detail::fail("input", "dtype ", dtype_name(input.dtype()), " != the layer's ",
                 dtype_name(weight_.dtype()));
  const Plan& pl = plan(dims(input));
  check_output(output, out_shape(pl.problem(), options_.layout), weight_.dtype());
  pl.execute(as_nchw(input, options_.layout), as_nchw(output, options_.layout));
}

void Conv2d::forward(ConstTensorView input, TensorView output, ConstTensorView residual) const {
  check_input(input);
  if (input.dtype() != weight_.dtype())
    detail::fail("input", "dtype ", dtype_name(input.dtype()), " != the layer's ",
                 dtype_name(weight_.dtype()));
  const Plan& pl = plan(dims(input), true);
  const auto shape = out_shape(pl.problem(), options_.layout);
  check_output(output, shape, weight_.dtype());
  check_residual(residual, shape, weight_.dtype());
  pl.execute(as_nchw(input, options_.layout), as_nchw(output, options_.layout),
             as_nchw(residual, options_.layout));
}

Tensor Conv2d::forward(ConstTensorView input) const {
  check_input(input);
  if (input.dtype() != weight_.dtype())
    detail::fail("input", "dtype ", dtype_name(input.dtype()), " != the layer's ",
                 dtype_name(weight_.dtype()));
  const Plan& pl = plan(dims(input));
  const auto shape = out_shape(pl.problem(), options_.layout);
  Tensor out(weight_.dtype(), std::span<const std::int64_t>(shape));
  pl.execute(as_nchw(input, options_.layout), as_nchw(out.view(), options_.layout));
  return out;
}

}  // namespace convkit::nn
