#pragma once
// Run-time choice of the SIMD target for every kernel family, capped by CONVKIT_MAX_ISA.

#include <cstdint>
#include <string>

namespace convkit::kernels {
/// Applies the ISA cap once (thread-safe); every dispatching wrapper calls it first.
void select_isa();
/// Name of the target the kernels run on ("AVX3", "AVX2", "SSE4", "EMU128").
std::string isa_name();
}  // namespace convkit::kernels
