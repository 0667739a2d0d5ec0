// Direct correlation for image filtering: every channel has its own R x S kernel (C == K ==
// groups, or one channel), stride 1, any dilation, any border.
//
// Loop nest (one "plane" is one channel, or all channels of an interleaved HWC image at once,
// treated as one row of W*C samples whose taps are C apart):
//   parallel for (plane, band of output rows):          OpenMP, static schedule
//     for oy in band:
//       make sure input rows oy-pt+r*dh (r < R) sit in the ring, border-extended, converted
//       acc[0:Q*C]  = direct_row(ring rows, taps)          kernel: SIMD, register-tiled
//       dst[oy, :]  = store(acc * scale + delta)           kernel: round + saturate
#include "algorithms/direct.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <vector>

#include "algorithms/rows.h"
#include "plan/cost.h"
#include "kernels/direct/direct.h"
#include "kernels/dispatch.h"
#include "util/convert.h"

namespace convkit {

namespace {

// Whether accumulating in a float type with `mantissa` bits gives exactly the reference's
// (double) result for integer data: dyadic taps and small enough sums.
bool exact_with(const ConvProblem& p, const PreparedFilter& f, int mantissa) {
  const rows::Stage stage{f.w, f.max_abs_sum};
  return rows::exact_in(p, std::span(&stage, 1), rows::epilogue_offsets(p, f), mantissa);
}

// f64 accumulation when the data is f64, or when f32 could round an integer result differently
// from the reference; f32 otherwise (what OpenCV does for f32 images).
bool use_f64(const ConvProblem& p, const PreparedFilter& f) {
  if (p.src_dtype == DType::f64 || p.dst_dtype == DType::f64) return true;
  if (is_integer(p.src_dtype)) return !exact_with(p, f, 24);
  return false;
}

template <class Acc>
class DirectImpl final : public AlgorithmImpl {
 public:
  DirectImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f)
      : p_(p), filter_(std::move(f)) {
    taps_.assign(filter_->w.begin(), filter_->w.end());
  }

  std::string describe() const override {
    std::ostringstream os;
    os << "direct: " << (sizeof(Acc) == 4 ? "f32" : "f64") << " accumulation, "
       << kernels::isa_name() << ", up to " << get_num_threads() << " threads";
    return os.str();
  }

  void run(ConstTensorView src, TensorView dst) const override {
    const ConvProblem& p = p_;
    // Interleaved channels: both views keep a pixel's channels adjacent and the same kernel
    // everywhere, so one wide row of W*C samples serves them all.
    bool same_taps = true;
    const std::size_t rs = std::size_t(p.r * p.s);
    for (std::int64_t k = 1; k < p.k && same_taps; ++k)
      same_taps = std::equal(taps_.begin(), taps_.begin() + rs, taps_.begin() + k * rs) &&
                  (filter_->bias.empty() || filter_->bias[k] == filter_->bias[0]);
    const rows::RowCtx ctx = rows::make_ctx(p, src, dst, same_taps);
    const std::int64_t work = p.out_h() * p.out_w() * p.c * p.r * p.s;
    rows::for_each_band(ctx, work, [&](std::int64_t plane, std::int64_t y0,
                                                            std::int64_t y1) {
      run_band(ctx, plane, y0, y1);
    });
  }

