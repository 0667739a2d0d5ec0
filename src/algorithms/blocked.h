#pragma once
#include <memory>
#include <string>

#include "plan/algorithm.h"

namespace convkit {
std::string direct_blocked_rejects(const ConvProblem& p, const PreparedFilter& f);
double direct_blocked_estimate(const ConvProblem& p, const PreparedFilter& f);
std::unique_ptr<AlgorithmImpl> make_direct_blocked(const ConvProblem& p,
                                                   std::shared_ptr<const PreparedFilter> f);
}  // namespace convkit
