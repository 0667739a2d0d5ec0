// Box (uniform kernel) filtering by running sums: O(1) work per output, whatever the size.
//
//   parallel for (plane, band of output rows):
//     col[0 : W'*C] = sum of the R input rows of the band's first output row (border-extended)
//     for oy in band:
//       if oy > y0: col += row(oy - pt + R - 1) - row(oy - pt - 1)     (vectorised)
//       h[q] = sum_{s<S} col[q + s*C]  integer sums: prefix scan + differences (SIMD kernel);
//                                       float sums: running sums, 8 independent chains
//       dst[oy, :] = store(h * tap * scale + delta)
//
// Integer images sum exactly in int32 (or double when int32 could overflow), so the result is
// the correctly rounded tap * sum; float images sum in double, which keeps the drift of the
// running sums far below f32 round-off.
#include "algorithms/box.h"

#include <cmath>
#include <sstream>
#include <vector>

#include "algorithms/border.h"
#include "algorithms/rows.h"
#include "plan/cost.h"
#include "kernels/box/box.h"
#include "kernels/direct/direct.h"
#include "kernels/dispatch.h"

namespace convkit {

namespace {

// Integer sums fit int32: every sample (and the constant border) is an integer.
bool int32_sums(const ConvProblem& p) {
  if (!is_integer(p.src_dtype)) return false;
  const double fill = p.border_value.real();
  if (p.border == Border::constant && fill != std::trunc(fill)) return false;
  return rows::max_input_magnitude(p) * double(p.r * p.s) < 2147483648.0;
}

// Whether the final tap * sum * scale + delta may be computed in f32 and still round to the
// same integer as the exact value: the sum is exact in f32, and either everything is dyadic
// (then exact), or the tap is 1/area and the f32 error (a few ulps of the result) stays well
// below the 1/(2*area) that separates any exact value from a rounding tie.
bool f32_store_is_exact(const ConvProblem& p, double tap, double offset) {
  if (!int32_sums(p) || p.scale != 1.0) return false;
  const double max_sum = rows::max_input_magnitude(p) * double(p.r * p.s);
  if (max_sum >= 16777216.0 || offset != std::trunc(offset)) return false;
  const double area = double(p.r * p.s);
  const double max_out = max_sum * std::abs(tap) + std::abs(offset);
  const std::span<const double> t(&tap, 1);
  if (dyadic_exponent(t) >= 0) return std::ldexp(max_out + 1, dyadic_exponent(t)) < 16777216.0;
  // float(sum) is exact; float(tap) and the product each round by 2^-24 relative.
  return std::abs(tap * area - 1.0) < 1e-12 && max_out * std::ldexp(1.0, -21) < 1.0 / (2 * area);
}

template <class Sum, class Acc>
class BoxImpl final : public AlgorithmImpl {
 public:
  BoxImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f)
      : p_(p), filter_(std::move(f)) {}

  std::string describe() const override {
    std::ostringstream os;
    os << "box: running sums in " << (std::is_same_v<Sum, std::int32_t> ? "int32" : "f64")
       << ", " << (sizeof(Acc) == 4 ? "f32" : "f64") << " scaling, " << kernels::isa_name()
       << ", up to " << get_num_threads() << " threads";
    return os.str();
  }

  void run(ConstTensorView src, TensorView dst) const override {
    const ConvProblem& p = p_;
    bool same = true;
    for (std::int64_t k = 1; k < p.k; ++k)
      same &= tap(k) == tap(0) &&
              (filter_->bias.empty() || filter_->bias[std::size_t(k)] == filter_->bias[0]);
    // Integer sums use the vector window kernel, which wants one channel per row: interleaved
    // images are then filtered channel by channel (a strided gather when loading).
    const rows::RowCtx ctx = rows::make_ctx(p, src, dst, same && !kIntSums);
    const std::int64_t work = p.out_h() * p.out_w() * p.c * 8;
    rows::for_each_band(ctx, work,
                        [&](std::int64_t plane, std::int64_t y0, std::int64_t y1) {
                          run_band(ctx, plane, y0, y1);
                        });
  }

