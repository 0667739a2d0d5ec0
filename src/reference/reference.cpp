// Loop nest:
//   for n, k, p, q:                       every output element
//     acc = 0
//     for c in group(k), r, s:            every tap
//       y = p*sh - pad_top + r*dh;  x = q*sw - pad_left + s*dw
//       acc += in~(n, c, y, x) * w~(k, c, r, s)       in~ applies the border rule
//     out = epilogue(acc)
#include "reference/reference.h"

#include <cmath>
#include <complex>
#include <vector>

#include "algorithms/border.h"
#include "util/convert.h"

namespace convkit {

namespace {

// The input converted to the accumulator type, contiguous N x C x H x W: keeps the inner loop
// free of dtype switches without changing any value (every source type converts exactly).
template <class Acc>
std::vector<Acc> load_input(const ConvProblem& p, ConstTensorView src) {
  std::vector<Acc> x(std::size_t(p.n * p.c * p.h * p.w));
  const auto es = std::int64_t(dtype_size(src.dtype()));
  const char* base = static_cast<const char*>(src.data());
  std::size_t i = 0;
  for (std::int64_t n = 0; n < p.n; ++n)
    for (std::int64_t c = 0; c < p.c; ++c)
      for (std::int64_t y = 0; y < p.h; ++y)
        for (std::int64_t xx = 0; xx < p.w; ++xx) {
          const char* e = base + (n * src.stride(0) + c * src.stride(1) + y * src.stride(2) +
                                  xx * src.stride(3)) * es;
          if constexpr (std::is_same_v<Acc, std::int64_t>)
            x[i++] = std::int64_t(load_as<double>(e, src.dtype()));
          else
            x[i++] = load_as<Acc>(e, src.dtype());
        }
  return x;
}

template <class Acc, class Weights, class Store>
void run_loops(const ConvProblem& p, const std::vector<Acc>& x, const Weights& w, Acc fill,
               Store&& store) {
  const std::int64_t cg = p.c / p.groups, kg = p.k / p.groups;
  const std::int64_t P = p.out_h(), Q = p.out_w();
  for (std::int64_t n = 0; n < p.n; ++n)
    for (std::int64_t k = 0; k < p.k; ++k) {
      const std::int64_t g = k / kg;
      for (std::int64_t op = 0; op < P; ++op)
        for (std::int64_t oq = 0; oq < Q; ++oq) {
          Acc acc{};
          for (std::int64_t c = 0; c < cg; ++c) {
            const Acc* plane = &x[std::size_t(((n * p.c) + g * cg + c) * p.h * p.w)];
            for (std::int64_t r = 0; r < p.r; ++r) {
              const std::int64_t yy =
                  border_index(op * p.stride_h - p.pad_top + r * p.dilation_h, p.h, p.border);
              for (std::int64_t s = 0; s < p.s; ++s) {
                const std::int64_t xx =
                    border_index(oq * p.stride_w - p.pad_left + s * p.dilation_w, p.w, p.border);
                const Acc v = (yy < 0 || xx < 0) ? fill : plane[yy * p.w + xx];
                acc += v * Acc(w[std::size_t(((k * cg + c) * p.r + r) * p.s + s)]);
              }
            }
          }
          store(n, k, op, oq, acc);
        }
    }
}

}  // namespace

double apply_activation(double v, const ConvProblem& p) {
  switch (p.activation) {
    case Activation::none: return v;
    case Activation::relu: return v > 0 ? v : 0;
    case Activation::relu6: return v < 0 ? 0 : (v > 6 ? 6 : v);
    case Activation::leaky_relu: return v >= 0 ? v : v * p.activation_alpha;
    case Activation::clamp:
      return v < p.activation_alpha ? p.activation_alpha
                                    : (v > p.activation_beta ? p.activation_beta : v);
    case Activation::sigmoid: return 1.0 / (1.0 + std::exp(-v));
    case Activation::tanh: return std::tanh(v);
    case Activation::gelu: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    case Activation::silu: return v / (1.0 + std::exp(-v));
  }
  return v;
}

void reference_run(const ConvProblem& p, const PreparedFilter& f, ConstTensorView src,
                   TensorView dst) {
  const auto es = std::int64_t(dtype_size(dst.dtype()));
  char* out = static_cast<char*>(dst.data());
  auto at = [&](std::int64_t n, std::int64_t k, std::int64_t op, std::int64_t oq) {
    return out + (n * dst.stride(0) + k * dst.stride(1) + op * dst.stride(2) +
                  oq * dst.stride(3)) * es;
  };
  const bool exact_integer = is_integer(p.src_dtype) && is_integer(p.filter_dtype) &&
                             is_integer(p.dst_dtype) && p.rounding == Rounding::wrap;
  if (f.complex || is_complex(p.src_dtype)) {
    using C = std::complex<double>;
    const std::vector<double> real = f.complex ? std::vector<double>{} : f.taps();
    std::vector<C> w = f.complex ? f.wc : std::vector<C>(real.begin(), real.end());
    run_loops<C>(p, load_input<C>(p, src), w, p.border_value,
                 [&](auto n, auto k, auto op, auto oq, C acc) {
                   store_complex(acc * p.scale + p.delta, at(n, k, op, oq), p.dst_dtype,
                                 p.rounding);
                 });
  } else if (exact_integer) {
    // NumPy integer arithmetic: exact in int64, wrapped to the output width on store.
    const std::vector<double> real = f.taps();
    std::vector<std::int64_t> w(real.begin(), real.end());
    run_loops<std::int64_t>(p, load_input<std::int64_t>(p, src), w,
                            std::int64_t(p.border_value.real()),
                            [&](auto n, auto k, auto op, auto oq, std::int64_t acc) {
                              store_wrapped(acc, at(n, k, op, oq), p.dst_dtype);
                            });
  } else {
    run_loops<double>(p, load_input<double>(p, src), f.taps(), p.border_value.real(),
                      [&](auto n, auto k, auto op, auto oq, double acc) {
                        double v = acc * p.scale + p.delta.real();
                        if (!f.bias.empty()) v += f.bias[std::size_t(k)];
                        store_real(apply_activation(v, p), at(n, k, op, oq), p.dst_dtype,
                                   p.rounding);
                      });
  }
}

namespace {
class ReferenceImpl final : public AlgorithmImpl {
 public:
  ReferenceImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f)
      : problem_(p), filter_(std::move(f)) {}
  void run(ConstTensorView src, TensorView dst) const override {
    if (problem_.direction == Direction::backward_data)
      reference_backward_data(problem_, *filter_, src, dst);
    else
      reference_run(problem_, *filter_, src, dst);
  }
  void run_weights(ConstTensorView src, ConstTensorView diff_dst, TensorView diff_w,
                   TensorView diff_b) const override {
    reference_backward_weights(problem_, src, diff_dst, diff_w, diff_b);
  }
  std::string describe() const override {
    return "reference: plain loops, double accumulation, 1 thread";
  }

 private:
  ConvProblem problem_;
  std::shared_ptr<const PreparedFilter> filter_;
};
}  // namespace

std::unique_ptr<AlgorithmImpl> make_reference(const ConvProblem& p,
                                              std::shared_ptr<const PreparedFilter> f) {
  return std::make_unique<ReferenceImpl>(p, std::move(f));
}

}  // namespace convkit
