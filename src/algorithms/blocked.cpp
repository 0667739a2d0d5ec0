// direct-blocked: the channel-blocked direct convolution of deep-learning layers (f32).
//
//   parallel for (n, group, band of output rows, chunk of output-channel blocks):  static split
//     stage[row][x][c] = in~(n, g*Cg + c, y, x) for the band's input rows     border rule here
//     for kb in the chunk's blocks of KB = V * lanes output channels:
//       tile[pixel][KB] = sum over (r, s, c) of w[kb][r][s][c][:] * stage[...]  (kernels/nn)
//       dst[n, k, p, q] = act(tile * scale + delta + bias[k])                   NCHW or NHWC
//
// Output channels run across the vector lanes and a row segment of output pixels across the
// registers, so every input sample is one broadcast feeding V FMAs, and every weight vector load
// feeds Q FMAs. The band's input is staged channels-last once per item, with the border applied,
// so the tiles never test coordinates and any stride, dilation, layout or padding mode costs
// the same; pixels of one tile may span output rows, so narrow outputs (7x7) still fill tiles.
#include "algorithms/blocked.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "algorithms/border.h"
#include "algorithms/nn_common.h"
#include "algorithms/rows.h"
#include "kernels/dispatch.h"
#include "plan/cost.h"
#include "util/threads.h"

namespace convkit {

namespace {

using nn_common::kernel_shape;
using nn_common::Shape;

// Weights of one block for one channel chunk: sized to stay in cache across the band's tiles.
constexpr std::int64_t kChunkBytes = std::int64_t(192) << 10;

// Output channels per block: as many vectors as the tile holds, but no more than the group needs.
std::int64_t block_vectors(std::int64_t kg, const Shape& s) {
  const std::int64_t need = (kg + std::int64_t(s.lanes) - 1) / std::int64_t(s.lanes);
  if (need <= std::int64_t(s.max_v)) return need;
  // Several blocks: the widest V whose padding waste is small.
  std::int64_t best = std::int64_t(s.max_v);
  for (std::int64_t v = std::int64_t(s.max_v); v >= 1; --v)
    if (need % v == 0) return v >= 2 ? v : best;
  return best;
}

class DirectBlockedImpl final : public AlgorithmImpl {
 public:
  DirectBlockedImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f)
      : p_(p), filter_(std::move(f)), shape_(kernel_shape()) {
    cg_ = p.c / p.groups;
    kg_ = p.k / p.groups;
    P_ = p.out_h(), Q_ = p.out_w();
    v_ = block_vectors(kg_, shape_);
    kb_ = v_ * std::int64_t(shape_.lanes);
    kblocks_ = (kg_ + kb_ - 1) / kb_;
    pack_weights();
    off_.resize(std::size_t(p.k));
    for (std::int64_t k = 0; k < p.k; ++k) off_[std::size_t(k)] = nn_common::channel_offset(p, *filter_, k);
    ext_w_ = (Q_ - 1) * p.stride_w + (p.s - 1) * p.dilation_w + 1;
    bounds_ = nn_common::bounds_of(p);
    stream_ = double(p.n * p.k * P_ * Q_) * sizeof(float) >= cost::kStreamOutputBytes;
    // Channels per chunk: one block's weights for a chunk within about 192 KiB of L2.
    const std::int64_t per_channel = p.r * p.s * kb_ * std::int64_t(sizeof(float));
    const std::int64_t chunks = (cg_ * per_channel + kChunkBytes - 1) / kChunkBytes;
    cchunk_ = (cg_ + chunks - 1) / chunks;
    choose_split();
  }

  std::string describe() const override {
    std::ostringstream os;
    os << "direct-blocked: f32, " << kb_ << " output channels per block (" << v_ << " x "
       << shape_.lanes << " lanes, " << kernels::isa_name() << "), bands of " << band_rows_
       << " output rows, " << kchunks_ << " output-channel chunk(s), input channels in chunks of "
       << cchunk_ << (stream_ ? ", non-temporal stores" : "") << ", " << items_ << " work items on up to "
       << threads_ << " threads";
    return os.str();
  }

  void run(ConstTensorView src, TensorView dst) const override { run_residual(src, dst, {}); }
  bool fuses_residual() const override { return true; }
  void run_residual(ConstTensorView src, TensorView dst, ConstTensorView res) const override {
    const std::int64_t items = items_;
#pragma omp parallel for schedule(static) num_threads(threads_) if (threads_ > 1)
    for (std::int64_t item = 0; item < items; ++item) run_item(src, dst, res, item);
  }

