// The blur operator of restoration/blur.h: a direct engine of cached 2-D convolution plans (one
// per PSF plane, summed over planes through the plans' residual input) and an FFT engine (FFTW
// rank-N real transforms, the PSF spectrum made once).
#include "restoration/blur.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>

#include "convkit/error.h"
#include "util/convert.h"

namespace convkit::restoration {

Dims dims3(const ConstTensorView& v) {
  Dims d{1, 1, 1};
  for (int i = 0; i < v.rank(); ++i) d[std::size_t(3 - v.rank() + i)] = v.dim(i);
  return d;
}

template <class T>
std::vector<T> psf_values(ConstTensorView psf, Dims& k) {
  k = dims3(psf);
  std::vector<T> out(std::size_t(k[0] * k[1] * k[2]));
  std::array<std::int64_t, 3> st{0, 0, 0};
  for (int i = 0; i < psf.rank(); ++i) st[std::size_t(3 - psf.rank() + i)] = psf.stride(i);
  visit_dtype(psf.dtype(), [&](auto z) {
    using S = decltype(z);
    if constexpr (std::is_floating_point_v<S>) {
      const S* p = static_cast<const S*>(psf.data());
      std::size_t o = 0;
      for (std::int64_t a = 0; a < k[0]; ++a)
        for (std::int64_t b = 0; b < k[1]; ++b)
          for (std::int64_t c = 0; c < k[2]; ++c) out[o++] = T(p[a * st[0] + b * st[1] + c * st[2]]);
    } else {
      detail::fail("psf", "must be real float32 or float64, got ", dtype_name(psf.dtype()));
    }
  });
  return out;
}
template std::vector<float> psf_values<float>(ConstTensorView, Dims&);
template std::vector<double> psf_values<double>(ConstTensorView, Dims&);

template <class T>
void place_kernel(const std::vector<T>& h, const Dims& k, const Dims& L, std::int64_t ld,
                  bool centred, double scale, T* buf) {
  std::memset(buf, 0, std::size_t(L[0] * L[1] * ld) * sizeof(T));
  for (std::int64_t a = 0; a < k[0]; ++a)
    for (std::int64_t b = 0; b < k[1]; ++b)
      for (std::int64_t c = 0; c < k[2]; ++c) {
        std::int64_t ia = a, ib = b, ic = c;
        if (centred) {
          ia = (a - k[0] / 2 + L[0]) % L[0];
          ib = (b - k[1] / 2 + L[1]) % L[1];
          ic = (c - k[2] / 2 + L[2]) % L[2];
        }
        buf[(ia * L[1] + ib) * ld + ic] = T(double(h[std::size_t((a * k[1] + b) * k[2] + c)]) * scale);
      }
}

template <class T>
std::pair<std::vector<T>, std::vector<T>> rank1_factors(const std::vector<T>& g, const Dims& k) {
  const std::int64_t kd = k[0], m = k[1] * k[2];
  std::int64_t best = 0;
  double best_norm = -1;
  for (std::int64_t a = 0; a < kd; ++a) {
    double s = 0;
    for (std::int64_t i = 0; i < m; ++i) s += double(g[std::size_t(a * m + i)]) * double(g[std::size_t(a * m + i)]);
    if (s > best_norm) best_norm = s, best = a;
  }
  std::vector<T> plane(g.begin() + best * m, g.begin() + (best + 1) * m);
  std::vector<T> depth(static_cast<std::size_t>(kd));
  double peak = 0;
  for (T v : g) peak = std::max(peak, std::abs(double(v)));
  const double tol = peak * (sizeof(T) == 4 ? 1e-6 : 1e-13);
  for (std::int64_t a = 0; a < kd; ++a) {
    double dot = 0;
    for (std::int64_t i = 0; i < m; ++i) dot += double(g[std::size_t(a * m + i)]) * double(plane[std::size_t(i)]);
    depth[std::size_t(a)] = T(dot / best_norm);
    for (std::int64_t i = 0; i < m; ++i)
      if (std::abs(double(depth[std::size_t(a)]) * double(plane[std::size_t(i)]) -
                   double(g[std::size_t(a * m + i)])) > tol)
        return {};
  }
  return {std::move(depth), std::move(plane)};
}

template std::pair<std::vector<float>, std::vector<float>> rank1_factors(const std::vector<float>&, const Dims&);
template std::pair<std::vector<double>, std::vector<double>> rank1_factors(const std::vector<double>&, const Dims&);

template void place_kernel<float>(const std::vector<float>&, const Dims&, const Dims&,
                                  std::int64_t, bool, double, float*);
template void place_kernel<double>(const std::vector<double>&, const Dims&, const Dims&,
                                   std::int64_t, bool, double, double*);

namespace {

// The two pad vectors of the correlation form (see blur.h).
Dims forward_pads(const Dims& k) {
  return {k[0] - 1 - (k[0] - 1) / 2, k[1] - 1 - (k[1] - 1) / 2, k[2] - 1 - (k[2] - 1) / 2};
}
Dims adjoint_pads(const Dims& k, Convention c) {
  return c == Convention::skimage ? forward_pads(k) : Dims{(k[0] - 1) / 2, (k[1] - 1) / 2, (k[2] - 1) / 2};
}

}  // namespace

// One correlation direction as 2-D plans: tap plane r of g reads input planes j - p0 + r.
template <class T>
struct Blur<T>::Planes {
  struct Tap {
    std::shared_ptr<const Plan> plan;
    std::int64_t first = 0, count = 0, r = 0;  // output planes [first, first + count)
  };
  struct Direction {
    std::vector<T> g;
    std::vector<Tap> taps;  // the centre tap (covers every plane, no residual) first
    // Depth-separable g = depth (x) plane: one plan over every plane into `scratch`, then a
    // pass of depth.size() taps along the depth axis (empty: the taps form).
    std::vector<T> depth, plane;
  };
  Direction forward, adjoint;
  Dims dims;
  std::unique_ptr<Scratch> scratch;  // the plane pass's output (depth-separable form)

