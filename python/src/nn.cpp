// convkit::nn (torch.nn.functional.conv2d and the Conv2d layer) for convkit._core. Same
// conventions as module.cpp: inputs are views of any strides (never copied), results are NumPy
// arrays owning the convkit::Tensor, the GIL is released around every computation, and
// convkit::Error becomes ValueError. Dtype problems (integer arrays, float32 input with float64
// weights, ...) raise TypeError, as for unsupported dtypes elsewhere.
//
// The Python module convkit.nn normalises the PyTorch-style arguments (activation tuples,
// default initialisation, unbatched input) over these two entry points: nn_conv2d and NnConv2d.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "arrays.h"
#include "convkit/nn.h"
#include "convkit/nn_train.h"

namespace convkit::python {

namespace {

using namespace nb::literals;

Activation parse_activation(std::string_view n) {
  if (n == "none" || n == "identity") return Activation::none;
  if (n == "relu") return Activation::relu;
  if (n == "relu6") return Activation::relu6;
  if (n == "leaky_relu") return Activation::leaky_relu;
  if (n == "clamp" || n == "hardtanh") return Activation::clamp;
  if (n == "sigmoid") return Activation::sigmoid;
  if (n == "tanh") return Activation::tanh;
  if (n == "gelu") return Activation::gelu;
  if (n == "silu") return Activation::silu;
  detail::fail("activation", "unknown activation '", std::string(n),
               "' (expected none, relu, relu6, leaky_relu, clamp, hardtanh, sigmoid, tanh, gelu "
               "or silu)");
}

nn::Layout parse_nn_layout(std::string_view n) {
  if (n == "NCHW") return nn::Layout::NCHW;
  if (n == "NHWC") return nn::Layout::NHWC;
  detail::fail("layout", "unknown layout '", std::string(n), "' (expected NCHW or NHWC)");
}

std::int64_t int_of(nb::handle h, const char* name) {
  std::int64_t v = 0;
  if (nb::isinstance<nb::bool_>(h) || !nb::try_cast(h, v))
    throw nb::type_error((std::string(name) + ": expected an int or a sequence of ints, got " +
                          nb::type_name(h.type()).c_str())
                             .c_str());
  return v;
}

bool is_sequence(nb::handle h) {
  return nb::isinstance<nb::sequence>(h) && !nb::isinstance<nb::str>(h);
}

// An int (both axes) or an (h, w) pair.
nn::Size2 size2_of(nb::handle h, const char* name) {
  if (is_sequence(h)) {
    if (nb::len(h) != 2)
      detail::fail(name, "must be an int or a pair (height, width), got ", nb::len(h),
                   " elements");
    return {int_of(h[0], name), int_of(h[1], name)};
  }
  return int_of(h, name);
}

// 'valid', 'same', an int, (h, w) or (top, bottom, left, right).
nn::Padding padding_of(nb::handle h) {
  if (nb::isinstance<nb::str>(h)) return nn::Padding(nb::cast<std::string>(h));
  if (is_sequence(h)) {
    const std::size_t n = nb::len(h);
    if (n == 2) return {int_of(h[0], "padding"), int_of(h[1], "padding")};
    if (n == 4)
      return {int_of(h[0], "padding"), int_of(h[1], "padding"), int_of(h[2], "padding"),
              int_of(h[3], "padding")};
    detail::fail("padding", "must be an int, (height, width), (top, bottom, left, right), "
                            "'valid' or 'same', got ", n, " elements");
  }
  return nn::Padding(int_of(h, "padding"));
}

nn::Conv2dOptions options_of(nb::handle stride, nb::handle padding, nb::handle dilation,
                             std::int64_t groups, const std::string& padding_mode,
                             const std::string& activation, double alpha, double beta,
                             const std::string& layout, const std::string& algorithm) {
  nn::Conv2dOptions o;
  o.stride = size2_of(stride, "stride");
  o.padding = padding_of(padding);
  o.dilation = size2_of(dilation, "dilation");
  o.groups = groups;
  o.padding_mode = nn::parse_padding_mode(padding_mode);
  o.activation = parse_activation(activation);
  o.alpha = alpha;
  o.beta = beta;
  o.layout = parse_nn_layout(layout);
  o.plan = plan_options(algorithm);
  return o;
}

[[noreturn]] void dtype_error(const std::string& message) {
  throw nb::type_error(message.c_str());
}

// f32 or f64, else TypeError (convkit views of other dtypes exist, but nn computes in floats).
void check_float(const ConstTensorView& v, const char* name) {
  if (v.dtype() != DType::f32 && v.dtype() != DType::f64)
    dtype_error(std::string(name) + ": dtype " + numpy_name(v.dtype()) +
                " is not supported (convkit.nn takes float32 or float64)");
}

void check_same_dtype(const ConstTensorView& v, DType want, const char* name, const char* whose) {
  if (v.dtype() != want)
    dtype_error(std::string(name) + ": dtype " + numpy_name(v.dtype()) + " != " + whose + " " +
                numpy_name(want));
}

// None -> an empty view; an array -> its view. `keep` holds the nanobind reference.
ConstTensorView optional_view(nb::handle h, const char* name, InArray& keep) {
  if (!h.is_valid() || h.is_none()) return {};
  if (!nb::try_cast(h, keep, false))
    throw nb::type_error((std::string(name) + ": expected None or an array, got " +
                          nb::type_name(h.type()).c_str())
                             .c_str());
  const ConstTensorView v = view_of(keep, name);
  if (v.rank() == 0) detail::fail(name, "must be a 1-D array (or None), got a 0-d array");
  return v;
}

std::array<std::int64_t, 4> shape4_of(nb::handle shape, const char* name = "input_shape") {
  if (!is_sequence(shape))
    throw nb::type_error((std::string(name) + ": expected a sequence of 4 ints (or an array)").c_str());
  if (nb::len(shape) != 4)
    detail::fail(name, "must have 4 elements, got ", nb::len(shape));
  std::array<std::int64_t, 4> s{};
  for (std::size_t i = 0; i < 4; ++i) s[i] = int_of(shape[i], name);
  return s;
}

// conv_transpose2d's options; `crop` None or (top, bottom, left, right) replaces padding and
// output_padding (the ONNX conventions resolve to it in Python).
nn::ConvTranspose2dOptions transpose_options_of(nb::handle stride, nb::handle padding,
                                                nb::handle output_padding, std::int64_t groups,
                                                nb::handle dilation, nb::handle crop,
                                                const std::string& activation, double alpha,
                                                double beta, const std::string& layout,
                                                const std::string& algorithm) {
  nn::ConvTranspose2dOptions o;
  o.stride = size2_of(stride, "stride");
  o.padding = size2_of(padding, "padding");
  o.output_padding = size2_of(output_padding, "output_padding");
  o.groups = groups;
  o.dilation = size2_of(dilation, "dilation");
  if (crop.is_valid() && !crop.is_none()) {
    const auto c = shape4_of(crop, "crop");
    o.has_crop = true;
    o.crop = {c[0], c[1], c[2], c[3]};
  }
  o.activation = parse_activation(activation);
  o.alpha = alpha;
  o.beta = beta;
  o.layout = parse_nn_layout(layout);
  o.plan = plan_options(algorithm);
  return o;
}

// The result of a gradient binding: `shape` checked (every dimension >= 1, else an error naming
// `name`), allocated as a NumPy array and filled by `fill(view)` with the GIL released for
// `work` multiply-adds.
template <class Fill>
nb::object gradient_result(const std::array<std::int64_t, 4>& shape, const char* name, DType dtype,
                           double work, Fill&& fill) {
  for (std::int64_t d : shape)
    if (d < 1) detail::fail(name, "every dimension must be >= 1");
  NewArray y = new_array(dtype, shape);
  {
    Unlocked unlocked(work);
    fill(y.view);
  }
  return y.array;
}

// The work of a gradient call, for Unlocked: multiply-adds of the forward convolution.
double macs(const ConstTensorView& big, const ConstTensorView& w) {
  return double(big.numel()) * double(w.numel()) / double(std::max<std::int64_t>(w.dim(0), 1));
}

nb::tuple tuple_of(const std::array<std::int64_t, 4>& s) {
  return nb::make_tuple(s[0], s[1], s[2], s[3]);
}

// The layer: parameters checked and weights copied once in C++, plans cached per input shape.
class NnConv2d {
 public:
  NnConv2d(std::int64_t in_channels, std::int64_t out_channels, nb::handle kernel_size,
           const InArray& weight, nb::handle bias, nb::handle stride, nb::handle padding,
           nb::handle dilation, std::int64_t groups, const std::string& padding_mode,
           const std::string& activation, double alpha, double beta, const std::string& layout,
           const std::string& algorithm) {
    const ConstTensorView w = view_of(weight, "weight");
    check_float(w, "weight");
    InArray keep;
    const ConstTensorView b = optional_view(bias, "bias", keep);
    if (b.data()) check_same_dtype(b, w.dtype(), "bias", "the weight's");
    const nn::Size2 k = size2_of(kernel_size, "kernel_size");
    const nn::Conv2dOptions o = options_of(stride, padding, dilation, groups, padding_mode,
                                           activation, alpha, beta, layout, algorithm);
    nb::gil_scoped_release unlocked;
    layer_ = std::make_unique<nn::Conv2d>(in_channels, out_channels, k, o, w, b);
  }

