// The line kernels, written once with Highway and compiled per target (see line.h).
#if defined(CONVKIT_LINE_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CONVKIT_LINE_INL_H_
#undef CONVKIT_LINE_INL_H_
#else
#define CONVKIT_LINE_INL_H_
#endif

#include <string.h>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace convkit::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

enum class LineOrder { symmetric, antisymmetric, general, sequential };

// One vector of outputs at offset j, in the order of the contract (Mul, then Add: never MulAdd).
template <LineOrder kOrder, class D>
HWY_INLINE hn::Vec<D> LineAt(D d, const double* const* x, const double* w, size_t T, size_t j,
                             const double* init, size_t n) {
  using V = hn::Vec<D>;
  V acc;
  if constexpr (kOrder == LineOrder::symmetric || kOrder == LineOrder::antisymmetric) {
    const size_t c = T / 2;
    acc = hn::Mul(hn::LoadU(d, x[c] + j), hn::Set(d, w[c]));
    for (size_t t = 0; t < c; ++t) {
      const V a = hn::LoadU(d, x[t] + j), b = hn::LoadU(d, x[T - 1 - t] + j);
      const V pair = kOrder == LineOrder::symmetric ? hn::Add(a, b) : hn::Sub(a, b);
      acc = hn::Add(acc, hn::Mul(pair, hn::Set(d, w[t])));
    }
  } else if constexpr (kOrder == LineOrder::general) {
    acc = hn::Mul(hn::LoadU(d, x[T - 1] + j), hn::Set(d, w[T - 1]));
    for (size_t t = 0; t + 1 < T; ++t)
      acc = hn::Add(acc, hn::Mul(hn::LoadU(d, x[t] + j), hn::Set(d, w[t])));
  } else {
    const size_t L = hn::Lanes(d);
    if (!init) {
      acc = hn::Zero(d);
    } else if (j + L <= n) {
      acc = hn::LoadU(d, init + j);
    } else {
      HWY_ALIGN double tmp[hn::MaxLanes(d)] = {};
      memcpy(tmp, init + j, (n - j) * sizeof(double));
      acc = hn::Load(d, tmp);
    }
    for (size_t t = 0; t < T; ++t)
      acc = hn::Add(acc, hn::Mul(hn::Set(d, w[t]), hn::LoadU(d, x[t] + j)));
  }
  return acc;
}

template <LineOrder kOrder>
HWY_INLINE void Line(const double* const* x, const double* w, size_t T, size_t n,
                     const double* init, double* out) {
  const hn::ScalableTag<double> d;
  const size_t L = hn::Lanes(d);
  size_t j = 0;
  for (; j + L <= n; j += L) hn::StoreU(LineAt<kOrder>(d, x, w, T, j, init, n), d, out + j);
  if (j < n) {  // the tail: computed as a full vector (x has slack), stored through a buffer
    HWY_ALIGN double tmp[hn::MaxLanes(d)];
    hn::Store(LineAt<kOrder>(d, x, w, T, j, init, n), d, tmp);
    memcpy(out + j, tmp, (n - j) * sizeof(double));
  }
}

}  // namespace convkit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // CONVKIT_LINE_INL_H_ toggle
