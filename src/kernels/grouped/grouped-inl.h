// The grouped-convolution kernel, written once with Highway and compiled per target (see
// grouped.h). Uses StoreFirst from the nn family.
#if defined(CONVKIT_GROUPED_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CONVKIT_GROUPED_INL_H_
#undef CONVKIT_GROUPED_INL_H_
#else
#define CONVKIT_GROUPED_INL_H_
#endif

#include "hwy/highway.h"
#include "kernels/nn/nn-inl.h"

HWY_BEFORE_NAMESPACE();
namespace convkit::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// KB channels x NV vectors of pixels at column x: each input vector is loaded once and feeds
// the KB accumulators of its pixels; the weights of a tap are KB consecutive floats.
template <std::size_t KB, std::size_t NV, class D>
HWY_INLINE void GroupedVecs(const D d, const float* HWY_RESTRICT in, std::size_t ps,
                            std::size_t rs, std::size_t C, const float* HWY_RESTRICT w,
                            std::size_t R, std::size_t S, std::size_t dh, std::size_t dw,
                            std::size_t x, std::size_t n, float* HWY_RESTRICT out,
                            std::size_t ok, const hn::Vec<D> scale, const float* offset,
                            const hn::Vec<D> lo, const hn::Vec<D> hi) {
  const std::size_t L = hn::Lanes(d);
  using Vec = hn::Vec<D>;
  Vec acc[KB][NV];
  for (std::size_t k = 0; k < KB; ++k)
    for (std::size_t v = 0; v < NV; ++v) acc[k][v] = hn::Zero(d);
  const float* wt = w;
  for (std::size_t c = 0; c < C; ++c)
    for (std::size_t r = 0; r < R; ++r) {
      const float* row = in + c * ps + r * dh * rs + x;
      for (std::size_t s = 0; s < S; ++s, wt += KB) {
        Vec xv[NV];
        for (std::size_t v = 0; v < NV; ++v) xv[v] = hn::LoadU(d, row + s * dw + v * L);
        for (std::size_t k = 0; k < KB; ++k) {
          const Vec wk = hn::Set(d, wt[k]);
          for (std::size_t v = 0; v < NV; ++v) acc[k][v] = hn::MulAdd(wk, xv[v], acc[k][v]);
        }
      }
    }
  for (std::size_t k = 0; k < KB; ++k) {
    const Vec off = hn::Set(d, offset[k]);
    float* o = out + k * ok;
    for (std::size_t v = 0; v < NV; ++v) {
      const std::size_t at = x + v * L;
      if (at >= n) break;
      // The bound first: x86 min/max return the second operand for a NaN, which stays NaN.
      const Vec y = hn::Min(hi, hn::Max(lo, hn::MulAdd(acc[k][v], scale, off)));
      if (at + L <= n) hn::StoreU(y, d, o + at);
      else StoreFirst(d, y, n - at, o + at);
    }
  }
}

// Pixel vectors per tile: as many as keep KB x NV accumulators (plus the loads) in registers.
template <std::size_t KB>
constexpr std::size_t GroupedNv() {
#if HWY_TARGET <= HWY_AVX3
  return KB <= 4 ? 4 : KB <= 6 ? 4 : 3;  // 32 registers
#else
  return KB <= 2 ? 4 : KB <= 4 ? 3 : KB <= 6 ? 2 : 1;  // 16 registers
#endif
}

template <std::size_t KB>
HWY_INLINE void GroupedRowKb(const float* in, std::size_t ps, std::size_t rs, std::size_t C,
                             const float* w, std::size_t R, std::size_t S, std::size_t dh,
                             std::size_t dw, std::size_t n, float* out, std::size_t ok,
                             float scale, const float* offset, float lo, float hi) {
  using D = hn::ScalableTag<float>;
  const D d;
  const std::size_t L = hn::Lanes(d);
  constexpr std::size_t NV = GroupedNv<KB>();
  const auto vs = hn::Set(d, scale), vlo = hn::Set(d, lo), vhi = hn::Set(d, hi);
  std::size_t x = 0;
  for (; x + NV * L <= n; x += NV * L)
    GroupedVecs<KB, NV>(d, in, ps, rs, C, w, R, S, dh, dw, x, n, out, ok, vs, offset, vlo, vhi);
  for (; x < n; x += L)  // the rest one vector at a time, the last one partial
    GroupedVecs<KB, 1>(d, in, ps, rs, C, w, R, S, dh, dw, x, n, out, ok, vs, offset, vlo, vhi);
}

HWY_INLINE void GroupedRow(const float* in, std::size_t ps, std::size_t rs, std::size_t C,
                           const float* w, std::size_t KB, std::size_t R, std::size_t S,
                           std::size_t dh, std::size_t dw, std::size_t n, float* out,
                           std::size_t ok, float scale, const float* offset, float lo, float hi) {
  switch (KB) {
#define CONVKIT_GROUPED_KB(kb) \
  case kb: return GroupedRowKb<kb>(in, ps, rs, C, w, R, S, dh, dw, n, out, ok, scale, offset, lo, hi);
    CONVKIT_GROUPED_KB(1) CONVKIT_GROUPED_KB(2) CONVKIT_GROUPED_KB(3) CONVKIT_GROUPED_KB(4)
    CONVKIT_GROUPED_KB(5) CONVKIT_GROUPED_KB(6) CONVKIT_GROUPED_KB(7) CONVKIT_GROUPED_KB(8)
#undef CONVKIT_GROUPED_KB
    default: HWY_ABORT("grouped row: KB %zu outside 1..8", KB);
  }
}

}  // namespace convkit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // CONVKIT_GROUPED_INL_H_ toggle
