// Correlation with the taps summed in scipy.ndimage's order (ConvProblem::summation), in double
// precision with every product rounded before it is added: the bits SciPy computes, so that a
// constant image stays exactly constant under a symmetric kernel and its derivative exactly 0,
// and integer outputs truncate exactly where SciPy's do.
//   Summation::ndimage_line (correlate1d): a 1-D kernel; symmetric / antisymmetric kernels
//     (within DBL_EPSILON, SciPy's test) are summed as pairs from the outside in, others from
//     the last tap, then the first onwards (kernels/line/line.h).
//   Summation::ndimage (correlate): the taps in row-major order from 0.0, skipping weights
//     with |w| <= DBL_EPSILON; a residual starts the sum (the N-D front end accumulates the
//     2-D slices of a higher-rank kernel in order this way).
//
// Loop nest (per-channel problems, stride 1, any dilation and border):
//   parallel for (plane, band of output rows):          rows::for_each_band
//     for oy in band:
//       input rows oy-pt+r*dh in the ring, border-extended, as double
//       x[t] = row[r] + s*step for every tap kept, in summation order
//       acc[0:Q*C] = line kernel(x, w)       (init: the residual row)
//       dst[oy, :] = acc                     (f64 as is, or rounded once to f32)
#include "algorithms/ordered.h"

#include <cfloat>
#include <cmath>
#include <sstream>
#include <vector>

#include "algorithms/rows.h"
#include "kernels/line/line.h"
#include "util/convert.h"

namespace convkit {

namespace {

using LineKernel = void (*)(const double* const*, const double*, std::size_t, std::size_t,
                            const double*, double*);

// SciPy's symmetry test (NI_Correlate1D): 1 symmetric, -1 antisymmetric, 0 neither.
int symmetry(const std::vector<double>& w) {
  const std::size_t T = w.size();
  if (T % 2 == 0) return 0;
  bool sym = true, anti = true;
  for (std::size_t i = 1; i <= T / 2; ++i) {
    sym = sym && std::fabs(w[T / 2 + i] - w[T / 2 - i]) <= DBL_EPSILON;
    anti = anti && std::fabs(w[T / 2 + i] + w[T / 2 - i]) <= DBL_EPSILON;
  }
  return sym ? 1 : anti ? -1 : 0;
}

class OrderedImpl final : public AlgorithmImpl {
 public:
  OrderedImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f)
      : p_(p), filter_(std::move(f)) {
    const std::size_t rs = std::size_t(p.r * p.s);
    for (std::int64_t k = 0; k < p.k; ++k) {
      Channel ch;
      for (std::size_t t = 0; t < rs; ++t) {
        const double w = filter_->w[std::size_t(k) * rs + t];
        // NI_Correlate keeps only weights above DBL_EPSILON; correlate1d keeps all.
        if (p.summation == Summation::ndimage_line || std::fabs(w) > DBL_EPSILON) {
          ch.w.push_back(w);
          ch.r.push_back(std::int64_t(t) / p.s);
          ch.s.push_back(std::int64_t(t) % p.s);
        }
      }
      ch.kernel = kernels::f64_line_sequential;
      if (p.summation == Summation::ndimage_line) {
        const int sym = symmetry(ch.w);
        ch.kernel = sym > 0   ? kernels::f64_line_symmetric
                    : sym < 0 ? kernels::f64_line_antisymmetric
                              : kernels::f64_line_general;
      }
      channels_.push_back(std::move(ch));
    }
  }

  std::string describe() const override {
    std::ostringstream os;
    os << "ordered: taps summed in scipy.ndimage's "
       << (p_.summation == Summation::ndimage_line ? "correlate1d" : "correlate")
       << " order, f64 without fused multiply-adds, " << kernels::isa_name() << ", up to "
       << get_num_threads() << " threads";
    return os.str();
  }

  void run(ConstTensorView src, TensorView dst) const override { run_residual(src, dst, {}); }
  bool fuses_residual() const override { return true; }

  void run_residual(ConstTensorView src, TensorView dst, ConstTensorView residual) const override {
    const rows::RowCtx ctx = rows::make_ctx(p_, src, dst, false);
    const std::int64_t work = p_.out_h() * p_.out_w() * p_.c * p_.r * p_.s;
    rows::for_each_band(ctx, work, [&](std::int64_t plane, std::int64_t y0, std::int64_t y1) {
      run_band(ctx, residual, plane, y0, y1);
    });
  }

 private:
  struct Channel {
    std::vector<double> w;
    std::vector<std::int64_t> r, s;
    LineKernel kernel;
  };

