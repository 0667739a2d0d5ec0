#pragma once
/// \file steps.h
/// One 2-D convolution, step by step, for people learning it: every output cell with the input
/// window it reads, the products, the running sum and the value convkit's own engine computed;
/// and renderers that draw it as text, Markdown, JSON, SVG, an animated GIF or an HTML page.
///
///   convkit::steps::Options o;  o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = 1;
///   auto trace = convkit::steps::trace(image, kernel, o);      // runs the convolution once
///   convkit::steps::Record r = convkit::steps::record(trace, 0, 0);
///   std::string page = convkit::steps::render(trace, convkit::steps::Format::html);
///
/// The trace is the problem (a ConvProblem), the padded grid the windows slide over and the
/// output grid; records are computed from it on demand, so a trace of a large image is cheap
/// until its steps are asked for.

#include <cstdint>
#include <string>
#include <vector>

#include "convkit/plan.h"
#include "convkit/tensor.h"

namespace convkit::steps {

struct Options {
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t dilation_h = 1, dilation_w = 1;
  /// Padding added around the input (for transposed: PyTorch's `padding`, which crops).
  std::int64_t pad_top = 0, pad_bottom = 0, pad_left = 0, pad_right = 0;
  Border border = Border::constant;  ///< how padding cells are filled
  double border_value = 0.0;
  /// false: cross-correlation (what deep-learning libraries call convolution);
  /// true: convolution, the kernel flipped in both axes.
  bool flip = false;
  double bias = 0.0;
  /// Transposed convolution (torch.nn.functional.conv_transpose2d, one channel): each input
  /// value scatters `value * kernel` onto the output, shown as its equivalent, a correlation
  /// with the flipped kernel over the input with (stride - 1) zeros inserted between samples
  /// and dilation * (k - 1) - padding cells of padding (negative: cropped) on each side.
  bool transposed = false;
  std::int64_t output_padding_h = 0, output_padding_w = 0;  ///< transposed only
};

/// What a cell of the grid the windows slide over holds.
enum class Cell : std::uint8_t {
  image,     ///< an input sample
  padding,   ///< invented by the border rule
  inserted,  ///< a zero inserted between samples (transposed convolution)
};

struct Trace {
  Options options;
  /// What ran through convkit's planner: the problem itself (padding and border included);
  /// for transposed, its equivalent stride-1 convolution over the zero-inserted grid (no
  /// padding: the grid holds it).
  ConvProblem problem;
  std::int64_t in_h = 0, in_w = 0;          ///< the input image
  std::int64_t grid_h = 0, grid_w = 0;      ///< the padded (zero-inserted) grid
  std::vector<double> input;                ///< in_h x in_w, row-major
  std::vector<double> grid;                 ///< grid_h x grid_w values
  std::vector<Cell> cell;                   ///< grid_h x grid_w kinds
  /// The input row / column each grid row / column comes from (the border rule applied), or
  /// -1 (constant padding, inserted zeros).
  std::vector<std::int64_t> grid_row_src, grid_col_src;
  /// The grid coordinate of input row 0 / column 0 (the top / left padding; for transposed
  /// with padding larger than dilation * (k - 1), negative: cropped).
  std::int64_t grid_row0 = 0, grid_col0 = 0;
  std::int64_t k_h = 0, k_w = 0;
  std::vector<double> kernel;   ///< as given, k_h x k_w
  std::vector<double> applied;  ///< as multiplied at tap (r, s): flipped when options say so
  std::int64_t out_h = 0, out_w = 0;
  std::vector<double> out;      ///< the library's result (convkit::Plan, f64), out_h x out_w
  std::vector<std::int64_t> unreached_rows, unreached_cols;  ///< input rows/cols never read
};

/// Runs the convolution of `image` (H x W, any real dtype, any strides) with `kernel` (R x S)
/// through convkit's planner (f64) and records everything the steps need. Throws
/// convkit::Error naming the parameter: a window larger than the padded image, non-positive
/// strides or dilations, negative padding, an output_padding >= both stride and dilation.
Trace trace(ConstTensorView image, ConstTensorView kernel, const Options& options);

/// One output cell, step by step.
struct Record {
  std::int64_t i = 0, j = 0;               ///< output row, column
  std::int64_t grid_row0 = 0, grid_col0 = 0;  ///< the window's first tap in grid coordinates
  std::vector<std::int64_t> rows, cols;    ///< the window's grid rows / columns (k_h, k_w)
  /// The input rows / columns those are (trace.grid_row_src etc.; -1: padding/inserted).
  std::vector<std::int64_t> input_rows, input_cols;
  std::vector<double> values;    ///< grid values under the window, k_h x k_w
  std::vector<double> products;  ///< values * applied kernel, k_h x k_w
  std::vector<double> running;   ///< running sum of the products in row-major tap order
  double bias = 0.0;
  double value = 0.0;            ///< the library's output (equals sum(products) + bias to
                                 ///< round-off)
};
Record record(const Trace& t, std::int64_t i, std::int64_t j);

/// One input sample of a transposed convolution as scatter-add: value * applied kernel lands on
/// the output cells (out_rows[r], out_cols[s]) (outside the output: -1, cropped by padding).
struct Scatter {
  std::int64_t i = 0, j = 0;
  double value = 0.0;
  std::vector<std::int64_t> out_rows, out_cols;  ///< k_h, k_w
  std::vector<double> contributions;  ///< value * kernel[r][s] (flipped first when flip)
};
Scatter scatter(const Trace& t, std::int64_t i, std::int64_t j);

/// The output-size rule evaluated for this trace, one line per axis, e.g.
/// "rows: P = floor((H + pt + pb - d*(R-1) - 1) / s) + 1 = floor((8 + 1 + 1 - 1*(3-1) - 1) / 1) + 1 = 8".
std::vector<std::string> size_formulas(const Trace& t);

/// The same output value three ways (any one cell): the im2col column of the cell times the
/// kernel row; the cell's row of the convolution matrix times the flattened grid; and, for a
/// uniform kernel without dilation, the four-corner integral-image formula (else NaN).
struct ThreeWays {
  double im2col = 0.0, matrix = 0.0, integral = 0.0;
  bool box = false;  ///< whether the integral-image form applies
};
ThreeWays three_ways(const Trace& t, std::int64_t i, std::int64_t j);

enum class Format : std::uint8_t { text, markdown, json, svg, gif, html };
/// From a file name's extension (.txt .md .json .svg .gif .html/.htm); throws convkit::Error.
Format format_from_path(const std::string& path);

struct RenderOptions {
  /// The output cells to show, in order; empty: every cell row-major (subject to max_frames).
  std::vector<std::pair<std::int64_t, std::int64_t>> cells;
  /// Refuse (convkit::Error naming "max_frames") to draw more frames than this, unless 0.
  std::int64_t max_frames = 400;
  bool color = false;   ///< ANSI colours in text (a terminal)
  bool strip = false;   ///< SVG: every frame side by side instead of one frame
  int gif_delay_cs = 60;  ///< GIF frame delay, hundredths of a second
};
/// The frames a render would draw for these options (checks max_frames).
std::vector<std::pair<std::int64_t, std::int64_t>> frames(const Trace& t, const RenderOptions& o);
/// The whole document; text formats as UTF-8, GIF as bytes in the string.
std::string render(const Trace& t, Format format, const RenderOptions& o = {});

}  // namespace convkit::steps
