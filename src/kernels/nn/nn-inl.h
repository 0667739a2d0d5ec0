// The nn kernels, written once with Highway and compiled per target (see nn.h).
#if defined(CONVKIT_NN_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CONVKIT_NN_INL_H_
#undef CONVKIT_NN_INL_H_
#else
#define CONVKIT_NN_INL_H_
#endif

#include <cstddef>
#include <cstdint>

#include "hwy/cache_control.h"
#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace convkit::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Register budget: Q x V accumulators, V weight vectors and one broadcast must fit the vector
// registers (32 on AVX-512, 16 below), or the tile spills and runs at half speed.
#if HWY_TARGET <= HWY_AVX3
constexpr std::size_t kNnMaxV = 4;
constexpr std::size_t kGemmNv = 4;  // 6 x 4 accumulators
constexpr std::size_t NnTileQ(std::size_t v) { return v >= 4 ? 6 : v == 3 ? 8 : v == 2 ? 8 : 8; }
#else
constexpr std::size_t kNnMaxV = 2;
constexpr std::size_t kGemmNv = 2;  // 6 x 2 accumulators
constexpr std::size_t NnTileQ(std::size_t v) { return v >= 2 ? 6 : 8; }
#endif

constexpr std::size_t kPrefetchC = 8;
// Q output pixels x V vectors of output channels held in registers for the whole reduction;
// per input channel: V weight loads, Q broadcasts, Q * V FMAs.
template <std::size_t V, std::size_t Q>
HWY_NOINLINE void ConvTileQ(const float* const* px, const std::ptrdiff_t* in_off,
                            const float* const* w_tap, std::size_t ntaps, std::size_t C,
                            float* HWY_RESTRICT out, std::size_t out_stride, bool accumulate) {
  const hn::ScalableTag<float> d;
  const std::size_t L = hn::Lanes(d);
  using Vec = hn::Vec<decltype(d)>;
  Vec acc[Q][V];
  for (std::size_t q = 0; q < Q; ++q)
    for (std::size_t v = 0; v < V; ++v)
      acc[q][v] = accumulate ? hn::Load(d, out + q * out_stride + v * L) : hn::Zero(d);
  for (std::size_t i = 0; i < ntaps; ++i) {
    const float* HWY_RESTRICT wp = w_tap[i];
    const float* b[Q];
    for (std::size_t q = 0; q < Q; ++q) b[q] = px[q] + in_off[i];
    for (std::size_t c = 0; c < C; ++c, wp += V * L) {
      Vec w[V];
      for (std::size_t v = 0; v < V; ++v) hwy::Prefetch(wp + (kPrefetchC * V + v) * L);
      for (std::size_t v = 0; v < V; ++v) w[v] = hn::Load(d, wp + v * L);
      for (std::size_t q = 0; q < Q; ++q) {
        const Vec x = hn::Set(d, b[q][c]);
        for (std::size_t v = 0; v < V; ++v) acc[q][v] = hn::MulAdd(w[v], x, acc[q][v]);
      }
    }
  }
  for (std::size_t q = 0; q < Q; ++q)
    for (std::size_t v = 0; v < V; ++v) hn::Store(acc[q][v], d, out + q * out_stride + v * L);
}

template <std::size_t V, std::size_t Q = NnTileQ(V)>
HWY_INLINE void ConvTileRest(std::size_t q, const float* const* px, const std::ptrdiff_t* in_off,
                             const float* const* w_tap, std::size_t ntaps, std::size_t C,
                             float* out, std::size_t out_stride, bool accumulate) {
  if constexpr (Q > 0) {
    if (q == Q) return ConvTileQ<V, Q>(px, in_off, w_tap, ntaps, C, out, out_stride, accumulate);
    return ConvTileRest<V, Q - 1>(q, px, in_off, w_tap, ntaps, C, out, out_stride, accumulate);
  }
}

template <std::size_t V>
HWY_INLINE void ConvTileV(const float* const* px, std::size_t nq, const std::ptrdiff_t* in_off,
                          const float* const* w_tap, std::size_t ntaps, std::size_t C,
                          float* out, std::size_t out_stride, bool accumulate) {
  constexpr std::size_t Q = NnTileQ(V);
  std::size_t t = 0;
  for (; t + Q <= nq; t += Q)
    ConvTileQ<V, Q>(px + t, in_off, w_tap, ntaps, C, out + t * out_stride, out_stride, accumulate);
  if (t < nq)
    ConvTileRest<V>(nq - t, px + t, in_off, w_tap, ntaps, C, out + t * out_stride, out_stride,
                    accumulate);
}

