// The geometry of one output cell (which input rows and columns its window reads), computed in
// one place for the convolution matrix, unfold, the step-by-step views and the CLI.
#include <vector>

#include "algorithms/border.h"
#include "convkit/error.h"
#include "convkit/linalg.h"

namespace convkit::linalg {

Window window(const ConvProblem& p, std::int64_t out_row, std::int64_t out_col) {
  if (out_row < 0 || out_row >= p.out_h() || out_col < 0 || out_col >= p.out_w())
    detail::fail("cell", "(", out_row, ", ", out_col, ") is outside the ", p.out_h(), "x",
                 p.out_w(), " output");
  Window w;
  w.row0 = out_row * p.stride_h - p.pad_top;
  w.col0 = out_col * p.stride_w - p.pad_left;
  w.row_step = p.dilation_h;
  w.col_step = p.dilation_w;
  w.rows = p.r;
  w.cols = p.s;
  return w;
}

std::vector<std::int64_t> unreached(const ConvProblem& p, int axis) {
  if (axis != 0 && axis != 1) detail::fail("axis", "must be 0 (rows) or 1 (columns), got ", axis);
  const bool rows = axis == 0;
  const std::int64_t n = rows ? p.h : p.w, outs = rows ? p.out_h() : p.out_w();
  const std::int64_t taps = rows ? p.r : p.s, step = rows ? p.dilation_h : p.dilation_w;
  const std::int64_t stride = rows ? p.stride_h : p.stride_w, pad = rows ? p.pad_top : p.pad_left;
  // A sample counts as reached when the window covers it or a padding cell the border rule
  // fills from it: either way its value reaches an output.
  std::vector<char> seen(static_cast<std::size_t>(n), 0);
  for (std::int64_t o = 0; o < outs; ++o)
    for (std::int64_t t = 0; t < taps; ++t) {
      const std::int64_t i = border_index(o * stride - pad + t * step, n, p.border);
      if (i >= 0) seen[static_cast<std::size_t>(i)] = 1;
    }
  std::vector<std::int64_t> never;
  for (std::int64_t i = 0; i < n; ++i)
    if (!seen[static_cast<std::size_t>(i)]) never.push_back(i);
  return never;
}

}  // namespace convkit::linalg