  static ConvProblem plane_problem(std::int64_t n, const Dims& k, const Dims& p, const Dims& dims) {
    ConvProblem q;
    q.n = n;
    q.h = dims[1], q.w = dims[2], q.r = k[1], q.s = k[2];
    q.src_dtype = q.filter_dtype = q.dst_dtype = dtype_of<T>();
    q.pad_top = p[1], q.pad_bottom = k[1] - 1 - p[1];
    q.pad_left = p[2], q.pad_right = k[2] - 1 - p[2];
    return q;
  }

  static Direction make(std::vector<T> g, const Dims& k, const Dims& p, const Dims& dims) {
    Direction d;
    d.g = std::move(g);
    if (k[0] > 1) {
      auto [depth, plane] = rank1_factors(d.g, k);
      if (!depth.empty()) {
        d.depth = std::move(depth);
        d.plane = std::move(plane);
        const ConstTensorView w(d.plane.data(), dtype_of<T>(), {1, 1, k[1], k[2]});
        d.taps.push_back({Plan::cached(plane_problem(dims[0], k, p, dims), w), 0, dims[0], 0});
        return d;
      }
    }
    std::vector<std::int64_t> order{p[0]};
    for (std::int64_t r = 0; r < k[0]; ++r)
      if (r != p[0]) order.push_back(r);
    for (std::int64_t r : order) {
      const std::int64_t first = std::max<std::int64_t>(0, p[0] - r);
      const std::int64_t last = std::min<std::int64_t>(dims[0], dims[0] + p[0] - r);
      const T* plane = d.g.data() + r * k[1] * k[2];
      const bool zero = std::all_of(plane, plane + k[1] * k[2], [](T v) { return v == T(0); });
      if (last <= first || (zero && r != p[0])) continue;
      ConvProblem q = plane_problem(last - first, k, p, dims);
      q.has_residual = r != p[0];
      const ConstTensorView w(plane, dtype_of<T>(), {1, 1, k[1], k[2]});
      d.taps.push_back({Plan::cached(q, w), first, last - first, r});
    }
    return d;
  }

  void run(const Direction& d, const Dims& p, const T* in, T* out) const {
    const std::int64_t plane = dims[1] * dims[2];
    if (!d.depth.empty()) {
      T* tmp = scratch->template as<T>();
      const std::array<std::int64_t, 4> shape{dims[0], 1, dims[1], dims[2]};
      const std::array<std::int64_t, 4> st{plane, plane, dims[2], 1};
      d.taps.front().plan->execute(ConstTensorView(in, dtype_of<T>(), shape, st),
                                   TensorView(tmp, dtype_of<T>(), shape, st));
      depth_pass(d.depth, p[0], tmp, out);
      return;
    }
    for (const Tap& t : d.taps) {
      const std::int64_t src_first = t.first - p[0] + t.r;
      const std::array<std::int64_t, 4> shape{t.count, 1, dims[1], dims[2]};
      const std::array<std::int64_t, 4> st{plane, plane, dims[2], 1};
      const ConstTensorView src(in + src_first * plane, dtype_of<T>(), shape, st);
      const TensorView dst(out + t.first * plane, dtype_of<T>(), shape, st);
      if (t.plan->problem().has_residual)
        t.plan->execute(src, dst, dst);
      else
        t.plan->execute(src, dst);
    }
  }

