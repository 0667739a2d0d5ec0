#include <sstream>

#include "convkit/error.h"
#include "convkit/plan.h"

namespace convkit {

const char* border_name(Border b) {
  static constexpr const char* kNames[] = {"constant", "replicate", "reflect", "mirror", "wrap"};
  return kNames[static_cast<int>(b)];
}

const char* direction_name(Direction d) {
  switch (d) {
    case Direction::forward: return "forward";
    case Direction::backward_data: return "backward-data";
    case Direction::backward_weights: return "backward-weights";
  }
  return "?";
}

namespace {
// floor(reach / stride) + 1 outputs; a negative reach (the dilated kernel larger than the
// padded input) has none, whatever the stride (C++'s division would round -1/3 up to 0).
std::int64_t outputs(std::int64_t reach, std::int64_t stride) {
  return reach < 0 ? 0 : reach / stride + 1;
}
}  // namespace

std::int64_t ConvProblem::out_h() const {
  return outputs(h + pad_top + pad_bottom - dilation_h * (r - 1) - 1, stride_h);
}
std::int64_t ConvProblem::out_w() const {
  return outputs(w + pad_left + pad_right - dilation_w * (s - 1) - 1, stride_w);
}

void ConvProblem::validate() const {
  auto positive = [](const char* name, std::int64_t v) {
    if (v < 1) detail::fail(name, "must be >= 1, got ", v);
  };
  positive("n", n), positive("c", c), positive("h", h), positive("w", w);
  positive("k", k), positive("r", r), positive("s", s), positive("groups", groups);
  positive("stride_h", stride_h), positive("stride_w", stride_w);
  positive("dilation_h", dilation_h), positive("dilation_w", dilation_w);
  if (c % groups) detail::fail("groups", groups, " does not divide the input channels c=", c);
  if (k % groups) detail::fail("groups", groups, " does not divide the output channels k=", k);
  const bool backward = direction != Direction::forward;
  if (static_cast<int>(direction) > 2)
    detail::fail("direction", "invalid value ", static_cast<int>(direction));
  // Backward directions take negative pads: input rows no output reads (a transposed
  // convolution's output_padding, ONNX's output_shape) get a zero gradient.
  if (!backward)
    for (auto [name, v] : {std::pair{"pad_top", pad_top}, {"pad_left", pad_left},
                           {"pad_bottom", pad_bottom}, {"pad_right", pad_right}})
      if (v < 0) detail::fail(name, "must be >= 0, got ", v);
  if (backward) {
    const bool real_float = src_dtype == DType::f32 || src_dtype == DType::f64;
    if (!real_float || filter_dtype != src_dtype || dst_dtype != src_dtype)
      detail::fail("dtype", direction_name(direction), " needs one real float dtype (f32 or f64) ",
                   "for data, filter and result, got ", dtype_name(src_dtype), "-",
                   dtype_name(filter_dtype), "-", dtype_name(dst_dtype));
    if (flip || conj || scale != 1.0 || delta != 0.0 || has_residual ||
        summation != Summation::any || (border == Border::constant && border_value != 0.0))
      detail::fail("direction", direction_name(direction),
                   " supports no flip, conj, scale, delta, residual, summation order or non-zero "
                   "constant border");
    if (direction == Direction::backward_weights &&
        (has_bias || activation != Activation::none))
      detail::fail("direction", "backward-weights has no epilogue (bias, activation)");
    if (border != Border::constant &&
        (pad_top < 0 || pad_bottom < 0 || pad_left < 0 || pad_right < 0))
      detail::fail("border", "negative pads need the constant border, got ", border_name(border));
  }
  if (out_h() < 1 || out_w() < 1)
    detail::fail("padding", "the output would be empty (", out_h(), "x", out_w(),
                 "): the dilated kernel is larger than the padded input");
  if (has_bias && is_complex(dst_dtype)) detail::fail("bias", "not supported for complex output");
  if (activation != Activation::none && (is_complex(src_dtype) || is_complex(filter_dtype)))
    detail::fail("activation", "not defined for complex data");
  if (is_complex(src_dtype) || is_complex(filter_dtype)) {
    if (!is_complex(dst_dtype))
      detail::fail("dst_dtype", dtype_name(dst_dtype), " cannot hold a complex result");
  }
  if (has_residual && dst_dtype != DType::f32 && dst_dtype != DType::f64)
    detail::fail("has_residual", "a residual add needs an f32 or f64 output, got ",
                 dtype_name(dst_dtype));
  if (border == Border::constant && is_integer(dst_dtype) && rounding == Rounding::wrap &&
      is_integer(src_dtype) && is_integer(filter_dtype)) {
    double v = border_value.real();
    if (!std::isfinite(v) || v != std::trunc(v) || border_value.imag() != 0)
      detail::fail("fillvalue", v, " cannot be stored exactly in the integer output type ",
                   dtype_name(dst_dtype));
  }
}

std::string ConvProblem::to_string() const {
  std::ostringstream os;
  os << 'n' << n << 'c' << c << 'h' << h << 'w' << w << 'k' << k;
  if (groups != 1) os << 'g' << groups;
  os << 'r' << r << 's' << s;
  if (stride_h != 1 || stride_w != 1) os << "_sh" << stride_h << "sw" << stride_w;
  if (dilation_h != 1 || dilation_w != 1) os << "_dh" << dilation_h << "dw" << dilation_w;
  os << "_pt" << pad_top << "pl" << pad_left << "pb" << pad_bottom << "pr" << pad_right << '_'
     << border_name(border);
  if (border == Border::constant && border_value != 0.0) os << '(' << border_value.real() << ')';
  os << '_' << (flip ? "conv" : "corr") << (conj ? "*" : "") << '_' << dtype_name(src_dtype) << '-'
     << dtype_name(filter_dtype) << '-' << dtype_name(dst_dtype);
  if (has_residual) os << "_res";
  if (direction == Direction::backward_data) os << "_bwd-data";
  if (direction == Direction::backward_weights) os << "_bwd-weights";
  if (summation == Summation::ndimage_line) os << "_sum1d";
  if (summation == Summation::ndimage) os << "_sumnd";
  return os.str();
}

}  // namespace convkit
