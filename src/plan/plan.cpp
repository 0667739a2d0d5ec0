#include <algorithm>
#include <cmath>
#include <cstring>
#include <iomanip>
#include <numeric>
#include <sstream>
#include <type_traits>

#include "convkit/error.h"
#include "convkit/plan.h"
#include "algorithms/weight_grad.h"
#include "plan/algorithm.h"
#include "plan/backward_data.h"
#include "plan/factor.h"
#include "reference/reference.h"
#include "util/convert.h"

namespace convkit {

const char* algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::automatic: return "auto";
    case Algorithm::direct: return "direct";
    case Algorithm::separable: return "separable";
    case Algorithm::box: return "box";
    case Algorithm::fft: return "fft";
    case Algorithm::overlap_add: return "overlap-add";
    case Algorithm::direct_blocked: return "direct-blocked";
    case Algorithm::gemm_1x1: return "gemm-1x1";
    case Algorithm::depthwise: return "depthwise";
    case Algorithm::grouped: return "grouped";
    case Algorithm::winograd: return "winograd";
    case Algorithm::winograd_4x4: return "winograd-4x4";
    case Algorithm::im2col: return "im2col";
    case Algorithm::stride_phases: return "stride-phases";
    case Algorithm::ordered: return "ordered";
    case Algorithm::reference: return "reference";
  }
  return "?";
}

Algorithm parse_algorithm(const std::string& name) {
  constexpr Algorithm kAll[] = {Algorithm::automatic, Algorithm::direct,      Algorithm::separable,
                                Algorithm::box,       Algorithm::fft,         Algorithm::overlap_add,
                                Algorithm::direct_blocked, Algorithm::gemm_1x1, Algorithm::depthwise,
                                Algorithm::grouped,
                                Algorithm::winograd,  Algorithm::winograd_4x4,
                                Algorithm::im2col,    Algorithm::stride_phases, Algorithm::ordered,
                                Algorithm::reference};
  for (Algorithm a : kAll)
    if (name == algorithm_name(a)) return a;
  detail::fail("algorithm", "unknown algorithm '", name,
               "' (expected auto, direct, separable, box, fft, overlap-add, direct-blocked, ",
               "gemm-1x1, depthwise, grouped, winograd, winograd-4x4, im2col, stride-phases, ordered ",
               "or reference)");
}

const char* version() { return CONVKIT_VERSION; }

class Executor {
 public:
  ConvProblem problem;
  std::shared_ptr<const PreparedFilter> filter;
  Algorithm algorithm = Algorithm::reference;
  std::unique_ptr<AlgorithmImpl> impl;
  /// The planner's table: every candidate with its estimate (< 0: it rejected the problem) and
  /// the reason it rejected or may only run on request; explain() formats it when asked.
  struct Candidate {
    const AlgorithmInfo* info;
    double estimate;
    std::string why;
  };
  std::vector<Candidate> candidates;
  const AlgorithmInfo* chosen = nullptr;
  bool requested = false;
  /// The residual (and the activation after it) is added by a pass after the algorithm.
  bool residual_after = false;
};

