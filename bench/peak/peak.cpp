// This machine's ceilings, to read the filter2d table against: peak f32 FMA throughput and
// memory bandwidth, on 1 and 2 threads.
//
//   bench_peak
//
// A direct convolution at f32 does one FMA per tap per output, so (taps x outputs x 2 flops) /
// time over the FMA peak says how close a kernel gets to compute-bound, and bytes moved / time over
// the copy bandwidth says how close it gets to memory-bound.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

// Independent accumulators: enough to cover FMA latency (4 cycles) x 2 FMA ports with room
// to spare, and still fit in 16 registers alongside the two operands.
constexpr int kChains = 12;

// Read through volatiles so the compiler cannot fold the chains into a closed form.
volatile float g_mul = 0.999999f, g_add = 1e-7f;
volatile float g_sink;

__attribute__((target("avx512f,fma"))) void fma_avx512(long iters) {
  const __m512 a = _mm512_set1_ps(g_mul), b = _mm512_set1_ps(g_add);
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(float(c));
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], a, b);
  }
  for (int c = 1; c < kChains; ++c) acc[0] = _mm512_add_ps(acc[0], acc[c]);
  float lanes[16];
  _mm512_storeu_ps(lanes, acc[0]);
  g_sink = lanes[0] + lanes[15];
}

__attribute__((target("avx2,fma"))) void fma_avx2(long iters) {
  const __m256 a = _mm256_set1_ps(g_mul), b = _mm256_set1_ps(g_add);
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(float(c));
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], a, b);
  }
  for (int c = 1; c < kChains; ++c) acc[0] = _mm256_add_ps(acc[0], acc[c]);
  float lanes[8];
  _mm256_storeu_ps(lanes, acc[0]);
  g_sink = lanes[0] + lanes[7];
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Wall time of `work(t)` run on `threads` threads at once. Threads spin on a start flag so that
// thread creation is not timed and all of them start together.
double time_parallel(int threads, const std::function<void(int)>& work) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      work(t);
    });
  while (ready.load() != threads) {
  }
  const auto t0 = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (std::thread& th : pool) th.join();
  return seconds_since(t0);
}

// Best of several: the machine is shared, and noise only ever makes a run slower.
double best_of(int runs, const std::function<double()>& once) {
  double best = 1e300;
  for (int i = 0; i < runs; ++i) best = std::min(best, once());
  return best;
}

std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown CPU";
}

void fma_rows() {
  struct Isa {
    const char* name;
    bool supported;
    int lanes;
    void (*fn)(long);
  };
  const Isa isas[] = {
      {"AVX-512 (zmm)",
       __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma"), 16, fma_avx512},
      {"AVX2 (ymm)", __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"), 8, fma_avx2},
  };
  // ~0.1-0.3 s per measurement at a few GHz: long enough to reach steady clocks.
  const long iters = 50'000'000;
  std::printf("| f32 FMA peak | 1 thread GFLOP/s | 2 threads GFLOP/s |\n| --- | ---: | ---: |\n");
  for (const Isa& isa : isas) {
    if (!isa.supported) {
      std::printf("| %s | not supported | not supported |\n", isa.name);
      continue;
    }
    isa.fn(iters / 10);  // warm-up: wakes the wide units, lets the clock settle
    double gflops[2];
    for (int threads = 1; threads <= 2; ++threads) {
      const double s =
          best_of(3, [&] { return time_parallel(threads, [&](int) { isa.fn(iters); }); });
      gflops[threads - 1] = double(iters) * kChains * isa.lanes * 2 * threads / s * 1e-9;
    }
    std::printf("| %s | %.1f | %.1f |\n", isa.name, gflops[0], gflops[1]);
  }
}

// Reads one 64-bit word at a time into 4 sums: vectorised by the compiler at -O3 (integer adds
// reassociate freely), and far more than any DRAM can feed, so the loop is memory-bound.
std::uint64_t sum_words(const std::uint64_t* p, std::size_t n) {
  std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  for (; i < n; ++i) s0 += p[i];
  return s0 + s1 + s2 + s3;
}

void bandwidth_rows() {
  // 1 GiB in all: well past any cache, so every byte comes from DRAM.
  const std::size_t bytes = std::size_t(1) << 30;
  auto* buf = static_cast<std::uint64_t*>(std::aligned_alloc(64, bytes));
  if (!buf) {
    std::printf("memory bandwidth: could not allocate 1 GiB, skipped\n");
    return;
  }
  const std::size_t words = bytes / sizeof(std::uint64_t);
  // First touch from both threads, so page faults are not part of any timed run.
  time_parallel(2, [&](int t) {
    std::memset(buf + t * (words / 2), t + 1, bytes / 2);
  });
  std::atomic<std::uint64_t> sink{0};

  std::printf("\n| memory (1 GiB working set) | 1 thread GB/s | 2 threads GB/s |\n"
              "| --- | ---: | ---: |\n");
  double read_gbs[2], copy_gbs[2];
  for (int threads = 1; threads <= 2; ++threads) {
    const std::size_t chunk = words / threads;
    const double s = best_of(5, [&] {
      return time_parallel(threads, [&](int t) { sink += sum_words(buf + t * chunk, chunk); });
    });
    read_gbs[threads - 1] = double(bytes) / s * 1e-9;
    // Copy the first half onto the second; bytes moved = read + written (1 GiB per pass).
    const std::size_t half = words / 2, part = half / threads;
    const double c = best_of(5, [&] {
      return time_parallel(threads, [&](int t) {
        std::memcpy(buf + half + t * part, buf + t * part, part * sizeof(std::uint64_t));
      });
    });
    copy_gbs[threads - 1] = double(bytes) / c * 1e-9;
  }
  std::printf("| read (sum) | %.1f | %.1f |\n", read_gbs[0], read_gbs[1]);
  std::printf("| copy (memcpy, read + write bytes) | %.1f | %.1f |\n", copy_gbs[0], copy_gbs[1]);
  if (sink.load() == 42) std::printf(" ");  // keeps the sums alive
  std::free(buf);
}

}  // namespace

int main() {
  std::printf("machine: %s, %u hardware threads\n\n", cpu_model().c_str(),
              std::thread::hardware_concurrency());
  fma_rows();
  bandwidth_rows();
  return 0;
}