 private:
  // One band of output rows of one plane; all scratch is private to the call.
  void run_band(const rows::RowCtx& ctx, std::int64_t plane, std::int64_t y0, std::int64_t y1) const {
    const ConvProblem& p = *ctx.p;
    const std::int64_t C = ctx.chans;
    const std::int64_t n = ctx.image(plane), c = ctx.channel(plane);
    const std::int64_t Q = p.out_w();
    // Blocks of four output rows share their input rows' loads (undilated rows only).
    const bool blocked = p.dilation_h == 1 && p.r <= 61;
    rows::Scratch& scratch = rows::Scratch::for_band();
    rows::RowRing<Acc> ring(scratch, ctx, n, c, blocked ? 3 : 0);
    const std::size_t acc_len = std::size_t(Q * C) + kernels::kSlack;
    Acc* acc = scratch.take<Acc>(4 * acc_len);
    const Acc** rows = scratch.take<const Acc*>(std::size_t(p.r + 3));
    // Converted output row for destinations with odd strides (8 bytes: the widest output type).
    double* dst_row = scratch.take<double>(std::size_t(Q * C));
    const Acc* taps = taps_.data() + std::size_t(ctx.interleaved ? 0 : c) * std::size_t(p.r * p.s);
    const double bias = filter_->bias.empty() ? 0.0 : filter_->bias[std::size_t(c)];
    const Acc scale = Acc(p.scale), delta = Acc(p.delta.real() + bias);
    const std::size_t step = std::size_t(C * p.dilation_w), count = std::size_t(Q * C);
    std::int64_t oy = y0;
    // When the output is the accumulator type, contiguous, and the epilogue is the identity,
    // the kernel writes the output rows itself (the kernels never write past n).
    const bool in_place = p.dst_dtype == (sizeof(Acc) == 4 ? DType::f32 : DType::f64) &&
                          ctx.dst.stride(3) == C && scale == Acc(1) && delta == Acc(0);
    auto dst_row_ptr = [&](std::int64_t oy) {
      return static_cast<Acc*>(ctx.dst.data()) + n * ctx.dst.stride(0) + c * ctx.dst.stride(1) +
             oy * ctx.dst.stride(2);
    };
    if (blocked) {
      Acc* outs[4];
      for (; oy + 4 <= y1; oy += 4) {
        for (std::int64_t m = 0; m < 4; ++m)
          outs[m] = in_place ? dst_row_ptr(oy + m) : acc + std::size_t(m) * acc_len;
        for (std::int64_t i = 0; i < p.r + 3; ++i) rows[std::size_t(i)] = ring.row(oy - p.pad_top + i);
        rows::direct_rows4(rows, taps, std::size_t(p.r), std::size_t(p.s), step, count, outs,
                     in_place && stream_);
        if (!in_place)
          for (std::int64_t m = 0; m < 4; ++m)
            rows::store_row(ctx, n, c, oy + m, outs[m], scale, delta, dst_row);
      }
    }
    for (; oy < y1; ++oy) {
      ring.rows_for(oy, rows);
      rows::direct_row(rows, taps, std::size_t(p.r), std::size_t(p.s), step, count, acc);
      rows::store_row(ctx, n, c, oy, acc, scale, delta, dst_row);
    }
  }

  ConvProblem p_;
  std::shared_ptr<const PreparedFilter> filter_;
  std::vector<Acc> taps_;
  // Non-temporal stores once the output is too big to stay in this machine's caches for long
  // (>= 8 MB: a 1080p f32 plane): they skip the read-for-ownership of every output line, ~12%
  // on a 3x3 filter from cold caches, and cost nothing measurable when warm.
  bool stream_ = double(p_.n * p_.k * p_.out_h() * p_.out_w()) * double(sizeof(Acc)) >=
                 cost::kStreamOutputBytes;
};

}  // namespace

std::string direct_rejects(const ConvProblem& p, const PreparedFilter& f) {
  return rows::per_channel_rejects(p, f);
}

double direct_estimate(const ConvProblem& p, const PreparedFilter& f) {
  const double samples = double(p.n * p.k * p.out_h() * p.out_w());
  const double mac = cost::kDirectMacMs * (use_f64(p, f) ? cost::kF64Factor : 1.0);
  const double rows = double(p.n * p.k * p.out_h());
  // Integer images are converted row by row into the ring, where the separable column pass
  // reads them as they are (Sobel u8x3 1080p -> i16: direct 1.32 ms, separable 1.00 ms).
  const double sample = cost::kRowSampleMs * (is_integer(p.src_dtype) ? 1.5 : 1.0);
  return cost::row_parallel_ms(
      samples * (sample + double(p.r * p.s) * mac) + rows * cost::kRowMs,
      p.out_h() * p.out_w() * p.c * p.r * p.s);
}

std::unique_ptr<AlgorithmImpl> make_direct(const ConvProblem& p,
                                           std::shared_ptr<const PreparedFilter> f) {
  if (use_f64(p, *f)) return std::make_unique<DirectImpl<double>>(p, std::move(f));
  return std::make_unique<DirectImpl<float>>(p, std::move(f));
}

}  // namespace convkit