namespace {

std::shared_ptr<const PreparedFilter> prepare_filter(const ConvProblem& p, ConstTensorView filter,
                                                     ConstTensorView bias) {
  const std::int64_t cg = p.c / p.groups;
  if (filter.rank() != 4 || filter.dim(0) != p.k || filter.dim(1) != cg || filter.dim(2) != p.r ||
      filter.dim(3) != p.s)
    detail::fail("filter", "shape ", filter.geometry().shape_string(), " does not match (", p.k,
                 ", ", cg, ", ", p.r, ", ", p.s, ")");
  if (filter.dtype() != p.filter_dtype)
    detail::fail("filter", "dtype ", dtype_name(filter.dtype()), " != problem filter dtype ",
                 dtype_name(p.filter_dtype));
  auto f = std::make_shared<PreparedFilter>();
  f->complex = is_complex(filter.dtype());
  const std::size_t total = std::size_t(p.k * cg * p.r * p.s);
  const bool as_f32 = filter.dtype() == DType::f32 && cg > 1;
  if (f->complex) f->wc.resize(total);
  else if (as_f32) f->wf = std::make_unique_for_overwrite<float[]>(total), f->wf_size = total;
  else f->w.resize(total);
  // Flip here, once, so that every algorithm only correlates. Real filters are read with their
  // own type (no complex arithmetic, no hypot per tap): planning a large Conv2d layer is a
  // conversion loop, not a library call per weight.
  visit_dtype(filter.dtype(), [&](auto z) {
    using T = decltype(z);
    const T* base = static_cast<const T*>(filter.data());
    const std::int64_t s0 = filter.stride(0), s1 = filter.stride(1);
    const std::int64_t s2 = p.flip ? -filter.stride(2) : filter.stride(2);
    const std::int64_t s3 = p.flip ? -filter.stride(3) : filter.stride(3);
    const std::int64_t origin = p.flip ? (p.r - 1) * filter.stride(2) + (p.s - 1) * filter.stride(3) : 0;
    if constexpr (std::is_same_v<T, float>) {
      if (as_f32) {  // channel mixing: only the DL algorithms, which need no tap bounds
        float* o = f->wf.get();
        if (!p.flip && filter.is_contiguous()) {
          std::memcpy(o, base, total * sizeof(float));
          return;
        }
        for (std::int64_t k = 0; k < p.k; ++k)
          for (std::int64_t c = 0; c < cg; ++c)
            for (std::int64_t r = 0; r < p.r; ++r, o += p.s) {
              const T* e = base + origin + k * s0 + c * s1 + r * s2;
              if (s3 == 1)
                std::memcpy(o, e, std::size_t(p.s) * sizeof(float));
              else
                for (std::int64_t s = 0; s < p.s; ++s) o[s] = e[s * s3];
            }
        return;
      }
    }
    std::size_t i = 0;
    for (std::int64_t k = 0; k < p.k; ++k) {
      double abs_sum = 0;
      for (std::int64_t c = 0; c < cg; ++c)
        for (std::int64_t r = 0; r < p.r; ++r) {
          const T* e = base + origin + k * s0 + c * s1 + r * s2;
          for (std::int64_t s = 0; s < p.s; ++s, ++i) {
            if constexpr (std::is_same_v<T, std::complex<float>> ||
                          std::is_same_v<T, std::complex<double>>) {
              std::complex<double> v(e[s * s3].real(), e[s * s3].imag());
              if (p.conj) v = std::conj(v);
              f->wc[i] = v;
              abs_sum += std::abs(v);
            } else {
              const double v = double(e[s * s3]);
              f->w[i] = v;
              abs_sum += std::fabs(v);
            }
          }
        }
      f->max_abs_sum = std::max(f->max_abs_sum, abs_sum);
    }
  });
  if (p.has_bias) {
    // The bias belongs to the tensor the plan computes: diff_src's C channels for backward_data.
    const std::int64_t len = p.direction == Direction::backward_data ? p.c : p.k;
    if (bias.rank() != 1 || bias.dim(0) != len)
      detail::fail("bias", "shape ", bias.geometry().shape_string(), " != (", len, ",)");
    const auto bs = std::int64_t(dtype_size(bias.dtype()));
    for (std::int64_t k = 0; k < len; ++k) {
      double b = load_as<double>(static_cast<const char*>(bias.data()) + k * bias.stride(0) * bs,
                                 bias.dtype());
      f->bias.push_back(b);
    }
  } else if (bias.data() && bias.numel() > 0) {
    detail::fail("bias", "given but problem.has_bias is false");
  }
  if (!f->complex && cg == 1 && p.direction == Direction::forward) {
    const std::size_t rs = std::size_t(p.r * p.s);
    f->uniform = true;
    for (std::size_t i = 0; i < f->w.size(); ++i) f->uniform &= f->w[i] == f->w[i / rs * rs];
    factor_kernel(p, *f);
  }
  return f;
}

void check_view(const char* name, const ConstTensorView& v, DType dtype,
                std::array<std::int64_t, 4> shape) {
  if (v.rank() != 4) detail::fail(name, "must be a rank-4 view, got rank ", v.rank());
  for (int i = 0; i < 4; ++i)
    if (v.dim(i) != shape[i])
      detail::fail(name, "shape ", v.geometry().shape_string(), " != planned (", shape[0], ", ",
                   shape[1], ", ", shape[2], ", ", shape[3], ")");
  if (v.dtype() != dtype)
    detail::fail(name, "dtype ", dtype_name(v.dtype()), " != planned ", dtype_name(dtype));
}

// Byte range [lo, hi) touched by a view; overlapping ranges mean "maybe aliasing".
std::pair<const char*, const char*> byte_range(const ConstTensorView& v) {
  const char* b = static_cast<const char*>(v.data());
  std::int64_t lo = 0, hi = 0;
  for (int i = 0; i < v.rank(); ++i) {
    std::int64_t ext = (v.dim(i) - 1) * v.stride(i);
    (ext < 0 ? lo : hi) += ext;
  }
  const auto es = std::int64_t(dtype_size(v.dtype()));
  return {b + lo * es, b + (hi + 1) * es};
}

}  // namespace

