// Gaussian kernels and filters: cv::getGaussianKernel / cv::GaussianBlur (bit-exact fixed point
// for u8 and u16), scipy.ndimage's _gaussian_kernel1d / gaussian_filter and the filters built on
// it, and OpenCV-style unsharp masking. Every filter runs sep_filter2d.
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "api/image_filters_internal.h"
#include "convkit/error.h"
#include "convkit/image_filters.h"

namespace convkit {

namespace {

constexpr int kMaxRadius = 1 << 22;  // a kernel of 8M taps is a mistake, not a request

// numpy.add.reduce on float64 (pairwise summation: blocks of 8 partial sums up to 128
// elements, halves above), so that phi / phi.sum() divides by the same number SciPy does.
double numpy_sum(const double* a, std::int64_t n) {
  if (n < 8) {
    double s = 0.;
    for (std::int64_t i = 0; i < n; ++i) s += a[i];
    return s;
  }
  if (n <= 128) {
    double r[8];
    for (int j = 0; j < 8; ++j) r[j] = a[j];
    std::int64_t i = 8;
    for (; i < n - (n % 8); i += 8)
      for (int j = 0; j < 8; ++j) r[j] += a[i + j];
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; ++i) s += a[i];
    return s;
  }
  std::int64_t n2 = n / 2;
  n2 -= n2 % 8;
  return numpy_sum(a, n2) + numpy_sum(a + n2, n - n2);
}

// getGaussianKernelBitExact of OpenCV (smooth.dispatch.cpp), in IEEE double: OpenCV's softdouble
// arithmetic is IEEE double arithmetic; only exp() may differ in the last bit.
std::vector<double> opencv_gaussian(int n, double sigma) {
  if (sigma <= 0) {
    switch (n) {
      case 1:
        return {1.0};
      case 3:
        return {0.25, 0.5, 0.25};
      case 5:
        return {0.0625, 0.25, 0.375, 0.25, 0.0625};
      case 7:
        return {0.03125, 0.109375, 0.21875, 0.28125, 0.21875, 0.109375, 0.03125};
      case 9: {
        std::vector<double> v{4, 13, 30, 51, 60, 51, 30, 13, 4};
        for (double& t : v) t /= 256;
        return v;
      }
      default:
        break;
    }
  }
  // sigma = 0.3*((n-1)*0.5 - 1) + 0.8 = 0.15 n + 0.35, as one fused multiply-add (softdouble
  // mulAdd).
  const double s = sigma > 0 ? sigma : std::fma(double(n), 0.15, 0.35);
  const double scale2 = -0.125 / (s * s);  // exp(-(x/2)^2 / (2 s^2)) with x = 2i - (n-1)
  const int half = (n - 1) / 2;
  std::vector<double> values(static_cast<std::size_t>(half));
  double sum = 0;
  for (int i = 0, x = 1 - n; i < half; ++i, x += 2) {
    values[std::size_t(i)] = std::exp(double(x) * double(x) * scale2);  // = int x*x, exact
    sum += values[std::size_t(i)];
  }
  sum *= 2;
  sum += 1;  // the centre tap, exp(0)
  if (n % 2 == 0) sum += 1;
  const double mul = 1 / sum;
  std::vector<double> k(static_cast<std::size_t>(n));
  for (int i = 0; i < half; ++i)
    k[std::size_t(i)] = k[std::size_t(n - 1 - i)] = values[std::size_t(i)] * mul;
  k[std::size_t(half)] = mul;
  if (n % 2 == 0) k[std::size_t(half + 1)] = mul;
  return k;
}

// getGaussianKernelFixedPoint_ED: taps as integers k / 2^bits summing to exactly 2^bits. Error
// diffusion from the outermost tap inwards (cvRound: half to even), the centre takes the rest.
std::vector<double> fixed_point_taps(const std::vector<double>& k, int bits) {
  const auto n = std::int64_t(k.size());
  const double one = std::ldexp(1.0, bits);
  std::vector<double> q(k.size());
  double err = 0, sum = 0;
  for (std::int64_t i = 0; i < n / 2; ++i) {
    const double adj = k[std::size_t(i)] * one + err;
    const double v = std::nearbyint(adj);
    err = adj - v;
    q[std::size_t(i)] = q[std::size_t(n - 1 - i)] = v;
    sum += v;
  }
  q[std::size_t(n / 2)] = one - 2 * sum;
  for (double& t : q) t /= one;  // exact: dyadic
  return q;
}

std::vector<double> as_float32(std::vector<double> v) {
  for (double& t : v) t = double(float(t));
  return v;
}

// OpenCV's automatic kernel size: cvRound(sigma * (u8 ? 3 : 4) * 2 + 1) | 1.
int ksize_from_sigma(double sigma, DType depth, const char* name) {
  const double k = sigma * (depth == DType::u8 ? 3 : 4) * 2 + 1;
  if (!(k < double(2 * kMaxRadius))) detail::fail(name, sigma, " gives a kernel too large");
  return int(std::nearbyint(k)) | 1;
}

}  // namespace

