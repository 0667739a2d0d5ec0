// Shared pieces of the image filters: checks, element-wise helpers, and SciPy ndimage's
// axis-by-axis passes reduced to filter2d / sep_filter2d.
#include <cmath>
#include <cstring>
#include <string>
#include <type_traits>

#include "api/image_filters_internal.h"
#include "api/views.h"
#include "convkit/error.h"
#include "util/convert.h"

namespace convkit {

namespace imgf {

Tensor f64_tensor(std::span<const double> values, std::initializer_list<std::int64_t> shape) {
  Tensor t(DType::f64, shape);
  if (!values.empty()) std::memcpy(t.data(), values.data(), values.size() * sizeof(double));
  return t;
}

std::vector<double> to_vector(ConstTensorView v) {
  std::vector<double> out(std::size_t(v.dim(0)));
  for (std::int64_t i = 0; i < v.dim(0); ++i)
    out[std::size_t(i)] = load_as<double>(
        static_cast<const char*>(v.data()) + i * v.stride(0) * std::int64_t(dtype_size(v.dtype())),
        v.dtype());
  return out;
}

void check_image_dtype(DType t, const char* name) {
  if (t == DType::i32 || is_complex(t))
    detail::fail(name, dtype_name(t), " is not supported (expected u8, u16, i16, f32 or f64)");
}

void check_image(ConstTensorView src, const char* name) {
  if (src.rank() != 2 && src.rank() != 3)
    detail::fail(name, "must be an HxW or HxWxC image, got rank ", src.rank(), " with shape ",
                 src.geometry().shape_string());
  api::require_nonempty(name, src);
  if (src.dtype() == DType::i32 || is_complex(src.dtype()))
    detail::fail(name, "dtype ", dtype_name(src.dtype()),
                 " is not supported (expected u8, u16, i16, f32 or f64)");
}

std::pair<std::int64_t, std::int64_t> image_hw(ConstTensorView src, Layout layout) {
  if (src.rank() == 3 && layout == Layout::CHW) return {src.dim(1), src.dim(2)};
  return {src.dim(0), src.dim(1)};
}

Tensor like(ConstTensorView src, DType dtype) {
  return Tensor(
      dtype, std::span<const std::int64_t>(src.geometry().shape.data(), std::size_t(src.rank())));
}

Tensor output_like(ConstTensorView src, std::optional<DType> ddepth) {
  check_image(src);
  const DType dst = ddepth.value_or(src.dtype());
  check_image_dtype(dst, "ddepth");
  return like(src, dst);
}

void check_dst(ConstTensorView src, TensorView dst, DType dtype) {
  api::require_same_shape("dst", dst, src);
  if (dst.dtype() != dtype)
    detail::fail("dst", "dtype ", dtype_name(dst.dtype()), " != ", dtype_name(dtype));
}

namespace {
// Bytes [lo, hi) a view touches.
std::pair<const char*, const char*> extent(const ConstTensorView& v) {
  const char* b = static_cast<const char*>(v.data());
  std::int64_t lo = 0, hi = 0;
  for (int i = 0; i < v.rank(); ++i) {
    const std::int64_t ext = (v.dim(i) - 1) * v.stride(i);
    (ext < 0 ? lo : hi) += ext;
  }
  const auto es = std::int64_t(dtype_size(v.dtype()));
  return {b + lo * es, b + (hi + 1) * es};
}
}  // namespace

void copy_into(ConstTensorView src, TensorView dst) {
  const auto [slo, shi] = extent(src);
  const auto [dlo, dhi] = extent(dst);
  if (src.numel() > 0 && slo < dhi && dlo < shi) {
    Tensor tmp = like(src, src.dtype());
    copy(src, tmp.view());
    src = tmp.cview();
    return copy(src, dst);
  }
  copy(src, dst);
}

namespace {
// The elements of `src` (any strides) as a contiguous f64 tensor.
Tensor as_f64(ConstTensorView src) {
  if (src.dtype() == DType::f64 && src.is_contiguous()) {
    Tensor t = like(src, DType::f64);
    std::memcpy(t.data(), src.data(), std::size_t(src.numel()) * sizeof(double));
    return t;
  }
  Tensor t = like(src, DType::f64);
  copy(src, t.view());
  return t;
}

// Stores `n` doubles into a new tensor of `dtype` shaped like `shape_of`.
template <class F>
Tensor store_all(ConstTensorView shape_of, DType dtype, Rounding rounding, std::int64_t n,
                 F&& value) {
  Tensor out = like(shape_of, dtype);
  visit_dtype(dtype, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_arithmetic_v<T>) {
      T* o = out.data_as<T>();
      for (std::int64_t i = 0; i < n; ++i) {
        const double v = value(i);
        if constexpr (std::is_integral_v<T>) {
          o[i] = rounding == Rounding::saturate  ? saturate_round<T>(v)
                 : rounding == Rounding::half_up ? saturate_round_half_up<T>(v)
                                                 : truncate_wrap<T>(v);
        } else {
          o[i] = T(v);
        }
      }
    } else {
      detail::fail("dtype", dtype_name(dtype), " is not supported here");
    }
  });
  return out;
}
}  // namespace

Tensor map(ConstTensorView src, DType dtype, Rounding rounding,
           const std::function<double(double)>& f) {
  Tensor a = as_f64(src);
  const double* pa = a.data_as<double>();
  return store_all(src, dtype, rounding, src.numel(), [&](std::int64_t i) { return f(pa[i]); });
}

