// Every row of kernels/line/line.inc and kernels/digest/digest.inc against a scalar loop of its
// contract, on the ISA CONVKIT_MAX_ISA allows. The line kernels must match bit for bit: their
// point is a fixed order of roundings.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "kernels/digest/digest.h"
#include "kernels/direct/direct.h"
#include "kernels/line/line.h"
#include "test_util.h"

namespace convkit::kernels {
namespace {

enum class Order { symmetric, antisymmetric, general, sequential };

// The contract of line.h written out, one output at a time (volatile: no fused multiply-add).
double line_scalar(Order order, const std::vector<const double*>& x, const std::vector<double>& w,
                   std::size_t j, const double* init) {
  const std::size_t T = w.size(), c = T / 2;
  volatile double acc = 0;
  switch (order) {
    case Order::symmetric:
    case Order::antisymmetric:
      acc = x[c][j] * w[c];
      for (std::size_t t = 0; t < c; ++t) {
        const double pair = order == Order::symmetric ? x[t][j] + x[T - 1 - t][j]
                                                      : x[t][j] - x[T - 1 - t][j];
        const double prod = pair * w[t];
        acc = acc + prod;
      }
      break;
    case Order::general:
      acc = x[T - 1][j] * w[T - 1];
      for (std::size_t t = 0; t + 1 < T; ++t) {
        const double prod = x[t][j] * w[t];
        acc = acc + prod;
      }
      break;
    case Order::sequential:
      acc = init ? init[j] : 0.0;
      for (std::size_t t = 0; t < T; ++t) {
        const double prod = w[t] * x[t][j];
        acc = acc + prod;
      }
      break;
  }
  return acc;
}

void check_line(Order order, void (*fn)(const double* const*, const double*, std::size_t,
                                        std::size_t, const double*, double*)) {
  test::Rng rng(41);
  for (int iter = 0; iter < 400; ++iter) {
    const std::size_t n = std::size_t(rng.uniform(1, 90));
    std::size_t T = std::size_t(rng.uniform(1, 15));
    if (order == Order::symmetric || order == Order::antisymmetric) T |= 1;
    std::vector<std::vector<double>> rows(T, std::vector<double>(n + kSlack));
    std::vector<const double*> x(T);
    for (std::size_t t = 0; t < T; ++t) {
      for (auto& v : rows[t]) v = rng.chance(0.3) ? double(rng.uniform(-9, 9)) : rng.real(-1e3, 1e3);
      x[t] = rows[t].data();
    }
    std::vector<double> w(T), init(n);
    for (auto& v : w) v = rng.real(-1, 1);
    for (auto& v : init) v = rng.real(-5, 5);
    const bool with_init = order == Order::sequential && rng.chance(0.5);
    std::vector<double> out(n + 1, -7.0);
    fn(x.data(), w.data(), T, n, with_init ? init.data() : nullptr, out.data());
    for (std::size_t j = 0; j < n; ++j) {
      const double want = line_scalar(order, x, w, j, with_init ? init.data() : nullptr);
      ASSERT_EQ(std::memcmp(&out[j], &want, sizeof(double)), 0)
          << "j=" << j << " n=" << n << " T=" << T << ": " << out[j] << " != " << want;
    }
    ASSERT_EQ(out[n], -7.0) << "wrote past n";
  }
}

#define CONVKIT_LINE(name)                                                             \
  TEST(LineKernels, name) {                                                            \
    const std::string n = #name;                                                       \
    const Order o = n.find("antisym") != std::string::npos ? Order::antisymmetric      \
                    : n.find("sym") != std::string::npos   ? Order::symmetric          \
                    : n.find("general") != std::string::npos ? Order::general          \
                                                             : Order::sequential;      \
    check_line(o, &name);                                                              \
  }
#include "kernels/line/line.inc"
#undef CONVKIT_LINE

// The digest kernel's contract, one lane at a time.
void digest_scalar(const std::uint64_t* words, std::size_t stripes, std::uint64_t first,
                   std::uint64_t* state) {
  for (std::size_t s = 0; s < stripes; ++s) {
    const std::uint64_t* w = words + s * kDigestLanes;
    for (std::size_t j = 0; j < kDigestLanes; ++j) {
      const std::uint64_t d = w[j] ^ (digest_key(j) + (first + s) * kDigestStep);
      state[j] += (d & 0xFFFFFFFFu) * (d >> 32) + w[j ^ 1];
    }
    if ((first + s + 1) % 16 == 0)
      for (std::size_t j = 0; j < kDigestLanes; ++j)
        state[j] = ((state[j] ^ (state[j] >> 47)) ^ digest_key(j)) * 0x9E3779B1u;
  }
}

#define CONVKIT_DIGEST(name)                                                        \
  TEST(DigestKernels, name) {                                                       \
    test::Rng rng(42);                                                              \
    for (int iter = 0; iter < 100; ++iter) {                                        \
      const std::size_t stripes = std::size_t(rng.uniform(0, 70));                  \
      const std::uint64_t first = std::uint64_t(rng.uniform(0, 40));                \
      std::vector<std::uint64_t> words(stripes * kDigestLanes), a(kDigestLanes), b; \
      for (auto& v : words) v = rng.gen();                                          \
      for (auto& v : a) v = rng.gen();                                              \
      b = a;                                                                        \
      name(words.data(), stripes, first, a.data());                                 \
      digest_scalar(words.data(), stripes, first, b.data());                        \
      ASSERT_EQ(a, b) << "stripes=" << stripes << " first=" << first;              \
    }                                                                               \
  }
#include "kernels/digest/digest.inc"
#undef CONVKIT_DIGEST

}  // namespace
}  // namespace convkit::kernels