Tensor gaussian_kernel1d(double sigma, int order, int radius, double truncate) {
  imgf::require_positive("sigma", sigma);
  if (order < 0 || order > 3) detail::fail("order", order, " is not 0, 1, 2 or 3");
  if (radius < 0) {
    imgf::require_nonnegative("truncate", truncate);
    const double r = truncate * sigma + 0.5;
    if (!(r < kMaxRadius))
      detail::fail("sigma", sigma, " with truncate ", truncate, " gives a radius too large");
    radius = int(r);
  }
  if (radius > kMaxRadius) detail::fail("radius", radius, " is too large");
  const double sigma2 = sigma * sigma;
  const std::int64_t n = 2 * std::int64_t(radius) + 1;
  std::vector<double> phi(static_cast<std::size_t>(n));
  const double c = -0.5 / sigma2;
  for (std::int64_t i = 0; i < n; ++i) {
    const double x = double(i - radius);
    phi[std::size_t(i)] = std::exp(c * (x * x));
  }
  const double total = numpy_sum(phi.data(), n);
  for (double& p : phi) p = p / total;
  if (order > 0) {
    // f(x) = q(x) phi(x); each derivative maps q to q' + q p' with p'(x) = -x / sigma^2:
    // q_new[i] = -q[i-1] / sigma^2 + (i+1) q[i+1] (SciPy's Q_deriv = D + P applied `order` times).
    std::vector<double> q(static_cast<std::size_t>(order + 1), 0.0);
    q[0] = 1;
    const double p = 1 / -sigma2;
    for (int step = 0; step < order; ++step) {
      std::vector<double> next(q.size(), 0.0);
      for (int i = 0; i <= order; ++i) {
        double v = 0;
        if (i >= 1) v += p * q[std::size_t(i - 1)];
        if (i + 1 <= order) v += double(i + 1) * q[std::size_t(i + 1)];
        next[std::size_t(i)] = v;
      }
      q = next;
    }
    for (std::int64_t i = 0; i < n; ++i) {
      const double x = double(i - radius);
      double poly = 0, xk = 1;
      for (int k = 0; k <= order; ++k, xk *= x) poly += xk * q[std::size_t(k)];
      phi[std::size_t(i)] = poly * phi[std::size_t(i)];
    }
  }
  return imgf::f64_vector(phi);
}

Tensor get_gaussian_kernel(int ksize, double sigma, DType dtype) {
  if (ksize < 1 || ksize > 2 * kMaxRadius) detail::fail("ksize", ksize, " must be >= 1");
  imgf::require_finite("sigma", sigma);
  if (dtype != DType::f32 && dtype != DType::f64)
    detail::fail("dtype", dtype_name(dtype), " is not f32 or f64 (OpenCV's ktype)");
  std::vector<double> k = opencv_gaussian(ksize, sigma);
  if (dtype == DType::f64) return imgf::f64_vector(k);
  Tensor t(DType::f32, {std::int64_t(ksize)});
  for (int i = 0; i < ksize; ++i) t.data_as<float>()[i] = float(k[std::size_t(i)]);
  return t;
}

