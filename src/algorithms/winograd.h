#pragma once
#include <memory>
#include <string>

#include "plan/algorithm.h"

namespace convkit {
/// F(2x2, 3x3) or F(2x2, 2x2) ("winograd", 3x3 or 2x2 kernels) and F(4x4, 3x3)
/// ("winograd-4x4", 3x3), stride 1, f32.
std::string winograd_rejects(const ConvProblem& p, const PreparedFilter& f);
std::string winograd4_rejects(const ConvProblem& p, const PreparedFilter& f);
double winograd2_estimate(const ConvProblem& p, const PreparedFilter& f);
double winograd4_estimate(const ConvProblem& p, const PreparedFilter& f);
std::string winograd2_opt_in_only(const ConvProblem& p, const PreparedFilter& f);
std::string winograd4_opt_in_only(const ConvProblem& p, const PreparedFilter& f);
std::unique_ptr<AlgorithmImpl> make_winograd2(const ConvProblem& p,
                                              std::shared_ptr<const PreparedFilter> f);
std::unique_ptr<AlgorithmImpl> make_winograd4(const ConvProblem& p,
                                              std::shared_ptr<const PreparedFilter> f);
}  // namespace convkit
