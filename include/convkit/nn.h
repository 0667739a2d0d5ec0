#pragma once
/// \file nn.h
/// Deep-learning Conv2d forward with `torch.nn.functional.conv2d` / `torch.nn.Conv2d` semantics.
///
///   using namespace convkit;
///   nn::Conv2dOptions o{.stride = 2, .padding = "same", .activation = Activation::relu};
///   Tensor y = nn::conv2d(x, w, b, o);              // x: N x C x H x W, w: K x C/groups x R x S
///
///   nn::Conv2d layer(64, 64, {3, 3}, {.padding = 1}, w, b);   // weights copied once
///   layer.forward(x, y);                            // plan cached per (N, H, W)
///
/// Everything reduces to one ConvProblem (correlation, as PyTorch computes) and a Plan.

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "convkit/plan.h"
#include "convkit/tensor.h"

namespace convkit::nn {

/// Two sizes, (height, width); a single number means both.
struct Size2 {
  std::int64_t h = 1, w = 1;
  Size2() = default;
  Size2(std::int64_t v) : h(v), w(v) {}  // NOLINT: implicit, as PyTorch's int-or-tuple
  Size2(std::int64_t h_, std::int64_t w_) : h(h_), w(w_) {}
};

/// Padding as PyTorch accepts it, plus explicit asymmetric padding:
///   `1` (all sides), `{1, 2}` (height, width), `{top, bottom, left, right}`,
///   `"valid"` (none), `"same"` (output size ceil(H / stride)).
///
/// 'same': total = max((ceil(H/stride) - 1) * stride + dilation * (R - 1) + 1 - H, 0), split
/// top = total / 2, bottom = total - top (likewise left/right). For stride 1 this is exactly
/// PyTorch's rule (total = dilation * (R - 1), the extra row/column at the bottom/right); for
/// stride > 1, which PyTorch refuses, it is TensorFlow's SAME rule.
struct Padding {
  enum class Kind : std::uint8_t { explicit_pads, valid, same };
  Kind kind = Kind::explicit_pads;
  std::int64_t top = 0, bottom = 0, left = 0, right = 0;

