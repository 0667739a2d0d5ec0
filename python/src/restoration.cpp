// convkit._core bindings of convkit::restoration (python/convkit/restoration.py is the public
// front end: it applies scikit-image's dtype rules and argument forms before calling these).
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include "arrays.h"
#include "convkit/restoration.h"
#include "restoration/arrays.h"

namespace convkit::python {

using namespace nb::literals;

namespace {

restoration::RichardsonLucyOptions rl_options(int num_iter, bool clip, double filter_epsilon,
                                              const std::string& method, double tv_weight,
                                              const std::string& boundary,
                                              const std::string& convention,
                                              const std::string& engine) {
  restoration::RichardsonLucyOptions o;
  o.num_iter = num_iter;
  o.clip = clip;
  o.filter_epsilon = filter_epsilon;
  o.method = restoration::parse_method(method);
  o.tv_weight = tv_weight;
  o.boundary = restoration::parse_boundary(boundary);
  o.convention = restoration::parse_convention(convention);
  if (engine == "auto")
    o.engine = restoration::Engine::automatic;
  else if (engine == "direct")
    o.engine = restoration::Engine::direct;
  else if (engine == "fft")
    o.engine = restoration::Engine::fft;
  else
    detail::fail("engine", "unknown engine '", engine, "' (expected auto, direct or fft)");
  return o;
}

std::span<const std::int64_t> shape_of(const ConstTensorView& v) {
  return {v.geometry().shape.data(), std::size_t(v.rank())};
}

}  // namespace

void bind_restoration(nb::module_& m) {
  m.def(
      "richardson_lucy",
      [](const InArray& image, const InArray& psf, int num_iter, bool clip, double filter_epsilon,
         const std::string& method, double tv_weight, const std::string& boundary,
         const std::string& convention, const std::string& engine, nb::object progress,
         nb::handle out) {
        const ConstTensorView im = view_of(image, "image"), ps = view_of(psf, "psf");
        auto o = rl_options(num_iter, clip, filter_epsilon, method, tv_weight, boundary,
                            convention, engine);
        OutArray keep;
        nb::object result;
        const TensorView dst = destination(out, "out", restoration::working_dtype(im), shape_of(im), keep, result);
        if (!progress.is_none())
          o.progress = [&progress](int done, int total) {
            nb::gil_scoped_acquire gil;
            progress(done, total);
          };
        {
          nb::gil_scoped_release release;
          restoration::richardson_lucy(im, ps, dst, o);
        }
        return result;
      },
      "image"_a, "psf"_a, "num_iter"_a = 50, "clip"_a = true, "filter_epsilon"_a = 0.0,
      "method"_a = "plain", "tv_weight"_a = 0.002, "boundary"_a = "zero",
      "convention"_a = "skimage", "engine"_a = "auto", "progress"_a = nb::none(),
      "out"_a = nb::none(),
      "Richardson-Lucy deconvolution of a float32/float64 image (rank 1..3).");
  m.def(
      "richardson_lucy_explain",
      [](const InArray& image, const InArray& psf, const std::string& method,
         const std::string& boundary, const std::string& convention, const std::string& engine) {
        const auto o = rl_options(1, true, 0, method, 0.002, boundary, convention, engine);
        return restoration::explain(view_of(image, "image"), view_of(psf, "psf"), o);
      },
      "image"_a, "psf"_a, "method"_a = "plain", "boundary"_a = "zero",
      "convention"_a = "skimage", "engine"_a = "auto");
  m.def(
      "psf_from_spec", [](const std::string& spec) { return to_numpy(restoration::psf_from_spec(spec)); },
      "spec"_a, "The CLI's --psf: gaussian:SIGMA[,SIGMA_X], disk:RADIUS, motion:LENGTH[,ANGLE].");
  m.def(
      "wiener",
      [](const InArray& image, const InArray& psf, double balance, nb::object reg, bool clip,
         const std::string& boundary, nb::handle out) {
        const ConstTensorView im = view_of(image, "image"), ps = view_of(psf, "psf");
        restoration::WienerOptions o;
        o.clip = clip;
        o.boundary = restoration::parse_boundary(boundary);
        std::optional<InArray> reg_array;
        if (!reg.is_none()) {
          reg_array = nb::cast<InArray>(reg);
          o.reg = view_of(*reg_array, "reg");
        }
        OutArray keep;
        nb::object result;
        const TensorView dst = destination(out, "out", restoration::working_dtype(im), shape_of(im), keep, result);
        {
          nb::gil_scoped_release release;
          restoration::wiener(im, ps, balance, dst, o);
        }
        return result;
      },
      "image"_a, "psf"_a, "balance"_a, "reg"_a = nb::none(), "clip"_a = true,
      "boundary"_a = "periodic", "out"_a = nb::none(),
      "Wiener-Hunt deconvolution with a real PSF (skimage.restoration.wiener, is_real=True).");
}

}  // namespace convkit::python
