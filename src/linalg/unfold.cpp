// im2col (torch.nn.functional.unfold) and its adjoint col2im (fold): the column matrix whose
// product with the weight rows is the convolution. Plain strided loops, threaded over rows of
// the column matrix (unfold) or over planes (fold, so no two threads add into one plane).
#include <omp.h>

#include <array>

#include "convkit/error.h"
#include "convkit/linalg.h"
#include "util/threads.h"

namespace convkit::linalg {

namespace {

void check_options(const UnfoldOptions& o) {
  if (o.kernel.h < 1 || o.kernel.w < 1)
    detail::fail("kernel_size", "must be >= 1, got (", o.kernel.h, ", ", o.kernel.w, ")");
  if (o.dilation.h < 1 || o.dilation.w < 1)
    detail::fail("dilation", "must be >= 1, got (", o.dilation.h, ", ", o.dilation.w, ")");
  if (o.stride.h < 1 || o.stride.w < 1)
    detail::fail("stride", "must be >= 1, got (", o.stride.h, ", ", o.stride.w, ")");
  if (o.padding.kind != nn::Padding::Kind::explicit_pads)
    detail::fail("padding", "must be explicit numbers here, not 'same' or 'valid'");
  if (o.padding.top < 0 || o.padding.bottom < 0 || o.padding.left < 0 || o.padding.right < 0)
    detail::fail("padding", "must be >= 0, got (", o.padding.top, ", ", o.padding.bottom, ", ",
                 o.padding.left, ", ", o.padding.right, ")");
}

std::int64_t blocks(std::int64_t n, std::int64_t pads, std::int64_t k, std::int64_t d,
                    std::int64_t s) {
  const std::int64_t reach = n + pads - d * (k - 1) - 1;
  return reach < 0 ? 0 : reach / s + 1;
}

template <class T>
void unfold_typed(ConstTensorView in, const UnfoldOptions& o, nn::Size2 L, TensorView out) {
  const std::int64_t N = in.dim(0), C = in.dim(1), H = in.dim(2), W = in.dim(3);
  const std::int64_t kh = o.kernel.h, kw = o.kernel.w, rows = C * kh * kw;
  const T* src = static_cast<const T*>(in.data());
  T* dst = static_cast<T*>(out.data());
  const std::int64_t total = N * rows;
#pragma omp parallel for schedule(static) num_threads(threads_for(total * L.h * L.w, 1 << 16))
  for (std::int64_t nr = 0; nr < total; ++nr) {
    const std::int64_t n = nr / rows, row = nr % rows;
    const std::int64_t c = row / (kh * kw), i = row / kw % kh, j = row % kw;
    const T* plane = src + n * in.stride(0) + c * in.stride(1);
    T* line = dst + n * out.stride(0) + row * out.stride(1);
    for (std::int64_t by = 0; by < L.h; ++by) {
      const std::int64_t y = by * o.stride.h - o.padding.top + i * o.dilation.h;
      T* o_row = line + by * L.w * out.stride(2);
      const bool inside_y = y >= 0 && y < H;
      for (std::int64_t bx = 0; bx < L.w; ++bx) {
        const std::int64_t x = bx * o.stride.w - o.padding.left + j * o.dilation.w;
        o_row[bx * out.stride(2)] =
            inside_y && x >= 0 && x < W ? plane[y * in.stride(2) + x * in.stride(3)] : T(0);
      }
    }
  }
}

template <class T>
void fold_typed(ConstTensorView in, const UnfoldOptions& o, nn::Size2 L, TensorView out) {
  const std::int64_t N = out.dim(0), C = out.dim(1), H = out.dim(2), W = out.dim(3);
  const std::int64_t kh = o.kernel.h, kw = o.kernel.w;
  const T* src = static_cast<const T*>(in.data());
  T* dst = static_cast<T*>(out.data());
  const std::int64_t planes = N * C;
#pragma omp parallel for schedule(static) num_threads(threads_for(in.numel(), 1 << 16))
  for (std::int64_t nc = 0; nc < planes; ++nc) {
    const std::int64_t n = nc / C, c = nc % C;
    T* plane = dst + n * out.stride(0) + c * out.stride(1);
    for (std::int64_t y = 0; y < H; ++y)
      for (std::int64_t x = 0; x < W; ++x) plane[y * out.stride(2) + x * out.stride(3)] = T(0);
    // Rows of the column matrix in order, as PyTorch's col2im adds them: the same sums in the
    // same order, so the same bits.
    for (std::int64_t i = 0; i < kh; ++i)
      for (std::int64_t j = 0; j < kw; ++j) {
        const T* line = src + n * in.stride(0) + ((c * kh + i) * kw + j) * in.stride(1);
        for (std::int64_t by = 0; by < L.h; ++by) {
          const std::int64_t y = by * o.stride.h - o.padding.top + i * o.dilation.h;
          if (y < 0 || y >= H) continue;
          for (std::int64_t bx = 0; bx < L.w; ++bx) {
            const std::int64_t x = bx * o.stride.w - o.padding.left + j * o.dilation.w;
            if (x >= 0 && x < W)
              plane[y * out.stride(2) + x * out.stride(3)] += line[(by * L.w + bx) * in.stride(2)];
          }
        }
      }
  }
}

void check_float(ConstTensorView t, const char* name) {
  if (t.dtype() != DType::f32 && t.dtype() != DType::f64)
    detail::fail(name, "must be float32 or float64, got ", dtype_name(t.dtype()));
}

}  // namespace

nn::Size2 unfold_blocks(std::int64_t h, std::int64_t w, const UnfoldOptions& o) {
  check_options(o);
  const nn::Size2 L(blocks(h, o.padding.top + o.padding.bottom, o.kernel.h, o.dilation.h,
                           o.stride.h),
                    blocks(w, o.padding.left + o.padding.right, o.kernel.w, o.dilation.w,
                           o.stride.w));
  if (L.h < 1 || L.w < 1)
    detail::fail("kernel_size", "for a ", h, "x", w, " input with these parameters the sliding "
                 "blocks would be (", L.h, ", ", L.w, "), but both must be at least one");
  return L;
}

void unfold(ConstTensorView input, const UnfoldOptions& o, TensorView output) {
  check_float(input, "input");
  if (input.rank() != 4) detail::fail("input", "must be N x C x H x W, got ", input.geometry().shape_string());
  const nn::Size2 L = unfold_blocks(input.dim(2), input.dim(3), o);
  const std::array<std::int64_t, 3> want{input.dim(0), input.dim(1) * o.kernel.h * o.kernel.w,
                                         L.h * L.w};
  if (output.rank() != 3 || output.dim(0) != want[0] || output.dim(1) != want[1] ||
      output.dim(2) != want[2] || output.dtype() != input.dtype())
    detail::fail("output", "must be ", dtype_name(input.dtype()), " (", want[0], ", ", want[1],
                 ", ", want[2], "), got ", dtype_name(output.dtype()), " ",
                 output.geometry().shape_string());
  if (input.dtype() == DType::f32)
    unfold_typed<float>(input, o, L, output);
  else
    unfold_typed<double>(input, o, L, output);
}

Tensor unfold(ConstTensorView input, const UnfoldOptions& o) {
  check_float(input, "input");
  if (input.rank() != 4) detail::fail("input", "must be N x C x H x W, got ", input.geometry().shape_string());
  const nn::Size2 L = unfold_blocks(input.dim(2), input.dim(3), o);
  Tensor out(input.dtype(), {input.dim(0), input.dim(1) * o.kernel.h * o.kernel.w, L.h * L.w});
  unfold(input, o, out.view());
  return out;
}

std::array<std::int64_t, 4> fold_shape(ConstTensorView input, std::int64_t h, std::int64_t w,
                                       const UnfoldOptions& o) {
  check_float(input, "input");
  if (input.rank() != 3)
    detail::fail("input", "must be N x (C * kh * kw) x L, got ", input.geometry().shape_string());
  if (h < 1 || w < 1) detail::fail("output_size", "must be >= 1, got (", h, ", ", w, ")");
  const nn::Size2 L = unfold_blocks(h, w, o);
  const std::int64_t taps = o.kernel.h * o.kernel.w;
  if (input.dim(1) % taps != 0)
    detail::fail("input", "size of dimension 1 (", input.dim(1), ") must be divisible by the "
                 "product of kernel_size (", taps, ")");
  if (input.dim(2) != L.h * L.w)
    detail::fail("input", "size of dimension 2 (", input.dim(2), ") must match the number of "
                 "sliding blocks ", L.h, " * ", L.w, " = ", L.h * L.w, " for output_size (", h,
                 ", ", w, ")");
  return {input.dim(0), input.dim(1) / taps, h, w};
}

void fold(ConstTensorView input, std::int64_t h, std::int64_t w, const UnfoldOptions& o,
          TensorView output) {
  const auto want = fold_shape(input, h, w, o);
  if (output.rank() != 4 || output.dim(0) != want[0] || output.dim(1) != want[1] ||
      output.dim(2) != h || output.dim(3) != w || output.dtype() != input.dtype())
    detail::fail("output", "must be ", dtype_name(input.dtype()), " (", want[0], ", ", want[1],
                 ", ", h, ", ", w, "), got ", dtype_name(output.dtype()), " ",
                 output.geometry().shape_string());
  const nn::Size2 L = unfold_blocks(h, w, o);
  if (input.dtype() == DType::f32)
    fold_typed<float>(input, o, L, output);
  else
    fold_typed<double>(input, o, L, output);
}

Tensor fold(ConstTensorView input, std::int64_t h, std::int64_t w, const UnfoldOptions& o) {
  Tensor out(input.dtype(), fold_shape(input, h, w, o));
  fold(input, h, w, o, out.view());
  return out;
}

}  // namespace convkit::linalg
