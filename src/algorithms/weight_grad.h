#pragma once
// Direction::backward_weights: see weight_grad.cpp.
#include <memory>

#include "plan/algorithm.h"

namespace convkit {

/// The executor of a backward_weights problem (real f32/f64, any groups, stride, dilation,
/// pads and border).
std::unique_ptr<AlgorithmImpl> make_weight_grad(const ConvProblem& p);

/// diff_bias[k] = sum over (n, p, q) of diff_dst[n, k, p, q] (N x K x P x Q, f32 or f64, any
/// strides; diff_bias K elements of its dtype): double sums in a fixed order.
void bias_gradient(ConstTensorView diff_dst, TensorView diff_bias);

}  // namespace convkit
