// Wiener-Hunt deconvolution as skimage.restoration.wiener computes it (real PSF, is_real=True):
// the transfer functions of the PSF and of the regulariser from the kernels padded to the image
// shape and rolled by -k/2 (uft.ir2tf), the filter conj(H) / (|H|^2 + balance Re(D)^2) (skimage
// keeps only the real part of D), applied through FFTW real transforms of the image's shape.
#include <cmath>
#include <complex>
#include <optional>
#include <cstring>
#include <array>
#include <vector>

#include "algorithms/fft_plans.h"
#include "convkit/error.h"
#include "convkit/plan.h"
#include "restoration/arrays.h"
#include "restoration/blur.h"

namespace convkit::restoration {

Boundary parse_boundary(const std::string& s) {
  if (s == "zero" || s == "fill" || s == "constant") return Boundary::zero;
  if (s == "periodic" || s == "wrap" || s == "circular") return Boundary::periodic;
  if (s == "reflect" || s == "symmetric" || s == "symm") return Boundary::reflect;
  detail::fail("boundary", "unknown boundary '", s, "' (expected zero, periodic or reflect)");
}

Convention parse_convention(const std::string& s) {
  if (s == "skimage") return Convention::skimage;
  if (s == "adjoint" || s == "corrected") return Convention::adjoint;
  detail::fail("convention", "unknown convention '", s, "' (expected skimage or adjoint)");
}

namespace {

template <class T>
struct LaplacianSpectrum {
  std::array<std::vector<T>, 3> cos2;  // 2 cos(2 pi f / L) per axis (0 for absent axes)
  T centre;
  LaplacianSpectrum(int rank, const Dims& L, std::int64_t lc) {
    centre = T(2 * rank);
    for (int i = 0; i < 3; ++i) {
      const auto u = std::size_t(i);
      const std::int64_t len = i == 2 ? lc : L[u];
      cos2[u].assign(std::size_t(len), T(0));
      if (i < 3 - rank) continue;
      for (std::int64_t f = 0; f < len; ++f)
        cos2[u][std::size_t(f)] = T(2 * std::cos(2 * M_PI * double(f) / double(L[u])));
    }
  }
  T squared(std::int64_t a, std::int64_t b, std::int64_t c) const {
    const T d = centre - cos2[0][std::size_t(a)] - cos2[1][std::size_t(b)] - cos2[2][std::size_t(c)];
    return d * d;
  }
};

// The PSF's transfer function (uft.ir2tf: taps rolled by -k/2) one half-spectrum row at a
// time, straight from the taps: G[a][b](f2) = sum_c h[a,b,c] w2^(f2 (c - k2/2)) is made once
// (k0 k1 k2 lc products), then row (f0, f1) is sum_{a,b} w0^(f0 (a - k0/2)) w1^(f1 (b - k1/2))
// G[a][b]: k0 k1 complex axpys of length lc. For a small PSF this costs less than its own
// transform would, and the spectrum never goes through memory.
template <class T>
class TapSpectrum {
 public:
  static constexpr std::int64_t kMaxOuterTaps = 64;  // k0 * k1 above this: transform instead

  TapSpectrum(const std::vector<T>& h, const Dims& k, const Dims& L, std::int64_t lc)
      : k_(k), lc_(lc) {
    G_.assign(std::size_t(k[0] * k[1] * lc * 2), T(0));
    for (std::int64_t ab = 0; ab < k[0] * k[1]; ++ab)
      for (std::int64_t c = 0; c < k[2]; ++c) {
        const double v = double(h[std::size_t(ab * k[2] + c)]);
        if (v == 0) continue;
        for (std::int64_t f = 0; f < lc; ++f) {
          const double t = -2 * M_PI * double(mod(f * (c - k[2] / 2), L[2])) / double(L[2]);
          G_[std::size_t((ab * lc + f) * 2)] += T(v * std::cos(t));
          G_[std::size_t((ab * lc + f) * 2 + 1)] += T(v * std::sin(t));
        }
      }
    for (int axis = 0; axis < 2; ++axis) {
      auto& e = E_[std::size_t(axis)];
      const std::int64_t len = L[std::size_t(axis)], kk = k[std::size_t(axis)];
      e.resize(std::size_t(len * kk));
      for (std::int64_t f = 0; f < len; ++f)
        for (std::int64_t a = 0; a < kk; ++a) {
          const double t = -2 * M_PI * double(mod(f * (a - kk / 2), len)) / double(len);
          e[std::size_t(f * kk + a)] = {std::cos(t), std::sin(t)};
        }
    }
  }

  /// Row (f0, f1) of the spectrum into out (lc interleaved complex values).
  void row(std::int64_t f0, std::int64_t f1, T* out) const {
    std::fill(out, out + 2 * lc_, T(0));
    for (std::int64_t a = 0; a < k_[0]; ++a)
      for (std::int64_t b = 0; b < k_[1]; ++b) {
        const std::complex<double> w = E_[0][std::size_t(f0 * k_[0] + a)] *
                                       E_[1][std::size_t(f1 * k_[1] + b)];
        const T wr = T(w.real()), wi = T(w.imag());
        const T* g = G_.data() + (a * k_[1] + b) * lc_ * 2;
        for (std::int64_t j = 0; j < lc_; ++j) {
          const T gr = g[2 * j], gi = g[2 * j + 1];
          out[2 * j] += wr * gr - wi * gi;
          out[2 * j + 1] += wr * gi + wi * gr;
        }
      }
  }

