#pragma once
// The blur operator H of a deconvolution and its back-projection, on contiguous working arrays
// of one image shape (rank 1..3, stored as D x H x W with leading ones). Built once per call;
// every iteration of an iterative method reuses its plans, buffers and PSF spectrum.
//
// Both directions are one correlation  out[j] = sum_r in[j - p + r] g[r]  (zeros outside):
//   forward   y = H x:  g = the PSF flipped, p = k - 1 - (k-1)/2  (SciPy's 'same' crop)
//   adjoint   exact:    g = the PSF,          p = (k-1)/2
//             skimage:  g = the PSF,          p = k - 1 - (k-1)/2 (the flipped PSF under the
//                                             same crop; one sample off for even k)
// or, periodic, a circular convolution centred at k/2 (the OTF of skimage's uft.ir2tf and
// MATLAB's psf2otf) and its conjugate.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "algorithms/fft_plans.h"
#include "convkit/plan.h"
#include "convkit/restoration.h"
#include "util/pool.h"

namespace convkit::restoration {

using Dims = std::array<std::int64_t, 3>;

/// Working memory kept between calls (util/pool.h): an iterative method on a large image does
/// not fault in fresh pages for its buffers on every call.
using Scratch = PooledBuffer;

/// A rank 1..3 shape as D x H x W with leading ones.
Dims dims3(const ConstTensorView& v);

template <class T>
class Blur {
 public:
  /// `psf` (any strides, real float) has `rank` axes; `dims` the working image shape.
  Blur(int rank, Dims dims, ConstTensorView psf, bool periodic, Convention convention,
       Engine engine);
  ~Blur();
  Blur(const Blur&) = delete;
  Blur& operator=(const Blur&) = delete;

  void forward(const T* x, T* y);  ///< y = H x
  void adjoint(const T* y, T* x);  ///< x = H^T y (see Convention)
  std::int64_t size() const { return dims_[0] * dims_[1] * dims_[2]; }
  /// "direct (separable, 3 planes)" / "fft 520x540": the engine in use.
  const std::string& description() const { return description_; }

 private:
  struct Planes;  // direct engine: one 2-D plan per PSF plane and direction
  void fft_apply(const T* in, T* out, bool adjoint);
  void make_fft(ConstTensorView psf);
  bool make_direct(ConstTensorView psf, Engine engine);

  int rank_;
  Dims dims_, k_;
  bool periodic_;
  Convention convention_;
  std::string description_;
  std::unique_ptr<Planes> planes_;
  // FFT engine: padded dims, the r2c row length, the PSF spectrum (scaled by 1/prod(L)).
  Dims L_{};
  std::int64_t ld_ = 0;
  std::unique_ptr<Scratch> spectrum_, work_;
  void* plan_forward_ = nullptr;
  void* plan_backward_ = nullptr;
};

/// The PSF (rank <= 3, any strides, real float) as a contiguous D x H x W array of T.
template <class T>
std::vector<T> psf_values(ConstTensorView psf, Dims& k);

/// g (k[0] x k[1]k[2], contiguous) as outer[a] * inner[b, c] when it is one to round-off in T
/// (a 3-D Gaussian or box over depth x plane; a separable PSF over rows x columns); empty vectors
/// when it is not.
template <class T>
std::pair<std::vector<T>, std::vector<T>> rank1_factors(const std::vector<T>& g, const Dims& k);

/// h (k, contiguous) * scale into a zeroed padded buffer of dims L (last axis stored with row
/// length ld): at the origin, or `centred` (rolled by -k/2 per axis: uft.ir2tf, psf2otf).
template <class T>
void place_kernel(const std::vector<T>& h, const Dims& k, const Dims& L, std::int64_t ld,
                  bool centred, double scale, T* buf);

}  // namespace convkit::restoration