void AlgorithmImpl::run_weights(ConstTensorView, ConstTensorView, TensorView, TensorView) const {
  detail::fail("direction", "this algorithm does not compute weight gradients");
}

Plan::Plan(const ConvProblem& problem, ConstTensorView filter, ConstTensorView bias,
           PlanOptions options)
    : impl_(std::make_unique<Executor>()) {
  problem.validate();
  if (problem.direction == Direction::backward_weights)
    detail::fail("direction", "a backward-weights plan has no filter: use Plan(problem, options)");
  impl_->problem = problem;
  impl_->filter = prepare_filter(problem, filter, bias);
  choose(problem, options);
  if (options.explain) *options.explain = explain();
}

Plan::Plan(const ConvProblem& problem, PlanOptions options) : impl_(std::make_unique<Executor>()) {
  problem.validate();
  if (problem.direction != Direction::backward_weights)
    detail::fail("direction", "Plan(problem, options) makes backward-weights plans, got ",
                 direction_name(problem.direction));
  impl_->problem = problem;
  impl_->filter = std::make_shared<PreparedFilter>();
  choose(problem, options);
  if (options.explain) *options.explain = explain();
}

Plan::Plan(const ConvProblem& problem, const SeparableKernel& kernel, ConstTensorView bias,
           PlanOptions options)
    : impl_(std::make_unique<Executor>()) {
  problem.validate();
  if (problem.direction != Direction::forward)
    detail::fail("direction", "separable kernels plan forward problems only");
  const bool per_channel = problem.c == problem.k && problem.groups == problem.c;
  if (!per_channel)
    detail::fail("kernel", "a separable kernel needs a per-channel problem (C == K == groups), got ",
                 problem.to_string());
  auto as_vector = [](const char* name, ConstTensorView v, std::int64_t len) {
    if (v.rank() != 1 || v.dim(0) != len)
      detail::fail(name, "must be 1-D with ", len, " taps, got shape ", v.geometry().shape_string());
    if (is_complex(v.dtype())) detail::fail(name, "must be real, got ", dtype_name(v.dtype()));
    std::vector<double> out(static_cast<std::size_t>(len), 0.0);
    const auto es = std::int64_t(dtype_size(v.dtype()));
    for (std::int64_t i = 0; i < len; ++i)
      out[std::size_t(i)] =
          load_as<double>(static_cast<const char*>(v.data()) + i * v.stride(0) * es, v.dtype());
    return out;
  };
  const std::vector<double> col = as_vector("kernel.col", kernel.col, problem.r);
  const std::vector<double> row = as_vector("kernel.row", kernel.row, problem.s);
  // The dense equivalent serves every algorithm that does not use the factors.
  Tensor dense(DType::f64, {problem.k, 1, problem.r, problem.s});
  auto* d = static_cast<double*>(dense.data());
  for (std::int64_t k = 0; k < problem.k; ++k)
    for (std::int64_t r = 0; r < problem.r; ++r)
      for (std::int64_t s = 0; s < problem.s; ++s)
        d[(k * problem.r + r) * problem.s + s] = col[std::size_t(r)] * row[std::size_t(s)];
  ConvProblem dense_problem = problem;
  dense_problem.filter_dtype = DType::f64;
  impl_->problem = dense_problem;
  auto f = std::const_pointer_cast<PreparedFilter>(prepare_filter(dense_problem, dense.cview(), bias));
  SeparableTerm t;
  for (std::int64_t k = 0; k < problem.k; ++k) {
    for (std::int64_t r = 0; r < problem.r; ++r)
      t.col.push_back(col[std::size_t(problem.flip ? problem.r - 1 - r : r)]);
    for (std::int64_t s = 0; s < problem.s; ++s)
      t.row.push_back(row[std::size_t(problem.flip ? problem.s - 1 - s : s)]);
  }
  f->terms.assign(1, std::move(t));
  f->terms_exact = true;
  impl_->filter = std::move(f);
  choose(dense_problem, options);
  if (options.explain) *options.explain = explain();
}

