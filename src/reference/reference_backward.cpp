// The oracle for the backward directions: the forward loop nest of reference.cpp, with every
// product's contribution scattered to the tensor being differentiated instead of summed into
// the output.
//
//   for n, k, p, q; c in group(k), r, s:
//     y = p*sh - pad_top + r*dh;  x = q*sw - pad_left + s*dw;  (y', x') = border(y, x)
//     backward-data:    diff_src[n, c, y', x'] += diff_dst[n, k, p, q] * w[k, c, r, s]
//     backward-weights: diff_w[k, c, r, s]     += in[n, c, y', x'] * diff_dst[n, k, p, q]
// (nothing when the constant border invents the sample). Double accumulation, one thread.
#include <vector>

#include "algorithms/border.h"
#include "reference/reference.h"
#include "util/convert.h"

namespace convkit {

namespace {

// An element of a rank-4 view as double.
double at(const ConstTensorView& v, std::int64_t a, std::int64_t b, std::int64_t c,
          std::int64_t d) {
  const auto es = std::int64_t(dtype_size(v.dtype()));
  return load_as<double>(static_cast<const char*>(v.data()) +
                             (a * v.stride(0) + b * v.stride(1) + c * v.stride(2) +
                              d * v.stride(3)) * es,
                         v.dtype());
}

void put(const TensorView& v, std::int64_t a, std::int64_t b, std::int64_t c, std::int64_t d,
         double value) {
  const auto es = std::int64_t(dtype_size(v.dtype()));
  store_real(value,
             static_cast<char*>(v.data()) +
                 (a * v.stride(0) + b * v.stride(1) + c * v.stride(2) + d * v.stride(3)) * es,
             v.dtype(), Rounding::saturate);
}

// Calls f(n, k, p, q, c, r, s, y', x') for every product of the forward sum that reads a real
// input sample (c is the absolute input channel).
template <class F>
void for_each_product(const ConvProblem& p, F&& f) {
  const std::int64_t cg = p.c / p.groups, kg = p.k / p.groups;
  const std::int64_t P = p.out_h(), Q = p.out_w();
  for (std::int64_t n = 0; n < p.n; ++n)
    for (std::int64_t k = 0; k < p.k; ++k)
      for (std::int64_t op = 0; op < P; ++op)
        for (std::int64_t oq = 0; oq < Q; ++oq)
          for (std::int64_t c = 0; c < cg; ++c)
            for (std::int64_t r = 0; r < p.r; ++r) {
              const std::int64_t y =
                  border_index(op * p.stride_h - p.pad_top + r * p.dilation_h, p.h, p.border);
              if (y < 0) continue;
              for (std::int64_t s = 0; s < p.s; ++s) {
                const std::int64_t x = border_index(oq * p.stride_w - p.pad_left + s * p.dilation_w,
                                                    p.w, p.border);
                if (x >= 0) f(n, k, op, oq, (k / kg) * cg + c, c, r, s, y, x);
              }
            }
}

}  // namespace

void reference_backward_data(const ConvProblem& p, const PreparedFilter& f,
                             ConstTensorView diff_dst, TensorView diff_src) {
  const std::int64_t cg = p.c / p.groups;
  std::vector<double> acc(std::size_t(p.n * p.c * p.h * p.w), 0.0);
  for_each_product(p, [&](auto n, auto k, auto op, auto oq, auto c, auto cc, auto r, auto s,
                          auto y, auto x) {
    acc[std::size_t(((n * p.c + c) * p.h + y) * p.w + x)] +=
        at(diff_dst, n, k, op, oq) * f.tap(std::size_t(((k * cg + cc) * p.r + r) * p.s + s));
  });
  std::size_t i = 0;
  for (std::int64_t n = 0; n < p.n; ++n)
    for (std::int64_t c = 0; c < p.c; ++c)
      for (std::int64_t y = 0; y < p.h; ++y)
        for (std::int64_t x = 0; x < p.w; ++x, ++i) {
          double v = acc[i] + (f.bias.empty() ? 0.0 : f.bias[std::size_t(c)]);
          put(diff_src, n, c, y, x, apply_activation(v, p));
        }
}

void reference_backward_weights(const ConvProblem& p, ConstTensorView src,
                                ConstTensorView diff_dst, TensorView diff_w, TensorView diff_b) {
  const std::int64_t cg = p.c / p.groups;
  std::vector<double> acc(std::size_t(p.k * cg * p.r * p.s), 0.0);
  for_each_product(p, [&](auto n, auto k, auto op, auto oq, auto c, auto cc, auto r, auto s,
                          auto y, auto x) {
    acc[std::size_t(((k * cg + cc) * p.r + r) * p.s + s)] +=
        at(src, n, c, y, x) * at(diff_dst, n, k, op, oq);
  });
  std::size_t i = 0;
  for (std::int64_t k = 0; k < p.k; ++k)
    for (std::int64_t c = 0; c < cg; ++c)
      for (std::int64_t r = 0; r < p.r; ++r)
        for (std::int64_t s = 0; s < p.s; ++s) put(diff_w, k, c, r, s, acc[i++]);
  if (!diff_b.data()) return;
  const auto es = std::int64_t(dtype_size(diff_b.dtype()));
  for (std::int64_t k = 0; k < p.k; ++k) {
    double b = 0;
    for (std::int64_t n = 0; n < p.n; ++n)
      for (std::int64_t op = 0; op < p.out_h(); ++op)
        for (std::int64_t oq = 0; oq < p.out_w(); ++oq) b += at(diff_dst, n, k, op, oq);
    store_real(b, static_cast<char*>(diff_b.data()) + k * diff_b.stride(0) * es, diff_b.dtype(),
               Rounding::saturate);
  }
}

}  // namespace convkit
