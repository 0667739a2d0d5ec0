#pragma once
// The contract between the planner and the algorithms (DESIGN.md §1, §3).

#include <complex>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "convkit/plan.h"

namespace convkit {

/// The filter as every algorithm receives it: copied once per plan, with flip and conj already
/// applied, so algorithms only ever correlate. Layout K x Cg x R x S, row-major.
struct PreparedFilter {
  bool complex = false;
  bool integral = false;              ///< every tap (and bias) is an integer
  std::vector<double> w;              ///< real taps (when !complex)
  std::vector<std::complex<double>> wc;  ///< complex taps (when complex)
  std::vector<double> bias;           ///< K entries, or empty
  double max_abs_sum = 0;             ///< max over k of sum |w|: bounds the accumulator
};

/// One algorithm's prepared state (packed weights, chosen kernel); executes many times.
class AlgorithmImpl {
 public:
  virtual ~AlgorithmImpl() = default;
  /// src: N x C x H x W, dst: N x K x P x Q, both validated against the problem; no overlap.
  virtual void run(ConstTensorView src, TensorView dst) const = 0;
  /// One line: the variant, accumulator type, ISA, threads.
  virtual std::string describe() const = 0;
};

/// A row of the planner's ordered list (algorithm_list.cpp).
struct AlgorithmInfo {
  Algorithm id;
  const char* name;
  /// "" when the algorithm can run the problem exactly; otherwise the reason it cannot.
  std::string (*rejects)(const ConvProblem&, const PreparedFilter&);
  /// Estimated milliseconds (for explain() and, later, the cost model).
  double (*estimate_ms)(const ConvProblem&, const PreparedFilter&);
  std::unique_ptr<AlgorithmImpl> (*create)(const ConvProblem&,
                                           std::shared_ptr<const PreparedFilter>);
};

/// The ordered list, first that accepts wins; the last entry is the reference.
std::span<const AlgorithmInfo> algorithm_list();

/// Activation of ConvProblem applied to one value.
double apply_activation(double v, const ConvProblem& p);

}  // namespace convkit
