#pragma once
// The pieces of nn.cpp (conv2d) that the training front end (nn_train.cpp) shares: argument
// checks, the canonical problem of a conv2d call, layout views.
#include <array>
#include <cstdint>
#include <string>

#include "api/views.h"
#include "convkit/nn.h"

namespace convkit::nn::internal {

Border to_border(PaddingMode m);
/// stride, dilation, groups >= 1; a known layout and activation; clamp's alpha <= beta.
void check_common(Size2 stride, Size2 dilation, std::int64_t groups, Layout layout,
                  Activation activation, double alpha, double beta);
void check_options(const Conv2dOptions& o);
void check_channels(std::int64_t c, std::int64_t k, std::int64_t groups);
void check_dtype(const char* name, DType t);
void check_input(ConstTensorView input);
void check_weight(ConstTensorView weight, std::int64_t c, std::int64_t k, std::int64_t r,
                  std::int64_t s, std::int64_t groups);
void check_bias(ConstTensorView bias, std::int64_t k, DType dtype);
bool has_bias(ConstTensorView bias);
void check_output(TensorView output, std::array<std::int64_t, 4> shape, DType dtype);
std::array<std::int64_t, 4> dims(const ConstTensorView& v);
std::array<std::int64_t, 4> nchw_of(std::array<std::int64_t, 4> s, Layout layout);
std::string shape_str(std::array<std::int64_t, 4> s);
/// The forward problem of conv2d on an N x C x H x W input with K outputs (every check that
/// needs the input size; `kernel_name` names the kernel in errors).
ConvProblem make_problem(std::array<std::int64_t, 4> nchw, std::int64_t k, Size2 kernel,
                         DType dtype, bool bias, const Conv2dOptions& o, const char* kernel_name,
                         bool residual = false);
std::array<std::int64_t, 4> out_shape(const ConvProblem& p, Layout layout);

/// A view in the layout's order as N x C x H x W.
template <class View>
View as_nchw(const View& v, Layout layout) {
  if (layout == Layout::NCHW) return v;
  return api::view4(v, {v.dim(0), v.dim(3), v.dim(1), v.dim(2)},
                    {v.stride(0), v.stride(3), v.stride(1), v.stride(2)});
}

}  // namespace convkit::nn::internal
