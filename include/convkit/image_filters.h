#pragma once
/// \file image_filters.h
/// The classic image filters with the numbers of OpenCV (`convkit::`) and SciPy
/// (`convkit::ndimage::`). Every filter builds its kernels and runs `sep_filter2d` or `filter2d`,
/// so each uses the planner's algorithms (separable, box, direct, ...).
///
///   // cv2.GaussianBlur(img, (0, 0), 2.0): bit-exact for u8 and u16 images
///   convkit::Tensor smooth = convkit::gaussian_blur(img, {0, 0}, 2.0);
///   // cv2.Sobel(img, cv2.CV_16S, 1, 0, ksize=3)
///   convkit::Tensor dx = convkit::sobel(img, convkit::DType::i16, 1, 0);
///   // scipy.ndimage.gaussian_filter(a, sigma=(2, 1), order=(0, 1), mode='nearest')
///   convkit::Tensor g = convkit::ndimage::gaussian_filter(
///       a, {2, 1}, {0, 1}, 4.0, {-1, -1}, {.mode = convkit::Border::replicate});

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

#include "convkit/filters.h"
#include "convkit/plan.h"
#include "convkit/tensor.h"

namespace convkit {

// ------------------------------------------------------------------------------------------------
// Kernel builders (1-D f64 tensors unless a dtype is given)
// ------------------------------------------------------------------------------------------------

/// `scipy.ndimage._filters._gaussian_kernel1d(sigma, order, radius)`: the taps at
/// x = -radius..radius of the `order`-th derivative (0..3) of a Gaussian normalised to sum 1:
/// phi(x) = exp(-x^2 / (2 sigma^2)) / sum(phi), times the polynomial q(x) of the derivative.
/// `radius` < 0 means SciPy's default `int(truncate * sigma + 0.5)`. `gaussian_filter1d`
/// correlates with this kernel reversed (= convolves with it). Same numbers as NumPy to a few
/// ulp (NumPy's exp and pairwise sum are not bit-reproducible across machines).
Tensor gaussian_kernel1d(double sigma, int order = 0, int radius = -1, double truncate = 4.0);

/// `cv::getGaussianKernel(ksize, sigma, ktype)`: `ksize` taps (any ksize >= 1) exp(-x^2/(2s^2))
/// normalised to sum 1, computed in OpenCV's order (multiply by the reciprocal of the sum).
/// sigma <= 0 means s = 0.3*((ksize-1)*0.5 - 1) + 0.8, except for ksize 1, 3, 5, 7 and 9 where
/// OpenCV uses its fixed tables ([1], [1 2 1]/4, [1 4 6 4 1]/16, [2 7 14 18 14 7 2]/64,
/// [4 13 30 51 60 51 30 13 4]/256; OpenCV 5 added the 9-tap one). dtype: f32 or f64.
Tensor get_gaussian_kernel(int ksize, double sigma, DType dtype = DType::f64);

/// OpenCV's FILTER_SCHARR: pass as `ksize` to get_deriv_kernels / sobel for the 3x3 Scharr kernel.
inline constexpr int kFilterScharr = -1;

/// `cv::getDerivKernels(dx, dy, ksize, normalize, ktype)`: {kx, ky}, the row (x) and column (y)
/// factors of the Sobel kernel for derivative orders dx, dy. ksize 1, 3, 5, ..., 31; ksize 1 is
/// the 3-tap kernel for an axis with a derivative ([-1 0 1] or [1 -2 1]) and [1] for an axis
/// without. ksize = kFilterScharr (-1): Scharr, dx + dy == 1, [-1 0 1] and [3 10 3].
/// normalize: the smoothing taps sum to 1 and derivative taps are scaled like OpenCV
/// (1 / 2^(ksize - order - 1); Scharr: 1/32 on the smoothing factor only). dtype f32 or f64.
std::pair<Tensor, Tensor> get_deriv_kernels(int dx, int dy, int ksize, bool normalize = false,
                                            DType dtype = DType::f32);

// ------------------------------------------------------------------------------------------------
// OpenCV family: HxW or HxWxC images, u8/u16/i16/f32/f64; ddepth nullopt / -1 = same as src.
// Integer outputs round half to even and saturate (cv::saturate_cast) unless said otherwise.
// ------------------------------------------------------------------------------------------------

/// cv::Size: width (columns, x) and height (rows, y).
struct KSize {
  int width = 0, height = 0;
};

/// Options shared by the OpenCV-style filters besides the border.
struct ImageOptions {
  Layout layout = Layout::HWC;  ///< rank-3 input: HWC (OpenCV) or CHW
  PlanOptions plan{};
};

/// `cv::GaussianBlur(src, dst, ksize, sigmaX, sigmaY, borderType)`.
/// - sigma_y == 0 means sigma_y = sigma_x (negative sigmas are rejected; OpenCV clamps them
///   to 0). A ksize of 0 is derived from its sigma as OpenCV does,
///   `cvRound(sigma * (u8 ? 3 : 4) * 2 + 1) | 1`; otherwise ksize must be positive and odd.
///   For a border other than constant, an axis of length 1 gets ksize 1 (OpenCV's rule).
/// - u8 and u16 images take OpenCV's bit-exact fixed-point path (OpenCV takes it on the CPU for
///   every whole u8/u16 image, whatever the border, ksize and sigma; only an ROI of a larger Mat
///   without BORDER_ISOLATED, OpenCL or a vendor HAL go elsewhere): the kernels are quantised to
///   k/2^8 (u8, ufixedpoint16) or k/2^16 (u16, ufixedpoint32) by error diffusion from the
///   outside in, the centre tap taking the remainder so the taps sum to exactly 1, and the
///   exact result is rounded half up (ufixedpoint -> integer). convkit runs sep_filter2d with
///   those taps and Rounding::half_up: identical to cv2.GaussianBlur bit for bit.
/// - i16, f32 and f64 use the float kernels (f32 taps unless the image is f64) and round half
///   to even, like OpenCV's sepFilter2D (OpenCV accumulates in float: +-1 at near-ties).
/// - Borders: constant (0), replicate, reflect, mirror (BORDER_REFLECT_101, default), wrap.
Tensor gaussian_blur(ConstTensorView src, KSize ksize, double sigma_x, double sigma_y = 0,
                     Border border = Border::mirror, const ImageOptions& options = {});
/// The same into `dst` (src's shape and dtype), as OpenCV's dst: no copy, no allocation.
void gaussian_blur(ConstTensorView src, TensorView dst, KSize ksize, double sigma_x,
                   double sigma_y = 0, Border border = Border::mirror,
                   const ImageOptions& options = {});

/// `cv::boxFilter(src, dst, ddepth, ksize, anchor, normalize, borderType)`: the sum over a
/// ksize window (anchor as filter2d), divided by width*height when `normalize`.
/// Integer outputs of the normalised filter follow OpenCV's own arithmetic on the exact integer
/// window sum s (N = width*height), bit-exact with cv2.boxFilter / cv2.blur:
/// - u8 -> u8 with 2 <= N <= 256: `((s + dd) * ds) >> 23` with OpenCV's divisor constants
///   (ds = round(2^23/N), dd = N/2 + 1 if 2^23/N rounded down else N/2). This is NOT the same
///   as filter2D with 1/N taps: it rounds half up, and for power-of-two N it rounds up from
///   (N/2 - 1)/N (e.g. N = 4: 10/4 -> 3). One deliberate difference: OpenCV 5.0 wraps
///   (255 + 255)/2 to 0 for N = 2; convkit saturates to 255.
/// - other integer outputs with integer images: round half to even of float32(s) * float32(1/N)
///   for the first floor(W*C/8)*8 samples of each row (OpenCV's SIMD lanes) and of s * (1/N)
///   in double for the rest, as OpenCV does; large N (u8 > 2^23, u16 > 2^15, i16 > 2^16) and
///   float images: round half to even of s * (1/N) in double.
/// Borders: constant (0), replicate, reflect, mirror, and wrap (a convkit extension: OpenCV's
/// box filter refuses BORDER_WRAP).
Tensor box_filter(ConstTensorView src, std::optional<DType> ddepth, KSize ksize, Anchor anchor = {},
                  bool normalize = true, Border border = Border::mirror,
                  const ImageOptions& options = {});
Tensor box_filter(ConstTensorView src, int ddepth, KSize ksize, Anchor anchor = {},
                  bool normalize = true, Border border = Border::mirror,
                  const ImageOptions& options = {});
/// The same into `dst` (src's shape; its dtype is the output depth).
void box_filter(ConstTensorView src, TensorView dst, KSize ksize, Anchor anchor = {},
                bool normalize = true, Border border = Border::mirror,
                const ImageOptions& options = {});

/// `cv::blur(src, dst, ksize, anchor, borderType)` = box_filter(src, -1, ksize, anchor, true).
Tensor blur(ConstTensorView src, KSize ksize, Anchor anchor = {}, Border border = Border::mirror,
            const ImageOptions& options = {});

/// `cv::Sobel(src, dst, ddepth, dx, dy, ksize, scale, delta, borderType)`: sep_filter2d with
/// get_deriv_kernels(dx, dy, ksize) in f32 (f64 when src or dst is f64), `scale` multiplied into
/// the smoothing factor when dx == 0, else into the y factor (OpenCV's choice), then + delta.
/// dx, dy >= 0, dx + dy >= 1, each order < its kernel size; ksize 1, 3, ..., 31 or
/// kFilterScharr. Integer images with integer taps (scale 1) are exact.
Tensor sobel(ConstTensorView src, std::optional<DType> ddepth, int dx, int dy, int ksize = 3,
             double scale = 1, double delta = 0, Border border = Border::mirror,
             const ImageOptions& options = {});
Tensor sobel(ConstTensorView src, int ddepth, int dx, int dy, int ksize = 3, double scale = 1,
             double delta = 0, Border border = Border::mirror, const ImageOptions& options = {});
/// The same into `dst` (src's shape; its dtype is the output depth).
void sobel(ConstTensorView src, TensorView dst, int dx, int dy, int ksize = 3, double scale = 1,
           double delta = 0, Border border = Border::mirror, const ImageOptions& options = {});

/// `cv::Scharr(src, dst, ddepth, dx, dy, scale, delta, borderType)` = sobel(..., kFilterScharr):
/// dx + dy == 1, kernels [-1 0 1] and [3 10 3].
Tensor scharr(ConstTensorView src, std::optional<DType> ddepth, int dx, int dy, double scale = 1,
              double delta = 0, Border border = Border::mirror, const ImageOptions& options = {});
Tensor scharr(ConstTensorView src, int ddepth, int dx, int dy, double scale = 1, double delta = 0,
              Border border = Border::mirror, const ImageOptions& options = {});
void scharr(ConstTensorView src, TensorView dst, int dx, int dy, double scale = 1, double delta = 0,
            Border border = Border::mirror, const ImageOptions& options = {});

/// `cv::Laplacian(src, dst, ddepth, ksize, scale, delta, borderType)`. ksize 1: filter2d with
/// [0 1 0; 1 -4 1; 0 1 0]; ksize 3: [2 0 2; 0 -8 0; 2 0 2] (= d2/dx2 + d2/dy2 of the 3x3
/// Sobel, as OpenCV has it); ksize 5..31: the sum of the second Sobel derivatives
/// kd(x) ks(y) + ks(x) kd(y) (get_deriv_kernels(2, 0, ksize)), times scale, plus delta.
Tensor laplacian(ConstTensorView src, std::optional<DType> ddepth, int ksize = 1, double scale = 1,
                 double delta = 0, Border border = Border::mirror,
                 const ImageOptions& options = {});
Tensor laplacian(ConstTensorView src, int ddepth, int ksize = 1, double scale = 1, double delta = 0,
                 Border border = Border::mirror, const ImageOptions& options = {});
void laplacian(ConstTensorView src, TensorView dst, int ksize = 1, double scale = 1,
               double delta = 0, Border border = Border::mirror, const ImageOptions& options = {});

/// sqrt(gx^2 + gy^2) with gx = Sobel(src, F, 1, 0, ksize), gy = Sobel(src, F, 0, 1, ksize) and
/// F = f64 for f64 images, else f32 (the output dtype): `cv2.magnitude(gx, gy)`.
/// ksize as sobel (kFilterScharr for Scharr derivatives).
Tensor gradient_magnitude(ConstTensorView src, int ksize = 3, Border border = Border::mirror,
                          const ImageOptions& options = {});

/// Unsharp masking, OpenCV style (the recipe in OpenCV's documentation):
///   blurred   = gaussian_blur(src, {0, 0}, sigma)          (bit-exact as above)
///   sharpened = src * (1 + amount) - blurred * amount      (computed in double)
///   where |src - blurred| < threshold: sharpened = src     (threshold 0: everywhere sharpened)
/// Output dtype = src dtype; integers round half to even and saturate. sigma > 0, amount >= 0,
/// threshold >= 0.
Tensor unsharp_mask(ConstTensorView src, double sigma, double amount, double threshold = 0,
                    Border border = Border::mirror, const ImageOptions& options = {});

// ------------------------------------------------------------------------------------------------
// SciPy family: scipy.ndimage on 2-D arrays (u8, u16, i16, f32, f64)
// ------------------------------------------------------------------------------------------------

namespace ndimage {

/// ndimage's `mode` names: reflect / grid-mirror -> Border::reflect, mirror -> Border::mirror,
/// nearest -> Border::replicate, wrap / grid-wrap -> Border::wrap, constant / grid-constant ->
/// Border::constant (for filters the grid-* modes are the same as their plain names).
/// Throws convkit::Error("mode") for other names.
Border parse_mode(std::string_view name);

/// The arguments every ndimage filter takes besides its own.
struct Options {
  Border mode = Border::reflect;  ///< ndimage's default 'reflect' (half-sample)
  double cval = 0.0;              ///< the value outside the array for Border::constant
  /// The `output` dtype (nullopt: the input's). ndimage stores every 1-D pass in this dtype, so
  /// an integer output truncates toward zero (and wraps, as NumPy's cast) after each pass.
  std::optional<DType> output;
  PlanOptions plan{};
};

/// `scipy.ndimage.correlate1d(input, weights, axis, output, mode, cval, origin)` on an array of
/// rank 1..4 (any strides) into `output` (input's shape, f32 or f64), with SciPy's numbers bit
/// for bit: the taps are summed in NI_Correlate1D's order (Summation::ndimage_line).
/// -(T // 2) <= origin <= (T - 1) // 2 for T weights.
void correlate1d(ConstTensorView input, ConstTensorView weights, int axis, TensorView output,
                 Border mode = Border::reflect, double cval = 0.0, std::int64_t origin = 0);
/// `scipy.ndimage.correlate(input, weights, output, mode, cval, origin)`: weights of input's rank
/// (1..4), origins per axis; bit for bit SciPy's NI_Correlate (row-major taps, weights with
/// |w| <= DBL_EPSILON skipped). output: input's shape, f32 or f64.
void correlate(ConstTensorView input, ConstTensorView weights, TensorView output,
               Border mode, double cval, std::span<const std::int64_t> origins);

/// `scipy.ndimage.gaussian_filter(input, sigma, order, output, mode, cval, truncate, radius=)`.
/// sigma, order and radius per axis (y = axis 0, x = axis 1); an axis with sigma <= 1e-15 is
/// left alone (even with an order, as SciPy). Each axis: correlation with gaussian_kernel1d
/// reversed. Float outputs run as one sep_filter2d (two passes when mode is constant with
/// cval != 0, where SciPy's second pass extends the first pass's result by cval); integer
/// outputs run axis 0 then axis 1, each truncated into the output dtype, as SciPy does.
/// Integer outputs of inexact kernels can differ by 1 where an exact value lies within
/// rounding error of an integer (SciPy sums symmetric taps pairwise; the last bit decides
/// its truncation), e.g. a constant neighbourhood.
Tensor gaussian_filter(ConstTensorView input, std::array<double, 2> sigma,
                       std::array<int, 2> order = {0, 0}, double truncate = 4.0,
                       std::array<int, 2> radius = {-1, -1}, const Options& options = {});

/// `scipy.ndimage.uniform_filter(input, size, output, mode, cval, origin)`: the mean over a
/// size[0] x size[1] window centred at size//2 + origin (-(size//2) <= origin <= (size-1)//2).
/// Axes of size 1 are skipped. Integer outputs: the exact window sum of each pass divided by
/// the size and truncated (SciPy's running integer sum), so exact for integer inputs.
Tensor uniform_filter(ConstTensorView input, std::array<std::int64_t, 2> size,
                      std::array<std::int64_t, 2> origin = {0, 0}, const Options& options = {});

/// `scipy.ndimage.sobel(input, axis)`: correlation with [-1 0 1] along `axis` (0 or 1, -1 = 1)
/// then [1 2 1] along the other axis.
Tensor sobel(ConstTensorView input, int axis = -1, const Options& options = {});
/// `scipy.ndimage.prewitt(input, axis)`: [-1 0 1] along `axis`, then [1 1 1] along the other.
Tensor prewitt(ConstTensorView input, int axis = -1, const Options& options = {});
/// `scipy.ndimage.laplace(input)`: [1 -2 1] along axis 0 plus [1 -2 1] along axis 1 (each
/// pass in the output dtype, summed there).
Tensor laplace(ConstTensorView input, const Options& options = {});
/// `scipy.ndimage.gaussian_laplace(input, sigma)`: gaussian_filter with order (2, 0) plus
/// order (0, 2).
Tensor gaussian_laplace(ConstTensorView input, std::array<double, 2> sigma, double truncate = 4.0,
                        const Options& options = {});
/// `scipy.ndimage.gaussian_gradient_magnitude(input, sigma)`: sqrt(g0^2 + g1^2) with g0 =
/// gaussian_filter order (1, 0), g1 order (0, 1); for integer outputs squares and sum wrap in
/// the output dtype and the square root truncates, as NumPy computes them.
Tensor gaussian_gradient_magnitude(ConstTensorView input, std::array<double, 2> sigma,
                                   double truncate = 4.0, const Options& options = {});

}  // namespace ndimage

}  // namespace convkit
