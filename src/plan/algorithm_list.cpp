// The one file that names every algorithm. The planner takes the cheapest estimate among those
// that accept (ties: the earlier entry); the reference accepts everything and closes the list.
#include "algorithms/blocked.h"
#include "algorithms/box.h"
#include "algorithms/depthwise.h"
#include "algorithms/direct.h"
#include "algorithms/fft.h"
#include "algorithms/gemm_1x1.h"
#include "algorithms/grouped.h"
#include "algorithms/im2col.h"
#include "algorithms/ordered.h"
#include "algorithms/separable.h"
#include "algorithms/winograd.h"
#include "plan/algorithm.h"
#include "plan/forward_phases.h"
#include "reference/reference.h"

namespace convkit {

namespace {
std::string reference_rejects(const ConvProblem&, const PreparedFilter&) { return ""; }
std::string never_opt_in(const ConvProblem&, const PreparedFilter&) { return ""; }
std::string given_taps(const ConvProblem&, const PreparedFilter&) { return ""; }
std::string transformed_taps(const ConvProblem&, const PreparedFilter&) {
  return "transformed taps (FFT / Winograd round-off)";
}
std::string factored_taps(const ConvProblem&, const PreparedFilter& f) {
  return f.terms_exact ? "" : "approximate low-rank factors of the taps";
}
double reference_estimate(const ConvProblem& p, const PreparedFilter&) {
  // ~2 ns per multiply-add: a scalar loop with a border lookup per tap.
  double taps = double(p.n * p.k * p.out_h() * p.out_w()) * double(p.c / p.groups * p.r * p.s);
  return taps * 2e-6;
}
}  // namespace

std::span<const AlgorithmInfo> algorithm_list() {
  static const AlgorithmInfo kList[] = {
      {Algorithm::direct, "direct", direct_rejects, direct_estimate, never_opt_in, given_taps,
       make_direct},
      {Algorithm::separable, "separable", separable_rejects, separable_estimate, never_opt_in,
       factored_taps, make_separable},
      {Algorithm::box, "box", box_rejects, box_estimate, never_opt_in, given_taps, make_box},
      {Algorithm::fft, "fft", fft_rejects, fft_estimate, fft_opt_in_only, transformed_taps,
       make_fft},
      {Algorithm::overlap_add, "overlap-add", fft_rejects, overlap_add_estimate, fft_opt_in_only,
       transformed_taps, make_overlap_add},
      {Algorithm::direct_blocked, "direct-blocked", direct_blocked_rejects, direct_blocked_estimate,
       never_opt_in, given_taps, make_direct_blocked},
      {Algorithm::gemm_1x1, "gemm-1x1", gemm_1x1_rejects, gemm_1x1_estimate, never_opt_in,
       given_taps, make_gemm_1x1},
      {Algorithm::depthwise, "depthwise", depthwise_rejects, depthwise_estimate, never_opt_in,
       given_taps, make_depthwise},
      {Algorithm::grouped, "grouped", grouped_rejects, grouped_estimate, never_opt_in, given_taps,
       make_grouped},
      {Algorithm::winograd, "winograd", winograd_rejects, winograd2_estimate,
       winograd2_opt_in_only, transformed_taps, make_winograd2},
      {Algorithm::winograd_4x4, "winograd-4x4", winograd4_rejects, winograd4_estimate,
       winograd4_opt_in_only, transformed_taps, make_winograd4},
      {Algorithm::im2col, "im2col", im2col_rejects, im2col_estimate, never_opt_in, given_taps,
       make_im2col},
      {Algorithm::stride_phases, "stride-phases", stride_phases_rejects, stride_phases_estimate,
       never_opt_in, stride_phases_inexact, make_stride_phases},
      {Algorithm::ordered, "ordered", ordered_rejects, ordered_estimate, ordered_opt_in_only,
       given_taps, make_ordered},
      {Algorithm::reference, "reference", reference_rejects, reference_estimate, never_opt_in,
       given_taps, make_reference},
  };
  return kList;
}

}  // namespace convkit
