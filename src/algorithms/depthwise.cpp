// depthwise: every input channel filtered on its own (groups == C), with channel multipliers
// (K = m * C), any kernel, stride, dilation, padding and border.
//
//   parallel for (n, chunk of input channels):                        static split
//     plane[y][x] = in~(n, c, y, x) over the padded extent             border rule here, once
//     for each output channel k of c, each output row p:
//       row[x] = sum_{r,s} w[k][r][s] * plane[p*sh + r*dh][x + s*dw]   (kernels/nn, SIMD over x)
//       dst[n, k, p, q] = act(row[q * sw] * scale + delta + bias[k])
//
// Arithmetic is tiny (R*S FMAs per output), so the work is memory-bound: one padded copy of
// each plane, in cache, and vector loads straight from it; no per-row border logic.
#include "algorithms/depthwise.h"

#include <algorithm>
#include <sstream>

#include "algorithms/nn_common.h"
#include "algorithms/rows.h"
#include "kernels/dispatch.h"
#include "plan/cost.h"
#include "util/threads.h"

namespace convkit {

namespace {

class DepthwiseImpl final : public AlgorithmImpl {
 public:
  DepthwiseImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f)
      : p_(p), filter_(std::move(f)) {
    lanes_ = std::int64_t(nn_common::kernel_shape().lanes);
    mult_ = p.k / p.c;
    P_ = p.out_h(), Q_ = p.out_w();
    ext_h_ = (P_ - 1) * p.stride_h + (p.r - 1) * p.dilation_h + 1;
    ext_w_ = (Q_ - 1) * p.stride_w + (p.s - 1) * p.dilation_w + 1;
    stride_ = ext_w_ + lanes_;  // full-vector tails read past the last used sample
    w_.resize(std::size_t(p.k * p.r * p.s));
    for (std::size_t i = 0; i < w_.size(); ++i) w_[i] = float(filter_->w[i]);
    off_.resize(std::size_t(p.k));
    for (std::int64_t k = 0; k < p.k; ++k) off_[std::size_t(k)] = nn_common::channel_offset(p, *filter_, k);
    const double work = double(p.n * p.k * P_ * Q_) * double(p.r * p.s);
    threads_ = std::max(1, threads_for(std::int64_t(work / 2e4), 1));
    items_ = p.n * p.c;
    bounds_ = nn_common::bounds_of(p);
  }

  std::string describe() const override {
    std::ostringstream os;
    os << "depthwise: f32, " << mult_ << " output channel(s) per input channel, padded planes of "
       << ext_h_ << "x" << ext_w_ << ", SIMD over " << lanes_ << " output columns ("
       << kernels::isa_name() << "), up to " << threads_ << " threads";
    return os.str();
  }

  void run(ConstTensorView src, TensorView dst) const override {
#pragma omp parallel for schedule(static) num_threads(threads_) if (threads_ > 1)
    for (std::int64_t item = 0; item < items_; ++item) run_plane(src, dst, item);
  }

 private:
  // The padded plane; its slack past ext_w_ is read only into lanes that are never stored.
  void fill_plane(ConstTensorView src, std::int64_t n, std::int64_t c, float* plane) const {
    const ConvProblem& p = p_;
    const float* in = static_cast<const float*>(src.data()) + n * src.stride(0) + c * src.stride(1);
    nn_common::pad_rows(in, src.stride(2), src.stride(3), p, -p.pad_top, ext_h_, -p.pad_left,
                        ext_w_, plane, stride_);
  }

  void run_plane(ConstTensorView src, TensorView dst, std::int64_t item) const {
    const ConvProblem& p = p_;
    const std::int64_t c = item % p.c, n = item / p.c;
    rows::Scratch& scratch = rows::Scratch::for_band();
    float* plane = scratch.take<float>(std::size_t(ext_h_ * stride_));
    fill_plane(src, n, c, plane);
    float* out = static_cast<float*>(dst.data()) + n * dst.stride(0);
    const std::int64_t os1 = dst.stride(1), os2 = dst.stride(2), os3 = dst.stride(3);
    // Rows at output stride 1 go straight to the output; otherwise through a buffer.
    const bool direct = p.stride_w == 1 && os3 == 1;
    const std::int64_t row_n = (Q_ - 1) * p.stride_w + 1;
    float* buf = direct ? nullptr : scratch.take<float>(std::size_t(P_ * row_n));
    for (std::int64_t m = 0; m < mult_; ++m) {
      const std::int64_t k = c * mult_ + m;
      float* ok = out + k * os1;
      kernels::f32_depthwise_plane(
          plane, std::size_t(stride_), std::size_t(p.stride_h), w_.data() + k * p.r * p.s,
          std::size_t(p.r), std::size_t(p.s), std::size_t(p.dilation_h), std::size_t(p.dilation_w),
          std::size_t(P_), std::size_t(row_n), direct ? ok : buf,
          std::size_t(direct ? os2 : row_n), float(p.scale), off_[std::size_t(k)], bounds_.lo, bounds_.hi);
      if (direct && bounds_.fused) continue;
      // The activation the kernel could not apply, or the strided copy out of the buffer.
      ConvProblem plain = p;
      if (bounds_.fused) plain.activation = Activation::none;
      for (std::int64_t pp = 0; pp < P_; ++pp) {
        const float* v = direct ? ok + pp * os2 : buf + pp * row_n;
        nn_common::epilogue(v, direct ? 1 : p.stride_w, Q_, 1.0f, 0.0f, plain, ok + pp * os2, os3);
      }
    }
  }

  ConvProblem p_;
  std::shared_ptr<const PreparedFilter> filter_;
  std::int64_t lanes_ = 1, mult_ = 1, P_ = 1, Q_ = 1, ext_h_ = 1, ext_w_ = 1, stride_ = 1;
  std::int64_t items_ = 1;
  int threads_ = 1;
  std::vector<float> w_, off_;
  nn_common::Bounds bounds_;
};

}  // namespace

std::string depthwise_rejects(const ConvProblem& p, const PreparedFilter& f) {
  if (std::string why = nn_common::f32_rejects(p, f); !why.empty()) return why;
  if (p.groups != p.c) return "channels are mixed (groups != input channels)";
  if (p.r * p.s > 64) return "more than 64 taps (the kernel keeps every tap in a register)";
  return "";
}

double depthwise_estimate(const ConvProblem& p, const PreparedFilter&) {
  const double outputs = double(p.n * p.k * p.out_h() * p.out_w());
  const double plane = double(p.out_h() * p.stride_h + p.r) * double(p.out_w() * p.stride_w + p.s);
  // The padded copy of each plane: in cache up to ~256K samples, memory-bound beyond.
  const double copy_ms = double(p.n * p.c) * plane * (plane > 2.6e5 ? 4e-7 : 2e-7);
  // Output rows at stride 1 computed then subsampled: stride_w times the useful multiply-adds.
  const double macs = outputs * double(p.r * p.s * p.stride_w);
  return (macs * cost::kDepthwiseMacMs + copy_ms + outputs * 1e-7) / get_num_threads() +
         cost::kLaunchMs;
}

std::unique_ptr<AlgorithmImpl> make_depthwise(const ConvProblem& p,
                                              std::shared_ptr<const PreparedFilter> f) {
  return std::make_unique<DepthwiseImpl>(p, std::move(f));
}

}  // namespace convkit
