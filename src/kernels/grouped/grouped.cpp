// Per-target instantiation and run-time dispatch of the grouped kernel listed in grouped.inc.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/grouped/grouped.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/grouped/grouped-inl.h"
#include "kernels/grouped/grouped.h"

HWY_BEFORE_NAMESPACE();
namespace convkit::kernels::HWY_NAMESPACE {
#define CONVKIT_GROUPED(name)                                                                \
  void name(const float* in, size_t ps, size_t rs, size_t C, const float* w, size_t KB,      \
            size_t R, size_t S, size_t dh, size_t dw, size_t n, float* out, size_t ok,       \
            float scale, const float* offset, float lo, float hi) {                          \
    GroupedRow(in, ps, rs, C, w, KB, R, S, dh, dw, n, out, ok, scale, offset, lo, hi);       \
  }
#include "kernels/grouped/grouped.inc"
#undef CONVKIT_GROUPED
}  // namespace convkit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/dispatch.h"

namespace convkit::kernels {
#define CONVKIT_GROUPED(name)                                                                  \
  HWY_EXPORT(name);                                                                            \
  void name(const float* in, std::size_t ps, std::size_t rs, std::size_t C, const float* w,    \
            std::size_t KB, std::size_t R, std::size_t S, std::size_t dh, std::size_t dw,      \
            std::size_t n, float* out, std::size_t ok, float scale, const float* offset,       \
            float lo, float hi) {                                                              \
    select_isa();                                                                              \
    HWY_DYNAMIC_DISPATCH(name)(in, ps, rs, C, w, KB, R, S, dh, dw, n, out, ok, scale, offset,  \
                               lo, hi);                                                        \
  }
#include "kernels/grouped/grouped.inc"
#undef CONVKIT_GROUPED
}  // namespace convkit::kernels
#endif  // HWY_ONCE
