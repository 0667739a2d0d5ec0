#pragma once
// The working arrays of a deconvolution: the image read into a contiguous T array (rank 1..3 as
// D x H x W), the boundary margins added and cut off again, checks and the final clip and store.
#include <vector>

#include "convkit/restoration.h"
#include "restoration/blur.h"

namespace convkit::restoration {

/// Checks a deconvolution's operands (rank 1..3, real float, same rank, PSF no larger than the
/// image, finite, not all zero) and returns the working precision: f32 or f64.
DType check_operands(const ConstTensorView& image, const ConstTensorView& psf);
/// The working precision of an image: f32 for f32, else f64 (the dtype of the result).
inline DType working_dtype(const ConstTensorView& image) {
  return image.dtype() == DType::f32 ? DType::f32 : DType::f64;
}
/// `out` must have the image's shape and the working dtype.
void check_output(const ConstTensorView& image, DType working, const TensorView& out);

/// The image as a contiguous D x H x W array of T.
template <class T>
std::vector<T> load(const ConstTensorView& image);
/// The image converted into `dst` (D x H x W, rows of `row_stride` elements, planes of
/// H * row_stride).
template <class T>
void load_into(const ConstTensorView& image, T* dst, std::int64_t row_stride);


/// The margin added on each side of each axis for `boundary` (zero for Boundary::zero and
/// periodic), for a PSF of extent k: enough for the blur of the edge pixels to see the
/// extension, capped by what the axis allows.
Dims margins(Boundary boundary, const Dims& dims, const Dims& k, bool wide);

/// `v` (dims) extended by `m` per side, mirrored (half-sample; repeated for margins longer
/// than the axis) or zero-filled.
template <class T>
std::vector<T> extend(const std::vector<T>& v, const Dims& dims, const Dims& m, bool mirror);

/// The inner window at offset m of `v` (padded dims, rows of row_stride elements), clipped to [-1, 1] when `clip`
/// (NaN untouched), stored into `out` (any strides, the image's shape).
template <class T>
void store(const T* v, const Dims& padded, std::int64_t row_stride, const Dims& m, bool clip,
           TensorView out);

}  // namespace convkit::restoration