HWY_INLINE void ConvTile(const float* const* px, std::size_t nq, const std::ptrdiff_t* in_off,
                         const float* const* w_tap, std::size_t ntaps, std::size_t C,
                         std::size_t V, float* out, std::size_t out_stride, bool accumulate) {
  switch (V) {
    case 1: return ConvTileV<1>(px, nq, in_off, w_tap, ntaps, C, out, out_stride, accumulate);
    case 2: return ConvTileV<2>(px, nq, in_off, w_tap, ntaps, C, out, out_stride, accumulate);
#if HWY_TARGET <= HWY_AVX3
    case 3: return ConvTileV<3>(px, nq, in_off, w_tap, ntaps, C, out, out_stride, accumulate);
    case 4: return ConvTileV<4>(px, nq, in_off, w_tap, ntaps, C, out, out_stride, accumulate);
#endif
    default: HWY_ABORT("nn tile: V=%zu outside 1..%zu", V, kNnMaxV);
  }
}

HWY_INLINE void ConvShape(std::size_t* lanes, std::size_t* max_v, std::size_t* gemm_nv) {
  *lanes = hn::Lanes(hn::ScalableTag<float>());
  *max_v = kNnMaxV;
  *gemm_nv = kGemmNv;
}

// MR output channels x kGemmNv vectors of pixels in registers; per input channel: kGemmNv
// pixel loads, MR weight broadcasts, MR * kGemmNv FMAs.
template <std::size_t MR, class D>
HWY_INLINE void GemmAccumulate(D d, const float* HWY_RESTRICT a, std::size_t C,
                               const float* HWY_RESTRICT b, hn::Vec<D> (&acc)[MR][kGemmNv]) {
  const std::size_t L = hn::Lanes(d), NP = kGemmNv * L;
  using Vec = hn::Vec<D>;
  for (std::size_t m = 0; m < MR; ++m)
    for (std::size_t v = 0; v < kGemmNv; ++v) acc[m][v] = hn::Zero(d);
  for (std::size_t c = 0; c < C; ++c, a += MR, b += NP) {
    Vec x[kGemmNv];
    for (std::size_t v = 0; v < kGemmNv; ++v) hwy::Prefetch(b + kPrefetchC * NP + v * L);
    for (std::size_t v = 0; v < kGemmNv; ++v) x[v] = hn::Load(d, b + v * L);
    for (std::size_t m = 0; m < MR; ++m) {
      const Vec w = hn::Set(d, a[m]);
      for (std::size_t v = 0; v < kGemmNv; ++v) acc[m][v] = hn::MulAdd(w, x[v], acc[m][v]);
    }
  }
}

template <std::size_t MR>
HWY_NOINLINE void GemmTileM(const float* HWY_RESTRICT a, std::size_t C,
                            const float* HWY_RESTRICT b, float* HWY_RESTRICT out) {
  const hn::ScalableTag<float> d;
  const std::size_t L = hn::Lanes(d), NP = kGemmNv * L;
  hn::Vec<decltype(d)> acc[MR][kGemmNv];
  GemmAccumulate<MR>(d, a, C, b, acc);
  for (std::size_t m = 0; m < MR; ++m)
    for (std::size_t v = 0; v < kGemmNv; ++v) hn::Store(acc[m][v], d, out + m * NP + v * L);
}

HWY_INLINE void GemmTile(const float* a, std::size_t C, std::size_t MR, const float* b,
                         float* out) {
  switch (MR) {
    case 1: return GemmTileM<1>(a, C, b, out);
    case 2: return GemmTileM<2>(a, C, b, out);
    case 3: return GemmTileM<3>(a, C, b, out);
    case 4: return GemmTileM<4>(a, C, b, out);
    case 5: return GemmTileM<5>(a, C, b, out);
    case 6: return GemmTileM<6>(a, C, b, out);
    default: HWY_ABORT("gemm tile: MR=%zu outside 1..6", MR);
  }
}

// The first n lanes of v to out. AVX-512 stores under a mask; below it, Highway's blended store
// would read and rewrite the neighbouring floats (another thread's), so lanes go one by one.
template <class D>
HWY_INLINE void StoreFirst(D d, hn::Vec<D> v, std::size_t n, float* HWY_RESTRICT out) {
#if HWY_TARGET <= HWY_AVX3
  hn::BlendedStore(v, hn::FirstN(d, n), d, out);
#else
  HWY_ALIGN float tmp[hn::MaxLanes(d)];
  hn::Store(v, d, tmp);
  for (std::size_t i = 0; i < n; ++i) out[i] = tmp[i];
#endif
}

