// Box filters: cv::boxFilter / cv::blur (with OpenCV's own rounding of the window mean for
// integer outputs) and scipy.ndimage.uniform_filter. The window sums run as sep_filter2d with
// kernels of ones (the planner's `box` algorithm: running sums, exact for integer images).
#include <cmath>
#include <limits>
#include <type_traits>

#include "api/image_filters_internal.h"
#include "convkit/error.h"
#include "convkit/image_filters.h"
#include "util/convert.h"

namespace convkit {

namespace {

// OpenCV's createBoxFilter keeps the window sums in int32 ("CV_32S") for integer images when
// N = width * height is at most this; above, the sums are doubles.
std::int64_t int32_sum_limit(DType src) {
  switch (src) {
    case DType::u8:
      return std::int64_t(1) << 23;
    case DType::u16:
      return std::int64_t(1) << 15;
    case DType::i16:
      return std::int64_t(1) << 16;
    default:
      return 0;
  }
}

// ColumnSum<ushort, uchar> (u8 -> u8, N <= 256) divides by N as ((s + dd) * ds) >> 23 with
// ds ~ 2^23 / N rounded to nearest and dd = N/2, plus 1 when ds was rounded down.
std::pair<std::int64_t, std::int64_t> opencv_u8_divisor(std::int64_t n) {
  const double scalef = double(1 << 23) / double(n);
  std::int64_t ds = std::int64_t(std::floor(scalef)), dd = n / 2;
  if (scalef - double(ds) < 0.5)
    ++dd;
  else
    ++ds;
  return {ds, dd};
}

// The other normalised integer outputs from the exact window sums, as OpenCV computes them.
// `row` = samples per image row in memory order (W*C for HWC, W otherwise): OpenCV's column
// filter converts the first floor(row/8)*8 samples of a row with float32 SIMD lanes and the
// rest with a double multiply. `S` is the type the sums came in (f32 where exact, else f64).
template <class S>
void opencv_box_mean(ConstTensorView sums, Tensor& out, DType src, std::int64_t n,
                     std::int64_t row) {
  const double scale = 1.0 / double(n);
  const DType dst = out.dtype();
  const S* s = sums.data_as<S>();
  const std::int64_t rows = sums.numel() / row;
  const bool lanes = is_integer(src) && n <= int32_sum_limit(src);
  const std::int64_t simd = lanes ? row / 8 * 8 : 0;
  const float fscale = float(scale);
  visit_dtype(dst, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, std::int32_t>) {
      T* o = out.data_as<T>();
      for (std::int64_t r = 0; r < rows; ++r, s += row, o += row) {
        for (std::int64_t j = 0; j < simd; ++j)  // v_round(v_cvt_f32(sum) * (float)scale)
          o[j] = saturate_round<T>(double(float(s[j]) * fscale));
        for (std::int64_t j = simd; j < row; ++j) o[j] = saturate_round<T>(double(s[j]) * scale);
      }
    }
  });
}

}  // namespace

