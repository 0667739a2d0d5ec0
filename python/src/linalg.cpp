// convkit::linalg and convkit::steps for convkit._core: convolution matrices (CSR arrays),
// unfold/fold, integral images and step-by-step traces. The public front ends are
// python/convkit/linalg.py, nn.py (unfold/fold), cv.py (integral*) and steps.py; they check the
// peers' argument forms, these take plain tuples.
#include <nanobind/stl/array.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "arrays.h"
#include "convkit/linalg.h"
#include "convkit/steps.h"

namespace convkit::python {

using namespace nb::literals;

namespace {

using Pair = std::array<std::int64_t, 2>;
using Quad = std::array<std::int64_t, 4>;

/// A 1-D NumPy array that owns the vector (moved into a capsule, not copied).
template <class T>
nb::object vector_array(std::vector<T>&& v) {
  auto* owned = new std::vector<T>(std::move(v));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  const std::size_t n = owned->size();
  return nb::cast(nb::ndarray<nb::numpy, T, nb::ndim<1>>(owned->data(), {n}, owner));
}

/// Faults in the pages of a fresh (numpy.empty) result on one thread before threads fill it:
/// two threads first-touching one large array fault its pages in several times slower than one
/// when the kernel cannot hand out huge pages (measured, unfold's 58 MB result: 70 ms on 2
/// threads, 6.5 ms to touch on one plus 6 ms to fill on 2).
void first_touch(const TensorView& v) {
  std::memset(v.data(), 0, static_cast<std::size_t>(v.numel()) * dtype_size(v.dtype()));
}

/// A 2-D float64 NumPy array copied from a row-major vector.
nb::object grid_array(const std::vector<double>& v, std::int64_t h, std::int64_t w) {
  const std::int64_t shape[2] = {h, w};
  NewArray a = new_array(DType::f64, shape);
  std::copy(v.begin(), v.end(), static_cast<double*>(a.view.data()));
  return a.array;
}

linalg::UnfoldOptions unfold_options(Pair kernel, Pair dilation, Quad padding, Pair stride) {
  linalg::UnfoldOptions o;
  o.kernel = nn::Size2(kernel[0], kernel[1]);
  o.dilation = nn::Size2(dilation[0], dilation[1]);
  o.padding = nn::Padding(padding[0], padding[1], padding[2], padding[3]);
  o.stride = nn::Size2(stride[0], stride[1]);
  return o;
}

linalg::Order parse_order(const std::string& s) {
  if (s == "C") return linalg::Order::row_major;
  if (s == "F") return linalg::Order::column_major;
  detail::fail("order", "unknown order '", s, "' (expected 'C' or 'F')");
}

const char* cell_name(steps::Cell c) {
  switch (c) {
    case steps::Cell::image: return "image";
    case steps::Cell::padding: return "padding";
    default: return "inserted";
  }
}

nb::dict record_dict(const steps::Trace& t, std::int64_t i, std::int64_t j) {
  steps::Record r = steps::record(t, i, j);
  nb::dict d;
  d["out"] = nb::make_tuple(r.i, r.j);
  // The window in input coordinates, padding included (-1 is the row above the image); for a
  // transposed convolution, in the zero-inserted input's (sample i at i * stride).
  std::vector<std::int64_t> rows = r.rows, cols = r.cols;
  for (auto& y : rows) y -= t.grid_row0;
  for (auto& x : cols) x -= t.grid_col0;
  d["window"] = nb::make_tuple(nb::cast(rows), nb::cast(cols));
  d["source"] = nb::make_tuple(nb::cast(r.input_rows), nb::cast(r.input_cols));
  d["grid_window"] = nb::make_tuple(nb::cast(r.rows), nb::cast(r.cols));
  d["values"] = grid_array(r.values, t.k_h, t.k_w);
  d["kernel"] = grid_array(t.applied, t.k_h, t.k_w);
  d["products"] = grid_array(r.products, t.k_h, t.k_w);
  d["running"] = vector_array(std::move(r.running));
  d["bias"] = r.bias;
  d["value"] = r.value;
  return d;
}

}  // namespace

void bind_linalg(nb::module_& m) {
  m.def(
      "convolution_matrix_2d",
      [](const InArray& kernel, Pair shape, Quad pads, Pair stride, Pair dilation,
         const std::string& border, bool flip, const std::string& order) {
        const ConstTensorView k = view_of(kernel, "kernel");
        if (k.rank() != 2) detail::fail("kernel", "must be 2-D, got ", k.geometry().shape_string());
        ConvProblem p;
        p.h = shape[0], p.w = shape[1];
        p.r = k.dim(0), p.s = k.dim(1);
        p.pad_top = pads[0], p.pad_bottom = pads[1], p.pad_left = pads[2], p.pad_right = pads[3];
        p.stride_h = stride[0], p.stride_w = stride[1];
        p.dilation_h = dilation[0], p.dilation_w = dilation[1];
        p.border = parse_border(border);
        p.flip = flip;
        p.src_dtype = p.dst_dtype = p.filter_dtype = DType::f64;
        p.validate();  // before out_h(), which divides by the stride
        linalg::SparseMatrix a;
        {
          Unlocked unlocked(double(p.out_h()) * double(p.out_w()) * double(p.r * p.s));
          a = linalg::convolution_matrix(p, k, parse_order(order));
        }
        return nb::make_tuple(vector_array(std::move(a.values)), vector_array(std::move(a.indices)),
                              vector_array(std::move(a.indptr)), nb::make_tuple(a.rows, a.cols),
                              nb::make_tuple(p.out_h(), p.out_w()));
      },
      "kernel"_a, "shape"_a, "pads"_a, "stride"_a, "dilation"_a, "border"_a, "flip"_a,
      "order"_a = "C",
      "CSR arrays (data, indices, indptr, (rows, cols), (P, Q)) of the single-channel problem.");
  m.def(
      "unfold",
      [](const InArray& input, Pair kernel, Pair dilation, Quad padding, Pair stride) {
        const ConstTensorView in = view_of(input, "input");
        const auto o = unfold_options(kernel, dilation, padding, stride);
        if (in.rank() != 4) detail::fail("input", "must be 4-D (N, C, H, W), got ", in.geometry().shape_string());
        const nn::Size2 L = linalg::unfold_blocks(in.dim(2), in.dim(3), o);
        const std::int64_t shape[3] = {in.dim(0), in.dim(1) * o.kernel.h * o.kernel.w, L.h * L.w};
        NewArray out = new_array(in.dtype(), shape);
        {
          Unlocked unlocked(double(shape[0]) * double(shape[1]) * double(shape[2]));
          first_touch(out.view);
          linalg::unfold(in, o, out.view);
        }
        return out.array;
      },
      "input"_a, "kernel"_a, "dilation"_a, "padding"_a, "stride"_a,
      "im2col: (N, C, H, W) -> (N, C*kh*kw, L), torch.nn.functional.unfold's order.");
  m.def(
      "fold",
      [](const InArray& input, Pair output_size, Pair kernel, Pair dilation, Quad padding,
         Pair stride) {
        const ConstTensorView in = view_of(input, "input");
        const auto o = unfold_options(kernel, dilation, padding, stride);
        const auto shape = linalg::fold_shape(in, output_size[0], output_size[1], o);
        NewArray out = new_array(in.dtype(), shape);
        {
          Unlocked unlocked(double(in.numel()));
          linalg::fold(in, output_size[0], output_size[1], o, out.view);
        }
        return out.array;
      },
      "input"_a, "output_size"_a, "kernel"_a, "dilation"_a, "padding"_a, "stride"_a,
      "col2im: (N, C*kh*kw, L) -> (N, C, H, W), overlaps summed (torch.nn.functional.fold).");
  m.def(
      "integral",
      [](const InArray& src, const std::string& sdepth, std::optional<std::string> sqdepth,
         bool tilted) {
        const ConstTensorView s = view_of(src, "src");
        linalg::IntegralOptions o;
        o.sum = parse_dtype(sdepth, "sdepth");
        o.with_sqsum = sqdepth.has_value();
        if (sqdepth) o.sqsum = parse_dtype(*sqdepth, "sqdepth");
        o.with_tilted = tilted;
        // NumPy allocates the tables (its allocator asks for huge pages: a fresh 50 MB table
        // faults in several times faster than from malloc).
        const std::vector<std::int64_t> shape = linalg::integral_shape(s);
        NewArray sum = new_array(o.sum, shape);
        std::optional<NewArray> sq, ti;
        if (o.with_sqsum) sq = new_array(o.sqsum, shape);
        if (tilted) ti = new_array(o.sum, shape);
        {
          Unlocked unlocked(double(s.numel()) * 4);
          linalg::integral(s, o, sum.view, sq ? sq->view : TensorView(),
                           ti ? ti->view : TensorView());
        }
        return nb::make_tuple(sum.array, sq ? sq->array : nb::none(), ti ? ti->array : nb::none());
      },
      "src"_a, "sdepth"_a, "sqdepth"_a = nb::none(), "tilted"_a = false,
      "cv::integral's tables (sum, sqsum or None, tilted or None).");

  nb::class_<steps::Trace>(m, "StepTrace")
      .def(
          "__init__",
          [](steps::Trace* self, const InArray& image, const InArray& kernel, Pair stride,
             Quad padding, Pair dilation, const std::string& border, double value, bool flip,
             double bias, bool transposed, Pair output_padding) {
            steps::Options o;
            o.stride_h = stride[0], o.stride_w = stride[1];
            o.pad_top = padding[0], o.pad_bottom = padding[1];
            o.pad_left = padding[2], o.pad_right = padding[3];
            o.dilation_h = dilation[0], o.dilation_w = dilation[1];
            o.border = parse_border(border);
            o.border_value = value;
            o.flip = flip;
            o.bias = bias;
            o.transposed = transposed;
            o.output_padding_h = output_padding[0], o.output_padding_w = output_padding[1];
            new (self) steps::Trace(
                steps::trace(view_of(image, "image"), view_of(kernel, "kernel"), o));
          },
          "image"_a, "kernel"_a, "stride"_a, "padding"_a, "dilation"_a, "border"_a, "value"_a,
          "flip"_a, "bias"_a, "transposed"_a, "output_padding"_a)
      .def("record", &record_dict, "i"_a, "j"_a)
      .def("scatter",
           [](const steps::Trace& t, std::int64_t i, std::int64_t j) {
             steps::Scatter s = steps::scatter(t, i, j);
             nb::dict d;
             d["in"] = nb::make_tuple(s.i, s.j);
             d["value"] = s.value;
             d["targets"] = nb::make_tuple(nb::cast(s.out_rows), nb::cast(s.out_cols));
             d["contributions"] = grid_array(s.contributions, t.k_h, t.k_w);
             return d;
           })
      .def("three_ways",
           [](const steps::Trace& t, std::int64_t i, std::int64_t j) {
             const steps::ThreeWays w = steps::three_ways(t, i, j);
             nb::dict d;
             d["im2col"] = w.im2col;
             d["matrix"] = w.matrix;
             d["integral"] = w.box ? nb::cast(w.integral) : nb::none();
             return d;
           })
      .def(
          "render",
          [](const steps::Trace& t, const std::string& format,
             std::vector<std::pair<std::int64_t, std::int64_t>> cells, std::int64_t max_frames,
             bool color, bool strip, int delay) -> nb::object {
            steps::RenderOptions o;
            o.cells = std::move(cells);
            o.max_frames = max_frames;
            o.color = color;
            o.strip = strip;
            if (delay < 0 || delay > 65535)
              detail::fail("delay", "must be 0..65535 hundredths of a second, got ", delay);
            o.gif_delay_cs = delay;
            const steps::Format f = steps::format_from_path("x." + format);
            std::string doc;
            {
              nb::gil_scoped_release release;
              doc = steps::render(t, f, o);
            }
            if (f == steps::Format::gif) return nb::bytes(doc.data(), doc.size());
            return nb::str(doc.data(), doc.size());
          },
          "format"_a, "cells"_a, "max_frames"_a, "color"_a, "strip"_a, "delay"_a,
          "The document: format txt, md, json, svg, gif (bytes) or html.")
      .def_prop_ro("out", [](const steps::Trace& t) { return grid_array(t.out, t.out_h, t.out_w); })
      .def_prop_ro("grid",
                   [](const steps::Trace& t) { return grid_array(t.grid, t.grid_h, t.grid_w); })
      .def_prop_ro("cells",
                   [](const steps::Trace& t) {
                     nb::list rows;
                     for (std::int64_t y = 0; y < t.grid_h; ++y) {
                       nb::list row;
                       for (std::int64_t x = 0; x < t.grid_w; ++x)
                         row.append(cell_name(t.cell[static_cast<std::size_t>(y * t.grid_w + x)]));
                       rows.append(row);
                     }
                     return rows;
                   })
      .def_prop_ro("grid_origin",
                   [](const steps::Trace& t) { return nb::make_tuple(t.grid_row0, t.grid_col0); })
      .def_prop_ro("formulas", [](const steps::Trace& t) { return steps::size_formulas(t); })
      .def_prop_ro("unreached", [](const steps::Trace& t) {
        return nb::make_tuple(nb::cast(t.unreached_rows), nb::cast(t.unreached_cols));
      })
      .def_prop_ro("problem", [](const steps::Trace& t) { return t.problem.to_string(); });
}

}  // namespace convkit::python
