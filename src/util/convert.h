#pragma once
// Element loads and stores across run-time dtypes, with the output rounding rules of
// ConvProblem. Used by the reference, the border loader and the API; never in a hot loop
// of a fast path (those convert whole rows with SIMD).

#include <cmath>
#include <complex>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>

#include "convkit/dtype.h"
#include "convkit/plan.h"

namespace convkit {

template <class T>
inline T load_typed(const void* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

/// Loads one element of type `t` as double (complex: the real part) or complex<double>.
template <class R>
inline R load_as(const void* p, DType t) {
  return visit_dtype(t, [&](auto z) -> R {
    using T = decltype(z);
    T v = load_typed<T>(p);
    if constexpr (std::is_same_v<R, std::complex<double>>) {
      if constexpr (std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>)
        return {double(v.real()), double(v.imag())};
      else
        return {double(v), 0.0};
    } else if constexpr (std::is_same_v<T, std::complex<float>> ||
                         std::is_same_v<T, std::complex<double>>) {
      return R(v.real());
    } else {
      return R(v);
    }
  });
}

/// Saturating conversion with round-half-to-even (OpenCV's saturate_cast / cvRound).
template <class I>
inline I saturate_round(double v) {
  if (std::isnan(v)) return std::numeric_limits<I>::min();  // cvRound(NaN) = INT_MIN, saturated
  double r = std::nearbyint(v);  // default FE_TONEAREST: half to even
  if (r <= double(std::numeric_limits<I>::min())) return std::numeric_limits<I>::min();
  if (r >= double(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
  return I(r);
}

/// Saturating conversion with round-half-up, floor(v + 0.5) (OpenCV's fixed-point paths).
template <class I>
inline I saturate_round_half_up(double v) {
  if (std::isnan(v)) return std::numeric_limits<I>::min();
  double r = std::floor(v + 0.5);
  if (r <= double(std::numeric_limits<I>::min())) return std::numeric_limits<I>::min();
  if (r >= double(std::numeric_limits<I>::max())) return std::numeric_limits<I>::max();
  return I(r);
}

/// NumPy's float -> int cast: truncate toward zero, then wrap modulo 2^bits.
template <class I>
inline I truncate_wrap(double v) {
  if (!std::isfinite(v)) return I(0);
  double t = std::trunc(v);
  constexpr double kLim = 9.2e18;
  if (t > kLim || t < -kLim) return I(0);
  return I(static_cast<std::uint64_t>(static_cast<std::int64_t>(t)));
}

/// C's (I)v for a double v as x86-64 compiles it (cvttsd2si to int32, then the low bits):
/// Rounding::c_cast.
template <class I>
inline I c_cast(double v) {
  const std::int32_t i = v > -2147483649.0 && v < 2147483648.0 ? std::int32_t(v)
                                                                : std::numeric_limits<std::int32_t>::min();
  return I(i);
}

/// Stores a real value into an element of type `t`.
inline void store_real(double v, void* p, DType t, Rounding rounding) {
  visit_dtype(t, [&](auto z) {
    using T = decltype(z);
    T out;
    if constexpr (std::is_integral_v<T>) {
      out = rounding == Rounding::saturate  ? saturate_round<T>(v)
            : rounding == Rounding::half_up ? saturate_round_half_up<T>(v)
            : rounding == Rounding::c_cast  ? c_cast<T>(v)
                                            : truncate_wrap<T>(v);
    } else {
      out = T(v);
    }
    std::memcpy(p, &out, sizeof(T));
  });
}

/// Stores an exact integer into an integer element, modulo 2^bits (NumPy integer arithmetic).
inline void store_wrapped(std::int64_t v, void* p, DType t) {
  visit_dtype(t, [&](auto z) {
    using T = decltype(z);
    T out;
    if constexpr (std::is_integral_v<T>)
      out = T(static_cast<std::uint64_t>(v));
    else
      out = T(double(v));
    std::memcpy(p, &out, sizeof(T));
  });
}

inline void store_complex(std::complex<double> v, void* p, DType t, Rounding rounding) {
  if (t == DType::c64) {
    std::complex<float> o(float(v.real()), float(v.imag()));
    std::memcpy(p, &o, sizeof o);
  } else if (t == DType::c128) {
    std::memcpy(p, &v, sizeof v);
  } else {
    store_real(v.real(), p, t, rounding);
  }
}

/// NumPy `astype` semantics for one element (complex -> real drops the imaginary part).
inline void convert_element(const void* src, DType st, void* dst, DType dt) {
  if (is_integer(st) && is_integer(dt)) {
    store_wrapped(visit_dtype(st, [&](auto z) -> std::int64_t {
                    if constexpr (std::is_integral_v<decltype(z)>)
                      return std::int64_t(load_typed<decltype(z)>(src));
                    else
                      return 0;
                  }),
                  dst, dt);
  } else {
    store_complex(load_as<std::complex<double>>(src, st), dst, dt, Rounding::wrap);
  }
}

}  // namespace convkit
