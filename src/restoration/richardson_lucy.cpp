// Richardson-Lucy deconvolution: scikit-image's iteration, Biggs-Andrews acceleration and the
// total-variation regularised form, over the blur operator of restoration/blur.h.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "convkit/error.h"
#include "convkit/plan.h"
#include "restoration/arrays.h"
#include "restoration/blur.h"

namespace convkit::restoration {

Method parse_method(const std::string& s) {
  if (s == "plain" || s == "rl") return Method::plain;
  if (s == "accelerated" || s == "rl-accelerated") return Method::accelerated;
  if (s == "tv" || s == "rl-tv") return Method::tv;
  detail::fail("method", "unknown method '", s, "' (expected plain, accelerated or tv)");
}

namespace {

// rel = image / (conv + 1e-12), 0 where conv + 1e-12 < filter_epsilon (when it is non-zero):
// scikit-image's ratio, in T.
template <class T>
void ratio(const T* image, T* conv, std::int64_t n, double filter_epsilon) {
  const T tiny = T(1e-12), eps = T(filter_epsilon);
  const bool filter = filter_epsilon != 0;
#pragma omp parallel for schedule(static) num_threads(get_num_threads()) if (n > (1 << 16))
  for (std::int64_t i = 0; i < n; ++i) {
    const T c = conv[i] + tiny;
    conv[i] = filter && c < eps ? T(0) : image[i] / c;
  }
}

// div(grad x / |grad x|) with forward differences for the gradient and backward differences for
// the divergence (its negative adjoint), on a D x H x W array; |grad| floored at a small value
// so flat regions do not divide by zero.
template <class T>
void tv_divergence(const T* x, const Dims& d, T* div) {
  const std::int64_t n = d[0] * d[1] * d[2];
  const std::int64_t st[3] = {d[1] * d[2], d[2], 1};
  std::vector<T> g(std::size_t(3 * n));
#pragma omp parallel for schedule(static) num_threads(get_num_threads()) if (n > (1 << 16))
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t pos[3] = {i / st[0], (i / st[1]) % d[1], i % d[2]};
    T v[3], norm = T(1e-8);
    for (int a = 0; a < 3; ++a) {
      v[a] = pos[a] + 1 < d[std::size_t(a)] ? x[i + st[a]] - x[i] : T(0);
      norm += v[a] * v[a];
    }
    norm = std::sqrt(norm);
    for (int a = 0; a < 3; ++a) g[std::size_t(a * n + i)] = v[a] / norm;
  }
#pragma omp parallel for schedule(static) num_threads(get_num_threads()) if (n > (1 << 16))
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t pos[3] = {i / st[0], (i / st[1]) % d[1], i % d[2]};
    T s = 0;
    for (int a = 0; a < 3; ++a) {
      const T* ga = g.data() + a * n;
      s += ga[i] - (pos[a] > 0 ? ga[i - st[a]] : T(0));
    }
    div[i] = s;
  }
}

template <class T>
double dot(const T* a, const T* b, std::int64_t n) {
  double s = 0;
#pragma omp parallel for schedule(static) reduction(+ : s) num_threads(get_num_threads()) if (n > (1 << 16))
  for (std::int64_t i = 0; i < n; ++i) s += double(a[i]) * double(b[i]);
  return s;
}

