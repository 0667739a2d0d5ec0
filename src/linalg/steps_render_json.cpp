// JSON: everything the other formats draw, as data (json.loads reads it): the trace, one
// record per frame, the scatter-add of a transposed convolution, the three ways of one cell.
// Numbers round-trip (%.17g); NaN and infinities become null, as JSON has neither.
#include <cstdio>
#include <sstream>
#include <type_traits>

#include "linalg/steps_render.h"

namespace convkit::steps::draw {

namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

template <class T>
std::string list(const std::vector<T>& v) {
  std::string s = "[";
  for (std::size_t k = 0; k < v.size(); ++k) {
    if (k) s += ", ";
    if constexpr (std::is_floating_point_v<T>)
      s += json_number(v[k]);
    else
      s += std::to_string(v[k]);
  }
  return s + "]";
}

// A row-major h x w array as nested lists.
std::string nested(const std::vector<double>& v, std::int64_t h, std::int64_t w) {
  std::string s = "[";
  for (std::int64_t r = 0; r < h; ++r) {
    s += r ? ", [" : "[";
    for (std::int64_t c = 0; c < w; ++c)
      s += (c ? ", " : "") + json_number(v[std::size_t(r * w + c)]);
    s += "]";
  }
  return s + "]";
}

std::string pair(std::int64_t a, std::int64_t b) {
  return "[" + std::to_string(a) + ", " + std::to_string(b) + "]";
}

std::string record_json(const Trace& t, const Record& r) {
  std::ostringstream os;
  os << "{\"out\": " << pair(r.i, r.j) << ", \"i\": " << r.i << ", \"j\": " << r.j
     << ", \"grid_row0\": " << r.grid_row0 << ", \"grid_col0\": " << r.grid_col0
     << ", \"rows\": " << list(r.rows) << ", \"cols\": " << list(r.cols)
     << ", \"input_rows\": " << list(r.input_rows) << ", \"input_cols\": " << list(r.input_cols)
     << ", \"window\": {\"rows\": " << list(r.rows) << ", \"cols\": " << list(r.cols)
     << ", \"input_rows\": " << list(r.input_rows) << ", \"input_cols\": " << list(r.input_cols)
     << "}, \"values\": " << nested(r.values, t.k_h, t.k_w)
     << ", \"products\": " << nested(r.products, t.k_h, t.k_w)
     << ", \"running\": " << list(r.running) << ", \"bias\": " << json_number(r.bias)
     << ", \"value\": " << json_number(r.value) << "}";
  return os.str();
}

}  // namespace

std::string render_json(const Trace& t, const Cells& cells, const RenderOptions& o) {
  const Options& p = t.options;
  std::ostringstream os;
  os << "{\n\"problem\": " << quoted(t.problem.to_string()) << ",\n\"operation\": "
     << quoted(operation(t)) << ",\n\"options\": {\"stride\": " << pair(p.stride_h, p.stride_w)
     << ", \"dilation\": " << pair(p.dilation_h, p.dilation_w) << ", \"padding\": ["
     << p.pad_top << ", " << p.pad_bottom << ", " << p.pad_left << ", " << p.pad_right
     << "], \"border\": " << quoted(border_name(p.border))
     << ", \"border_value\": " << json_number(p.border_value)
     << ", \"flip\": " << (p.flip ? "true" : "false") << ", \"bias\": " << json_number(p.bias)
     << ", \"transposed\": " << (p.transposed ? "true" : "false")
     << ", \"output_padding\": " << pair(p.output_padding_h, p.output_padding_w) << "},\n";
  os << "\"formulas\": [";
  const auto formulas = size_formulas(t);
  for (std::size_t k = 0; k < formulas.size(); ++k) os << (k ? ", " : "") << quoted(formulas[k]);
  os << "],\n\"input\": " << nested(t.input, t.in_h, t.in_w)
     << ",\n\"kernel\": " << nested(t.kernel, t.k_h, t.k_w)
     << ",\n\"applied\": " << nested(t.applied, t.k_h, t.k_w)
     << ",\n\"grid\": " << nested(t.grid, t.grid_h, t.grid_w) << ",\n\"cell\": [";
  for (std::int64_t r = 0; r < t.grid_h; ++r) {
    os << (r ? ", [" : "[");
    for (std::int64_t c = 0; c < t.grid_w; ++c)
      os << (c ? ", " : "") << '"' << cell_name(t.cell[std::size_t(r * t.grid_w + c)]) << '"';
    os << "]";
  }
  os << "],\n\"grid_row_src\": " << list(t.grid_row_src)
     << ",\n\"grid_col_src\": " << list(t.grid_col_src)
     << ",\n\"grid_origin\": " << pair(t.grid_row0, t.grid_col0)
     << ",\n\"out\": " << nested(t.out, t.out_h, t.out_w)
     << ",\n\"unreached_rows\": " << list(t.unreached_rows)
     << ",\n\"unreached_cols\": " << list(t.unreached_cols) << ",\n\"frames\": [";
  for (std::size_t k = 0; k < cells.size(); ++k)
    os << (k ? ", " : "") << pair(cells[k].first, cells[k].second);
  os << "],\n\"steps\": [";
  for (std::size_t k = 0; k < cells.size(); ++k)
    os << (k ? ",\n  " : "\n  ") << record_json(t, record(t, cells[k].first, cells[k].second));
  os << "\n]";
  if (p.transposed) {
    std::int64_t total = 0;
    const bool all = std::int64_t(cells.size()) == t.out_h * t.out_w;
    const Cells samples = scatter_samples(t, cells, all, o.max_frames, &total);
    os << ",\n\"scatter_total\": " << total << ",\n\"scatter\": [";
    for (std::size_t k = 0; k < samples.size(); ++k) {
      const Scatter s = scatter(t, samples[k].first, samples[k].second);
      os << (k ? ",\n  " : "\n  ") << "{\"in\": " << pair(s.i, s.j) << ", \"i\": " << s.i
         << ", \"j\": " << s.j << ", \"value\": " << json_number(s.value)
         << ", \"out_rows\": " << list(s.out_rows) << ", \"out_cols\": " << list(s.out_cols)
         << ", \"contributions\": " << nested(s.contributions, t.k_h, t.k_w) << "}";
    }
    os << "\n]";
  }
  if (cells.size() == 1) {
    const ThreeWays w = three_ways(t, cells[0].first, cells[0].second);
    os << ",\n\"three_ways\": {\"out\": " << pair(cells[0].first, cells[0].second)
       << ", \"im2col\": " << json_number(w.im2col) << ", \"matrix\": " << json_number(w.matrix)
       << ", \"integral\": " << json_number(w.integral)
       << ", \"box\": " << (w.box ? "true" : "false") << "}";
  }
  os << "\n}\n";
  return os.str();
}

}  // namespace convkit::steps::draw