// f32_gemm_tile with the epilogue fused: the accumulators go to the output rows scaled, offset
// and bounded, without the tile's round trip through memory (a short reduction -- 64 input
// channels -- spent a fifth of its time storing, reloading and storing again). Whole aligned
// vectors may stream (non-temporal: no read-for-ownership of a large output); the caller fences
// once after its calls (a fence per call stalled each short call on its streamed stores).
template <std::size_t MR>
HWY_NOINLINE void GemmStoreM(const float* HWY_RESTRICT a, std::size_t C,
                             const float* HWY_RESTRICT b, std::size_t n, float scale,
                             const float* HWY_RESTRICT offset, float lo, float hi,
                             float* HWY_RESTRICT out, std::ptrdiff_t out_stride, bool stream) {
  const hn::ScalableTag<float> d;
  const std::size_t L = hn::Lanes(d);
  using Vec = hn::Vec<decltype(d)>;
  Vec acc[MR][kGemmNv];
  GemmAccumulate<MR>(d, a, C, b, acc);
  const Vec vs = hn::Set(d, scale), vlo = hn::Set(d, lo), vhi = hn::Set(d, hi);
  for (std::size_t m = 0; m < MR; ++m) {
    float* row = out + std::ptrdiff_t(m) * out_stride;
    const Vec off = hn::Set(d, offset[m]);
    for (std::size_t v = 0; v < kGemmNv && v * L < n; ++v) {
      const Vec y = hn::Min(vhi, hn::Max(vlo, hn::MulAdd(acc[m][v], vs, off)));  // NaN stays
      float* dst = row + v * L;
      if (v * L + L > n) StoreFirst(d, y, n - v * L, dst);
      else if (stream && reinterpret_cast<std::uintptr_t>(dst) % (L * sizeof(float)) == 0)
        hn::Stream(y, d, dst);
      else hn::StoreU(y, d, dst);
    }
  }
}

HWY_INLINE void GemmStore(const float* a, std::size_t C, std::size_t MR, const float* b,
                          std::size_t n, float scale, const float* offset, float lo, float hi,
                          float* out, std::ptrdiff_t out_stride, bool stream) {
  switch (MR) {
    case 1: return GemmStoreM<1>(a, C, b, n, scale, offset, lo, hi, out, out_stride, stream);
    case 2: return GemmStoreM<2>(a, C, b, n, scale, offset, lo, hi, out, out_stride, stream);
    case 3: return GemmStoreM<3>(a, C, b, n, scale, offset, lo, hi, out, out_stride, stream);
    case 4: return GemmStoreM<4>(a, C, b, n, scale, offset, lo, hi, out, out_stride, stream);
    case 5: return GemmStoreM<5>(a, C, b, n, scale, offset, lo, hi, out, out_stride, stream);
    case 6: return GemmStoreM<6>(a, C, b, n, scale, offset, lo, hi, out, out_stride, stream);
    default: HWY_ABORT("gemm store: MR=%zu outside 1..6", MR);
  }
}

// The epilogue every depthwise output gets in registers: min(max(v * scale + offset, lo), hi).
// The bound is the first operand: x86 min/max return the second operand when one is NaN, so a
// NaN result stays NaN as in the reference.
template <class D>
struct DwEpilogue {
  hn::Vec<D> scale, offset, lo, hi;
  HWY_INLINE hn::Vec<D> operator()(hn::Vec<D> v) const {
    return hn::Min(hi, hn::Max(lo, hn::MulAdd(v, scale, offset)));
  }
};

// NV vectors of outputs at x: NV independent FMA chains per tap (one chain would wait on the
// FMA latency). The last vector may be partial: only n - x outputs are written. KR x KS > 0
// fixes the kernel size at compile time (taps unrolled, weights hoisted into registers).
template <std::size_t NV, std::size_t KR, std::size_t KS, class D>
HWY_INLINE void DepthwiseVecs(const D d, const float* HWY_RESTRICT in, std::size_t row_stride,
                              const hn::Vec<D>* HWY_RESTRICT wv, std::size_t R, std::size_t S,
                              std::size_t dh, std::size_t dw, std::size_t x, std::size_t n,
                              const DwEpilogue<D>& epi, float* HWY_RESTRICT out) {
  const std::size_t L = hn::Lanes(d);
  using Vec = hn::Vec<D>;
  if constexpr (KR > 0) R = KR, S = KS;
  Vec acc[NV];
  for (std::size_t v = 0; v < NV; ++v) acc[v] = hn::Zero(d);
  for (std::size_t r = 0; r < R; ++r) {
    const float* row = in + r * dh * row_stride + x;
    for (std::size_t s = 0; s < S; ++s) {
      const float* p = row + s * dw;
      for (std::size_t v = 0; v < NV; ++v)
        acc[v] = hn::MulAdd(wv[r * S + s], hn::LoadU(d, p + v * L), acc[v]);
    }
  }
  for (std::size_t v = 0; v < NV; ++v) {
    const std::size_t at = x + v * L;
    const Vec y = epi(acc[v]);
    if (at + L <= n) hn::StoreU(y, d, out + at);
    else StoreFirst(d, y, n - at, out + at);
  }
}