template <class T>
void run(ConstTensorView image, ConstTensorView psf, TensorView out,
         const RichardsonLucyOptions& o) {
  const Dims dims = dims3(image), k = dims3(psf);
  const Dims m = margins(o.boundary, dims, k, false);
  const Dims padded{dims[0] + 2 * m[0], dims[1] + 2 * m[1], dims[2] + 2 * m[2]};
  Blur<T> blur(image.rank(), padded, psf, o.boundary == Boundary::periodic, o.convention, o.engine);
  const std::int64_t n = blur.size();
  const int threads = get_num_threads();
  // Working arrays from the scratch pool; the estimate lives in `out` when it can.
  std::vector<std::unique_ptr<Scratch>> held;
  auto buffer = [&] {
    held.push_back(std::make_unique<Scratch>(std::size_t(n) * sizeof(T)));
    return held.back()->template as<T>();
  };
  T* data = buffer();
  if (o.boundary == Boundary::reflect) {
    const std::vector<T> ext = extend(load<T>(image), dims, m, true);
    std::copy(ext.begin(), ext.end(), data);
  } else {
    load_into(image, data, dims[2]);
  }
  const bool in_place = m == Dims{0, 0, 0} && out.is_contiguous() && o.method == Method::plain;
  T* x = in_place ? static_cast<T*>(out.data()) : buffer();
  T* conv = buffer();
  T* back = buffer();
  std::fill(x, x + n, T(0.5));
  // One multiplicative step from `from`: to = from * H^T(image / H from).
  auto step = [&](const T* from, T* to) {
    blur.forward(from, conv);
    ratio(data, conv, n, o.filter_epsilon);
    blur.adjoint(conv, back);
#pragma omp parallel for schedule(static) num_threads(threads) if (n > (1 << 16))
    for (std::int64_t i = 0; i < n; ++i) to[i] = from[i] * back[i];
  };
  if (o.method == Method::plain) {
    for (int it = 0; it < o.num_iter; ++it) {
      step(x, x);
      if (o.progress) o.progress(it + 1, o.num_iter);
    }
  } else if (o.method == Method::accelerated) {
    // Biggs-Andrews: predict y = x + a (x - x_prev) with a from the last two step changes
    // g = RL(y) - y, then take one RL step from y.
    T *prev = buffer(), *y = buffer(), *next = buffer(), *g1 = buffer(), *g2 = buffer();
    std::copy(x, x + n, prev);
    std::fill(g1, g1 + n, T(0));
    std::fill(g2, g2 + n, T(0));
    for (int it = 0; it < o.num_iter; ++it) {
      double a = 0;
      if (it >= 2) {
        const double den = dot(g2, g2, n);
        a = den > 0 ? std::clamp(dot(g1, g2, n) / den, 0.0, 1.0) : 0.0;
      }
      const T at = T(a);
#pragma omp parallel for schedule(static) num_threads(threads) if (n > (1 << 16))
      for (std::int64_t i = 0; i < n; ++i) y[i] = std::max(T(0), x[i] + at * (x[i] - prev[i]));
      step(y, next);
      std::swap(g2, g1);
#pragma omp parallel for schedule(static) num_threads(threads) if (n > (1 << 16))
      for (std::int64_t i = 0; i < n; ++i) g1[i] = next[i] - y[i];
      std::swap(prev, x);
      std::swap(x, next);
      if (o.progress) o.progress(it + 1, o.num_iter);
    }
  } else {
    // Dey et al.: x <- x * H^T(image / H x) / (1 - lambda div(grad x / |grad x|)).
    T* div = buffer();
    const T lambda = T(o.tv_weight);
    for (int it = 0; it < o.num_iter; ++it) {
      tv_divergence(x, padded, div);
      step(x, x);
#pragma omp parallel for schedule(static) num_threads(threads) if (n > (1 << 16))
      for (std::int64_t i = 0; i < n; ++i) x[i] /= std::max(T(1) - lambda * div[i], T(1e-3));
      if (o.progress) o.progress(it + 1, o.num_iter);
    }
  }
  store(x, padded, padded[2], m, o.clip, out);
}

void check_options(const RichardsonLucyOptions& o) {
  // A million iterations is far past convergence for any image; beyond it a typo (or an
  // overflowed count) would run for hours instead of failing.
  if (o.num_iter < 0 || o.num_iter > kMaxIterations)
    detail::fail("num_iter", "must be in [0, ", kMaxIterations, "], got ", o.num_iter);
  if (!std::isfinite(o.filter_epsilon))
    detail::fail("filter_epsilon", "must be finite, got ", o.filter_epsilon);
  if (o.method == Method::tv && !(o.tv_weight >= 0 && o.tv_weight < 1))
    detail::fail("tv_weight", "must be in [0, 1), got ", o.tv_weight);
}

}  // namespace

void richardson_lucy(ConstTensorView image, ConstTensorView psf, TensorView out,
                     const RichardsonLucyOptions& options) {
  const DType working = check_operands(image, psf);
  check_output(image, working, out);
  check_options(options);
  if (working == DType::f32)
    run<float>(image, psf, out, options);
  else
    run<double>(image, psf, out, options);
}

Tensor richardson_lucy(ConstTensorView image, ConstTensorView psf,
                       const RichardsonLucyOptions& options) {
  Tensor out(working_dtype(image), std::span<const std::int64_t>(image.geometry().shape.data(),
                                                    std::size_t(image.rank())));
  richardson_lucy(image, psf, out.view(), options);
  return out;
}

std::string explain(ConstTensorView image, ConstTensorView psf, const RichardsonLucyOptions& o) {
  const DType working = check_operands(image, psf);
  const Dims dims = dims3(image), k = dims3(psf);
  const Dims m = margins(o.boundary, dims, k, false);
  const Dims padded{dims[0] + 2 * m[0], dims[1] + 2 * m[1], dims[2] + 2 * m[2]};
  const bool periodic = o.boundary == Boundary::periodic;
  std::string s = working == DType::f32 ? "float32: " : "float64: ";
  if (working == DType::f32)
    s += Blur<float>(image.rank(), padded, psf, periodic, o.convention, o.engine).description();
  else
    s += Blur<double>(image.rank(), padded, psf, periodic, o.convention, o.engine).description();
  return s;
}

}  // namespace convkit::restoration
