// Direction::backward_weights: diff_w[k, c, r, s] = sum over (n, p, q) of
// xp[n, c, p*sh + r*dh, q*sw + s*dw] * dy[n, k, p, q], where xp is the input extended by the
// pads through the border rule (made once, in one place: border_index; negative pads crop).
//
// Per group this is a GEMM, diff_w^T (Cg*R*S x Kg) = col (Cg*R*S x N*P*Q) * dy^T, with col the
// im2col matrix. f32 with Kg >= 8 runs it on the channel-blocked direct kernel (f32_conv_tile):
// a row (c, r, s) of col, restricted to one output row p, is a row of xp read at unit stride --
// after splitting xp into its stride phases xp[y*sh + a][x*sw + b] -> phase (a, b)[y][x] -- so
// col is never built: the kernel's "pixels" are pointers into xp, each output row p is one of
// its "taps" (an offset of p rows, the weights dy^T of that row), output channels go across the
// lanes, and the accumulators stay in registers over a block of output rows.
//
//   pack dy^T per block of V*lanes output channels:  dyT[g][kblock][n][pixel][lanes]
//   parallel: thread t owns rows [a_t, b_t) of col (a slice of c, r, s)
//     for g, block of (image, output row) pairs whose dy^T fits in L2, kblock:
//       acc[rows][lanes] += xp rows * dyT rows
//
// No two threads write the same weight and each weight's sum runs in the same order whatever
// the thread count: the same bits for 1 or 16 threads, with no partial sums to reduce. Other
// cases (few output channels per group: depthwise) take one task per (k, c): f32 at unit column
// stride on f32_weight_grad_taps (SIMD over the columns, all R x S taps in registers), f64 and
// strided columns a dot-product loop in 8 partial sums.
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
#include "util/pool.h"
#include "util/threads.h"

namespace convkit {

namespace {

// xp, split into its stride phases: element (y, x) of plane (n, c) is phase (y % sh, x % sw) at
// (y / sh, x / sw); every phase has the same rows (hph x wph), so one row stride serves all.
// Without padding or strides, the input itself.
template <class T>
struct Padded {
  const T* data = nullptr;
  std::int64_t sn = 0, sc = 0, sy = 0;  // element strides of image, channel, row
  std::int64_t phase = 0;               // between phases (sh * sw of them per plane)
  PooledBuffer storage;  // uninitialized: the threads write every element
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

// The input rows of one plane dealt to the stride phases of its zero-padded form (`out` zeroed
// first): padded row yp = y + pad_top goes to phase row yp / sh of phases (yp % sh, *), its
// column xp = x + pad_left to column xp / sw of phase (*, xp % sw). Pads may be negative.
template <class T>
void split_rows(const ConvProblem& p, const T* plane, std::int64_t s2, std::int64_t s3,
                const Padded<T>& xp, T* out) {
  const std::int64_t sh = p.stride_h, sw = p.stride_w;
  const std::int64_t hp = p.h + p.pad_top + p.pad_bottom, wp = p.w + p.pad_left + p.pad_right;
  for (std::int64_t y = std::max<std::int64_t>(0, -p.pad_top); y < p.h; ++y) {
    const std::int64_t yp = y + p.pad_top;
    if (yp >= hp) break;
    const T* row = plane + y * s2;
    for (std::int64_t b = 0; b < sw; ++b) {
      // The first x >= 0 with xp >= 0 and xp % sw == b.
      std::int64_t x = std::max<std::int64_t>(0, -p.pad_left);
      x += ((b - (x + p.pad_left)) % sw + sw) % sw;
      T* o = out + ((yp % sh) * sw + b) * xp.phase + (yp / sh) * xp.sy + (x + p.pad_left) / sw;
      for (; x < p.w && x + p.pad_left < wp; x += sw) *o++ = row[x * s3];
    }
  }
}

template <class T>
Padded<T> pad_input(const ConvProblem& p, ConstTensorView src) {
  Padded<T> xp;
  const std::int64_t hp = p.h + p.pad_top + p.pad_bottom, wp = p.w + p.pad_left + p.pad_right;
  const T* in = static_cast<const T*>(src.data());
  const std::int64_t sh = p.stride_h, sw = p.stride_w;
  if (!needs_padding(p, src) && sh == 1 && sw == 1) {
    xp.data = in, xp.sn = src.stride(0), xp.sc = src.stride(1), xp.sy = src.stride(2);
    return xp;
  }
  const std::int64_t hph = (hp + sh - 1) / sh, wph = (wp + sw - 1) / sw;
  xp.sy = wph, xp.phase = hph * wph, xp.sc = sh * sw * xp.phase, xp.sn = p.c * xp.sc;
  xp.storage = PooledBuffer(std::size_t(p.n * xp.sn) * sizeof(T));
  const std::vector<std::int64_t> xs = padded_columns(p);
  const int nt = threads_for(p.n * p.c * hp * wp, 1 << 15);
#pragma omp parallel num_threads(nt)
  {
    std::vector<T> plane(static_cast<std::size_t>(sh * sw == 1 ? 0 : hp * wp));
#pragma omp for schedule(static)
    for (std::int64_t nc = 0; nc < p.n * p.c; ++nc) {
      const std::int64_t n = nc / p.c, c = nc % p.c;
      T* out = xp.storage.template as<T>() + nc * xp.sc;
      const T* from = in + n * src.stride(0) + c * src.stride(1);
      if (sh * sw == 1) {
        pad_plane(p, from, src.stride(2), src.stride(3), xs, out);
        continue;
      }
      std::fill(out, out + xp.sc, T(0));
      if (p.border == Border::constant) {  // zeros: each input row dealt straight to its phases
        split_rows(p, from, src.stride(2), src.stride(3), xp, out);
        continue;
      }
      pad_plane(p, from, src.stride(2), src.stride(3), xs, plane.data());
      // Phase (a, b) row i is padded row i*sh + a at columns b, b + sw, ... (rows and columns
      // past the padded plane stay zero).
      for (std::int64_t a = 0; a < sh; ++a)
        for (std::int64_t b = 0; b < sw; ++b) {
          T* ph = out + (a * sw + b) * xp.phase;
          for (std::int64_t i = 0, y = a; y < hp; ++i, y += sh) {
            const T* row = plane.data() + y * wp + b;
            T* o = ph + i * wph;
            for (std::int64_t j = 0; j * sw + b < wp; ++j) o[j] = row[j * sw];
          }
        }
    }
  }
  xp.data = xp.storage.template as<T>();
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
    }
  }

