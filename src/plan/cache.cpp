#include "plan/cache.h"

#include <cstdlib>
#include <cstring>
#include <list>
#include <mutex>
#include <type_traits>
#include <unordered_map>

#include "convkit/error.h"
#include "util/hash.h"

namespace convkit {

namespace {

// Filters up to this many bytes are keyed by their bytes (every image kernel); larger ones
// (deep-learning weights) by a digest, which reads them once at ~30-50 GB/s.
constexpr std::size_t kKeyBytesMax = 4096;
constexpr std::size_t kDefaultCapacity = 128;
// The byte bound: a training loop calling the functional form with new weights every step
// leaves stale plans behind; they go once they hold this much.
constexpr std::size_t kDefaultByteBudget = std::size_t(1) << 30;

template <class T>
void put(std::string& k, const T& v) {
  static_assert(std::is_trivially_copyable_v<T>);
  k.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

void put_view(std::string& k, const ConstTensorView& v) {
  put(k, std::uint8_t(v.rank()));
  put(k, v.dtype());
  std::int64_t bytes = std::int64_t(dtype_size(v.dtype()));
  for (int i = 0; i < v.rank(); ++i) {
    put(k, v.dim(i));
    put(k, std::uint8_t(v.stride(i) == 0));  // stride-0 axes are keyed (and hashed) once
    if (v.stride(i) != 0) bytes *= v.dim(i);
  }
  if (!v.data() || v.numel() == 0) return put(k, std::uint8_t(0));
  if (std::size_t(bytes) <= kKeyBytesMax) {
    put(k, std::uint8_t(1));
    append_view_bytes(v, k);
  } else {
    put(k, std::uint8_t(2));
    put(k, digest_view(v));
  }
}

std::size_t capacity_from_env() {
  const char* s = std::getenv("CONVKIT_PLAN_CACHE");
  if (!s || !*s) return kDefaultCapacity;
  char* end = nullptr;
  const long long v = std::strtoll(s, &end, 10);
  return (end && *end == '\0' && v >= 0) ? std::size_t(v) : kDefaultCapacity;
}

class Cache {
 public:
  std::shared_ptr<const Plan> find(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) {
      ++misses_;
      return nullptr;
    }
    ++hits_;
    lru_.splice(lru_.begin(), lru_, it->second);  // most recent first
    return it->second->plan;
  }

  std::shared_ptr<const Plan> insert(std::string&& key, std::shared_ptr<const Plan> plan,
                                     std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (capacity_ == 0) return plan;
    if (auto it = index_.find(key); it != index_.end()) return it->second->plan;  // a racer won
    lru_.push_front(Entry{std::move(key), std::move(plan), bytes});
    index_.emplace(lru_.front().key, lru_.begin());
    bytes_ += bytes;
    auto result = lru_.front().plan;
    trim();
    return result;
  }

  void set_capacity(std::size_t plans) {
    std::lock_guard<std::mutex> lock(mutex_);
    capacity_ = plans;
    trim();
  }

  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    index_.clear();
    lru_.clear();
    bytes_ = hits_ = misses_ = 0;
  }

  PlanCacheInfo info() {
    std::lock_guard<std::mutex> lock(mutex_);
    return {hits_, misses_, lru_.size(), capacity_, bytes_, byte_budget_};
  }

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const Plan> plan;
    std::size_t bytes;
  };
  // Drops the least recently used plans beyond the bounds (the newest always stays, however
  // large: the call that made it is about to run it).
  void trim() {
    while (!lru_.empty() && (lru_.size() > capacity_ ||
                             (bytes_ > byte_budget_ && lru_.size() > 1))) {
      bytes_ -= lru_.back().bytes;
      index_.erase(lru_.back().key);
      lru_.pop_back();
    }
  }

  std::mutex mutex_;
  std::list<Entry> lru_;
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;
  std::size_t capacity_ = capacity_from_env();
  std::size_t byte_budget_ = kDefaultByteBudget;
  std::size_t bytes_ = 0, hits_ = 0, misses_ = 0;
};

Cache& cache() {
  static Cache c;
  return c;
}

// What a plan holds, roughly: the prepared taps (f64) and the algorithm's packed copy (f32).
std::size_t plan_bytes(const ConvProblem& p) {
  return std::size_t(p.k * (p.c / p.groups) * p.r * p.s) * 12 + 4096;
}

}  // namespace

namespace plan_cache {

std::string key(const ConvProblem& p, const PlanOptions& o, ConstTensorView filter,
                ConstTensorView bias, const SeparableKernel* separable) {
  std::string k;
  k.reserve(256);
  put(k, p.n), put(k, p.c), put(k, p.h), put(k, p.w), put(k, p.k), put(k, p.r), put(k, p.s);
  put(k, p.groups), put(k, p.src_dtype), put(k, p.filter_dtype), put(k, p.dst_dtype);
  put(k, p.flip), put(k, p.conj), put(k, p.stride_h), put(k, p.stride_w);
  put(k, p.dilation_h), put(k, p.dilation_w);
  put(k, p.pad_top), put(k, p.pad_left), put(k, p.pad_bottom), put(k, p.pad_right);
  put(k, p.border), put(k, p.border_value), put(k, p.scale), put(k, p.delta);
  put(k, p.has_bias), put(k, p.has_residual), put(k, p.activation);
  put(k, p.activation_alpha), put(k, p.activation_beta), put(k, p.rounding);
  put(k, p.summation), put(k, p.direction);
  put(k, o.algorithm), put(k, o.exact_taps), put(k, o.band_of_height);
  // Plans are costed and split for the thread count of the moment: a later
  // set_num_threads must get plans of its own.
  put(k, get_num_threads());
  put(k, std::uint8_t(separable != nullptr));
  if (separable) {
    put_view(k, separable->col);
    put_view(k, separable->row);
  } else {
    put_view(k, filter);
  }
  put_view(k, bias);
  return k;
}

std::shared_ptr<const Plan> find(const std::string& key) { return cache().find(key); }

std::shared_ptr<const Plan> insert(std::string&& key, std::shared_ptr<const Plan> plan,
                                   std::size_t bytes) {
  return cache().insert(std::move(key), std::move(plan), bytes);
}

}  // namespace plan_cache

std::shared_ptr<const Plan> Plan::cached(const ConvProblem& problem, ConstTensorView filter,
                                         ConstTensorView bias, PlanOptions options) {
  std::string* explain = std::exchange(options.explain, nullptr);
  auto plan = plan_cache::get(plan_cache::key(problem, options, filter, bias, nullptr),
                              plan_bytes(problem),
                              [&] { return Plan(problem, filter, bias, options); });
  if (explain) *explain = plan->explain();
  return plan;
}

std::shared_ptr<const Plan> Plan::cached(const ConvProblem& problem, const SeparableKernel& kernel,
                                         ConstTensorView bias, PlanOptions options) {
  std::string* explain = std::exchange(options.explain, nullptr);
  auto plan = plan_cache::get(plan_cache::key(problem, options, {}, bias, &kernel),
                              plan_bytes(problem),
                              [&] { return Plan(problem, kernel, bias, options); });
  if (explain) *explain = plan->explain();
  return plan;
}

void set_plan_cache_capacity(std::size_t plans) { cache().set_capacity(plans); }
PlanCacheInfo plan_cache_info() { return cache().info(); }
void clear_plan_cache() { cache().clear(); }

}  // namespace convkit
