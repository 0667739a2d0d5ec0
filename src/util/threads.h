#pragma once
#include <cstdint>

namespace convkit {
/// Threads worth starting for `work_items`, so that each gets at least `min_items_per_thread`.
int threads_for(std::int64_t work_items, std::int64_t min_items_per_thread);
}  // namespace convkit