  Padding() = default;
  Padding(int p) : Padding(std::int64_t(p)) {}  // NOLINT (exact match for literals like 0)
  Padding(std::int64_t p) : top(p), bottom(p), left(p), right(p) {}  // NOLINT
  Padding(std::int64_t ph, std::int64_t pw) : top(ph), bottom(ph), left(pw), right(pw) {}
  Padding(std::int64_t t, std::int64_t b, std::int64_t l, std::int64_t r)
      : top(t), bottom(b), left(l), right(r) {}
  /// "valid" or "same"; anything else throws convkit::Error("padding").
  Padding(const char* mode);         // NOLINT
  Padding(const std::string& mode);  // NOLINT
  static Padding valid();
  static Padding same();
};

/// PyTorch's padding_mode: zeros = Border::constant (0), reflect = Border::mirror (whole-sample,
/// `c b | a b c d | c b`), replicate = Border::replicate, circular = Border::wrap. As in PyTorch,
/// reflect needs each pad < the input size on that axis and circular each pad <= it.
enum class PaddingMode : std::uint8_t { zeros, reflect, replicate, circular };
PaddingMode parse_padding_mode(const std::string& s);

/// Memory order of the input and output: NCHW (output N x K x P x Q) or NHWC (N x P x Q x K).
enum class Layout : std::uint8_t { NCHW, NHWC };

struct Conv2dOptions {
  Size2 stride = 1;
  Size2 dilation = 1;
  std::int64_t groups = 1;
  Padding padding = 0;
  PaddingMode padding_mode = PaddingMode::zeros;
  Layout layout = Layout::NCHW;
  /// Applied after the bias: relu, relu6, leaky_relu (slope = alpha), clamp (lo = alpha,
  /// hi = beta), sigmoid, tanh, gelu (erf form), silu.
  Activation activation = Activation::none;
  double alpha = 0.0, beta = 0.0;
  PlanOptions plan;
};

/// The output shape (in the layout's order) of conv2d for `input_shape` (in the layout's order)
/// with K output channels and an R x S kernel; throws convkit::Error on any invalid parameter.
std::array<std::int64_t, 4> output_shape(std::array<std::int64_t, 4> input_shape, std::int64_t k,
                                         Size2 kernel, const Conv2dOptions& options);

/// `torch.nn.functional.conv2d(input, weight, bias, stride, padding, dilation, groups)` followed
/// by the activation. input: rank 4 (NCHW or NHWC per options.layout), f32 or f64; weight:
/// K x C/groups x R x S of the same dtype; bias: K elements of the same dtype, or empty.
/// Returns N x K x P x Q (NCHW) or N x P x Q x K (NHWC), the input's dtype.
Tensor conv2d(ConstTensorView input, ConstTensorView weight, ConstTensorView bias = {},
              const Conv2dOptions& options = {});
/// The same, into `output` (any strides, the output shape and input dtype; no overlap with input).
void conv2d(ConstTensorView input, ConstTensorView weight, ConstTensorView bias,
            const Conv2dOptions& options, TensorView output);
/// With a residual add fused into the epilogue (a ResNet block's shortcut):
///   output = act(conv(input) + bias + residual)
/// `residual` has the output's shape and dtype (any strides); it may be `output` itself.
void conv2d(ConstTensorView input, ConstTensorView weight, ConstTensorView bias,
            const Conv2dOptions& options, TensorView output, ConstTensorView residual);

/// A Conv2d layer: parameters validated and weights copied once; a Plan made per input shape
/// (N, H, W) and cached, so repeated forward() calls on one shape do no planning.
class Conv2d {
 public:
  /// weight: out_channels x in_channels/groups x kernel.h x kernel.w (f32 or f64);
  /// bias: out_channels elements of the weight's dtype, or empty.
  Conv2d(std::int64_t in_channels, std::int64_t out_channels, Size2 kernel,
         const Conv2dOptions& options, ConstTensorView weight, ConstTensorView bias = {});
  ~Conv2d();
  Conv2d(Conv2d&&) noexcept;
  Conv2d& operator=(Conv2d&&) noexcept;

  void forward(ConstTensorView input, TensorView output) const;
  Tensor forward(ConstTensorView input) const;
  /// output = act(conv(input) + bias + residual); `residual` as in conv2d (may be `output`).
  void forward(ConstTensorView input, TensorView output, ConstTensorView residual) const;

  /// Output shape for an input shape, both in the layout's order.
  std::array<std::int64_t, 4> output_shape(std::array<std::int64_t, 4> input_shape) const;
  /// The cached (or newly made) plan for an input shape in the layout's order (with a residual
  /// add when `residual`).
  const Plan& plan(std::array<std::int64_t, 4> input_shape, bool residual = false) const;
  /// The plan's explanation (algorithm candidates and estimates) for an input shape.
  std::string explain(std::array<std::int64_t, 4> input_shape, bool residual = false) const;
  /// Number of plans cached so far.
  std::size_t cached_plans() const;

  std::int64_t in_channels() const { return in_channels_; }
  std::int64_t out_channels() const { return out_channels_; }
  Size2 kernel_size() const { return kernel_; }
  const Conv2dOptions& options() const { return options_; }
  DType dtype() const { return weight_.dtype(); }
  /// The layer's own copy of the weights (out x in/groups x kh x kw).
  ConstTensorView weight() const { return weight_.cview(); }

 private:
  std::int64_t in_channels_ = 0, out_channels_ = 0;
  Size2 kernel_;
  Conv2dOptions options_;
  Tensor weight_, bias_;
  mutable std::unique_ptr<std::mutex> mutex_;
  mutable std::map<std::array<std::int64_t, 4>, std::unique_ptr<Plan>> plans_;
};

}  // namespace convkit::nn
