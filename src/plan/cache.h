#pragma once
// The plan cache (DESIGN.md §8): every front end asks it for a Plan instead of making one.
//
// Key: the problem's fields, the options, and the filter's contents (its bytes when small, a
// 128-bit digest of them otherwise; never its address, so weights changed in place between two
// calls make a new plan). LRU, bounded by a number of plans and by the bytes their filters
// hold; thread-safe; plans are immutable and run concurrently.
#include <cstddef>
#include <memory>
#include <string>

#include "convkit/plan.h"

namespace convkit::plan_cache {

/// The key of (problem, options, filter, bias); `separable` set: the filter is given factored.
std::string key(const ConvProblem& p, const PlanOptions& o, ConstTensorView filter,
                ConstTensorView bias, const SeparableKernel* separable);

/// The plan for `key`, made by `make()` on a miss (outside the lock) and kept; `bytes`: what it
/// holds, for the byte bound.
template <class Make>
std::shared_ptr<const Plan> get(std::string&& key, std::size_t bytes, Make&& make);

std::shared_ptr<const Plan> find(const std::string& key);
std::shared_ptr<const Plan> insert(std::string&& key, std::shared_ptr<const Plan> plan,
                                   std::size_t bytes);

template <class Make>
std::shared_ptr<const Plan> get(std::string&& key, std::size_t bytes, Make&& make) {
  if (auto hit = find(key)) return hit;
  return insert(std::move(key), std::make_shared<const Plan>(make()), bytes);
}

}  // namespace convkit::plan_cache
