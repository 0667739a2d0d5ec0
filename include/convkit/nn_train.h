#pragma once
/// \file nn_train.h
/// Training: transposed convolution (`torch.nn.functional.conv_transpose2d`,
/// `nn.ConvTranspose2d`, ONNX `ConvTranspose`) and the backward passes of conv2d and
/// conv_transpose2d (`torch.nn.grad.conv2d_input` / `conv2d_weight`, grad of bias).
///
///   using namespace convkit;
///   nn::ConvTranspose2dOptions t{.stride = 2, .padding = 1, .output_padding = 1};
///   Tensor y = nn::conv_transpose2d(x, w, b, t);    // w: C_in x C_out/groups x kH x kW
///
///   nn::Conv2dOptions o{.stride = 2, .padding = 1, .padding_mode = nn::PaddingMode::reflect};
///   Tensor gx = nn::conv2d_grad_input(x_shape, w, gy, o);   // d loss / d input
///   Tensor gw = nn::conv2d_grad_weight(x, w_shape, gy, o);  // d loss / d weight
///   Tensor gb = nn::conv2d_grad_bias(gy, o.layout);         // d loss / d bias
///
/// Everything reduces to the forward ConvProblem with a direction (plan.h): the transposed
/// convolution is backward-data of its forward problem, its weight gradient backward-weights of
/// that problem with the roles of input and output swapped.
#include <array>
#include <cstdint>

#include "convkit/nn.h"

namespace convkit::nn {

/// How much of the full scatter of a transposed convolution is kept, per axis. The full output
/// has (in - 1) * stride + dilation * (k - 1) + 1 rows; `top`/`left` rows are cut from its start
/// and `bottom`/`right` from its end (negative: rows of zeros (+ bias) are added there).
///   torch:  begin = padding, end = padding - output_padding
///   ONNX:   begin = pads_begin, end = pads_end - output_padding (auto_pad and output_shape
///           resolve to pads first)
///   Keras:  'valid' begin = 0, end = -(max(k, s) - k) ... (any of them maps exactly)
struct Crop {
  std::int64_t top = 0, bottom = 0, left = 0, right = 0;
};

struct ConvTranspose2dOptions {
  Size2 stride = 1;
  Size2 dilation = 1;
  std::int64_t groups = 1;
  Size2 padding = 0;         ///< torch's padding (both sides of an axis)
  Size2 output_padding = 0;  ///< torch's: < stride or < dilation per axis
  /// When set (has_crop), replaces padding and output_padding (which must stay 0).
  bool has_crop = false;
  Crop crop;
  Layout layout = Layout::NCHW;
  Activation activation = Activation::none;
  double alpha = 0.0, beta = 0.0;
  PlanOptions plan;
};

/// The crop of `options` (torch's padding/output_padding, or the explicit crop), after torch's
/// checks: padding >= 0, output_padding >= 0 and < stride or < dilation per axis.
Crop transpose_crop(const ConvTranspose2dOptions& options);

/// Output shape of conv_transpose2d (layout order) for an input shape (layout order), C_out
/// total output channels and a kH x kW kernel; throws convkit::Error if it is not positive.
std::array<std::int64_t, 4> transpose_output_shape(std::array<std::int64_t, 4> input_shape,
                                                   std::int64_t out_channels, Size2 kernel,
                                                   const ConvTranspose2dOptions& options);

/// torch.nn.functional.conv_transpose2d then the activation. input N x C_in x H x W (or NHWC);
/// weight C_in x C_out/groups x kH x kW; bias C_out or empty. f32 or f64.
Tensor conv_transpose2d(ConstTensorView input, ConstTensorView weight, ConstTensorView bias = {},
                        const ConvTranspose2dOptions& options = {});
void conv_transpose2d(ConstTensorView input, ConstTensorView weight, ConstTensorView bias,
                      const ConvTranspose2dOptions& options, TensorView output);

/// d loss / d input of conv2d(input, weight, options) given d loss / d output; `grad_input`
/// has the input's shape (layout order). Every padding form and padding_mode: the gradients
/// of border samples are folded back onto the samples they copy. Bias and activation in
/// `options` are ignored (the activation's gradient is the caller's).
void conv2d_grad_input(ConstTensorView grad_output, ConstTensorView weight,
                       const Conv2dOptions& options, TensorView grad_input);
Tensor conv2d_grad_input(std::array<std::int64_t, 4> input_shape, ConstTensorView weight,
                         ConstTensorView grad_output, const Conv2dOptions& options = {});

/// d loss / d weight of conv2d (K x C/groups x R x S, overwritten) and, when `grad_bias` has
/// data, d loss / d bias (K). Deterministic: the same bits for any thread count.
void conv2d_grad_weight(ConstTensorView input, ConstTensorView grad_output,
                        const Conv2dOptions& options, TensorView grad_weight,
                        TensorView grad_bias = {});
Tensor conv2d_grad_weight(ConstTensorView input, std::array<std::int64_t, 4> weight_shape,
                          ConstTensorView grad_output, const Conv2dOptions& options = {});

/// d loss / d bias: grad_output summed over batch and pixels (K elements).
Tensor conv2d_grad_bias(ConstTensorView grad_output, Layout layout = Layout::NCHW);

/// d loss / d input of conv_transpose2d: the forward conv2d of grad_output with the same weight.
void conv_transpose2d_grad_input(ConstTensorView grad_output, ConstTensorView weight,
                                 const ConvTranspose2dOptions& options, TensorView grad_input);
Tensor conv_transpose2d_grad_input(std::array<std::int64_t, 4> input_shape, ConstTensorView weight,
                                   ConstTensorView grad_output,
                                   const ConvTranspose2dOptions& options = {});
/// d loss / d weight of conv_transpose2d (C_in x C_out/groups x kH x kW, overwritten).
void conv_transpose2d_grad_weight(ConstTensorView input, ConstTensorView grad_output,
                                  const ConvTranspose2dOptions& options, TensorView grad_weight,
                                  TensorView grad_bias = {});
Tensor conv_transpose2d_grad_weight(ConstTensorView input, std::array<std::int64_t, 4> weight_shape,
                                    ConstTensorView grad_output,
                                    const ConvTranspose2dOptions& options = {});

}  // namespace convkit::nn
