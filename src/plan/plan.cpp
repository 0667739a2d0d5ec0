#include <cmath>
#include <iomanip>
#include <sstream>

#include "convkit/error.h"
#include "convkit/plan.h"
#include "plan/algorithm.h"
#include "util/convert.h"

namespace convkit {

const char* algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::automatic: return "auto";
    case Algorithm::direct: return "direct";
    case Algorithm::reference: return "reference";
  }
  return "?";
}

Algorithm parse_algorithm(const std::string& name) {
  for (Algorithm a : {Algorithm::automatic, Algorithm::direct, Algorithm::reference})
    if (name == algorithm_name(a)) return a;
  detail::fail("algorithm", "unknown algorithm '", name, "' (expected auto, direct or reference)");
}

const char* version() { return CONVKIT_VERSION; }

class Executor {
 public:
  ConvProblem problem;
  std::shared_ptr<const PreparedFilter> filter;
  Algorithm algorithm = Algorithm::reference;
  std::unique_ptr<AlgorithmImpl> impl;
  std::string explanation;
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
  if (f->complex) f->wc.resize(total); else f->w.resize(total);
  f->integral = true;
  const auto es = std::int64_t(dtype_size(filter.dtype()));
  const char* base = static_cast<const char*>(filter.data());
  for (std::int64_t k = 0; k < p.k; ++k) {
    double abs_sum = 0;
    for (std::int64_t c = 0; c < cg; ++c)
      for (std::int64_t r = 0; r < p.r; ++r)
        for (std::int64_t s = 0; s < p.s; ++s) {
          // Flip here, once, so that every algorithm only correlates.
          const std::int64_t rr = p.flip ? p.r - 1 - r : r, ss = p.flip ? p.s - 1 - s : s;
          const char* e = base + (k * filter.stride(0) + c * filter.stride(1) +
                                  rr * filter.stride(2) + ss * filter.stride(3)) * es;
          const std::size_t i = std::size_t(((k * cg + c) * p.r + r) * p.s + s);
          auto v = load_as<std::complex<double>>(e, filter.dtype());
          if (p.conj) v = std::conj(v);
          if (f->complex) f->wc[i] = v; else f->w[i] = v.real();
          if (v.imag() != 0 || v.real() != std::trunc(v.real())) f->integral = false;
          abs_sum += std::abs(v);
        }
    f->max_abs_sum = std::max(f->max_abs_sum, abs_sum);
  }
  if (p.has_bias) {
    if (bias.rank() != 1 || bias.dim(0) != p.k)
      detail::fail("bias", "shape ", bias.geometry().shape_string(), " != (", p.k, ",)");
    const auto bs = std::int64_t(dtype_size(bias.dtype()));
    for (std::int64_t k = 0; k < p.k; ++k) {
      double b = load_as<double>(static_cast<const char*>(bias.data()) + k * bias.stride(0) * bs,
                                 bias.dtype());
      f->bias.push_back(b);
      if (b != std::trunc(b)) f->integral = false;
    }
  } else if (bias.data() && bias.numel() > 0) {
    detail::fail("bias", "given but problem.has_bias is false");
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

Plan::Plan(const ConvProblem& problem, ConstTensorView filter, ConstTensorView bias,
           PlanOptions options)
    : impl_(std::make_unique<Executor>()) {
  problem.validate();
  impl_->problem = problem;
  impl_->filter = prepare_filter(problem, filter, bias);
  std::ostringstream ex;
  ex << "problem " << problem.to_string() << "\n"
     << "candidates, in priority order (first that accepts wins):\n";
  const AlgorithmInfo* chosen = nullptr;
  for (const AlgorithmInfo& a : algorithm_list()) {
    std::string why = a.rejects(problem, *impl_->filter);
    const bool wanted = options.algorithm == Algorithm::automatic || options.algorithm == a.id;
    ex << "  " << std::left << std::setw(10) << a.name;
    if (!why.empty()) {
      ex << " rejects: " << why << "\n";
      if (options.algorithm == a.id)
        detail::fail("algorithm", a.name, " cannot run ", problem.to_string(), ": ", why);
      continue;
    }
    ex << " accepts, estimate " << std::setprecision(3) << a.estimate_ms(problem, *impl_->filter)
       << " ms";
    if (!chosen && wanted) {
      chosen = &a;
      ex << "  <- chosen" << (options.algorithm == a.id ? " (requested)" : "");
    }
    ex << "\n";
  }
  impl_->algorithm = chosen->id;
  impl_->impl = chosen->create(problem, impl_->filter);
  ex << "plan: " << impl_->impl->describe();
  impl_->explanation = ex.str();
  if (options.explain) *options.explain = impl_->explanation;
}

Plan::~Plan() = default;
Plan::Plan(Plan&&) noexcept = default;
Plan& Plan::operator=(Plan&&) noexcept = default;

const ConvProblem& Plan::problem() const { return impl_->problem; }
Algorithm Plan::algorithm() const { return impl_->algorithm; }
std::string Plan::explain() const { return impl_->explanation; }

void Plan::execute(ConstTensorView src, TensorView dst) const {
  const ConvProblem& p = impl_->problem;
  check_view("src", src, p.src_dtype, {p.n, p.c, p.h, p.w});
  check_view("dst", dst, p.dst_dtype, {p.n, p.k, p.out_h(), p.out_w()});
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

}  // namespace convkit
