#include "util/hash.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "convkit/plan.h"
#include "kernels/digest/digest.h"

namespace convkit {

namespace {

constexpr std::uint64_t kMul1 = 0x9E3779B97F4A7C15ull;  // golden ratio
constexpr std::uint64_t kMul2 = 0xC2B2AE3D27D4EB4Full;  // xxHash64's prime 2

inline std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// One lane step: a bijection of the lane state for a fixed word, so a single changed word
// always changes the lane.
inline std::uint64_t step(std::uint64_t h, std::uint64_t x) {
  return rotl(h ^ (x * kMul1), 31) * kMul2;
}

// Final avalanche (MurmurHash3's fmix64).
inline std::uint64_t fmix(std::uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

// The inner runs of a view: the innermost axes whose elements are adjacent in memory.
template <class Run>
void for_each_run(const ConstTensorView& v, Run&& run) {
  const int rank = v.rank();
  const auto es = std::int64_t(dtype_size(v.dtype()));
  std::array<std::int64_t, kMaxRank> shape{}, stride{};
  int n = 0;  // axes kept (stride-0 and length-1 axes dropped)
  for (int i = 0; i < rank; ++i) {
    if (v.dim(i) == 0) return;
    if (v.dim(i) == 1 || v.stride(i) == 0) continue;
    shape[n] = v.dim(i), stride[n] = v.stride(i), ++n;
  }
  // Fold trailing axes that are contiguous into one run.
  std::int64_t run_len = 1;
  while (n > 0 && stride[n - 1] == run_len) run_len *= shape[n - 1], --n;
  const char* base = static_cast<const char*>(v.data());
  std::array<std::int64_t, kMaxRank> idx{};
  for (;;) {
    std::int64_t off = 0;
    for (int i = 0; i < n; ++i) off += idx[i] * stride[i];
    run(base + off * es, std::size_t(run_len * es));
    int i = n - 1;
    for (; i >= 0; --i) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
    if (i < 0) return;
  }
}


// The state of one chunk folded to 128 bits.
Digest fold(const std::uint64_t* state, std::uint64_t length) {
  std::uint64_t lo = length * kMul1, hi = ~length * kMul2;
  for (std::size_t l = 0; l < kernels::kDigestLanes; ++l) {
    lo = fmix(lo ^ state[l]) + rotl(state[l], 17);
    hi = fmix(hi + state[kernels::kDigestLanes - 1 - l]) ^ rotl(state[l], 41);
  }
  return {fmix(lo ^ hi), fmix(hi + lo * kMul1)};
}

// Chains digest `b` onto `a` (order matters).
Digest combine(Digest a, Digest b) {
  return {fmix(a.lo * kMul1 ^ b.lo) + rotl(b.hi, 23), fmix(a.hi * kMul2 + b.hi) ^ rotl(b.lo, 29)};
}

// One chunk: whole 256-byte stripes through the SIMD kernel, the rest word by word.
Digest digest_chunk(const unsigned char* p, std::size_t bytes, Digest seed) {
  std::uint64_t state[kernels::kDigestLanes];
  for (std::size_t l = 0; l < kernels::kDigestLanes; ++l)
    state[l] = (l & 1 ? seed.hi : seed.lo) ^ kernels::digest_key(l + 7);
  constexpr std::size_t kStripe = 8 * kernels::kDigestLanes;
  const std::size_t stripes = bytes / kStripe;
  if (stripes) {
    // The kernel reads u64 words; an unaligned buffer is read through memcpy-safe loads.
    kernels::u64_digest_stripes(reinterpret_cast<const std::uint64_t*>(p), stripes, 0, state);
  }
  std::size_t i = stripes * kStripe, lane = 0;
  for (; i + 8 <= bytes; i += 8, ++lane) {
    std::uint64_t x;
    std::memcpy(&x, p + i, 8);
    state[lane] = step(state[lane], x);
  }
  if (i < bytes) {
    std::uint64_t x = 0;
    std::memcpy(&x, p + i, bytes - i);
    state[lane] = step(state[lane], x ^ 0xFF00000000000000ull);
  }
  return fold(state, bytes);
}

}  // namespace

Digest digest_bytes(const void* data, std::size_t bytes, Digest seed) {
  // Fixed 1 MiB chunks, digested independently and chained in order: the same digest for any
  // thread count, and large weights read by every core.
  constexpr std::size_t kChunk = std::size_t(1) << 20;
  const auto* p = static_cast<const unsigned char*>(data);
  const std::size_t chunks = std::max<std::size_t>(1, (bytes + kChunk - 1) / kChunk);
  if (chunks == 1) return combine(seed, digest_chunk(p, bytes, seed));
  std::vector<Digest> parts(chunks);
  const int threads = chunks >= 4 ? get_num_threads() : 1;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::size_t c = 0; c < chunks; ++c) {
    const std::size_t off = c * kChunk;
    parts[c] = digest_chunk(p + off, std::min(kChunk, bytes - off), {seed.lo + c, seed.hi ^ c});
  }
  Digest d = seed;
  for (const Digest& part : parts) d = combine(d, part);
  return d;
}

Digest digest_view(const ConstTensorView& v, Digest seed) {
  Digest d = seed;
  for_each_run(v, [&](const char* p, std::size_t n) { d = digest_bytes(p, n, d); });
  return d;
}

void append_view_bytes(const ConstTensorView& v, std::string& out) {
  for_each_run(v, [&](const char* p, std::size_t n) { out.append(p, n); });
}

}  // namespace convkit
