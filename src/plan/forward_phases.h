#pragma once
// Algorithm::stride_phases: a strided forward convolution as one stride-1 convolution over the
// stride phases of its padded input stacked as channels (see forward_phases.cpp).
#include <memory>
#include <string>

#include "plan/algorithm.h"

namespace convkit {

std::string stride_phases_rejects(const ConvProblem& p, const PreparedFilter& f);
double stride_phases_estimate(const ConvProblem& p, const PreparedFilter& f);
std::string stride_phases_inexact(const ConvProblem& p, const PreparedFilter& f);
std::unique_ptr<AlgorithmImpl> make_stride_phases(const ConvProblem& p,
                                                  std::shared_ptr<const PreparedFilter> f);

}  // namespace convkit