namespace {

// Why algorithm `a` may compute a band of rows differently from the same rows of the whole
// image (PlanOptions::band_of_height); empty when it computes every output row alike.
std::string not_row_local(Algorithm a, const ConvProblem& p) {
  switch (a) {
    case Algorithm::fft:
    case Algorithm::overlap_add:
      return "transforms whole planes or blocks: a band rounds differently (streaming)";
    case Algorithm::winograd:
    case Algorithm::winograd_4x4:
    case Algorithm::stride_phases:
      return "tiles rows from the band's start: a band rounds differently (streaming)";
    case Algorithm::box:
      // Integer window sums are exact whatever row they start from; float running sums are not.
      return is_integer(p.src_dtype) ? ""
                                     : "float running sums restart at each band (streaming)";
    default:
      return "";
  }
}

}  // namespace

// The planner: every algorithm says whether it can run the problem and what it would cost; the
// cheapest that may be chosen automatically wins (or the one asked for). Only the winner is
// created (packed weights, FFT plans); the table is formatted only if explain() is called.
void Plan::choose(const ConvProblem& problem, const PlanOptions& options) {
  Executor& ex = *impl_;
  if (problem.direction != Direction::forward) {
    // The backward directions: the reference on request, else backward-data as forward plans
    // over stride phases (each chosen by this planner, `options.algorithm` passed on) and
    // backward-weights as its weight-gradient GEMM.
    const bool reference = options.algorithm == Algorithm::reference;
    ex.requested = options.algorithm != Algorithm::automatic;
    ex.algorithm = reference ? Algorithm::reference : options.algorithm;
    if (reference)
      ex.impl = make_reference(problem, ex.filter);
    else if (problem.direction == Direction::backward_data)
      ex.impl = make_backward_data(problem, ex.filter, options);
    else if (ex.requested)
      detail::fail("algorithm", algorithm_name(options.algorithm), " cannot run ",
                   problem.to_string(), ": backward-weights runs as its own GEMM or the reference");
    else
      ex.impl = make_weight_grad(problem);
    return;
  }
  const bool automatic = options.algorithm == Algorithm::automatic;
  // A band of a taller image is costed as the whole image, so that every band (and the whole
  // image run with the same option) gets the same algorithm.
  ConvProblem sizing = problem;
  if (options.band_of_height > 0) sizing.h = options.band_of_height;
  double best = 0;
  for (const AlgorithmInfo& a : algorithm_list()) {
    std::string why = a.rejects(problem, *ex.filter);
    if (why.empty() && options.band_of_height > 0) why = not_row_local(a.id, problem);
    if (why.empty() && a.id != Algorithm::ordered && a.id != Algorithm::reference) {
      if (problem.summation != Summation::any)
        why = "sums in its own order (the problem asks for scipy.ndimage's)";
      else if (problem.rounding == Rounding::c_cast && is_integer(problem.dst_dtype))
        why = "no C-cast integer store";
    }
    if (!why.empty()) {
      if (options.algorithm == a.id)
        detail::fail("algorithm", a.name, " cannot run ", problem.to_string(), ": ", why);
      ex.candidates.push_back({&a, -1, std::move(why)});
      continue;
    }
    const double est = a.estimate_ms(sizing, *ex.filter);
    std::string opt_in = a.opt_in_only(problem, *ex.filter);
    if (opt_in.empty() && options.exact_taps) opt_in = a.inexact(problem, *ex.filter);
    // A fixed summation order: the reference (which keeps none) only when `ordered` cannot.
    const bool last_resort = problem.summation != Summation::any && a.id == Algorithm::reference;
    const bool eligible = automatic ? opt_in.empty() && !last_resort : options.algorithm == a.id;
    if (eligible && (!ex.chosen || est < best)) ex.chosen = &a, best = est;
    if (automatic && last_resort && !ex.chosen) ex.chosen = &a;
    ex.candidates.push_back({&a, est, std::move(opt_in)});
  }
  if (!ex.chosen)
    detail::fail("algorithm", algorithm_name(options.algorithm), " is not available in this build");
  ex.requested = !automatic;
  ex.algorithm = ex.chosen->id;
  if (problem.has_residual) {
    ex.impl = ex.chosen->create(problem, ex.filter);
    if (!ex.impl->fuses_residual()) {
      // The algorithm computes conv + bias only; the residual and the activation follow.
      ConvProblem pre = problem;
      pre.has_residual = false, pre.activation = Activation::none;
      ex.impl = ex.chosen->create(pre, ex.filter);
      ex.residual_after = true;
    }
  } else {
    ex.impl = ex.chosen->create(problem, ex.filter);
  }
}

