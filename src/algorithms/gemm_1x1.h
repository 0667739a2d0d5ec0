#pragma once
#include <memory>
#include <string>

#include "plan/algorithm.h"

namespace convkit {
std::string gemm_1x1_rejects(const ConvProblem& p, const PreparedFilter& f);
double gemm_1x1_estimate(const ConvProblem& p, const PreparedFilter& f);
std::unique_ptr<AlgorithmImpl> make_gemm_1x1(const ConvProblem& p,
                                             std::shared_ptr<const PreparedFilter> f);
}  // namespace convkit
