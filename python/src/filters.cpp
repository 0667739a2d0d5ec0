// The classic image filters (OpenCV family), convkit::ndimage (SciPy family) and the kernel
// builders, for convkit._core. Same conventions as module.cpp: views in, owning arrays out,
// the GIL released around every computation.
#include <nanobind/nanobind.h>
#include <nanobind/stl/array.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <string>

#include "arrays.h"

namespace convkit::python {

namespace {

using namespace nb::literals;

// Runs `f` without the GIL and returns its Tensor as a NumPy array.
template <class F>
nb::object unlocked(F&& f) {
  Tensor t;
  {
    nb::gil_scoped_release release;
    t = f();
  }
  return to_numpy(std::move(t));
}

// An OpenCV-family filter of `src` into `out` (None: a new array of src's shape and `dtype`).
template <class Run>
nb::object into(const ConstTensorView& src, DType dtype, nb::handle out, double taps, Run&& run) {
  OutArray keep;
  nb::object result;
  const TensorView dst =
      destination(out, "out", dtype,
                  std::span<const std::int64_t>(src.geometry().shape.data(), std::size_t(src.rank())),
                  keep, result);
  {
    Unlocked unlocked(double(src.numel()) * taps);
    run(dst);
  }
  return result;
}

// The `output` array an ndimage pass writes (required: the Python layer allocates it).
TensorView required_output(nb::handle output, OutArray& keep) {
  const auto out = out_view(output, "output", keep);
  if (!out) detail::fail("output", "an array is required");
  return *out;
}

ImageOptions image_options(const std::string& layout, const std::string& algorithm) {
  return {parse_layout(layout), plan_options(algorithm)};
}

ndimage::Options nd_options(const std::string& mode, double cval, nb::handle output) {
  ndimage::Options o;
  o.mode = ndimage::parse_mode(mode);
  o.cval = cval;
  o.output = optional_dtype(output, "output");
  return o;
}

KSize ksize_of(nb::handle h) {
  const auto k = pair_int(h, "ksize");  // (width, height) like cv::Size
  return {k[0], k[1]};
}

Anchor anchor_of(nb::handle h) {
  const auto a = pair_int(h, "anchor");  // (x, y) like cv::Point
  return {a[0], a[1]};
}

}  // namespace

void bind_filters(nb::module_& m) {
  // ---- OpenCV family --------------------------------------------------------------------------
  m.def(
      "gaussian_blur",
      [](const InArray& src, nb::handle ksize, double sigma_x, double sigma_y,
         const std::string& border, const std::string& layout, const std::string& algorithm,
         nb::handle out) {
        const ConstTensorView s = view_of(src, "src");
        const KSize k = ksize_of(ksize);
        const Border b = parse_border(border);
        const ImageOptions o = image_options(layout, algorithm);
        return into(s, s.dtype(), out, 2.0 * (k.width + k.height), [&](TensorView d) {
          gaussian_blur(s, d, k, sigma_x, sigma_y, b, o);
        });
      },
      "src"_a, "ksize"_a, "sigma_x"_a, "sigma_y"_a = 0.0, "border"_a = "mirror", "layout"_a = "HWC",
      "algorithm"_a = "auto", "out"_a = nb::none(),
      "cv2.GaussianBlur; ksize = (width, height), 0 = from sigma.");
  m.def(
      "box_filter",
      [](const InArray& src, nb::handle ddepth, nb::handle ksize, nb::handle anchor, bool normalize,
         const std::string& border, const std::string& layout, const std::string& algorithm,
         nb::handle out) {
        const ConstTensorView s = view_of(src, "src");
        const auto d = optional_dtype(ddepth, "ddepth");
        const KSize k = ksize_of(ksize);
        const Anchor a = anchor_of(anchor);
        const Border b = parse_border(border);
        const ImageOptions o = image_options(layout, algorithm);
        return into(s, d.value_or(s.dtype()), out, 8.0,
                    [&](TensorView dst) { box_filter(s, dst, k, a, normalize, b, o); });
      },
      "src"_a, "ddepth"_a.none(), "ksize"_a, "anchor"_a = std::array<int, 2>{-1, -1},
      "normalize"_a = true, "border"_a = "mirror", "layout"_a = "HWC", "algorithm"_a = "auto",
      "out"_a = nb::none(), "cv2.boxFilter (OpenCV's integer rounding).");
  m.def(
      "blur",
      [](const InArray& src, nb::handle ksize, nb::handle anchor, const std::string& border,
         const std::string& layout, const std::string& algorithm, nb::handle out) {
        const ConstTensorView s = view_of(src, "src");
        const KSize k = ksize_of(ksize);
        const Anchor a = anchor_of(anchor);
        const Border b = parse_border(border);
        const ImageOptions o = image_options(layout, algorithm);
        return into(s, s.dtype(), out, 8.0,
                    [&](TensorView d) { box_filter(s, d, k, a, true, b, o); });
      },
      "src"_a, "ksize"_a, "anchor"_a = std::array<int, 2>{-1, -1}, "border"_a = "mirror",
      "layout"_a = "HWC", "algorithm"_a = "auto", "out"_a = nb::none(), "cv2.blur.");
  m.def(
      "sobel",
      [](const InArray& src, nb::handle ddepth, int dx, int dy, int ksize, double scale,
         double delta, const std::string& border, const std::string& layout,
         const std::string& algorithm, nb::handle out) {
        const ConstTensorView s = view_of(src, "src");
        const auto d = optional_dtype(ddepth, "ddepth");
        const Border b = parse_border(border);
        const ImageOptions o = image_options(layout, algorithm);
        return into(s, d.value_or(s.dtype()), out, 2.0 * std::max(ksize, 3), [&](TensorView dst) {
          sobel(s, dst, dx, dy, ksize, scale, delta, b, o);
        });
      },
      "src"_a, "ddepth"_a.none(), "dx"_a, "dy"_a, "ksize"_a = 3, "scale"_a = 1.0, "delta"_a = 0.0,
      "border"_a = "mirror", "layout"_a = "HWC", "algorithm"_a = "auto", "out"_a = nb::none(),
      "cv2.Sobel (ksize -1: Scharr).");
  m.def(
      "scharr",
      [](const InArray& src, nb::handle ddepth, int dx, int dy, double scale, double delta,
         const std::string& border, const std::string& layout, const std::string& algorithm,
         nb::handle out) {
        const ConstTensorView s = view_of(src, "src");
        const auto d = optional_dtype(ddepth, "ddepth");
        const Border b = parse_border(border);
        const ImageOptions o = image_options(layout, algorithm);
        return into(s, d.value_or(s.dtype()), out, 6.0, [&](TensorView dst) {
          scharr(s, dst, dx, dy, scale, delta, b, o);
        });
      },
      "src"_a, "ddepth"_a.none(), "dx"_a, "dy"_a, "scale"_a = 1.0, "delta"_a = 0.0,
      "border"_a = "mirror", "layout"_a = "HWC", "algorithm"_a = "auto", "out"_a = nb::none(),
      "cv2.Scharr.");
  m.def(
      "laplacian",
      [](const InArray& src, nb::handle ddepth, int ksize, double scale, double delta,
         const std::string& border, const std::string& layout, const std::string& algorithm,
         nb::handle out) {
        const ConstTensorView s = view_of(src, "src");
        const auto d = optional_dtype(ddepth, "ddepth");
        const Border b = parse_border(border);
        const ImageOptions o = image_options(layout, algorithm);
        return into(s, d.value_or(s.dtype()), out, double(std::max(ksize, 3) * std::max(ksize, 3)),
                    [&](TensorView dst) { laplacian(s, dst, ksize, scale, delta, b, o); });
      },
      "src"_a, "ddepth"_a.none(), "ksize"_a = 1, "scale"_a = 1.0, "delta"_a = 0.0,
      "border"_a = "mirror", "layout"_a = "HWC", "algorithm"_a = "auto", "out"_a = nb::none(),
      "cv2.Laplacian.");
  m.def(
      "gradient_magnitude",
      [](const InArray& src, int ksize, const std::string& border, const std::string& layout,
         const std::string& algorithm) {
        const ConstTensorView s = view_of(src, "src");
        const Border b = parse_border(border);
        const ImageOptions o = image_options(layout, algorithm);
        return unlocked([&] { return gradient_magnitude(s, ksize, b, o); });
      },
      "src"_a, "ksize"_a = 3, "border"_a = "mirror", "layout"_a = "HWC", "algorithm"_a = "auto",
      "sqrt(Sobel_x^2 + Sobel_y^2) in f32 (f64 for f64 images).");
  m.def(
      "unsharp_mask",
      [](const InArray& src, double sigma, double amount, double threshold,
         const std::string& border, const std::string& layout, const std::string& algorithm) {
        const ConstTensorView s = view_of(src, "src");
        const Border b = parse_border(border);
        const ImageOptions o = image_options(layout, algorithm);
        return unlocked([&] { return unsharp_mask(s, sigma, amount, threshold, b, o); });
      },
      "src"_a, "sigma"_a, "amount"_a, "threshold"_a = 0.0, "border"_a = "mirror",
      "layout"_a = "HWC", "algorithm"_a = "auto", "Unsharp masking, OpenCV style.");

  // ---- SciPy ndimage family: bit-exact N-D passes (rank 1..4) -----------------------------------
  m.def(
      "nd_correlate1d",
      [](const InArray& input, const InArray& weights, int axis, nb::handle output,
         const std::string& mode, double cval, std::int64_t origin) {
        const ConstTensorView x = view_of(input, "input"), w = view_of(weights, "weights");
        OutArray keep;
        const TensorView out = required_output(output, keep);
        const Border b = ndimage::parse_mode(mode);
        {
          Unlocked unlocked(double(x.numel()) * double(w.numel()));
          ndimage::correlate1d(x, w, axis, out, b, cval, origin);
        }
        return nb::borrow(output);
      },
      "input"_a, "weights"_a, "axis"_a, "output"_a, "mode"_a = "reflect", "cval"_a = 0.0,
      "origin"_a = 0,
      "scipy.ndimage.correlate1d into a float32/float64 output, SciPy's bits (rank 1..4).");
  m.def(
      "nd_correlate",
      [](const InArray& input, const InArray& weights, nb::handle output, const std::string& mode,
         double cval, const std::vector<std::int64_t>& origins) {
        const ConstTensorView x = view_of(input, "input"), w = view_of(weights, "weights");
        OutArray keep;
        const TensorView out = required_output(output, keep);
        const Border b = ndimage::parse_mode(mode);
        {
          Unlocked unlocked(double(x.numel()) * double(w.numel()));
          ndimage::correlate(x, w, out, b, cval, origins);
        }
        return nb::borrow(output);
      },
      "input"_a, "weights"_a, "output"_a, "mode"_a = "reflect", "cval"_a = 0.0,
      "origins"_a = std::vector<std::int64_t>{},
      "scipy.ndimage.correlate into a float32/float64 output, SciPy's bits (rank 1..4).");

  // ---- SciPy ndimage family (2-D) ---------------------------------------------------------------
  m.def(
      "nd_gaussian_filter",
      [](const InArray& input, nb::handle sigma, nb::handle order, const std::string& mode,
         double cval, double truncate, nb::handle radius, nb::handle output) {
        const ConstTensorView x = view_of(input, "input");
        const auto s = pair_double(sigma, "sigma");
        const auto o = pair_int(order, "order");
        const std::array<int, 2> r =
            radius.is_none() ? std::array<int, 2>{-1, -1} : pair_int(radius, "radius");
        const ndimage::Options opt = nd_options(mode, cval, output);
        return unlocked([&] { return ndimage::gaussian_filter(x, s, o, truncate, r, opt); });
      },
      "input"_a, "sigma"_a, "order"_a = std::array<int, 2>{0, 0}, "mode"_a = "reflect",
      "cval"_a = 0.0, "truncate"_a = 4.0, "radius"_a = nb::none(), "output"_a = nb::none(),
      "scipy.ndimage.gaussian_filter on a 2-D array (sigma, order, radius per axis).");
  m.def(
      "nd_uniform_filter",
      [](const InArray& input, nb::handle size, const std::string& mode, double cval,
         nb::handle origin, nb::handle output) {
        const ConstTensorView x = view_of(input, "input");
        const auto s = pair_int(size, "size");
        const auto o = pair_int(origin, "origin");
        const ndimage::Options opt = nd_options(mode, cval, output);
        return unlocked(
            [&] { return ndimage::uniform_filter(x, {s[0], s[1]}, {o[0], o[1]}, opt); });
      },
      "input"_a, "size"_a, "mode"_a = "reflect", "cval"_a = 0.0,
      "origin"_a = std::array<int, 2>{0, 0}, "output"_a = nb::none(),
      "scipy.ndimage.uniform_filter on a 2-D array.");
  m.def(
      "nd_sobel",
      [](const InArray& input, int axis, const std::string& mode, double cval, nb::handle output) {
        const ConstTensorView x = view_of(input, "input");
        const ndimage::Options opt = nd_options(mode, cval, output);
        return unlocked([&] { return ndimage::sobel(x, axis, opt); });
      },
      "input"_a, "axis"_a = -1, "mode"_a = "reflect", "cval"_a = 0.0, "output"_a = nb::none(),
      "scipy.ndimage.sobel on a 2-D array.");
  m.def(
      "nd_prewitt",
      [](const InArray& input, int axis, const std::string& mode, double cval, nb::handle output) {
        const ConstTensorView x = view_of(input, "input");
        const ndimage::Options opt = nd_options(mode, cval, output);
        return unlocked([&] { return ndimage::prewitt(x, axis, opt); });
      },
      "input"_a, "axis"_a = -1, "mode"_a = "reflect", "cval"_a = 0.0, "output"_a = nb::none(),
      "scipy.ndimage.prewitt on a 2-D array.");
  m.def(
      "nd_laplace",
      [](const InArray& input, const std::string& mode, double cval, nb::handle output) {
        const ConstTensorView x = view_of(input, "input");
        const ndimage::Options opt = nd_options(mode, cval, output);
        return unlocked([&] { return ndimage::laplace(x, opt); });
      },
      "input"_a, "mode"_a = "reflect", "cval"_a = 0.0, "output"_a = nb::none(),
      "scipy.ndimage.laplace on a 2-D array.");
  m.def(
      "nd_gaussian_laplace",
      [](const InArray& input, nb::handle sigma, const std::string& mode, double cval,
         double truncate, nb::handle output) {
        const ConstTensorView x = view_of(input, "input");
        const auto s = pair_double(sigma, "sigma");
        const ndimage::Options opt = nd_options(mode, cval, output);
        return unlocked([&] { return ndimage::gaussian_laplace(x, s, truncate, opt); });
      },
      "input"_a, "sigma"_a, "mode"_a = "reflect", "cval"_a = 0.0, "truncate"_a = 4.0,
      "output"_a = nb::none(), "scipy.ndimage.gaussian_laplace on a 2-D array.");
  m.def(
      "nd_gaussian_gradient_magnitude",
      [](const InArray& input, nb::handle sigma, const std::string& mode, double cval,
         double truncate, nb::handle output) {
        const ConstTensorView x = view_of(input, "input");
        const auto s = pair_double(sigma, "sigma");
        const ndimage::Options opt = nd_options(mode, cval, output);
        return unlocked([&] { return ndimage::gaussian_gradient_magnitude(x, s, truncate, opt); });
      },
      "input"_a, "sigma"_a, "mode"_a = "reflect", "cval"_a = 0.0, "truncate"_a = 4.0,
      "output"_a = nb::none(), "scipy.ndimage.gaussian_gradient_magnitude on a 2-D array.");

  // ---- kernel builders --------------------------------------------------------------------------
  m.def(
      "gaussian_kernel1d",
      [](double sigma, int order, int radius, double truncate) {
        return to_numpy(gaussian_kernel1d(sigma, order, radius, truncate));
      },
      "sigma"_a, "order"_a = 0, "radius"_a = -1, "truncate"_a = 4.0,
      "scipy.ndimage's Gaussian (derivative) taps at -radius..radius, float64.");
  m.def(
      "get_gaussian_kernel",
      [](int ksize, double sigma, nb::handle dtype) {
        return to_numpy(
            get_gaussian_kernel(ksize, sigma, optional_dtype(dtype, "dtype").value_or(DType::f64)));
      },
      "ksize"_a, "sigma"_a, "dtype"_a = "float64", "cv2.getGaussianKernel as a 1-D array.");
  m.def(
      "get_deriv_kernels",
      [](int dx, int dy, int ksize, bool normalize, nb::handle dtype) {
        auto k = get_deriv_kernels(dx, dy, ksize, normalize,
                                   optional_dtype(dtype, "dtype").value_or(DType::f32));
        nb::object kx = to_numpy(std::move(k.first));
        nb::object ky = to_numpy(std::move(k.second));
        return nb::make_tuple(kx, ky);
      },
      "dx"_a, "dy"_a, "ksize"_a, "normalize"_a = false, "dtype"_a = "float32",
      "cv2.getDerivKernels: (kx, ky) as 1-D arrays.");
}

}  // namespace convkit::python