void gaussian_blur(ConstTensorView src, TensorView dst, KSize ksize, double sigma_x,
                   double sigma_y, Border border, const ImageOptions& options) {
  imgf::check_image(src);
  imgf::check_dst(src, dst, src.dtype());
  imgf::require_nonnegative("sigma_x", sigma_x);
  imgf::require_nonnegative("sigma_y", sigma_y);
  auto check_ksize = [](int k, const char* name) {
    if (k < 0 || (k > 0 && k % 2 == 0))
      detail::fail(name, k, " must be positive and odd, or 0 to derive it from sigma");
    if (k > 2 * kMaxRadius) detail::fail(name, k, " is too large");
  };
  check_ksize(ksize.width, "ksize.width");
  check_ksize(ksize.height, "ksize.height");
  const DType depth = src.dtype();
  const auto [rows, cols] = imgf::image_hw(src, options.layout);
  if (border != Border::constant) {  // OpenCV: a 1-pixel axis gets a 1-tap kernel
    if (rows == 1) ksize.height = 1;
    if (cols == 1) ksize.width = 1;
  }
  if (sigma_y == 0) sigma_y = sigma_x;
  if (ksize.width == 0) {
    if (sigma_x == 0) detail::fail("sigma_x", "must be > 0 when ksize.width is 0");
    ksize.width = ksize_from_sigma(sigma_x, depth, "sigma_x");
  }
  if (ksize.height == 0) {
    if (sigma_y == 0) detail::fail("sigma_y", "must be > 0 when ksize.height is 0");
    ksize.height = ksize_from_sigma(sigma_y, depth, "sigma_y");
  }
  if (ksize.width == 1 && ksize.height == 1) return imgf::copy_into(src, dst);  // OpenCV copies

  std::vector<double> kx = opencv_gaussian(ksize.width, sigma_x);
  std::vector<double> ky = ksize.height == ksize.width && std::abs(sigma_x - sigma_y) < DBL_EPSILON
                               ? kx
                               : opencv_gaussian(ksize.height, sigma_y);
  Filter2dOptions f;
  f.border = border;
  f.layout = options.layout;
  f.plan = options.plan;
  if (depth == DType::u8 || depth == DType::u16) {
    // OpenCV's GaussianBlurFixedPoint: ufixedpoint16 (8 fraction bits) taps for u8,
    // ufixedpoint32 (16 bits) for u16; the exact sum is rounded half up.
    const int bits = depth == DType::u8 ? 8 : 16;
    kx = fixed_point_taps(kx, bits);
    ky = fixed_point_taps(ky, bits);
    f.rounding = Rounding::half_up;
  } else if (depth != DType::f64) {
    kx = as_float32(kx);  // OpenCV's kernels are CV_32F unless the image is CV_64F
    ky = as_float32(ky);
  }
  sep_filter2d(src, dst, imgf::f64_vector(kx), imgf::f64_vector(ky), f);
}

Tensor gaussian_blur(ConstTensorView src, KSize ksize, double sigma_x, double sigma_y,
                     Border border, const ImageOptions& options) {
  imgf::check_image(src);
  Tensor out = imgf::like(src, src.dtype());
  gaussian_blur(src, out.view(), ksize, sigma_x, sigma_y, border, options);
  return out;
}

Tensor unsharp_mask(ConstTensorView src, double sigma, double amount, double threshold,
                    Border border, const ImageOptions& options) {
  imgf::check_image(src);
  imgf::require_positive("sigma", sigma);
  imgf::require_nonnegative("amount", amount);
  imgf::require_nonnegative("threshold", threshold);
  Tensor blurred = gaussian_blur(src, {0, 0}, sigma, sigma, border, options);
  const double a = amount, t = threshold;
  return imgf::map2(src, blurred, src.dtype(), Rounding::saturate, [a, t](double s, double b) {
    return std::abs(s - b) < t ? s : s * (1 + a) - b * a;
  });
}

