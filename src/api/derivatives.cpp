// Derivative filters: cv::getDerivKernels / Sobel / Scharr / Laplacian, the Sobel gradient
// magnitude, and scipy.ndimage's sobel / prewitt / laplace. Every filter runs sep_filter2d or
// filter2d with the kernels built here.
#include <cmath>
#include <vector>

#include "api/image_filters_internal.h"
#include "convkit/error.h"
#include "convkit/image_filters.h"

namespace convkit {

namespace {

// OpenCV's getSobelKernels for one axis: `ksize` taps (1, 3, ..., 31) of the order-th derivative,
// built as ksize-order-1 smoothing [1 1] convolutions and `order` differences [-1 1].
std::vector<double> sobel_taps(int order, int ksize) {
  if (ksize == 1) return {1.0};
  if (ksize == 3) {
    if (order == 0) return {1, 2, 1};
    if (order == 1) return {-1, 0, 1};
    return {1, -2, 1};
  }
  std::vector<double> k(static_cast<std::size_t>(ksize), 0.0);
  k[0] = 1;
  for (int i = 0; i < ksize - order - 1; ++i)  // k = k * [1 1]
    for (int j = ksize - 1; j >= 1; --j) k[std::size_t(j)] += k[std::size_t(j - 1)];
  for (int i = 0; i < order; ++i) {  // k = k * [-1 1]
    for (int j = ksize - 1; j >= 1; --j)
      k[std::size_t(j)] = k[std::size_t(j - 1)] - k[std::size_t(j)];
    k[0] = -k[0];
  }
  return k;
}

// The row (x) and column (y) factors, in double.
struct DerivKernels {
  std::vector<double> kx, ky;
};

void check_ksize(int ksize, const char* name) {
  if (ksize == kFilterScharr) return;
  if (ksize < 1 || ksize > 31 || ksize % 2 == 0)
    detail::fail(name, ksize, " must be 1, 3, 5, ..., 31, or -1 (FILTER_SCHARR)");
}

DerivKernels deriv_kernels(int dx, int dy, int ksize, bool normalize) {
  if (dx < 0) detail::fail("dx", dx, " must be >= 0");
  if (dy < 0) detail::fail("dy", dy, " must be >= 0");
  check_ksize(ksize, "ksize");
  DerivKernels k;
  if (ksize == kFilterScharr) {
    if (dx + dy != 1) detail::fail("dx", "Scharr needs dx + dy == 1, got dx=", dx, ", dy=", dy);
    for (int axis = 0; axis < 2; ++axis) {
      const int order = axis == 0 ? dx : dy;
      std::vector<double> t =
          order == 0 ? std::vector<double>{3, 10, 3} : std::vector<double>{-1, 0, 1};
      if (normalize && order == 0)
        for (double& v : t) v /= 32;
      (axis == 0 ? k.kx : k.ky) = t;
    }
    return k;
  }
  if (dx + dy == 0) detail::fail("dx", "dx + dy must be >= 1 (got dx=0, dy=0)");
  for (int axis = 0; axis < 2; ++axis) {
    const int order = axis == 0 ? dx : dy;
    const int size = ksize == 1 && order > 0 ? 3 : ksize;
    if (order >= size)
      detail::fail(axis == 0 ? "dx" : "dy", order, " needs a kernel larger than ", size, " (ksize ",
                   ksize, ")");
    std::vector<double> t = sobel_taps(order, size);
    if (normalize)
      for (double& v : t) v = std::ldexp(v, -(size - order - 1));
    (axis == 0 ? k.kx : k.ky) = t;
  }
  return k;
}

std::vector<double> round_to(std::vector<double> v, DType t) {
  if (t == DType::f32)
    for (double& x : v) x = double(float(x));
  return v;
}

// OpenCV's ktype for Sobel/Laplacian: CV_64F when the image or the output is, else CV_32F.
DType kernel_type(DType src, DType dst) {
  return src == DType::f64 || dst == DType::f64 ? DType::f64 : DType::f32;
}

Filter2dOptions cv_options(double delta, Border border, const ImageOptions& o) {
  Filter2dOptions f;
  f.delta = delta;
  f.border = border;
  f.layout = o.layout;
  f.plan = o.plan;
  return f;
}

}  // namespace

std::pair<Tensor, Tensor> get_deriv_kernels(int dx, int dy, int ksize, bool normalize,
                                            DType dtype) {
  if (dtype != DType::f32 && dtype != DType::f64)
    detail::fail("dtype", dtype_name(dtype), " is not f32 or f64 (OpenCV's ktype)");
  DerivKernels k = deriv_kernels(dx, dy, ksize, normalize);
  auto make = [dtype](const std::vector<double>& v) {
    Tensor t(dtype, {std::int64_t(v.size())});
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (dtype == DType::f32)
        t.data_as<float>()[i] = float(v[i]);
      else
        t.data_as<double>()[i] = v[i];
    }
    return t;
  };
  return {make(k.kx), make(k.ky)};
}

