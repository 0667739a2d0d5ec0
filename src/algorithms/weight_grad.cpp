// Direction::backward_weights: diff_w[k, c, r, s] = sum over (n, p, q) of
// xp[n, c, p*sh + r*dh, q*sw + s*dw] * dy[n, k, p, q], where xp is the input extended by the
// pads through the border rule (made once, in one place: border_index; negative pads crop).
//
// Per group this is a GEMM, diff_w^T (Cg*R*S x Kg) = col (Cg*R*S x N*P*Q) * dy^T, with col the
// im2col matrix. f32 with Kg >= 8 runs it on the channel-blocked direct kernel (f32_conv_tile
// with one tap: rows of col are its "pixels", output channels across the lanes):
//
//   pack dy^T per block of V*lanes output channels:  dyT[g][kblock][n][pixel][lanes]
//   parallel: thread t owns rows [a_t, b_t) of col (a slice of c, r, s)
//     for g, n, chunk of T pixels:
//       col[a_t..b_t][T] = xp gathered                     (only this thread's rows)
//       for kblock: acc[rows][lanes] += col * dyT chunk    (accumulators in registers)
//
// No two threads write the same weight and each weight's sum runs in the same order whatever
// the thread count (the chunks do not depend on it): the same bits for 1 or 16 threads, with no
// partial sums to reduce. Other cases (few output channels per group: depthwise) take one task
// per (k, c): f32 at unit column stride on f32_weight_grad_taps (SIMD over the columns, all
// R x S taps in registers), f64 and strided columns a dot-product loop in 8 partial sums.
#include "algorithms/weight_grad.h"

#include <omp.h>

#include <algorithm>
#include <cstring>
#include <sstream>
#include <type_traits>
#include <vector>

#include "algorithms/border.h"
#include "algorithms/nn_common.h"
#include "convkit/error.h"
#include "kernels/dispatch.h"
#include "util/threads.h"

