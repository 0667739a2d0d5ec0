// Step-by-step traces: the problem run once through convkit's planner, the grid its windows
// slide over, and each output cell's window, products and running sum computed on demand.
// Geometry comes from linalg::window (one place); the values come from the library.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "algorithms/border.h"
#include "convkit/error.h"
#include "convkit/linalg.h"
#include "convkit/steps.h"

namespace convkit::steps {

namespace {

std::vector<double> as_f64(ConstTensorView t, const char* name) {
  if (t.rank() != 2) detail::fail(name, "must be 2-D, got ", t.geometry().shape_string());
  if (t.numel() == 0) detail::fail(name, "is empty (", t.geometry().shape_string(), ")");
  if (is_complex(t.dtype())) detail::fail(name, "must be real, got ", dtype_name(t.dtype()));
  std::vector<double> v(static_cast<std::size_t>(t.numel()));
  const std::int64_t shape[2] = {t.dim(0), t.dim(1)};
  copy(t, TensorView(v.data(), DType::f64, std::span<const std::int64_t>(shape, 2)));
  return v;
}

void check_options(const Options& o) {
  auto positive = [](const char* name, std::int64_t h, std::int64_t w) {
    if (h < 1 || w < 1) detail::fail(name, "must be >= 1, got (", h, ", ", w, ")");
  };
  positive("stride", o.stride_h, o.stride_w);
  positive("dilation", o.dilation_h, o.dilation_w);
  if (o.pad_top < 0 || o.pad_bottom < 0 || o.pad_left < 0 || o.pad_right < 0)
    detail::fail("padding", "must be >= 0, got (", o.pad_top, ", ", o.pad_bottom, ", ",
                 o.pad_left, ", ", o.pad_right, ")");
  if (!std::isfinite(o.bias)) detail::fail("bias", "must be finite, got ", o.bias);
  if (!o.transposed) {
    if (o.output_padding_h != 0 || o.output_padding_w != 0)
      detail::fail("output_padding", "only applies to a transposed convolution");
    return;
  }
  // PyTorch's rule (conv_transpose2d): each output_padding below the stride or the dilation.
  auto op_ok = [](std::int64_t op, std::int64_t s, std::int64_t d) {
    return op >= 0 && (op < s || op < d);
  };
  if (!op_ok(o.output_padding_h, o.stride_h, o.dilation_h) ||
      !op_ok(o.output_padding_w, o.stride_w, o.dilation_w))
    detail::fail("output_padding", "(", o.output_padding_h, ", ", o.output_padding_w,
                 ") must be >= 0 and smaller than either stride or dilation");
  if (o.border != Border::constant || o.border_value != 0.0)
    detail::fail("border", "a transposed convolution pads with zeros only");
}

// One axis of the grid: for each grid position, the input index it shows (-1: none) and kind.
struct Axis {
  std::int64_t size = 0, origin = 0;  // origin: grid position of input index 0
  std::vector<std::int64_t> src;
  std::vector<Cell> kind;
};

Axis plain_axis(std::int64_t n, std::int64_t before, std::int64_t after, Border border) {
  Axis a;
  a.size = n + before + after;
  a.origin = before;
  for (std::int64_t g = 0; g < a.size; ++g) {
    const std::int64_t i = g - before;
    a.src.push_back(border_index(i, n, border));
    a.kind.push_back(i >= 0 && i < n ? Cell::image : Cell::padding);
  }
  return a;
}

// Zero insertion: sample i sits at z = i * stride; `before`/`after` cells of zero padding
// (negative: cropped away).
Axis transposed_axis(std::int64_t n, std::int64_t stride, std::int64_t before,
                     std::int64_t after) {
  Axis a;
  const std::int64_t zn = (n - 1) * stride + 1;
  a.size = zn + before + after;
  a.origin = before;
  for (std::int64_t g = 0; g < a.size; ++g) {
    const std::int64_t z = g - before;
    const bool inside = z >= 0 && z < zn;
    a.src.push_back(inside && z % stride == 0 ? z / stride : -1);
    a.kind.push_back(!inside ? Cell::padding : z % stride == 0 ? Cell::image : Cell::inserted);
  }
  return a;
}

Cell combine(Cell r, Cell c) {
  if (r == Cell::padding || c == Cell::padding) return Cell::padding;
  if (r == Cell::inserted || c == Cell::inserted) return Cell::inserted;
  return Cell::image;
}

}  // namespace

Trace trace(ConstTensorView image, ConstTensorView kernel, const Options& options) {
  Trace t;
  t.options = options;
  check_options(options);
  t.input = as_f64(image, "image");
  t.kernel = as_f64(kernel, "kernel");
  t.in_h = image.dim(0), t.in_w = image.dim(1);
  t.k_h = kernel.dim(0), t.k_w = kernel.dim(1);
  const Options& o = options;
  const std::int64_t reach_h = o.dilation_h * (t.k_h - 1), reach_w = o.dilation_w * (t.k_w - 1);

  ConvProblem& p = t.problem;
  p.src_dtype = p.filter_dtype = p.dst_dtype = DType::f64;
  p.r = t.k_h, p.s = t.k_w;
  p.dilation_h = o.dilation_h, p.dilation_w = o.dilation_w;
  p.has_bias = o.bias != 0.0;
  // A trace holds its grid and output in memory, cell by cell: keep it to what a person (or a
  // GIF) can look at, and refuse absurd paddings and strides before allocating anything.
  {
    constexpr double kMaxCells = double(1 << 26);
    auto extent = [&](std::int64_t n, std::int64_t s, std::int64_t a, std::int64_t b,
                      std::int64_t op, std::int64_t reach) {
      return o.transposed ? double(n - 1) * double(s) + 1 + 2 * double(reach) - double(a) -
                                double(b) + double(op)
                          : double(n) + double(a) + double(b);
    };
    const double gh = extent(t.in_h, o.stride_h, o.pad_top, o.pad_bottom, o.output_padding_h, reach_h);
    const double gw = extent(t.in_w, o.stride_w, o.pad_left, o.pad_right, o.output_padding_w, reach_w);
    if (gh * gw > kMaxCells)
      detail::fail(o.transposed ? "stride" : "padding", "the ", gh, "x", gw, " grid is over the "
                   "2^26 cells a step-by-step trace keeps");
  }
  Axis rows, cols;
  if (!o.transposed) {
    rows = plain_axis(t.in_h, o.pad_top, o.pad_bottom, o.border);
    cols = plain_axis(t.in_w, o.pad_left, o.pad_right, o.border);
    p.h = t.in_h, p.w = t.in_w;
    p.stride_h = o.stride_h, p.stride_w = o.stride_w;
    p.pad_top = o.pad_top, p.pad_bottom = o.pad_bottom;
    p.pad_left = o.pad_left, p.pad_right = o.pad_right;
    p.border = o.border;
    p.border_value = o.border_value;
    p.flip = o.flip;
  } else {
    rows = transposed_axis(t.in_h, o.stride_h, reach_h - o.pad_top,
                           reach_h - o.pad_bottom + o.output_padding_h);
    cols = transposed_axis(t.in_w, o.stride_w, reach_w - o.pad_left,
                           reach_w - o.pad_right + o.output_padding_w);
    if (rows.size < 1 || cols.size < 1 || rows.size - reach_h < 1 || cols.size - reach_w < 1)
      detail::fail("padding", "the transposed output would be empty: padding (", o.pad_top, ", ",
                   o.pad_bottom, ", ", o.pad_left, ", ", o.pad_right, ") crops more than the ",
                   "zero-inserted input holds");
    p.h = rows.size, p.w = cols.size;
    // Scatter-add with the kernel equals gathering with the kernel rotated 180 degrees.
    p.flip = !o.flip;
  }
  if (p.h + p.pad_top + p.pad_bottom < reach_h + 1 || p.w + p.pad_left + p.pad_right < reach_w + 1)
    detail::fail("kernel", "the ", t.k_h, "x", t.k_w, " window (dilation ", o.dilation_h, ", ",
                 o.dilation_w, ") is larger than the ", p.h + p.pad_top + p.pad_bottom, "x",
                 p.w + p.pad_left + p.pad_right, " padded image");
  p.validate();
  t.grid_h = rows.size, t.grid_w = cols.size;
  t.grid_row0 = rows.origin, t.grid_col0 = cols.origin;
  t.grid_row_src = rows.src, t.grid_col_src = cols.src;
  for (std::int64_t y = 0; y < t.grid_h; ++y)
    for (std::int64_t x = 0; x < t.grid_w; ++x) {
      const std::int64_t sy = rows.src[static_cast<std::size_t>(y)];
      const std::int64_t sx = cols.src[static_cast<std::size_t>(x)];
      const Cell kind = combine(rows.kind[static_cast<std::size_t>(y)],
                                cols.kind[static_cast<std::size_t>(x)]);
      t.cell.push_back(kind);
      const bool sample = sy >= 0 && sx >= 0 && kind != Cell::inserted;
      t.grid.push_back(sample ? t.input[static_cast<std::size_t>(sy * t.in_w + sx)]
                              : kind == Cell::padding ? o.border_value : 0.0);
    }
  for (std::int64_t r = 0; r < t.k_h; ++r)
    for (std::int64_t s = 0; s < t.k_w; ++s)
      t.applied.push_back(p.flip ? t.kernel[static_cast<std::size_t>((t.k_h - 1 - r) * t.k_w +
                                                                      t.k_w - 1 - s)]
                                 : t.kernel[static_cast<std::size_t>(r * t.k_w + s)]);

  // The values: convkit's planner on the problem as stated (the same plan every front end
  // would get).
  t.out_h = p.out_h(), t.out_w = p.out_w();
  t.out.resize(static_cast<std::size_t>(t.out_h * t.out_w));
  const std::int64_t filter_shape[4] = {1, 1, t.k_h, t.k_w};
  const double bias[1] = {o.bias};
  auto plan = Plan::cached(p, ConstTensorView(t.kernel.data(), DType::f64, filter_shape),
                           p.has_bias ? ConstTensorView(bias, DType::f64, {1}) : ConstTensorView());
  const std::vector<double>& src = o.transposed ? t.grid : t.input;
  const std::int64_t src_shape[4] = {1, 1, p.h, p.w}, dst_shape[4] = {1, 1, t.out_h, t.out_w};
  plan->execute(ConstTensorView(src.data(), DType::f64, src_shape),
                TensorView(t.out.data(), DType::f64, dst_shape));

  if (!o.transposed) {
    t.unreached_rows = linalg::unreached(p, 0);
    t.unreached_cols = linalg::unreached(p, 1);
  } else {  // an input sample is reached when some window covers its grid cell
    for (int axis = 0; axis < 2; ++axis) {
      const auto never = linalg::unreached(p, axis);
      const Axis& a = axis == 0 ? rows : cols;
      auto& dst = axis == 0 ? t.unreached_rows : t.unreached_cols;
      for (std::int64_t g : never)
        if (a.src[static_cast<std::size_t>(g)] >= 0 &&
            a.kind[static_cast<std::size_t>(g)] == Cell::image)
          dst.push_back(a.src[static_cast<std::size_t>(g)]);
      // Samples cropped off the grid entirely are never reached either.
      const std::int64_t n = axis == 0 ? t.in_h : t.in_w;
      std::vector<char> on_grid(static_cast<std::size_t>(n), 0);
      for (std::int64_t g = 0; g < a.size; ++g)
        if (a.src[static_cast<std::size_t>(g)] >= 0)
          on_grid[static_cast<std::size_t>(a.src[static_cast<std::size_t>(g)])] = 1;
      for (std::int64_t i = 0; i < n; ++i)
        if (!on_grid[static_cast<std::size_t>(i)]) dst.push_back(i);
      std::sort(dst.begin(), dst.end());
    }
  }
  return t;
}

Record record(const Trace& t, std::int64_t i, std::int64_t j) {
  const linalg::Window w = linalg::window(t.problem, i, j);
  // Plain problems index the input (padding at negative coordinates); the grid adds the pads.
  const std::int64_t dy = t.options.transposed ? 0 : t.problem.pad_top;
  const std::int64_t dx = t.options.transposed ? 0 : t.problem.pad_left;
  Record r;
  r.i = i, r.j = j;
  r.grid_row0 = w.row0 + dy, r.grid_col0 = w.col0 + dx;
  for (std::int64_t a = 0; a < w.rows; ++a) {
    r.rows.push_back(r.grid_row0 + a * w.row_step);
    r.input_rows.push_back(t.grid_row_src[static_cast<std::size_t>(r.rows.back())]);
  }
  for (std::int64_t b = 0; b < w.cols; ++b) {
    r.cols.push_back(r.grid_col0 + b * w.col_step);
    r.input_cols.push_back(t.grid_col_src[static_cast<std::size_t>(r.cols.back())]);
  }
  double sum = 0.0;
  for (std::int64_t a = 0; a < w.rows; ++a)
    for (std::int64_t b = 0; b < w.cols; ++b) {
      const double v = t.grid[static_cast<std::size_t>(r.rows[static_cast<std::size_t>(a)] * t.grid_w +
                                                       r.cols[static_cast<std::size_t>(b)])];
      const double prod = v * t.applied[static_cast<std::size_t>(a * w.cols + b)];
      r.values.push_back(v);
      r.products.push_back(prod);
      sum += prod;
      r.running.push_back(sum);
    }
  r.bias = t.options.bias;
  r.value = t.out[static_cast<std::size_t>(i * t.out_w + j)];
  return r;
}

Scatter scatter(const Trace& t, std::int64_t i, std::int64_t j) {
  if (!t.options.transposed) detail::fail("scatter", "only a transposed convolution scatters");
  if (i < 0 || i >= t.in_h || j < 0 || j >= t.in_w)
    detail::fail("cell", "(", i, ", ", j, ") is outside the ", t.in_h, "x", t.in_w, " input");
  const Options& o = t.options;
  Scatter s;
  s.i = i, s.j = j;
  s.value = t.input[static_cast<std::size_t>(i * t.in_w + j)];
  for (std::int64_t r = 0; r < t.k_h; ++r) {
    const std::int64_t y = i * o.stride_h - o.pad_top + r * o.dilation_h;
    s.out_rows.push_back(y >= 0 && y < t.out_h ? y : -1);
  }
  for (std::int64_t c = 0; c < t.k_w; ++c) {
    const std::int64_t x = j * o.stride_w - o.pad_left + c * o.dilation_w;
    s.out_cols.push_back(x >= 0 && x < t.out_w ? x : -1);
  }
  for (std::int64_t r = 0; r < t.k_h; ++r)
    for (std::int64_t c = 0; c < t.k_w; ++c) {
      const std::int64_t kr = o.flip ? t.k_h - 1 - r : r, kc = o.flip ? t.k_w - 1 - c : c;
      s.contributions.push_back(s.value * t.kernel[static_cast<std::size_t>(kr * t.k_w + kc)]);
    }
  return s;
}

std::vector<std::string> size_formulas(const Trace& t) {
  const Options& o = t.options;
  std::vector<std::string> lines;
  char buf[512];
  for (int axis = 0; axis < 2; ++axis) {
    const bool r = axis == 0;
    const std::int64_t n = r ? t.in_h : t.in_w, k = r ? t.k_h : t.k_w;
    const std::int64_t s = r ? o.stride_h : o.stride_w, d = r ? o.dilation_h : o.dilation_w;
    const std::int64_t pa = r ? o.pad_top : o.pad_left, pb = r ? o.pad_bottom : o.pad_right;
    const std::int64_t out = r ? t.out_h : t.out_w;
    const char* name = r ? "rows" : "columns";
    const char* N = r ? "H" : "W";
    const char* K = r ? "R" : "S";
    const char* O = r ? "P" : "Q";
    const char* A = r ? "pt" : "pl";
    const char* B = r ? "pb" : "pr";
    if (!o.transposed) {
      std::snprintf(buf, sizeof buf,
                    "%s: %s = floor((%s + %s + %s - d*(%s-1) - 1) / s) + 1 = floor((%lld + %lld + "
                    "%lld - %lld*(%lld-1) - 1) / %lld) + 1 = %lld",
                    name, O, N, A, B, K, (long long)n, (long long)pa, (long long)pb, (long long)d,
                    (long long)k, (long long)s, (long long)out);
    } else {
      const std::int64_t op = r ? o.output_padding_h : o.output_padding_w;
      std::snprintf(buf, sizeof buf,
                    "%s: %s = (%s - 1)*s - %s - %s + d*(%s-1) + output_padding + 1 = (%lld - 1)*%lld "
                    "- %lld - %lld + %lld*(%lld-1) + %lld + 1 = %lld",
                    name, O, N, A, B, K, (long long)n, (long long)s, (long long)pa, (long long)pb,
                    (long long)d, (long long)k, (long long)op, (long long)out);
    }
    lines.emplace_back(buf);
  }
  return lines;
}

ThreeWays three_ways(const Trace& t, std::int64_t i, std::int64_t j) {
  const Record rec = record(t, i, j);
  ThreeWays w;
  const ConvProblem& p = t.problem;
  // The same window sliding over the explicit grid (no padding left to do).
  ConvProblem g = p;
  g.h = t.grid_h, g.w = t.grid_w;
  g.pad_top = g.pad_bottom = g.pad_left = g.pad_right = 0;
  g.border = Border::constant, g.border_value = 0.0;
  const std::int64_t grid_shape[4] = {1, 1, t.grid_h, t.grid_w};
  const ConstTensorView grid(t.grid.data(), DType::f64, grid_shape);

  linalg::UnfoldOptions u;
  u.kernel = nn::Size2(t.k_h, t.k_w);
  u.dilation = nn::Size2(p.dilation_h, p.dilation_w);
  u.stride = nn::Size2(p.stride_h, p.stride_w);
  const Tensor cols = linalg::unfold(grid, u);
  const std::int64_t L = cols.dim(2), column = i * t.out_w + j;
  const double* c = cols.data_as<double>();
  for (std::size_t tap = 0; tap < t.applied.size(); ++tap)
    w.im2col += c[static_cast<std::int64_t>(tap) * L + column] * t.applied[tap];
  w.im2col += t.options.bias;

  const std::int64_t k_shape[2] = {t.k_h, t.k_w};
  const linalg::SparseMatrix m =
      linalg::convolution_matrix(g, ConstTensorView(t.kernel.data(), DType::f64, k_shape));
  for (std::int64_t e = m.indptr[static_cast<std::size_t>(column)];
       e < m.indptr[static_cast<std::size_t>(column + 1)]; ++e)
    w.matrix += m.values[static_cast<std::size_t>(e)] *
                t.grid[static_cast<std::size_t>(m.indices[static_cast<std::size_t>(e)])];
  w.matrix += t.options.bias;

  bool uniform = p.dilation_h == 1 && p.dilation_w == 1;
  for (double a : t.applied) uniform = uniform && a == t.applied[0];
  w.box = uniform;
  w.integral = std::nan("");
  if (uniform) {
    linalg::IntegralOptions io;
    const std::int64_t plane[2] = {t.grid_h, t.grid_w};
    const linalg::Integrals ii =
        linalg::integral(ConstTensorView(t.grid.data(), DType::f64, plane), io);
    const double* s = ii.sum.data_as<double>();
    const std::int64_t W1 = t.grid_w + 1;
    const std::int64_t y0 = rec.grid_row0, x0 = rec.grid_col0, y1 = y0 + t.k_h, x1 = x0 + t.k_w;
    w.integral = (s[y1 * W1 + x1] - s[y0 * W1 + x1] - s[y1 * W1 + x0] + s[y0 * W1 + x0]) *
                     t.applied[0] + t.options.bias;
  }
  return w;
}

}  // namespace convkit::steps
