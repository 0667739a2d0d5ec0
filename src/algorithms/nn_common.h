#pragma once
// Pieces the deep-learning algorithms share (direct-blocked, gemm-1x1, depthwise): the SIMD shape
// of the nn kernels, aligned weight storage and the f32 epilogue.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <string>

#include "algorithms/border.h"
#include "kernels/nn/nn.h"
#include "plan/algorithm.h"

namespace convkit::nn_common {

struct Shape {
  std::size_t lanes = 1, max_v = 1, gemm_nv = 1;
};

/// The kernels' lanes and tile widths on the target the dispatcher chose.
inline Shape kernel_shape() {
  Shape s;
  kernels::f32_conv_shape(&s.lanes, &s.max_v, &s.gemm_nv);
  return s;
}

struct FreeDeleter {
  void operator()(float* p) const { std::free(p); }
};
/// Floats aligned to 64 bytes (the widest vector), zeroed.
using AlignedFloats = std::unique_ptr<float[], FreeDeleter>;
inline AlignedFloats aligned_floats(std::size_t n) {
  void* mem = nullptr;
  const std::size_t bytes = (std::max<std::size_t>(n, 1) * sizeof(float) + 63) / 64 * 64;
  if (posix_memalign(&mem, 64, bytes) != 0) throw std::bad_alloc();
  std::memset(mem, 0, bytes);
  return AlignedFloats(static_cast<float*>(mem));
}

/// out[i * os] = act(v[i * vs] * scale + off + res[i * rs]) for i < n (res may be null): the
/// epilogue of ConvProblem in f32.
inline void epilogue(const float* v, std::int64_t vs, std::int64_t n, float scale, float off,
                     const ConvProblem& p, float* out, std::int64_t os,
                     const float* res = nullptr, std::int64_t rs = 0) {
  if (res) {
    for (std::int64_t i = 0; i < n; ++i) {
      const float y = v[i * vs] * scale + off + res[i * rs];
      out[i * os] = p.activation == Activation::none   ? y
                    : p.activation == Activation::relu ? std::max(y, 0.0f)
                                                       : float(apply_activation(double(y), p));
    }
    return;
  }
  switch (p.activation) {
    case Activation::none:
      if (vs == 1 && os == 1)
        for (std::int64_t i = 0; i < n; ++i) out[i] = v[i] * scale + off;
      else
        for (std::int64_t i = 0; i < n; ++i) out[i * os] = v[i * vs] * scale + off;
      return;
    case Activation::relu:
      if (vs == 1 && os == 1)
        for (std::int64_t i = 0; i < n; ++i) out[i] = std::max(v[i] * scale + off, 0.0f);
      else
        for (std::int64_t i = 0; i < n; ++i) out[i * os] = std::max(v[i * vs] * scale + off, 0.0f);
      return;
    default:
      for (std::int64_t i = 0; i < n; ++i)
        out[i * os] = float(apply_activation(double(v[i * vs] * scale + off), p));
  }
}

/// Activations that are a clamp [lo, hi] run inside the SIMD kernels; `fused` is false for the
/// others (sigmoid, tanh, gelu, silu, leaky_relu), which run after them.
struct Bounds {
  bool fused = true;
  float lo = -std::numeric_limits<float>::infinity(), hi = std::numeric_limits<float>::infinity();
};
inline Bounds bounds_of(const ConvProblem& p) {
  Bounds b;
  switch (p.activation) {
    case Activation::none: break;
    case Activation::relu: b.lo = 0; break;
    case Activation::relu6: b.lo = 0, b.hi = 6; break;
    case Activation::clamp: b.lo = float(p.activation_alpha), b.hi = float(p.activation_beta); break;
    default: b.fused = false;
  }
  return b;
}

/// Rows [y_lo, y_lo + rows) x columns [x_lo, x_lo + width) of one input plane (H x W, element
/// strides is2, is3), the border rule applied, into out (row stride out_stride). The interior
/// block is one kernel call when the rows are contiguous; the border samples go one by one.
inline void pad_rows(const float* plane, std::int64_t is2, std::int64_t is3, const ConvProblem& p,
                     std::int64_t y_lo, std::int64_t rows, std::int64_t x_lo, std::int64_t width,
                     float* out, std::int64_t out_stride) {
  const float fill = float(p.border_value.real());
  // Interior: rows [ya, yb) x columns [xa, xb) of `out` map straight onto the plane.
  const std::int64_t xa = std::clamp<std::int64_t>(-x_lo, 0, width);
  const std::int64_t xb = std::clamp<std::int64_t>(p.w - x_lo, xa, width);
  const std::int64_t ya = std::clamp<std::int64_t>(-y_lo, 0, rows);
  const std::int64_t yb = std::clamp<std::int64_t>(p.h - y_lo, ya, rows);
  const bool block = is3 == 1 && yb > ya && xb > xa;
  if (block)
    kernels::f32_copy_block(plane + (ya + y_lo) * is2 + (xa + x_lo), is2, std::size_t(yb - ya),
                            std::size_t(xb - xa), out + ya * out_stride + xa, std::size_t(out_stride));
  for (std::int64_t yr = 0; yr < rows; ++yr) {
    float* row = out + yr * out_stride;
    const std::int64_t y = border_index(y_lo + yr, p.h, p.border);
    if (y < 0) {
      std::fill(row, row + width, fill);
      continue;
    }
    const bool copied = block && yr >= ya && yr < yb;
    if (copied && p.border == Border::constant) {  // only the pad columns around the block
      std::fill(row, row + xa, fill);
      std::fill(row + xb, row + width, fill);
      continue;
    }
    const float* s = plane + y * is2;
    for (std::int64_t xr = 0; xr < width; ++xr) {
      if (copied && xr == xa) xr = xb;  // already there
      if (xr >= width) break;
      const std::int64_t x = border_index(x_lo + xr, p.w, p.border);
      row[xr] = x < 0 ? fill : s[x * is3];
    }
  }
}

/// The f32 offset added to output channel k: delta + bias[k].
inline float channel_offset(const ConvProblem& p, const PreparedFilter& f, std::int64_t k) {
  return float(p.delta.real() + (f.bias.empty() ? 0.0 : f.bias[std::size_t(k)]));
}

/// Rejection shared by the f32 deep-learning algorithms.
inline std::string f32_rejects(const ConvProblem& p, const PreparedFilter& f) {
  if (f.complex || is_complex(p.src_dtype) || is_complex(p.dst_dtype)) return "complex data";
  if (p.src_dtype != DType::f32 || p.dst_dtype != DType::f32) return "f32 input and output only";
  if (p.border_value.imag() != 0) return "complex border value";
  return "";
}

}  // namespace convkit::nn_common