  void run(ConstTensorView, TensorView) const override {
    detail::fail("direction", "a backward-weights plan runs with execute_backward_weights");
  }

  std::string describe() const override {
    std::ostringstream os;
    if (gemm_)
      os << "weight-gradient GEMM: rows of the padded input (split into " << p_.stride_h * p_.stride_w
         << " stride phase(s)) x dy^T on the direct-blocked kernel, " << kb_
         << " output channels per block, rows split over up to " << get_num_threads()
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
    const PooledBuffer dyt_buffer(std::size_t(p.groups * kblocks_ * block_len) * sizeof(float));
    float* dyt = dyt_buffer.as<float>();
    {
      const std::int64_t items = p.groups * kblocks_ * p.n;
      const int nt = threads_for(items * PQ * kb_, 1 << 15);
#pragma omp parallel for num_threads(nt) schedule(static)
      for (std::int64_t item = 0; item < items; ++item) {
        const std::int64_t n = item % p.n, gb = item / p.n;
        const std::int64_t g = gb / kblocks_, kblock = gb % kblocks_;
        float* out = dyt + gb * block_len + n * PQ * kb_;
        const std::int64_t k0 = kblock * kb_, kn = std::min(kb_, kg_ - k0);
        if (kn < kb_)
          for (std::int64_t i = 0; i < PQ; ++i)
            std::fill(out + i * kb_ + kn, out + (i + 1) * kb_, 0.0f);
        // Sixteen channels at a time over the rows: each channel plane read in one run (one
        // call for the whole plane when its rows are contiguous).
        const float* base = dy + n * dyv.stride(0) + (g * kg_ + k0) * dyv.stride(1);
        const bool flat = dyv.stride(3) == 1 && dyv.stride(2) == Q;
        const std::int64_t rows = flat ? 1 : P, cols = flat ? PQ : Q;
        for (std::int64_t j0 = 0; j0 < kn; j0 += 16)
          for (std::int64_t y = 0; y < rows; ++y)
            kernels::f32_channels_last(base + j0 * dyv.stride(1) + y * dyv.stride(2),
                                       dyv.stride(1), dyv.stride(3), std::size_t(cols),
                                       std::size_t(std::min<std::int64_t>(16, kn - j0)),
                                       out + y * Q * kb_ + j0, std::size_t(kb_));
      }
    }
    // diff_w^T per group and block: [g][kblock][crs][kb].
    nn_common::AlignedFloats dwt = nn_common::aligned_floats(std::size_t(p.groups * kblocks_ * crs_ * kb_));
    const int nt = threads_for(p.groups * crs_ * p.n * PQ * kg_, 1 << 18);
#pragma omp parallel num_threads(nt)
    {
      const std::int64_t t = omp_get_thread_num(), threads = omp_get_num_threads();
      const std::int64_t a = crs_ * t / threads, b = crs_ * (t + 1) / threads;
      if (a < b) rows_in_place(xp, dyt, block_len, a, b, dwt.get());
    }
    float* dw = static_cast<float*>(dwv.data());
    const int nt2 = threads_for(p.groups * kg_ * crs_, 1 << 15);
#pragma omp parallel for num_threads(nt2) schedule(static)
    for (std::int64_t gk = 0; gk < p.groups * kg_; ++gk) {  // diff_w^T back to K x C x R x S
      const std::int64_t g = gk / kg_, kk = gk % kg_;
      const float* from = dwt.get() + ((g * kblocks_ + kk / kb_) * crs_) * kb_ + kk % kb_;
      for (std::int64_t i = 0, c = 0; c < cg_; ++c)
        for (std::int64_t r = 0; r < p.r; ++r)
          for (std::int64_t s = 0; s < p.s; ++s, ++i)
            dw[gk * dwv.stride(0) + c * dwv.stride(1) + r * dwv.stride(2) + s * dwv.stride(3)] =
                from[i * kb_];
    }
  }