 private:
  void pack_weights() {
    const ConvProblem& p = p_;
    const std::size_t n = std::size_t(p.groups * kblocks_ * p.r * p.s * cg_ * kb_);
    packed_ = nn_common::aligned_floats(n);
    if (filter_->wf)
      pack_from(filter_->wf.get());
    else
      pack_from(filter_->w.data());
  }

  // packed[g][block][t][c][j] = w[g*kg + block*kb + j][c][t]: a transpose of each block's kb
  // rows. Eight input channels at a time go through a small buffer: the rows are read in runs
  // of 8 * R * S taps and the packed taps written in runs of 8 * kb, where the direct loops
  // (every row read or written 4 KiB-aliased, 18-36 KB apart) thrashed L1 (512 x 512 x 3 x 3:
  // 7 ms -> ~1 ms).
  template <class W>
  void pack_from(const W* w) {
    const ConvProblem& p = p_;
    const std::int64_t rs = p.r * p.s, chunk = 8;
    std::vector<float> buf(std::size_t(kb_ * chunk * rs));
    for (std::int64_t g = 0; g < p.groups; ++g)
      for (std::int64_t kb = 0; kb < kblocks_; ++kb) {
        const std::int64_t k0 = g * kg_ + kb * kb_, kn = std::min(kb_, kg_ - kb * kb_);
        float* block = packed_.get() + (g * kblocks_ + kb) * rs * cg_ * kb_;
        for (std::int64_t c0 = 0; c0 < cg_; c0 += chunk) {
          const std::int64_t cn = std::min(chunk, cg_ - c0);
          for (std::int64_t j = 0; j < kn; ++j) {  // buf[j][cc * rs + t], one run per row
            const W* row = w + ((k0 + j) * cg_ + c0) * rs;
            for (std::int64_t i = 0; i < cn * rs; ++i) buf[std::size_t(j * chunk * rs + i)] = float(row[i]);
          }
          for (std::int64_t t = 0; t < rs; ++t)
            for (std::int64_t cc = 0; cc < cn; ++cc) {
              float* o = block + (t * cg_ + c0 + cc) * kb_;
              for (std::int64_t j = 0; j < kn; ++j) o[j] = buf[std::size_t(j * chunk * rs + cc * rs + t)];
            }
        }
      }
  }

  // Bands of output rows x chunks of output-channel blocks, from a small cost model of the
  // busiest thread: its items' register tiles (a partial tile costs a whole one), the staging
  // of each item's input rows (a scalar transpose, repeated per channel chunk and for the rows
  // bands share), and a fixed cost per item. Shorter bands and more chunks balance the threads;
  // taller bands stage fewer rows twice.
  void choose_split() {
    const ConvProblem& p = p_;
    const double macs = double(p.n * p.k * P_ * Q_) * double(cg_ * p.r * p.s);
    threads_ = std::max(1, threads_for(std::int64_t(macs / 1e5), 1));
    const std::int64_t ng = p.n * p.groups;
    const std::int64_t tq = v_ >= 4 ? 6 : 8;  // pixels per register tile (kernels/nn)
    const double fma_per_px = double(kb_) * double(cg_ * p.r * p.s) / double(shape_.lanes);
    double best = std::numeric_limits<double>::infinity();
    band_rows_ = 1, kchunks_ = 1;
    for (std::int64_t nb = 1; nb <= P_; ++nb) {
      const std::int64_t b = (P_ + nb - 1) / nb;
      if ((P_ + b - 1) / b != nb) continue;  // the same bands as a smaller count
      const std::int64_t rows = (b - 1) * p.stride_h + (p.r - 1) * p.dilation_h + 1;
      const double stage_bytes = double(rows * ext_w_ * cg_) * sizeof(float);
      // The band's tile buffer is written by the kernel and read back by the store: it has to
      // stay in L2 (ResNet conv1 in one band: 3 MiB of tiles, 10% slower).
      const double tile_bytes = double(b * Q_ * kb_) * sizeof(float);
      if (b > 1 && (tile_bytes > double(192 << 10) || stage_bytes > double(4 << 20))) continue;
      const double tiles = double((b * Q_ + tq - 1) / tq);
      const double staging = 1.5 * double(rows * ext_w_ * cg_);
      for (std::int64_t kc = 1; kc <= kblocks_; ++kc) {
        const std::int64_t items = ng * nb * kc;
        const double per_thread = double((items + threads_ - 1) / threads_);
        const double blocks = double((kblocks_ + kc - 1) / kc);
        const double item = tiles * double(tq) * fma_per_px * blocks / 2.0 + staging + 2000.0;
        const double cost = per_thread * item;
        if (cost < best * 0.999) best = cost, band_rows_ = b, kchunks_ = kc;
      }
    }
    items_ = ng * ((P_ + band_rows_ - 1) / band_rows_) * kchunks_;
  }

