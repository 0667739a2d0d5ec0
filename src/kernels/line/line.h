#pragma once
// Kernel family "line": one row of outputs whose taps are summed in a fixed order, in double
// precision, every product rounded before it is added (no fused multiply-add): bit for bit
// the loops of scipy.ndimage (NI_Correlate1D for correlate1d and the filters built on it,
// NI_Correlate for correlate/convolve).
//
// x[t] (t < T) points at the samples tap t multiplies, w[t] is its weight; for j in [0, n):
//   f64_line_symmetric   (T odd, w[t] ~ w[T-1-t]; c = T/2):
//       out[j] = x[c][j]*w[c];  for t = 0 .. c-1:  out[j] += (x[t][j] + x[T-1-t][j]) * w[t]
//   f64_line_antisymmetric (T odd, w[t] ~ -w[T-1-t]):
//       the same with (x[t][j] - x[T-1-t][j])
//   f64_line_general:
//       out[j] = x[T-1][j]*w[T-1];  for t = 0 .. T-2:  out[j] += x[t][j]*w[t]
//   f64_line_sequential:
//       out[j] = init ? init[j] : 0.0;  for t = 0 .. T-1:  out[j] += w[t]*x[t][j]
//   - pairs run from the outside in, as SciPy's loops do; which taps a caller passes (SciPy
//     skips |w| <= DBL_EPSILON in NI_Correlate) is the caller's business.
//   - x[t] must be readable for n + kSlack elements (the tail is computed as a full vector);
//     out is written for exactly n elements; init (may alias out) is read for n.
//   - compiled with -ffp-contract=off: the compiler must not fuse the multiply and the add.
#include <cstddef>

namespace convkit::kernels {

#define CONVKIT_LINE(name)                                                                \
  void name(const double* const* x, const double* w, std::size_t T, std::size_t n,       \
            const double* init, double* out);
#include "kernels/line/line.inc"
#undef CONVKIT_LINE

}  // namespace convkit::kernels