void sobel(ConstTensorView src, TensorView out, int dx, int dy, int ksize, double scale,
           double delta, Border border, const ImageOptions& options) {
  imgf::check_image(src);
  const DType dst = out.dtype();
  imgf::check_image_dtype(dst, "ddepth");
  imgf::require_finite("scale", scale);
  imgf::require_finite("delta", delta);
  DerivKernels k = deriv_kernels(dx, dy, ksize, false);
  const DType kt = kernel_type(src.dtype(), dst);
  if (scale != 1) {  // OpenCV scales the smoothing factor when dx == 0, else the y factor
    for (double& v : dx == 0 ? k.kx : k.ky) v *= scale;
  }
  sep_filter2d(src, out, imgf::f64_vector(round_to(k.kx, kt)),
               imgf::f64_vector(round_to(k.ky, kt)), cv_options(delta, border, options));
}

Tensor sobel(ConstTensorView src, std::optional<DType> ddepth, int dx, int dy, int ksize,
             double scale, double delta, Border border, const ImageOptions& options) {
  Tensor out = imgf::output_like(src, ddepth);
  sobel(src, out.view(), dx, dy, ksize, scale, delta, border, options);
  return out;
}

Tensor sobel(ConstTensorView src, int ddepth, int dx, int dy, int ksize, double scale, double delta,
             Border border, const ImageOptions& options) {
  return sobel(src, opencv_depth(ddepth), dx, dy, ksize, scale, delta, border, options);
}

void scharr(ConstTensorView src, TensorView dst, int dx, int dy, double scale, double delta,
            Border border, const ImageOptions& options) {
  sobel(src, dst, dx, dy, kFilterScharr, scale, delta, border, options);
}

Tensor scharr(ConstTensorView src, std::optional<DType> ddepth, int dx, int dy, double scale,
              double delta, Border border, const ImageOptions& options) {
  return sobel(src, ddepth, dx, dy, kFilterScharr, scale, delta, border, options);
}

Tensor scharr(ConstTensorView src, int ddepth, int dx, int dy, double scale, double delta,
              Border border, const ImageOptions& options) {
  return scharr(src, opencv_depth(ddepth), dx, dy, scale, delta, border, options);
}

