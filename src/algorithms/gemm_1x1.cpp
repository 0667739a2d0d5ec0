// gemm-1x1: a 1x1 convolution is the GEMM out[k][pixel] = sum_c w[k][c] * in[c][pixel].
//
//   parallel for (n, group, panel of 4 x NP output pixels, chunk of 6-channel blocks):  static
//     B[s][c][NP] = in~(n, g*Cg + c, pixel)       copied rows (NCHW, stride 1) or gathered
//     for each sub-panel s, block of MR = 6 output channels:
//       dst[n, k, pixels] = act(A[block][c][MR] x B[s] * scale + delta + bias[k])
//                                                   (kernels/nn f32_gemm_store, BLIS-style)
//
// Pixels run across the lanes, so NCHW input and output are used as they are: no transposes,
// each weight is a broadcast feeding kGemmNv FMAs, each pixel vector load feeds MR FMAs.
#include "algorithms/gemm_1x1.h"

#include <algorithm>
#include <limits>
#include <sstream>

#include "algorithms/border.h"
#include "algorithms/nn_common.h"
#include "algorithms/rows.h"
#include "kernels/dispatch.h"
#include "plan/cost.h"
#include "hwy/cache_control.h"
#include "util/threads.h"

namespace convkit {

namespace {

constexpr std::int64_t kMr = std::int64_t(kernels::kGemmMr);
constexpr std::int64_t kFill = std::numeric_limits<std::int64_t>::min();  // a border sample
// Kernel panels per work item: the item's input is read as rows of kSubs * 64 pixels.
constexpr std::int64_t kSubs = 4;

class Gemm1x1Impl final : public AlgorithmImpl {
 public:
  Gemm1x1Impl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f)
      : p_(p), filter_(std::move(f)) {
    const nn_common::Shape s = nn_common::kernel_shape();
    np_ = std::int64_t(s.gemm_nv * s.lanes);
    cg_ = p.c / p.groups, kg_ = p.k / p.groups;
    P_ = p.out_h(), Q_ = p.out_w();
    mblocks_ = (kg_ + kMr - 1) / kMr;
    // A: [group][block][c][mr], the last block of a group packed with its own mr.
    packed_ = nn_common::aligned_floats(std::size_t(p.groups * mblocks_ * kMr * cg_));
    for (std::int64_t g = 0; g < p.groups; ++g)
      for (std::int64_t mb = 0; mb < mblocks_; ++mb) {
        const std::int64_t mr = std::min(kMr, kg_ - mb * kMr);
        float* a = block(g, mb);
        for (std::int64_t c = 0; c < cg_; ++c)
          for (std::int64_t m = 0; m < mr; ++m)
            a[c * mr + m] = float(filter_->tap(std::size_t((g * kg_ + mb * kMr + m) * cg_ + c)));
      }
    off_.resize(std::size_t(p.k));
    for (std::int64_t k = 0; k < p.k; ++k) off_[std::size_t(k)] = nn_common::channel_offset(p, *filter_, k);
    panels_ = (P_ * Q_ + kSubs * np_ - 1) / (kSubs * np_);
    bounds_ = nn_common::bounds_of(p);
    stream_ = double(p.n * p.k * P_ * Q_) * sizeof(float) >= cost::kStreamOutputBytes;
    const double macs = double(p.n * p.k * P_ * Q_) * double(cg_);
    threads_ = std::max(1, threads_for(std::int64_t(macs / 1e5), 1));
    const std::int64_t base = p.n * p.groups * panels_;
    kchunks_ = 1;
    while (kchunks_ < mblocks_ && base * kchunks_ < 4 * threads_) ++kchunks_;
    items_ = base * kchunks_;
  }

  std::string describe() const override {
    std::ostringstream os;
    os << "gemm-1x1: f32, " << kMr << " output channels x " << np_ << " pixels per register tile ("
       << kernels::isa_name() << "), " << panels_ << " pixel panel(s) of " << kSubs * np_
       << " per image, " << kchunks_
       << " channel chunk(s)" << (stream_ ? ", non-temporal stores" : "") << ", up to " << threads_
       << " threads";
    return os.str();
  }

  void run(ConstTensorView src, TensorView dst) const override { run_residual(src, dst, {}); }
  bool fuses_residual() const override { return true; }
  void run_residual(ConstTensorView src, TensorView dst, ConstTensorView res) const override {
#pragma omp parallel num_threads(threads_) if (threads_ > 1)
    {
#pragma omp for schedule(static)
      for (std::int64_t item = 0; item < items_; ++item) run_item(src, dst, res, item);
      if (stream_) hwy::FlushStream();  // this thread's streamed stores, before the join
    }
  }

