#include "algorithms/fft_plans.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

namespace convkit::fft {

namespace {

std::mutex g_planner_mutex;  // FFTW's planner is not thread-safe: every planner call holds it

// FFTW_ESTIMATE, not FFTW_MEASURE. Measured on this 2-core Zen 4 with 2 threads (median
// execute; first-use planning in brackets):
//                                 ESTIMATE            MEASURE
//   fft  f32 1920x1080 31x31      5.3 ms (8 ms)       4.2 ms (1.2 s)
//   fft  f32 4096^2 31x31        53.6 ms (31 ms)     44.2 ms (3.5 s)
//   o-a  f32 1920x1080 31x31      3.9 ms (4 ms)       3.5 ms (0.35 s)
//   o-a  f32 4096^2 31x31        35.7 ms (4 ms)      31.5 ms (0.6 s)
//   o-a  f64 1024^2 11x11 full    3.5 ms (5 ms)       2.6 ms (0.5 s)
// MEASURE saves 10-25% per execution but costs 0.35-3.5 s of planning on first use of a size
// (every size of a process's first call: the CLI, a Python call), which takes hundreds to
// thousands of executions to earn back. The length choice (friendly() and r2c_ns / c2c_ns below)
// favours the lengths ESTIMATE plans well, which recovers part of MEASURE's advantage for free.
constexpr unsigned kPlannerFlags = FFTW_ESTIMATE;

void* make_plan(bool single, Kind kind, int n) {
  // ESTIMATE reads neither array, but FFTW records their alignment and in-place-ness: plan on
  // 64-byte aligned scratch, in place, exactly as the transforms execute.
  const std::size_t reals = 2 * std::size_t(n) + 2;
  if (single) {
    AlignedBuffer<float> buf(reals);
    float* r = buf.get();
    auto* c = reinterpret_cast<fftwf_complex*>(r);
    switch (kind) {
      case Kind::r2c: return fftwf_plan_dft_r2c_1d(n, r, c, kPlannerFlags);
      case Kind::c2r: return fftwf_plan_dft_c2r_1d(n, c, r, kPlannerFlags);
      case Kind::c2c_forward: return fftwf_plan_dft_1d(n, c, c, FFTW_FORWARD, kPlannerFlags);
      case Kind::c2c_backward: return fftwf_plan_dft_1d(n, c, c, FFTW_BACKWARD, kPlannerFlags);
    }
  } else {
    AlignedBuffer<double> buf(reals);
    double* r = buf.get();
    auto* c = reinterpret_cast<fftw_complex*>(r);
    switch (kind) {
      case Kind::r2c: return fftw_plan_dft_r2c_1d(n, r, c, kPlannerFlags);
      case Kind::c2r: return fftw_plan_dft_c2r_1d(n, c, r, kPlannerFlags);
      case Kind::c2c_forward: return fftw_plan_dft_1d(n, c, c, FFTW_FORWARD, kPlannerFlags);
      case Kind::c2c_backward: return fftw_plan_dft_1d(n, c, c, FFTW_BACKWARD, kPlannerFlags);
    }
  }
  return nullptr;
}

// Exponents of 3, 5 and 7 in n (n is 7-smooth), and whether n is odd.
std::tuple<int, int, int, bool> factors(std::int64_t n) {
  int e[3] = {0, 0, 0};
  const bool odd = n % 2 != 0;
  while (n % 2 == 0) n /= 2;
  const int primes[3] = {3, 5, 7};
  for (int i = 0; i < 3; ++i)
    while (n % primes[i] == 0) n /= primes[i], ++e[i];
  return {e[0], e[1], e[2], odd};
}

// Lengths FFTW_ESTIMATE plans well. Timing every 7-smooth block length 64..1024 (f32 blocks of
// a 2048^2 image, one thread) showed lengths with few factors of 2 or many odd factors running
// up to 2x slower per point than their neighbours (72, 96, 126, 150, 210, 250, 270, 378: 0.36-0.51
// ns per N log2 N against 0.20-0.31 for 128, 192, 200, 240, 256, 300, 384, 400, 512); keeping at
// least two factors of 2 and at most two odd factors (one 7) still leaves a length within 12% of
// any size above 16.
bool friendly(std::int64_t n) {
  if (n < 16) return true;
  auto [e3, e5, e7, odd] = factors(n);
  return n % 4 == 0 && e3 + e5 + e7 <= 2 && e7 <= 1;
}

}  // namespace

void* fft_plan(bool single, Kind kind, int n) {
  // Process lifetime: plans are shared by every Plan. They are destroyed at exit only so that
  // leak checkers see FFTW's memory returned.
  struct Cache {
    std::map<std::tuple<bool, Kind, int>, void*> plans;
    ~Cache() {
      std::lock_guard<std::mutex> lock(g_planner_mutex);
      for (auto& [key, plan] : plans) {
        if (!plan) continue;
        if (std::get<0>(key))
          fftwf_destroy_plan(static_cast<fftwf_plan>(plan));
        else
          fftw_destroy_plan(static_cast<fftw_plan>(plan));
      }
    }
  };
  static Cache cache;
  std::lock_guard<std::mutex> lock(g_planner_mutex);
  auto [it, fresh] = cache.plans.try_emplace({single, kind, n}, nullptr);
  if (fresh) it->second = make_plan(single, kind, n);
  if (!it->second) throw std::bad_alloc();  // FFTW returns no plan only when out of memory
  return it->second;
}

void* fft_plan_nd(bool single, bool forward, int rank, const int* n, int threads) {
  struct Cache {
    std::map<std::vector<int>, void*> plans;
    ~Cache() {
      std::lock_guard<std::mutex> lock(g_planner_mutex);
      for (auto& [key, plan] : plans) {
        if (!plan) continue;
        if (key[0])
          fftwf_destroy_plan(static_cast<fftwf_plan>(plan));
        else
          fftw_destroy_plan(static_cast<fftw_plan>(plan));
      }
    }
  };
  static Cache cache;
  std::vector<int> key = {single ? 1 : 0, forward ? 1 : 0, threads};
  key.insert(key.end(), n, n + rank);
  std::lock_guard<std::mutex> lock(g_planner_mutex);
  auto [it, fresh] = cache.plans.try_emplace(key, nullptr);
  if (fresh) {
    static const bool threads_ready = fftw_init_threads() != 0 && fftwf_init_threads() != 0;
    std::size_t reals = 2;
    for (int i = 0; i + 1 < rank; ++i) reals *= std::size_t(n[i]);
    reals *= std::size_t(n[rank - 1] / 2 + 1);
    // The thread count is planner state: set for this plan, then back to 1 for the 1-D plans.
    const int nt = threads_ready ? threads : 1;
    if (single) {
      AlignedBuffer<float> buf(reals);
      fftwf_plan_with_nthreads(nt);
      auto* c = reinterpret_cast<fftwf_complex*>(buf.get());
      it->second = forward ? fftwf_plan_dft_r2c(rank, n, buf.get(), c, kPlannerFlags)
                           : fftwf_plan_dft_c2r(rank, n, c, buf.get(), kPlannerFlags);
      fftwf_plan_with_nthreads(1);
    } else {
      AlignedBuffer<double> buf(reals);
      fftw_plan_with_nthreads(nt);
      auto* c = reinterpret_cast<fftw_complex*>(buf.get());
      it->second = forward ? fftw_plan_dft_r2c(rank, n, buf.get(), c, kPlannerFlags)
                           : fftw_plan_dft_c2r(rank, n, c, buf.get(), kPlannerFlags);
      fftw_plan_with_nthreads(1);
    }
  }
  if (!it->second) throw std::bad_alloc();
  return it->second;
}

const std::vector<std::int64_t>& smooth_lengths() {
  static const std::vector<std::int64_t> lengths = [] {
    std::vector<std::int64_t> v;
    constexpr std::int64_t kMax = std::int64_t(1) << 26;
    for (std::int64_t a = 1; a <= kMax; a *= 2)
      for (std::int64_t b = a; b <= kMax; b *= 3)
        for (std::int64_t c = b; c <= kMax; c *= 5)
          for (std::int64_t d = c; d <= kMax; d *= 7)
            if (friendly(d)) v.push_back(d);
    std::sort(v.begin(), v.end());
    return v;
  }();
  return lengths;
}

std::vector<std::int64_t> smooth_between(std::int64_t lo, std::int64_t hi, bool even) {
  std::vector<std::int64_t> out;
  const auto& all = smooth_lengths();
  for (auto it = std::lower_bound(all.begin(), all.end(), std::max<std::int64_t>(lo, 1));
       it != all.end(); ++it) {
    if (even && *it % 2) continue;
    if (!out.empty() && *it > hi) break;
    out.push_back(*it);
  }
  return out;
}

// Cost per transform: a * n*log2(n) * penalty(factors) + b nanoseconds. Fitted (least squares
// on relative error, rms 21-25%) to FFTW_ESTIMATE plans of every 7-smooth length 32..4500, timed
// in place over rows that fit in L2, one thread of this 2-core Zen 4:
//   c2c  f32 a = 0.078, b = 54;  f64 a = 0.108, b = 44;  per factor 3: x1.16, 5: x1.20, 7: x1.30
//   r2c  f32 a = 0.071, b = 39;  f64 a = 0.080, b = 35;  per factor 3: x1.10, 5: x1.12, 7: x1.18
// (odd c2c lengths run ~30% slower still). Powers of two are the cheapest per point.
double r2c_ns(std::int64_t n, bool single) {
  auto [e3, e5, e7, odd] = factors(n);
  const double pen = std::pow(1.10, e3) * std::pow(1.12, e5) * std::pow(1.18, e7) * (odd ? 1.3 : 1);
  const double nl = double(n) * std::log2(double(std::max<std::int64_t>(n, 2)));
  return single ? 0.071 * nl * pen + 39 : 0.080 * nl * pen + 35;
}

double c2c_ns(std::int64_t n, bool single) {
  auto [e3, e5, e7, odd] = factors(n);
  const double pen = std::pow(1.16, e3) * std::pow(1.20, e5) * std::pow(1.30, e7) * (odd ? 1.3 : 1);
  const double nl = double(n) * std::log2(double(std::max<std::int64_t>(n, 2)));
  return single ? 0.078 * nl * pen + 54 : 0.108 * nl * pen + 44;
}

}  // namespace convkit::fft
