#pragma once
// The oracle: plain loops with double / complex<double> / exact int64 accumulation for every
// ConvProblem. Obviously correct first, fast never.

#include <memory>

#include "plan/algorithm.h"

namespace convkit {

/// Runs `p` on src (N x C x H x W) into dst (N x K x P x Q).
void reference_run(const ConvProblem& p, const PreparedFilter& f, ConstTensorView src,
                   TensorView dst);

std::unique_ptr<AlgorithmImpl> make_reference(const ConvProblem& p,
                                              std::shared_ptr<const PreparedFilter> f);

}  // namespace convkit
