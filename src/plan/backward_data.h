#pragma once
// Direction::backward_data (the transposed convolution) by stride-phase decomposition onto
// forward plans: see backward_data.cpp.
#include <memory>

#include "plan/algorithm.h"

namespace convkit {

/// The executor of a backward_data problem: every sub-plan is chosen by the planner under
/// `sub_options` (a named algorithm runs every phase).
std::unique_ptr<AlgorithmImpl> make_backward_data(const ConvProblem& p,
                                                  std::shared_ptr<const PreparedFilter> f,
                                                  const PlanOptions& sub_options);

}  // namespace convkit
