// Separable correlation: a kernel of rank 1, col (x) row (given as two 1-D kernels, or found by
// the planner's factoring), applied as a column pass and a row pass through one row buffer.
//
//   parallel for (plane, band of output rows):          OpenMP, static schedule
//     for oy in band:
//       rows oy-pt+r*dh (r < R) in the ring, border-extended and converted (as in direct)
//       v[0 : W'*C]   = sum_r col[r] * ring[r]          kernel: direct row with S = 1
//       acc[0 : Q*C]  = sum_s row[s] * v[s*C*dw]        kernel: direct row with R = 1
//       dst[oy, :]    = store(acc * scale + delta)
//
// R + S multiply-adds per output instead of R * S, and the intermediate never leaves L1/L2.
#include "algorithms/separable.h"

#include <cmath>
#include <sstream>
#include <vector>

#include "algorithms/rows.h"
#include "plan/cost.h"
#include "algorithms/border.h"
#include "kernels/column/column.h"
#include "kernels/direct/direct.h"
#include "kernels/dispatch.h"

namespace convkit {

namespace {

double max_abs_sum(const std::vector<double>& v, std::int64_t len) {
  double best = 0;
  for (std::size_t i = 0; i < v.size(); i += std::size_t(len)) {
    double s = 0;
    for (std::size_t j = 0; j < std::size_t(len); ++j) s += std::abs(v[i + j]);
    best = std::max(best, s);
  }
  return best;
}

// Exact for integer data in a float type with `mantissa` bits (see rows::exact_in).
bool exact_with(const ConvProblem& p, const PreparedFilter& f, int mantissa) {
  if (f.terms.size() != 1) return false;  // SVD terms are irrational
  const SeparableTerm& t = f.terms[0];
  const rows::Stage stages[] = {{t.col, max_abs_sum(t.col, p.r)}, {t.row, max_abs_sum(t.row, p.s)}};
  return rows::exact_in(p, stages, rows::epilogue_offsets(p, f), mantissa);
}

bool use_f64(const ConvProblem& p, const PreparedFilter& f) {
  if (p.src_dtype == DType::f64 || p.dst_dtype == DType::f64) return true;
  if (is_integer(p.src_dtype)) return !exact_with(p, f, 24);
  return false;
}

template <class Acc>
class SeparableImpl final : public AlgorithmImpl {
 public:
  SeparableImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f)
      : p_(p), filter_(std::move(f)), terms_(std::int64_t(filter_->terms.size())) {
    // col_: term-major K x R blocks; row_: per channel a terms x S matrix, so that the row
    // passes of every term are one direct row with "R" = terms.
    for (const SeparableTerm& t : filter_->terms) col_.insert(col_.end(), t.col.begin(), t.col.end());
    row_.resize(std::size_t(p.k * terms_ * p.s));
    for (std::int64_t k = 0; k < p.k; ++k)
      for (std::int64_t t = 0; t < terms_; ++t)
        for (std::int64_t s = 0; s < p.s; ++s)
          row_[std::size_t((k * terms_ + t) * p.s + s)] =
              Acc(filter_->terms[std::size_t(t)].row[std::size_t(k * p.s + s)]);
  }

  std::string describe() const override {
    std::ostringstream os;
    os << "separable: " << (terms_ > 1 ? std::to_string(terms_) + " rank-1 terms, " : "")
       << p_.r << "-tap column pass + " << p_.s << "-tap row pass, "
       << (sizeof(Acc) == 4 ? "f32" : "f64") << " accumulation, " << kernels::isa_name()
       << ", up to " << get_num_threads() << " threads";
    return os.str();
  }

  void run(ConstTensorView src, TensorView dst) const override {
    const ConvProblem& p = p_;
    bool same = true;
    for (std::int64_t k = 1; k < p.k && same; ++k)
      same = std::all_of(filter_->terms.begin(), filter_->terms.end(),
                         [&](const SeparableTerm& t) {
                           return std::equal(t.col.begin(), t.col.begin() + p.r,
                                             t.col.begin() + k * p.r) &&
                                  std::equal(t.row.begin(), t.row.begin() + p.s,
                                             t.row.begin() + k * p.s);
                         }) &&
             (filter_->bias.empty() || filter_->bias[std::size_t(k)] == filter_->bias[0]);
    const rows::RowCtx ctx = rows::make_ctx(p, src, dst, same);
    const std::int64_t work = p.out_h() * p.out_w() * p.c * (p.r + p.s) * terms_;
    rows::for_each_band(ctx, work,
                        [&](std::int64_t plane, std::int64_t y0, std::int64_t y1) {
                          run_band(ctx, plane, y0, y1);
                        });
  }

