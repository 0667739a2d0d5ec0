#pragma once
/// \file dtype.h
/// Element types known at run time.

#include <complex>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace convkit {

/// Element type of a tensor: the NumPy names.
enum class DType : std::uint8_t { u8, u16, i16, i32, f32, f64, c64, c128 };

/// Bytes per element.
std::size_t dtype_size(DType t);
/// "u8", "f32", ... (convkit's short names).
const char* dtype_name(DType t);
/// Parses "u8"/"uint8", "f32"/"float32", ...; throws convkit::Error naming `parameter`.
DType parse_dtype(std::string_view name, const char* parameter = "dtype");

constexpr bool is_integer(DType t) { return t <= DType::i32; }
constexpr bool is_complex(DType t) { return t == DType::c64 || t == DType::c128; }
constexpr bool is_floating(DType t) { return t == DType::f32 || t == DType::f64; }

/// NumPy's `np.result_type(a, b)` for these types (e.g. u8,f32 -> f32; i32,f32 -> f64).
DType result_type(DType a, DType b);

template <class T>
struct DTypeOf;
template <> struct DTypeOf<std::uint8_t> { static constexpr DType value = DType::u8; };
template <> struct DTypeOf<std::uint16_t> { static constexpr DType value = DType::u16; };
template <> struct DTypeOf<std::int16_t> { static constexpr DType value = DType::i16; };
template <> struct DTypeOf<std::int32_t> { static constexpr DType value = DType::i32; };
template <> struct DTypeOf<float> { static constexpr DType value = DType::f32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::f64; };
template <> struct DTypeOf<std::complex<float>> { static constexpr DType value = DType::c64; };
template <> struct DTypeOf<std::complex<double>> { static constexpr DType value = DType::c128; };
/// The DType of a C++ element type: `dtype_of<float>() == DType::f32`.
template <class T>
constexpr DType dtype_of() { return DTypeOf<T>::value; }

/// Calls `f(T{})` with T the C++ type of `t`.
template <class F>
decltype(auto) visit_dtype(DType t, F&& f) {
  switch (t) {
    case DType::u8: return f(std::uint8_t{});
    case DType::u16: return f(std::uint16_t{});
    case DType::i16: return f(std::int16_t{});
    case DType::i32: return f(std::int32_t{});
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    case DType::c64: return f(std::complex<float>{});
    default: return f(std::complex<double>{});
  }
}

}  // namespace convkit
