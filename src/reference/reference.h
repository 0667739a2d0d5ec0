#pragma once
// The oracle: plain loops with double / complex<double> / exact int64 accumulation for every
// ConvProblem. Obviously correct first, fast never.

#include <memory>

#include "plan/algorithm.h"

namespace convkit {

/// Runs `p` on src (N x C x H x W) into dst (N x K x P x Q).
void reference_run(const ConvProblem& p, const PreparedFilter& f, ConstTensorView src,
                   TensorView dst);

/// Direction::backward_data: diff_src (N x C x H x W) from diff_dst (N x K x P x Q) by scattering
/// every product of the forward sum back to the input sample it read (through the border rule),
/// then bias (C entries) and activation.
void reference_backward_data(const ConvProblem& p, const PreparedFilter& f,
                             ConstTensorView diff_dst, TensorView diff_src);
/// Direction::backward_weights: diff_w (K x C/groups x R x S) and diff_b (K, when it has data).
void reference_backward_weights(const ConvProblem& p, ConstTensorView src,
                                ConstTensorView diff_dst, TensorView diff_w, TensorView diff_b);

/// The reference for any direction of `p`.
std::unique_ptr<AlgorithmImpl> make_reference(const ConvProblem& p,
                                              std::shared_ptr<const PreparedFilter> f);

}  // namespace convkit