void laplacian(ConstTensorView src, TensorView out, int ksize, double scale, double delta,
               Border border, const ImageOptions& options) {
  imgf::check_image(src);
  imgf::check_image_dtype(out.dtype(), "ddepth");
  imgf::require_finite("scale", scale);
  imgf::require_finite("delta", delta);
  if (ksize < 1 || ksize > 31 || ksize % 2 == 0)
    detail::fail("ksize", ksize, " must be 1, 3, 5, ..., 31");
  std::vector<double> taps;
  std::int64_t n = 3;
  if (ksize <= 3) {
    // OpenCV's CV_32F 3x3 kernels, multiplied by scale in float.
    taps = ksize == 1 ? std::vector<double>{0, 1, 0, 1, -4, 1, 0, 1, 0}
                      : std::vector<double>{2, 0, 2, 0, -8, 0, 2, 0, 2};
    for (double& t : taps) t = double(float(t * scale));
  } else {
    // d2x + d2y of the Sobel kernels (exact integers), then scale, as OpenCV's convertTo does.
    const std::vector<double> kd = sobel_taps(2, ksize), ks = sobel_taps(0, ksize);
    n = ksize;
    taps.resize(std::size_t(n * n));
    for (std::int64_t r = 0; r < n; ++r)
      for (std::int64_t s = 0; s < n; ++s)
        taps[std::size_t(r * n + s)] =
            (ks[std::size_t(r)] * kd[std::size_t(s)] + kd[std::size_t(r)] * ks[std::size_t(s)]) *
            scale;
  }
  Tensor kernel = imgf::f64_tensor(taps, {n, n});
  filter2d(src, out, kernel, cv_options(delta, border, options));
}

Tensor laplacian(ConstTensorView src, std::optional<DType> ddepth, int ksize, double scale,
                 double delta, Border border, const ImageOptions& options) {
  Tensor out = imgf::output_like(src, ddepth);
  laplacian(src, out.view(), ksize, scale, delta, border, options);
  return out;
}

Tensor laplacian(ConstTensorView src, int ddepth, int ksize, double scale, double delta,
                 Border border, const ImageOptions& options) {
  return laplacian(src, opencv_depth(ddepth), ksize, scale, delta, border, options);
}

Tensor gradient_magnitude(ConstTensorView src, int ksize, Border border,
                          const ImageOptions& options) {
  imgf::check_image(src);
  const DType f = src.dtype() == DType::f64 ? DType::f64 : DType::f32;
  Tensor gx = sobel(src, f, 1, 0, ksize, 1, 0, border, options);
  Tensor gy = sobel(src, f, 0, 1, ksize, 1, 0, border, options);
  return imgf::map2(gx, gy, f, Rounding::wrap,
                    [](double a, double b) { return std::sqrt(a * a + b * b); });
}

namespace ndimage {

namespace {

// SciPy's sobel / prewitt: [-1 0 1] along `axis` first, then `smooth` along the other axis.
Tensor edge_filter(ConstTensorView input, int axis, const Options& options,
                   std::vector<double> smooth) {
  const DType out = ndi::prepare(input, options);
  if (axis < -2 || axis > 1) detail::fail("axis", axis, " is not 0, 1, -1 or -2 for a 2-D array");
  if (axis < 0) axis += 2;
  ndi::Pass deriv{{-1, 0, 1}, 0, 1.0}, smoothing{std::move(smooth), 0, 1.0};
  return axis == 0 ? ndi::separable(input, deriv, smoothing, out, options, 0)
                   : ndi::separable(input, smoothing, deriv, out, options, 1);
}

}  // namespace

Tensor sobel(ConstTensorView input, int axis, const Options& options) {
  return edge_filter(input, axis, options, {1, 2, 1});
}

Tensor prewitt(ConstTensorView input, int axis, const Options& options) {
  return edge_filter(input, axis, options, {1, 1, 1});
}

Tensor laplace(ConstTensorView input, const Options& options) {
  const DType out = ndi::prepare(input, options);
  if (!is_integer(out)) {
    // [1 -2 1] down the columns plus along the rows is the 5-point stencil (the constant
    // border enters both exactly as in SciPy's two passes).
    const double k[9] = {0, 1, 0, 1, -4, 1, 0, 1, 0};
    Filter2dOptions f;
    f.border = options.mode;
    f.border_value = options.cval;
    f.plan = options.plan;
    return filter2d(input, out, imgf::f64_tensor(k, {3, 3}), f);
  }
  const ndi::Pass d2{{1, -2, 1}, 0, 1.0};
  Tensor a = ndi::correlate1d(input, d2, 0, out, options);
  Tensor b = ndi::correlate1d(input, d2, 1, out, options);
  return ndi::add(a, b, out);
}

}  // namespace ndimage

}  // namespace convkit