 private:
  void run_band(const rows::RowCtx& ctx, std::int64_t plane, std::int64_t y0,
                std::int64_t y1) const {
    const ConvProblem& p = *ctx.p;
    const std::int64_t C = ctx.chans;
    const std::int64_t n = ctx.image(plane), c = ctx.channel(plane);
    const std::int64_t Q = p.out_w();
    const std::int64_t ext = (p.w + p.pad_left + p.pad_right) * C;
    const std::int64_t kc = ctx.interleaved ? 0 : c;
    // Blocks of four output rows: their column passes share the input rows' loads.
    const bool blocked = p.dilation_h == 1 && p.r <= 61;
    const std::int64_t T = terms_;
    rows::Scratch& scratch = rows::Scratch::for_band();
    rows::RowRing<Acc> ring(scratch, ctx, n, c, blocked ? 3 : 0);
    const std::size_t vlen = std::size_t(ext) + kernels::kSlack;
    Acc* vert = scratch.take<Acc>(std::size_t(4 * T) * vlen);
    for (std::int64_t i = 0; i < 4 * T; ++i)  // slack read by full-vector tails: keep it finite
      std::fill(vert + std::size_t(i) * vlen + std::size_t(ext), vert + std::size_t(i + 1) * vlen, Acc(0));
    auto v_at = [&](std::int64_t t, std::int64_t m) { return vert + std::size_t(t * 4 + m) * vlen; };
    Acc* acc = scratch.take<Acc>(std::size_t(Q * C) + kernels::kSlack);
    const Acc** rows = scratch.take<const Acc*>(std::size_t(p.r + 3));
    double* dst_row = scratch.take<double>(std::size_t(Q * C));
    const double bias = filter_->bias.empty() ? 0.0 : filter_->bias[std::size_t(c)];
    auto col_of = [&](std::int64_t t) { return col_.data() + (t * p.k + kc) * p.r; };
    const Acc* rowmat = row_.data() + kc * T * p.s;
    // Row pass of every term at once (one direct row over the T column results), then store.
    const Acc** vrows = scratch.take<const Acc*>(std::size_t(T));
    auto row_pass_and_store = [&](std::int64_t oy, std::int64_t m) {
      for (std::int64_t t = 0; t < T; ++t) vrows[std::size_t(t)] = v_at(t, m);
      rows::direct_row(vrows, rowmat, std::size_t(T), std::size_t(p.s),
                 std::size_t(C * p.dilation_w), std::size_t(Q * C), acc);
      rows::store_row(ctx, n, c, oy, acc, Acc(p.scale), Acc(p.delta.real() + bias),
                      dst_row);
    };
    std::int64_t oy = y0;
    if (blocked && from_source_ok(ctx)) {
      // The column pass reads the image rows themselves (converting in registers) for the
      // interior columns; the border columns are then copied from the columns they map to.
      const void** src_rows = scratch.take<const void*>(std::size_t(p.r + 3));
      const Acc fill = Acc(p.border_value.real());
      for (; oy < y1; oy += 4) {
        for (std::int64_t i = 0; i < p.r + 3; ++i)
          src_rows[std::size_t(i)] = rows::source_row(ctx, n, c, oy - p.pad_top + i);
        for (std::int64_t t = 0; t < T; ++t) {
          Acc* v4[4] = {v_at(t, 0), v_at(t, 1), v_at(t, 2), v_at(t, 3)};
          column_from_source(src_rows, col_of(t), std::size_t(p.w * C), fill, v4,
                             p.pad_left * C);
          double col_sum = 0;
          for (std::int64_t r = 0; r < p.r; ++r) col_sum += double(col_of(t)[r]);
          for (std::int64_t m = 0; m < 4 && oy + m < y1; ++m)
            rows::extend_borders(p, C, v4[m] + p.pad_left * C, Acc(double(fill) * col_sum));
        }
        for (std::int64_t m = 0; m < 4 && oy + m < y1; ++m) row_pass_and_store(oy + m, m);
      }
    }
    if (blocked) {
      for (; oy + 4 <= y1; oy += 4) {
        for (std::int64_t i = 0; i < p.r + 3; ++i) rows[std::size_t(i)] = ring.row(oy - p.pad_top + i);
        for (std::int64_t t = 0; t < T; ++t) {
          Acc* v4[4] = {v_at(t, 0), v_at(t, 1), v_at(t, 2), v_at(t, 3)};
          rows::direct_rows4(rows, col_of(t), std::size_t(p.r), 1, 0, std::size_t(ext), v4);
        }
        for (std::int64_t m = 0; m < 4; ++m) row_pass_and_store(oy + m, m);
      }
    }
    for (; oy < y1; ++oy) {
      ring.rows_for(oy, rows);
      for (std::int64_t t = 0; t < T; ++t)
        rows::direct_row(rows, col_of(t), std::size_t(p.r), 1, 0, std::size_t(ext), v_at(t, 0));
      row_pass_and_store(oy, 0);
    }
  }

