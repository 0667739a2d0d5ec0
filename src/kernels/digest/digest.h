#pragma once
// Kernel family "digest": the bulk of the plan cache's content hash (util/hash.h).
//
// Contract of u64_digest_stripes:
//   state: kDigestLanes u64 accumulators; words: 32 * stripes u64 words (unaligned allowed);
//   stripe s (counted from `first`), lane j, x = words[32 s + j], k = key_j + (first + s) * kStep:
//     d = x ^ k;   state[j] += lo32(d) * hi32(d) + words[32 s + (j ^ 1)]
//   and after each stripe whose count (first + s + 1) is a multiple of 16, every lane is
//   scrambled: a ^= a >> 47; a ^= key_j; a = a * 0x9E3779B1 (mod 2^64).
//   - XXH3's accumulate/scramble structure: the key moves with the stripe, so reordered data
//     hashes differently; the results are the same on every target (lane j never depends on
//     the vector width).
#include <cstddef>
#include <cstdint>

namespace convkit::kernels {

inline constexpr std::size_t kDigestLanes = 32;
inline constexpr std::uint64_t kDigestStep = 0x9FB21C651E98DF25ull;
/// key_j of the contract.
inline constexpr std::uint64_t digest_key(std::size_t j) {
  return 0xC2B2AE3D27D4EB4Full * (2 * j + 1) ^ 0x165667B19E3779F9ull;
}

#define CONVKIT_DIGEST(name) \
  void name(const std::uint64_t* words, std::size_t stripes, std::uint64_t first, std::uint64_t* state);
#include "kernels/digest/digest.inc"
#undef CONVKIT_DIGEST

}  // namespace convkit::kernels
