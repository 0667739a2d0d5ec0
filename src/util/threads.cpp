#include <omp.h>

#include <atomic>

#include "convkit/plan.h"
#include "util/threads.h"

namespace convkit {

namespace {
std::atomic<int> g_threads{0};  // 0: OpenMP's default (OMP_NUM_THREADS, else all cores)
}

void set_num_threads(int n) { g_threads = n < 0 ? 0 : n; }

int get_num_threads() {
  int n = g_threads.load();
  return n > 0 ? n : omp_get_max_threads();
}

int threads_for(std::int64_t work_items, std::int64_t min_items_per_thread) {
  int t = get_num_threads();
  std::int64_t useful = work_items / (min_items_per_thread > 0 ? min_items_per_thread : 1);
  if (useful < t) t = int(useful < 1 ? 1 : useful);
  return t;
}

}  // namespace convkit