// Two output rows at once (stride 1, no row dilation): each input vector loaded once feeds both
// rows' accumulators, which cuts the loads per output from R * S to about (R + 1) * S / 2.
template <std::size_t NV, std::size_t KR, std::size_t KS, class D>
HWY_INLINE void DepthwiseVecs2(const D d, const float* HWY_RESTRICT in, std::size_t row_stride,
                               const hn::Vec<D>* HWY_RESTRICT wv, std::size_t dw, std::size_t x,
                               std::size_t n, const DwEpilogue<D>& epi, float* HWY_RESTRICT out0,
                               float* HWY_RESTRICT out1) {
  const std::size_t L = hn::Lanes(d);
  using Vec = hn::Vec<D>;
  Vec a0[NV], a1[NV];
  for (std::size_t v = 0; v < NV; ++v) a0[v] = a1[v] = hn::Zero(d);
  for (std::size_t i = 0; i <= KR; ++i) {
    const float* row = in + i * row_stride + x;
    for (std::size_t s = 0; s < KS; ++s)
      for (std::size_t v = 0; v < NV; ++v) {
        const Vec xv = hn::LoadU(d, row + s * dw + v * L);
        if (i < KR) a0[v] = hn::MulAdd(wv[i * KS + s], xv, a0[v]);
        if (i >= 1) a1[v] = hn::MulAdd(wv[(i - 1) * KS + s], xv, a1[v]);
      }
  }
  for (std::size_t v = 0; v < NV; ++v) {
    const std::size_t at = x + v * L;
    if (at + L <= n) {
      hn::StoreU(epi(a0[v]), d, out0 + at);
      hn::StoreU(epi(a1[v]), d, out1 + at);
    } else {
      StoreFirst(d, epi(a0[v]), n - at, out0 + at);
      StoreFirst(d, epi(a1[v]), n - at, out1 + at);
    }
  }
}

template <std::size_t KR, std::size_t KS, class D>
HWY_INLINE void DepthwiseRows(const D d, const float* HWY_RESTRICT in, std::size_t in_stride,
                              std::size_t sh, const hn::Vec<D>* HWY_RESTRICT wv, std::size_t R,
                              std::size_t S, std::size_t dh, std::size_t dw, std::size_t rows,
                              std::size_t n, float* HWY_RESTRICT out, std::size_t out_stride,
                              const DwEpilogue<D>& epi) {
  const std::size_t L = hn::Lanes(d);
  std::size_t p = 0;
  if constexpr (KR > 0) {
    if (sh == 1 && dh == 1)
      for (; p + 2 <= rows; p += 2) {
        const float* row = in + p * in_stride;
        float* o = out + p * out_stride;
        std::size_t x = 0;
        for (; x + 4 * L <= n; x += 4 * L)
          DepthwiseVecs2<4, KR, KS>(d, row, in_stride, wv, dw, x, n, epi, o, o + out_stride);
        switch ((n - x + L - 1) / L) {
          case 1: DepthwiseVecs2<1, KR, KS>(d, row, in_stride, wv, dw, x, n, epi, o, o + out_stride); break;
          case 2: DepthwiseVecs2<2, KR, KS>(d, row, in_stride, wv, dw, x, n, epi, o, o + out_stride); break;
          case 3: DepthwiseVecs2<3, KR, KS>(d, row, in_stride, wv, dw, x, n, epi, o, o + out_stride); break;
          case 4: DepthwiseVecs2<4, KR, KS>(d, row, in_stride, wv, dw, x, n, epi, o, o + out_stride); break;
          default: break;
        }
      }
  }
  for (; p < rows; ++p) {
    const float* row = in + p * sh * in_stride;
    float* o = out + p * out_stride;
    std::size_t x = 0;
    for (; x + 4 * L <= n; x += 4 * L)
      DepthwiseVecs<4, KR, KS>(d, row, in_stride, wv, R, S, dh, dw, x, n, epi, o);
    switch ((n - x + L - 1) / L) {
      case 1: DepthwiseVecs<1, KR, KS>(d, row, in_stride, wv, R, S, dh, dw, x, n, epi, o); break;
      case 2: DepthwiseVecs<2, KR, KS>(d, row, in_stride, wv, R, S, dh, dw, x, n, epi, o); break;
      case 3: DepthwiseVecs<3, KR, KS>(d, row, in_stride, wv, R, S, dh, dw, x, n, epi, o); break;
      case 4: DepthwiseVecs<4, KR, KS>(d, row, in_stride, wv, R, S, dh, dw, x, n, epi, o); break;
      default: break;
    }
  }
}

HWY_INLINE void DepthwisePlane(const float* HWY_RESTRICT in, std::size_t in_stride,
                               std::size_t sh, const float* HWY_RESTRICT w, std::size_t R,
                               std::size_t S, std::size_t dh, std::size_t dw, std::size_t rows,
                               std::size_t n, float* HWY_RESTRICT out, std::size_t out_stride,
                               float scale, float offset, float lo, float hi) {
  using D = hn::ScalableTag<float>;
  const D d;
  const DwEpilogue<D> epi{hn::Set(d, scale), hn::Set(d, offset), hn::Set(d, lo), hn::Set(d, hi)};
  // Broadcast weights, made once per plane.
  constexpr std::size_t kMaxTaps = 64;
  hn::Vec<D> wv[kMaxTaps];
  if (R * S > kMaxTaps) HWY_ABORT("depthwise plane: %zu taps > %zu", R * S, kMaxTaps);
  for (std::size_t i = 0; i < R * S; ++i) wv[i] = hn::Set(d, w[i]);
  if (R == 3 && S == 3)
    return DepthwiseRows<3, 3>(d, in, in_stride, sh, wv, R, S, dh, dw, rows, n, out, out_stride, epi);
  if (R == 5 && S == 5)
    return DepthwiseRows<5, 5>(d, in, in_stride, sh, wv, R, S, dh, dw, rows, n, out, out_stride, epi);
  DepthwiseRows<0, 0>(d, in, in_stride, sh, wv, R, S, dh, dw, rows, n, out, out_stride, epi);
}

