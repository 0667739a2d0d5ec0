#pragma once
// Front-end helpers: every front end views its arrays as N x C x H x W (the canonical layout of
// ConvProblem) by strides alone, without copying.

#include <array>
#include <cstdint>

#include "convkit/error.h"
#include "convkit/tensor.h"

namespace convkit::api {

/// A 4-D view with the given per-axis (shape, stride) pairs.
inline ConstTensorView view4(const ConstTensorView& v, std::array<std::int64_t, 4> shape,
                             std::array<std::int64_t, 4> strides) {
  return ConstTensorView(v.data(), v.dtype(), std::span<const std::int64_t>(shape),
                         std::span<const std::int64_t>(strides));
}
inline TensorView view4(const TensorView& v, std::array<std::int64_t, 4> shape,
                        std::array<std::int64_t, 4> strides) {
  return TensorView(v.data(), v.dtype(), std::span<const std::int64_t>(shape),
                    std::span<const std::int64_t>(strides));
}

/// An image (rank 2 = HW, rank 3 = HWC or CHW) as 1 x C x H x W.
template <class View>
View image_as_nchw(const View& v, Layout layout) {
  if (v.rank() == 2) return view4(v, {1, 1, v.dim(0), v.dim(1)}, {0, 0, v.stride(0), v.stride(1)});
  if (layout == Layout::CHW)
    return view4(v, {1, v.dim(0), v.dim(1), v.dim(2)}, {0, v.stride(0), v.stride(1), v.stride(2)});
  return view4(v, {1, v.dim(2), v.dim(0), v.dim(1)}, {0, v.stride(2), v.stride(0), v.stride(1)});
}

/// A 2-D kernel as 1 x 1 x R x S, or repeated for `k` channels with stride 0 (no copy).
inline ConstTensorView kernel_as_kcrs(const ConstTensorView& v, std::int64_t k = 1) {
  return view4(v, {k, 1, v.dim(0), v.dim(1)}, {0, 0, v.stride(0), v.stride(1)});
}

/// `dst` (named `name`) must have src's shape: an into-output call's check.
inline void require_same_shape(const char* name, const ConstTensorView& dst,
                               const ConstTensorView& src) {
  if (dst.rank() != src.rank())
    detail::fail(name, "rank ", dst.rank(), " != src rank ", src.rank());
  for (int i = 0; i < src.rank(); ++i)
    if (dst.dim(i) != src.dim(i))
      detail::fail(name, "shape ", dst.geometry().shape_string(), " != src shape ",
                   src.geometry().shape_string());
}

inline void require_nonempty(const char* name, const ConstTensorView& v) {
  if (!v.data() || v.empty())
    detail::fail(name, "is empty (shape ", v.geometry().shape_string(), ")");
}

}  // namespace convkit::api
