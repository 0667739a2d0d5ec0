// convkit._core: the C++ API for Python. Every computation runs with the GIL released; arrays
// come in as views of any strides (arrays.h) and results go out as NumPy arrays owning the
// convkit::Tensor. convkit::Error is a std::invalid_argument, which nanobind raises as
// ValueError; unsupported dtypes raise TypeError (arrays.cpp).
//
// The drop-in namespaces (convkit.signal, convkit.ndimage, convkit.cv) are Python modules over
// these functions; this layer keeps convkit's own names and enum spellings.
#include <nanobind/nanobind.h>
#include <nanobind/stl/array.h>
#include <nanobind/stl/complex.h>
#include <nanobind/stl/string.h>

#include <memory>
#include <string>
#include <vector>

#include "algorithms/fft_nd.h"
#include "api/views.h"
#include "arrays.h"

namespace convkit::python {

void bind_filters(nb::module_& m);  // filters.cpp
void bind_nn(nb::module_& m);       // nn.cpp
void bind_restoration(nb::module_& m);  // restoration.cpp
void bind_linalg(nb::module_& m);  // linalg.cpp
void bind_io(nb::module_& m);      // io.cpp

namespace {

using namespace nb::literals;

// Multiply-adds of a 2-D problem: what decides whether releasing the GIL is worth it.
double work_of(const ConstTensorView& image, const ConstTensorView& kernel) {
  return double(image.numel()) * double(kernel.numel());
}

nb::object conv2d_binding(bool flip, const InArray& in1, const InArray& in2,
                          const std::string& mode, const std::string& boundary,
                          std::complex<double> fillvalue, nb::handle out,
                          const std::string& algorithm) {
  const ConstTensorView a = view_of(in1, "in1"), b = view_of(in2, "in2");
  const signal::Mode md = signal::parse_mode(mode);
  const signal::Boundary bd = signal::parse_boundary(boundary);
  const PlanOptions options = plan_options(algorithm);
  const auto shape = signal::output_shape2d(a, b, md, flip);
  OutArray keep;
  nb::object result;
  const TensorView dst =
      destination(out, "out", result_type(a.dtype(), b.dtype()), shape, keep, result);
  {
    Unlocked unlocked(work_of(a, b));
    if (flip)
      signal::convolve2d(a, b, dst, md, bd, fillvalue, options);
    else
      signal::correlate2d(a, b, dst, md, bd, fillvalue, options);
  }
  return result;
}

nb::object conv1d_binding(bool flip, const InArray& a, const InArray& v, const std::string& mode) {
  const ConstTensorView x = view_of(a, "a"), y = view_of(v, "v");
  const signal::Mode md = signal::parse_mode(mode);
  Tensor result;
  {
    Unlocked unlocked(work_of(x, y));
    result = flip ? signal::convolve(x, y, md) : signal::correlate(x, y, md);
  }
  return to_numpy(std::move(result));
}

Filter2dOptions filter_options(std::array<int, 2> anchor, double delta, const std::string& border,
                               double border_value, const std::string& layout,
                               const std::string& rounding, const std::string& algorithm) {
  Filter2dOptions o;
  o.anchor = {anchor[0], anchor[1]};
  o.delta = delta;
  o.border = parse_border(border);
  o.border_value = border_value;
  o.layout = parse_layout(layout);
  o.rounding = parse_rounding(rounding);
  o.plan = plan_options(algorithm);
  return o;
}

// filter2d and sep_filter2d: into `out` when given (its dtype is the output depth), else a new
// array of src's shape with dtype ddepth (None: src's). `taps`: the kernel's size.
template <class Run>
nb::object filter_binding(const InArray& src, nb::handle ddepth, nb::handle out, double taps,
                          Run&& run) {
  const ConstTensorView s = view_of(src, "src");
  const std::optional<DType> depth = optional_dtype(ddepth, "ddepth");
  OutArray keep;
  nb::object result;
  TensorView dst;
  if (auto given = out_view(out, "out", keep)) {
    if (depth && *depth != given->dtype())
      detail::fail("ddepth", numpy_name(*depth), " differs from out's dtype ",
                   numpy_name(given->dtype()));
    dst = *given;
    result = nb::borrow(out);
  } else {
    if (s.rank() < 1 || s.rank() > 3)
      detail::fail("src", "must be an HxW or HxWxC image, got rank ", s.rank());
    NewArray a = new_array(depth.value_or(s.dtype()),
                           std::span<const std::int64_t>(s.geometry().shape.data(),
                                                         std::size_t(s.rank())));
    dst = a.view;
    result = std::move(a.array);
  }
  {
    Unlocked unlocked(double(s.numel()) * taps);
    run(s, dst);
  }
  return result;
}

// A reusable per-channel 2-D plan: the same kernel on every channel of an HW, HWC or CHW image
// of one shape and dtype. convkit.plan() builds it; explain() says why its algorithm won.
class Plan2d {
 public:
  Plan2d(const InArray& kernel, nb::handle shape, nb::handle dtype, bool flip,
         std::array<std::int64_t, 4> pads, const std::string& border,
         std::complex<double> border_value, nb::handle out_dtype, const std::string& layout,
         const std::string& rounding, const std::string& algorithm, bool exact) {
    const ConstTensorView k = view_of(kernel, "kernel");
    if (k.rank() != 2) detail::fail("kernel", "must be 2-D, got rank ", k.rank());
    layout_ = parse_layout(layout);
    if (!nb::isinstance<nb::sequence>(shape) || nb::isinstance<nb::str>(shape))
      throw nb::type_error("shape: expected a sequence of ints such as image.shape");
    for (nb::handle d : shape) {
      std::int64_t v = 0;
      if (nb::isinstance<nb::bool_>(d) || !nb::try_cast(d, v))
        throw nb::type_error(("shape: expected a sequence of ints such as image.shape, got an "
                              "element of type " + std::string(nb::type_name(d.type()).c_str()))
                                 .c_str());
      if (v < 1) detail::fail("shape", "every extent must be >= 1, got ", v);
      shape_.push_back(v);
    }
    if (shape_.size() != 2 && shape_.size() != 3)
      detail::fail("shape", "must be (H, W) or (H, W, C) / (C, H, W), got ", shape_.size(),
                   " dimensions");
    if (shape_.size() == 3 && layout_ == Layout::HW)
      detail::fail("layout", "HW given for a rank-3 shape");
    const bool chw = shape_.size() == 3 && layout_ == Layout::CHW;
    ConvProblem p;
    p.c = p.k = p.groups = shape_.size() == 2 ? 1 : (chw ? shape_[0] : shape_[2]);
    p.h = chw ? shape_[1] : shape_[0];
    p.w = chw ? shape_[2] : shape_[1];
    p.r = k.dim(0);
    p.s = k.dim(1);
    const std::optional<DType> in = optional_dtype(dtype, "dtype");
    p.src_dtype = in.value_or(DType::f32);
    p.filter_dtype = k.dtype();
    p.dst_dtype = optional_dtype(out_dtype, "out_dtype").value_or(p.src_dtype);
    p.flip = flip;
    p.conj = false;
    p.pad_top = pads[0], p.pad_bottom = pads[1], p.pad_left = pads[2], p.pad_right = pads[3];
    p.border = parse_border(border);
    p.border_value = border_value;
    p.rounding = parse_rounding(rounding);
    PlanOptions options = plan_options(algorithm);
    options.exact_taps = exact;
    nb::gil_scoped_release unlocked;
    plan_ = Plan::cached(p, api::kernel_as_kcrs(k, p.k), ConstTensorView{}, options);
  }