namespace ndimage {

namespace {

// gaussian_filter1d's pass: correlation with _gaussian_kernel1d reversed, or nullopt for an axis
// SciPy skips (sigma <= 1e-15).
std::optional<ndi::Pass> gaussian_pass(double sigma, int order, int radius, double truncate) {
  if (!(sigma > 1e-15)) return std::nullopt;
  Tensor k = gaussian_kernel1d(sigma, order, radius, truncate);
  std::vector<double> w = imgf::to_vector(k);
  std::reverse(w.begin(), w.end());
  return ndi::Pass{std::move(w), 0, 1.0};
}

void check_sigma(std::array<double, 2> sigma) {
  imgf::require_nonnegative("sigma", sigma[0]);
  imgf::require_nonnegative("sigma", sigma[1]);
}

}  // namespace

Tensor gaussian_filter(ConstTensorView input, std::array<double, 2> sigma, std::array<int, 2> order,
                       double truncate, std::array<int, 2> radius, const Options& options) {
  const DType out = ndi::prepare(input, options);
  check_sigma(sigma);
  imgf::require_nonnegative("truncate", truncate);
  for (int a = 0; a < 2; ++a) {
    if (order[a] < 0 || order[a] > 3) detail::fail("order", order[a], " is not 0, 1, 2 or 3");
    if (radius[a] < -1) detail::fail("radius", radius[a], " must be >= 0 (or -1: from truncate)");
  }
  return ndi::separable(input, gaussian_pass(sigma[0], order[0], radius[0], truncate),
                        gaussian_pass(sigma[1], order[1], radius[1], truncate), out, options, 0);
}

Tensor gaussian_laplace(ConstTensorView input, std::array<double, 2> sigma, double truncate,
                        const Options& options) {
  const DType out = ndi::prepare(input, options);
  check_sigma(sigma);
  imgf::require_nonnegative("truncate", truncate);
  // SciPy: output = gaussian_filter(order (2,0)) in the output dtype, += order (0,2).
  Tensor yy = gaussian_filter(input, sigma, {2, 0}, truncate, {-1, -1}, options);
  Tensor xx = gaussian_filter(input, sigma, {0, 2}, truncate, {-1, -1}, options);
  return ndi::add(yy, xx, out);
}

Tensor gaussian_gradient_magnitude(ConstTensorView input, std::array<double, 2> sigma,
                                   double truncate, const Options& options) {
  const DType out = ndi::prepare(input, options);
  check_sigma(sigma);
  imgf::require_nonnegative("truncate", truncate);
  Tensor g0 = gaussian_filter(input, sigma, {1, 0}, truncate, {-1, -1}, options);
  Tensor g1 = gaussian_filter(input, sigma, {0, 1}, truncate, {-1, -1}, options);
  if (!is_integer(out))
    return imgf::map2(g0, g1, out, Rounding::wrap,
                      [](double a, double b) { return std::sqrt(a * a + b * b); });
  // NumPy in the integer dtype: squares and their sum wrap; sqrt then truncates (a negative
  // wrapped sum gives NaN, stored as 0). Float16/float32 sqrt truncates like double here.
  const int bits = int(dtype_size(out)) * 8;
  const bool is_signed = out == DType::i16;
  auto wrap = [bits, is_signed](double v) {
    const auto m = std::int64_t(1) << bits;
    std::int64_t r = ((std::int64_t(v) % m) + m) % m;
    if (is_signed && r >= m / 2) r -= m;
    return double(r);
  };
  return imgf::map2(g0, g1, out, Rounding::wrap, [&](double a, double b) {
    const double s = wrap(wrap(a * a) + wrap(b * b));
    return s < 0 ? std::nan("") : std::sqrt(s);
  });
}

}  // namespace ndimage

}  // namespace convkit
