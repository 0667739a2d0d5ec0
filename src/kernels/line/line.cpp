// Per-target instantiation and run-time dispatch of the line kernels listed in line.inc.
// This file is compiled with -ffp-contract=off (CMakeLists.txt): see line.h.
#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/line/line.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep
#include "hwy/highway.h"
#include "kernels/line/line-inl.h"
#include "kernels/line/line.h"

HWY_BEFORE_NAMESPACE();
namespace convkit::kernels::HWY_NAMESPACE {
#define CONVKIT_LINE_ORDER_f64_line_symmetric LineOrder::symmetric
#define CONVKIT_LINE_ORDER_f64_line_antisymmetric LineOrder::antisymmetric
#define CONVKIT_LINE_ORDER_f64_line_general LineOrder::general
#define CONVKIT_LINE_ORDER_f64_line_sequential LineOrder::sequential
#define CONVKIT_LINE(name)                                                         \
  void name(const double* const* x, const double* w, size_t T, size_t n,           \
            const double* init, double* out) {                                     \
    Line<CONVKIT_LINE_ORDER_##name>(x, w, T, n, init, out);                        \
  }
#include "kernels/line/line.inc"
#undef CONVKIT_LINE
}  // namespace convkit::kernels::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
#include "kernels/dispatch.h"

namespace convkit::kernels {
#define CONVKIT_LINE(name)                                                               \
  HWY_EXPORT(name);                                                                      \
  void name(const double* const* x, const double* w, std::size_t T, std::size_t n,       \
            const double* init, double* out) {                                           \
    select_isa();                                                                        \
    HWY_DYNAMIC_DISPATCH(name)(x, w, T, n, init, out);                                   \
  }
#include "kernels/line/line.inc"
#undef CONVKIT_LINE
}  // namespace convkit::kernels
#endif  // HWY_ONCE