void box_filter(ConstTensorView src, TensorView out, KSize ksize, Anchor anchor, bool normalize,
                Border border, const ImageOptions& options) {
  imgf::check_image(src);
  const DType dst = out.dtype();
  imgf::check_image_dtype(dst, "ddepth");
  if (ksize.width < 1) detail::fail("ksize.width", ksize.width, " must be >= 1");
  if (ksize.height < 1) detail::fail("ksize.height", ksize.height, " must be >= 1");
  constexpr int kMaxSize = 1 << 22;
  if (ksize.width > kMaxSize) detail::fail("ksize.width", ksize.width, " is too large");
  if (ksize.height > kMaxSize) detail::fail("ksize.height", ksize.height, " is too large");
  const std::int64_t n = std::int64_t(ksize.width) * ksize.height;
  Filter2dOptions f;
  f.anchor = anchor;
  f.border = border;
  f.layout = options.layout;
  f.plan = options.plan;
  std::vector<double> ones_x(static_cast<std::size_t>(ksize.width), 1.0);
  std::vector<double> ones_y(static_cast<std::size_t>(ksize.height), 1.0);
  if (!normalize || n == 1 || !is_integer(dst)) {
    // Float outputs: sum * (1/N); unnormalised integer outputs: the exact sum, saturated.
    if (normalize) {
      const double scale = 1.0 / double(n);
      for (double& t : ones_x) t *= scale;
    }
    return sep_filter2d(src, out, imgf::f64_vector(ones_x), imgf::f64_vector(ones_y), f);
  }
  if (src.dtype() == DType::u8 && dst == DType::u8 && n <= 256) {
    // OpenCV's ((s + dd) * ds) >> 23 = floor(s * ds/2^23 + dd * ds/2^23): dyadic taps and delta,
    // so sep_filter2d computes it exactly and Rounding::half_up (floor(v + 0.5)) floors it.
    const auto [ds, dd] = opencv_u8_divisor(n);
    for (double& t : ones_x) t = std::ldexp(double(ds), -23);
    f.delta = std::ldexp(double(dd * ds), -23) - 0.5;
    f.rounding = Rounding::half_up;  // saturates at 255 where OpenCV 5.0 wraps 256 to 0 (n = 2)
    return sep_filter2d(src, out, imgf::f64_vector(ones_x), imgf::f64_vector(ones_y), f);
  }
  const std::int64_t row_samples =
      imgf::image_hw(src, options.layout).second *
      (src.rank() == 3 && options.layout == Layout::HWC ? src.dim(2) : 1);
  if (src.dtype() == DType::u8 && dst == DType::u8 && n < 4096 && row_samples % 8 == 0 &&
      options.plan.algorithm == Algorithm::automatic) {
    // Rows of whole 8-sample groups: OpenCV rounds every sample as v_round(float(sum) *
    // float(1/N)), which is exactly the box algorithm's f32 scaling (exact int32 sums, one f32
    // multiply, round half to even) for N < 4096, so one pass gives OpenCV's numbers.
    for (double& t : ones_x) t = 1.0 / double(n);
    f.plan.algorithm = Algorithm::box;
    return sep_filter2d(src, out, imgf::f64_vector(ones_x), imgf::f64_vector(ones_y), f);
  }
  // Window sums: exact in f32 for integer images while max|sample| * N < 2^24, else in f64.
  const double max_abs = src.dtype() == DType::u8 ? 255 : src.dtype() == DType::u16 ? 65535 : 32768;
  const bool f32_exact = is_integer(src.dtype()) && max_abs * double(n) < double(1 << 24);
  Tensor sums = sep_filter2d(src, f32_exact ? DType::f32 : DType::f64, imgf::f64_vector(ones_x),
                             imgf::f64_vector(ones_y), f);
  // The sums are contiguous in src's shape; so is the mean, copied into `out` if it is not.
  Tensor mean = imgf::like(src, dst);
  if (f32_exact)
    opencv_box_mean<float>(sums, mean, src.dtype(), n, row_samples);
  else
    opencv_box_mean<double>(sums, mean, src.dtype(), n, row_samples);
  copy(mean.cview(), out);
}

Tensor box_filter(ConstTensorView src, std::optional<DType> ddepth, KSize ksize, Anchor anchor,
                  bool normalize, Border border, const ImageOptions& options) {
  Tensor out = imgf::output_like(src, ddepth);
  box_filter(src, out.view(), ksize, anchor, normalize, border, options);
  return out;
}

Tensor box_filter(ConstTensorView src, int ddepth, KSize ksize, Anchor anchor, bool normalize,
                  Border border, const ImageOptions& options) {
  return box_filter(src, opencv_depth(ddepth), ksize, anchor, normalize, border, options);
}

Tensor blur(ConstTensorView src, KSize ksize, Anchor anchor, Border border,
            const ImageOptions& options) {
  return box_filter(src, std::nullopt, ksize, anchor, true, border, options);
}

namespace ndimage {

Tensor uniform_filter(ConstTensorView input, std::array<std::int64_t, 2> size,
                      std::array<std::int64_t, 2> origin, const Options& options) {
  const DType out = ndi::prepare(input, options);
  std::optional<ndi::Pass> pass[2];
  for (int a = 0; a < 2; ++a) {
    if (size[a] < 1) detail::fail("size", size[a], " must be >= 1");
    if (size[a] > (std::int64_t(1) << 24)) detail::fail("size", size[a], " is too large");
    if (size[a] == 1) continue;  // SciPy skips axes of size 1
    const std::int64_t lo = -(size[a] / 2), hi = (size[a] - 1) / 2;
    if (origin[a] < lo || origin[a] > hi)
      detail::fail("origin", origin[a], " is outside [", lo, ", ", hi, "] for size ", size[a]);
    pass[a] = ndi::Pass{std::vector<double>(std::size_t(size[a]), 1.0), origin[a], double(size[a])};
  }
  return ndi::separable(input, pass[0], pass[1], out, options, 0);
}

}  // namespace ndimage

}  // namespace convkit
