// The picture of one frame, laid out once in pixels for the SVG, HTML and GIF renderers:
//
//   out[1,2] = 14                                   frame 6/16
//   cross-correlation: kernel as given
//   stride 1x1, padding ..., dilation 1x1, bias 0
//   grid (padded)        kernel     products     output
//   [cells, window]      [3x3]      [3x3]        [cells filling in]
//   0 + 1 + 2 + ... = 14; + bias 0 = 14
//   legend
#include <algorithm>

#include "linalg/steps_render.h"

namespace convkit::steps::draw {

namespace {

constexpr int kMargin = 8, kGap = 16, kCellH = 16, kDigits = 4;

int text_width(const std::string& s) { return int(s.size()) * kAdvance; }

// Width of a cell that holds the widest of these strings with 3 pixels either side.
int cell_width(std::size_t chars) { return std::max(16, int(chars) * kAdvance + 6); }

struct Panel {
  std::string caption;
  int x = 0, width = 0;
};

class Builder {
 public:
  Scene scene;
  void box(int x, int y, int w, int h, Paint fill, Paint stroke = grid_line, int sw = 1) {
    scene.boxes.push_back({x, y, w, h, fill, stroke, sw});
  }
  void text(int x, int y, std::string s, Paint color = ink, bool middle = false) {
    const int right = middle ? x + text_width(s) / 2 : x + text_width(s);
    scene.width = std::max(scene.width, right + kMargin);
    scene.labels.push_back({x, y, std::move(s), color, middle});
  }
  // A cell with its number centred.
  void cell(int x, int y, int w, const std::string& s, Paint fill, Paint color = ink) {
    box(x, y, w, kCellH, fill);
    if (!s.empty()) text(x + w / 2, y + (kCellH - kGlyphH) / 2, s, color, true);
  }
};

std::string label_of(Cell kind, std::int64_t src) {
  return kind == Cell::image ? std::to_string(src) : kind == Cell::padding ? "p" : "z";
}

}  // namespace

Scene frame_scene(const Trace& t, const Record& r, const std::vector<char>& done,
                  std::size_t index, std::size_t n) {
  Builder b;
  const std::string title = cell_label(r.i, r.j) + " = " + number(r.value, kDigits);
  const std::string counter = "frame " + std::to_string(index + 1) + "/" + std::to_string(n);
  int y = kMargin;
  b.text(kMargin, y, title);
  const int counter_x = kMargin + text_width(title) + 3 * kAdvance;
  b.text(counter_x, y, counter, dim_ink);
  y += kLine;
  b.text(kMargin, y, operation(t));
  y += kLine;
  b.text(kMargin, y, parameters(t, true), dim_ink);
  y += kLine + 6;

  // Which grid lines the window covers (a dilated window is a product of rows and columns).
  std::vector<char> row_in(std::size_t(t.grid_h), 0), col_in(std::size_t(t.grid_w), 0);
  for (auto v : r.rows) row_in[std::size_t(v)] = 1;
  for (auto v : r.cols) col_in[std::size_t(v)] = 1;
  const View gv = view_around(t.grid_h, t.grid_w, r.rows.front(), r.rows.back() + 1,
                              r.cols.front(), r.cols.back() + 1);
  const View ov = view_around(t.out_h, t.out_w, r.i, r.i + 1, r.j, r.j + 1);
  const std::vector<Cell> rk = row_kinds(t), ck = col_kinds(t);
  auto col_label = [&](std::int64_t x) {
    return label_of(ck[std::size_t(x)], t.grid_col_src[std::size_t(x)]);
  };

  // Column widths from what is drawn.
  std::size_t gchars = 1, lchars = 1;
  for (std::int64_t yy = gv.r0; yy < gv.r1; ++yy) {
    const auto row = std::size_t(yy);
    lchars = std::max(lchars, label_of(rk[row], t.grid_row_src[row]).size());
    for (std::int64_t xx = gv.c0; xx < gv.c1; ++xx)
      gchars = std::max(gchars, number(t.grid[std::size_t(yy * t.grid_w + xx)], kDigits).size());
  }
  for (std::int64_t xx = gv.c0; xx < gv.c1; ++xx)
    gchars = std::max(gchars, col_label(xx).size());
  std::size_t kchars = 1, pchars = 1, ochars = 1;
  for (std::size_t k = 0; k < t.kernel.size(); ++k) {
    kchars = std::max(
        {kchars, number(t.kernel[k], kDigits).size(), number(t.applied[k], kDigits).size()});
    pchars = std::max(pchars, number(r.products[k], kDigits).size());
  }
  for (std::int64_t yy = ov.r0; yy < ov.r1; ++yy)
    for (std::int64_t xx = ov.c0; xx < ov.c1; ++xx)
      ochars = std::max(ochars, number(t.out[std::size_t(yy * t.out_w + xx)], kDigits).size());
  const int gw = cell_width(gchars), kw = cell_width(kchars), pw = cell_width(pchars),
            ow = cell_width(ochars);
  const int label_w = int(lchars) * kAdvance + 6;

  const bool cropped_grid = gv.r0 > 0 || gv.c0 > 0 || gv.r1 < t.grid_h || gv.c1 < t.grid_w;
  const bool cropped_out = ov.r0 > 0 || ov.c0 > 0 || ov.r1 < t.out_h || ov.c1 < t.out_w;
  auto crop = [](const View& v) {
    return " rows " + std::to_string(v.r0) + "-" + std::to_string(v.r1 - 1) + ", cols " +
           std::to_string(v.c0) + "-" + std::to_string(v.c1 - 1);
  };
  std::vector<Panel> panels;
  panels.push_back({"grid (" + grid_kind(t) + ")" +
                        (cropped_grid ? crop(gv) : ""),
                    0, label_w + int(gv.c1 - gv.c0) * gw});
  panels.push_back({"kernel", 0, int(t.k_w) * kw});
  const bool applied = t.problem.flip;
  if (applied) panels.push_back({"flipped (applied)", 0, int(t.k_w) * kw});
  panels.push_back({"products", 0, int(t.k_w) * pw});
  panels.push_back({std::string("output") + (cropped_out ? crop(ov) : ""), 0,
                    int(ov.c1 - ov.c0) * ow});
  int x = kMargin;
  for (auto& p : panels) {
    p.x = x;
    b.text(x, y, p.caption);
    x += std::max(p.width, text_width(p.caption)) + kGap;
  }
  y += kLine;
  const int top = y + kLine;  // grid column labels sit in the line above the cells

  // The grid: labels say which input line each grid line shows (p padding, z inserted).
  int gx = panels[0].x + label_w;
  for (std::int64_t xx = gv.c0; xx < gv.c1; ++xx)
    b.text(gx + int(xx - gv.c0) * gw + gw / 2, y, col_label(xx), dim_ink, true);
  std::vector<Box> edges;  // drawn last, so neighbours never paint over the window's outline
  for (std::int64_t yy = gv.r0; yy < gv.r1; ++yy) {
    const int cy = top + int(yy - gv.r0) * kCellH;
    b.text(panels[0].x, cy + (kCellH - kGlyphH) / 2,
           label_of(rk[std::size_t(yy)], t.grid_row_src[std::size_t(yy)]), dim_ink);
    for (std::int64_t xx = gv.c0; xx < gv.c1; ++xx) {
      const std::size_t k = std::size_t(yy * t.grid_w + xx);
      const Cell kind = t.cell[k];
      const bool win = row_in[std::size_t(yy)] && col_in[std::size_t(xx)];
      const Paint fill = kind == Cell::padding    ? padding_fill
                         : kind == Cell::inserted ? inserted_fill
                         : win                    ? window_fill
                                                  : background;
      const int cx = gx + int(xx - gv.c0) * gw;
      b.cell(cx, cy, gw, number(t.grid[k], kDigits), fill, kind == Cell::image ? ink : dim_ink);
      if (win) edges.push_back({cx, cy, gw, kCellH, n_paints, window_edge, 2});
    }
  }
  int bottom = top + int(gv.r1 - gv.r0) * kCellH;

  // Kernel, applied kernel, products: k_h x k_w each.
  std::size_t next = 1;
  auto matrix = [&](const Panel& p, const std::vector<double>& v, int w, Paint fill) {
    for (std::int64_t a = 0; a < t.k_h; ++a)
      for (std::int64_t c = 0; c < t.k_w; ++c)
        b.cell(p.x + int(c) * w, top + int(a) * kCellH, w,
               number(v[std::size_t(a * t.k_w + c)], kDigits), fill);
    bottom = std::max(bottom, top + int(t.k_h) * kCellH);
  };
  matrix(panels[next++], t.kernel, kw, kernel_fill);
  if (applied) matrix(panels[next++], t.applied, kw, kernel_fill);
  matrix(panels[next++], r.products, pw, product_fill);

  // The output filling in.
  const Panel& op = panels[next];
  for (std::int64_t yy = ov.r0; yy < ov.r1; ++yy)
    for (std::int64_t xx = ov.c0; xx < ov.c1; ++xx) {
      const std::size_t k = std::size_t(yy * t.out_w + xx);
      const bool current = yy == r.i && xx == r.j;
      const int cx = op.x + int(xx - ov.c0) * ow, cy = top + int(yy - ov.r0) * kCellH;
      b.cell(cx, cy, ow, done[k] ? number(t.out[k], kDigits) : ".",
             current ? current_fill : done[k] ? done_fill : background,
             done[k] ? ink : dim_ink);
      if (current) edges.push_back({cx, cy, ow, kCellH, n_paints, window_edge, 2});
    }
  bottom = std::max(bottom, top + int(ov.r1 - ov.r0) * kCellH);
  for (const Box& e : edges) b.scene.boxes.push_back(e);

  // The sum, term by term when it fits on a line no wider than the panels.
  y = bottom + 8;
  const int width = std::max(x - kGap + kMargin, 360);
  std::string sum;
  for (std::size_t k = 0; k < r.products.size(); ++k)
    sum += (k ? (r.products[k] < 0 ? " - " : " + ") : "") +
           number(k && r.products[k] < 0 ? -r.products[k] : r.products[k], kDigits);
  const double total = r.running.empty() ? 0.0 : r.running.back();
  sum += " = " + number(total, kDigits);
  if (text_width(sum) > width - 2 * kMargin)
    sum = "sum of the " + std::to_string(r.products.size()) +
          " products = " + number(total, kDigits);
  b.text(kMargin, y, sum);
  y += kLine;
  b.text(kMargin, y, "+ bias " + number(r.bias, kDigits) + " = " + number(r.value, kDigits) +
                         "  -> " + cell_label(r.i, r.j));
  y += kLine + 6;

  // Legend.
  x = kMargin;
  auto key = [&](Paint fill, Paint stroke, int sw, const std::string& what) {
    b.box(x, y, 10, 10, fill, stroke, sw);
    b.text(x + 14, y + 2, what, dim_ink);
    x += 14 + text_width(what) + 12;
  };
  key(window_fill, window_edge, 2, "window");
  key(padding_fill, grid_line, 1, "padding");
  if (t.options.transposed) key(inserted_fill, grid_line, 1, "inserted zero");
  key(done_fill, grid_line, 1, "computed");
  key(current_fill, window_edge, 2, "this cell");
  b.scene.width = std::max({b.scene.width, x + kMargin, width});
  b.scene.height = y + 10 + kMargin;
  return b.scene;
}

}  // namespace convkit::steps::draw