 private:
  void run_band(const rows::RowCtx& ctx, std::int64_t plane, std::int64_t y0,
                std::int64_t y1) const {
    if (y0 >= y1) return;
    const ConvProblem& p = *ctx.p;
    const std::int64_t C = ctx.chans;
    const std::int64_t n = ctx.image(plane), c = ctx.channel(plane);
    const std::int64_t Q = p.out_w();
    const std::int64_t ext = (p.w + p.pad_left + p.pad_right) * C;
    const Sum fill = Sum(p.border_value.real());
    rows::Scratch& scratch = rows::Scratch::for_band();
    const std::size_t len = std::size_t(ext);
    Sum* col = rows::take_zeroed<Sum>(scratch, len, len);
    Sum* in = scratch.take<Sum>(len);
    Sum* out = scratch.take<Sum>(len);
    Acc* acc = rows::take_zeroed<Acc>(scratch, std::size_t(Q * C) + kernels::kSlack,
                                      std::size_t(Q * C) + kernels::kSlack);
    Sum* prefix = scratch.take<Sum>(kIntSums ? len + kernels::kSlack : 0);
    double* dst_row = scratch.take<double>(std::size_t(Q * C));
    // Contiguous integer rows: the column sums slide straight from the source rows (one SIMD
    // pass, no converted copies), and the border columns are filled from them afterwards.
    const bool from_source = kIntSums && C == 1 && ctx.src.stride(3) == 1 &&
                             (p.src_dtype == DType::u8 || p.src_dtype == DType::u16 ||
                              p.src_dtype == DType::i16);
    if (from_source) {
      slide_from_source(ctx, n, c, y0 - p.pad_top, p.r, col + p.pad_left, true);
    } else {
      for (std::int64_t r = 0; r < p.r; ++r) {
        rows::load_row(ctx, n, c, y0 - p.pad_top + r, in, fill);
        for (std::int64_t j = 0; j < ext; ++j) col[std::size_t(j)] += in[std::size_t(j)];
      }
    }
    const double bias = filter_->bias.empty() ? 0.0 : filter_->bias[std::size_t(c)];
    const bool fused_u8 = kIntSums && sizeof(Acc) == 4 && p.dst_dtype == DType::u8 &&
                          p.rounding == Rounding::saturate && C == 1 && ctx.dst.stride(3) == 1;
    for (std::int64_t oy = y0; oy < y1; ++oy) {
      if (from_source) {
        if (oy > y0)
          slide_from_source(ctx, n, c, oy - p.pad_top + p.r - 1, oy - p.pad_top - 1,
                            col + p.pad_left, false);
        // A column the constant border invents sums R fills.
        rows::extend_borders(p, 1, col + p.pad_left, Sum(p.border_value.real()) * Sum(p.r));
      } else if (oy > y0) {
        rows::load_row(ctx, n, c, oy - p.pad_top + p.r - 1, in, fill);
        rows::load_row(ctx, n, c, oy - p.pad_top - 1, out, fill);
        Sum* cs = col;
        const Sum *a = in, *b = out;
        for (std::int64_t j = 0; j < ext; ++j) cs[j] += a[j] - b[j];
      }
      if constexpr (kIntSums && sizeof(Acc) == 4) {
        if (fused_u8) {
          // Sums, scaling, rounding and the u8 store in one pass, straight into the output row.
          auto* out_row = static_cast<std::uint8_t*>(ctx.dst.data()) + n * ctx.dst.stride(0) +
                          c * ctx.dst.stride(1) + oy * ctx.dst.stride(2);
          kernels::i32_box_window_u8(col, std::size_t(Q), std::size_t(p.s), prefix,
                                     float(tap(c) * p.scale), float(p.delta.real() + bias),
                                     out_row);
          continue;
        }
      }
      if constexpr (kIntSums) {
        if constexpr (sizeof(Acc) == 4)
          kernels::i32_box_window_f32(col, std::size_t(Q), std::size_t(p.s), prefix,
                                      acc);
        else
          kernels::i32_box_window_f64(col, std::size_t(Q), std::size_t(p.s), prefix,
                                      acc);
      } else {
        row_sums(col, Q * C, p.s * C, C, acc);
      }
      rows::store_row(ctx, n, c, oy, acc, Acc(tap(c) * p.scale),
                      Acc(p.delta.real() + bias), dst_row);
    }
  }

  // h[j] = sum_{s<S} col[j + s*C] for j < count, where `width` = S*C. The running sum is a
  // serial chain per channel; splitting the row into kChains segments that advance together
  // lets the core overlap them.
  static void row_sums(const Sum* col, std::int64_t count, std::int64_t width, std::int64_t C,
                       Acc* h) {
    constexpr int kChains = 8;
    const std::int64_t seg = ((count + kChains - 1) / kChains + C - 1) / C * C;  // multiple of C
    for (std::int64_t ch = 0; ch < C; ++ch) {
      Sum run[kChains];
      std::int64_t start[kChains], len[kChains];
      std::int64_t longest = 0;
      for (int k = 0; k < kChains; ++k) {
        start[k] = std::min(count, k * seg) + ch;
        len[k] = start[k] >= count ? 0 : (std::min(count, (k + 1) * seg) - start[k] + C - 1) / C;
        longest = std::max(longest, len[k]);
        Sum s = 0;
        if (len[k] > 0)
          for (std::int64_t t = 0; t < width; t += C) s += col[start[k] + t];
        run[k] = s;
      }
      for (std::int64_t i = 0; i < longest; ++i) {
#pragma GCC unroll 8
        for (int k = 0; k < kChains; ++k) {
          if (i >= len[k]) continue;
          const std::int64_t j = start[k] + i * C;
          h[j] = Acc(run[k]);
          if (i + 1 < len[k]) run[k] += col[j + width] - col[j];  // col ends at the last window
        }
      }
    }
  }

