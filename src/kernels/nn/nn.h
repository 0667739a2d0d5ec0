#pragma once
// Kernel family "nn": the register-tiled micro-kernel of the channel-blocked direct convolution.
//
// Contract of f32_conv_tile(px, nq, in_off, w_tap, ntaps, C, V, out, out_stride, accumulate):
//   for t in [0, nq), j in [0, V * lanes):
//     out[t * out_stride + j] (+)= sum_{i < ntaps} sum_{c < C} w_tap[i][c * V * lanes + j]
//                                                           * px[t][in_off[i] + c]
//   - px[t] points at output pixel t's input (channels contiguous, any pixel-to-pixel layout);
//     in_off[i] is tap i's offset from it, w_tap[i] tap i's packed weights ([C][V * lanes]).
//   - V (vectors of output channels) is 1..max_v of f32_conv_shape; w_tap and out are aligned
//     to the vector size; out_stride is a multiple of lanes.
//   - accumulate: add to out instead of overwriting it.
//   - Accumulates in f32, in c order within each tap, taps in order: the result is within
//     ntaps * C f32 roundings of the exact sum.
// Contract of f32_gemm_tile(a, C, MR, b, out):
//   out[m * NP + j] = sum_{c < C} a[c * MR + m] * b[c * NP + j]   for m < MR, j < NP
//   - NP = gemm_nv * lanes pixels (f32_conv_shape); MR is 1..kGemmMr (6); a, b, out aligned.
//   - f32 accumulation in c order.
// Contract of f32_gemm_store(a, C, MR, b, n, scale, offset, lo, hi, out, out_stride, stream):
//   out[m * out_stride + j] = min(max(tile[m][j] * scale + offset[m], lo), hi)  for j < n <= NP,
//   tile as f32_gemm_tile's; writes nothing else. stream: whole aligned vectors may go out
//   non-temporally; the caller fences (hwy::FlushStream) before other threads read them.
// Contract of f32_depthwise_plane(in, in_stride, sh, w, R, S, dh, dw, rows, n, out, out_stride,
//                                 scale, offset, lo, hi):
//   out[p * out_stride + x] = min(max(v * scale + offset, lo), hi),
//   v = sum_{r < R, s < S} w[r * S + s] * in[(p * sh + r * dh) * in_stride + s * dw + x]
//   for p < rows, x < n (output columns at stride 1)
//   - R * S <= 64; in is readable for lanes - 1 floats past the last sample used
//     (full-vector tails); writes exactly n outputs per row; f32 accumulation in tap order.
// Contract of f32_tile_store(tile, kb, kn, n, scale, offset, lo, hi, out, out_stride, res,
//                            res_stride):
//   out[j * out_stride + i] = min(max(tile[i * kb + j] * scale + offset[j]
//                                     + res[j * res_stride + i], lo), hi)   (res may be null)
//   for i < n pixels, j < kn channels: a [pixel][kb] tile to channel rows (NCHW output).
//   - kb is a multiple of 16; tile is readable for 16 rows of kb floats past pixel n - 1.
//   - stream: whole 64-byte lines go out with non-temporal stores (large outputs).
// Contract of f32_copy_block(src, src_stride, rows, n, dst, dst_stride):
//   dst[y * dst_stride + x] = src[y * src_stride + x]   for y < rows, x < n
//   - reads and writes nothing else (masked tails); src_stride may be negative.
// Contract of f32_channels_last(in, cs, xs, nx, C, out, os):
//   out[x * os + c] = in[c * cs + x * xs]   for x < nx, c < C (channel rows to channels-last)
//   - writes nothing else; cs and xs may be negative; os >= C.
// Contract of f32_winograd_fixed(input, m, r, X, xs, Y, ys, T):
//   Y[(i * a + j) * ys + t] = sum_{p, q < b} L[i][p] * X[(p * b + q) * xs + t] * L[j][q]
//   for i, j < a, t < T (every tile in its own lane), with L = B^T of F(m x m, r x r) (input:
//   a = b = m + r - 1) or A^T (output: a = m, b = m + r - 1); m = 2 or 4 with r = 3, m = 2
//   with r = 2; their zeros and ones written out as adds; T a multiple of the lanes.
// Contract of f32_weight_grad_taps(in, in_stride, sh, off, ntaps, g, g_stride, rows, n, acc):
//   acc[t] += sum_{y < rows, x < n} in[y * sh * in_stride + off[t] + x] * g[y * g_stride + x]
//   for t < ntaps: the weight gradient of per-channel taps (off[t] = r * dh * in_stride + s * dw)
//   - reads exactly those samples (tails through a zero-padded copy); f32 in the lanes over
//     all rows, then a fixed-order sum of the lanes per tap.
// Contract of f32_conv_shape(lanes, max_v, gemm_nv): the target's f32 lanes per vector, the
//   widest V the register file holds with a useful number of output pixels, and the vectors
//   of pixels in one f32_gemm_tile panel.
#include <cstddef>