// rows x n samples from src (row stride src_stride) to dst (row stride dst_stride).
HWY_INLINE void CopyBlock(const float* HWY_RESTRICT src, std::ptrdiff_t src_stride,
                          std::size_t rows, std::size_t n, float* HWY_RESTRICT dst,
                          std::size_t dst_stride) {
  const hn::ScalableTag<float> d;
  const std::size_t L = hn::Lanes(d);
  for (std::size_t y = 0; y < rows; ++y, src += src_stride, dst += dst_stride) {
    std::size_t x = 0;
    for (; x + L <= n; x += L) hn::StoreU(hn::LoadU(d, src + x), d, dst + x);
    if (x < n) {
#if HWY_TARGET <= HWY_AVX3
      const auto m = hn::FirstN(d, n - x);
      hn::BlendedStore(hn::MaskedLoad(m, d, src + x), m, d, dst + x);
#else
      for (; x < n; ++x) dst[x] = src[x];
#endif
    }
  }
}

// The Winograd matrices written out (B^T for the input, A^T for the output of F(2x2) and
// F(4x4)): adds and a few small multiples instead of a dense (m+2) x (m+2) product.
template <class V>
HWY_INLINE void BtF2(const V* x, V* y) {
  y[0] = hn::Sub(x[0], x[2]);
  y[1] = hn::Add(x[1], x[2]);
  y[2] = hn::Sub(x[2], x[1]);
  y[3] = hn::Sub(x[1], x[3]);
}
template <class V>
HWY_INLINE void AtF2(const V* x, V* y) {
  y[0] = hn::Add(hn::Add(x[0], x[1]), x[2]);
  y[1] = hn::Sub(hn::Sub(x[1], x[2]), x[3]);
}
template <class D, class V>
HWY_INLINE void BtF4(D d, const V* x, V* y) {
  const V four = hn::Set(d, 4.0f), five = hn::Set(d, 5.0f), two = hn::Set(d, 2.0f);
  const V a = hn::NegMulAdd(four, x[2], x[4]);  // x4 - 4 x2
  const V b = hn::NegMulAdd(four, x[1], x[3]);  // x3 - 4 x1
  const V c = hn::Sub(x[4], x[2]);
  const V e = hn::Mul(two, hn::Sub(x[3], x[1]));
  y[0] = hn::NegMulAdd(five, x[2], hn::MulAdd(four, x[0], x[4]));
  y[1] = hn::Add(a, b);
  y[2] = hn::Sub(a, b);
  y[3] = hn::Add(c, e);
  y[4] = hn::Sub(c, e);
  y[5] = hn::NegMulAdd(five, x[3], hn::MulAdd(four, x[1], x[5]));
}
template <class D, class V>
HWY_INLINE void AtF4(D d, const V* x, V* y) {
  const V two = hn::Set(d, 2.0f), four = hn::Set(d, 4.0f), eight = hn::Set(d, 8.0f);
  const V s12 = hn::Add(x[1], x[2]), d12 = hn::Sub(x[1], x[2]);
  const V s34 = hn::Add(x[3], x[4]), d34 = hn::Sub(x[3], x[4]);
  y[0] = hn::Add(hn::Add(x[0], s12), s34);
  y[1] = hn::MulAdd(two, d34, d12);
  y[2] = hn::MulAdd(four, s34, s12);
  y[3] = hn::Add(hn::MulAdd(eight, d34, d12), x[5]);
}

// F(2, 2): B^T = [1 -1 0; 0 1 0; 0 -1 1], A^T = [1 1 0; 0 1 1] (G = [1 0; 1 1; 0 1]).
template <class V>
HWY_INLINE void BtF22(const V* x, V* y) {
  y[0] = hn::Sub(x[0], x[1]);
  y[1] = x[1];
  y[2] = hn::Sub(x[2], x[1]);
}
template <class V>
HWY_INLINE void AtF22(const V* x, V* y) {
  y[0] = hn::Add(x[0], x[1]);
  y[1] = hn::Add(x[1], x[2]);
}

