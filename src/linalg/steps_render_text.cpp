// Plain text (optionally with ANSI colours) and Markdown: a header with the output-size rule
// and the input lines no window reaches, then one section per frame, and for transposed
// convolutions and single cells the sections of steps_render_sections.cpp.
#include <algorithm>
#include <sstream>

#include "linalg/steps_render.h"

namespace convkit::steps::draw {

namespace {

// ANSI styles. Window cells reverse-highlighted so they read on any terminal theme; what the
// border rule invented is dimmed, as it is not data.
constexpr const char* kWindow = "\033[30;43m";
constexpr const char* kPadding = "\033[2m";
constexpr const char* kInserted = "\033[2;36m";
constexpr const char* kCurrent = "\033[1;30;42m";
constexpr const char* kDim = "\033[2m";
constexpr const char* kBold = "\033[1m";
constexpr const char* kReset = "\033[0m";

std::string styled(const std::string& s, const char* style, bool color) {
  return color && style ? style + s + kReset : s;
}

// Visible width: escape sequences take no columns.
std::size_t visible(const std::string& s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\033') {
      while (i < s.size() && s[i] != 'm') ++i;
      continue;
    }
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) ++n;  // count UTF-8 lead bytes
  }
  return n;
}

std::string pad_left(const std::string& s, std::size_t width) {
  const std::size_t v = visible(s);
  return v >= width ? s : std::string(width - v, ' ') + s;
}
std::string pad_right(const std::string& s, std::size_t width) {
  const std::size_t v = visible(s);
  return v >= width ? s : s + std::string(width - v, ' ');
}

using Lines = std::vector<std::string>;

// Blocks side by side, two spaces apart, each padded to its widest line.
Lines beside(const std::vector<Lines>& blocks) {
  std::size_t rows = 0;
  for (const Lines& b : blocks) rows = std::max(rows, b.size());
  Lines out(rows);
  for (std::size_t k = 0; k < blocks.size(); ++k) {
    std::size_t width = 0;
    for (const auto& l : blocks[k]) width = std::max(width, visible(l));
    for (std::size_t r = 0; r < rows; ++r) {
      const std::string cell = r < blocks[k].size() ? blocks[k][r] : "";
      out[r] += (k ? "    " : "") + (k + 1 < blocks.size() ? pad_right(cell, width) : cell);
    }
  }
  for (auto& l : out)
    while (!l.empty() && l.back() == ' ') l.pop_back();
  return out;
}

Lines trimmed(Lines lines) {
  for (auto& l : lines)
    while (!l.empty() && l.back() == ' ') l.pop_back();
  return lines;
}

std::string line_label(Cell kind, std::int64_t src) {
  return kind == Cell::image ? std::to_string(src) : kind == Cell::padding ? "p" : "z";
}

// A k_h x k_w matrix (kernel, products) under a title.
Lines matrix_block(const std::string& title, const std::vector<double>& v, std::int64_t h,
                   std::int64_t w) {
  std::size_t width = 1;
  for (double x : v) width = std::max(width, number(x).size());
  Lines out{title};
  for (std::int64_t r = 0; r < h; ++r) {
    std::string line;
    for (std::int64_t c = 0; c < w; ++c)
      line += (c ? " " : "  ") + pad_left(number(v[std::size_t(r * w + c)]), width);
    out.push_back(line);
  }
  return out;
}

std::string crop_note(const View& v, std::int64_t h, std::int64_t w, const char* what) {
  if (v.r0 == 0 && v.c0 == 0 && v.r1 == h && v.c1 == w) return "";
  std::ostringstream os;
  os << " (rows " << v.r0 << ".." << v.r1 - 1 << ", columns " << v.c0 << ".." << v.c1 - 1
     << " of the " << h << "x" << w << " " << what << ")";
  return os.str();
}