  // Rows [a, b) of diff_w^T: row (c, r, s) of col at output row y is the phase
  // ((r*dh) % sh, (s*dw) % sw) row y + (r*dh) / sh from column (s*dw) / sw, read in place.
  void rows_in_place(const Padded<float>& xp, const float* dyt, std::int64_t block_len,
                     std::int64_t a, std::int64_t b, float* dwt) const {
    const ConvProblem& p = p_;
    const std::int64_t P = p.out_h(), Q = p.out_w(), rs = p.r * p.s;
    const bool phased = xp.phase > 0;  // else the input itself, unit strides
    const std::int64_t sh = phased ? p.stride_h : 1, sw = phased ? p.stride_w : 1;
    const std::int64_t row_step = phased ? 1 : p.stride_h;  // xp rows per output row
    // The kernel's taps are the (image, output row) pairs in order, in blocks whose dy^T fits
    // in L2: the accumulators stay in registers across images too (a 1x1 output has one pixel
    // per image), and each weight still sums images, rows and columns in one fixed order.
    const std::int64_t taps = p.n * P;
    const std::int64_t pb = std::clamp<std::int64_t>((std::int64_t(32) << 10) / (Q * kb_), 1, taps);
    std::vector<const float*> px(static_cast<std::size_t>(b - a)), w(static_cast<std::size_t>(pb));
    std::vector<std::ptrdiff_t> off(static_cast<std::size_t>(pb));
    for (std::int64_t g = 0; g < p.groups; ++g) {
      for (std::int64_t crs = a; crs < b; ++crs) {
        const std::int64_t c = crs / rs, ry = crs % rs / p.s * p.dilation_h,
                           sx = crs % p.s * p.dilation_w;
        px[std::size_t(crs - a)] = xp.data + (g * cg_ + c) * xp.sc +
                                   ((ry % sh) * sw + sx % sw) * xp.phase + ry / sh * xp.sy + sx / sw;
      }
      for (std::int64_t t0 = 0; t0 < taps; t0 += pb) {
        const std::int64_t nt = std::min(pb, taps - t0);
        for (std::int64_t i = 0; i < nt; ++i) {
          const std::int64_t n = (t0 + i) / P, y = (t0 + i) % P;
          off[std::size_t(i)] = n * xp.sn + y * row_step * xp.sy;
        }
        for (std::int64_t kblock = 0; kblock < kblocks_; ++kblock) {
          // dy^T rows of consecutive (image, row) pairs are consecutive: tap i is Q pixels on.
          const float* first = dyt + (g * kblocks_ + kblock) * block_len + t0 * Q * kb_;
          for (std::int64_t i = 0; i < nt; ++i) w[std::size_t(i)] = first + i * Q * kb_;
          kernels::f32_conv_tile(px.data(), std::size_t(b - a), off.data(), w.data(),
                                 std::size_t(nt), std::size_t(Q), std::size_t(v_),
                                 dwt + ((g * kblocks_ + kblock) * crs_ + a) * kb_,
                                 std::size_t(kb_), true);
        }
      }
    }
  }

  ConvProblem p_;
  nn_common::Shape shape_;
  std::int64_t cg_ = 1, kg_ = 1, crs_ = 1;
  bool gemm_ = false;
  std::int64_t v_ = 1, kb_ = 1, kblocks_ = 1;
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
