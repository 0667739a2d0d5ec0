// Training front end: conv_transpose2d and the gradients of conv2d / conv_transpose2d, each
// reduced to conv2d's forward ConvProblem with a direction (plan.h):
//   conv2d grad input             = backward-data of the conv2d problem
//   conv2d grad weight            = backward-weights of the conv2d problem
//   conv_transpose2d              = backward-data of F, the conv2d whose input has the
//                                   transposed output's size (weight C_in x C_out/g x kH x kW is
//                                   F's K x C/g x R x S; the crop is F's padding)
//   conv_transpose2d grad input   = F forward (negative pads crop F's input)
//   conv_transpose2d grad weight  = backward-weights of F with src = grad_output, diff_dst = input
#include <algorithm>
#include <span>

#include "algorithms/weight_grad.h"
#include "api/nn_internal.h"
#include "convkit/error.h"
#include "convkit/nn_train.h"

namespace convkit::nn {

using namespace internal;

namespace {

void check_transpose_options(const ConvTranspose2dOptions& o) {
  check_common(o.stride, o.dilation, o.groups, o.layout, o.activation, o.alpha, o.beta);
}

// F: the conv2d problem whose backward-data is the transposed convolution of an input of
// N x C_in x H x W with C_out outputs (checks torch makes, with its wording).
ConvProblem transpose_problem(std::array<std::int64_t, 4> in_nchw, std::int64_t c_out,
                              Size2 kernel, DType dtype, const ConvTranspose2dOptions& o) {
  const Crop crop = transpose_crop(o);
  const auto [n, c_in, h, w] = in_nchw;
  if (n < 1 || c_in < 1 || h < 1 || w < 1)
    detail::fail("input", "every dimension must be >= 1, got N=", n, " C=", c_in, " H=", h,
                 " W=", w);
  if (kernel.h < 1 || kernel.w < 1)
    detail::fail("weight", "kernel size must be >= 1, got (", kernel.h, ", ", kernel.w, ")");
  if (c_in % o.groups)
    detail::fail("groups", o.groups, " does not divide the input channels (", c_in, ")");
  if (c_out < 1) detail::fail("weight", "gives no output channels");
  const std::int64_t ho = (h - 1) * o.stride.h + o.dilation.h * (kernel.h - 1) + 1 - crop.top - crop.bottom;
  const std::int64_t wo = (w - 1) * o.stride.w + o.dilation.w * (kernel.w - 1) + 1 - crop.left - crop.right;
  if (ho < 1 || wo < 1)
    detail::fail("input", "Given input size per channel: (", h, " x ", w,
                 "). Calculated output size per channel: (", ho, " x ", wo,
                 "). Output size is too small");
  ConvProblem p;
  p.n = n, p.c = c_out, p.h = ho, p.w = wo;
  p.k = c_in, p.r = kernel.h, p.s = kernel.w, p.groups = o.groups;
  p.src_dtype = p.filter_dtype = p.dst_dtype = dtype;
  p.stride_h = o.stride.h, p.stride_w = o.stride.w;
  p.dilation_h = o.dilation.h, p.dilation_w = o.dilation.w;
  p.pad_top = crop.top, p.pad_bottom = crop.bottom, p.pad_left = crop.left, p.pad_right = crop.right;
  p.direction = Direction::backward_data;
  return p;
}

void check_transpose_weight(ConstTensorView weight, std::int64_t c_in, std::int64_t groups) {
  if (groups < 1) detail::fail("groups", "must be >= 1, got ", groups);
  if (weight.rank() != 4)
    detail::fail("weight", "must be rank 4 (in, out/groups, kh, kw), got rank ", weight.rank(),
                 " with shape ", weight.geometry().shape_string());
  if (!weight.data() || weight.empty())
    detail::fail("weight", "is empty (shape ", weight.geometry().shape_string(), ")");
  if (weight.dim(0) % groups)
    detail::fail("groups", groups, " does not divide the weight's first dimension (",
                 weight.dim(0), ")");
  if (weight.dim(0) != c_in)
    detail::fail("weight", "shape ", weight.geometry().shape_string(), ": expected input with ",
                 weight.dim(0), " channels (weight.size(0)), but got ", c_in, " channels");
}

template <class View>
View offset_view(const View& v, std::array<std::int64_t, 4> origin,
                 std::array<std::int64_t, 4> shape) {
  std::int64_t off = 0;
  for (int i = 0; i < 4; ++i) off += origin[std::size_t(i)] * v.stride(i);
  using Ptr = std::conditional_t<std::is_same_v<View, TensorView>, char*, const char*>;
  auto* base = static_cast<Ptr>(v.data()) + off * std::int64_t(dtype_size(v.dtype()));
  const std::array<std::int64_t, 4> strides{v.stride(0), v.stride(1), v.stride(2), v.stride(3)};
  return View(base, v.dtype(), std::span<const std::int64_t>(shape),
              std::span<const std::int64_t>(strides));
}

// Runs forward problem `f` (pads possibly negative: those input rows are not read) on src.
void forward_cropped(ConvProblem f, ConstTensorView weight, ConstTensorView src, TensorView dst,
                     const PlanOptions& plan) {
  f.direction = Direction::forward;
  const std::int64_t ct = std::max<std::int64_t>(-f.pad_top, 0), cb = std::max<std::int64_t>(-f.pad_bottom, 0);
  const std::int64_t cl = std::max<std::int64_t>(-f.pad_left, 0), cr = std::max<std::int64_t>(-f.pad_right, 0);
  f.pad_top += ct, f.pad_bottom += cb, f.pad_left += cl, f.pad_right += cr;
  f.h -= ct + cb, f.w -= cl + cr;
  const ConstTensorView in = offset_view(src, {0, 0, ct, cl}, {f.n, f.c, f.h, f.w});
  Plan::cached(f, weight, {}, plan)->execute(in, dst);
}

std::array<std::int64_t, 4> nchw_shape(std::array<std::int64_t, 4> a, std::int64_t c,
                                       std::int64_t h, std::int64_t w, Layout layout) {
  return layout == Layout::NCHW ? std::array<std::int64_t, 4>{a[0], c, h, w}
                                : std::array<std::int64_t, 4>{a[0], h, w, c};
}

void check_same(const char* name, ConstTensorView v, std::array<std::int64_t, 4> shape, DType t) {
  if (v.rank() != 4)
    detail::fail(name, "must be rank 4, got rank ", v.rank());
  if (dims(v) != shape)
    detail::fail(name, "shape ", v.geometry().shape_string(), " != expected ", shape_str(shape));
  if (v.dtype() != t)
    detail::fail(name, "dtype ", dtype_name(v.dtype()), " != ", dtype_name(t));
}

void check_float_view(const char* name, ConstTensorView v) {
  if (v.rank() != 4)
    detail::fail(name, "must be rank 4 (NCHW or NHWC), got rank ", v.rank(), " with shape ",
                 v.geometry().shape_string());
  if (!v.data()) detail::fail(name, "has no data");
  check_dtype(name, v.dtype());
}

// The conv2d problem of a gradient call: input N x C x H x W, weight K x C/g x R x S.
ConvProblem grad_problem(std::array<std::int64_t, 4> input_nchw, std::array<std::int64_t, 4> wshape,
                         DType dtype, const Conv2dOptions& o, Direction d) {
  check_options(o);
  check_channels(input_nchw[1], wshape[0], o.groups);
  if (wshape[1] != input_nchw[1] / o.groups)
    detail::fail("weight", "shape ", shape_str(wshape), " != expected (", wshape[0], ", ",
                 input_nchw[1] / o.groups, ", ", wshape[2], ", ", wshape[3],
                 ") for in_channels=", input_nchw[1], ", groups=", o.groups);
  if (wshape[2] < 1 || wshape[3] < 1)
    detail::fail("weight", "kernel size must be >= 1, got ", shape_str(wshape));
  ConvProblem p = make_problem(input_nchw, wshape[0], {wshape[2], wshape[3]}, dtype, false, o,
                               "weight");
  p.activation = Activation::none;
  p.direction = d;
  return p;
}

// The checks the two input gradients share; returns the dtype.
DType check_input_grad(ConstTensorView grad_output, ConstTensorView weight,
                       TensorView grad_input) {
  check_float_view("grad_output", grad_output);
  check_float_view("grad_input", grad_input);
  const DType t = grad_output.dtype();
  if (weight.dtype() != t || grad_input.dtype() != t)
    detail::fail("weight", "dtype ", dtype_name(weight.dtype()), " and grad_input's ",
                 dtype_name(grad_input.dtype()), " must match grad_output's ", dtype_name(t));
  return t;
}

// The checks the two weight gradients share; returns the dtype.
DType check_weight_grad(ConstTensorView input, ConstTensorView grad_output,
                        TensorView grad_weight) {
  check_float_view("input", input);
  check_float_view("grad_output", grad_output);
  if (grad_weight.rank() != 4)
    detail::fail("weight_size", "must have 4 dimensions, got ", grad_weight.rank());
  const DType t = input.dtype();
  if (grad_output.dtype() != t || grad_weight.dtype() != t)
    detail::fail("grad_output", "dtype ", dtype_name(grad_output.dtype()),
                 " must match the input's ", dtype_name(t));
  return t;
}

// The allocating forms: a new tensor of `shape` (every dimension >= 1, else an error naming
// `name`), of the dtype of `like` (named `like_name`), filled by `fill(view)`.
template <class Fill>
Tensor allocated(const char* name, std::array<std::int64_t, 4> shape, const char* like_name,
                 ConstTensorView like, Fill&& fill) {
  check_float_view(like_name, like);
  for (std::int64_t d : shape)
    if (d < 1) detail::fail(name, "every dimension must be >= 1, got ", shape_str(shape));
  Tensor out(like.dtype(), std::span<const std::int64_t>(shape));
  fill(out.view());
  return out;
}

}  // namespace

Crop transpose_crop(const ConvTranspose2dOptions& o) {
  check_transpose_options(o);
  if (o.has_crop) {
    if (o.padding.h || o.padding.w || o.output_padding.h || o.output_padding.w)
      detail::fail("crop", "given together with padding or output_padding");
    return o.crop;
  }
  if (o.padding.h < 0 || o.padding.w < 0)
    detail::fail("padding", "must be >= 0, got (", o.padding.h, ", ", o.padding.w, ")");
  if (o.output_padding.h < 0 || o.output_padding.w < 0)
    detail::fail("output_padding", "must be >= 0, got (", o.output_padding.h, ", ",
                 o.output_padding.w, ")");
  if ((o.output_padding.h >= o.stride.h && o.output_padding.h >= o.dilation.h) ||
      (o.output_padding.w >= o.stride.w && o.output_padding.w >= o.dilation.w))
    detail::fail("output_padding",
                 "output padding must be smaller than either stride or dilation, but got "
                 "output_padding_height: ", o.output_padding.h, " output_padding_width: ",
                 o.output_padding.w, " stride_height: ", o.stride.h, " stride_width: ",
                 o.stride.w, " dilation_height: ", o.dilation.h, " dilation_width: ",
                 o.dilation.w);
  return {o.padding.h, o.padding.h - o.output_padding.h, o.padding.w,
          o.padding.w - o.output_padding.w};
}

std::array<std::int64_t, 4> transpose_output_shape(std::array<std::int64_t, 4> input_shape,
                                                   std::int64_t out_channels, Size2 kernel,
                                                   const ConvTranspose2dOptions& options) {
  check_transpose_options(options);
  const auto nchw = nchw_of(input_shape, options.layout);
  if (out_channels < 1) detail::fail("out_channels", "must be >= 1, got ", out_channels);
  if (out_channels % options.groups)
    detail::fail("groups", options.groups, " does not divide the output channels (",
                 out_channels, ")");
  const ConvProblem f = transpose_problem(nchw, out_channels, kernel, DType::f32, options);
  return nchw_shape(input_shape, f.c, f.h, f.w, options.layout);
}

void conv_transpose2d(ConstTensorView input, ConstTensorView weight, ConstTensorView bias,
                      const ConvTranspose2dOptions& o, TensorView output) {
  check_transpose_options(o);
  check_float_view("input", input);
  const auto nchw = nchw_of(dims(input), o.layout);
  check_transpose_weight(weight, nchw[1], o.groups);
  if (weight.dtype() != input.dtype())
    detail::fail("weight", "dtype ", dtype_name(weight.dtype()), " != the input's ",
                 dtype_name(input.dtype()));
  const std::int64_t c_out = weight.dim(1) * o.groups;
  check_bias(bias, c_out, input.dtype());
  ConvProblem f = transpose_problem(nchw, c_out, {weight.dim(2), weight.dim(3)}, input.dtype(), o);
  f.has_bias = has_bias(bias);
  f.activation = o.activation;
  f.activation_alpha = o.alpha, f.activation_beta = o.beta;
  check_output(output, nchw_shape(dims(input), f.c, f.h, f.w, o.layout), input.dtype());
  Plan::cached(f, weight, f.has_bias ? bias : ConstTensorView{}, o.plan)
      ->execute(as_nchw(input, o.layout), as_nchw(output, o.layout));
}

Tensor conv_transpose2d(ConstTensorView input, ConstTensorView weight, ConstTensorView bias,
                        const ConvTranspose2dOptions& o) {
  check_float_view("input", input);
  if (weight.rank() != 4) check_transpose_weight(weight, 0, 1);
  const auto shape = transpose_output_shape(dims(input), weight.dim(1) * std::max<std::int64_t>(o.groups, 1),
                                            {weight.dim(2), weight.dim(3)}, o);
  Tensor out(input.dtype(), std::span<const std::int64_t>(shape));
  conv_transpose2d(input, weight, bias, o, out.view());
  return out;
}

void conv2d_grad_input(ConstTensorView grad_output, ConstTensorView weight,
                       const Conv2dOptions& o, TensorView grad_input) {
  const DType t = check_input_grad(grad_output, weight, grad_input);
  if (weight.rank() != 4)
    detail::fail("weight", "must be rank 4 (out, in/groups, kh, kw), got rank ", weight.rank());
  const ConvProblem p = grad_problem(nchw_of(dims(grad_input), o.layout), dims(weight), t, o,
                                     Direction::backward_data);
  check_same("grad_output", grad_output, out_shape(p, o.layout), t);
  Plan::cached(p, weight, {}, o.plan)
      ->execute(as_nchw(grad_output, o.layout), as_nchw(grad_input, o.layout));
}

Tensor conv2d_grad_input(std::array<std::int64_t, 4> input_shape, ConstTensorView weight,
                         ConstTensorView grad_output, const Conv2dOptions& o) {
  return allocated("input_size", input_shape, "grad_output", grad_output,
                   [&](TensorView out) { conv2d_grad_input(grad_output, weight, o, out); });
}

void conv2d_grad_weight(ConstTensorView input, ConstTensorView grad_output,
                        const Conv2dOptions& o, TensorView grad_weight, TensorView grad_bias) {
  const DType t = check_weight_grad(input, grad_output, grad_weight);
  const ConvProblem p = grad_problem(nchw_of(dims(input), o.layout), dims(grad_weight), t, o,
                                     Direction::backward_weights);
  check_same("grad_output", grad_output, out_shape(p, o.layout), t);
  if (grad_bias.data() && (grad_bias.rank() != 1 || grad_bias.dim(0) != p.k || grad_bias.dtype() != t))
    detail::fail("grad_bias", "must be ", p.k, " values of ", dtype_name(t), ", got shape ",
                 grad_bias.geometry().shape_string());
  Plan(p, o.plan).execute_backward_weights(as_nchw(input, o.layout),
                                           as_nchw(grad_output, o.layout), grad_weight, grad_bias);
}

Tensor conv2d_grad_weight(ConstTensorView input, std::array<std::int64_t, 4> weight_shape,
                          ConstTensorView grad_output, const Conv2dOptions& o) {
  return allocated("weight_size", weight_shape, "input", input,
                   [&](TensorView out) { conv2d_grad_weight(input, grad_output, o, out); });
}

Tensor conv2d_grad_bias(ConstTensorView grad_output, Layout layout) {
  check_float_view("grad_output", grad_output);
  const ConstTensorView g = as_nchw(grad_output, layout);
  Tensor out(g.dtype(), {g.dim(1)});
  bias_gradient(g, out.view());
  return out;
}

void conv_transpose2d_grad_input(ConstTensorView grad_output, ConstTensorView weight,
                                 const ConvTranspose2dOptions& o, TensorView grad_input) {
  const DType t = check_input_grad(grad_output, weight, grad_input);
  const auto in_nchw = nchw_of(dims(grad_input), o.layout);
  check_transpose_weight(weight, in_nchw[1], o.groups);
  const ConvProblem f = transpose_problem(in_nchw, weight.dim(1) * o.groups,
                                          {weight.dim(2), weight.dim(3)}, t, o);
  check_same("grad_output", grad_output, nchw_shape(dims(grad_input), f.c, f.h, f.w, o.layout), t);
  forward_cropped(f, weight, as_nchw(grad_output, o.layout), as_nchw(grad_input, o.layout), o.plan);
}

Tensor conv_transpose2d_grad_input(std::array<std::int64_t, 4> input_shape, ConstTensorView weight,
                                   ConstTensorView grad_output, const ConvTranspose2dOptions& o) {
  return allocated("input_size", input_shape, "grad_output", grad_output, [&](TensorView out) {
    conv_transpose2d_grad_input(grad_output, weight, o, out);
  });
}

void conv_transpose2d_grad_weight(ConstTensorView input, ConstTensorView grad_output,
                                  const ConvTranspose2dOptions& o, TensorView grad_weight,
                                  TensorView grad_bias) {
  const DType t = check_weight_grad(input, grad_output, grad_weight);
  const auto in_nchw = nchw_of(dims(input), o.layout);
  check_transpose_weight(grad_weight, in_nchw[1], o.groups);
  ConvProblem f = transpose_problem(in_nchw, grad_weight.dim(1) * o.groups,
                                    {grad_weight.dim(2), grad_weight.dim(3)}, t, o);
  check_same("grad_output", grad_output, nchw_shape(dims(input), f.c, f.h, f.w, o.layout), t);
  f.direction = Direction::backward_weights;
  Plan(f, o.plan).execute_backward_weights(as_nchw(grad_output, o.layout), as_nchw(input, o.layout),
                                           grad_weight, {});
  if (grad_bias.data()) {
    if (grad_bias.rank() != 1 || grad_bias.dim(0) != f.c || grad_bias.dtype() != t)
      detail::fail("grad_bias", "must be ", f.c, " values of ", dtype_name(t));
    const Tensor b = conv2d_grad_bias(grad_output, o.layout);
    copy(b.cview(), grad_bias);
  }
}

Tensor conv_transpose2d_grad_weight(ConstTensorView input, std::array<std::int64_t, 4> weight_shape,
                                    ConstTensorView grad_output, const ConvTranspose2dOptions& o) {
  return allocated("weight_size", weight_shape, "input", input, [&](TensorView out) {
    conv_transpose2d_grad_weight(input, grad_output, o, out);
  });
}

}  // namespace convkit::nn
