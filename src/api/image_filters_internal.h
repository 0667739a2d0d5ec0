#pragma once
// Shared pieces of the image filters (gaussian.cpp, derivatives.cpp, box_filters.cpp): argument
// checks, small f64 kernels, whole-tensor element-wise helpers (no convolution here: every
// filter runs through filter2d / sep_filter2d), and SciPy ndimage's axis-by-axis passes.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <vector>

#include "convkit/filters.h"
#include "convkit/image_filters.h"
#include "convkit/tensor.h"

namespace convkit {

/// OpenCV depth codes (-1, CV_8U, CV_16U, CV_16S, CV_32F, CV_64F) -> dtype; in filter2d.cpp.
std::optional<DType> opencv_depth(int ddepth);

namespace imgf {

/// A contiguous f64 tensor with `shape` holding `values` (row-major).
Tensor f64_tensor(std::span<const double> values, std::initializer_list<std::int64_t> shape);
/// A 1-D f64 tensor.
inline Tensor f64_vector(std::span<const double> values) {
  return f64_tensor(values, {std::int64_t(values.size())});
}
/// The values of a 1-D tensor as doubles.
std::vector<double> to_vector(ConstTensorView v);

/// Checks an OpenCV-style image (HxW or HxWxC, non-empty, u8/u16/i16/f32/f64).
void check_image(ConstTensorView src, const char* name = "src");
/// An output dtype must be one of the image dtypes.
void check_image_dtype(DType t, const char* name);
/// The (rows, cols) of an image view for `layout`.
std::pair<std::int64_t, std::int64_t> image_hw(ConstTensorView src, Layout layout);
/// A new contiguous tensor with src's shape.
Tensor like(ConstTensorView src, DType dtype);
/// The result of an allocating OpenCV-style filter: src checked, ddepth (nullopt: src's dtype)
/// checked, a new tensor of src's shape.
Tensor output_like(ConstTensorView src, std::optional<DType> ddepth);
/// `dst` must have src's shape and the dtype `dtype` (an into-output call of a filter).
void check_dst(ConstTensorView src, TensorView dst, DType dtype);
/// copy(src, dst), also when dst overlaps src (in-place use, as OpenCV allows): through a
/// temporary then.
void copy_into(ConstTensorView src, TensorView dst);

/// `f(v)` on every element of `src` (as double), stored into a new tensor of `dtype` with
/// `rounding` for integer outputs.
Tensor map(ConstTensorView src, DType dtype, Rounding rounding,
           const std::function<double(double)>& f);
/// `f(a, b)` element-wise on two tensors of the same shape.
Tensor map2(ConstTensorView a, ConstTensorView b, DType dtype, Rounding rounding,
            const std::function<double(double, double)>& f);
/// NumPy's cast (float -> int truncates toward zero and wraps).
Tensor cast(ConstTensorView src, DType dtype);

/// Throws Error(name) unless v is finite (and > 0 / >= 0 when asked).
void require_finite(const char* name, double v);
void require_positive(const char* name, double v);
void require_nonnegative(const char* name, double v);

}  // namespace imgf

namespace ndi {

/// One 1-D correlation of SciPy's ndimage along an axis: out[i] = sum_j w[j] in[i + j - a] with
/// a = size/2 + origin, then divided by `divisor` (uniform_filter's exact-sum-then-divide).
struct Pass {
  std::vector<double> w;
  std::int64_t origin = 0;
  double divisor = 1.0;
};

/// Checks a 2-D ndimage input and the options; returns the output dtype.
DType prepare(ConstTensorView input, const ndimage::Options& o);

/// `scipy.ndimage.correlate1d(in, w, axis, output=out_dtype, mode, cval, origin)`: computed in
/// f64, stored in `out_dtype` by NumPy's cast (SciPy's per-pass rounding).
Tensor correlate1d(ConstTensorView in, const Pass& pass, int axis, DType out_dtype,
                   const ndimage::Options& o);

/// Passes along axis 0 and axis 1 (nullopt: that axis is skipped), the `first` axis first, each
/// stored in `out_dtype` as SciPy does. Float outputs run as one sep_filter2d when that gives
/// the same numbers (always, except mode constant with cval != 0).
Tensor separable(ConstTensorView in, const std::optional<Pass>& axis0,
                 const std::optional<Pass>& axis1, DType out_dtype, const ndimage::Options& o,
                 int first = 0);

/// NumPy's `a + b` in an integer dtype (wraps) or float dtype.
Tensor add(ConstTensorView a, ConstTensorView b, DType dtype);

}  // namespace ndi

}  // namespace convkit
