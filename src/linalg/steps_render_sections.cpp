// Two sections the text, Markdown and HTML renderers share: a transposed convolution as
// scatter-add (each input sample adding value x kernel onto the output), and one output value
// computed three ways (im2col, the convolution matrix, the integral image).
#include <algorithm>
#include <sstream>

#include "linalg/steps_render.h"

namespace convkit::steps::draw {

namespace {

std::string right(const std::string& s, std::size_t w) {
  return s.size() >= w ? s : std::string(w - s.size(), ' ') + s;
}

std::string range(const std::vector<std::int64_t>& v) {
  std::int64_t lo = -1, hi = -1;
  for (auto x : v)
    if (x >= 0) {
      lo = lo < 0 ? x : std::min(lo, x);
      hi = std::max(hi, x);
    }
  return lo < 0 ? "none" : std::to_string(lo) + ".." + std::to_string(hi);
}

// Cap long lists: a 15x15 kernel has 225 taps, and one line per cell is for reading.
template <class F>
std::string joined(std::size_t n, F item, const char* sep = " ", std::size_t cap = 32) {
  std::string s;
  for (std::size_t k = 0; k < n && k < cap; ++k) s += (k ? sep : "") + item(k);
  if (n > cap) s += std::string(sep) + "... (" + std::to_string(n - cap) + " more)";
  return s;
}

}  // namespace

std::string scatter_text(const Trace& t, const Cells& cells, const RenderOptions& o) {
  if (!t.options.transposed) return "";
  const bool all = std::int64_t(cells.size()) == t.out_h * t.out_w;
  std::int64_t total = 0;
  const Cells shown = scatter_samples(t, cells, all, o.max_frames, &total);
  std::vector<char> is_shown(std::size_t(t.in_h * t.in_w), 0);
  for (auto [i, j] : shown) is_shown[std::size_t(i * t.in_w + j)] = 1;

  std::ostringstream os;
  os << "Each input sample x[i,j] adds x[i,j] * kernel"
     << (t.options.flip ? " (flipped: convolution)" : "") << " onto the output, its tap (r,s) at "
     << "output row i*" << t.options.stride_h << " - " << t.options.pad_top << " + r*"
     << t.options.dilation_h << ", column j*" << t.options.stride_w << " - "
     << t.options.pad_left << " + s*" << t.options.dilation_w
     << "; taps that fall outside the output ('-') are cropped. The output is the sum of all "
        "contributions plus the bias: the same numbers as the zero-insertion frames.\n";
  if (!all) os << "Showing the " << total << " input sample(s) that land on the chosen cell(s).\n";
  if (std::int64_t(shown.size()) < total)
    os << "Showing the first " << shown.size() << " of " << total
       << " samples (raise --max-frames; 0 = no limit).\n";

  std::vector<double> partial(std::size_t(t.out_h * t.out_w), 0.0);
  std::vector<char> touched(partial.size(), 0);
  for (std::int64_t i = 0; i < t.in_h; ++i) {
    for (std::int64_t j = 0; j < t.in_w; ++j) {
      const Scatter s = scatter(t, i, j);
      for (std::size_t r = 0; r < s.out_rows.size(); ++r)
        for (std::size_t c = 0; c < s.out_cols.size(); ++c)
          if (s.out_rows[r] >= 0 && s.out_cols[c] >= 0) {
            const std::size_t k = std::size_t(s.out_rows[r] * t.out_w + s.out_cols[c]);
            partial[k] += s.contributions[r * s.out_cols.size() + c];
            touched[k] = 1;
          }
      if (!is_shown[std::size_t(i * t.in_w + j)]) continue;

      os << "\n-- x[" << i << "," << j << "] = " << number(s.value) << ": adds "
         << number(s.value) << " * kernel onto output rows " << range(s.out_rows)
         << ", columns " << range(s.out_cols) << " --\n";
      std::size_t w = 1;
      for (double v : s.contributions) w = std::max(w, number(v).size());
      for (auto c : s.out_cols) w = std::max(w, std::to_string(c).size());
      os << "  out row\\col";
      for (auto c : s.out_cols) os << " " << right(c >= 0 ? std::to_string(c) : "-", w);
      os << "\n";
      for (std::size_t r = 0; r < s.out_rows.size(); ++r) {
        os << "  " << right(s.out_rows[r] >= 0 ? std::to_string(s.out_rows[r]) : "-", 11);
        for (std::size_t c = 0; c < s.out_cols.size(); ++c)
          os << " " << right(number(s.contributions[r * s.out_cols.size() + c]), w);
        os << "\n";
      }
      // The partial output around where this sample landed.
      std::int64_t r0 = t.out_h, r1 = 0, c0 = t.out_w, c1 = 0;
      for (auto r : s.out_rows)
        if (r >= 0) r0 = std::min(r0, r), r1 = std::max(r1, r + 1);
      for (auto c : s.out_cols)
        if (c >= 0) c0 = std::min(c0, c), c1 = std::max(c1, c + 1);
      if (r0 >= r1 || c0 >= c1) {
        os << "  (all of it is cropped off the output)\n";
        continue;
      }
      const View v = view_around(t.out_h, t.out_w, r0, r1, c0, c1);
      std::size_t pw = 1;
      for (std::int64_t y = v.r0; y < v.r1; ++y)
        for (std::int64_t x = v.c0; x < v.c1; ++x)
          if (touched[std::size_t(y * t.out_w + x)])
            pw = std::max(pw, number(partial[std::size_t(y * t.out_w + x)]).size());
      os << "  partial output (samples up to this one, before the bias)";
      if (v.r0 != 0 || v.c0 != 0 || v.r1 != t.out_h || v.c1 != t.out_w)
        os << ", rows " << v.r0 << ".." << v.r1 - 1 << ", columns " << v.c0 << ".." << v.c1 - 1;
      os << ":\n";
      for (std::int64_t y = v.r0; y < v.r1; ++y) {
        os << "   ";
        for (std::int64_t x = v.c0; x < v.c1; ++x) {
          const std::size_t k = std::size_t(y * t.out_w + x);
          os << " " << right(touched[k] ? number(partial[k]) : ".", pw);
        }
        os << "\n";
      }
    }
  }
  os << "\nAfter every sample: output = partial sums + bias " << number(t.options.bias) << ".\n";
  return os.str();
}

std::vector<std::string> three_ways_lines(const Trace& t, std::int64_t i, std::int64_t j) {
  const ThreeWays w = three_ways(t, i, j);
  const Record r = record(t, i, j);
  const std::size_t taps = r.values.size();
  const std::int64_t index = i * t.out_w + j;
  const std::string bias = number(t.options.bias);
  std::vector<std::string> out;

  out.push_back("1. im2col: column " + std::to_string(index) + " of the unfolded grid (" +
                std::to_string(taps) + " x " + std::to_string(t.out_h * t.out_w) +
                "; the window, row-major) times the kernel row (the applied kernel, row-major):");
  out.push_back("   [" + joined(taps, [&](std::size_t k) { return number(r.values[k]); }) +
                "] . [" + joined(taps, [&](std::size_t k) { return number(t.applied[k]); }) +
                "] + " + bias + " = " + number(w.im2col));

  out.push_back("2. convolution matrix: row " + std::to_string(index) + " of A (" +
                std::to_string(t.out_h * t.out_w) + " x " + std::to_string(t.grid_h * t.grid_w) +
                ") times the grid flattened row-major (entry g = row * " +
                std::to_string(t.grid_w) + " + column):");
  std::vector<std::pair<std::int64_t, double>> nonzero;
  for (std::size_t a = 0; a < r.rows.size(); ++a)
    for (std::size_t b = 0; b < r.cols.size(); ++b) {
      const double k = t.applied[a * r.cols.size() + b];
      if (k != 0) nonzero.emplace_back(r.rows[a] * t.grid_w + r.cols[b], k);
    }
  std::sort(nonzero.begin(), nonzero.end());
  out.push_back("   A[" + std::to_string(index) + ", g] nonzero at g: " +
                joined(
                    nonzero.size(),
                    [&](std::size_t k) {
                      return std::to_string(nonzero[k].first) + ":" + number(nonzero[k].second);
                    },
                    ", ", 24));
  out.push_back("   sum over g of A[" + std::to_string(index) + ", g] * grid[g] + " + bias + " = " +
                number(w.matrix));

  if (w.box) {
    // The four corners of the window in the summed-area table S of the grid, where
    // S[y][x] is the sum of grid rows < y and columns < x.
    const std::int64_t y0 = r.grid_row0, x0 = r.grid_col0, y1 = y0 + t.k_h, x1 = x0 + t.k_w;
    auto S = [&](std::int64_t y, std::int64_t x) {
      double s = 0;
      for (std::int64_t a = 0; a < y; ++a)
        for (std::int64_t b = 0; b < x; ++b) s += t.grid[std::size_t(a * t.grid_w + b)];
      return s;
    };
    const std::string k = number(t.applied[0]);
    auto at = [](std::int64_t y, std::int64_t x) {
      return "S[" + std::to_string(y) + "][" + std::to_string(x) + "]";
    };
    out.push_back("3. integral image: S = the summed-area table of the grid (S[y][x] = sum of "
                  "grid rows < y, columns < x); a box kernel of " + k + "s needs four corners:");
    out.push_back("   " + k + " * (" + at(y1, x1) + " - " + at(y0, x1) + " - " + at(y1, x0) +
                  " + " + at(y0, x0) + ") + " + bias);
    out.push_back("   = " + k + " * (" + number(S(y1, x1)) + " - " + number(S(y0, x1)) + " - " +
                  number(S(y1, x0)) + " + " + number(S(y0, x0)) + ") + " + bias + " = " +
                  number(w.integral));
  } else {
    out.push_back("3. integral image: does not apply (it needs a uniform (box) kernel without "
                  "dilation)");
  }
  out.push_back("convkit's value: " + number(r.value));
  return out;
}

}  // namespace convkit::steps::draw