namespace convkit {

namespace {

// xp as a plain N x C x Hp x Wp array (or the input itself when it needs no padding).
template <class T>
struct Padded {
  const T* data = nullptr;
  std::int64_t sn = 0, sc = 0, sy = 0;  // element strides (unit along a row)
  std::int64_t h = 0, w = 0;
  std::vector<T> storage;
};

bool needs_padding(const ConvProblem& p, const ConstTensorView& src) {
  return p.pad_top || p.pad_bottom || p.pad_left || p.pad_right || src.stride(3) != 1;
}

// Column map of the padded rows: the source column of each, or -1 for the constant.
std::vector<std::int64_t> padded_columns(const ConvProblem& p) {
  std::vector<std::int64_t> xs(static_cast<std::size_t>(p.w + p.pad_left + p.pad_right));
  for (std::size_t x = 0; x < xs.size(); ++x)
    xs[x] = border_index(std::int64_t(x) - p.pad_left, p.w, p.border);
  return xs;
}

// One plane of xp (rows of width xs.size(), contiguous) from a plane of the input.
template <class T>
void pad_plane(const ConvProblem& p, const T* plane, std::int64_t s2, std::int64_t s3,
               const std::vector<std::int64_t>& xs, T* out) {
  const std::int64_t hp = p.h + p.pad_top + p.pad_bottom, wp = std::int64_t(xs.size());
  for (std::int64_t y = 0; y < hp; ++y, out += wp) {
    const std::int64_t yy = border_index(y - p.pad_top, p.h, p.border);
    if (yy < 0) {
      std::fill(out, out + wp, T(0));
      continue;
    }
    if (p.border == Border::constant && s3 == 1) {  // zeros, the row, zeros
      const std::int64_t x0 = std::max<std::int64_t>(p.pad_left, 0);
      const std::int64_t x1 = std::min<std::int64_t>(wp, p.pad_left + p.w);
      std::fill(out, out + x0, T(0));
      if (x1 > x0)
        std::memcpy(out + x0, plane + yy * s2 + (x0 - p.pad_left), std::size_t(x1 - x0) * sizeof(T));
      std::fill(out + std::max(x1, x0), out + wp, T(0));
      continue;
    }
    for (std::int64_t x = 0; x < wp; ++x) {
      const std::int64_t xx = xs[std::size_t(x)];
      out[x] = xx < 0 ? T(0) : plane[yy * s2 + xx * s3];
    }
  }
}

template <class T>
Padded<T> pad_input(const ConvProblem& p, ConstTensorView src) {
  Padded<T> xp;
  xp.h = p.h + p.pad_top + p.pad_bottom;
  xp.w = p.w + p.pad_left + p.pad_right;
  const T* in = static_cast<const T*>(src.data());
  if (!needs_padding(p, src)) {
    xp.data = in, xp.sn = src.stride(0), xp.sc = src.stride(1), xp.sy = src.stride(2);
    return xp;
  }
  xp.storage.resize(std::size_t(p.n * p.c * xp.h * xp.w));
  xp.sc = xp.h * xp.w, xp.sn = p.c * xp.sc, xp.sy = xp.w;
  const std::vector<std::int64_t> xs = padded_columns(p);
  const int nt = threads_for(p.n * p.c * xp.h * xp.w, 1 << 15);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (std::int64_t nc = 0; nc < p.n * p.c; ++nc) {
    const std::int64_t n = nc / p.c, c = nc % p.c;
    pad_plane(p, in + n * src.stride(0) + c * src.stride(1), src.stride(2), src.stride(3), xs,
              xp.storage.data() + nc * xp.sc);
  }
  xp.data = xp.storage.data();
  return xp;
}

// sum a[i*as] * b[i] for i < n, in 8 interleaved partial sums (vectorizable without reassociation
// flags; a fixed order, so the same bits everywhere).
template <class T>
T dot(const T* a, std::int64_t as, const T* b, std::int64_t n) {
  T acc[8] = {};
  std::int64_t i = 0;
  if (as == 1)
    for (; i + 8 <= n; i += 8)
      for (int j = 0; j < 8; ++j) acc[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) acc[i & 7] += a[i * as] * b[i];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

class WeightGradImpl final : public AlgorithmImpl {
 public:
  explicit WeightGradImpl(const ConvProblem& p) : p_(p), shape_(nn_common::kernel_shape()) {
    cg_ = p.c / p.groups, kg_ = p.k / p.groups;
    crs_ = cg_ * p.r * p.s;
    gemm_ = p.src_dtype == DType::f32 && kg_ >= 8;
    if (gemm_) {
      const auto lanes = std::int64_t(shape_.lanes);
      v_ = std::min<std::int64_t>((kg_ + lanes - 1) / lanes, std::int64_t(shape_.max_v));
      kb_ = v_ * lanes;
      kblocks_ = (kg_ + kb_ - 1) / kb_;
      // A chunk of dy^T for one block stays in L2 (128 KiB) while every row of col passes it.
      chunk_ = std::clamp<std::int64_t>((std::int64_t(32) << 10) / kb_, 16, 2048);
      chunk_ = std::min(chunk_, p.out_h() * p.out_w());
    }
  }

  void run(ConstTensorView, TensorView) const override {
    detail::fail("direction", "a backward-weights plan runs with execute_backward_weights");
  }

  std::string describe() const override {
    std::ostringstream os;
    if (gemm_)
      os << "weight-gradient GEMM: im2col rows x dy^T on the direct-blocked kernel, "
         << kb_ << " output channels per block, chunks of " << chunk_
         << " pixels, rows split over up to " << get_num_threads()
         << " threads (deterministic)";
    else
      os << "weight-gradient dot products: one weight per task, "
         << (p_.src_dtype == DType::f32 ? "f32" : "f64") << " in 8 partial sums, up to "
         << get_num_threads() << " threads (deterministic)";
    return os.str();
  }

  void run_weights(ConstTensorView src, ConstTensorView dy, TensorView dw,
                   TensorView db) const override {
    if (gemm_) run_gemm(pad_input<float>(p_, src), dy, dw);
    else if (p_.src_dtype == DType::f32) run_dots<float>(src, dy, dw);
    else run_dots<double>(src, dy, dw);
    if (db.data()) bias_gradient(dy, db);
  }

 private:
  // One task per (k, c), each padding its input planes into a buffer of its own (a plane
  // stays in cache instead of a padded copy of the whole input going through memory).
  template <class T>
  void run_dots(ConstTensorView src, ConstTensorView dyv, TensorView dwv) const {
    const ConvProblem& p = p_;
    const std::int64_t P = p.out_h(), Q = p.out_w(), rs = p.r * p.s;
    const T* dy = static_cast<const T*>(dyv.data());
    T* dw = static_cast<T*>(dwv.data());
    // dy rows with unit stride are read in place; others are copied once.
    std::vector<T> dense;
    std::int64_t yn = dyv.stride(0), yk = dyv.stride(1), yp = dyv.stride(2);
    if (dyv.stride(3) != 1) {
      dense.resize(std::size_t(p.n * p.k * P * Q));
      for (std::int64_t i = 0, n = 0; n < p.n; ++n)
        for (std::int64_t k = 0; k < p.k; ++k)
          for (std::int64_t y = 0; y < P; ++y)
            for (std::int64_t x = 0; x < Q; ++x, ++i)
              dense[std::size_t(i)] = dy[n * yn + k * yk + y * yp + x * dyv.stride(3)];
      dy = dense.data(), yk = P * Q, yn = p.k * yk, yp = Q;
    }
    const bool pad = needs_padding(p, src);
    const std::vector<std::int64_t> xs = padded_columns(p);
    const std::int64_t plane_len = (p.h + p.pad_top + p.pad_bottom) * std::int64_t(xs.size());
    const std::int64_t sy = pad ? std::int64_t(xs.size()) : src.stride(2);
    const T* in = static_cast<const T*>(src.data());
    std::vector<std::ptrdiff_t> off(static_cast<std::size_t>(rs));
    for (std::int64_t r = 0; r < p.r; ++r)
      for (std::int64_t s = 0; s < p.s; ++s)
        off[std::size_t(r * p.s + s)] = r * p.dilation_h * sy + s * p.dilation_w;
    const bool simd = std::is_same_v<T, float> && p.stride_w == 1;
    const std::int64_t tasks = p.k * cg_;
    const int nt = threads_for(tasks * rs * p.n * P * Q, 1 << 15);
#pragma omp parallel num_threads(nt)
    {
      std::vector<T> buf(static_cast<std::size_t>(pad ? plane_len : 0));
      std::vector<T> acc(static_cast<std::size_t>(rs));
#pragma omp for schedule(static)
      for (std::int64_t task = 0; task < tasks; ++task) {
        const std::int64_t k = task / cg_, c = task % cg_;
        const std::int64_t ci = (k / kg_) * cg_ + c;
        std::fill(acc.begin(), acc.end(), T(0));
        for (std::int64_t n = 0; n < p.n; ++n) {
          const T* plane = in + n * src.stride(0) + ci * src.stride(1);
          if (pad) {
            pad_plane(p, plane, src.stride(2), src.stride(3), xs, buf.data());
            plane = buf.data();
          }
          const T* g = dy + n * yn + k * yk;
          if constexpr (std::is_same_v<T, float>) {
            if (simd) {  // SIMD over the columns, every tap of the task in registers
              kernels::f32_weight_grad_taps(plane, std::size_t(sy), std::size_t(p.stride_h),
                                            off.data(), off.size(), g, std::size_t(yp),
                                            std::size_t(P), std::size_t(Q), acc.data());
              continue;
            }
          }
          for (std::int64_t t = 0; t < rs; ++t)
            for (std::int64_t y = 0; y < P; ++y)
              acc[std::size_t(t)] +=
                  dot(plane + y * p.stride_h * sy + off[std::size_t(t)], p.stride_w, g + y * yp, Q);
        }
        for (std::int64_t r = 0; r < p.r; ++r)
          for (std::int64_t s = 0; s < p.s; ++s)
            dw[k * dwv.stride(0) + c * dwv.stride(1) + r * dwv.stride(2) + s * dwv.stride(3)] =
                acc[std::size_t(r * p.s + s)];
      }
    }
  }

  void run_gemm(const Padded<float>& xp, ConstTensorView dyv, TensorView dwv) const {
    const ConvProblem& p = p_;
    const std::int64_t P = p.out_h(), Q = p.out_w(), PQ = P * Q;
    const float* dy = static_cast<const float*>(dyv.data());
    // dyT[g][kblock][n][pixel][kb], zero lanes past Kg.
    const std::int64_t block_len = p.n * PQ * kb_;
    nn_common::AlignedFloats dyt = nn_common::aligned_floats(std::size_t(p.groups * kblocks_ * block_len));
    {
      const std::int64_t items = p.groups * kblocks_ * p.n;
      const int nt = threads_for(items * PQ * kb_, 1 << 15);
#pragma omp parallel for num_threads(nt) schedule(static)
      for (std::int64_t item = 0; item < items; ++item) {
        const std::int64_t n = item % p.n, gb = item / p.n;
        const std::int64_t g = gb / kblocks_, kblock = gb % kblocks_;
        float* out = dyt.get() + gb * block_len + n * PQ * kb_;
        const std::int64_t k0 = kblock * kb_, kn = std::min(kb_, kg_ - k0);
        // Row by row, so that one row's [Q][kb] block stays in L1 while the channels fill it.
        const float* base = dy + n * dyv.stride(0) + (g * kg_ + k0) * dyv.stride(1);
        for (std::int64_t y = 0; y < P; ++y)
          for (std::int64_t j = 0; j < kn; ++j) {
            const float* row = base + j * dyv.stride(1) + y * dyv.stride(2);
            float* o = out + y * Q * kb_ + j;
            for (std::int64_t x = 0; x < Q; ++x) o[x * kb_] = row[x * dyv.stride(3)];
          }
      }
    }
    // diff_w^T per group and block: [g][kblock][crs][kb].
    nn_common::AlignedFloats dwt = nn_common::aligned_floats(std::size_t(p.groups * kblocks_ * crs_ * kb_));
    const int nt = threads_for(p.groups * crs_ * p.n * PQ * kg_, 1 << 18);
    const std::int64_t chunks = (PQ + chunk_ - 1) / chunk_;
#pragma omp parallel num_threads(nt)
    {
      const std::int64_t t = omp_get_thread_num(), threads = omp_get_num_threads();
      const std::int64_t a = crs_ * t / threads, b = crs_ * (t + 1) / threads;
      if (a < b && p.stride_w == 1)
        rows_in_place(xp, dyt.get(), block_len, a, b, dwt.get());
      else if (a < b) {
        // Rows of col go in blocks whose gathered chunk stays in L2 beside the dy^T chunk.
        const std::int64_t block = std::clamp<std::int64_t>((std::int64_t(24) << 10) / chunk_, 6, 96);
        nn_common::AlignedFloats col = nn_common::aligned_floats(std::size_t(block * chunk_));
        std::vector<const float*> px(static_cast<std::size_t>(block));
        for (std::int64_t i = 0; i < block; ++i) px[std::size_t(i)] = col.get() + i * chunk_;
        const std::ptrdiff_t no_offset = 0;
        for (std::int64_t g = 0; g < p.groups; ++g)
          for (std::int64_t n = 0; n < p.n; ++n)
            for (std::int64_t ch = 0; ch < chunks; ++ch) {
              const std::int64_t t0 = ch * chunk_, tn = std::min(chunk_, PQ - t0);
              for (std::int64_t r0 = a; r0 < b; r0 += block) {
                const std::int64_t rows = std::min(block, b - r0);
                gather(xp, n, g, r0, rows, t0, tn, col.get());
                for (std::int64_t kblock = 0; kblock < kblocks_; ++kblock) {
                  const float* w =
                      dyt.get() + (g * kblocks_ + kblock) * block_len + (n * PQ + t0) * kb_;
                  kernels::f32_conv_tile(px.data(), std::size_t(rows), &no_offset, &w, 1,
                                         std::size_t(tn), std::size_t(v_),
                                         dwt.get() + ((g * kblocks_ + kblock) * crs_ + r0) * kb_,
                                         std::size_t(kb_), true);
                }
              }
            }
      }
    }
    float* dw = static_cast<float*>(dwv.data());
    for (std::int64_t g = 0; g < p.groups; ++g)
      for (std::int64_t kk = 0; kk < kg_; ++kk) {
        const float* from = dwt.get() + ((g * kblocks_ + kk / kb_) * crs_) * kb_ + kk % kb_;
        for (std::int64_t i = 0, c = 0; c < cg_; ++c)
          for (std::int64_t r = 0; r < p.r; ++r)
            for (std::int64_t s = 0; s < p.s; ++s, ++i)
              dw[(g * kg_ + kk) * dwv.stride(0) + c * dwv.stride(1) + r * dwv.stride(2) +
                 s * dwv.stride(3)] = from[i * kb_];
      }
  }

  // stride_w == 1: the rows of col are rows of xp, read in place -- no im2col. Each output
  // row y is one "tap" of the kernel (input offset y*sh rows, weights dy^T of that row), so the
  // accumulators stay in registers across a block of output rows whose dy^T fits in L2.
  void rows_in_place(const Padded<float>& xp, const float* dyt, std::int64_t block_len,
                     std::int64_t a, std::int64_t b, float* dwt) const {
    const ConvProblem& p = p_;
    const std::int64_t P = p.out_h(), Q = p.out_w(), PQ = P * Q, rs = p.r * p.s;
    const std::int64_t pb = std::clamp<std::int64_t>((std::int64_t(32) << 10) / (Q * kb_), 1, P);
    std::vector<const float*> px(static_cast<std::size_t>(b - a)), w(static_cast<std::size_t>(pb));
    std::vector<std::ptrdiff_t> off(static_cast<std::size_t>(pb));
    for (std::int64_t g = 0; g < p.groups; ++g)
      for (std::int64_t n = 0; n < p.n; ++n) {
        for (std::int64_t crs = a; crs < b; ++crs) {
          const std::int64_t c = crs / rs, r = crs % rs / p.s, s = crs % p.s;
          px[std::size_t(crs - a)] = xp.data + n * xp.sn + (g * cg_ + c) * xp.sc +
                                     r * p.dilation_h * xp.sy + s * p.dilation_w;
        }
        for (std::int64_t y0 = 0; y0 < P; y0 += pb) {
          const std::int64_t ny = std::min(pb, P - y0);
          for (std::int64_t i = 0; i < ny; ++i)
            off[std::size_t(i)] = (y0 + i) * p.stride_h * xp.sy;
          for (std::int64_t kblock = 0; kblock < kblocks_; ++kblock) {
            for (std::int64_t i = 0; i < ny; ++i)
              w[std::size_t(i)] = dyt + (g * kblocks_ + kblock) * block_len + (n * PQ + (y0 + i) * Q) * kb_;
            kernels::f32_conv_tile(px.data(), std::size_t(b - a), off.data(), w.data(),
                                   std::size_t(ny), std::size_t(Q), std::size_t(v_),
                                   dwt + ((g * kblocks_ + kblock) * crs_ + a) * kb_,
                                   std::size_t(kb_), true);
          }
        }
      }
  }

  // col[i][t] = xp[n, g*Cg + c, p*sh + r*dh, q*sw + s*dw] for rows i = (c, r, s) in
  // [row0, row0 + rows) and pixels t0 + t = p*Q + q.
  void gather(const Padded<float>& xp, std::int64_t n, std::int64_t g, std::int64_t row0,
              std::int64_t rows, std::int64_t t0, std::int64_t tn, float* col) const {
    const ConvProblem& p = p_;
    const std::int64_t Q = p.out_w(), rs = p.r * p.s;
    for (std::int64_t i = 0; i < rows; ++i) {
      const std::int64_t crs = row0 + i, c = crs / rs, r = crs % rs / p.s, s = crs % p.s;
      const float* plane = xp.data + n * xp.sn + (g * cg_ + c) * xp.sc + r * p.dilation_h * xp.sy +
                           s * p.dilation_w;
      float* out = col + i * chunk_;
      for (std::int64_t t = t0; t < t0 + tn;) {
        const std::int64_t y = t / Q, x = t % Q, len = std::min(Q - x, t0 + tn - t);
        const float* from = plane + y * p.stride_h * xp.sy + x * p.stride_w;
        if (p.stride_w == 1) std::memcpy(out, from, std::size_t(len) * sizeof(float));
        else
          for (std::int64_t j = 0; j < len; ++j) out[j] = from[j * p.stride_w];
        out += len, t += len;
      }
    }
  }

  ConvProblem p_;
  nn_common::Shape shape_;
  std::int64_t cg_ = 1, kg_ = 1, crs_ = 1;
  bool gemm_ = false;
  std::int64_t v_ = 1, kb_ = 1, kblocks_ = 1, chunk_ = 1;
};

template <class T>
void bias_gradient_typed(ConstTensorView dyv, TensorView db) {
  const T* dy = static_cast<const T*>(dyv.data());
  T* out = static_cast<T*>(db.data());
  const std::int64_t N = dyv.dim(0), K = dyv.dim(1), P = dyv.dim(2), Q = dyv.dim(3);
  const int nt = threads_for(N * K * P * Q, 1 << 16);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (std::int64_t k = 0; k < K; ++k) {
    double acc[8] = {};
    for (std::int64_t n = 0; n < N; ++n)
      for (std::int64_t y = 0; y < P; ++y) {
        const T* row = dy + n * dyv.stride(0) + k * dyv.stride(1) + y * dyv.stride(2);
        const std::int64_t xs = dyv.stride(3);
        std::int64_t x = 0;
        if (xs == 1)
          for (; x + 8 <= Q; x += 8)
            for (int j = 0; j < 8; ++j) acc[j] += double(row[x + j]);
        for (; x < Q; ++x) acc[x & 7] += double(row[x * xs]);
      }
    out[k * db.stride(0)] =
        T(((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])));
  }
}

}  // namespace

void bias_gradient(ConstTensorView diff_dst, TensorView diff_bias) {
  if (diff_dst.dtype() == DType::f32) bias_gradient_typed<float>(diff_dst, diff_bias);
  else bias_gradient_typed<double>(diff_dst, diff_bias);
}

std::unique_ptr<AlgorithmImpl> make_weight_grad(const ConvProblem& p) {
  return std::make_unique<WeightGradImpl>(p);
}

}  // namespace convkit