 private:
  float* block(std::int64_t g, std::int64_t mb) const {
    return packed_.get() + (g * mblocks_ + mb) * kMr * cg_;
  }

  // True when every output pixel reads the input pixel of its own index (stride 1, no pads,
  // contiguous rows): a panel is then a contiguous run of every input plane.
  bool plain(ConstTensorView src) const {
    const ConvProblem& p = p_;
    return p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 && p.pad_left == 0 &&
           p.pad_bottom == 0 && p.pad_right == 0 && src.stride(3) == 1 && src.stride(2) == p.w;
  }

  // B[s][c][t] for the `subs` sub-panels of a plain item from pixel t0 (width pixels in all);
  // zero past the last pixel. One plane row segment after another: the rows of 256 planes
  // read a sub-panel at a time were 256 streams of 4 lines, too many for the prefetchers.
  void pack_plain(const float* in, std::int64_t is1, std::int64_t t0, std::int64_t width,
                  float* b) const {
    const std::int64_t full = width / np_, tail = width - full * np_;
    constexpr std::int64_t kAhead = 6;  // channels prefetched ahead: the planes are far apart
    for (std::int64_t c = 0; c < cg_; ++c) {
      if (c + kAhead < cg_)
        for (std::int64_t i = 0; i < width; i += 16)
          __builtin_prefetch(in + (c + kAhead) * is1 + t0 + i);
      // The channel's segment as `full` rows of np_ pixels, one per sub-panel.
      const float* row = in + c * is1 + t0;
      if (full > 0)
        kernels::f32_copy_block(row, np_, std::size_t(full), std::size_t(np_), b + c * np_,
                                std::size_t(cg_ * np_));
      if (tail > 0) {
        float* o = b + (full * cg_ + c) * np_;
        std::copy(row + full * np_, row + width, o);
        std::fill(o + tail, o + np_, 0.0f);
      }
    }
  }

  // B[c][t] for the sub-panel's pixels t0 + t (any stride, pad or border); zero past the last.
  void pack_panel(ConstTensorView src, std::int64_t n, std::int64_t g, std::int64_t t0,
                  std::int64_t np, float* b, std::int64_t* offs) const {
    const ConvProblem& p = p_;
    const float* in = static_cast<const float*>(src.data()) + n * src.stride(0) +
                      g * cg_ * src.stride(1);
    const std::int64_t is1 = src.stride(1), is2 = src.stride(2), is3 = src.stride(3);
    for (std::int64_t t = 0; t < np; ++t) {
      const std::int64_t pp = (t0 + t) / Q_, q = (t0 + t) % Q_;
      const std::int64_t y = border_index(pp * p.stride_h - p.pad_top, p.h, p.border);
      const std::int64_t x = border_index(q * p.stride_w - p.pad_left, p.w, p.border);
      offs[t] = (y < 0 || x < 0) ? kFill : y * is2 + x * is3;  // strides may be negative
    }
    const float fill = float(p.border_value.real());
    for (std::int64_t c = 0; c < cg_; ++c) {
      const float* plane = in + c * is1;
      float* row = b + c * np_;
      for (std::int64_t t = 0; t < np; ++t) row[t] = offs[t] == kFill ? fill : plane[offs[t]];
      std::fill(row + np, row + np_, 0.0f);
    }
  }

  void run_item(ConstTensorView src, TensorView dst, ConstTensorView res, std::int64_t item) const {
    const ConvProblem& p = p_;
    const std::int64_t kc = item % kchunks_;
    const std::int64_t panel = (item / kchunks_) % panels_;
    const std::int64_t ng = item / kchunks_ / panels_;
    const std::int64_t g = ng % p.groups, n = ng / p.groups;
    const std::int64_t mb0 = mblocks_ * kc / kchunks_, mb1 = mblocks_ * (kc + 1) / kchunks_;
    if (mb0 >= mb1) return;
    const std::int64_t t0 = panel * kSubs * np_, width = std::min(kSubs * np_, P_ * Q_ - t0);
    const std::int64_t subs = (width + np_ - 1) / np_;

    rows::Scratch& scratch = rows::Scratch::for_band();
    float* b = scratch.take<float>(std::size_t(subs * cg_ * np_));
    float* tile = scratch.take<float>(std::size_t(kMr * np_));
    std::int64_t* offs = scratch.take<std::int64_t>(std::size_t(np_));
    if (plain(src)) {
      const float* in = static_cast<const float*>(src.data()) + n * src.stride(0) +
                        g * cg_ * src.stride(1);
      pack_plain(in, src.stride(1), t0, width, b);
    } else {
      for (std::int64_t s = 0; s < subs; ++s)
        pack_panel(src, n, g, t0 + s * np_, std::min(np_, width - s * np_), b + s * cg_ * np_,
                   offs);
    }
    for (std::int64_t s = 0; s < subs; ++s)
      run_panel(dst, res, n, g, mb0, mb1, t0 + s * np_, std::min(np_, width - s * np_),
                b + s * cg_ * np_, tile);
  }