  void stage_rows(ConstTensorView src, std::int64_t n, std::int64_t g, std::int64_t y_lo,
                  std::int64_t rows, float* stage) const {
    const ConvProblem& p = p_;
    const float* in = static_cast<const float*>(src.data());
    const std::int64_t is0 = src.stride(0), is1 = src.stride(1), is2 = src.stride(2),
                       is3 = src.stride(3);
    const std::int64_t x_lo = -p.pad_left;
    const float fill = float(p.border_value.real());
    const std::int64_t row_len = ext_w_ * cg_;
    // Interior columns [xa, xb) of the staged row map straight onto input columns.
    const std::int64_t xa = std::clamp<std::int64_t>(-x_lo, 0, ext_w_);
    const std::int64_t xb = std::clamp<std::int64_t>(p.w - x_lo, xa, ext_w_);
    for (std::int64_t yr = 0; yr < rows; ++yr) {
      float* out = stage + yr * row_len;
      const std::int64_t y = border_index(y_lo + yr, p.h, p.border);
      if (y < 0) {
        std::fill(out, out + row_len, fill);
        continue;
      }
      if (is1 != 1) continue;  // NCHW rows: below
      const float* base = in + n * is0 + g * cg_ * is1 + y * is2;
      for (std::int64_t xr = 0; xr < ext_w_; ++xr) {  // NHWC: one copy per pixel
        const std::int64_t x = (xr >= xa && xr < xb) ? xr + x_lo : border_index(xr + x_lo, p.w, p.border);
        if (x < 0) std::fill(out + xr * cg_, out + (xr + 1) * cg_, fill);
        else std::memcpy(out + xr * cg_, base + x * is3, std::size_t(cg_) * sizeof(float));
      }
    }
    if (is1 == 1) return;
    // NCHW: 16 channels (one staged line) at a time over all the rows, so each channel plane is
    // read in one sequential run; row by row over all channels touched a page per channel per
    // row, and the hardware prefetchers lost the streams.
    for (std::int64_t c0 = 0; c0 < cg_; c0 += 16) {
      const std::int64_t cn = std::min<std::int64_t>(16, cg_ - c0);
      for (std::int64_t yr = 0; yr < rows; ++yr) {
        const std::int64_t y = border_index(y_lo + yr, p.h, p.border);
        if (y < 0) continue;
        const float* base = in + n * is0 + (g * cg_ + c0) * is1 + y * is2;
        float* out = stage + yr * row_len + c0;
        for (std::int64_t c = 0; c < cn; ++c) {  // border columns
          const float* row = base + c * is1;
          for (std::int64_t xr = 0; xr < xa; ++xr) {
            const std::int64_t x = border_index(xr + x_lo, p.w, p.border);
            out[xr * cg_ + c] = x < 0 ? fill : row[x * is3];
          }
          for (std::int64_t xr = xb; xr < ext_w_; ++xr) {
            const std::int64_t x = border_index(xr + x_lo, p.w, p.border);
            out[xr * cg_ + c] = x < 0 ? fill : row[x * is3];
          }
        }
        kernels::f32_channels_last(base + (xa + x_lo) * is3, is1, is3, std::size_t(xb - xa),
                                   std::size_t(cn), out + xa * cg_, std::size_t(cg_));
      }
    }
  }

