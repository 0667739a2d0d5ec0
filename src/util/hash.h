#pragma once
// Content digests for the plan cache: a 128-bit hash of a buffer, and of a strided view.
//
// Not cryptographic: it detects changed weights (the cache keys plans by the filter's contents,
// never by its address), and two different filters share a digest with probability ~2^-128 for
// data nobody crafted to collide.
#include <cstddef>
#include <cstdint>
#include <string>

#include "convkit/tensor.h"

namespace convkit {

struct Digest {
  std::uint64_t lo = 0, hi = 0;
  bool operator==(const Digest&) const = default;
};

/// 128-bit digest of `bytes` bytes at `data`, continuing from `seed` (chain calls to digest
/// several pieces). Reads at about memory bandwidth: eight independent 64-bit lanes.
Digest digest_bytes(const void* data, std::size_t bytes, Digest seed = {});

/// Digest of a view's elements in row-major order (any strides; contiguous rows are hashed as
/// one run). Axes of stride 0 repeat one element, so they are hashed once: the shape, which the
/// caller keys separately, says how often.
Digest digest_view(const ConstTensorView& v, Digest seed = {});

/// Appends the view's elements (row-major, stride-0 axes once) as raw bytes to `out`: for small
/// filters the cache keys by the bytes themselves, so no two different filters ever match.
void append_view_bytes(const ConstTensorView& v, std::string& out);

}  // namespace convkit