struct Frame {
  const Trace& t;
  const Record& r;
  const std::vector<char>& done;  // out_h x out_w: computed in this or an earlier frame
  std::vector<char> row_in, col_in;  // grid lines the window covers
  View grid_view, out_view;
  Frame(const Trace& tr, const Record& rec, const std::vector<char>& d) : t(tr), r(rec), done(d) {
    row_in.assign(std::size_t(t.grid_h), 0);
    col_in.assign(std::size_t(t.grid_w), 0);
    for (auto y : r.rows) row_in[std::size_t(y)] = 1;
    for (auto x : r.cols) col_in[std::size_t(x)] = 1;
    grid_view = view_around(t.grid_h, t.grid_w, r.rows.front(), r.rows.back() + 1,
                            r.cols.front(), r.cols.back() + 1);
    out_view = view_around(t.out_h, t.out_w, r.i, r.i + 1, r.j, r.j + 1);
  }
  bool in_window(std::int64_t y, std::int64_t x) const {
    return row_in[std::size_t(y)] && col_in[std::size_t(x)];
  }
};

// The padded grid: row and column labels say which input line each grid line is (p: padding,
// z: inserted zeros), window cells in brackets.
Lines grid_block(const Frame& f, const std::vector<Cell>& rk, const std::vector<Cell>& ck,
                 bool color) {
  const Trace& t = f.t;
  const View& v = f.grid_view;
  std::size_t width = 1, label = 1;
  for (std::int64_t y = v.r0; y < v.r1; ++y) {
    label = std::max(label, line_label(rk[std::size_t(y)], t.grid_row_src[std::size_t(y)]).size());
    for (std::int64_t x = v.c0; x < v.c1; ++x)
      width = std::max(width, number(t.grid[std::size_t(y * t.grid_w + x)]).size());
  }
  for (std::int64_t x = v.c0; x < v.c1; ++x)
    width = std::max(width, line_label(ck[std::size_t(x)], t.grid_col_src[std::size_t(x)]).size());
  Lines out;
  std::string head(label + 1, ' ');
  for (std::int64_t x = v.c0; x < v.c1; ++x)
    head += " " + styled(pad_left(line_label(ck[std::size_t(x)], t.grid_col_src[std::size_t(x)]),
                                  width),
                         ck[std::size_t(x)] == Cell::image ? nullptr : kDim, color) +
            " ";
  out.push_back(head);
  for (std::int64_t y = v.r0; y < v.r1; ++y) {
    std::string line = styled(
        pad_left(line_label(rk[std::size_t(y)], t.grid_row_src[std::size_t(y)]), label),
        rk[std::size_t(y)] == Cell::image ? nullptr : kDim, color);
    line += " ";
    for (std::int64_t x = v.c0; x < v.c1; ++x) {
      const std::size_t k = std::size_t(y * t.grid_w + x);
      const std::string value = pad_left(number(t.grid[k]), width);
      if (f.in_window(y, x)) {
        line += styled("[" + value + "]", kWindow, color);
      } else {
        const Cell c = t.cell[k];
        const char* style = c == Cell::padding    ? kPadding
                            : c == Cell::inserted ? kInserted
                                                  : nullptr;
        line += " " + styled(value, style, color) + " ";
      }
    }
    out.push_back(line);
  }
  return out;
}

// The output grid filling in: computed cells show their value, the current one highlighted,
// the rest '.'.
Lines output_block(const Frame& f, bool color) {
  const Trace& t = f.t;
  const View& v = f.out_view;
  std::size_t width = 1;
  for (std::int64_t y = v.r0; y < v.r1; ++y)
    for (std::int64_t x = v.c0; x < v.c1; ++x)
      if (f.done[std::size_t(y * t.out_w + x)])
        width = std::max(width, number(t.out[std::size_t(y * t.out_w + x)]).size());
  Lines out;
  for (std::int64_t y = v.r0; y < v.r1; ++y) {
    std::string line = " ";
    for (std::int64_t x = v.c0; x < v.c1; ++x) {
      const std::size_t k = std::size_t(y * t.out_w + x);
      const bool current = y == f.r.i && x == f.r.j;
      const std::string value = pad_left(f.done[k] ? number(t.out[k]) : ".", width);
      if (current)
        line += styled("[" + value + "]", kCurrent, color);
      else
        line += " " + styled(value, f.done[k] ? nullptr : kDim, color) + " ";
    }
    out.push_back(line);
  }
  return out;
}