  static constexpr bool kIntSums = std::is_same_v<Sum, std::int32_t>;

  // Interior column sums cs[0 : W]: with `init`, the sum of extended rows [a, a + b); otherwise
  // add extended row a and remove extended row b.
  void slide_from_source(const rows::RowCtx& ctx, std::int64_t n, std::int64_t c, std::int64_t a,
                         std::int64_t b, Sum* cs, bool init) const {
    const std::size_t W = std::size_t(p_.w);
    const Sum fill = Sum(p_.border_value.real());
    auto apply = [&](const void* add, const void* sub) {
      if constexpr (kIntSums) switch (p_.src_dtype) {
        case DType::u8:
          kernels::u8_box_column(cs, static_cast<const std::uint8_t*>(add),
                                 static_cast<const std::uint8_t*>(sub), W);
          break;
        case DType::u16:
          kernels::u16_box_column(cs, static_cast<const std::uint16_t*>(add),
                                  static_cast<const std::uint16_t*>(sub), W);
          break;
        default:
          kernels::i16_box_column(cs, static_cast<const std::int16_t*>(add),
                                  static_cast<const std::int16_t*>(sub), W);
          break;
      }
    };
    if (init) {
      std::fill(cs, cs + W, Sum(0));
      for (std::int64_t r = a; r < a + b; ++r) {
        const void* row = rows::source_row(ctx, n, c, r);
        if (row)
          apply(row, nullptr);
        else
          for (std::size_t x = 0; x < W; ++x) cs[x] += fill;
      }
      return;
    }
    const void* add = rows::source_row(ctx, n, c, a);
    const void* sub = rows::source_row(ctx, n, c, b);
    apply(add, sub);
    const Sum net = (add ? 0 : fill) - (sub ? 0 : fill);
    if (net != 0)
      for (std::size_t x = 0; x < W; ++x) cs[x] += net;
  }

  double tap(std::int64_t k) const { return filter_->w[std::size_t(k * p_.r * p_.s)]; }

  ConvProblem p_;
  std::shared_ptr<const PreparedFilter> filter_;
};

}  // namespace

std::string box_rejects(const ConvProblem& p, const PreparedFilter& f) {
  if (std::string why = rows::per_channel_rejects(p, f); !why.empty()) return why;
  if (!f.uniform) return "taps are not all equal";
  if (p.dilation_h != 1 || p.dilation_w != 1) return "dilation > 1";
  return "";
}

double box_estimate(const ConvProblem& p, const PreparedFilter&) {
  // Independent of the kernel size, plus the first column sums of each band.
  const double outputs = double(p.n * p.k * p.out_h() * p.out_w());
  const double init = double(p.n * p.k * (p.w + p.pad_left + p.pad_right) * p.r) * 8;
  return cost::row_parallel_ms(outputs * cost::kBoxSampleMs + init * cost::kRowSampleMs,
                              p.out_h() * p.out_w() * p.c * 8);
}

std::unique_ptr<AlgorithmImpl> make_box(const ConvProblem& p,
                                        std::shared_ptr<const PreparedFilter> f) {
  double offset = p.delta.real();
  for (double b : f->bias) offset = std::max(offset, std::abs(b) + std::abs(p.delta.real()));
  const bool wide_out = p.dst_dtype == DType::f64;
  if (int32_sums(p)) {
    bool exact = true;
    for (std::int64_t k = 0; k < p.k; ++k)
      exact = exact && f32_store_is_exact(p, f->w[std::size_t(k * p.r * p.s)], offset);
    if (!wide_out && (!is_integer(p.dst_dtype) || exact))
      return std::make_unique<BoxImpl<std::int32_t, float>>(p, std::move(f));
    return std::make_unique<BoxImpl<std::int32_t, double>>(p, std::move(f));
  }
  if (!wide_out && p.src_dtype == DType::f32 && !is_integer(p.dst_dtype))
    return std::make_unique<BoxImpl<double, float>>(p, std::move(f));
  return std::make_unique<BoxImpl<double, double>>(p, std::move(f));
}

}  // namespace convkit
