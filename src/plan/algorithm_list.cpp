// The one file that names every algorithm, in priority order. First that accepts wins; the
// reference accepts everything and closes the list.
#include "algorithms/direct.h"
#include "plan/algorithm.h"
#include "reference/reference.h"

namespace convkit {

namespace {
std::string reference_rejects(const ConvProblem&, const PreparedFilter&) { return ""; }
double reference_estimate(const ConvProblem& p, const PreparedFilter&) {
  // ~2 ns per multiply-add: a scalar loop with a border lookup per tap.
  double taps = double(p.n * p.k * p.out_h() * p.out_w()) * double(p.c / p.groups * p.r * p.s);
  return taps * 2e-6;
}
}  // namespace

std::span<const AlgorithmInfo> algorithm_list() {
  static const AlgorithmInfo kList[] = {
      {Algorithm::direct, "direct", direct_rejects, direct_estimate, make_direct},
      {Algorithm::reference, "reference", reference_rejects, reference_estimate, make_reference},
  };
  return kList;
}

}  // namespace convkit
