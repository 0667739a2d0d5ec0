// grouped: convolutions whose groups hold few channels (ResNeXt's 4-8, RegNet's 8-16,
// ShuffleNet's grouped 1x1, small-channel stems as one group), where channel-blocked tiles would
// leave most lanes empty. Pixels run across the lanes instead, as in depthwise, and a tile
// keeps KB output channels of the group in registers so every input vector feeds all of them.
//
//   parallel for (n, group, band of output rows):                     static split
//     plane[c][y][x] = in~(n, g*Cg + c, y, x), the band's rows, padded    border rule, once
//     for each block of KB <= 8 output channels of the group, each output row p:
//       row[k][x] = sum_{c,r,s} w[k][c][r][s] * plane[c][p*sh + r*dh][x + s*dw]
//                                                          (kernels/grouped, SIMD over x)
//       dst[n, k, p, q] = act(row[k][q * sw] * scale + delta + bias[k])
#include "algorithms/grouped.h"

#include <algorithm>
#include <sstream>

#include "algorithms/nn_common.h"
#include "algorithms/rows.h"
#include "kernels/dispatch.h"
#include "kernels/grouped/grouped.h"
#include "plan/cost.h"
#include "util/threads.h"

namespace convkit {

namespace {

constexpr std::int64_t kMaxGroupChannels = 16;

class GroupedImpl final : public AlgorithmImpl {
 public:
  GroupedImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f)
      : p_(p), filter_(std::move(f)) {
    lanes_ = std::int64_t(nn_common::kernel_shape().lanes);
    cg_ = p.c / p.groups, kg_ = p.k / p.groups;
    P_ = p.out_h(), Q_ = p.out_w();
    ext_w_ = (Q_ - 1) * p.stride_w + (p.s - 1) * p.dilation_w + 1;
    stride_ = ext_w_ + lanes_;  // full-vector tails read past the last used sample
    // Blocks of at most 8 channels, as even as possible (12 -> 6 + 6, not 8 + 4).
    const std::int64_t nb = (kg_ + std::int64_t(kernels::kGroupedMaxKb) - 1) /
                            std::int64_t(kernels::kGroupedMaxKb);
    kb_ = (kg_ + nb - 1) / nb;
    pack();
    off_.resize(std::size_t(p.k));
    for (std::int64_t k = 0; k < p.k; ++k)
      off_[std::size_t(k)] = nn_common::channel_offset(p, *filter_, k);
    bounds_ = nn_common::bounds_of(p);
    // Bands of rows so that every thread gets several items even for one image and group.
    const double macs = double(p.n * p.k * P_ * Q_) * double(cg_ * p.r * p.s);
    threads_ = std::max(1, threads_for(std::int64_t(macs / 1e5), 1));
    const std::int64_t per_image = p.groups;
    bands_ = std::clamp<std::int64_t>((4 * threads_ + p.n * per_image - 1) / (p.n * per_image), 1,
                                      P_);
    items_ = p.n * p.groups * bands_;
  }

  std::string describe() const override {
    std::ostringstream os;
    os << "grouped: f32, " << p_.groups << " group(s) of " << cg_ << " -> " << kg_
       << " channels, " << kb_ << " output channels x pixel vectors per tile (" << lanes_
       << " lanes, " << kernels::isa_name() << "), " << bands_ << " band(s) per group, up to "
       << threads_ << " threads";
    return os.str();
  }

  void run(ConstTensorView src, TensorView dst) const override {
#pragma omp parallel for schedule(static) num_threads(threads_) if (threads_ > 1)
    for (std::int64_t item = 0; item < items_; ++item) run_item(src, dst, item);
  }

 private:
  // Weights per block of kn channels starting at channel k0: [c][r][s][kn] at packed_ +
  // k0 * taps (the blocks of a group follow each other, the groups too).
  void pack() {
    const ConvProblem& p = p_;
    const std::int64_t taps = cg_ * p.r * p.s;
    packed_ = nn_common::aligned_floats(std::size_t(p.k * taps));
    for (std::int64_t g = 0; g < p.groups; ++g)
      for (std::int64_t k0 = g * kg_; k0 < (g + 1) * kg_; k0 += kb_) {
        const std::int64_t kn = std::min(kb_, (g + 1) * kg_ - k0);
        float* o = packed_.get() + k0 * taps;
        for (std::int64_t t = 0; t < taps; ++t, o += kn)
          for (std::int64_t j = 0; j < kn; ++j)
            o[j] = float(filter_->tap(std::size_t((k0 + j) * taps + t)));
      }
  }