  // Whether the column pass can read the image rows directly: contiguous samples of a dtype
  // the column kernels convert.
  bool from_source_ok(const rows::RowCtx& ctx) const {
    if (ctx.src.stride(3) != ctx.chans) return false;
    if constexpr (sizeof(Acc) == 4)
      return p_.src_dtype == DType::u8 || p_.src_dtype == DType::u16 ||
             p_.src_dtype == DType::i16 || p_.src_dtype == DType::f32;
    else
      return p_.src_dtype == DType::f64;
  }

  void column_from_source(const void* const* src_rows, const Acc* col, std::size_t count,
                          Acc fill, Acc* const* v4, std::int64_t offset) const {
    Acc* outs[4] = {v4[0] + offset, v4[1] + offset, v4[2] + offset, v4[3] + offset};
    const std::size_t R = std::size_t(p_.r);
    auto typed = [&](auto* tag) {
      using T = std::remove_pointer_t<decltype(tag)>;
      return reinterpret_cast<const T* const*>(src_rows);
    };
    if constexpr (sizeof(Acc) == 4) {
      switch (p_.src_dtype) {
        case DType::u8:
          kernels::u8_column_rows4_f32(typed((std::uint8_t*)nullptr), col, R, count, fill, outs);
          break;
        case DType::u16:
          kernels::u16_column_rows4_f32(typed((std::uint16_t*)nullptr), col, R, count, fill, outs);
          break;
        case DType::i16:
          kernels::i16_column_rows4_f32(typed((std::int16_t*)nullptr), col, R, count, fill, outs);
          break;
        default:
          kernels::f32_column_rows4_f32(typed((float*)nullptr), col, R, count, fill, outs);
          break;
      }
    } else {
      kernels::f64_column_rows4_f64(typed((double*)nullptr), col, R, count, fill, outs);
    }
  }

  ConvProblem p_;
  std::shared_ptr<const PreparedFilter> filter_;
  std::int64_t terms_;
  std::vector<Acc> col_, row_;
};

}  // namespace

std::string separable_rejects(const ConvProblem& p, const PreparedFilter& f) {
  if (std::string why = rows::per_channel_rejects(p, f); !why.empty()) return why;
  if (f.terms.empty()) return "kernel has no low-rank factoring";
  // Factors found within f32 round-off are good enough for f32 results, not for f64 or
  // integer ones (an integer result must round like the reference's).
  const bool precise = p.dst_dtype == DType::f64 || is_integer(p.dst_dtype);
  if (f.terms_residual > (precise ? 1e-14 : 1e-7)) {
    std::ostringstream os;
    os << "kernel is only approximately rank 1 (relative residual " << f.terms_residual << ")";
    return os.str();
  }
  return "";
}

double separable_estimate(const ConvProblem& p, const PreparedFilter& f) {
  const double rows = double(p.n * p.k * p.out_h());
  const double ext = double(p.w + p.pad_left + p.pad_right);
  const double macs = rows * (ext * double(p.r) + double(p.out_w() * p.s)) * double(f.terms.size());
  const double mac = cost::kSeparableMacMs * (use_f64(p, f) ? cost::kF64Factor : 1.0);
  return cost::row_parallel_ms(rows * double(p.out_w()) * cost::kRowSampleMs + macs * mac,
                              p.out_h() * p.out_w() * p.c * (p.r + p.s) *
                                  std::int64_t(f.terms.size()));
}

std::unique_ptr<AlgorithmImpl> make_separable(const ConvProblem& p,
                                              std::shared_ptr<const PreparedFilter> f) {
  if (use_f64(p, *f)) return std::make_unique<SeparableImpl<double>>(p, std::move(f));
  return std::make_unique<SeparableImpl<float>>(p, std::move(f));
}

}  // namespace convkit
