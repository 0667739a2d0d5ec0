#include "kernels/dispatch.h"

#include <cstdlib>
#include <mutex>
#include <string_view>

#include "convkit/error.h"
#include "convkit/plan.h"
#include "hwy/highway.h"
#include "hwy/targets.h"

namespace convkit::kernels {

namespace {
// Targets whose bit is at or above `cap` (a larger bit is a less capable target).
std::int64_t targets_up_to(std::int64_t cap) { return ~(cap - 1); }

std::int64_t allowed_targets() {
  const char* env = std::getenv("CONVKIT_MAX_ISA");
  if (!env || !*env) return ~std::int64_t(0);
  const std::string_view v(env);
  if (v == "scalar" || v == "emu128") return targets_up_to(HWY_EMU128);
  if (v == "sse4") return targets_up_to(HWY_SSE4);
  if (v == "avx2") return targets_up_to(HWY_AVX2);
  if (v == "avx512" || v == "avx3" || v == "native") return ~std::int64_t(0);
  detail::fail("CONVKIT_MAX_ISA", "unknown value '", std::string(v),
               "' (expected scalar, sse4, avx2 or avx512)");
}

std::int64_t g_chosen = 0;
}  // namespace

void select_isa() {
  static std::once_flag once;
  std::call_once(once, [] {
    const std::int64_t usable = hwy::SupportedTargets() & allowed_targets() & HWY_TARGETS;
    // The portable fallback is always compiled and always allowed.
    const std::int64_t mask = usable ? usable : std::int64_t(HWY_STATIC_TARGET);
    hwy::GetChosenTarget().Update(mask);
    g_chosen = mask & -mask;  // lowest bit = best target
  });
}

std::string isa_name() {
  select_isa();
  return hwy::TargetName(g_chosen);
}

}  // namespace convkit::kernels

namespace convkit {
std::string active_isa() { return kernels::isa_name(); }
}  // namespace convkit