// Y = T X T^T with T = B^T (input) or A^T (output) of F(m x m, r x r) -- m = 2 or 4 with r = 3,
// m = 2 with r = 2 -- written out.
template <bool kInput>
HWY_INLINE void WinogradFixed(std::size_t m, std::size_t r, const float* HWY_RESTRICT X,
                              std::size_t xs, float* HWY_RESTRICT Y, std::size_t ys,
                              std::size_t T) {
  const hn::ScalableTag<float> d;
  using Vec = hn::Vec<decltype(d)>;
  const std::size_t L = hn::Lanes(d), a = m + r - 1, o = kInput ? a : m;
  auto apply = [&](const Vec* x, Vec* y) {
    if (r == 2) {
      if constexpr (kInput) BtF22(x, y); else AtF22(x, y);
    } else if (m == 2) {
      if constexpr (kInput) BtF2(x, y); else AtF2(x, y);
    } else {
      if constexpr (kInput) BtF4(d, x, y); else AtF4(d, x, y);
    }
  };
  for (std::size_t t = 0; t < T; t += L) {
    Vec z[6][6], col[6], res[6];
    for (std::size_t q = 0; q < a; ++q) {  // columns: z[.][q] = T X[.][q]
      for (std::size_t p = 0; p < a; ++p) col[p] = hn::LoadU(d, X + (p * a + q) * xs + t);
      apply(col, res);
      for (std::size_t i = 0; i < o; ++i) z[i][q] = res[i];
    }
    for (std::size_t i = 0; i < o; ++i) {  // rows: Y[i][.] = z[i][.] T^T
      apply(z[i], res);
      for (std::size_t j = 0; j < o; ++j) hn::StoreU(res[j], d, Y + (i * o + j) * ys + t);
    }
  }
}

// Patches of `lanes` consecutive tiles (origins m samples apart along staged rows), one vector
// per patch element: deinterleaving loads, so no sample is touched one by one.
HWY_INLINE void WinogradGather(const float* HWY_RESTRICT in, std::size_t in_stride, std::size_t m,
                               std::size_t alpha, float* HWY_RESTRICT patch, std::size_t np) {
  const hn::ScalableTag<float> d;
  using Vec = hn::Vec<decltype(d)>;
  const std::size_t L = hn::Lanes(d);
  for (std::size_t i = 0; i < alpha; ++i) {
    const float* row = in + i * in_stride;
    float* out = patch + i * alpha * np;
    if (m == 2) {
      for (std::size_t j = 0; j < alpha; j += 2) {
        Vec a, b;
        hn::LoadInterleaved2(d, row + j, a, b);
        hn::StoreU(a, d, out + j * np);
        if (j + 1 < alpha) hn::StoreU(b, d, out + (j + 1) * np);
      }
    } else if (m == 4) {
      for (std::size_t j = 0; j < alpha; j += 4) {
        Vec v[4];
        hn::LoadInterleaved4(d, row + j, v[0], v[1], v[2], v[3]);
        for (std::size_t k = 0; k < 4 && j + k < alpha; ++k) hn::StoreU(v[k], d, out + (j + k) * np);
      }
    } else {
      for (std::size_t j = 0; j < alpha; ++j)
        for (std::size_t l = 0; l < L; ++l) out[j * np + l] = row[l * m + j];
    }
  }
}

// Output tiles back to rows: out[i * out_stride + l * m + j] = epilogue(y[(i * m + j) * np + l])
// for i < rows, l * m + j < cols (interleaving stores; a partial row through a buffer).
HWY_INLINE void WinogradScatter(const float* HWY_RESTRICT y, std::size_t np, std::size_t m,
                                float scale, float offset, float lo, float hi,
                                float* HWY_RESTRICT out, std::ptrdiff_t out_stride,
                                std::size_t rows, std::size_t cols) {
  using D = hn::ScalableTag<float>;
  const D d;
  using Vec = hn::Vec<D>;
  const std::size_t L = hn::Lanes(d);
  const DwEpilogue<D> epi{hn::Set(d, scale), hn::Set(d, offset), hn::Set(d, lo), hn::Set(d, hi)};
  HWY_ALIGN float tmp[4 * hn::MaxLanes(d)];
  for (std::size_t i = 0; i < rows; ++i) {
    float* o = out + std::ptrdiff_t(i) * out_stride;
    const bool full = cols == m * L;
    float* dst = full ? o : tmp;
    Vec v[4];
    for (std::size_t j = 0; j < m && j < 4; ++j) v[j] = epi(hn::LoadU(d, y + (i * m + j) * np));
    if (m == 2) {
      hn::StoreInterleaved2(v[0], v[1], d, dst);
    } else if (m == 4) {
      hn::StoreInterleaved4(v[0], v[1], v[2], v[3], d, dst);
    } else {
      for (std::size_t l = 0; l < L; ++l)
        for (std::size_t j = 0; j < m; ++j) {
          const float e = y[(i * m + j) * np + l] * scale + offset;
          tmp[l * m + j] = e < lo ? lo : (e > hi ? hi : e);
        }
      dst = tmp;
    }
    if (dst == tmp)
      for (std::size_t k = 0; k < cols; ++k) o[k] = tmp[k];
  }
}

#if HWY_TARGET <= HWY_AVX3
// 16x16 transpose in registers: r[i] holds pixel i's 16 channels on entry, channel i's 16 pixels
// on exit (32-bit interleave, 64-bit interleave, then two 128-bit block shuffles).
HWY_INLINE void Transpose16(__m512* r) {
  __m512 t[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    const __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 1]);
    const __m512d c = _mm512_castps_pd(t[i + 2]), e = _mm512_castps_pd(t[i + 3]);
    r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, e));
    r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, e));
  }
  for (int h = 0; h < 16; h += 8)
    for (int i = 0; i < 4; ++i) {
      t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
      t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
    }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
  }
}
#endif

