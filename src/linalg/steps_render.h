#pragma once
// Pieces the steps renderers share (steps_render*.cpp): how numbers and parameters are written,
// the viewport that crops a large grid around the window, and the Scene, one frame laid out as
// boxes and labels in pixels, which the SVG, HTML and GIF renderers all draw, so the three
// pictures agree.

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "convkit/steps.h"

namespace convkit::steps::draw {

using Cells = std::vector<std::pair<std::int64_t, std::int64_t>>;

// --- words and numbers ----------------------------------------------------------------------

/// A value for people: `digits` significant digits, no trailing zeros, "-0" as "0",
/// "nan", "inf", "-inf".
std::string number(double v, int digits = 6);
/// A value for JSON: round-trips (%.17g), null for NaN and infinities.
std::string json_number(double v);
/// "image", "padding" or "inserted".
const char* cell_name(Cell c);
/// "convolution: kernel flipped", "cross-correlation: kernel as given", or for a transposed
/// convolution the correlation it is computed as.
std::string operation(const Trace& t);
/// One line: stride, padding (and its border rule), dilation, bias, output padding; `brief`
/// leaves out the explanations and what is at its default (for pictures).
std::string parameters(const Trace& t, bool brief = false);
/// "out[i,j]".
std::string cell_label(std::int64_t i, std::int64_t j);
/// What the grid is: "padded", "no padding" or "zeros inserted, padded".
std::string grid_kind(const Trace& t);

/// What kind of line a grid row (or column) is: the kind of its cells where an input sample
/// sits in the other axis. Padding and zero insertion fill whole rows and columns, so the row
/// and column kinds say what every cell is.
std::vector<Cell> row_kinds(const Trace& t);
std::vector<Cell> col_kinds(const Trace& t);

/// The input samples a transposed convolution scatters, in the order they are shown: those
/// that land on one of `cells` (all of them when every output cell is a frame), row-major,
/// at most `limit` (0: no limit). `total` receives how many there were before the limit.
Cells scatter_samples(const Trace& t, const Cells& cells, bool all_cells, std::int64_t limit,
                      std::int64_t* total);

// --- cropping -------------------------------------------------------------------------------

/// The rows [r0, r1) and columns [c0, c1) of a grid that are drawn.
struct View {
  std::int64_t r0 = 0, r1 = 0, c0 = 0, c1 = 0;
};
/// Grids larger than this many rows or columns are drawn cropped around the window.
constexpr std::int64_t kMaxView = 20;
/// The whole h x w grid if it fits in `max` x `max`, else a crop of that size that holds
/// rows [fr0, fr1) and columns [fc0, fc1) (the window) as centred as the edges allow.
View view_around(std::int64_t h, std::int64_t w, std::int64_t fr0, std::int64_t fr1,
                 std::int64_t fc0, std::int64_t fc1, std::int64_t max = kMaxView);

// --- the picture of one frame ---------------------------------------------------------------

/// The colours every picture uses; a GIF's global palette holds exactly these.
enum Paint : std::uint8_t {
  background, ink, grid_line, padding_fill, inserted_fill, window_fill, window_edge,
  current_fill, done_fill, dim_ink, kernel_fill, product_fill, n_paints
};
struct Rgb {
  std::uint8_t r, g, b;
};
extern const std::array<Rgb, n_paints> kPalette;
/// "#rrggbb".
std::string hex(Paint p);

/// Pixel metrics of the built-in font (steps_render_gif.cpp): 5x7 glyphs, their baseline
/// under row 7 (kBaseline) and one row of descenders, on a 6-pixel advance; SVG text uses a
/// monospace font sized to the same advance.
constexpr int kGlyphW = 5, kGlyphH = 8, kBaseline = 7, kAdvance = 6, kLine = 12;

struct Box {
  int x, y, w, h;
  Paint fill;  ///< n_paints: not filled (an outline only)
  Paint stroke;
  int stroke_width;  ///< 0: no outline
};
struct Label {
  int x, y;  ///< top-left of the text (anchor start), its top-centre (anchor middle)
  std::string text;
  Paint color;
  bool middle;
};
struct Scene {
  int width = 0, height = 0;
  std::vector<Box> boxes;
  std::vector<Label> labels;
};

/// Lays out frame `index` of `n` (output cell `r`): title, the grid with the window, the
/// kernel (and the flipped kernel applied), the products, the output grid with the cells of
/// `done` (out_h x out_w flags) filled in, the sum, and a legend.
Scene frame_scene(const Trace& t, const Record& r, const std::vector<char>& done,
                  std::size_t index, std::size_t n);

/// The bitmap of a printable ASCII character: kGlyphH rows, bit 4 the leftmost pixel; a box
/// for anything else.
const std::array<std::uint8_t, kGlyphH>& glyph(char c);

// --- the formats ----------------------------------------------------------------------------

std::string render_text(const Trace& t, const Cells& cells, const RenderOptions& o,
                        bool markdown);
std::string render_json(const Trace& t, const Cells& cells, const RenderOptions& o);
std::string render_svg(const Trace& t, const Cells& cells, const RenderOptions& o);
std::string render_html(const Trace& t, const Cells& cells, const RenderOptions& o);
std::string render_gif(const Trace& t, const Cells& cells, const RenderOptions& o);

/// The scatter-add section of a transposed convolution, as plain text (the HTML page shows
/// it too); empty when the trace is not transposed.
std::string scatter_text(const Trace& t, const Cells& cells, const RenderOptions& o);
/// The "three ways" section for one cell, as plain text lines.
std::vector<std::string> three_ways_lines(const Trace& t, std::int64_t i, std::int64_t j);

/// An indexed-colour picture and the GIF89a encoder (steps_render_gif.cpp).
struct Raster {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;  ///< palette indices, row-major
};
/// Draws `s` at `scale` pixels per scene pixel on a width x height canvas (scaled).
Raster rasterize(const Scene& s, int width, int height, int scale);

/// An animated GIF89a (the palette kPalette, looping forever), one frame at a time so only
/// the previous frame is kept: each frame after the first stores just the rectangle that
/// changed.
class GifWriter {
 public:
  GifWriter(int width, int height, int delay_cs);
  void add(const Raster& frame);
  std::string finish();

 private:
  int width_, height_, delay_cs_;
  std::string out_;
  Raster previous_;
};

}  // namespace convkit::steps::draw
