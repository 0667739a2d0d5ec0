#pragma once
// The contract between the planner and the algorithms (DESIGN.md §1, §3).

#include <complex>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "convkit/plan.h"

namespace convkit {

/// One rank-1 term of a kernel: w[k][r][s] ~= col[k*R + r] * row[k*S + s] (flip/conj applied).
struct SeparableTerm {
  std::vector<double> col;  ///< K x R
  std::vector<double> row;  ///< K x S
};

/// The filter as every algorithm receives it: copied once per plan, with flip and conj already
/// applied, so algorithms only ever correlate. Layout K x Cg x R x S, row-major.
struct PreparedFilter {
  bool complex = false;
  std::vector<double> w;              ///< real taps (when !complex and wf is empty)
  /// Real f32 taps of f32 channel-mixing filters (the deep-learning layers), held instead of
  /// `w`: a 512 x 512 x 3 x 3 layer would otherwise write 19 MB of doubles per plan. tap(i)
  /// reads whichever is held; per-channel filters (image kernels) always have `w`.
  /// (Not a std::vector: its value-initialisation would write the megabytes twice.)
  std::unique_ptr<float[]> wf;
  std::size_t wf_size = 0;
  double tap(std::size_t i) const { return wf ? double(wf[i]) : w[i]; }
  /// Every real tap as double (copies when wf is held).
  std::vector<double> taps() const {
    return wf ? std::vector<double>(wf.get(), wf.get() + wf_size) : w;
  }
  std::vector<std::complex<double>> wc;  ///< complex taps (when complex)
  std::vector<double> bias;           ///< K entries, or empty
  double max_abs_sum = 0;             ///< max over k of sum |w|: bounds the accumulator
  /// The kernel as a sum of rank-1 terms (real, Cg == 1 only); empty when no factoring is known.
  /// Given factors (SeparableKernel) are exact; detected ones are exact when `terms_exact`.
  std::vector<SeparableTerm> terms;
  /// sum over terms of col[r]*row[s], evaluated in double, equals w bit for bit: a separable
  /// pass then computes the same products as the dense filter (up to summation order).
  bool terms_exact = false;
  /// Largest relative residual ||w - sum of terms|| / ||w|| over the channels (0 when exact).
  double terms_residual = 0;
  /// Within each channel every tap is the same (a box/mean kernel).
  bool uniform = false;
};

/// One algorithm's prepared state (packed weights, chosen kernel); executes many times.
class AlgorithmImpl {
 public:
  virtual ~AlgorithmImpl() = default;
  /// src: N x C x H x W, dst: N x K x P x Q, both validated against the problem; no overlap.
  virtual void run(ConstTensorView src, TensorView dst) const = 0;
  /// One line: the variant, accumulator type, ISA, threads.
  virtual std::string describe() const = 0;
  /// True when run_residual adds the residual inside the epilogue (before the activation);
  /// otherwise the plan runs the algorithm without activation and adds the residual after.
  virtual bool fuses_residual() const { return false; }
  /// dst = act(conv + residual), residual N x K x P x Q like dst (only if fuses_residual()).
  virtual void run_residual(ConstTensorView src, TensorView dst, ConstTensorView residual) const {
    (void)residual;
    run(src, dst);
  }
  /// Direction::backward_weights: diff_w (K x Cg x R x S) and, when it has data, diff_b (K)
  /// from src (N x C x H x W) and diff_dst (N x K x P x Q), all validated. (Backward-data
  /// algorithms use run(diff_dst, diff_src).)
  virtual void run_weights(ConstTensorView src, ConstTensorView diff_dst, TensorView diff_w,
                           TensorView diff_b) const;
};

/// A row of the planner's ordered list (algorithm_list.cpp).
struct AlgorithmInfo {
  Algorithm id;
  const char* name;
  /// "" when the algorithm can run the problem exactly; otherwise the reason it cannot.
  std::string (*rejects)(const ConvProblem&, const PreparedFilter&);
  /// Estimated milliseconds: the cost model the planner minimises (see cost.h).
  double (*estimate_ms)(const ConvProblem&, const PreparedFilter&);
  /// "" when the planner may choose this algorithm by itself; otherwise why it must be asked
  /// for explicitly (e.g. FFT rounding could change an exact integer result).
  std::string (*opt_in_only)(const ConvProblem&, const PreparedFilter&);
  /// "" when the algorithm multiplies the filter's own taps (so exact data stays exact);
  /// otherwise what it computes instead (PlanOptions::exact_taps leaves it out).
  std::string (*inexact)(const ConvProblem&, const PreparedFilter&);
  std::unique_ptr<AlgorithmImpl> (*create)(const ConvProblem&,
                                           std::shared_ptr<const PreparedFilter>);
};

/// Every algorithm; the planner picks the cheapest estimate among those that accept and are not
/// opt-in only (ties: earlier entry). The last entry is the reference.
std::span<const AlgorithmInfo> algorithm_list();

/// Activation of ConvProblem applied to one value.
double apply_activation(double v, const ConvProblem& p);

}  // namespace convkit