  void run_band(const rows::RowCtx& ctx, const ConstTensorView& residual, std::int64_t plane,
                std::int64_t y0, std::int64_t y1) const {
    const ConvProblem& p = *ctx.p;
    const std::int64_t n = ctx.image(plane), c = ctx.channel(plane), Q = p.out_w();
    const Channel& ch = channels_[std::size_t(c)];
    rows::Scratch& scratch = rows::Scratch::for_band();
    rows::RowRing<double> ring(scratch, ctx, n, c);
    const std::size_t len = std::size_t(Q) + kernels::kSlack;
    double* acc = scratch.take<double>(len);
    double* init = residual.data() ? scratch.take<double>(len) : nullptr;
    const double** rows = scratch.take<const double*>(std::size_t(p.r));
    const double** x = scratch.take<const double*>(ch.w.size() + 1);
    for (std::int64_t oy = y0; oy < y1; ++oy) {
      ring.rows_for(oy, rows);
      for (std::size_t t = 0; t < ch.w.size(); ++t)
        x[t] = rows[ch.r[t]] + ch.s[t] * p.dilation_w;
      if (init) load_residual(residual, n, c, oy, Q, init);
      if (ch.w.empty())  // every weight skipped: the sum is its start
        for (std::int64_t q = 0; q < Q; ++q) acc[q] = init ? init[q] : 0.0;
      else
        ch.kernel(x, ch.w.data(), ch.w.size(), std::size_t(Q), init, acc);
      store(ctx, n, c, oy, acc);
    }
  }

  // The sums as they are (f64), rounded once (f32) or cast as C casts (integers): no epilogue
  // arithmetic, which would turn a -0.0 into +0.0 where SciPy keeps it.
  static void store(const rows::RowCtx& ctx, std::int64_t n, std::int64_t c, std::int64_t oy,
                    const double* acc) {
    const TensorView& d = ctx.dst;
    const std::int64_t Q = ctx.p->out_w(), xs = d.stride(3);
    const std::int64_t off = n * d.stride(0) + c * d.stride(1) + oy * d.stride(2);
    visit_dtype(d.dtype(), [&](auto z) {
      using D = decltype(z);
      if constexpr (std::is_arithmetic_v<D>) {
        D* o = static_cast<D*>(d.data()) + off;
        for (std::int64_t q = 0; q < Q; ++q) {
          if constexpr (std::is_integral_v<D>)
            o[q * xs] = c_cast<D>(acc[q]);
          else
            o[q * xs] = D(acc[q]);
        }
      }
    });
  }

  static void load_residual(const ConstTensorView& res, std::int64_t n, std::int64_t c,
                            std::int64_t oy, std::int64_t Q, double* out) {
    const char* base = static_cast<const char*>(res.data());
    const auto es = std::int64_t(dtype_size(res.dtype()));
    for (std::int64_t q = 0; q < Q; ++q) {
      const char* e =
          base + (n * res.stride(0) + c * res.stride(1) + oy * res.stride(2) + q * res.stride(3)) * es;
      out[q] = res.dtype() == DType::f64 ? load_typed<double>(e) : double(load_typed<float>(e));
    }
  }

  ConvProblem p_;
  std::shared_ptr<const PreparedFilter> filter_;
  std::vector<Channel> channels_;
};

}  // namespace

std::string ordered_rejects(const ConvProblem& p, const PreparedFilter& f) {
  if (f.complex || is_complex(p.src_dtype)) return "complex data";
  if (is_integer(p.dst_dtype) ? p.rounding != Rounding::c_cast : is_complex(p.dst_dtype))
    return "stores f32, f64, or integers with Rounding::c_cast (scipy.ndimage's) only";
  if (p.c / p.groups != 1 || p.k / p.groups != 1) return "channels are mixed (not per-channel)";
  if (p.stride_h != 1 || p.stride_w != 1) return "stride > 1";
  if (p.activation != Activation::none || p.has_bias || p.scale != 1.0 || p.delta != 0.0)
    return "an epilogue beyond the sum (bias, scale, delta, activation)";
  if (p.summation == Summation::ndimage_line && p.r > 1 && p.s > 1)
    return "correlate1d's order needs a 1-D kernel";
  return "";
}

double ordered_estimate(const ConvProblem& p, const PreparedFilter&) {
  // f64 at half the f32 vector width, a separate multiply and add per tap, one row per load.
  const double samples = double(p.n * p.k * p.out_h() * p.out_w());
  return cost::row_parallel_ms(samples * (cost::kRowSampleMs + double(p.r * p.s) *
                                                                   cost::kSeparableMacMs *
                                                                   cost::kF64Factor),
                               p.out_h() * p.out_w() * p.c * p.r * p.s);
}

std::string ordered_opt_in_only(const ConvProblem& p, const PreparedFilter&) {
  if (p.summation == Summation::any)
    return "a fixed summation order (scipy.ndimage's), slower than the free ones";
  return "";
}

std::unique_ptr<AlgorithmImpl> make_ordered(const ConvProblem& p,
                                            std::shared_ptr<const PreparedFilter> f) {
  return std::make_unique<OrderedImpl>(p, std::move(f));
}

}  // namespace convkit
