#pragma once
#include <memory>
#include <string>

#include "plan/algorithm.h"

namespace convkit {
std::string ordered_rejects(const ConvProblem& p, const PreparedFilter& f);
double ordered_estimate(const ConvProblem& p, const PreparedFilter& f);
std::string ordered_opt_in_only(const ConvProblem& p, const PreparedFilter& f);
std::unique_ptr<AlgorithmImpl> make_ordered(const ConvProblem& p,
                                            std::shared_ptr<const PreparedFilter> f);
}  // namespace convkit