  nb::object forward(const InArray& input, nb::handle residual) const {
    const ConstTensorView x = view_of(input, "input");
    check_float(x, "input");
    check_same_dtype(x, layer_->dtype(), "input", "the layer's");
    InArray keep;
    const ConstTensorView r = optional_view(residual, "residual", keep);
    if (r.data()) check_same_dtype(r, x.dtype(), "residual", "the input's");
    if (x.rank() != 4) layer_->forward(x);  // its error
    const auto shape = layer_->output_shape({x.dim(0), x.dim(1), x.dim(2), x.dim(3)});
    NewArray y = new_array(x.dtype(), shape);
    {
      const ConstTensorView w = layer_->weight();
      Unlocked unlocked(double(y.view.numel()) * double(w.numel()) / double(w.dim(0)));
      if (r.data())
        layer_->forward(x, y.view, r);
      else
        layer_->forward(x, y.view);
    }
    return y.array;
  }

  std::string explain(nb::handle shape) const {
    const auto s = shape4_of(shape);
    nb::gil_scoped_release unlocked;
    return layer_->explain(s);
  }

  std::string algorithm(nb::handle shape) const {
    const auto s = shape4_of(shape);
    nb::gil_scoped_release unlocked;
    return algorithm_name(layer_->plan(s).algorithm());
  }