// out[x * os + c] = in[c * cs + x * xs]: channel rows to channels-last pixels, in blocks of
// lanes x lanes. Sample by sample, the stores hop one staged pixel (C floats) each, and with
// planes a power of two apart (32 x 32, 64 x 64) the channel rows share one L1 set: every line
// was fetched again per sample (19-30% of a stride-2 ResNet or DCGAN layer). Here each channel
// row is read a vector at a time: whole 16 x 16 blocks are transposed in registers (AVX-512),
// the others go through a small buffer and a gather from it (in L1, no set conflicts). Lanes
// past C gather channel 0 again and are not stored.
HWY_INLINE void ChannelsLast(const float* HWY_RESTRICT in, std::ptrdiff_t cs, std::ptrdiff_t xs,
                             std::size_t nx, std::size_t C, float* HWY_RESTRICT out,
                             std::size_t os) {
  const hn::ScalableTag<float> d;
  const hn::RebindToSigned<decltype(d)> di;
  constexpr std::size_t kMax = hn::MaxLanes(d);
  const std::size_t L = hn::Lanes(d);
  HWY_ALIGN float buf[kMax * kMax];  // buf[c * L + x]
  const auto lane = hn::Iota(di, 0);
  for (std::size_t c0 = 0; c0 < C; c0 += L) {
    const std::size_t cn = C - c0 < L ? C - c0 : L;
    const auto idx = hn::IfThenElseZero(hn::Lt(lane, hn::Set(di, std::int32_t(cn))),
                                        hn::Mul(lane, hn::Set(di, std::int32_t(L))));
    for (std::size_t x0 = 0; x0 < nx; x0 += L) {
      const std::size_t xn = nx - x0 < L ? nx - x0 : L;
#if HWY_TARGET <= HWY_AVX3
      if (L == 16 && cn == 16 && xn == 16 && xs == 1) {
        __m512 r[16];
        for (std::size_t c = 0; c < 16; ++c)
          r[c] = _mm512_loadu_ps(in + std::ptrdiff_t(c0 + c) * cs + std::ptrdiff_t(x0));
        Transpose16(r);
        for (std::size_t x = 0; x < 16; ++x) _mm512_storeu_ps(out + (x0 + x) * os + c0, r[x]);
        continue;
      }
#endif
      for (std::size_t c = 0; c < cn; ++c) {
        const float* src = in + std::ptrdiff_t(c0 + c) * cs + std::ptrdiff_t(x0) * xs;
        if (xs == 1 && xn == L) {
          hn::Store(hn::LoadU(d, src), d, buf + c * L);
        } else {
          for (std::size_t x = 0; x < xn; ++x) buf[c * L + x] = src[std::ptrdiff_t(x) * xs];
        }
      }
      float* o = out + x0 * os + c0;
      for (std::size_t x = 0; x < xn; ++x, o += os) {
        const auto v = hn::GatherIndex(d, buf + x, idx);
        if (cn == L) hn::StoreU(v, d, o);
        else StoreFirst(d, v, cn, o);
      }
    }
  }
}

// A [pixel][kb] tile to channel rows: 16x16 blocks transposed in registers on AVX-512 (one
// shuffle network per 256 outputs instead of 256 scalar loads and stores), scalar elsewhere.
HWY_INLINE void TileStore(const float* HWY_RESTRICT tile, std::size_t kb, std::size_t kn,
                          std::size_t n, float scale, const float* HWY_RESTRICT offset, float lo,
                          float hi, float* HWY_RESTRICT out, std::ptrdiff_t out_stride,
                          const float* HWY_RESTRICT res, std::ptrdiff_t res_stride, bool stream) {
  std::size_t i0 = 0;
#if HWY_TARGET <= HWY_AVX3
  const __m512 vs = _mm512_set1_ps(scale), vlo = _mm512_set1_ps(lo), vhi = _mm512_set1_ps(hi);
  for (; i0 < n; i0 += 16) {
    const std::size_t ni = n - i0 < 16 ? n - i0 : 16;
    const __mmask16 keep = static_cast<__mmask16>((1u << ni) - 1u);
    for (std::size_t j0 = 0; j0 < kn; j0 += 16) {
      __m512 r[16];
      // Rows past the last pixel read the tile's slack; their lanes are never stored.
      for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(tile + (i0 + std::size_t(i)) * kb + j0);
      Transpose16(r);
      const std::size_t nj = kn - j0 < 16 ? kn - j0 : 16;
      for (std::size_t j = 0; j < nj; ++j) {
        __m512 y = _mm512_fmadd_ps(r[j], vs, _mm512_set1_ps(offset[j0 + j]));
        if (res)
          y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(keep, res + std::ptrdiff_t(j0 + j) * res_stride +
                                                              std::ptrdiff_t(i0)));
        y = _mm512_min_ps(vhi, _mm512_max_ps(vlo, y));  // bound first: NaN stays NaN
        float* dst = out + std::ptrdiff_t(j0 + j) * out_stride + std::ptrdiff_t(i0);
        if (stream && ni == 16 && (reinterpret_cast<std::uintptr_t>(dst) & 63) == 0)
          _mm512_stream_ps(dst, y);  // a whole line: no read-for-ownership
        else
          _mm512_mask_storeu_ps(dst, keep, y);
      }
    }
  }
  if (stream) _mm_sfence();  // streamed lines visible before the caller's threads join
