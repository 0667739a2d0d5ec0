// Per-target instantiation and run-time dispatch of the nn kernels listed in nn.inc.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/nn/nn.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/nn/nn-inl.h"
#include "kernels/nn/nn.h"

HWY_BEFORE_NAMESPACE();
namespace convkit::kernels::HWY_NAMESPACE {
#define CONVKIT_NN_TILE(name)                                                                  \
  void name(const float* const* px, size_t nq, const std::ptrdiff_t* in_off,                   \
            const float* const* w_tap, size_t ntaps, size_t C, size_t V, float* out,           \
            size_t out_stride, bool accumulate) {                                              \
    ConvTile(px, nq, in_off, w_tap, ntaps, C, V, out, out_stride, accumulate);                 \
  }
#define CONVKIT_NN_SHAPE(name) \
  void name(size_t* lanes, size_t* max_v, size_t* gemm_nv) { ConvShape(lanes, max_v, gemm_nv); }
#define CONVKIT_NN_GEMM(name) \
  void name(const float* a, size_t C, size_t MR, const float* b, float* out) { GemmTile(a, C, MR, b, out); }
#define CONVKIT_NN_WINOGRAD_FIXED(name)                                                      \
  void name(bool input, size_t m, size_t r, const float* X, size_t xs, float* Y, size_t ys,  \
            size_t T) {                                                                      \
    if (input) WinogradFixed<true>(m, r, X, xs, Y, ys, T);                                   \
    else WinogradFixed<false>(m, r, X, xs, Y, ys, T);                                        \
  }
#define CONVKIT_NN_WINOGRAD_GATHER(name)                                                     \
  void name(const float* in, size_t in_stride, size_t m, size_t alpha, float* patch,         \
            size_t np) {                                                                     \
    WinogradGather(in, in_stride, m, alpha, patch, np);                                      \
  }
#define CONVKIT_NN_WINOGRAD_SCATTER(name)                                                    \
  void name(const float* y, size_t np, size_t m, float scale, float offset, float lo,        \
            float hi, float* out, std::ptrdiff_t out_stride, size_t rows, size_t cols) {     \
    WinogradScatter(y, np, m, scale, offset, lo, hi, out, out_stride, rows, cols);           \
  }
#define CONVKIT_NN_COPY(name)                                                                \
  void name(const float* src, std::ptrdiff_t src_stride, size_t rows, size_t n, float* dst,  \
            size_t dst_stride) {                                                             \
    CopyBlock(src, src_stride, rows, n, dst, dst_stride);                                    \
  }
#define CONVKIT_NN_TRANSPOSE(name)                                                           \
  void name(const float* in, std::ptrdiff_t cs, std::ptrdiff_t xs, size_t nx, size_t C,      \
            float* out, size_t os) {                                                         \
    ChannelsLast(in, cs, xs, nx, C, out, os);                                                \
  }
#define CONVKIT_NN_STORE(name)                                                               \
  void name(const float* tile, size_t kb, size_t kn, size_t n, float scale,                 \
            const float* offset, float lo, float hi, float* out, std::ptrdiff_t out_stride,   \
            const float* res, std::ptrdiff_t res_stride, bool stream) {                      \
    TileStore(tile, kb, kn, n, scale, offset, lo, hi, out, out_stride, res, res_stride,      \
              stream);                                                                       \
  }
#define CONVKIT_NN_GEMM_STORE(name)                                                          \
  void name(const float* a, size_t C, size_t MR, const float* b, size_t n, float scale,       \
            const float* offset, float lo, float hi, float* out, std::ptrdiff_t out_stride,   \
            bool stream) {                                                                   \
    GemmStore(a, C, MR, b, n, scale, offset, lo, hi, out, out_stride, stream);               \
  }
#define CONVKIT_NN_DEPTHWISE(name)                                                               \
  void name(const float* in, size_t in_stride, size_t sh, const float* w, size_t R, size_t S,    \
            size_t dh, size_t dw, size_t rows, size_t n, float* out, size_t out_stride,          \
            float scale, float offset, float lo, float hi) {                                     \
    DepthwisePlane(in, in_stride, sh, w, R, S, dh, dw, rows, n, out, out_stride, scale, offset, \
                   lo, hi);                                                                      \
  }
#define CONVKIT_NN_WGRAD(name)                                                               \
  void name(const float* in, size_t in_stride, size_t sh, const std::ptrdiff_t* off,           \
            size_t ntaps, const float* g, size_t g_stride, size_t rows, size_t n, float* acc) { \
    WeightGrad(in, in_stride, sh, off, ntaps, g, g_stride, rows, n, acc);                      \
  }
#include "kernels/nn/nn.inc"
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
#undef CONVKIT_NN_WGRAD
}  // namespace convkit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/dispatch.h"

