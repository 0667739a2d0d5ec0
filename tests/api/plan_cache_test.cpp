// The plan cache: a repeated call is a hit, changed weights (same address) are a miss and are
// seen, the LRU bound and capacity 0 hold, and the digest is the same for any thread count.
#include <gtest/gtest.h>

#include <vector>

#include "convkit/filters.h"
#include "convkit/nn.h"
#include "convkit/plan.h"
#include "util/hash.h"

namespace convkit {
namespace {

TEST(PlanCache, RepeatedCallsHitAndChangedWeightsAreSeen) {
  clear_plan_cache();
  set_plan_cache_capacity(128);
  std::vector<float> img(32 * 32, 1.0f), out(32 * 32);
  std::vector<double> k = {0, 0, 0, 0, 1, 0, 0, 0, 0};  // identity
  const ConstTensorView src(img.data(), DType::f32, {32, 32});
  const TensorView dst(out.data(), DType::f32, {32, 32});
  const ConstTensorView kernel(k.data(), DType::f64, {3, 3});
  filter2d(src, dst, kernel);
  filter2d(src, dst, kernel);
  PlanCacheInfo info = plan_cache_info();
  EXPECT_EQ(info.misses, 1u);
  EXPECT_EQ(info.hits, 1u);
  EXPECT_EQ(info.size, 1u);
  EXPECT_EQ(out[5 * 32 + 5], 1.0f);
  k[4] = 3;  // changed in place: same address, new contents
  filter2d(src, dst, kernel);
  EXPECT_EQ(out[5 * 32 + 5], 3.0f);
  EXPECT_EQ(plan_cache_info().misses, 2u);
}

TEST(PlanCache, LargeWeightsAreKeyedByDigest) {
  clear_plan_cache();
  set_plan_cache_capacity(128);
  const std::int64_t C = 64;
  std::vector<float> x(C * 6 * 6, 1.0f), w(C * C * 9, 0.0f), y(C * 6 * 6);
  const ConstTensorView xv(x.data(), DType::f32, {1, C, 6, 6}), wv(w.data(), DType::f32, {C, C, 3, 3});
  const TensorView yv(y.data(), DType::f32, {1, C, 6, 6});
  nn::Conv2dOptions o;
  o.padding = 1;
  nn::conv2d(xv, wv, {}, o, yv);
  EXPECT_EQ(y[0], 0.0f);
  w[w.size() - 1] = 1.0f;  // the last weight of a 147 KB tensor
  nn::conv2d(xv, wv, {}, o, yv);
  EXPECT_EQ(y[(C - 1) * 36 + 0], 1.0f);  // channel C-1 now sees input channel C-1's tap (2, 2)
  EXPECT_EQ(plan_cache_info().misses, 2u);
  nn::conv2d(xv, wv, {}, o, yv);
  EXPECT_EQ(plan_cache_info().hits, 1u);
}

TEST(PlanCache, CapacityBoundsAndZeroTurnsItOff) {
  clear_plan_cache();
  set_plan_cache_capacity(2);
  std::vector<float> img(16 * 16, 1.0f), out(16 * 16);
  const ConstTensorView src(img.data(), DType::f32, {16, 16});
  const TensorView dst(out.data(), DType::f32, {16, 16});
  for (double v : {1.0, 2.0, 3.0}) {
    const double k[1] = {v};
    filter2d(src, dst, ConstTensorView(k, DType::f64, {1, 1}));
  }
  EXPECT_EQ(plan_cache_info().size, 2u);
  set_plan_cache_capacity(0);
  EXPECT_EQ(plan_cache_info().size, 0u);
  const double k[1] = {4.0};
  filter2d(src, dst, ConstTensorView(k, DType::f64, {1, 1}));
  EXPECT_EQ(plan_cache_info().size, 0u);
  EXPECT_EQ(out[0], 4.0f);
  set_plan_cache_capacity(128);
}

TEST(PlanCache, DigestIsTheSameForAnyThreadCountAndSeesEveryByte) {
  std::vector<std::uint8_t> data((std::size_t(5) << 20) + 77);
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = std::uint8_t(i * 2654435761u >> 13);
  set_num_threads(1);
  const Digest one = digest_bytes(data.data(), data.size());
  set_num_threads(2);
  const Digest two = digest_bytes(data.data(), data.size());
  set_num_threads(0);
  EXPECT_EQ(one, two);
  for (std::size_t at : {std::size_t(0), std::size_t(3) << 20, data.size() - 1}) {
    data[at] ^= 1;
    EXPECT_FALSE(digest_bytes(data.data(), data.size()) == one) << "flip at " << at;
    data[at] ^= 1;
  }
  std::swap(data[100], data[200]);  // a permutation changes it too
  EXPECT_FALSE(digest_bytes(data.data(), data.size()) == one);
}

}  // namespace
}  // namespace convkit