 private:
  // Exponents reduced modulo the length first keep the twiddles exact for large f * a.
  static std::int64_t mod(std::int64_t v, std::int64_t n) { return ((v % n) + n) % n; }
  Dims k_;
  std::int64_t lc_;
  std::vector<T> G_;
  std::array<std::vector<std::complex<double>>, 2> E_;
};

template <class T>
void run(ConstTensorView image, ConstTensorView psf, double balance, TensorView out,
         const WienerOptions& o) {
  const Dims dims = dims3(image);
  Dims k, kr;
  const std::vector<T> h = psf_values<T>(psf, k);
  // Boundary::zero and ::reflect: the image extended by a margin, restored periodically, cut out.
  const Dims m = o.boundary == Boundary::periodic ? Dims{0, 0, 0}
                                                  : margins(Boundary::reflect, dims, k, true);
  const Dims L{dims[0] + 2 * m[0], dims[1] + 2 * m[1], dims[2] + 2 * m[2]};
  std::vector<T> reg;
  if (o.reg.data()) {
    reg = psf_values<T>(o.reg, kr);
    for (int i = 0; i < 3; ++i)
      if (kr[std::size_t(i)] > L[std::size_t(i)])
        detail::fail("reg", "shape ", o.reg.geometry().shape_string(), " is larger than the image");
  }
  const int rank = image.rank();
  const std::int64_t lc = L[2] / 2 + 1, ld = 2 * lc;
  const std::size_t total = std::size_t(L[0] * L[1] * ld);
  std::array<int, 3> n{};
  for (int i = 0; i < rank; ++i) n[std::size_t(i)] = int(L[std::size_t(3 - rank + i)]);
  const int threads = get_num_threads();
  constexpr bool single = std::is_same_v<T, float>;
  void* fwd = fft::fft_plan_nd(single, true, rank, n.data(), threads);
  void* bwd = fft::fft_plan_nd(single, false, rank, n.data(), threads);
  const bool from_taps = k[0] * k[1] <= TapSpectrum<T>::kMaxOuterTaps;
  Scratch xs(total * sizeof(T)), hs(from_taps ? 0 : total * sizeof(T)),
      ds(reg.empty() ? 0 : total * sizeof(T));
  T* X = xs.as<T>();
  if (o.boundary == Boundary::periodic) {
    load_into(image, X, ld);
  } else {
    const std::vector<T> ext = extend(load<T>(image), dims, m, o.boundary == Boundary::reflect);
    for (std::int64_t a = 0; a < L[0]; ++a)
      for (std::int64_t b = 0; b < L[1]; ++b)
        std::memcpy(X + (a * L[1] + b) * ld, ext.data() + (a * L[1] + b) * L[2],
                    std::size_t(L[2]) * sizeof(T));
  }
  fft::Fftw<T>::r2c(fwd, X);
  std::optional<TapSpectrum<T>> taps;
  if (from_taps) {
    taps.emplace(h, k, L, lc);
  } else {
    place_kernel(h, k, L, ld, true, 1.0, hs.as<T>());
    fft::Fftw<T>::r2c(fwd, hs.as<T>());
  }
  if (!reg.empty()) {
    place_kernel(reg, kr, L, ld, true, 1.0, ds.as<T>());
    fft::Fftw<T>::r2c(fwd, ds.as<T>());
  }
  const LaplacianSpectrum<T> lap(rank, L, lc);
  auto* cd = reg.empty() ? nullptr : reinterpret_cast<const std::complex<T>*>(ds.as<T>());
  auto* cx = reinterpret_cast<std::complex<T>*>(X);
  const T bal = T(balance), scale = T(1.0 / double(L[0] * L[1] * L[2]));
#pragma omp parallel num_threads(threads) if (total > (1 << 16))
  {
    std::vector<T> hrow(std::size_t(2 * lc));
#pragma omp for collapse(2) schedule(static)
    for (std::int64_t a = 0; a < L[0]; ++a)
      for (std::int64_t b = 0; b < L[1]; ++b) {
        const std::int64_t row = (a * L[1] + b) * lc;
        const std::complex<T>* ch;
        if (taps) {
          taps->row(a, b, hrow.data());
          ch = reinterpret_cast<const std::complex<T>*>(hrow.data());
        } else {
          ch = reinterpret_cast<const std::complex<T>*>(hs.as<T>()) + row;
        }
        for (std::int64_t c = 0; c < lc; ++c) {
          const std::int64_t i = row + c;
          const std::complex<T> hv = ch[c];
          const T d2 = cd ? cd[i].real() * cd[i].real() : lap.squared(a, b, c);
          cx[i] = cx[i] * (std::conj(hv) / (std::norm(hv) + bal * d2)) * scale;
        }
      }
  }
  fft::Fftw<T>::c2r(bwd, X);
  store(X, L, ld, m, o.clip, out);
}

}  // namespace

void wiener(ConstTensorView image, ConstTensorView psf, double balance, TensorView out,
            const WienerOptions& options) {
  const DType working = check_operands(image, psf);
  check_output(image, working, out);
  if (!std::isfinite(balance)) detail::fail("balance", "must be finite, got ", balance);
  if (options.reg.data()) {
    if (options.reg.rank() != image.rank())
      detail::fail("reg", "has ", options.reg.rank(), " dimensions but the image has ", image.rank());
    if (options.reg.dtype() != DType::f32 && options.reg.dtype() != DType::f64)
      detail::fail("reg", "must be real float32 or float64, got ", dtype_name(options.reg.dtype()));
  }
  if (working == DType::f32)
    run<float>(image, psf, balance, out, options);
  else
    run<double>(image, psf, balance, out, options);
}

Tensor wiener(ConstTensorView image, ConstTensorView psf, double balance,
              const WienerOptions& options) {
  Tensor out(working_dtype(image), std::span<const std::int64_t>(image.geometry().shape.data(),
                                                    std::size_t(image.rank())));
  wiener(image, psf, balance, out.view(), options);
  return out;
}

}  // namespace convkit::restoration
