// SVG (the first frame, or every frame side by side) and the HTML page with a slider. Both draw
// the Scenes of steps_render_scene.cpp. The page keeps each distinct SVG element once and
// lists, per frame, which elements it shows: consecutive frames share almost everything, so
// 400 frames stay a few megabytes instead of tens.
#include <algorithm>
#include <map>
#include <sstream>

#include "linalg/steps_render.h"

namespace convkit::steps::draw {

namespace {

constexpr int kGap = 16;

std::string escaped(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// The elements of one scene moved right by `dx`, one string each.
std::vector<std::string> items(const Scene& s, int dx) {
  std::vector<std::string> out;
  out.reserve(s.boxes.size() + s.labels.size());
  for (const Box& b : s.boxes) {
    std::ostringstream os;
    // A wide outline is drawn inside the box, so it never covers the neighbours' numbers.
    const int in = b.stroke_width > 1 ? b.stroke_width / 2 : 0;
    os << "<rect x=\"" << b.x + dx + in << "\" y=\"" << b.y + in << "\" width=\"" << b.w - 2 * in
       << "\" height=\"" << b.h - 2 * in << "\" fill=\""
       << (b.fill == n_paints ? std::string("none") : hex(b.fill)) << "\"";
    if (b.stroke_width > 0)
      os << " stroke=\"" << hex(b.stroke) << "\" stroke-width=\"" << b.stroke_width << "\"";
    os << "/>";
    out.push_back(os.str());
  }
  for (const Label& l : s.labels) {
    std::ostringstream os;
    // The baseline where the bitmap font's is.
    os << "<text x=\"" << l.x + dx << "\" y=\"" << l.y + kBaseline << "\"";
    if (l.middle) os << " text-anchor=\"middle\"";
    if (l.color != ink) os << " fill=\"" << hex(l.color) << "\"";
    os << ">" << escaped(l.text) << "</text>";
    out.push_back(os.str());
  }
  return out;
}

// The scenes of every frame, and the largest width and height among them.
std::vector<Scene> scenes(const Trace& t, const Cells& cells, int* w, int* h) {
  std::vector<Scene> out;
  std::vector<char> done(std::size_t(t.out_h * t.out_w), 0);
  *w = *h = 1;
  for (std::size_t n = 0; n < cells.size(); ++n) {
    const auto [i, j] = cells[n];
    done[std::size_t(i * t.out_w + j)] = 1;
    out.push_back(frame_scene(t, record(t, i, j), done, n, cells.size()));
    *w = std::max(*w, out.back().width);
    *h = std::max(*h, out.back().height);
  }
  return out;
}

// Attributes every SVG shares: monospace text of the bitmap font's advance (6 px at 10 px).
std::string svg_open(int w, int h, bool with_namespace, const std::string& extra = "") {
  std::ostringstream os;
  // Shown twice the scene size: the pixel layout is sized for a 5x7 font.
  os << "<svg" << (with_namespace ? " xmlns=\"http://www.w3.org/2000/svg\"" : "") << " width=\""
     << 2 * w << "\" height=\"" << 2 * h << "\" viewBox=\"0 0 " << w << " " << h
     << "\" font-family=\"monospace\" font-size=\"10\"" << extra << ">";
  return os.str();
}

std::string title_of(const Trace& t, const Cells& cells) {
  return "convkit steps: " + operation(t) + ", " + std::to_string(cells.size()) + " frame(s)";
}

// A string as a JavaScript/JSON literal that cannot end the <script> element it sits in.
std::string js_string(const std::string& s) {
  std::string out = "\"";
  for (std::size_t k = 0; k < s.size(); ++k) {
    const char c = s[k];
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '<' && k + 1 < s.size() && s[k + 1] == '/') {
      out += "<\\/";
      ++k;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string render_svg(const Trace& t, const Cells& cells, const RenderOptions& o) {
  int w = 1, h = 1;
  const Cells drawn = o.strip ? cells : Cells(cells.begin(), cells.begin() + 1);
  const std::vector<Scene> all = scenes(t, drawn, &w, &h);
  const int n = int(all.size());
  const int total_w = n * w + (n - 1) * kGap;
  std::ostringstream os;
  os << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
     << svg_open(total_w, h, true) << "\n<title>" << escaped(title_of(t, cells)) << "</title>\n"
     << "<rect x=\"0\" y=\"0\" width=\"" << total_w << "\" height=\"" << h
     << "\" fill=\"#ffffff\"/>\n";
  for (int k = 0; k < n; ++k) {
    os << "<g>\n";  // one group per frame, so a reader can pick frames apart
    for (const auto& item : items(all[std::size_t(k)], k * (w + kGap))) os << item << "\n";
    os << "</g>\n";
  }
  os << "</svg>\n";
  return os.str();
}

std::string render_html(const Trace& t, const Cells& cells, const RenderOptions& o) {
  int w = 1, h = 1;
  const std::vector<Scene> all = scenes(t, cells, &w, &h);
  // Each distinct element once; each frame a list of element numbers.
  std::map<std::string, std::size_t> index;
  std::vector<const std::string*> unique;
  std::vector<std::vector<std::size_t>> frames;
  for (const Scene& s : all) {
    frames.emplace_back();
    for (auto& item : items(s, 0)) {
      auto [it, fresh] = index.emplace(std::move(item), unique.size());
      if (fresh) unique.push_back(&it->first);
      frames.back().push_back(it->second);
    }
  }

  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
     << escaped(title_of(t, cells)) << "</title>\n<style>\n"
     << "body { font-family: monospace; margin: 1.5em; color: #000; background: #fff; }\n"
     << "#controls { margin: 0.8em 0; display: flex; gap: 0.6em; align-items: center; }\n"
     << "#slider { width: 28em; }\n"
     << "pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; }\n"
     << "</style>\n</head>\n<body>\n<h1>convkit steps</h1>\n<p><b>" << escaped(operation(t))
     << "</b></p>\n<ul>\n<li>" << escaped(parameters(t)) << "</li>\n";
  os << "<li>input " << t.in_h << "x" << t.in_w << ", kernel " << t.k_h << "x" << t.k_w
     << ", grid " << t.grid_h << "x" << t.grid_w << ", output " << t.out_h << "x" << t.out_w
     << "</li>\n";
  for (const auto& f : size_formulas(t)) os << "<li>output size, " << escaped(f) << "</li>\n";
  auto list = [](const std::vector<std::int64_t>& v) {
    std::string s;
    for (std::size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + std::to_string(v[k]);
    return s;
  };
  if (!t.unreached_rows.empty())
    os << "<li>input rows no window reaches: " << list(t.unreached_rows) << "</li>\n";
  if (!t.unreached_cols.empty())
    os << "<li>input columns no window reaches: " << list(t.unreached_cols) << "</li>\n";
  if (t.unreached_rows.empty() && t.unreached_cols.empty())
    os << "<li>every input row and column reaches the output</li>\n";
  os << "<li>problem " << escaped(t.problem.to_string()) << "</li>\n</ul>\n";

  os << "<div id=\"controls\">\n<button id=\"prev\" type=\"button\">&lt;</button>\n"
     << "<button id=\"play\" type=\"button\">play</button>\n"
     << "<button id=\"next\" type=\"button\">&gt;</button>\n"
     << "<input type=\"range\" id=\"slider\" min=\"0\" max=\"" << cells.size() - 1
     << "\" value=\"0\" step=\"1\" aria-label=\"frame\">\n<span id=\"label\">frame 1/"
     << cells.size() << "</span>\n</div>\n";
  // The first frame is in the page itself, so it shows without the script too.
  os << svg_open(w, h, false, " id=\"frame\" role=\"img\"") << "\n";
  for (std::size_t k : frames.front()) os << *unique[k] << "\n";
  os << "</svg>\n";
  if (t.options.transposed)
    os << "<h2>Transposed convolution as scatter-add</h2>\n<pre>"
       << escaped(scatter_text(t, cells, o)) << "</pre>\n";
  if (cells.size() == 1) {
    os << "<h2>The same number three ways: " << cell_label(cells[0].first, cells[0].second)
       << "</h2>\n<pre>";
    for (const auto& l : three_ways_lines(t, cells[0].first, cells[0].second))
      os << escaped(l) << "\n";
    os << "</pre>\n";
  }

  os << "<script>\nconst ITEMS = [";
  for (std::size_t k = 0; k < unique.size(); ++k) os << (k ? ",\n" : "\n") << js_string(*unique[k]);
  os << "];\nconst FRAMES = [";
  for (std::size_t f = 0; f < frames.size(); ++f) {
    os << (f ? ",\n[" : "\n[");
    for (std::size_t k = 0; k < frames[f].size(); ++k) os << (k ? "," : "") << frames[f][k];
    os << "]";
  }
  os << "];\n"
     << "const DELAY_MS = " << std::max(10, o.gif_delay_cs * 10) << ";\n"
     << R"JS((function () {
  const svg = document.getElementById('frame');
  const slider = document.getElementById('slider');
  const label = document.getElementById('label');
  const play = document.getElementById('play');
  let timer = null;
  function show(n) {
    n = Math.max(0, Math.min(FRAMES.length - 1, n));
    slider.value = String(n);
    svg.innerHTML = FRAMES[n].map(function (k) { return ITEMS[k]; }).join('');
    label.textContent = 'frame ' + (n + 1) + '/' + FRAMES.length;
  }
  function stop() { if (timer) { clearInterval(timer); timer = null; play.textContent = 'play'; } }
  slider.addEventListener('input', function () { stop(); show(Number(slider.value)); });
  function step(d) { stop(); show(Number(slider.value) + d); }
  document.getElementById('prev').addEventListener('click', function () { step(-1); });
  document.getElementById('next').addEventListener('click', function () { step(1); });
  play.addEventListener('click', function () {
    if (timer) { stop(); return; }
    play.textContent = 'pause';
    timer = setInterval(function () {
      const n = Number(slider.value) + 1;
      show(n >= FRAMES.length ? 0 : n);
    }, DELAY_MS);
  });
  document.addEventListener('keydown', function (e) {
    if (e.target === slider) return;  // the slider moves itself
    if (e.key === 'ArrowRight') step(1);
    if (e.key === 'ArrowLeft') step(-1);
  });
})();
</script>
</body>
</html>
)JS";
  return os.str();
}

}  // namespace convkit::steps::draw
