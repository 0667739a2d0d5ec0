// The entry points of the steps renderers (format_from_path, frames, render) and the words,
// numbers and crops every format shares. The formats live beside this file:
// steps_render_text.cpp (text, Markdown), steps_render_json.cpp, steps_render_scene.cpp (the
// picture of a frame), steps_render_svg.cpp (SVG, HTML), steps_render_gif.cpp (GIF).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "convkit/error.h"
#include "linalg/steps_render.h"

namespace convkit::steps {

namespace draw {

std::string number(double v, int digits) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return "0";  // also -0: a sign on zero only distracts here
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  std::string s(buf);
  if (s == "-0") return "0";
  return s;
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";  // JSON has no NaN or Infinity
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

const char* cell_name(Cell c) {
  switch (c) {
    case Cell::image: return "image";
    case Cell::padding: return "padding";
    case Cell::inserted: return "inserted";
  }
  return "image";
}

std::string operation(const Trace& t) {
  if (t.options.transposed)  // scattering the kernel = gathering with it rotated 180 degrees
    return std::string("transposed convolution: zeros inserted, then a correlation with the "
                       "kernel ") +
           (t.problem.flip ? "flipped" : "as given (--flip flipped it once more)");
  return t.options.flip ? "convolution: kernel flipped" : "cross-correlation: kernel as given";
}

std::string cell_label(std::int64_t i, std::int64_t j) {
  return "out[" + std::to_string(i) + "," + std::to_string(j) + "]";
}

std::string grid_kind(const Trace& t) {
  if (t.options.transposed) return "zeros inserted, padded";
  return t.grid_h == t.in_h && t.grid_w == t.in_w ? "no padding" : "padded";
}

std::string parameters(const Trace& t, bool brief) {
  const Options& o = t.options;
  std::ostringstream os;
  if (brief) {
    os << "stride " << o.stride_h << "x" << o.stride_w << ", padding " << o.pad_top << ","
       << o.pad_bottom << "," << o.pad_left << "," << o.pad_right;
    if (!o.transposed && (o.border != Border::constant || o.border_value != 0))
      os << " " << border_name(o.border)
         << (o.border == Border::constant ? " " + number(o.border_value) : std::string());
    os << ", dilation " << o.dilation_h << "x" << o.dilation_w;
    if (o.output_padding_h || o.output_padding_w)
      os << ", output padding " << o.output_padding_h << "x" << o.output_padding_w;
    if (o.bias != 0) os << ", bias " << number(o.bias);
    return os.str();
  }
  if (o.transposed) os << "transposed, ";
  os << "stride " << o.stride_h << "x" << o.stride_w;
  if (o.transposed) os << " (" << o.stride_h - 1 << "x" << o.stride_w - 1 << " zeros inserted)";
  os << ", padding " << o.pad_top << "," << o.pad_bottom << "," << o.pad_left << "," << o.pad_right
     << " (top,bottom,left,right";
  if (!o.transposed) {
    os << "; " << border_name(o.border);
    if (o.border == Border::constant) os << " " << number(o.border_value);
  } else {
    os << "; cropped from the output";
  }
  os << "), dilation " << o.dilation_h << "x" << o.dilation_w;
  if (o.transposed)
    os << ", output padding " << o.output_padding_h << "x" << o.output_padding_w;
  os << ", bias " << number(o.bias);
  return os.str();
}

namespace {
// A line is an input line when any of its cells is an input sample; otherwise it takes the
// kind of its first cell that is not padding (inserted zeros), else padding.
std::vector<Cell> line_kinds(const Trace& t, bool rows) {
  const std::int64_t n = rows ? t.grid_h : t.grid_w, m = rows ? t.grid_w : t.grid_h;
  std::vector<Cell> kinds(std::size_t(n), Cell::padding);
  for (std::int64_t a = 0; a < n; ++a) {
    bool inserted = false;
    for (std::int64_t b = 0; b < m; ++b) {
      const Cell c = t.cell[std::size_t(rows ? a * t.grid_w + b : b * t.grid_w + a)];
      if (c == Cell::image) {
        kinds[std::size_t(a)] = Cell::image;
        break;
      }
      inserted = inserted || c == Cell::inserted;
    }
    if (kinds[std::size_t(a)] != Cell::image && inserted) kinds[std::size_t(a)] = Cell::inserted;
  }
  return kinds;
}
}  // namespace

std::vector<Cell> row_kinds(const Trace& t) { return line_kinds(t, true); }
std::vector<Cell> col_kinds(const Trace& t) { return line_kinds(t, false); }

Cells scatter_samples(const Trace& t, const Cells& cells, bool all_cells, std::int64_t limit,
                      std::int64_t* total) {
  Cells samples;
  std::vector<char> wanted;
  if (!all_cells) {
    wanted.assign(std::size_t(t.out_h * t.out_w), 0);
    for (auto [i, j] : cells) wanted[std::size_t(i * t.out_w + j)] = 1;
  }
  for (std::int64_t i = 0; i < t.in_h; ++i) {
    for (std::int64_t j = 0; j < t.in_w; ++j) {
      bool lands = all_cells;
      if (!lands) {
        const Scatter s = scatter(t, i, j);
        for (std::int64_t r : s.out_rows)
          for (std::int64_t c : s.out_cols)
            lands = lands || (r >= 0 && c >= 0 && wanted[std::size_t(r * t.out_w + c)]);
      }
      if (lands) samples.emplace_back(i, j);
    }
  }
  *total = std::int64_t(samples.size());
  if (limit > 0 && std::int64_t(samples.size()) > limit) samples.resize(std::size_t(limit));
  return samples;
}

View view_around(std::int64_t h, std::int64_t w, std::int64_t fr0, std::int64_t fr1,
                 std::int64_t fc0, std::int64_t fc1, std::int64_t max) {
  auto axis = [max](std::int64_t n, std::int64_t f0, std::int64_t f1) {
    if (n <= max) return std::pair<std::int64_t, std::int64_t>(0, n);
    if (f1 - f0 >= max) return std::pair<std::int64_t, std::int64_t>(f0, f1);
    const std::int64_t start = std::clamp(f0 - (max - (f1 - f0)) / 2, std::int64_t(0), n - max);
    return std::pair<std::int64_t, std::int64_t>(start, start + max);
  };
  const auto [r0, r1] = axis(h, fr0, fr1);
  const auto [c0, c1] = axis(w, fc0, fc1);
  return {r0, r1, c0, c1};
}

// Pale fills so black digits stay readable on every one; the window's edge is the one
// strong colour, as the eye should go there first.
const std::array<Rgb, n_paints> kPalette = {{
    {255, 255, 255},  // background
    {0, 0, 0},        // ink
    {160, 160, 160},  // grid_line
    {217, 217, 217},  // padding_fill
    {198, 222, 246},  // inserted_fill
    {255, 226, 120},  // window_fill
    {200, 30, 30},    // window_edge
    {255, 170, 90},   // current_fill
    {190, 228, 176},  // done_fill
    {110, 110, 110},  // dim_ink
    {226, 218, 248},  // kernel_fill
    {255, 244, 204},  // product_fill
}};

std::string hex(Paint p) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "#%02x%02x%02x", kPalette[p].r, kPalette[p].g, kPalette[p].b);
  return buf;
}

}  // namespace draw

