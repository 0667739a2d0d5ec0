#include "arrays.h"

#include <nanobind/stl/string.h>

#include <cmath>
#include <string>
#include <type_traits>

#include "convkit/error.h"

namespace convkit::python {

namespace {

namespace dl = nb::dlpack;

// The DLPack description of a NumPy dtype name we do not support, for messages.
std::string dlpack_name(dl::dtype t) {
  const char* kind = "?";
  switch (dl::dtype_code(t.code)) {
    case dl::dtype_code::Int:
      kind = "int";
      break;
    case dl::dtype_code::UInt:
      kind = "uint";
      break;
    case dl::dtype_code::Float:
      kind = "float";
      break;
    case dl::dtype_code::Complex:
      kind = "complex";
      break;
    case dl::dtype_code::Bool:
      return "bool";
    default:
      kind = "dtype-code-";
      break;
  }
  return std::string(kind) + std::to_string(int(t.bits));
}

DType convkit_dtype(dl::dtype t, const char* name) {
  if (t.lanes == 1) {
    switch (dl::dtype_code(t.code)) {
      case dl::dtype_code::UInt:
        if (t.bits == 8) return DType::u8;
        if (t.bits == 16) return DType::u16;
        break;
      case dl::dtype_code::Int:
        if (t.bits == 16) return DType::i16;
        if (t.bits == 32) return DType::i32;
        break;
      case dl::dtype_code::Float:
        if (t.bits == 32) return DType::f32;
        if (t.bits == 64) return DType::f64;
        break;
      case dl::dtype_code::Complex:
        if (t.bits == 64) return DType::c64;
        if (t.bits == 128) return DType::c128;
        break;
      default:
        break;
    }
  }
  throw nb::type_error((std::string(name) + ": dtype " + dlpack_name(t) +
                        " is not supported (convkit takes uint8, uint16, int16, int32, float32, "
                        "float64, complex64, complex128)")
                           .c_str());
}

dl::dtype dlpack_dtype(DType t) {
  switch (t) {
    case DType::u8:
      return nb::dtype<std::uint8_t>();
    case DType::u16:
      return nb::dtype<std::uint16_t>();
    case DType::i16:
      return nb::dtype<std::int16_t>();
    case DType::i32:
      return nb::dtype<std::int32_t>();
    case DType::f32:
      return nb::dtype<float>();
    case DType::f64:
      return nb::dtype<double>();
    case DType::c64:
      return nb::dtype<std::complex<float>>();
    default:
      return nb::dtype<std::complex<double>>();
  }
}

template <class Array>
Geometry geometry_of(const Array& a, const char* name) {
  if (a.ndim() > std::size_t(kMaxRank))
    detail::fail(name, "has ", a.ndim(), " dimensions; convkit takes at most ", kMaxRank);
  Geometry g;
  g.rank = int(a.ndim());
  for (int i = 0; i < g.rank; ++i) {
    g.shape[i] = std::int64_t(a.shape(std::size_t(i)));
    g.strides[i] = a.stride(std::size_t(i));  // elements, signed
  }
  return g;
}

}  // namespace

ConstTensorView view_of(const InArray& a, const char* name) {
  return ConstTensorView(a.data(), convkit_dtype(a.dtype(), name), geometry_of(a, name));
}

TensorView view_of(const OutArray& a, const char* name) {
  return TensorView(a.data(), convkit_dtype(a.dtype(), name), geometry_of(a, name));
}

std::optional<TensorView> out_view(nb::handle out, const char* name, OutArray& keep) {
  if (!out.is_valid() || out.is_none()) return std::nullopt;
  if (!nb::try_cast(out, keep, false)) {
    const bool read_only = nb::hasattr(out, "flags") &&
                           nb::hasattr(out.attr("flags"), "writeable") &&
                           !nb::cast<bool>(out.attr("flags").attr("writeable"));
    detail::fail(name, "must be a writable CPU array, got ", read_only ? "a read-only " : "",
                 nb::type_name(out.type()).c_str());
  }
  return view_of(keep, name);
}

nb::object to_numpy(Tensor&& t) {
  auto* owned = new Tensor(std::move(t));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<Tensor*>(p); });
  std::size_t shape[kMaxRank];
  for (int i = 0; i < owned->rank(); ++i) shape[i] = std::size_t(owned->dim(i));
  nb::ndarray<nb::numpy> array(owned->data(), std::size_t(owned->rank()), shape, owner, nullptr,
                               dlpack_dtype(owned->dtype()));
  return array.cast();
}