  // Output channel blocks [mb0, mb1) of group g for the np pixels from t0, B packed in b.
  void run_panel(TensorView dst, ConstTensorView res, std::int64_t n, std::int64_t g,
                 std::int64_t mb0, std::int64_t mb1, std::int64_t t0, std::int64_t np,
                 const float* b, float* tile) const {
    const ConvProblem& p = p_;
    float* out = static_cast<float*>(dst.data()) + n * dst.stride(0);
    const std::int64_t os1 = dst.stride(1), os2 = dst.stride(2), os3 = dst.stride(3);
    const float* rb = res.data() ? static_cast<const float*>(res.data()) + n * res.stride(0) : nullptr;
    const std::int64_t rs1 = rb ? res.stride(1) : 0, rs2 = rb ? res.stride(2) : 0,
                       rs3 = rb ? res.stride(3) : 0;
    const bool contiguous = os3 == 1 && os2 == Q_ && (!rb || (rs3 == 1 && rs2 == Q_));
    for (std::int64_t mb = mb0; mb < mb1; ++mb) {
      const std::int64_t mr = std::min(kMr, kg_ - mb * kMr);
      const std::int64_t k0 = g * kg_ + mb * kMr;
      if (contiguous && !rb && bounds_.fused) {  // the epilogue in registers, straight out
        kernels::f32_gemm_store(block(g, mb), std::size_t(cg_), std::size_t(mr), b,
                                std::size_t(np), float(p.scale), off_.data() + k0, bounds_.lo,
                                bounds_.hi, out + k0 * os1 + t0, os1, stream_);
        continue;
      }
      kernels::f32_gemm_tile(block(g, mb), std::size_t(cg_), std::size_t(mr), b, tile);
      for (std::int64_t m = 0; m < mr; ++m) {
        const std::int64_t k = g * kg_ + mb * kMr + m;
        const float* v = tile + m * np_;
        float* ok = out + k * os1;
        if (contiguous) {
          nn_common::epilogue(v, 1, np, float(p.scale), off_[std::size_t(k)], p, ok + t0, 1,
                              rb ? rb + k * rs1 + t0 : nullptr, 1);
          continue;
        }
        // Row by row: a panel spans output rows.
        for (std::int64_t t = 0; t < np;) {
          const std::int64_t pp = (t0 + t) / Q_, q = (t0 + t) % Q_;
          const std::int64_t run = std::min(Q_ - q, np - t);
          nn_common::epilogue(v + t, 1, run, float(p.scale), off_[std::size_t(k)], p,
                              ok + pp * os2 + q * os3, os3,
                              rb ? rb + k * rs1 + pp * rs2 + q * rs3 : nullptr, rs3);
          t += run;
        }
      }
    }
  }

  ConvProblem p_;
  std::shared_ptr<const PreparedFilter> filter_;
  std::int64_t np_ = 1, cg_ = 1, kg_ = 1, P_ = 1, Q_ = 1, mblocks_ = 1, panels_ = 1;
  std::int64_t kchunks_ = 1, items_ = 1;
  int threads_ = 1;
  nn_common::AlignedFloats packed_;
  std::vector<float> off_;
  nn_common::Bounds bounds_;
  bool stream_ = false;  // non-temporal stores for outputs that cannot stay in cache
};

}  // namespace

std::string gemm_1x1_rejects(const ConvProblem& p, const PreparedFilter& f) {
  if (std::string why = nn_common::f32_rejects(p, f); !why.empty()) return why;
  if (p.r != 1 || p.s != 1) return "kernel is not 1x1";
  return "";
}

double gemm_1x1_estimate(const ConvProblem& p, const PreparedFilter&) {
  const double pixels = double(p.n * p.out_h() * p.out_w());
  const std::int64_t kg = p.k / p.groups;
  const double kpad = double((kg + kMr - 1) / kMr * kMr * p.groups);
  const double flops = 2.0 * pixels * kpad * double(p.c / p.groups);
  // Packing: every input sample once per channel chunk (about 0.3 ns copied, 1 ns gathered).
  return (flops / (cost::kGemm1x1Gflops * 1e6) + pixels * double(p.c) * 0.5e-6 +
          pixels * double(p.k) * 0.3e-6) / get_num_threads() + cost::kLaunchMs;
}

std::unique_ptr<AlgorithmImpl> make_gemm_1x1(const ConvProblem& p,
                                             std::shared_ptr<const PreparedFilter> f) {
  return std::make_unique<Gemm1x1Impl>(p, std::move(f));
}

}  // namespace convkit
