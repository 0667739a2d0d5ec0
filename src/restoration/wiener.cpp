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
// G[a][b]: k0 k1 complex axpys of length lc, or, when the PSF is separable along the last axis
// (h[ab, c] = u[ab] v[c]: boxes, Gaussians), one complex scale of V = DFT(v). For a small PSF this
// costs less than its own transform would, and the spectrum never goes through memory.
template <class T>
class TapSpectrum {
 public:
  static constexpr std::int64_t kMaxOuterTaps = 64;  // k0 * k1 above this: transform instead

  TapSpectrum(const std::vector<T>& h, const Dims& k, const Dims& L, std::int64_t lc)
      : k_(k), lc_(lc) {
    for (int axis = 0; axis < 3; ++axis) {  // w^j = exp(-2 pi i j / L), j in [0, L)
      auto& w = unit_[std::size_t(axis)];
      const std::int64_t len = L[std::size_t(axis)];
      w.resize(std::size_t(len));
      for (std::int64_t j = 0; j < len; ++j) {
        const double t = -2 * M_PI * double(j) / double(len);
        w[std::size_t(j)] = {std::cos(t), std::sin(t)};
      }
    }
    auto [u, v] = rank1_factors(h, Dims{k[0] * k[1], 1, k[2]});
    const std::int64_t rows = u.empty() ? k[0] * k[1] : 1;
    const std::vector<T>& taps = u.empty() ? h : v;
    u_.assign(u.begin(), u.end());
    G_.assign(std::size_t(rows * lc * 2), T(0));
    for (std::int64_t ab = 0; ab < rows; ++ab)
      for (std::int64_t c = 0; c < k[2]; ++c) {
        const double tap = double(taps[std::size_t(ab * k[2] + c)]);
        if (tap == 0) continue;
        for (std::int64_t f = 0; f < lc; ++f) {
          const std::complex<double> w = twiddle(2, f * (c - k[2] / 2), L[2]) * tap;
          G_[std::size_t((ab * lc + f) * 2)] += T(w.real());
          G_[std::size_t((ab * lc + f) * 2 + 1)] += T(w.imag());
        }
      }
    L_ = L;
  }

  /// Row (f0, f1) of the spectrum into out (lc interleaved complex values).
  void row(std::int64_t f0, std::int64_t f1, T* out) const {
    auto outer = [&](std::int64_t a, std::int64_t b) {
      return twiddle(0, f0 * (a - k_[0] / 2), L_[0]) * twiddle(1, f1 * (b - k_[1] / 2), L_[1]);
    };
    if (!u_.empty()) {  // separable: (sum_ab outer(a, b) u[ab]) * V
      std::complex<double> s = 0;
      for (std::int64_t a = 0; a < k_[0]; ++a)
        for (std::int64_t b = 0; b < k_[1]; ++b) s += outer(a, b) * double(u_[std::size_t(a * k_[1] + b)]);
      axpy(s, G_.data(), out, true);
      return;
    }
    for (std::int64_t a = 0; a < k_[0]; ++a)
      for (std::int64_t b = 0; b < k_[1]; ++b)
        axpy(outer(a, b), G_.data() + (a * k_[1] + b) * lc_ * 2, out, a == 0 && b == 0);
  }

 private:
  std::complex<double> twiddle(int axis, std::int64_t e, std::int64_t n) const {
    return unit_[std::size_t(axis)][std::size_t(((e % n) + n) % n)];
  }
  // out (+)= w * g over lc complex values.
  void axpy(std::complex<double> w, const T* g, T* out, bool assign) const {
    const T wr = T(w.real()), wi = T(w.imag());
    if (assign)
      for (std::int64_t j = 0; j < lc_; ++j) {
        const T gr = g[2 * j], gi = g[2 * j + 1];
        out[2 * j] = wr * gr - wi * gi;
        out[2 * j + 1] = wr * gi + wi * gr;
      }
    else
      for (std::int64_t j = 0; j < lc_; ++j) {
        const T gr = g[2 * j], gi = g[2 * j + 1];
        out[2 * j] += wr * gr - wi * gi;
        out[2 * j + 1] += wr * gi + wi * gr;
      }
  }
  Dims k_, L_{};
  std::int64_t lc_;
  std::vector<T> G_, u_;
  std::array<std::vector<std::complex<double>>, 3> unit_;
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
        // x * conj(h) * scale / (|h|^2 + balance d^2) in real arithmetic: std::complex's
        // operator* checks for NaN/inf and does not vectorize.
        T* x = reinterpret_cast<T*>(cx + row);
        const T* hp = reinterpret_cast<const T*>(ch);
        for (std::int64_t c = 0; c < lc; ++c) {
          const T hr = hp[2 * c], hi = hp[2 * c + 1], xr = x[2 * c], xi = x[2 * c + 1];
          const T d2 = cd ? cd[row + c].real() * cd[row + c].real() : lap.squared(a, b, c);
          const T s = scale / (hr * hr + hi * hi + bal * d2);
          x[2 * c] = (xr * hr + xi * hi) * s;
          x[2 * c + 1] = (xi * hr - xr * hi) * s;
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
