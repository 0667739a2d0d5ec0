// cv::filter2D reduced to ConvProblem: a per-channel correlation, output the size of the input.
#include <cmath>

#include "api/views.h"
#include "convkit/error.h"
#include "convkit/filters.h"

namespace convkit {

namespace {

bool image_dtype(DType t) { return t != DType::i32 && !is_complex(t); }

ConstTensorView as_1d(const char* name, ConstTensorView v) {
  // OpenCV accepts a kernel vector as 1xN or Nx1.
  if (v.rank() == 2 && (v.dim(0) == 1 || v.dim(1) == 1)) {
    const int axis = v.dim(0) == 1 ? 1 : 0;
    return ConstTensorView(v.data(), v.dtype(), std::array<std::int64_t, 1>{v.dim(axis)},
                           std::array<std::int64_t, 1>{v.stride(axis)});
  }
  if (v.rank() != 1)
    detail::fail(name, "must be a 1-D kernel (N, 1xN or Nx1), got shape ",
                 v.geometry().shape_string());
  api::require_nonempty(name, v);
  if (is_complex(v.dtype())) detail::fail(name, "must be real, got ", dtype_name(v.dtype()));
  return v;
}

// One reduction for filter2D and sepFilter2D: `separable` set means kernel = col (x) row.
void filter2d_into(ConstTensorView src, TensorView dst, ConstTensorView kernel,
                   const Filter2dOptions& o, const SeparableKernel* separable = nullptr) {
  if (src.rank() != 2 && src.rank() != 3)
    detail::fail("src", "must be an HxW or HxWxC image, got rank ", src.rank(), " with shape ",
                 src.geometry().shape_string());
  api::require_nonempty("src", src);
  if (!image_dtype(src.dtype()))
    detail::fail("src", "dtype ", dtype_name(src.dtype()),
                 " is not supported (expected u8, u16, i16, f32 or f64)");
  if (!image_dtype(dst.dtype()))
    detail::fail("ddepth", dtype_name(dst.dtype()),
                 " is not supported (expected u8, u16, i16, f32 or f64)");
  if (!separable) {
    if (kernel.rank() == 1)
      kernel = ConstTensorView(kernel.data(), kernel.dtype(),
                               std::array<std::int64_t, 2>{1, kernel.dim(0)},
                               std::array<std::int64_t, 2>{0, kernel.stride(0)});
    if (kernel.rank() != 2) detail::fail("kernel", "must be 2-D, got rank ", kernel.rank());
    api::require_nonempty("kernel", kernel);
    if (is_complex(kernel.dtype()))
      detail::fail("kernel", "must be real, got ", dtype_name(kernel.dtype()));
  }
  api::require_same_shape("dst", dst, src);
  if (src.rank() == 3 && o.layout == Layout::HW)
    detail::fail("layout", "HW given for a rank-3 image");

  const std::int64_t R = separable ? separable->col.dim(0) : kernel.dim(0);
  const std::int64_t S = separable ? separable->row.dim(0) : kernel.dim(1);
  const std::int64_t ax = o.anchor.x == -1 ? S / 2 : o.anchor.x;
  const std::int64_t ay = o.anchor.y == -1 ? R / 2 : o.anchor.y;
  if (ax < 0 || ax >= S || ay < 0 || ay >= R)
    detail::fail("anchor", "(", o.anchor.x, ", ", o.anchor.y, ") is outside the ", R, "x", S,
                 " kernel (columns 0..", S - 1, ", rows 0..", R - 1, ", or -1 for the centre)");
  if (o.border == Border::constant && is_integer(dst.dtype()) && !std::isfinite(o.border_value))
    detail::fail("border_value", o.border_value, " is not finite but the output is ",
                 dtype_name(dst.dtype()));

  ConstTensorView src4 = api::image_as_nchw(src, o.layout);
  TensorView dst4 = api::image_as_nchw(dst, o.layout);
  ConvProblem p;
  p.c = p.k = p.groups = src4.dim(1);
  p.h = src4.dim(2);
  p.w = src4.dim(3);
  p.r = R;
  p.s = S;
  p.src_dtype = src.dtype();
  p.filter_dtype = separable ? DType::f64 : kernel.dtype();
  p.dst_dtype = dst.dtype();
  p.pad_top = ay, p.pad_bottom = R - 1 - ay, p.pad_left = ax, p.pad_right = S - 1 - ax;
  p.border = o.border;
  p.border_value = o.border_value;
  p.delta = o.delta;
  p.rounding = o.rounding;
  if (o.rounding == Rounding::wrap) detail::fail("rounding", "wrap is not an OpenCV rounding");
  if (separable)
    Plan::cached(p, *separable, {}, o.plan)->execute(src4, dst4);
  else
    Plan::cached(p, api::kernel_as_kcrs(kernel, p.k), {}, o.plan)->execute(src4, dst4);
}

}  // namespace

void filter2d(ConstTensorView src, TensorView dst, ConstTensorView kernel,
              const Filter2dOptions& options) {
  filter2d_into(src, dst, kernel, options);
}

Tensor filter2d(ConstTensorView src, std::optional<DType> ddepth, ConstTensorView kernel,
                const Filter2dOptions& options) {
  if (src.rank() < 1 || src.rank() > 3)
    detail::fail("src", "must be an HxW or HxWxC image, got rank ", src.rank());
  Tensor out(ddepth.value_or(src.dtype()),
             std::span<const std::int64_t>(src.geometry().shape.data(), std::size_t(src.rank())));
  filter2d_into(src, out.view(), kernel, options);
  return out;
}

std::optional<DType> opencv_depth(int ddepth) {
  // OpenCV depth codes: CV_8U=0, CV_16U=2, CV_16S=3, CV_32F=5, CV_64F=6; -1 = same as src.
  std::optional<DType> d;
  switch (ddepth) {
    case -1: break;
    case 0: d = DType::u8; break;
    case 2: d = DType::u16; break;
    case 3: d = DType::i16; break;
    case 5: d = DType::f32; break;
    case 6: d = DType::f64; break;
    default: detail::fail("ddepth", ddepth, " is not one of -1, CV_8U, CV_16U, CV_16S, CV_32F, CV_64F");
  }
  return d;
}

Tensor filter2d(ConstTensorView src, int ddepth, ConstTensorView kernel,
                const Filter2dOptions& options) {
  return filter2d(src, opencv_depth(ddepth), kernel, options);
}

void sep_filter2d(ConstTensorView src, TensorView dst, ConstTensorView kernel_x,
                  ConstTensorView kernel_y, const Filter2dOptions& options) {
  const SeparableKernel k{as_1d("kernel_y", kernel_y), as_1d("kernel_x", kernel_x)};
  filter2d_into(src, dst, {}, options, &k);
}

Tensor sep_filter2d(ConstTensorView src, std::optional<DType> ddepth, ConstTensorView kernel_x,
                    ConstTensorView kernel_y, const Filter2dOptions& options) {
  if (src.rank() < 1 || src.rank() > 3)
    detail::fail("src", "must be an HxW or HxWxC image, got rank ", src.rank());
  Tensor out(ddepth.value_or(src.dtype()),
             std::span<const std::int64_t>(src.geometry().shape.data(), std::size_t(src.rank())));
  sep_filter2d(src, out.view(), kernel_x, kernel_y, options);
  return out;
}

Tensor sep_filter2d(ConstTensorView src, int ddepth, ConstTensorView kernel_x,
                    ConstTensorView kernel_y, const Filter2dOptions& options) {
  return sep_filter2d(src, opencv_depth(ddepth), kernel_x, kernel_y, options);
}

}  // namespace convkit
