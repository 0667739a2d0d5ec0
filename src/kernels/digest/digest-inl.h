// The digest kernel, written once with Highway and compiled per target (see digest.h).
#if defined(CONVKIT_DIGEST_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef CONVKIT_DIGEST_INL_H_
#undef CONVKIT_DIGEST_INL_H_
#else
#define CONVKIT_DIGEST_INL_H_
#endif

#include <string.h>

#include "hwy/highway.h"
#include "kernels/digest/digest.h"

HWY_BEFORE_NAMESPACE();
namespace convkit::kernels::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// lo32(v) * hi32(v) per u64 lane.
template <class D, class V>
HWY_INLINE V LoTimesHi(D d, V v) {
  const hn::Repartition<uint32_t, D> d32;
  return hn::MulEven(hn::BitCast(d32, v), hn::BitCast(d32, hn::ShiftRight<32>(v)));
}

// v * c for a 32-bit constant c, modulo 2^64: lo32(v)*c + (hi32(v)*c << 32).
template <class D, class V>
HWY_INLINE V TimesConst32(D d, V v, uint32_t c) {
  const hn::Repartition<uint32_t, D> d32;
  const auto k = hn::Set(d32, c);
  const V lo = hn::MulEven(hn::BitCast(d32, v), k);
  const V hi = hn::MulEven(hn::BitCast(d32, hn::ShiftRight<32>(v)), k);
  return hn::Add(lo, hn::ShiftLeft<32>(hi));
}

#if HWY_TARGET == HWY_SCALAR
// One-lane vectors cannot swap lane pairs or split u64 lanes: the contract written out.
inline void DigestStripes(const uint64_t* HWY_RESTRICT words, size_t stripes, uint64_t first,
                          uint64_t* HWY_RESTRICT state) {
  for (size_t s = 0; s < stripes; ++s) {
    const uint64_t* w = words + s * kDigestLanes;
    for (size_t j = 0; j < kDigestLanes; ++j) {
      uint64_t x, y;  // memcpy: the words may be unaligned
      memcpy(&x, w + j, 8);
      memcpy(&y, w + (j ^ 1), 8);
      const uint64_t dk = x ^ (digest_key(j) + (first + s) * kDigestStep);
      state[j] += (dk & 0xFFFFFFFFu) * (dk >> 32) + y;
    }
    if ((first + s + 1) % 16 == 0)
      for (size_t j = 0; j < kDigestLanes; ++j) {
        const uint64_t a = (state[j] ^ (state[j] >> 47)) ^ digest_key(j);
        state[j] = a * 0x9E3779B1u;
      }
  }
}
#else
inline void DigestStripes(const uint64_t* HWY_RESTRICT words, size_t stripes, uint64_t first,
                          uint64_t* HWY_RESTRICT state) {
  const hn::ScalableTag<uint64_t> d;
  const size_t L = hn::Lanes(d);
  // The 32 lanes as ceil(32 / L) vectors (L divides 32 on every target we build).
  constexpr size_t kMaxVecs = kDigestLanes;
  const size_t nv = kDigestLanes / L;
  HWY_ALIGN uint64_t keys[kDigestLanes];
  for (size_t j = 0; j < kDigestLanes; ++j) keys[j] = digest_key(j);
  using V = hn::Vec<decltype(d)>;
  V acc[kMaxVecs], key[kMaxVecs], base[kMaxVecs];
  const V step = hn::Set(d, kDigestStep);
  const V first_step = hn::Set(d, first * kDigestStep);
  for (size_t v = 0; v < nv; ++v) {
    acc[v] = hn::LoadU(d, state + v * L);
    base[v] = hn::Load(d, keys + v * L);
    key[v] = hn::Add(base[v], first_step);
  }
  for (size_t s = 0; s < stripes; ++s) {
    const uint64_t* w = words + s * kDigestLanes;
    for (size_t v = 0; v < nv; ++v) {
      const V x = hn::LoadU(d, w + v * L);
      acc[v] = hn::Add(acc[v], hn::Add(LoTimesHi(d, hn::Xor(x, key[v])), hn::Shuffle01(x)));
      key[v] = hn::Add(key[v], step);
    }
    if ((first + s + 1) % 16 == 0) {
      for (size_t v = 0; v < nv; ++v) {
        V a = hn::Xor(acc[v], hn::ShiftRight<47>(acc[v]));
        a = hn::Xor(a, base[v]);
        acc[v] = TimesConst32(d, a, 0x9E3779B1u);
      }
    }
  }
  for (size_t v = 0; v < nv; ++v) hn::StoreU(acc[v], d, state + v * L);
}
#endif

}  // namespace convkit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // CONVKIT_DIGEST_INL_H_ toggle
