// N-D FFT convolution: both operands zero-padded to fast lengths L_i >= a_i + b_i - 1 (the last
// axis stored for FFTW's in-place r2c), transformed by one cached rank-N plan each (FFTW's own
// threads), multiplied with the 1/prod(L) scale folded in, transformed back once, and the
// mode's window (SciPy's centring) copied out.
#include "algorithms/fft_nd.h"

#include <algorithm>
#include <array>
#include <complex>
#include <cstring>
#include <utility>
#include <vector>

#include "algorithms/fft_plans.h"
#include "convkit/error.h"
#include "convkit/plan.h"
#include "util/convert.h"
#include "util/rows_of.h"

namespace convkit::fft {

namespace {

// Element strides of the padded buffer: dims L, the last axis stored with row stride ld.
std::array<std::int64_t, kMaxRank> buffer_strides(int d, const std::array<std::int64_t, kMaxRank>& L,
                                                  std::int64_t ld) {
  std::array<std::int64_t, kMaxRank> bs{};
  bs[std::size_t(d - 1)] = 1;
  if (d >= 2) bs[std::size_t(d - 2)] = ld;
  for (int i = d - 3; i >= 0; --i) bs[std::size_t(i)] = bs[std::size_t(i + 1)] * L[std::size_t(i + 1)];
  return bs;
}

// One operand into the zeroed padded buffer (strides bs), converted to T.
template <class T>
void load_padded(const ConstTensorView& v, T* buf, const std::array<std::int64_t, kMaxRank>& bs) {
  const int d = v.rank();
  const std::int64_t len = v.dim(d - 1), vs = v.stride(d - 1);
  visit_dtype(v.dtype(), [&](auto z) {
    using S = decltype(z);
    if constexpr (std::is_floating_point_v<S>) {
      for_each_row(d, v.geometry().shape.data(), v.geometry().strides.data(), bs.data(),
                   [&](std::int64_t so, std::int64_t bo) {
                     const S* s = static_cast<const S*>(v.data()) + so;
                     for (std::int64_t x = 0; x < len; ++x) buf[bo + x] = T(s[x * vs]);
                   });
    }
  });
}

template <class T>
void convolve_typed(ConstTensorView a, ConstTensorView b, signal::Mode mode, TensorView out) {
  const int d = a.rank();
  std::array<std::int64_t, kMaxRank> full{}, L{}, shape{}, start{};
  std::array<int, kMaxRank> n{};
  for (int i = 0; i < d; ++i) {
    const auto u = std::size_t(i);
    full[u] = a.dim(i) + b.dim(i) - 1;
    L[u] = smooth_between(full[u], full[u], i == d - 1).front();
    n[u] = int(L[u]);
    shape[u] = mode == signal::Mode::full   ? full[u]
               : mode == signal::Mode::same ? a.dim(i)
                                            : a.dim(i) - b.dim(i) + 1;
    start[u] = (full[u] - shape[u]) / 2;  // scipy.signal's _centered
  }
  const std::int64_t lc = L[std::size_t(d - 1)] / 2 + 1, ld = 2 * lc;
  std::int64_t rows = 1;
  for (int i = 0; i + 1 < d; ++i) rows *= L[std::size_t(i)];
  const std::size_t total = std::size_t(rows * ld);
  AlignedBuffer<T> fa(total), fb(total);
  std::memset(fa.get(), 0, total * sizeof(T));
  std::memset(fb.get(), 0, total * sizeof(T));
  const std::array<std::int64_t, kMaxRank> bs = buffer_strides(d, L, ld);
  load_padded(a, fa.get(), bs);
  load_padded(b, fb.get(), bs);
  const int threads = get_num_threads();
  const bool single = std::is_same_v<T, float>;
  void* forward = fft_plan_nd(single, true, d, n.data(), threads);
  void* backward = fft_plan_nd(single, false, d, n.data(), threads);
  Fftw<T>::r2c(forward, fa.get());
  Fftw<T>::r2c(forward, fb.get());
  double cells = 1;
  for (int i = 0; i < d; ++i) cells *= double(L[std::size_t(i)]);
  const T scale = T(1.0 / cells);
  auto* ca = reinterpret_cast<std::complex<T>*>(fa.get());
  const auto* cb = reinterpret_cast<const std::complex<T>*>(fb.get());
  const std::int64_t spectra = rows * lc;
#pragma omp parallel for schedule(static) num_threads(threads) if (spectra > (1 << 16))
  for (std::int64_t i = 0; i < spectra; ++i) ca[i] = ca[i] * cb[i] * scale;
  Fftw<T>::c2r(backward, fa.get());
  // The window [start, start + shape) of the full result.
  const T* window = fa.get();
  for (int i = 0; i < d; ++i) window += start[std::size_t(i)] * bs[std::size_t(i)];
  const std::int64_t len = shape[std::size_t(d - 1)], os = out.stride(d - 1);
  for_each_row(d, shape.data(), bs.data(), out.geometry().strides.data(),
               [&](std::int64_t bo, std::int64_t oo) {
                 T* o = static_cast<T*>(out.data()) + oo;
                 if (os == 1)
                   std::memcpy(o, window + bo, std::size_t(len) * sizeof(T));
                 else
                   for (std::int64_t x = 0; x < len; ++x) o[x * os] = window[bo + x];
               });
}

}  // namespace

Geometry nd_output_shape(ConstTensorView a, ConstTensorView b, signal::Mode mode) {
  if (a.rank() < 1 || a.rank() > kMaxRank || b.rank() != a.rank())
    detail::fail("in2", "needs two arrays of the same rank 1..", kMaxRank, ", got ranks ",
                 a.rank(), " and ", b.rank());
  for (auto [v, name] : {std::pair{&a, "in1"}, std::pair{&b, "in2"}}) {
    if (!is_floating(v->dtype()))
      detail::fail(name, "must be float32 or float64, got ", dtype_name(v->dtype()));
    if (v->empty()) detail::fail(name, "is empty");
  }
  for (int i = 0; i < a.rank(); ++i)
    if (mode == signal::Mode::valid && a.dim(i) < b.dim(i))
      detail::fail("in2", "is larger than in1 along axis ", i, " in 'valid' mode");
  std::array<std::int64_t, kMaxRank> shape{};
  for (int i = 0; i < a.rank(); ++i)
    shape[std::size_t(i)] = mode == signal::Mode::full   ? a.dim(i) + b.dim(i) - 1
                            : mode == signal::Mode::same ? a.dim(i)
                                                         : a.dim(i) - b.dim(i) + 1;
  return Geometry::contiguous(std::span<const std::int64_t>(shape.data(), std::size_t(a.rank())));
}

void convolve_nd(ConstTensorView a, ConstTensorView b, signal::Mode mode, TensorView out) {
  const Geometry g = nd_output_shape(a, b, mode);
  const bool single = a.dtype() == DType::f32 && b.dtype() == DType::f32;
  if (out.dtype() != (single ? DType::f32 : DType::f64) || out.rank() != g.rank)
    detail::fail("out", "must be ", single ? "float32" : "float64", " of rank ", g.rank);
  for (int i = 0; i < g.rank; ++i)
    if (out.dim(i) != g.shape[std::size_t(i)])
      detail::fail("out", "shape ", out.geometry().shape_string(), " != ", g.shape_string());
  if (single)
    convolve_typed<float>(a, b, mode, out);
  else
    convolve_typed<double>(a, b, mode, out);
}

}  // namespace convkit::fft