namespace convkit::kernels {

#define CONVKIT_NN_TILE(name)                                                               \
  void name(const float* const* px, std::size_t nq, const std::ptrdiff_t* in_off,           \
            const float* const* w_tap, std::size_t ntaps, std::size_t C, std::size_t V,      \
            float* out, std::size_t out_stride, bool accumulate);
#define CONVKIT_NN_SHAPE(name) \
  void name(std::size_t* lanes, std::size_t* max_v, std::size_t* gemm_nv);
#define CONVKIT_NN_STORE(name)                                                                \
  void name(const float* tile, std::size_t kb, std::size_t kn, std::size_t n, float scale,     \
            const float* offset, float lo, float hi, float* out, std::ptrdiff_t out_stride,    \
            const float* res, std::ptrdiff_t res_stride, bool stream);
#define CONVKIT_NN_COPY(name)                                                                 \
  void name(const float* src, std::ptrdiff_t src_stride, std::size_t rows, std::size_t n,      \
            float* dst, std::size_t dst_stride);
#define CONVKIT_NN_TRANSPOSE(name)                                                            \
  void name(const float* in, std::ptrdiff_t cs, std::ptrdiff_t xs, std::size_t nx, std::size_t C, \
            float* out, std::size_t os);
#define CONVKIT_NN_WINOGRAD_GATHER(name)                                                      \
  void name(const float* in, std::size_t in_stride, std::size_t m, std::size_t alpha,          \
            float* patch, std::size_t np);
#define CONVKIT_NN_WINOGRAD_SCATTER(name)                                                     \
  void name(const float* y, std::size_t np, std::size_t m, float scale, float offset, float lo, \
            float hi, float* out, std::ptrdiff_t out_stride, std::size_t rows, std::size_t cols);
#define CONVKIT_NN_WINOGRAD_FIXED(name)                                                       \
  void name(bool input, std::size_t m, std::size_t r, const float* X, std::size_t xs, float* Y, \
            std::size_t ys, std::size_t T);
#define CONVKIT_NN_GEMM(name)                                                                \
  void name(const float* a, std::size_t C, std::size_t MR, const float* b, float* out);
#define CONVKIT_NN_GEMM_STORE(name)                                                          \
  void name(const float* a, std::size_t C, std::size_t MR, const float* b, std::size_t n,      \
            float scale, const float* offset, float lo, float hi, float* out,                  \
            std::ptrdiff_t out_stride, bool stream);
#define CONVKIT_NN_DEPTHWISE(name)                                                            \
  void name(const float* in, std::size_t in_stride, std::size_t sh, const float* w,            \
            std::size_t R, std::size_t S, std::size_t dh, std::size_t dw, std::size_t rows,    \
            std::size_t n, float* out, std::size_t out_stride, float scale, float offset,      \
            float lo, float hi);
#define CONVKIT_NN_WGRAD(name)                                                                \
  void name(const float* in, std::size_t in_stride, std::size_t sh, const std::ptrdiff_t* off,  \
            std::size_t ntaps, const float* g, std::size_t g_stride, std::size_t rows,          \
            std::size_t n, float* acc);
#include "kernels/nn/nn.inc"
#undef CONVKIT_NN_WGRAD
#undef CONVKIT_NN_TILE
#undef CONVKIT_NN_SHAPE
#undef CONVKIT_NN_STORE
#undef CONVKIT_NN_COPY
#undef CONVKIT_NN_TRANSPOSE
#undef CONVKIT_NN_WINOGRAD_FIXED
#undef CONVKIT_NN_WINOGRAD_GATHER
#undef CONVKIT_NN_WINOGRAD_SCATTER
#undef CONVKIT_NN_GEMM
#undef CONVKIT_NN_GEMM_STORE
#undef CONVKIT_NN_DEPTHWISE

/// Output channels per f32_gemm_tile call.
inline constexpr std::size_t kGemmMr = 6;

}  // namespace convkit::kernels
