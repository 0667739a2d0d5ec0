// The convolution matrix of a single-channel problem, in CSR form: row = one output cell,
// entries = the kernel taps it multiplies, at the columns of the input samples they read after
// the border rule (a sample read by several taps, as with wrap and a kernel larger than the
// image, gets the sum of their weights).
#include <algorithm>
#include <utility>
#include <vector>

#include "algorithms/border.h"
#include "convkit/error.h"
#include "convkit/linalg.h"

namespace convkit::linalg {

SparseMatrix convolution_matrix(const ConvProblem& p, ConstTensorView kernel, Order order) {
  p.validate();
  if (p.n != 1 || p.c != 1 || p.k != 1 || p.groups != 1)
    detail::fail("problem", "the convolution matrix is for one single-channel image (n = c = "
                            "k = 1), got ", p.to_string());
  if (kernel.rank() != 2 || kernel.dim(0) != p.r || kernel.dim(1) != p.s)
    detail::fail("kernel", "must be ", p.r, "x", p.s, " (the problem's r x s), got ",
                 kernel.geometry().shape_string());
  if (is_complex(kernel.dtype()))
    detail::fail("kernel", "must be real (build the real and imaginary parts separately)");
  if (p.border == Border::constant && p.border_value != 0.0)
    detail::fail("border_value", "a non-zero constant border makes the map affine, not linear");

  const std::int64_t P = p.out_h(), Q = p.out_w(), H = p.h, W = p.w;
  // Refuse before allocating: 2^30 entries is 12 GiB of CSR arrays.
  constexpr double kMaxEntries = double(1 << 30);
  const double bound = double(P) * double(Q) * double(std::min(p.r * p.s, H * W));
  if (bound > kMaxEntries)
    detail::fail("shape", "the convolution matrix of a ", H, "x", W, " image with a ", p.r, "x",
                 p.s, " kernel could hold ", bound, " entries (more than 2^30); use an operator "
                 "(convkit.linalg.ConvolutionOperator) instead");
  std::vector<double> taps(static_cast<std::size_t>(p.r * p.s));
  for (std::int64_t r = 0; r < p.r; ++r)
    for (std::int64_t s = 0; s < p.s; ++s)
      taps[static_cast<std::size_t>(r * p.s + s)] =
          p.flip ? kernel.at2(p.r - 1 - r, p.s - 1 - s) : kernel.at2(r, s);
  // Each tap's row and column offsets mapped through the border once per output row/column.
  const bool row_major = order == Order::row_major;
  auto column_of = [&](std::int64_t y, std::int64_t x) { return row_major ? y * W + x : x * H + y; };

  SparseMatrix m;
  m.rows = P * Q;
  m.cols = H * W;
  m.indptr.reserve(static_cast<std::size_t>(m.rows + 1));
  m.indptr.push_back(0);
  std::vector<std::pair<std::int64_t, double>> entries;
  std::vector<std::int64_t> ys(static_cast<std::size_t>(p.r)), xs(static_cast<std::size_t>(p.s));
  for (std::int64_t idx = 0; idx < m.rows; ++idx) {
    const std::int64_t i = row_major ? idx / Q : idx % P, j = row_major ? idx % Q : idx / P;
    const Window win = window(p, i, j);
    for (std::int64_t r = 0; r < p.r; ++r)
      ys[static_cast<std::size_t>(r)] = border_index(win.row0 + r * win.row_step, H, p.border);
    for (std::int64_t s = 0; s < p.s; ++s)
      xs[static_cast<std::size_t>(s)] = border_index(win.col0 + s * win.col_step, W, p.border);
    entries.clear();
    for (std::int64_t r = 0; r < p.r; ++r) {
      const std::int64_t y = ys[static_cast<std::size_t>(r)];
      if (y < 0) continue;  // constant (zero) padding
      for (std::int64_t s = 0; s < p.s; ++s) {
        const std::int64_t x = xs[static_cast<std::size_t>(s)];
        const double t = taps[static_cast<std::size_t>(r * p.s + s)];
        if (x >= 0 && t != 0.0) entries.emplace_back(column_of(y, x), t);
      }
    }
    std::sort(entries.begin(), entries.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t e = 0; e < entries.size(); ++e) {
      if (!m.indices.empty() && static_cast<std::int64_t>(m.indices.size()) > m.indptr.back() &&
          m.indices.back() == entries[e].first) {
        m.values.back() += entries[e].second;  // several taps read one sample (border rule)
      } else {
        m.indices.push_back(entries[e].first);
        m.values.push_back(entries[e].second);
      }
    }
    m.indptr.push_back(static_cast<std::int64_t>(m.indices.size()));
  }
  return m;
}

}  // namespace convkit::linalg