namespace convkit::kernels {
#define CONVKIT_NN_TILE(name)                                                                  \
  HWY_EXPORT(name);                                                                            \
  void name(const float* const* px, std::size_t nq, const std::ptrdiff_t* in_off,              \
            const float* const* w_tap, std::size_t ntaps, std::size_t C, std::size_t V,         \
            float* out, std::size_t out_stride, bool accumulate) {                             \
    select_isa();                                                                              \
    HWY_DYNAMIC_DISPATCH(name)(px, nq, in_off, w_tap, ntaps, C, V, out, out_stride, accumulate); \
  }
#define CONVKIT_NN_SHAPE(name)                                                  \
  HWY_EXPORT(name);                                                             \
  void name(std::size_t* lanes, std::size_t* max_v, std::size_t* gemm_nv) {     \
    select_isa();                                                               \
    HWY_DYNAMIC_DISPATCH(name)(lanes, max_v, gemm_nv);                          \
  }
#define CONVKIT_NN_WINOGRAD_FIXED(name)                                                      \
  HWY_EXPORT(name);                                                                          \
  void name(bool input, std::size_t m, std::size_t r, const float* X, std::size_t xs,       \
            float* Y, std::size_t ys, std::size_t T) {                                       \
    select_isa();                                                                            \
    HWY_DYNAMIC_DISPATCH(name)(input, m, r, X, xs, Y, ys, T);                                \
  }
#define CONVKIT_NN_WINOGRAD_GATHER(name)                                                     \
  HWY_EXPORT(name);                                                                          \
  void name(const float* in, std::size_t in_stride, std::size_t m, std::size_t alpha,         \
            float* patch, std::size_t np) {                                                  \
    select_isa();                                                                            \
    HWY_DYNAMIC_DISPATCH(name)(in, in_stride, m, alpha, patch, np);                          \
  }
#define CONVKIT_NN_WINOGRAD_SCATTER(name)                                                    \
  HWY_EXPORT(name);                                                                          \
  void name(const float* y, std::size_t np, std::size_t m, float scale, float offset,         \
            float lo, float hi, float* out, std::ptrdiff_t out_stride, std::size_t rows,      \
            std::size_t cols) {                                                              \
    select_isa();                                                                            \
    HWY_DYNAMIC_DISPATCH(name)(y, np, m, scale, offset, lo, hi, out, out_stride, rows, cols); \
  }
#define CONVKIT_NN_COPY(name)                                                                \
  HWY_EXPORT(name);                                                                          \
  void name(const float* src, std::ptrdiff_t src_stride, std::size_t rows, std::size_t n,     \
            float* dst, std::size_t dst_stride) {                                            \
    select_isa();                                                                            \
    HWY_DYNAMIC_DISPATCH(name)(src, src_stride, rows, n, dst, dst_stride);                   \
  }
#define CONVKIT_NN_TRANSPOSE(name)                                                           \
  HWY_EXPORT(name);                                                                          \
  void name(const float* in, std::ptrdiff_t cs, std::ptrdiff_t xs, std::size_t nx,          \
            std::size_t C, float* out, std::size_t os) {                                     \
    select_isa();                                                                            \
    HWY_DYNAMIC_DISPATCH(name)(in, cs, xs, nx, C, out, os);                                  \
  }
#define CONVKIT_NN_STORE(name)                                                               \
  HWY_EXPORT(name);                                                                          \
  void name(const float* tile, std::size_t kb, std::size_t kn, std::size_t n, float scale,   \
            const float* offset, float lo, float hi, float* out, std::ptrdiff_t out_stride,   \
            const float* res, std::ptrdiff_t res_stride, bool stream) {                      \
    select_isa();                                                                            \
    HWY_DYNAMIC_DISPATCH(name)(tile, kb, kn, n, scale, offset, lo, hi, out, out_stride, res,  \
                               res_stride, stream);                                          \
  }
#define CONVKIT_NN_GEMM(name)                                                                \
  HWY_EXPORT(name);                                                                          \
  void name(const float* a, std::size_t C, std::size_t MR, const float* b, float* out) {     \
    select_isa();                                                                            \
    HWY_DYNAMIC_DISPATCH(name)(a, C, MR, b, out);                                            \
  }
#define CONVKIT_NN_GEMM_STORE(name)                                                          \
  HWY_EXPORT(name);                                                                          \
  void name(const float* a, std::size_t C, std::size_t MR, const float* b, std::size_t n,    \
            float scale, const float* offset, float lo, float hi, float* out,                \
            std::ptrdiff_t out_stride, bool stream) {                                        \
    select_isa();                                                                            \
    HWY_DYNAMIC_DISPATCH(name)(a, C, MR, b, n, scale, offset, lo, hi, out, out_stride, stream); \
  }
#define CONVKIT_NN_DEPTHWISE(name)                                                             \
  HWY_EXPORT(name);                                                                            \
  void name(const float* in, std::size_t in_stride, std::size_t sh, const float* w,            \
            std::size_t R, std::size_t S, std::size_t dh, std::size_t dw, std::size_t rows,    \
            std::size_t n, float* out, std::size_t out_stride, float scale, float offset,      \
            float lo, float hi) {                                                              \
    select_isa();                                                                              \
    HWY_DYNAMIC_DISPATCH(name)(in, in_stride, sh, w, R, S, dh, dw, rows, n, out, out_stride,   \
                               scale, offset, lo, hi);                                         \
  }
#define CONVKIT_NN_WGRAD(name)                                                                \
  HWY_EXPORT(name);                                                                             \
  void name(const float* in, std::size_t in_stride, std::size_t sh, const std::ptrdiff_t* off,  \
            std::size_t ntaps, const float* g, std::size_t g_stride, std::size_t rows,          \
            std::size_t n, float* acc) {                                                        \
    select_isa();                                                                               \
    HWY_DYNAMIC_DISPATCH(name)(in, in_stride, sh, off, ntaps, g, g_stride, rows, n, acc);       \
  }
#include "kernels/nn/nn.inc"
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
#undef CONVKIT_NN_WGRAD
}  // namespace convkit::kernels
#endif  // HWY_ONCE