Tensor map2(ConstTensorView a, ConstTensorView b, DType dtype, Rounding rounding,
            const std::function<double(double, double)>& f) {
  Tensor da = as_f64(a), db = as_f64(b);
  const double *pa = da.data_as<double>(), *pb = db.data_as<double>();
  return store_all(a, dtype, rounding, a.numel(), [&](std::int64_t i) { return f(pa[i], pb[i]); });
}

Tensor cast(ConstTensorView src, DType dtype) {
  if (src.dtype() == dtype) {
    Tensor t = like(src, dtype);
    copy(src, t.view());
    return t;
  }
  return map(src, dtype, Rounding::wrap, [](double v) { return v; });
}

void require_finite(const char* name, double v) {
  if (!std::isfinite(v)) detail::fail(name, v, " is not a finite number");
}
void require_positive(const char* name, double v) {
  require_finite(name, v);
  if (!(v > 0)) detail::fail(name, "must be > 0, got ", v);
}
void require_nonnegative(const char* name, double v) {
  require_finite(name, v);
  if (v < 0) detail::fail(name, "must be >= 0, got ", v);
}

}  // namespace imgf

namespace ndimage {

Border parse_mode(std::string_view name) {
  if (name == "reflect" || name == "grid-mirror") return Border::reflect;
  if (name == "mirror") return Border::mirror;
  if (name == "nearest") return Border::replicate;
  if (name == "wrap" || name == "grid-wrap") return Border::wrap;
  if (name == "constant" || name == "grid-constant") return Border::constant;
  detail::fail("mode", "unknown mode '", std::string(name),
               "' (expected reflect, constant, nearest, mirror, wrap, grid-mirror, "
               "grid-constant or grid-wrap)");
}

}  // namespace ndimage

namespace ndi {

DType prepare(ConstTensorView input, const ndimage::Options& o) {
  if (input.rank() != 2)
    detail::fail("input", "must be a 2-D array, got rank ", input.rank(), " with shape ",
                 input.geometry().shape_string());
  api::require_nonempty("input", input);
  imgf::check_image_dtype(input.dtype(), "input");
  const DType out = o.output.value_or(input.dtype());
  imgf::check_image_dtype(out, "output");
  imgf::require_finite("cval", o.cval);
  return out;
}

namespace {
Filter2dOptions pass_options(const ndimage::Options& o, Anchor anchor) {
  Filter2dOptions f;
  f.anchor = anchor;
  f.border = o.mode;
  f.border_value = o.cval;
  f.plan = o.plan;
  return f;
}

std::int64_t anchor_of(const Pass& p) {
  return std::int64_t(p.w.size()) / 2 + p.origin;
}

void check_origin(const Pass& p, const char* name) {
  const auto n = std::int64_t(p.w.size());
  const std::int64_t a = anchor_of(p);
  if (a < 0 || a >= n)
    detail::fail(name, p.origin, " is outside [", -(n / 2), ", ", (n - 1) / 2,
                 "] for a filter of size ", n);
}
}  // namespace

Tensor correlate1d(ConstTensorView in, const Pass& pass, int axis, DType out_dtype,
                   const ndimage::Options& o) {
  check_origin(pass, "origin");
  const auto n = std::int64_t(pass.w.size());
  Tensor k = axis == 0 ? imgf::f64_tensor(pass.w, {n, 1}) : imgf::f64_tensor(pass.w, {1, n});
  const int a = int(anchor_of(pass));
  const Anchor anchor = axis == 0 ? Anchor{0, a} : Anchor{a, 0};
  Tensor sum = filter2d(in, DType::f64, k, pass_options(o, anchor));
  if (pass.divisor != 1.0) {
    const double d = pass.divisor;
    return imgf::map(sum, out_dtype, Rounding::wrap, [d](double v) { return v / d; });
  }
  return out_dtype == DType::f64 ? std::move(sum) : imgf::cast(sum, out_dtype);
}

Tensor separable(ConstTensorView in, const std::optional<Pass>& axis0,
                 const std::optional<Pass>& axis1, DType out_dtype, const ndimage::Options& o,
                 int first) {
  if (!axis0 && !axis1) return imgf::cast(in, out_dtype);  // SciPy: output[...] = input
  if (!axis0) return correlate1d(in, *axis1, 1, out_dtype, o);
  if (!axis1) return correlate1d(in, *axis0, 0, out_dtype, o);
  const bool one_shot = !is_integer(out_dtype) && !(o.mode == Border::constant && o.cval != 0);
  if (one_shot) {
    check_origin(*axis0, "origin");
    check_origin(*axis1, "origin");
    auto scaled = [](const Pass& p) {
      std::vector<double> w = p.w;
      for (double& t : w) t /= p.divisor;
      return imgf::f64_vector(w);
    };
    Tensor kx = scaled(*axis1), ky = scaled(*axis0);
    const Anchor anchor{int(anchor_of(*axis1)), int(anchor_of(*axis0))};
    return sep_filter2d(in, out_dtype, kx, ky, pass_options(o, anchor));
  }
  const int second = 1 - first;
  const Pass& p1 = first == 0 ? *axis0 : *axis1;
  const Pass& p2 = second == 0 ? *axis0 : *axis1;
  Tensor mid = correlate1d(in, p1, first, out_dtype, o);
  return correlate1d(mid, p2, second, out_dtype, o);
}

Tensor add(ConstTensorView a, ConstTensorView b, DType dtype) {
  // Integers: exact in double (|a|, |b| < 2^16), then wrapped like NumPy's integer add.
  return imgf::map2(a, b, dtype, Rounding::wrap, [](double x, double y) { return x + y; });
}

}  // namespace ndi

}  // namespace convkit