#endif
  (void)stream;
  for (; i0 < n; ++i0)
    for (std::size_t j = 0; j < kn; ++j) {
      float y = tile[i0 * kb + j] * scale + offset[j];
      if (res) y += res[std::ptrdiff_t(j) * res_stride + std::ptrdiff_t(i0)];
      out[std::ptrdiff_t(j) * out_stride + std::ptrdiff_t(i0)] = y < lo ? lo : (y > hi ? hi : y);
    }
}

// Weight gradient of a per-channel (depthwise) convolution, T taps at once:
//   acc[t] += sum_{y < rows, x < n} in[y * sh * in_stride + off[t] + x] * g[y * g_stride + x]
// The lanes sum in registers over every row, then one fixed-order reduction per tap.
template <std::size_t T>
HWY_NOINLINE void WeightGradTaps(const float* HWY_RESTRICT in, std::size_t in_stride,
                                 std::size_t sh, const std::ptrdiff_t* off,
                                 const float* HWY_RESTRICT g, std::size_t g_stride,
                                 std::size_t rows, std::size_t n, float* acc) {
  const hn::ScalableTag<float> d;
  const std::size_t L = hn::Lanes(d);
  using Vec = hn::Vec<decltype(d)>;
  Vec a[T];
  for (std::size_t t = 0; t < T; ++t) a[t] = hn::Zero(d);
  const std::size_t tail = n % L, full = n - tail;
  HWY_ALIGN float gt[256] = {}, xt[256] = {};  // zero-padded tails (no read past a row)
  for (std::size_t y = 0; y < rows; ++y) {
    const float* grow = g + y * g_stride;
    const float* base = in + y * sh * in_stride;
    for (std::size_t x = 0; x < full; x += L) {
      const Vec gv = hn::LoadU(d, grow + x);
      for (std::size_t t = 0; t < T; ++t)
        a[t] = hn::MulAdd(hn::LoadU(d, base + off[t] + x), gv, a[t]);
    }
    if (tail) {
#if HWY_TARGET <= HWY_AVX3
      const auto m = hn::FirstN(d, tail);  // masked loads read nothing past the row
      const Vec gm = hn::MaskedLoad(m, d, grow + full);
      for (std::size_t t = 0; t < T; ++t)
        a[t] = hn::MulAdd(hn::MaskedLoad(m, d, base + off[t] + full), gm, a[t]);
      continue;
#endif
      for (std::size_t i = 0; i < tail; ++i) gt[i] = grow[full + i];
      const Vec gv = hn::Load(d, gt);
      for (std::size_t t = 0; t < T; ++t) {
        for (std::size_t i = 0; i < tail; ++i) xt[i] = base[off[t] + std::ptrdiff_t(full + i)];
        a[t] = hn::MulAdd(hn::Load(d, xt), gv, a[t]);
      }
    }
  }
  for (std::size_t t = 0; t < T; ++t) acc[t] += hn::GetLane(hn::SumOfLanes(d, a[t]));
}

HWY_INLINE void WeightGrad(const float* in, std::size_t in_stride, std::size_t sh,
                           const std::ptrdiff_t* off, std::size_t ntaps, const float* g,
                           std::size_t g_stride, std::size_t rows, std::size_t n, float* acc) {
  for (std::size_t t0 = 0; t0 < ntaps; t0 += 9) {
    const std::size_t k = ntaps - t0 < 9 ? ntaps - t0 : 9;
    const std::ptrdiff_t* o = off + t0;
    float* a = acc + t0;
    switch (k) {
      case 1: WeightGradTaps<1>(in, in_stride, sh, o, g, g_stride, rows, n, a); break;
      case 2: WeightGradTaps<2>(in, in_stride, sh, o, g, g_stride, rows, n, a); break;
      case 3: WeightGradTaps<3>(in, in_stride, sh, o, g, g_stride, rows, n, a); break;
      case 4: WeightGradTaps<4>(in, in_stride, sh, o, g, g_stride, rows, n, a); break;
      case 5: WeightGradTaps<5>(in, in_stride, sh, o, g, g_stride, rows, n, a); break;
      case 6: WeightGradTaps<6>(in, in_stride, sh, o, g, g_stride, rows, n, a); break;
      case 7: WeightGradTaps<7>(in, in_stride, sh, o, g, g_stride, rows, n, a); break;
      case 8: WeightGradTaps<8>(in, in_stride, sh, o, g, g_stride, rows, n, a); break;
      default: WeightGradTaps<9>(in, in_stride, sh, o, g, g_stride, rows, n, a); break;
    }
  }
}

}  // namespace convkit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // CONVKIT_NN_INL_H_