  std::vector<std::int64_t> out_shape() const {
    const ConvProblem& p = plan_->problem();
    if (shape_.size() == 2) return {p.out_h(), p.out_w()};
    if (layout_ == Layout::CHW) return {p.k, p.out_h(), p.out_w()};
    return {p.out_h(), p.out_w(), p.k};
  }

  nb::object run(const InArray& image, nb::handle out) const {
    const ConstTensorView src = view_of(image, "image");
    const ConvProblem& p = plan_->problem();
    if (src.rank() != int(shape_.size()))
      detail::fail("image", "rank ", src.rank(), " != planned rank ", shape_.size());
    for (int i = 0; i < src.rank(); ++i)
      if (src.dim(i) != shape_[std::size_t(i)])
        detail::fail("image", "shape ", src.geometry().shape_string(),
                     " differs from the planned shape");
    if (src.dtype() != p.src_dtype)
      detail::fail("image", "dtype ", numpy_name(src.dtype()), " != planned dtype ",
                   numpy_name(p.src_dtype));
    const std::vector<std::int64_t> shape = out_shape();
    OutArray keep;
    nb::object result;
    const TensorView dst = destination(out, "out", p.dst_dtype, shape, keep, result);
    {
      Unlocked unlocked(double(src.numel()) * double(p.r * p.s));
      plan_->execute(api::image_as_nchw(src, layout_), api::image_as_nchw(dst, layout_));
    }
    return result;
  }

