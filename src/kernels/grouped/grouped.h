#pragma once
// Kernel family "grouped": output rows of a grouped convolution with few channels per group
// (ResNeXt, RegNet, ShuffleNet: 1..16), pixels across the SIMD lanes.
//
// Contract of f32_grouped_row(in, plane_stride, row_stride, C, w, KB, R, S, dh, dw, n, out,
//                             out_kstride, scale, offset, lo, hi):
//   out[k * out_kstride + x] = min(max(v * scale + offset[k], lo), hi),
//   v = sum_{c < C} sum_{r < R} sum_{s < S} w[((c * R + r) * S + s) * KB + k]
//                                           * in[c * plane_stride + r * dh * row_stride + s * dw + x]
//   for k < KB (1..8) output channels and x < n output columns (at stride 1).
//   - in: C padded input planes (the border already applied) at the output row's first input
//     row; readable for lanes - 1 floats past the last sample used (full-vector tails).
//   - w: the packed weights of the KB channels, [c][r][s][k]; writes exactly n outputs per row.
//   - f32 accumulation, c, r, s in order; a register tile of KB channels x a few pixel vectors,
//     each input vector loaded once for the KB channels.
#include <cstddef>

namespace convkit::kernels {

/// The most output channels f32_grouped_row computes at once.
inline constexpr std::size_t kGroupedMaxKb = 8;

#define CONVKIT_GROUPED(name)                                                                   \
  void name(const float* in, std::size_t plane_stride, std::size_t row_stride, std::size_t C,   \
            const float* w, std::size_t KB, std::size_t R, std::size_t S, std::size_t dh,       \
            std::size_t dw, std::size_t n, float* out, std::size_t out_kstride, float scale,    \
            const float* offset, float lo, float hi);
#include "kernels/grouped/grouped.inc"
#undef CONVKIT_GROUPED

}  // namespace convkit::kernels