  void run_item(ConstTensorView src, TensorView dst, ConstTensorView res, std::int64_t item) const {
    const ConvProblem& p = p_;
    const std::int64_t bands = (P_ + band_rows_ - 1) / band_rows_;
    const std::int64_t kc = item % kchunks_;
    const std::int64_t band = (item / kchunks_) % bands;
    const std::int64_t ng = item / kchunks_ / bands;
    const std::int64_t g = ng % p.groups, n = ng / p.groups;
    const std::int64_t p0 = band * band_rows_, p1 = std::min(P_, p0 + band_rows_);
    const std::int64_t kb0 = kblocks_ * kc / kchunks_, kb1 = kblocks_ * (kc + 1) / kchunks_;
    if (kb0 >= kb1) return;

    const std::int64_t y_lo = p0 * p.stride_h - p.pad_top;
    const std::int64_t rows = (p1 - 1 - p0) * p.stride_h + (p.r - 1) * p.dilation_h + 1;
    const std::int64_t row_len = ext_w_ * cg_;
    const std::int64_t npx = (p1 - p0) * Q_;
    const std::int64_t rs = p.r * p.s;

    rows::Scratch& scratch = rows::Scratch::for_band();
    float* stage = scratch.take<float>(std::size_t(rows * row_len));
    float* tile = scratch.take<float>(std::size_t((npx + 16) * kb_));  // slack: tile_store
    const float** px = scratch.take<const float*>(std::size_t(npx));
    std::ptrdiff_t* in_off = scratch.take<std::ptrdiff_t>(std::size_t(rs));
    const float** w_tap = scratch.take<const float*>(std::size_t(rs));

    stage_rows(src, n, g, y_lo, rows, stage);
    for (std::int64_t t = 0, pp = p0; pp < p1; ++pp)
      for (std::int64_t q = 0; q < Q_; ++q, ++t)
        px[t] = stage + (pp - p0) * p.stride_h * row_len + q * p.stride_w * cg_;
    // With dilation_w == 1 the S taps of a kernel row read S * Cg consecutive staged samples
    // against S * Cg consecutive packed weight rows: one tap per kernel row, a longer inner loop.
    // When a block's weights outgrow L2, the channels go in chunks (accumulating in the tile)
    // so each chunk's weights stay in cache across the band's pixel tiles.
    const bool chunked = cchunk_ < cg_;
    const bool merged = p.dilation_w == 1 && !chunked;
    const std::int64_t ntaps = merged ? p.r : rs, inner = merged ? p.s * cg_ : cg_;
    for (std::int64_t t = 0; t < ntaps; ++t) {
      const std::int64_t r = merged ? t : t / p.s, s = merged ? 0 : t % p.s;
      in_off[t] = r * p.dilation_h * row_len + s * p.dilation_w * cg_;
    }
    std::ptrdiff_t* off_c = scratch.take<std::ptrdiff_t>(std::size_t(ntaps));

    for (std::int64_t kb = kb0; kb < kb1; ++kb) {
      const float* wb = packed_.get() + (g * kblocks_ + kb) * rs * cg_ * kb_;
      for (std::int64_t c0 = 0; c0 < cg_; c0 += cchunk_) {
        const std::int64_t nc = chunked ? std::min(cchunk_, cg_ - c0) : inner;
        for (std::int64_t t = 0; t < ntaps; ++t) {
          w_tap[t] = wb + (t * inner + c0) * kb_;
          off_c[t] = in_off[t] + c0;
        }
        kernels::f32_conv_tile(px, std::size_t(npx), off_c, w_tap, std::size_t(ntaps),
                               std::size_t(nc), std::size_t(v_), tile, std::size_t(kb_), c0 > 0);
      }
      store(dst, res, n, g * kg_ + kb * kb_, std::min(kb_, kg_ - kb * kb_), p0, p1, tile);
    }
  }