std::string Plan::explain() const {
  const Executor& e = *impl_;
  std::ostringstream ex;
  ex << "problem " << e.problem.to_string() << "\n";
  if (e.candidates.empty()) {  // a backward direction: no table of candidates
    ex << "plan: " << e.impl->describe();
    return ex.str();
  }
  ex << "candidates (estimated ms; the cheapest that accepts wins):\n";
  for (const Executor::Candidate& c : e.candidates) {
    ex << "  " << std::left << std::setw(15) << c.info->name;
    if (c.estimate < 0) {
      ex << "rejects: " << c.why << "\n";
      continue;
    }
    ex << std::right << std::setw(10) << std::fixed << std::setprecision(3) << c.estimate << " ms";
    ex.unsetf(std::ios::floatfield);
    if (c.info == e.chosen)
      ex << "  <- chosen" << (e.requested ? " (requested)" : "");
    else if (!c.why.empty() && !e.requested)
      ex << "  (only on request: " << c.why << ")";
    ex << "\n";
  }
  ex << "plan: " << e.impl->describe();
  if (e.problem.has_residual)
    ex << (e.residual_after ? "; residual added in a pass after it"
                            : "; residual added in the epilogue");
  return ex.str();
}

Plan::~Plan() = default;
Plan::Plan(Plan&&) noexcept = default;
Plan& Plan::operator=(Plan&&) noexcept = default;

const ConvProblem& Plan::problem() const { return impl_->problem; }
Algorithm Plan::algorithm() const { return impl_->algorithm; }

namespace {

// dst = act(dst + residual) over N x K x P x Q: the residual pass of algorithms without a fused
// residual epilogue.
template <class T>
void add_residual(const ConvProblem& p, TensorView dst, ConstTensorView res) {
  T* d = static_cast<T*>(dst.data());
  const T* r = static_cast<const T*>(res.data());
  const std::int64_t P = p.out_h(), Q = p.out_w();
  for (std::int64_t n = 0; n < p.n; ++n)
    for (std::int64_t k = 0; k < p.k; ++k)
      for (std::int64_t y = 0; y < P; ++y)
        for (std::int64_t x = 0; x < Q; ++x) {
          T& o = d[n * dst.stride(0) + k * dst.stride(1) + y * dst.stride(2) + x * dst.stride(3)];
          const double v = double(o) + double(r[n * res.stride(0) + k * res.stride(1) +
                                                y * res.stride(2) + x * res.stride(3)]);
          o = T(apply_activation(v, p));
        }
}

}  // namespace

