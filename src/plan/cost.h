#pragma once
// The planner's cost model: per-algorithm efficiency constants, measured on the machine this
// project is developed on (2-core AMD EPYC Zen 4, AVX-512, g++ 12 -O2 portable build, 2 threads;
// bench/compare and bench_peak), in milliseconds per unit of work per thread. Estimates only
// need to rank the algorithms correctly; the absolute values are printed by Plan::explain().
#include <cstdint>

#include "util/threads.h"

namespace convkit::cost {

/// Fixed cost of a plan execution (thread start-up, scratch allocation).
inline constexpr double kLaunchMs = 0.005;
/// A run on one thread: the call, views and scratch, no parallel region (16x16 3x3 direct:
/// ~0.7 us of which ~0.4 us are this).
inline constexpr double kCallMs = 0.0004;
/// Work items per thread below which the row algorithms stay on one thread (rows::for_each_band).
inline constexpr std::int64_t kRowItemsPerThread = std::int64_t(1) << 15;

/// `serial_ms` of work of `work` items spread as rows::for_each_band spreads it: on one thread
/// a small problem pays only the call, above that the threads share it and pay the launch.
inline double row_parallel_ms(double serial_ms, std::int64_t work) {
  const int threads = threads_for(work, kRowItemsPerThread);
  return threads > 1 ? serial_ms / threads + kLaunchMs : serial_ms + kCallMs;
}
/// Per output sample of the row algorithms: loading/converting the input row and the store.
inline constexpr double kRowSampleMs = 2.0e-7;
/// Per output row of the row algorithms: the ring of input rows, border columns, the call
/// (dominant for small planes: 144 planes of 56x56 take 0.33 ms).
inline constexpr double kRowMs = 2.4e-5;
/// Direct f32 multiply-add with four output rows per input load (3x3: 0.31 ms at 1080p).
inline constexpr double kDirectMacMs = 1.1e-8;
/// Separable f32 multiply-add: one output row per load, two passes (15x15 rank 1: 0.94 ms).
inline constexpr double kSeparableMacMs = 2.2e-8;
/// f64 arithmetic runs at half the f32 vector width.
inline constexpr double kF64Factor = 2.0;
/// direct-blocked multiply-add throughput per thread, GFLOP/s (3x3, 64 channels, 56x56).
inline constexpr double kBlockedGflops = 200.0;
/// grouped multiply-add throughput relative to direct-blocked's, by output channels per tile
/// (each input vector load feeds that many FMAs): measured 73% of the FMA peak for direct-blocked
/// on full blocks against 71% (8 channels a tile), 66% (6) and 57% (4) for grouped.
inline constexpr double grouped_efficiency(std::int64_t tile_channels) {
  return tile_channels >= 8 ? 0.95 : tile_channels >= 6 ? 0.9 : 0.8;
}
/// gemm-1x1 multiply-add throughput per thread, GFLOP/s (256 -> 64 channels, 56x56).
inline constexpr double kGemm1x1Gflops = 200.0;
/// depthwise f32 multiply-add (SIMD over a row from a padded plane; 7x7 at 1080p: 2.7 ms).
inline constexpr double kDepthwiseMacMs = 1.0e-8;
/// Outputs at least this large (bytes) are written with non-temporal stores: they do not fit in
/// cache, and read-for-ownership of every line would double the write traffic.
inline constexpr double kStreamOutputBytes = 8e6;
/// Box filter per output sample: running sums, independent of the kernel size.
inline constexpr double kBoxSampleMs = 1.0e-6;

}  // namespace convkit::cost