  // dst[n, k0 + j, p, q] = act(tile[t][j] * scale + off[k0 + j]) for the band's pixels t.
  // (+ res[n, k0 + j, p, q] before the activation when a residual is given).
  void store(TensorView dst, ConstTensorView res, std::int64_t n, std::int64_t k0, std::int64_t kn,
             std::int64_t p0, std::int64_t p1, const float* tile) const {
    const ConvProblem& p = p_;
    float* out = static_cast<float*>(dst.data()) + n * dst.stride(0);
    const std::int64_t os1 = dst.stride(1), os2 = dst.stride(2), os3 = dst.stride(3);
    const float* r = res.data() ? static_cast<const float*>(res.data()) + n * res.stride(0) : nullptr;
    const std::int64_t rs1 = r ? res.stride(1) : 0, rs2 = r ? res.stride(2) : 0,
                       rs3 = r ? res.stride(3) : 1;
    const float scale = float(p.scale);
    // NCHW: the tile transposed a block at a time, channel rows of `len` pixels from `t0`.
    auto nchw = [&](std::int64_t t0, std::int64_t len, float* o, const float* ro, bool stream) {
      kernels::f32_tile_store(tile + t0 * kb_, std::size_t(kb_), std::size_t(kn), std::size_t(len),
                              scale, off_.data() + k0, bounds_.lo, bounds_.hi, o, os1, ro, rs1,
                              stream);
      if (!bounds_.fused)
        for (std::int64_t j = 0; j < kn; ++j)
          for (std::int64_t t = 0; t < len; ++t)
            o[j * os1 + t] = float(apply_activation(double(o[j * os1 + t]), p));
    };
    if (os3 == 1 && rs3 == 1) {
      const float* rk = r ? r + k0 * rs1 : nullptr;
      if (os2 == Q_ && (!r || rs2 == Q_)) {  // whole planes: the band is one run per channel
        nchw(0, (p1 - p0) * Q_, out + k0 * os1 + p0 * os2, rk ? rk + p0 * rs2 : nullptr, stream_);
        return;
      }
      for (std::int64_t pp = p0; pp < p1; ++pp)
        nchw((pp - p0) * Q_, Q_, out + k0 * os1 + pp * os2, rk ? rk + pp * rs2 : nullptr, false);
      return;
    }
    // Other layouts (NHWC: channels contiguous): a tile row per output pixel.
    for (std::int64_t pp = p0; pp < p1; ++pp)
      for (std::int64_t q = 0; q < Q_; ++q) {
        const float* v = tile + ((pp - p0) * Q_ + q) * kb_;
        float* o = out + k0 * os1 + pp * os2 + q * os3;
        const float* ro = r ? r + k0 * rs1 + pp * rs2 + q * rs3 : nullptr;
        for (std::int64_t j = 0; j < kn; ++j) {
          const float y = v[j] * scale + off_[std::size_t(k0 + j)] + (ro ? ro[j * rs1] : 0.0f);
          o[j * os1] = bounds_.fused ? std::min(bounds_.hi, std::max(bounds_.lo, y))
                                     : float(apply_activation(double(y), p));
        }
      }
  }

  ConvProblem p_;
  std::shared_ptr<const PreparedFilter> filter_;
  Shape shape_;
  std::int64_t cg_ = 1, kg_ = 1, P_ = 1, Q_ = 1, v_ = 1, kb_ = 1, kblocks_ = 1, ext_w_ = 1;
  std::int64_t band_rows_ = 1, kchunks_ = 1, items_ = 1, cchunk_ = 1;
  int threads_ = 1;
  nn_common::AlignedFloats packed_;
  std::vector<float> off_;
  nn_common::Bounds bounds_;
  bool stream_ = false;  // non-temporal stores for outputs that cannot stay in cache
};

}  // namespace

std::string direct_blocked_rejects(const ConvProblem& p, const PreparedFilter& f) {
  return nn_common::f32_rejects(p, f);
}

double direct_blocked_estimate(const ConvProblem& p, const PreparedFilter&) {
  const Shape s = kernel_shape();
  const std::int64_t kg = p.k / p.groups;
  const std::int64_t kb = block_vectors(kg, s) * std::int64_t(s.lanes);
  const double kpad = double((kg + kb - 1) / kb * kb * p.groups);
  const double pixels = double(p.n * p.out_h() * p.out_w());
  const double flops = 2.0 * pixels * kpad * double(p.c / p.groups * p.r * p.s);
  // Staging: every input sample once per band and channel chunk, about 1 ns each.
  const double staged = double(p.n * p.c) * double(p.out_h() * p.stride_h + p.r) *
                        double(p.out_w() * p.stride_w + p.s);
  return (flops / (cost::kBlockedGflops * 1e6) + staged * 1e-6 +
          double(p.n * p.k * p.out_h() * p.out_w()) * 0.5e-6) / get_num_threads() +
         cost::kLaunchMs;
}

std::unique_ptr<AlgorithmImpl> make_direct_blocked(const ConvProblem& p,
                                                   std::shared_ptr<const PreparedFilter> f) {
  return std::make_unique<DirectBlockedImpl>(p, std::move(f));
}

}  // namespace convkit
