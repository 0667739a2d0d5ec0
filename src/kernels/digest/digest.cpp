// Per-target instantiation and run-time dispatch of the digest kernel listed in digest.inc.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/digest/digest.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/digest/digest-inl.h"
#include "kernels/digest/digest.h"

HWY_BEFORE_NAMESPACE();
namespace convkit::kernels::HWY_NAMESPACE {
#define CONVKIT_DIGEST(name)                                                          \
  void name(const uint64_t* words, size_t stripes, uint64_t first, uint64_t* state) { \
    DigestStripes(words, stripes, first, state);                                      \
  }
#include "kernels/digest/digest.inc"
#undef CONVKIT_DIGEST
}  // namespace convkit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/dispatch.h"

namespace convkit::kernels {
#define CONVKIT_DIGEST(name)                                                                \
  HWY_EXPORT(name);                                                                         \
  void name(const std::uint64_t* words, std::size_t stripes, std::uint64_t first,           \
            std::uint64_t* state) {                                                         \
    select_isa();                                                                           \
    HWY_DYNAMIC_DISPATCH(name)(words, stripes, first, state);                               \
  }
#include "kernels/digest/digest.inc"
#undef CONVKIT_DIGEST
}  // namespace convkit::kernels
#endif  // HWY_ONCE
