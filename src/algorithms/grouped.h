#pragma once
#include <memory>
#include <string>

#include "plan/algorithm.h"

namespace convkit {
std::string grouped_rejects(const ConvProblem& p, const PreparedFilter& f);
double grouped_estimate(const ConvProblem& p, const PreparedFilter& f);
std::unique_ptr<AlgorithmImpl> make_grouped(const ConvProblem& p,
                                            std::shared_ptr<const PreparedFilter> f);
}  // namespace convkit