Format format_from_path(const std::string& path) {
  const auto slash = path.find_last_of("/\\");
  const auto dot = path.find_last_of('.');
  std::string ext;
  if (dot != std::string::npos && (slash == std::string::npos || dot > slash))
    ext = path.substr(dot);
  for (char& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".txt") return Format::text;
  if (ext == ".md" || ext == ".markdown") return Format::markdown;
  if (ext == ".json") return Format::json;
  if (ext == ".svg") return Format::svg;
  if (ext == ".gif") return Format::gif;
  if (ext == ".html" || ext == ".htm") return Format::html;
  detail::fail("output", "'", path, "': ",
               ext.empty() ? std::string("no extension") : "unknown extension '" + ext + "'",
               "; use .txt, .md, .json, .svg, .gif or .html");
}

std::vector<std::pair<std::int64_t, std::int64_t>> frames(const Trace& t,
                                                          const RenderOptions& o) {
  if (o.max_frames < 0) detail::fail("max_frames", o.max_frames, " is negative (0 = no limit)");
  if (!o.cells.empty()) {
    for (auto [i, j] : o.cells) {
      if (i < 0 || i >= t.out_h || j < 0 || j >= t.out_w)
        detail::fail("cell", "(", i, ", ", j, ") is outside the ", t.out_h, "x", t.out_w,
                     " output (rows 0..", t.out_h - 1, ", columns 0..", t.out_w - 1, ")");
    }
    if (o.max_frames != 0 && std::int64_t(o.cells.size()) > o.max_frames)
      detail::fail("max_frames", o.cells.size(), " cells asked for, more than the limit of ",
                   o.max_frames, " frames: raise --max-frames (0 = no limit)");
    return o.cells;
  }
  const std::int64_t n = t.out_h * t.out_w;
  if (o.max_frames != 0 && n > o.max_frames)
    detail::fail("max_frames", "the ", t.out_h, "x", t.out_w, " output has ", n,
                 " cells, more than the limit of ", o.max_frames,
                 " frames: pass a cell to show (--cell I,J) or raise --max-frames (0 = no limit)");
  std::vector<std::pair<std::int64_t, std::int64_t>> all;
  all.reserve(std::size_t(n));
  for (std::int64_t i = 0; i < t.out_h; ++i)
    for (std::int64_t j = 0; j < t.out_w; ++j) all.emplace_back(i, j);
  return all;
}

std::string render(const Trace& t, Format format, const RenderOptions& o) {
  const draw::Cells cells = frames(t, o);
  switch (format) {
    case Format::text: return draw::render_text(t, cells, o, false);
    case Format::markdown: return draw::render_text(t, cells, o, true);
    case Format::json: return draw::render_json(t, cells, o);
    case Format::svg: return draw::render_svg(t, cells, o);
    case Format::gif: return draw::render_gif(t, cells, o);
    case Format::html: return draw::render_html(t, cells, o);
  }
  detail::fail("format", "unknown format ", int(format));
}

}  // namespace convkit::steps