  void run_item(ConstTensorView src, TensorView dst, std::int64_t item) const {
    const ConvProblem& p = p_;
    const std::int64_t band = item % bands_, g = (item / bands_) % p.groups,
                       n = item / (bands_ * p.groups);
    const std::int64_t p0 = band * P_ / bands_, p1 = (band + 1) * P_ / bands_;
    if (p0 >= p1) return;
    // The input rows the band reads, every channel of the group, padded.
    const std::int64_t y_lo = p0 * p.stride_h - p.pad_top;
    const std::int64_t rows = (p1 - 1 - p0) * p.stride_h + (p.r - 1) * p.dilation_h + 1;
    const std::int64_t plane_stride = rows * stride_;
    rows::Scratch& scratch = rows::Scratch::for_band();
    float* planes = scratch.take<float>(std::size_t(cg_ * plane_stride + lanes_));
    const float* in = static_cast<const float*>(src.data()) + n * src.stride(0);
    for (std::int64_t c = 0; c < cg_; ++c)
      nn_common::pad_rows(in + (g * cg_ + c) * src.stride(1), src.stride(2), src.stride(3), p, y_lo,
                          rows, -p.pad_left, ext_w_, planes + c * plane_stride, stride_);
    std::fill(planes + cg_ * plane_stride, planes + cg_ * plane_stride + lanes_, 0.0f);
    // Rows at output stride 1 go straight to the output; otherwise through a buffer.
    const std::int64_t os1 = dst.stride(1), os2 = dst.stride(2), os3 = dst.stride(3);
    const bool direct = p.stride_w == 1 && os3 == 1;
    const std::int64_t row_n = (Q_ - 1) * p.stride_w + 1;
    float* buf = direct ? nullptr : scratch.take<float>(std::size_t(kb_ * row_n));
    float* out = static_cast<float*>(dst.data()) + n * dst.stride(0);
    const std::int64_t taps = cg_ * p.r * p.s;
    for (std::int64_t k0 = 0; k0 < kg_; k0 += kb_) {
      const std::int64_t kn = std::min(kb_, kg_ - k0), k = g * kg_ + k0;
      const float* w = packed_.get() + k * taps;
      for (std::int64_t pp = p0; pp < p1; ++pp) {
        const float* row = planes + (pp - p0) * p.stride_h * stride_;
        float* o = direct ? out + k * os1 + pp * os2 : buf;
        kernels::f32_grouped_row(row, std::size_t(plane_stride), std::size_t(stride_),
                                 std::size_t(cg_), w, std::size_t(kn),
                                 std::size_t(p.r), std::size_t(p.s), std::size_t(p.dilation_h),
                                 std::size_t(p.dilation_w), std::size_t(row_n), o,
                                 std::size_t(direct ? os1 : row_n), float(p.scale),
                                 off_.data() + k, bounds_.lo, bounds_.hi);
        if (direct && bounds_.fused) continue;
        ConvProblem plain = p;  // the activation the kernel could not apply, or the copy out
        if (bounds_.fused) plain.activation = Activation::none;
        for (std::int64_t j = 0; j < kn; ++j) {
          const float* v = direct ? o + j * os1 : buf + j * row_n;
          nn_common::epilogue(v, direct ? 1 : p.stride_w, Q_, 1.0f, 0.0f, plain,
                              out + (k + j) * os1 + pp * os2, os3);
        }
      }
    }
  }

  ConvProblem p_;
  std::shared_ptr<const PreparedFilter> filter_;
  std::int64_t lanes_ = 1, cg_ = 1, kg_ = 1, kb_ = 1, P_ = 1, Q_ = 1, ext_w_ = 1, stride_ = 1;
  std::int64_t bands_ = 1, items_ = 1;
  int threads_ = 1;
  nn_common::AlignedFloats packed_;
  std::vector<float> off_;
  nn_common::Bounds bounds_;
};

}  // namespace

std::string grouped_rejects(const ConvProblem& p, const PreparedFilter& f) {
  if (std::string why = nn_common::f32_rejects(p, f); !why.empty()) return why;
  if (p.c / p.groups > kMaxGroupChannels || p.k / p.groups > kMaxGroupChannels)
    return "more than 16 channels per group (channel-blocked tiles fill their lanes)";
  return "";
}

double grouped_estimate(const ConvProblem& p, const PreparedFilter&) {
  const std::int64_t kg = p.k / p.groups, kmax = std::int64_t(kernels::kGroupedMaxKb);
  const std::int64_t tile = (kg + (kg + kmax - 1) / kmax - 1) / ((kg + kmax - 1) / kmax);
  const double gflops = cost::kBlockedGflops * cost::grouped_efficiency(tile);
  const double pixels = double(p.n * p.out_h() * p.out_w());
  // Output rows at stride 1, subsampled after: stride_w times the useful multiply-adds.
  const double flops = 2.0 * pixels * double(p.k) * double(p.c / p.groups * p.r * p.s) *
                       double(p.stride_w);
  const double staged = double(p.n * p.c) * double(p.out_h() * p.stride_h + p.r) *
                        double(p.out_w() * p.stride_w + p.s);
  return (flops / (gflops * 1e6) + staged * 1e-6 + pixels * double(p.k) * 0.5e-6) /
             get_num_threads() +
         cost::kLaunchMs;
}

std::unique_ptr<AlgorithmImpl> make_grouped(const ConvProblem& p,
                                            std::shared_ptr<const PreparedFilter> f) {
  return std::make_unique<GroupedImpl>(p, std::move(f));
}

}  // namespace convkit