  // out[z] = sum_r tmp[z - p0 + r] * depth[r] (zero planes outside), plane by plane.
  void depth_pass(const std::vector<T>& depth, std::int64_t p0, const T* tmp, T* out) const {
    const std::int64_t D = dims[0], plane = dims[1] * dims[2];
    const std::int64_t kd = std::int64_t(depth.size());
    constexpr std::int64_t kBlock = 2048;  // a block of every source plane stays in L1/L2
    const std::int64_t blocks = (plane + kBlock - 1) / kBlock;
#pragma omp parallel for collapse(2) schedule(static) num_threads(get_num_threads()) if (D * plane > (1 << 16))
    for (std::int64_t z = 0; z < D; ++z)
      for (std::int64_t blk = 0; blk < blocks; ++blk) {
        const std::int64_t b0 = blk * kBlock, len = std::min(kBlock, plane - b0);
        T* o = out + z * plane + b0;
        bool first = true;
        for (std::int64_t r = 0; r < kd; ++r) {
          const std::int64_t zs = z - p0 + r;
          if (zs < 0 || zs >= D) continue;
          const T w = depth[std::size_t(r)];
          const T* s = tmp + zs * plane + b0;
          if (first)
            for (std::int64_t i = 0; i < len; ++i) o[i] = w * s[i];
          else
            for (std::int64_t i = 0; i < len; ++i) o[i] += w * s[i];
          first = false;
        }
        if (first) std::fill(o, o + len, T(0));
      }
  }
};

template <class T>
Blur<T>::Blur(int rank, Dims dims, ConstTensorView psf, bool periodic, Convention convention,
              Engine engine)
    : rank_(rank), dims_(dims), periodic_(periodic), convention_(convention) {
  k_ = dims3(psf);
  for (int i = 0; i < 3; ++i)
    if (k_[std::size_t(i)] > dims_[std::size_t(i)])
      detail::fail("psf", "shape ", psf.geometry().shape_string(),
                   " is larger than the image along axis ", i - (3 - rank));
  if (periodic_ || engine == Engine::fft || !make_direct(psf, engine)) make_fft(psf);
}

template <class T>
Blur<T>::~Blur() = default;

template <class T>
bool Blur<T>::make_direct(ConstTensorView psf, Engine engine) {
  Dims k;
  std::vector<T> h = psf_values<T>(psf, k);
  std::vector<T> flipped(h.rbegin(), h.rend());  // every axis reversed
  auto planes = std::make_unique<Planes>();
  planes->dims = dims_;
  planes->forward = Planes::make(std::move(flipped), k, forward_pads(k), dims_);
  const Algorithm a = planes->forward.taps.front().plan->algorithm();
  if (engine == Engine::automatic) {
    if (a == Algorithm::fft || a == Algorithm::overlap_add) return false;
    // Several planes: each plane's plan makes one more pass over the whole volume (its
    // residual input), so beyond a few planes the four transforms of the padded volume win
    // (measured here: 5x5x5 on 32x256x256 takes 1.6x longer direct than by FFT).
    // A depth-separable PSF costs one plane pass plus k0 taps along depth.
    if (k[0] > 1) {
      const double taps = a == Algorithm::box         ? 4.0
                          : a == Algorithm::separable ? double(k[1] + k[2])
                                                      : double(k[1] * k[2]);
      const bool separable = !planes->forward.depth.empty();
      if (separable ? taps + double(k[0]) > 64 : double(k[0]) * taps >= 20) return false;
    }
  }
  planes->adjoint = Planes::make(h, k, adjoint_pads(k, convention_), dims_);
  if (!planes->forward.depth.empty() || !planes->adjoint.depth.empty())
    planes->scratch = std::make_unique<Scratch>(std::size_t(size()) * sizeof(T));
  description_ = std::string("direct (") + algorithm_name(a) +
                 (k[0] <= 1                        ? ")"
                  : !planes->forward.depth.empty() ? ", then " + std::to_string(k[0]) + " taps along depth)"
                      : ", " + std::to_string(planes->forward.taps.size()) + " planes)");
  planes_ = std::move(planes);
  return true;
}

template <class T>
void Blur<T>::make_fft(ConstTensorView psf) {
  for (int i = 0; i < 3; ++i) {
    const auto u = std::size_t(i);
    const std::int64_t need = periodic_ ? dims_[u] : dims_[u] + k_[u] - 1;
    L_[u] = periodic_ || dims_[u] == 1 ? need : fft::smooth_between(need, need, i == 2).front();
  }
  ld_ = 2 * (L_[2] / 2 + 1);
  const std::size_t total = std::size_t(L_[0] * L_[1] * ld_);
  spectrum_ = std::make_unique<Scratch>(total * sizeof(T));
  work_ = std::make_unique<Scratch>(total * sizeof(T));
  std::array<int, 3> n{};
  for (int i = 0; i < rank_; ++i) n[std::size_t(i)] = int(L_[std::size_t(3 - rank_ + i)]);
  const int threads = get_num_threads();
  constexpr bool single = std::is_same_v<T, float>;
  plan_forward_ = fft::fft_plan_nd(single, true, rank_, n.data(), threads);
  plan_backward_ = fft::fft_plan_nd(single, false, rank_, n.data(), threads);
  // The PSF at the origin (linear), or rolled so its centre k/2 is at the origin (periodic).
  Dims k;
  const std::vector<T> h = psf_values<T>(psf, k);
  T* s = spectrum_->as<T>();
  place_kernel(h, k, L_, ld_, periodic_, 1.0 / double(L_[0] * L_[1] * L_[2]), s);
  fft::Fftw<T>::r2c(plan_forward_, s);
  description_ = "fft";
  for (int i = 0; i < rank_; ++i) {
    description_ += i ? 'x' : ' ';
    description_ += std::to_string(L_[std::size_t(3 - rank_ + i)]);
  }
  if (periodic_) description_ += " (periodic)";
}

template <class T>
void Blur<T>::fft_apply(const T* in, T* out, bool adjoint) {
  // Offsets of the input in the padded buffer and of the window read back (see blur.h).
  Dims at{0, 0, 0}, from{0, 0, 0};
  if (!periodic_) {
    if (adjoint)
      at = adjoint_pads(k_, convention_);
    else
      from = {(k_[0] - 1) / 2, (k_[1] - 1) / 2, (k_[2] - 1) / 2};
  }
  T* w = work_->as<T>();
  const std::size_t total = std::size_t(L_[0] * L_[1] * ld_);
  // Every padded row: the input's row at offset `at`, zeros around it (rows outside: zeros).
  const std::int64_t D = dims_[0], H = dims_[1], W = dims_[2];
  const int threads = get_num_threads();
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads) if (D * H * W > (1 << 16))
  for (std::int64_t a = 0; a < L_[0]; ++a)
    for (std::int64_t b = 0; b < L_[1]; ++b) {
      T* row = w + (a * L_[1] + b) * ld_;
      const std::int64_t ia = a - at[0], ib = b - at[1];
      if (ia < 0 || ia >= D || ib < 0 || ib >= H) {
        std::memset(row, 0, std::size_t(ld_) * sizeof(T));
        continue;
      }
      std::memset(row, 0, std::size_t(at[2]) * sizeof(T));
      std::memcpy(row + at[2], in + (ia * H + ib) * W, std::size_t(W) * sizeof(T));
      std::memset(row + at[2] + W, 0, std::size_t(ld_ - at[2] - W) * sizeof(T));
    }
  fft::Fftw<T>::r2c(plan_forward_, w);
  // w *= spectrum (or its conjugate), in real arithmetic so that it vectorizes.
  const T* s = spectrum_->as<T>();
  const T sign = adjoint ? T(-1) : T(1);
  const std::int64_t n = std::int64_t(total / 2);
#pragma omp parallel for schedule(static) num_threads(threads) if (n > (1 << 15))
  for (std::int64_t i = 0; i < n; ++i) {
    const T wr = w[2 * i], wi = w[2 * i + 1], sr = s[2 * i], si = sign * s[2 * i + 1];
    w[2 * i] = wr * sr - wi * si;
    w[2 * i + 1] = wr * si + wi * sr;
  }
  fft::Fftw<T>::c2r(plan_backward_, w);
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads) if (D * H * W > (1 << 16))
  for (std::int64_t a = 0; a < D; ++a)
    for (std::int64_t b = 0; b < H; ++b)
      std::memcpy(out + (a * H + b) * W, w + ((a + from[0]) * L_[1] + b + from[1]) * ld_ + from[2],
                  std::size_t(W) * sizeof(T));
}

template <class T>
void Blur<T>::forward(const T* x, T* y) {
  if (planes_)
    planes_->run(planes_->forward, forward_pads(k_), x, y);
  else
    fft_apply(x, y, false);
}

template <class T>
void Blur<T>::adjoint(const T* y, T* x) {
  if (planes_)
    planes_->run(planes_->adjoint, adjoint_pads(k_, convention_), y, x);
  else
    fft_apply(y, x, true);
}

template class Blur<float>;
template class Blur<double>;

}  // namespace convkit::restoration
