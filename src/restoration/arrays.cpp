// Working arrays of the deconvolutions (restoration/arrays.h).
#include "restoration/arrays.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "convkit/error.h"
#include "convkit/plan.h"
#include "util/convert.h"

namespace convkit::restoration {

namespace {

// Strides of a rank 1..3 view as D x H x W (0 on the added leading axes).
Dims strides3(const ConstTensorView& v) {
  Dims s{0, 0, 0};
  for (int i = 0; i < v.rank(); ++i) s[std::size_t(3 - v.rank() + i)] = v.stride(i);
  return s;
}

// Calls f(value) for every element of a real float view.
template <class F>
void for_each_value(const ConstTensorView& v, F&& f) {
  const Dims d = dims3(v), s = strides3(v);
  visit_dtype(v.dtype(), [&](auto z) {
    using S = decltype(z);
    if constexpr (std::is_floating_point_v<S>) {
      const S* p = static_cast<const S*>(v.data());
      for (std::int64_t a = 0; a < d[0]; ++a)
        for (std::int64_t b = 0; b < d[1]; ++b)
          for (std::int64_t c = 0; c < d[2]; ++c) f(double(p[a * s[0] + b * s[1] + c * s[2]]));
    }
  });
}

// Mirror index of i on an axis of n samples (half-sample symmetric, period 2n).
std::int64_t mirror(std::int64_t i, std::int64_t n) {
  const std::int64_t p = 2 * n;
  i %= p;
  if (i < 0) i += p;
  return i < n ? i : p - 1 - i;
}

}  // namespace

DType check_operands(const ConstTensorView& image, const ConstTensorView& psf) {
  for (auto [v, name] : {std::pair{&image, "image"}, std::pair{&psf, "psf"}}) {
    if (v->rank() < 1 || v->rank() > 3)
      detail::fail(name, "must have 1 to 3 dimensions, got shape ", v->geometry().shape_string());
    if (v->dtype() != DType::f32 && v->dtype() != DType::f64)
      detail::fail(name, "must be real float32 or float64, got ", dtype_name(v->dtype()));
    if (v->empty()) detail::fail(name, "is empty (shape ", v->geometry().shape_string(), ")");
  }
  if (psf.rank() != image.rank())
    detail::fail("psf", "has ", psf.rank(), " dimensions but the image has ", image.rank());
  for (int i = 0; i < image.rank(); ++i)
    if (psf.dim(i) > image.dim(i))
      detail::fail("psf", "shape ", psf.geometry().shape_string(),
                   " is larger than the image shape ", image.geometry().shape_string(),
                   " along axis ", i);
  bool nonzero = false, finite = true;
  for_each_value(psf, [&](double x) {
    nonzero |= x != 0;
    finite &= std::isfinite(x);
  });
  if (!finite) detail::fail("psf", "contains NaN or infinity");
  if (!nonzero) detail::fail("psf", "is all zeros");
  for_each_value(image, [&](double x) { finite &= std::isfinite(x); });
  if (!finite) detail::fail("image", "contains NaN or infinity");
  return image.dtype() == DType::f32 ? DType::f32 : DType::f64;
}

void check_output(const ConstTensorView& image, DType working, const TensorView& out) {
  if (out.dtype() != working)
    detail::fail("out", "dtype ", dtype_name(out.dtype()), " != the result's ", dtype_name(working));
  if (out.rank() != image.rank())
    detail::fail("out", "shape ", out.geometry().shape_string(), " != the image shape ",
                 image.geometry().shape_string());
  for (int i = 0; i < image.rank(); ++i)
    if (out.dim(i) != image.dim(i))
      detail::fail("out", "shape ", out.geometry().shape_string(), " != the image shape ",
                   image.geometry().shape_string());
}

template <class T>
void load_into(const ConstTensorView& image, T* dst, std::int64_t row_stride) {
  const Dims d = dims3(image), s = strides3(image);
  visit_dtype(image.dtype(), [&](auto z) {
    using S = decltype(z);
    if constexpr (std::is_floating_point_v<S>) {
      const S* p = static_cast<const S*>(image.data());
#pragma omp parallel for collapse(2) schedule(static) num_threads(get_num_threads()) if (d[0] * d[1] * d[2] > (1 << 16))
      for (std::int64_t a = 0; a < d[0]; ++a)
        for (std::int64_t b = 0; b < d[1]; ++b) {
          const S* src = p + a * s[0] + b * s[1];
          T* o = dst + (a * d[1] + b) * row_stride;
          if (std::is_same_v<S, T> && s[2] == 1)
            std::memcpy(o, src, std::size_t(d[2]) * sizeof(T));
          else
            for (std::int64_t c = 0; c < d[2]; ++c) o[c] = T(src[c * s[2]]);
        }
    }
  });
}

template <class T>
std::vector<T> load(const ConstTensorView& image) {
  const Dims d = dims3(image);
  std::vector<T> out(std::size_t(d[0] * d[1] * d[2]));
  load_into(image, out.data(), d[2]);
  return out;
}

Dims margins(Boundary boundary, const Dims& dims, const Dims& k, bool wide) {
  Dims m{0, 0, 0};
  if (boundary != Boundary::reflect) return m;
  for (std::size_t i = 0; i < 3; ++i)
    if (dims[i] > 1) m[i] = wide ? std::max<std::int64_t>(2 * k[i], 16) : k[i];
  return m;
}

template <class T>
std::vector<T> extend(const std::vector<T>& v, const Dims& d, const Dims& m, bool mirror_fill) {
  const Dims p{d[0] + 2 * m[0], d[1] + 2 * m[1], d[2] + 2 * m[2]};
  std::vector<T> out(std::size_t(p[0] * p[1] * p[2]), T(0));
  for (std::int64_t a = 0; a < p[0]; ++a) {
    const std::int64_t sa = a - m[0];
    if (!mirror_fill && (sa < 0 || sa >= d[0])) continue;
    for (std::int64_t b = 0; b < p[1]; ++b) {
      const std::int64_t sb = b - m[1];
      if (!mirror_fill && (sb < 0 || sb >= d[1])) continue;
      const T* src = v.data() + (mirror(sa, d[0]) * d[1] + mirror(sb, d[1])) * d[2];
      T* dst = out.data() + (a * p[1] + b) * p[2];
      if (mirror_fill)
        for (std::int64_t c = 0; c < p[2]; ++c) dst[c] = src[mirror(c - m[2], d[2])];
      else
        std::memcpy(dst + m[2], src, std::size_t(d[2]) * sizeof(T));
    }
  }
  return out;
}

template <class T>
void store(const T* v, const Dims& p, std::int64_t row_stride, const Dims& m, bool clip,
           TensorView out) {
  const Dims d = dims3(out), s = strides3(out);
  T* o = static_cast<T*>(out.data());
  // One thread: `out` is usually a fresh NumPy array, and two threads first-touching its pages
  // fault them in several times slower than one (measured: 33 MB in 34 ms on 2 threads, 6 ms on
  // one; 1.3 ms either way once the pages exist).
  for (std::int64_t a = 0; a < d[0]; ++a)
    for (std::int64_t b = 0; b < d[1]; ++b) {
      const T* src = v + ((a + m[0]) * p[1] + b + m[1]) * row_stride + m[2];
      T* dst = o + a * s[0] + b * s[1];
      auto put = [&](std::int64_t stride) {
        for (std::int64_t c = 0; c < d[2]; ++c) {
          T x = src[c];
          if (clip) x = x > T(1) ? T(1) : x < T(-1) ? T(-1) : x;  // NaN compares false: kept
          dst[c * stride] = x;
        }
      };
      if (s[2] == 1)
        put(1);  // unit stride: vectorized
      else
        put(s[2]);
    }
}

template std::vector<float> load<float>(const ConstTensorView&);
template std::vector<double> load<double>(const ConstTensorView&);
template std::vector<float> extend<float>(const std::vector<float>&, const Dims&, const Dims&, bool);
template std::vector<double> extend<double>(const std::vector<double>&, const Dims&, const Dims&, bool);
template void load_into<float>(const ConstTensorView&, float*, std::int64_t);
template void load_into<double>(const ConstTensorView&, double*, std::int64_t);
template void store<float>(const float*, const Dims&, std::int64_t, const Dims&, bool, TensorView);
template void store<double>(const double*, const Dims&, std::int64_t, const Dims&, bool, TensorView);

}  // namespace convkit::restoration