  std::string explain() const { return plan_->explain(); }
  std::string algorithm() const { return algorithm_name(plan_->algorithm()); }
  std::string problem() const { return plan_->problem().to_string(); }

 private:
  std::vector<std::int64_t> shape_;
  Layout layout_ = Layout::HWC;
  std::shared_ptr<const Plan> plan_;
};

}  // namespace

}  // namespace convkit::python

NB_MODULE(_core, m) {
  using namespace convkit;
  using namespace convkit::python;
  using namespace nb::literals;
  m.doc() = "convkit's C++ API: 2-D convolution with the numbers of SciPy and OpenCV.";
  // Plans and layers held by module globals (a user's, a test's) are still alive when the
  // interpreter tears the extension down; nanobind would report each as a leak at exit.
  nb::set_leak_warnings(false);

  m.def(
      "convolve2d",
      [](const InArray& in1, const InArray& in2, const std::string& mode,
         const std::string& boundary, std::complex<double> fillvalue, nb::handle out,
         const std::string& algorithm) {
        return conv2d_binding(true, in1, in2, mode, boundary, fillvalue, out, algorithm);
      },
      "in1"_a, "in2"_a, "mode"_a = "full", "boundary"_a = "fill", "fillvalue"_a = 0.0,
      "out"_a = nb::none(), "algorithm"_a = "auto",
      "scipy.signal.convolve2d (result dtype np.result_type(in1, in2); integers wrap).");
  m.def(
      "correlate2d",
      [](const InArray& in1, const InArray& in2, const std::string& mode,
         const std::string& boundary, std::complex<double> fillvalue, nb::handle out,
         const std::string& algorithm) {
        return conv2d_binding(false, in1, in2, mode, boundary, fillvalue, out, algorithm);
      },
      "in1"_a, "in2"_a, "mode"_a = "full", "boundary"_a = "fill", "fillvalue"_a = 0.0,
      "out"_a = nb::none(), "algorithm"_a = "auto",
      "scipy.signal.correlate2d (complex in2 is conjugated).");
  m.def(
      "convolve",
      [](const InArray& a, const InArray& v, const std::string& mode) {
        return conv1d_binding(true, a, v, mode);
      },
      "a"_a, "v"_a, "mode"_a = "full", "numpy.convolve for 1-D arrays.");
  m.def(
      "correlate",
      [](const InArray& a, const InArray& v, const std::string& mode) {
        return conv1d_binding(false, a, v, mode);
      },
      "a"_a, "v"_a, "mode"_a = "valid", "numpy.correlate for 1-D arrays.");

  m.def(
      "filter2d",
      [](const InArray& src, const InArray& kernel, nb::handle ddepth, std::array<int, 2> anchor,
         double delta, const std::string& border, double border_value, const std::string& layout,
         const std::string& rounding, const std::string& algorithm, nb::handle out) {
        const ConstTensorView k = view_of(kernel, "kernel");
        const Filter2dOptions o =
            filter_options(anchor, delta, border, border_value, layout, rounding, algorithm);
        return filter_binding(src, ddepth, out, double(k.numel()),
                              [&](ConstTensorView s, TensorView d) { filter2d(s, d, k, o); });
      },
      "src"_a, "kernel"_a, "ddepth"_a = nb::none(), "anchor"_a = std::array<int, 2>{-1, -1},
      "delta"_a = 0.0, "border"_a = "mirror", "border_value"_a = 0.0, "layout"_a = "HWC",
      "rounding"_a = "saturate", "algorithm"_a = "auto", "out"_a = nb::none(),
      "cv2.filter2D: correlation, output of src's shape; anchor (x, y), -1 = centre.");
  m.def(
      "sep_filter2d",
      [](const InArray& src, const InArray& kernel_x, const InArray& kernel_y, nb::handle ddepth,
         std::array<int, 2> anchor, double delta, const std::string& border, double border_value,
         const std::string& layout, const std::string& rounding, const std::string& algorithm,
         nb::handle out) {
        const ConstTensorView kx = view_of(kernel_x, "kernel_x");
        const ConstTensorView ky = view_of(kernel_y, "kernel_y");
        const Filter2dOptions o =
            filter_options(anchor, delta, border, border_value, layout, rounding, algorithm);
        return filter_binding(src, ddepth, out, double(kx.numel() + ky.numel()),
                              [&](ConstTensorView s, TensorView d) {
                                sep_filter2d(s, d, kx, ky, o);
                              });
      },
      "src"_a, "kernel_x"_a, "kernel_y"_a, "ddepth"_a = nb::none(),
      "anchor"_a = std::array<int, 2>{-1, -1}, "delta"_a = 0.0, "border"_a = "mirror",
      "border_value"_a = 0.0, "layout"_a = "HWC", "rounding"_a = "saturate", "algorithm"_a = "auto",
      "out"_a = nb::none(),
      "cv2.sepFilter2D: correlation with kernel_y (columns) x kernel_x (rows).");

  m.def(
      "fftconvolve_nd",
      [](const InArray& in1, const InArray& in2, const std::string& mode) {
        const ConstTensorView a = view_of(in1, "in1"), b = view_of(in2, "in2");
        const signal::Mode md = signal::parse_mode(mode);
        const Geometry g = fft::nd_output_shape(a, b, md);
        const bool single = a.dtype() == DType::f32 && b.dtype() == DType::f32;
        NewArray out = new_array(single ? DType::f32 : DType::f64,
                                 std::span<const std::int64_t>(g.shape.data(), std::size_t(g.rank)));
        {
          Unlocked unlocked(double(out.view.numel()) * 64);
          fft::convolve_nd(a, b, md, out.view);
        }
        return out.array;
      },
      "in1"_a, "in2"_a, "mode"_a = "full",
      "scipy.signal.fftconvolve over every axis of two real float32/float64 arrays of rank "
      "1..4 (FFTW rank-N plans); 'valid' needs in1 at least as large as in2.");

  bind_filters(m);
  bind_nn(m);
  bind_restoration(m);
  bind_linalg(m);
  bind_io(m);

  nb::class_<Plan2d>(m, "Plan2d",
                     "A planned per-channel 2-D correlation (flip=True: convolution) for one image "
                     "shape and dtype; call it on images, as often as you like.")
      .def(nb::init<const InArray&, nb::handle, nb::handle, bool, std::array<std::int64_t, 4>,
                    const std::string&, std::complex<double>, nb::handle, const std::string&,
                    const std::string&, const std::string&, bool>(),
           "kernel"_a, "shape"_a, "dtype"_a = nb::none(), "flip"_a = false,
           "pads"_a = std::array<std::int64_t, 4>{0, 0, 0, 0}, "border"_a = "constant",
           "border_value"_a = 0.0, "out_dtype"_a = nb::none(), "layout"_a = "HWC",
           "rounding"_a = "saturate", "algorithm"_a = "auto", "exact"_a = false)
      .def("__call__", &Plan2d::run, "image"_a, "out"_a = nb::none())
      .def("explain", &Plan2d::explain)
      .def_prop_ro("algorithm", &Plan2d::algorithm)
      .def_prop_ro("problem", &Plan2d::problem)
      .def_prop_ro("out_shape", [](const Plan2d& p) {
        nb::list l;
        for (auto v : p.out_shape()) l.append(v);
        return nb::tuple(l);
      });

  m.def(
      "plan_cache_info",
      [] {
        const PlanCacheInfo i = plan_cache_info();
        nb::dict d;
        d["hits"] = i.hits, d["misses"] = i.misses, d["size"] = i.size;
        d["capacity"] = i.capacity, d["bytes"] = i.bytes, d["byte_budget"] = i.byte_budget;
        return d;
      },
      "The plan cache: hits, misses, plans held (size), capacity, bytes held, byte budget.");
  m.def("clear_plan_cache", &clear_plan_cache, "Drops every cached plan, zeroes the counters.");
  m.def(
      "set_plan_cache_capacity",
      [](std::int64_t plans) {
        if (plans < 0) detail::fail("capacity", "must be >= 0, got ", plans);
        set_plan_cache_capacity(std::size_t(plans));
      },
      "capacity"_a, "At most this many cached plans (0 turns caching off).");
  m.def(
      "set_num_threads",
      [](int n) {
        if (n < 0) detail::fail("n", "must be >= 0 (0: OMP_NUM_THREADS, else all cores), got ", n);
        set_num_threads(n);
      },
      "n"_a,
        "Threads convkit uses (0: OMP_NUM_THREADS, else all cores).");
  m.def("get_num_threads", &get_num_threads);
  m.def("active_isa", &active_isa, "The SIMD instruction set in use (AVX3, AVX2, SSE4, EMU128).");
  m.def("version", &convkit::version);
}