void Plan::execute(ConstTensorView src, TensorView dst, ConstTensorView residual) const {
  const ConvProblem& p = impl_->problem;
  if (!p.has_residual) detail::fail("residual", "given but problem.has_residual is false");
  check_view("src", src, p.src_dtype, {p.n, p.c, p.h, p.w});
  check_view("dst", dst, p.dst_dtype, {p.n, p.k, p.out_h(), p.out_w()});
  check_view("residual", residual, p.dst_dtype, {p.n, p.k, p.out_h(), p.out_w()});
  auto [slo, shi] = byte_range(src);
  auto [dlo, dhi] = byte_range(dst);
  auto [rlo, rhi] = byte_range(residual);
  if (slo < dhi && dlo < shi) detail::fail("dst", "overlaps src (not supported with a residual)");
  const bool same = residual.data() == dst.data() && residual.geometry().strides == dst.geometry().strides;
  Tensor copy_of_res;
  if (rlo < dhi && dlo < rhi && (impl_->residual_after || !same)) {
    // A pass after the algorithm would read what the algorithm already overwrote, and a fused
    // epilogue can only read a residual sample in place when it is the very sample it writes.
    copy_of_res = Tensor(residual.dtype(), std::span<const std::int64_t>(residual.geometry().shape.data(), 4));
    copy(residual, copy_of_res);
    residual = copy_of_res.cview();
  }
  if (!impl_->residual_after) {
    impl_->impl->run_residual(src, dst, residual);
    return;
  }
  impl_->impl->run(src, dst);
  if (p.dst_dtype == DType::f32) add_residual<float>(p, dst, residual);
  else add_residual<double>(p, dst, residual);
}

void Plan::execute(ConstTensorView src, TensorView dst) const {
  const ConvProblem& p = impl_->problem;
  if (p.has_residual) detail::fail("residual", "the problem has_residual: pass the residual tensor");
  if (p.direction == Direction::backward_weights)
    detail::fail("direction", "a backward-weights plan runs with execute_backward_weights");
  if (p.direction == Direction::backward_data) {
    check_view("diff_dst", src, p.src_dtype, {p.n, p.k, p.out_h(), p.out_w()});
    check_view("diff_src", dst, p.dst_dtype, {p.n, p.c, p.h, p.w});
  } else {
    check_view("src", src, p.src_dtype, {p.n, p.c, p.h, p.w});
    check_view("dst", dst, p.dst_dtype, {p.n, p.k, p.out_h(), p.out_w()});
  }
  auto [slo, shi] = byte_range(src);
  auto [dlo, dhi] = byte_range(dst);
  if (slo < dhi && dlo < shi) {
    // In-place use (OpenCV allows it): work from a private copy of the input.
    Tensor copy_of_src(src.dtype(), std::span<const std::int64_t>(src.geometry().shape.data(), 4));
    copy(src, copy_of_src);
    impl_->impl->run(copy_of_src.cview(), dst);
    return;
  }
  impl_->impl->run(src, dst);
}

void Plan::execute_backward_weights(ConstTensorView src, ConstTensorView diff_dst,
                                    TensorView diff_weights, TensorView diff_bias) const {
  const ConvProblem& p = impl_->problem;
  if (p.direction != Direction::backward_weights)
    detail::fail("direction", "execute_backward_weights needs a backward-weights plan, got ",
                 direction_name(p.direction));
  check_view("src", src, p.src_dtype, {p.n, p.c, p.h, p.w});
  check_view("diff_dst", diff_dst, p.src_dtype, {p.n, p.k, p.out_h(), p.out_w()});
  check_view("diff_weights", diff_weights, p.dst_dtype, {p.k, p.c / p.groups, p.r, p.s});
  if (diff_bias.data()) {
    if (diff_bias.rank() != 1 || diff_bias.dim(0) != p.k)
      detail::fail("diff_bias", "shape ", diff_bias.geometry().shape_string(), " != (", p.k, ",)");
    if (diff_bias.dtype() != p.dst_dtype)
      detail::fail("diff_bias", "dtype ", dtype_name(diff_bias.dtype()), " != planned ",
                   dtype_name(p.dst_dtype));
  }
  impl_->impl->run_weights(src, diff_dst, diff_weights, diff_bias);
}

}  // namespace convkit
