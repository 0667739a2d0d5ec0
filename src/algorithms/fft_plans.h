#pragma once
// FFTW3 plans for the fft and overlap-add algorithms: a process-wide cache, the typed execute
// calls, fast transform lengths and the per-length cost model the two planners share.
//
// Every plan is a single-threaded, in-place, 1-D transform on 64-byte aligned data (a row r2c /
// c2r, or a column c2c); convkit threads over rows, columns, blocks and planes itself. So the
// cache key is (precision, kind, length); thread count is always 1.
// FFTW's planner is not thread-safe: every planner call happens under one mutex, inside
// `fft_plan`. Executing a plan on new arrays (fftw_execute_dft*) is thread-safe and needs no lock.

#include <fftw3.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

namespace convkit::fft {

enum class Kind : std::uint8_t { r2c, c2r, c2c_forward, c2c_backward };

/// The cached plan for a length-`n` transform in float (`single`) or double; never destroyed.
void* fft_plan(bool single, Kind kind, int n);

/// The cached plan of an in-place rank-N real transform (r2c, or c2r) of dims n[0..rank) on
/// 64-byte aligned data, run by FFTW's own OpenMP threads (`threads`): the N-D convolutions
/// of convkit.signal (fft_nd.cpp). Never destroyed before exit.
void* fft_plan_nd(bool single, bool forward, int rank, const int* n, int threads);

/// Typed execution (new-array interface, in place; arrays must be 64-byte aligned).
template <class T>
struct Fftw;
template <>
struct Fftw<float> {
  static void r2c(void* p, float* io) {
    fftwf_execute_dft_r2c(static_cast<fftwf_plan>(p), io, reinterpret_cast<fftwf_complex*>(io));
  }
  static void c2r(void* p, float* io) {
    fftwf_execute_dft_c2r(static_cast<fftwf_plan>(p), reinterpret_cast<fftwf_complex*>(io), io);
  }
  static void c2c(void* p, float* io) {
    auto* c = reinterpret_cast<fftwf_complex*>(io);
    fftwf_execute_dft(static_cast<fftwf_plan>(p), c, c);
  }
};
template <>
struct Fftw<double> {
  static void r2c(void* p, double* io) {
    fftw_execute_dft_r2c(static_cast<fftw_plan>(p), io, reinterpret_cast<fftw_complex*>(io));
  }
  static void c2r(void* p, double* io) {
    fftw_execute_dft_c2r(static_cast<fftw_plan>(p), reinterpret_cast<fftw_complex*>(io), io);
  }
  static void c2c(void* p, double* io) {
    auto* c = reinterpret_cast<fftw_complex*>(io);
    fftw_execute_dft(static_cast<fftw_plan>(p), c, c);
  }
};

/// 64-byte aligned storage of `n` elements of T (uninitialised).
template <class T>
struct AlignedBuffer {
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T[], Free> ptr;
  std::size_t size = 0;
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t n) : size(n) {
    const std::size_t bytes = (n * sizeof(T) + 63) / 64 * 64;
    ptr.reset(static_cast<T*>(std::aligned_alloc(64, bytes ? bytes : 64)));
    if (!ptr) throw std::bad_alloc();
  }
  T* get() const { return ptr.get(); }
};

/// Transform lengths with no prime factor above 7 (FFTW's fast codelets) that FFTW_ESTIMATE plans
/// well (fft_plans.cpp), ascending, <= 2^26.
const std::vector<std::int64_t>& smooth_lengths();
/// The smooth lengths in [lo, hi] (hi < lo: just the smallest >= lo); `even`: even ones only.
std::vector<std::int64_t> smooth_between(std::int64_t lo, std::int64_t hi, bool even);

/// Cost model of one transform, in nanoseconds on one thread (see fft_plans.cpp for the
/// measurements behind it).
double r2c_ns(std::int64_t n, bool single);  ///< one real row of length n (r2c or c2r)
double c2c_ns(std::int64_t n, bool single);  ///< one complex column of length n

}  // namespace convkit::fft
