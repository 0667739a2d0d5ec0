#include "convkit/dtype.h"

#include <string>

#include "convkit/error.h"

namespace convkit {

std::size_t dtype_size(DType t) {
  return visit_dtype(t, [](auto v) { return sizeof(v); });
}

const char* dtype_name(DType t) {
  static constexpr const char* kNames[] = {"u8", "u16", "i16", "i32", "f32", "f64", "c64", "c128"};
  return kNames[static_cast<int>(t)];
}

DType parse_dtype(std::string_view name, const char* parameter) {
  struct Alias {
    const char* a;
    const char* b;
    DType t;
  };
  static constexpr Alias kAliases[] = {
      {"u8", "uint8", DType::u8},      {"u16", "uint16", DType::u16},
      {"i16", "int16", DType::i16},    {"i32", "int32", DType::i32},
      {"f32", "float32", DType::f32},  {"f64", "float64", DType::f64},
      {"c64", "complex64", DType::c64}, {"c128", "complex128", DType::c128}};
  for (const auto& a : kAliases)
    if (name == a.a || name == a.b) return a.t;
  detail::fail(parameter, "unknown dtype '", std::string(name),
               "' (expected u8, u16, i16, i32, f32, f64, c64 or c128)");
}

DType result_type(DType a, DType b) {
  // NumPy's promotion table restricted to convkit's types. Kinds: unsigned < signed < float <
  // complex; the smallest type of the higher kind that holds both exactly.
  if (a == b) return a;
  auto rank_of = [](DType t) {
    switch (t) {
      case DType::u8: return 0;
      case DType::u16: return 1;
      case DType::i16: return 2;
      case DType::i32: return 3;
      case DType::f32: return 4;
      case DType::f64: return 5;
      case DType::c64: return 6;
      default: return 7;
    }
  };
  if (rank_of(a) > rank_of(b)) std::swap(a, b);  // now a is the "smaller"
  switch (b) {
    case DType::u16: return DType::u16;                               // u8
    case DType::i16: return a == DType::u16 ? DType::i32 : DType::i16;  // u8,u16
    case DType::i32: return DType::i32;
    case DType::f32: return a == DType::i32 ? DType::f64 : DType::f32;
    case DType::f64: return DType::f64;
    case DType::c64: return (a == DType::i32 || a == DType::f64) ? DType::c128 : DType::c64;
    default: return DType::c128;
  }
}

}  // namespace convkit