// Products and the running sum as two aligned rows, wrapped every 12 taps.
Lines sum_block(const Trace& t, const Record& r) {
  Lines out;
  const std::size_t n = r.products.size(), per_line = 12;
  for (std::size_t start = 0; start < n; start += per_line) {
    std::string taps = "  tap      ", prod = "  product  ", run = "  running  ";
    for (std::size_t k = start; k < std::min(n, start + per_line); ++k) {
      const std::string tap = "(" + std::to_string(k / std::size_t(t.k_w)) + "," +
                              std::to_string(k % std::size_t(t.k_w)) + ")";
      const std::string p = (k && !(r.products[k] < 0) ? "+" : "") + number(r.products[k]);
      const std::string s = "=" + number(r.running[k]);
      const std::size_t w = std::max({tap.size(), p.size(), s.size()}) + 1;
      taps += pad_left(tap, w);
      prod += pad_left(p, w);
      run += pad_left(s, w);
    }
    out.push_back(taps);
    out.push_back(prod);
    out.push_back(run);
  }
  return out;
}

std::string value_line(const Record& r) {
  const double sum = r.running.empty() ? 0.0 : r.running.back();
  return "value = sum + bias = " + number(sum) + " + " + number(r.bias) + " = " + number(r.value);
}

std::vector<std::string> header_lines(const Trace& t, const Cells& cells) {
  std::vector<std::string> out;
  std::ostringstream os;
  os << "input " << t.in_h << "x" << t.in_w << ", kernel " << t.k_h << "x" << t.k_w
     << ", grid " << t.grid_h << "x" << t.grid_w << " (" << grid_kind(t) << "), output "
     << t.out_h << "x" << t.out_w;
  out.push_back(os.str());
  out.push_back(operation(t));
  out.push_back(parameters(t));
  for (const auto& f : size_formulas(t)) out.push_back("output size, " + f);
  auto list = [](const std::vector<std::int64_t>& v) {
    std::string s;
    for (std::size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + std::to_string(v[k]);
    return s;
  };
  if (t.unreached_rows.empty() && t.unreached_cols.empty())
    out.push_back("every input row and column reaches the output");
  if (!t.unreached_rows.empty())
    out.push_back("input rows no window reaches: " + list(t.unreached_rows));
  if (!t.unreached_cols.empty())
    out.push_back("input columns no window reaches: " + list(t.unreached_cols));
  const bool all = std::int64_t(cells.size()) == t.out_h * t.out_w;
  out.push_back("frames: " + std::to_string(cells.size()) +
                (all ? " (every output cell, row-major)" : " (the cells asked for)"));
  out.push_back("problem: " + t.problem.to_string());
  return out;
}

// --- Markdown ---------------------------------------------------------------------------------

std::string md_grid(const Frame& f, const std::vector<Cell>& rk, const std::vector<Cell>& ck) {
  const Trace& t = f.t;
  const View& v = f.grid_view;
  std::ostringstream os;
  os << "| |";
  for (std::int64_t x = v.c0; x < v.c1; ++x)
    os << " " << line_label(ck[std::size_t(x)], t.grid_col_src[std::size_t(x)]) << " |";
  os << "\n|---|";
  for (std::int64_t x = v.c0; x < v.c1; ++x) os << "---:|";
  os << "\n";
  for (std::int64_t y = v.r0; y < v.r1; ++y) {
    os << "| " << line_label(rk[std::size_t(y)], t.grid_row_src[std::size_t(y)]) << " |";
    for (std::int64_t x = v.c0; x < v.c1; ++x) {
      const std::size_t k = std::size_t(y * t.grid_w + x);
      std::string s = number(t.grid[k]);
      if (t.cell[k] == Cell::padding) s = "*" + s + "*";      // italic: invented by the border
      if (t.cell[k] == Cell::inserted) s = "(" + s + ")";     // an inserted zero
      if (f.in_window(y, x)) s = "**[" + s + "]**";
      os << " " << s << " |";
    }
    os << "\n";
  }
  return os.str();
}

std::string md_matrix(const std::vector<double>& v, std::int64_t h, std::int64_t w) {
  std::ostringstream os;
  os << "|";
  for (std::int64_t c = 0; c < w; ++c) os << " " << c << " |";
  os << "\n|";
  for (std::int64_t c = 0; c < w; ++c) os << "---:|";
  os << "\n";
  for (std::int64_t r = 0; r < h; ++r) {
    os << "|";
    for (std::int64_t c = 0; c < w; ++c) os << " " << number(v[std::size_t(r * w + c)]) << " |";
    os << "\n";
  }
  return os.str();
}

std::string md_output(const Frame& f) {
  const Trace& t = f.t;
  const View& v = f.out_view;
  std::ostringstream os;
  os << "| |";
  for (std::int64_t x = v.c0; x < v.c1; ++x) os << " " << x << " |";
  os << "\n|---|";
  for (std::int64_t x = v.c0; x < v.c1; ++x) os << "---:|";
  os << "\n";
  for (std::int64_t y = v.r0; y < v.r1; ++y) {
    os << "| " << y << " |";
    for (std::int64_t x = v.c0; x < v.c1; ++x) {
      const std::size_t k = std::size_t(y * t.out_w + x);
      std::string s = f.done[k] ? number(t.out[k]) : ".";
      if (y == f.r.i && x == f.r.j) s = "**" + s + "**";
      os << " " << s << " |";
    }
    os << "\n";
  }
  return os.str();
}

std::string md_sum(const Trace& t, const Record& r) {
  std::ostringstream os;
  os << "| tap |";
  for (std::size_t k = 0; k < r.products.size(); ++k)
    os << " (" << k / std::size_t(t.k_w) << "," << k % std::size_t(t.k_w) << ") |";
  os << "\n|---|";
  for (std::size_t k = 0; k < r.products.size(); ++k) os << "---:|";
  os << "\n| window value |";
  for (double v : r.values) os << " " << number(v) << " |";
  os << "\n| product |";
  for (double v : r.products) os << " " << number(v) << " |";
  os << "\n| running sum |";
  for (double v : r.running) os << " " << number(v) << " |";
  os << "\n";
  return os.str();
}

}  // namespace