  std::string problem(nb::handle shape) const {
    const auto s = shape4_of(shape);
    nb::gil_scoped_release unlocked;
    return layer_->plan(s).problem().to_string();
  }

  nb::tuple output_shape(nb::handle shape) const {
    return tuple_of(layer_->output_shape(shape4_of(shape)));
  }

  std::size_t cached_plans() const { return layer_->cached_plans(); }
  const char* dtype() const { return numpy_name(layer_->dtype()); }

 private:
  std::unique_ptr<nn::Conv2d> layer_;
};

}  // namespace

void bind_nn_train(nb::module_& m) {
  m.def(
      "nn_conv_transpose2d",
      [](const InArray& input, const InArray& weight, nb::handle bias, nb::handle stride,
         nb::handle padding, nb::handle output_padding, std::int64_t groups, nb::handle dilation,
         nb::handle crop, const std::string& activation, double alpha, double beta,
         const std::string& layout, const std::string& algorithm) {
        const ConstTensorView x = view_of(input, "input");
        const ConstTensorView w = view_of(weight, "weight");
        check_float(x, "input");
        check_same_dtype(w, x.dtype(), "weight", "the input's");
        InArray keep;
        const ConstTensorView b = optional_view(bias, "bias", keep);
        if (b.data()) check_same_dtype(b, x.dtype(), "bias", "the input's");
        const nn::ConvTranspose2dOptions o =
            transpose_options_of(stride, padding, output_padding, groups, dilation, crop,
                                 activation, alpha, beta, layout, algorithm);
        if (x.rank() != 4 || w.rank() != 4) nn::conv_transpose2d(x, w, b, o);  // its error
        if (o.groups < 1) nn::transpose_crop(o);                                 // its error
        const auto shape = nn::transpose_output_shape({x.dim(0), x.dim(1), x.dim(2), x.dim(3)},
                                                      w.dim(1) * o.groups, {w.dim(2), w.dim(3)}, o);
        NewArray y = new_array(x.dtype(), shape);
        {
          Unlocked unlocked(macs(x, w));
          nn::conv_transpose2d(x, w, b, o, y.view);
        }
        return y.array;
      },
      "input"_a, "weight"_a, "bias"_a = nb::none(), "stride"_a = 1, "padding"_a = 0,
      "output_padding"_a = 0, "groups"_a = 1, "dilation"_a = 1, "crop"_a = nb::none(),
      "activation"_a = "none", "alpha"_a = 0.0, "beta"_a = 0.0, "layout"_a = "NCHW",
      "algorithm"_a = "auto",
      "torch.nn.functional.conv_transpose2d on rank-4 float arrays, then the activation. "
      "See convkit.nn.conv_transpose2d.");

  m.def(
      "nn_conv2d_grad_input",
      [](nb::handle input_shape, const InArray& weight, const InArray& grad_output,
         nb::handle stride, nb::handle padding, nb::handle dilation, std::int64_t groups,
         const std::string& padding_mode, const std::string& layout,
         const std::string& algorithm) {
        const auto shape = shape4_of(input_shape, "input_size");
        const ConstTensorView w = view_of(weight, "weight");
        const ConstTensorView g = view_of(grad_output, "grad_output");
        check_float(g, "grad_output");
        check_same_dtype(w, g.dtype(), "weight", "grad_output's");
        const nn::Conv2dOptions o = options_of(stride, padding, dilation, groups, padding_mode,
                                               "none", 0, 0, layout, algorithm);
        const double work = double(shape[0] * shape[1] * shape[2] * shape[3]) *
                            double(w.numel()) / double(std::max<std::int64_t>(w.dim(0), 1));
        return gradient_result(shape, "input_size", g.dtype(), work,
                               [&](TensorView out) { nn::conv2d_grad_input(g, w, o, out); });
      },
      "input_size"_a, "weight"_a, "grad_output"_a, "stride"_a = 1, "padding"_a = 0,
      "dilation"_a = 1, "groups"_a = 1, "padding_mode"_a = "zeros", "layout"_a = "NCHW",
      "algorithm"_a = "auto",
      "torch.nn.grad.conv2d_input (any padding form and padding_mode). See convkit.nn.grad.");

  m.def(
      "nn_conv2d_grad_weight",
      [](const InArray& input, nb::handle weight_shape, const InArray& grad_output,
         nb::handle stride, nb::handle padding, nb::handle dilation, std::int64_t groups,
         const std::string& padding_mode, const std::string& layout,
         const std::string& algorithm) {
        const auto shape = shape4_of(weight_shape, "weight_size");
        const ConstTensorView x = view_of(input, "input");
        const ConstTensorView g = view_of(grad_output, "grad_output");
        check_float(x, "input");
        check_same_dtype(g, x.dtype(), "grad_output", "the input's");
        const nn::Conv2dOptions o = options_of(stride, padding, dilation, groups, padding_mode,
                                               "none", 0, 0, layout, algorithm);
        return gradient_result(shape, "weight_size", x.dtype(),
                               double(g.numel()) * double(shape[1] * shape[2] * shape[3]),
                               [&](TensorView out) { nn::conv2d_grad_weight(x, g, o, out); });
      },
      "input"_a, "weight_size"_a, "grad_output"_a, "stride"_a = 1, "padding"_a = 0,
      "dilation"_a = 1, "groups"_a = 1, "padding_mode"_a = "zeros", "layout"_a = "NCHW",
      "algorithm"_a = "auto",
      "torch.nn.grad.conv2d_weight (any padding form and padding_mode). See convkit.nn.grad.");

  m.def(
      "nn_conv_transpose2d_grad_input",
      [](nb::handle input_shape, const InArray& weight, const InArray& grad_output,
         nb::handle stride, nb::handle padding, nb::handle output_padding, std::int64_t groups,
         nb::handle dilation, nb::handle crop, const std::string& layout,
         const std::string& algorithm) {
        const auto shape = shape4_of(input_shape, "input_size");
        const ConstTensorView w = view_of(weight, "weight");
        const ConstTensorView g = view_of(grad_output, "grad_output");
        check_float(g, "grad_output");
        check_same_dtype(w, g.dtype(), "weight", "grad_output's");
        const nn::ConvTranspose2dOptions o = transpose_options_of(
            stride, padding, output_padding, groups, dilation, crop, "none", 0, 0, layout, algorithm);
        return gradient_result(shape, "input_size", g.dtype(), macs(g, w), [&](TensorView out) {
          nn::conv_transpose2d_grad_input(g, w, o, out);
        });
      },
      "input_size"_a, "weight"_a, "grad_output"_a, "stride"_a = 1, "padding"_a = 0,
      "output_padding"_a = 0, "groups"_a = 1, "dilation"_a = 1, "crop"_a = nb::none(),
      "layout"_a = "NCHW", "algorithm"_a = "auto",
      "d loss / d input of conv_transpose2d. See convkit.nn.grad.");

  m.def(
      "nn_conv_transpose2d_grad_weight",
      [](const InArray& input, nb::handle weight_shape, const InArray& grad_output,
         nb::handle stride, nb::handle padding, nb::handle output_padding, std::int64_t groups,
         nb::handle dilation, nb::handle crop, const std::string& layout,
         const std::string& algorithm) {
        const auto shape = shape4_of(weight_shape, "weight_size");
        const ConstTensorView x = view_of(input, "input");
        const ConstTensorView g = view_of(grad_output, "grad_output");
        check_float(x, "input");
        check_same_dtype(g, x.dtype(), "grad_output", "the input's");
        const nn::ConvTranspose2dOptions o = transpose_options_of(
            stride, padding, output_padding, groups, dilation, crop, "none", 0, 0, layout, algorithm);
        return gradient_result(shape, "weight_size", x.dtype(),
                               double(g.numel()) * double(shape[0] * shape[2] * shape[3]),
                               [&](TensorView out) {
                                 nn::conv_transpose2d_grad_weight(x, g, o, out);
                               });
      },
      "input"_a, "weight_size"_a, "grad_output"_a, "stride"_a = 1, "padding"_a = 0,
      "output_padding"_a = 0, "groups"_a = 1, "dilation"_a = 1, "crop"_a = nb::none(),
      "layout"_a = "NCHW", "algorithm"_a = "auto",
      "d loss / d weight of conv_transpose2d. See convkit.nn.grad.");

  m.def(
      "nn_grad_bias",
      [](const InArray& grad_output, const std::string& layout) {
        const ConstTensorView g = view_of(grad_output, "grad_output");
        check_float(g, "grad_output");
        const nn::Layout l = parse_nn_layout(layout);
        if (g.rank() != 4)
          detail::fail("grad_output", "must be rank 4 (NCHW or NHWC), got rank ", g.rank());
        const std::int64_t k = l == nn::Layout::NCHW ? g.dim(1) : g.dim(3);
        NewArray y = new_array(g.dtype(), std::array<std::int64_t, 1>{k});
        {
          Unlocked unlocked(double(g.numel()));
          const Tensor b = nn::conv2d_grad_bias(g, l);
          copy(b.cview(), y.view);
        }
        return y.array;
      },
      "grad_output"_a, "layout"_a = "NCHW",
      "d loss / d bias: grad_output summed over batch and pixels.");
}

void bind_nn(nb::module_& m) {
  bind_nn_train(m);
  m.def(
      "nn_conv2d",
      [](const InArray& input, const InArray& weight, nb::handle bias, nb::handle stride,
         nb::handle padding, nb::handle dilation, std::int64_t groups,
         const std::string& padding_mode, const std::string& activation, double alpha,
         double beta, const std::string& layout, const std::string& algorithm,
         nb::handle residual) {
        const ConstTensorView x = view_of(input, "input");
        const ConstTensorView w = view_of(weight, "weight");
        check_float(x, "input");
        check_same_dtype(w, x.dtype(), "weight", "the input's");
        InArray keep;
        const ConstTensorView b = optional_view(bias, "bias", keep);
        if (b.data()) check_same_dtype(b, x.dtype(), "bias", "the input's");
        const nn::Conv2dOptions o = options_of(stride, padding, dilation, groups, padding_mode,
                                               activation, alpha, beta, layout, algorithm);
        InArray keep_res;
        const ConstTensorView r = optional_view(residual, "residual", keep_res);
        if (r.data()) check_same_dtype(r, x.dtype(), "residual", "the input's");
        if (x.rank() != 4 || w.rank() != 4) nn::conv2d(x, w, b, o);  // its error
        const auto shape = nn::output_shape({x.dim(0), x.dim(1), x.dim(2), x.dim(3)}, w.dim(0),
                                            {w.dim(2), w.dim(3)}, o);
        NewArray y = new_array(x.dtype(), shape);
        {
          // multiply-adds: every output takes the weights of one output channel
          Unlocked unlocked(double(y.view.numel()) * double(w.numel()) / double(w.dim(0)));
          if (r.data())
            nn::conv2d(x, w, b, o, y.view, r);
          else
            nn::conv2d(x, w, b, o, y.view);
        }
        return y.array;
      },
      "input"_a, "weight"_a, "bias"_a = nb::none(), "stride"_a = 1, "padding"_a = 0,
      "dilation"_a = 1, "groups"_a = 1, "padding_mode"_a = "zeros", "activation"_a = "none",
      "alpha"_a = 0.0, "beta"_a = 0.0, "layout"_a = "NCHW", "algorithm"_a = "auto",
      "residual"_a = nb::none(),
      "torch.nn.functional.conv2d on a rank-4 NCHW/NHWC float array, then the activation "
      "(leaky_relu slope = alpha, clamp bounds = [alpha, beta]). See convkit.nn.conv2d.");

  nb::class_<NnConv2d>(m, "NnConv2d",
                       "A Conv2d layer (torch.nn.Conv2d forward): weights copied once, a plan "
                       "cached per input shape. See convkit.nn.Conv2d.")
      .def(nb::init<std::int64_t, std::int64_t, nb::handle, const InArray&, nb::handle,
                    nb::handle, nb::handle, nb::handle, std::int64_t, const std::string&,
                    const std::string&, double, double, const std::string&, const std::string&>(),
           "in_channels"_a, "out_channels"_a, "kernel_size"_a, "weight"_a,
           "bias"_a = nb::none(), "stride"_a = 1, "padding"_a = 0, "dilation"_a = 1,
           "groups"_a = 1, "padding_mode"_a = "zeros", "activation"_a = "none", "alpha"_a = 0.0,
           "beta"_a = 0.0, "layout"_a = "NCHW", "algorithm"_a = "auto")
      .def("forward", &NnConv2d::forward, "input"_a, "residual"_a = nb::none())
      .def("__call__", &NnConv2d::forward, "input"_a, "residual"_a = nb::none())
      .def("explain", &NnConv2d::explain, "input_shape"_a,
           "The plan's explanation for an input shape (the layout's order).")
      .def("algorithm", &NnConv2d::algorithm, "input_shape"_a,
           "The algorithm of the plan for an input shape.")
      .def("problem", &NnConv2d::problem, "input_shape"_a,
           "The canonical problem string of the plan for an input shape.")
      .def("output_shape", &NnConv2d::output_shape, "input_shape"_a)
      .def_prop_ro("cached_plans", &NnConv2d::cached_plans)
      .def_prop_ro("dtype", &NnConv2d::dtype);
}

}  // namespace convkit::python