NewArray new_array(DType dtype, std::span<const std::int64_t> shape) {
  // numpy.empty and the dtype objects, looked up once (the module lives as long as NumPy).
  static nb::object empty = nb::module_::import_("numpy").attr("empty");
  static nb::object dtypes[8];
  nb::object& dt = dtypes[int(dtype)];
  if (!dt.is_valid()) dt = nb::module_::import_("numpy").attr("dtype")(numpy_name(dtype));
  nb::object shape_tuple = nb::steal(PyTuple_New(Py_ssize_t(shape.size())));
  for (std::size_t i = 0; i < shape.size(); ++i)
    PyTuple_SET_ITEM(shape_tuple.ptr(), Py_ssize_t(i), PyLong_FromLongLong(shape[i]));
  nb::object array = empty(shape_tuple, dt);
  // The view by shape alone: numpy.empty's arrays are C-contiguous.
  void* data = nb::cast<OutArray>(array, false).data();
  return {std::move(array), TensorView(data, dtype, shape)};
}

TensorView destination(nb::handle out, const char* name, DType dtype,
                       std::span<const std::int64_t> shape, OutArray& keep, nb::object& result) {
  if (auto dst = out_view(out, name, keep)) {
    if (dst->dtype() != dtype)
      detail::fail(name, "dtype ", numpy_name(dst->dtype()), " != the result's ", numpy_name(dtype));
    bool same = dst->rank() == int(shape.size());
    for (int i = 0; same && i < dst->rank(); ++i) same = dst->dim(i) == shape[std::size_t(i)];
    if (!same)
      detail::fail(name, "shape ", dst->geometry().shape_string(), " != the result's shape ",
                   Geometry::contiguous(shape).shape_string());
    result = nb::borrow(out);
    return *dst;
  }
  NewArray a = new_array(dtype, shape);
  result = std::move(a.array);
  return a.view;
}

const char* numpy_name(DType t) {
  static constexpr const char* kNames[] = {"uint8",   "uint16",  "int16",     "int32",
                                           "float32", "float64", "complex64", "complex128"};
  return kNames[int(t)];
}

std::optional<DType> optional_dtype(nb::handle h, const char* name) {
  if (!h.is_valid() || h.is_none()) return std::nullopt;
  std::string s;
  if (nb::isinstance<nb::str>(h)) {
    s = nb::cast<std::string>(h);
  } else {
    // np.float32, np.dtype('f4'), 'f4'-like objects: ask NumPy for the canonical name.
    try {
      s = nb::cast<std::string>(nb::module_::import_("numpy").attr("dtype")(h).attr("name"));
    } catch (nb::python_error&) {
      detail::fail(name, "must be None, a dtype name or a NumPy dtype");
    }
  }
  return parse_dtype(s, name);
}

Border parse_border(std::string_view n) {
  if (n == "constant") return Border::constant;
  if (n == "replicate") return Border::replicate;
  if (n == "reflect") return Border::reflect;
  if (n == "mirror" || n == "reflect101") return Border::mirror;
  if (n == "wrap") return Border::wrap;
  detail::fail("border", "unknown border '", std::string(n),
               "' (expected constant, replicate, reflect, mirror or wrap)");
}

Layout parse_layout(std::string_view n) {
  if (n == "HW") return Layout::HW;
  if (n == "HWC") return Layout::HWC;
  if (n == "CHW") return Layout::CHW;
  detail::fail("layout", "unknown layout '", std::string(n), "' (expected HW, HWC or CHW)");
}

Rounding parse_rounding(std::string_view n) {
  if (n == "saturate") return Rounding::saturate;
  if (n == "half_up") return Rounding::half_up;
  detail::fail("rounding", "unknown rounding '", std::string(n),
               "' (expected saturate or half_up)");
}

PlanOptions plan_options(const std::string& algorithm) {
  PlanOptions o;
  o.algorithm = parse_algorithm(algorithm);
  return o;
}

namespace {
// One number of a pair: TypeError naming the parameter for anything else (a float where an
// int is meant, an int beyond the C type, a string...), never C++'s bad_cast.
template <class T>
T number_of(nb::handle h, const char* name) {
  T v{};
  const bool ok = !nb::isinstance<nb::bool_>(h) &&
                  (std::is_integral_v<T> ? nb::isinstance<nb::int_>(h) || nb::hasattr(h, "__index__")
                                         : true) &&
                  nb::try_cast(h, v);
  if (!ok)
    throw nb::type_error((std::string(name) + ": expected " +
                          (std::is_integral_v<T> ? "an int" : "a real number") +
                          " (or a pair of them) within range, got " +
                          nb::type_name(h.type()).c_str())
                             .c_str());
  return v;
}

template <class T>
std::array<T, 2> pair_of(nb::handle h, const char* name) {
  if (nb::isinstance<nb::sequence>(h) && !nb::isinstance<nb::str>(h)) {
    if (nb::len(h) != 2)
      detail::fail(name, "must have 2 elements (axis 0, axis 1), got ", nb::len(h));
    return {number_of<T>(h[0], name), number_of<T>(h[1], name)};
  }
  const T v = number_of<T>(h, name);
  return {v, v};
}
}  // namespace

std::array<double, 2> pair_double(nb::handle h, const char* name) {
  return pair_of<double>(h, name);
}
std::array<int, 2> pair_int(nb::handle h, const char* name) {
  return pair_of<int>(h, name);
}

}  // namespace convkit::python
