#pragma once
// NumPy <-> convkit glue for the extension: arrays in as strided views (never copied), results
// out as NumPy arrays that own the convkit::Tensor, and the string spellings of the enums.
//
// Arrays come in through nanobind's ndarray caster, which takes DLPack (NumPy >= 1.22) and falls
// back to the buffer protocol (read-only arrays on NumPy 1.x). Both carry signed element strides,
// so transposes, crops, steps and negative strides (a[::-1]) reach convkit as they are. No dtype
// or order constraint is declared, so nanobind never converts (= never copies) an argument.

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "convkit/convkit.h"

namespace convkit::python {

namespace nb = nanobind;

/// Any CPU array (NumPy, or anything with __dlpack__ / the buffer protocol), read-only.
using InArray = nb::ndarray<nb::ro, nb::device::cpu>;
/// A writable CPU array (out=).
using OutArray = nb::ndarray<nb::device::cpu>;

/// The array as a convkit view (same memory, element strides). Raises TypeError for a dtype
/// convkit lacks (int64, bool, float16, ...) and ValueError for rank > 4.
ConstTensorView view_of(const InArray& a, const char* name);
TensorView view_of(const OutArray& a, const char* name);

/// `out` (a Python object, None allowed) as a writable array; ValueError if it is read-only or
/// not an array. `keep` holds the nanobind reference while the view is used.
std::optional<TensorView> out_view(nb::handle out, const char* name, OutArray& keep);

/// A NumPy array owning `t` (the Tensor moves into a capsule; no copy).
nb::object to_numpy(Tensor&& t);

/// A new C-contiguous NumPy array from numpy.empty (NumPy's allocator and huge-page policy, no
/// zero-fill: the library writes every element) and its view.
struct NewArray {
  nb::object array;
  TensorView view;
};
NewArray new_array(DType dtype, std::span<const std::int64_t> shape);

/// `out` (None allowed) as the destination of a result of `dtype` and `shape`: its view when it
/// is a writable array of exactly that dtype and shape, else ValueError naming `name`; with no
/// `out`, a new array. `keep` holds the reference; the object to return goes to `result`.
TensorView destination(nb::handle out, const char* name, DType dtype,
                       std::span<const std::int64_t> shape, OutArray& keep, nb::object& result);

/// Releases the GIL around a computation of `work` multiply-adds when that is worth two futex
/// round trips (NumPy's rule: small calls keep it).
class Unlocked {
 public:
  explicit Unlocked(double work) {
    if (work >= kMinWork) release_.emplace();
  }

 private:
  static constexpr double kMinWork = 1 << 14;
  std::optional<nb::gil_scoped_release> release_;
};

/// None -> nullopt; 'float32' / np.float32 / np.dtype('float32') -> DType.
std::optional<DType> optional_dtype(nb::handle h, const char* name);
/// NumPy's name of a convkit dtype ('uint8', ..., 'complex128').
const char* numpy_name(DType t);

Border parse_border(std::string_view name);      // constant replicate reflect mirror wrap
Layout parse_layout(std::string_view name);      // HW HWC CHW
Rounding parse_rounding(std::string_view name);  // saturate half_up
PlanOptions plan_options(const std::string& algorithm);

/// A pair from a 2-sequence, or a scalar used for both.
std::array<double, 2> pair_double(nb::handle h, const char* name);
std::array<int, 2> pair_int(nb::handle h, const char* name);

}  // namespace convkit::python
