#pragma once
// Direction::backward_weights: see weight_grad.cpp.
#include <memory>

#include "plan/algorithm.h"

namespace convkit {

/// The executor of a backward_weights problem (real f32/f64, any groups, stride, dilation,
/// pads and border).
std::unique_ptr<AlgorithmImpl> make_weight_grad(const ConvProblem& p);

}  // namespace convkit
