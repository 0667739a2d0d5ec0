#pragma once
// Walking the rows (the last axis) of two strided views of one shape together: the loop every
// element-wise pass over a strided N-D view needs (copies, casts, padding, cropping).
#include <array>
#include <cstdint>

#include "convkit/tensor.h"

namespace convkit {

/// f(a, b) for every row of `shape` (rank 1..kMaxRank, every extent >= 1): a and b are the
/// element offsets of the row's first element under the strides sa and sb; the caller walks
/// the row itself (its length is shape[rank - 1]).
template <class F>
void for_each_row(int rank, const std::int64_t* shape, const std::int64_t* sa,
                  const std::int64_t* sb, F&& f) {
  std::int64_t rows = 1;
  for (int i = 0; i + 1 < rank; ++i) rows *= shape[i];
  std::array<std::int64_t, kMaxRank> idx{};
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t a = 0, b = 0;
    for (int i = 0; i + 1 < rank; ++i) a += idx[std::size_t(i)] * sa[i], b += idx[std::size_t(i)] * sb[i];
    f(a, b);
    for (int i = rank - 2; i >= 0; --i) {
      if (++idx[std::size_t(i)] < shape[i]) break;
      idx[std::size_t(i)] = 0;
    }
  }
}

}  // namespace convkit