std::string render_text(const Trace& t, const Cells& cells, const RenderOptions& o,
                        bool markdown) {
  const bool color = o.color && !markdown;
  const std::vector<Cell> rk = row_kinds(t), ck = col_kinds(t);
  const bool show_applied = t.problem.flip;  // the kernel multiplied is not the one given
  std::ostringstream os;
  const auto header = header_lines(t, cells);
  if (markdown) {
    os << "# convkit steps: " << operation(t) << "\n\n";
    for (std::size_t k = 0; k < header.size(); ++k) {
      if (k == 1) continue;  // the operation: the title already says it
      // Formulas hold '*', which Markdown would read as emphasis.
      const bool code = header[k].find('*') != std::string::npos || k + 1 == header.size();
      os << "- " << (code ? "`" + header[k] + "`" : header[k]) << "\n";
    }
    os << "\n"
       << "Grid labels: input row/column index, `p` padding, `z` inserted zeros. In the grid "
          "**[bold]** is the window, *italic* padding, (parentheses) inserted zeros.\n";
  } else {
    os << styled("convkit steps: " + operation(t), kBold, color) << "\n";
    for (std::size_t k = 0; k < header.size(); ++k)
      if (k != 1) os << "  " << header[k] << "\n";
    os << "  legend: [v] window tap; grid labels: input row/column, p padding, z inserted "
          "zeros; output: '.' not computed yet\n";
  }
  std::vector<char> done(std::size_t(t.out_h * t.out_w), 0);
  for (std::size_t n = 0; n < cells.size(); ++n) {
    const auto [i, j] = cells[n];
    const Record r = record(t, i, j);
    done[std::size_t(i * t.out_w + j)] = 1;
    const Frame f(t, r, done);
    const std::string title = "frame " + std::to_string(n + 1) + "/" +
                              std::to_string(cells.size()) + ": " + cell_label(i, j) + " = " +
                              number(r.value);
    const std::string window = "window: grid rows " + std::to_string(r.rows.front()) + ".." +
                               std::to_string(r.rows.back()) + ", columns " +
                               std::to_string(r.cols.front()) + ".." +
                               std::to_string(r.cols.back()) +
                               (t.options.dilation_h > 1 || t.options.dilation_w > 1
                                    ? " (every " + std::to_string(t.options.dilation_h) + "," +
                                          std::to_string(t.options.dilation_w) + ")"
                                    : "");
    if (markdown) {
      os << "\n## " << title << "\n\n" << window << "; grid"
         << crop_note(f.grid_view, t.grid_h, t.grid_w, "grid") << ":\n\n"
         << md_grid(f, rk, ck) << "\nkernel (as given):\n\n"
         << md_matrix(t.kernel, t.k_h, t.k_w);
      if (show_applied)
        os << "\nkernel applied (flipped in both axes):\n\n"
           << md_matrix(t.applied, t.k_h, t.k_w);
      os << "\nproducts (window value x applied kernel):\n\n"
         << md_matrix(r.products, t.k_h, t.k_w) << "\n"
         << md_sum(t, r) << "\n" << value_line(r) << "\n\noutput so far"
         << crop_note(f.out_view, t.out_h, t.out_w, "output") << ":\n\n"
         << md_output(f);
      continue;
    }
    os << "\n" << styled("== " + title + " ==", kBold, color) << "\n"
       << window << "; grid" << crop_note(f.grid_view, t.grid_h, t.grid_w, "grid") << ":\n";
    for (const auto& l : trimmed(grid_block(f, rk, ck, color))) os << l << "\n";
    std::vector<Lines> blocks{matrix_block("kernel (as given)", t.kernel, t.k_h, t.k_w)};
    if (show_applied)
      blocks.push_back(matrix_block("kernel applied (flipped)", t.applied, t.k_h, t.k_w));
    blocks.push_back(matrix_block("products", r.products, t.k_h, t.k_w));
    for (const auto& l : beside(blocks)) os << l << "\n";
    os << "running sum, tap by tap (row-major):\n";
    for (const auto& l : sum_block(t, r)) os << l << "\n";
    os << styled(value_line(r), kBold, color) << "\n"
       << "output so far" << crop_note(f.out_view, t.out_h, t.out_w, "output") << ":\n";
    for (const auto& l : trimmed(output_block(f, color))) os << l << "\n";
  }
  if (t.options.transposed) {
    const std::string s = scatter_text(t, cells, o);
    if (markdown)
      os << "\n## Transposed convolution as scatter-add\n\n```\n" << s << "```\n";
    else
      os << "\n" << styled("== transposed convolution as scatter-add ==", kBold, color) << "\n"
         << s;
  }
  if (cells.size() == 1) {
    const auto lines = three_ways_lines(t, cells[0].first, cells[0].second);
    if (markdown) {
      os << "\n## The same number three ways: " << cell_label(cells[0].first, cells[0].second)
         << "\n\n```\n";
      for (const auto& l : lines) os << l << "\n";
      os << "```\n";
    } else {
      os << "\n"
         << styled("== the same number three ways: " +
                       cell_label(cells[0].first, cells[0].second) + " ==",
                   kBold, color)
         << "\n";
      for (const auto& l : lines) os << l << "\n";
    }
  }
  return os.str();
}

}  // namespace convkit::steps::draw
