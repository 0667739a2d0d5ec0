#pragma once
// The border rules, implemented once. Every algorithm maps out-of-range input coordinates
// through `border_index`; nothing else in convkit knows what "reflect" means.

#include <cstdint>

#include "convkit/plan.h"

namespace convkit {

/// Maps a coordinate `i` (any integer) onto [0, n) by `border`; returns -1 for Border::constant
/// when `i` is outside (the caller uses the constant). Kernels larger than the image keep
/// reflecting / wrapping periodically, as SciPy and OpenCV do.
inline std::int64_t border_index(std::int64_t i, std::int64_t n, Border border) {
  if (i >= 0 && i < n) return i;
  switch (border) {
    case Border::constant:
      return -1;
    case Border::replicate:
      return i < 0 ? 0 : n - 1;
    case Border::reflect: {  // period 2n: a b c d | d c b a
      std::int64_t m = i % (2 * n);
      if (m < 0) m += 2 * n;
      return m < n ? m : 2 * n - 1 - m;
    }
    case Border::mirror: {  // period 2n-2: a b c d | c b
      if (n == 1) return 0;
      std::int64_t period = 2 * n - 2;
      std::int64_t m = i % period;
      if (m < 0) m += period;
      return m < n ? m : period - m;
    }
    case Border::wrap: {
      std::int64_t m = i % n;
      return m < 0 ? m + n : m;
    }
  }
  return -1;
}

}  // namespace convkit
