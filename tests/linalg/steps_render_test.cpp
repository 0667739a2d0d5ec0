// The steps renderers: which frames are drawn and when they are refused, file extensions, and
// the shape of each format. GIFs are taken apart block by block and every frame's LZW stream
// decoded here (an independent decoder), so a wrong code size or clear code shows up without
// Pillow; the Python tests open the same files with Pillow, json, ElementTree and html.parser.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "convkit/error.h"
#include "convkit/steps.h"
#include "linalg/steps_render.h"

namespace convkit::steps {
namespace {

Trace make_trace(std::int64_t h, std::int64_t w, std::vector<double> kernel, std::int64_t kh,
                 std::int64_t kw, Options o = {}) {
  std::vector<double> image(std::size_t(h * w));
  for (std::size_t k = 0; k < image.size(); ++k) image[k] = double(k % 7) - 2;
  const std::int64_t is[2] = {h, w}, ks[2] = {kh, kw};
  return trace(ConstTensorView(image.data(), DType::f64, is),
               ConstTensorView(kernel.data(), DType::f64, ks), o);
}

Trace padded_3x3(std::int64_t n = 4) {
  Options o;
  o.pad_top = o.pad_bottom = o.pad_left = o.pad_right = 1;
  return make_trace(n, n, {1, 2, 1, 2, 4, 2, 1, 2, 1}, 3, 3, o);
}

std::size_t count(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

// --- GIF: blocks and LZW, decoded independently of the encoder --------------------------------

struct GifFrame {
  int x, y, w, h;
  std::vector<std::uint8_t> pixels;
};

std::vector<std::uint8_t> lzw_decode(const std::string& data, int min_size) {
  const int clear = 1 << min_size, end = clear + 1;
  std::vector<std::vector<std::uint8_t>> table;
  auto reset = [&] {
    table.clear();
    for (int k = 0; k < clear + 2; ++k) table.push_back({std::uint8_t(k)});
  };
  reset();
  int size = min_size + 1, previous = -1;
  std::size_t bit = 0;
  std::vector<std::uint8_t> out;
  for (;;) {
    if (bit + std::size_t(size) > data.size() * 8) {
      ADD_FAILURE() << "LZW stream ends without an end code";
      return out;
    }
    int code = 0;
    for (int k = 0; k < size; ++k, ++bit)
      code |= ((std::uint8_t(data[bit / 8]) >> (bit % 8)) & 1) << k;
    if (code == clear) {
      reset();
      size = min_size + 1;
      previous = -1;
      continue;
    }
    if (code == end) return out;
    std::vector<std::uint8_t> entry;
    if (code < int(table.size())) {
      entry = table[std::size_t(code)];
    } else if (code == int(table.size()) && previous >= 0) {  // the KwKwK case
      entry = table[std::size_t(previous)];
      entry.push_back(entry.front());
    } else {
      ADD_FAILURE() << "LZW code " << code << " with " << table.size() << " entries";
      return out;
    }
    out.insert(out.end(), entry.begin(), entry.end());
    if (previous >= 0 && table.size() < 4096) {
      auto grown = table[std::size_t(previous)];
      grown.push_back(entry.front());
      table.push_back(grown);
    }
    if (int(table.size()) == (1 << size) && size < 12) ++size;
    previous = code;
  }
}

struct Gif {
  int width = 0, height = 0;
  bool loops = false;
  std::vector<int> delays;
  std::vector<GifFrame> frames;
};

Gif parse_gif(const std::string& g) {
  Gif out;
  EXPECT_EQ(g.substr(0, 6), "GIF89a");
  auto u16 = [&](std::size_t at) {
    return int(std::uint8_t(g[at])) | int(std::uint8_t(g[at + 1])) << 8;
  };
  out.width = u16(6), out.height = u16(8);
  const auto packed = std::uint8_t(g[10]);
  EXPECT_TRUE(packed & 0x80) << "a global palette";
  std::size_t at = 13 + 3 * (std::size_t(1) << ((packed & 7) + 1));
  auto sub_blocks = [&](std::size_t& p) {
    std::string data;
    while (std::uint8_t(g.at(p)) != 0) {
      const std::size_t n = std::uint8_t(g[p]);
      data += g.substr(p + 1, n);
      p += n + 1;
    }
    ++p;
    return data;
  };
  while (at < g.size()) {
    const auto tag = std::uint8_t(g[at]);
    if (tag == 0x3B) return out;
    if (tag == 0x21) {
      const auto label = std::uint8_t(g[at + 1]);
      at += 2;
      const std::string body = sub_blocks(at);
      if (label == 0xF9)
        out.delays.push_back(int(std::uint8_t(body[1])) | int(std::uint8_t(body[2])) << 8);
      if (label == 0xFF && body.substr(0, 11) == "NETSCAPE2.0") out.loops = true;
      continue;
    }
    EXPECT_EQ(tag, 0x2C) << "unknown block at byte " << at;
    if (tag != 0x2C) return out;
    GifFrame f{u16(at + 1), u16(at + 3), u16(at + 5), u16(at + 7), {}};
    at += 10;
    const int min_size = std::uint8_t(g[at++]);
    f.pixels = lzw_decode(sub_blocks(at), min_size);
    out.frames.push_back(std::move(f));
  }
  ADD_FAILURE() << "no trailer";
  return out;
}

// --- frames and extensions ---------------------------------------------------------------------

TEST(StepsFrames, EveryCellRowMajorOrTheCellsAsked) {
  const Trace t = padded_3x3();
  const auto all = frames(t, {});
  ASSERT_EQ(all.size(), 16u);
  EXPECT_EQ(all[0], std::make_pair(std::int64_t(0), std::int64_t(0)));
  EXPECT_EQ(all[5], std::make_pair(std::int64_t(1), std::int64_t(1)));
  RenderOptions o;
  o.cells = {{3, 0}, {0, 3}};
  EXPECT_EQ(frames(t, o), o.cells);
}

TEST(StepsFrames, CellsOutsideTheOutputAreRefused) {
  const Trace t = padded_3x3();
  for (auto cell : std::vector<std::pair<std::int64_t, std::int64_t>>{{4, 0}, {0, 4}, {-1, 0}}) {
    RenderOptions o;
    o.cells = {cell};
    try {
      frames(t, o);
      ADD_FAILURE() << "accepted " << cell.first << "," << cell.second;
    } catch (const Error& e) {
      EXPECT_EQ(e.parameter(), "cell");
    }
  }
}

TEST(StepsFrames, MaxFramesRefusesWithAdviceUnlessZero) {
  const Trace t = padded_3x3(30);  // 30x30 = 900 cells, over the default 400
  EXPECT_EQ(RenderOptions{}.max_frames, 400);
  try {
    frames(t, {});
    ADD_FAILURE() << "900 frames accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.parameter(), "max_frames");
    const std::string m = e.what();
    EXPECT_NE(m.find("--cell"), std::string::npos) << m;
    EXPECT_NE(m.find("--max-frames"), std::string::npos) << m;
    EXPECT_NE(m.find("900"), std::string::npos) << m;
  }
  EXPECT_THROW(render(t, Format::text), Error);
  RenderOptions unlimited;
  unlimited.max_frames = 0;
  EXPECT_EQ(frames(t, unlimited).size(), 900u);
  RenderOptions one;
  one.cells = {{29, 29}};
  EXPECT_EQ(frames(t, one).size(), 1u);
  RenderOptions few;
  few.max_frames = 2;
  few.cells = {{0, 0}, {0, 1}, {0, 2}};
  EXPECT_THROW(frames(t, few), Error);
  RenderOptions negative;
  negative.max_frames = -1;
  EXPECT_THROW(frames(t, negative), Error);
}

TEST(StepsFormat, FromTheExtension) {
  EXPECT_EQ(format_from_path("a.txt"), Format::text);
  EXPECT_EQ(format_from_path("dir.x/a.md"), Format::markdown);
  EXPECT_EQ(format_from_path("a.JSON"), Format::json);
  EXPECT_EQ(format_from_path("a.svg"), Format::svg);
  EXPECT_EQ(format_from_path("a.Gif"), Format::gif);
  EXPECT_EQ(format_from_path("a.html"), Format::html);
  EXPECT_EQ(format_from_path("a.htm"), Format::html);
  for (const char* bad : {"a.pdf", "a", "dir.gif/a", "a.gif.bak"}) {
    try {
      format_from_path(bad);
      ADD_FAILURE() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.parameter(), "output") << bad;
    }
  }
}

// --- the formats -------------------------------------------------------------------------------

TEST(StepsRender, TextShowsFormulaWindowSumsAndOutput) {
  const Trace t = padded_3x3();
  const std::string s = render(t, Format::text);
  EXPECT_NE(s.find("floor((4 + 1 + 1 - 1*(3-1) - 1) / 1) + 1 = 4"), std::string::npos) << s;
  EXPECT_EQ(count(s, "== frame "), 16u);
  EXPECT_NE(s.find("[") , std::string::npos);
  EXPECT_NE(s.find("running"), std::string::npos);
  EXPECT_NE(s.find("cross-correlation"), std::string::npos);
  EXPECT_EQ(s.find("\033["), std::string::npos) << "no colour unless asked";
  RenderOptions colour;
  colour.color = true;
  EXPECT_NE(render(t, Format::text, colour).find("\033["), std::string::npos);
  // The last frame's output grid is complete: no '.' placeholders left in it.
  const std::string last = s.substr(s.rfind("output so far"));
  EXPECT_EQ(last.find(" ."), std::string::npos) << last;
}

TEST(StepsRender, FlipShowsTheAppliedKernelAndUnreachedLines) {
  Options o;
  o.flip = true;
  o.stride_h = o.stride_w = 3;
  const Trace t = make_trace(5, 5, {1, 2, 3, 4}, 2, 2, o);  // rows/cols 2 and 4 never read
  const std::string s = render(t, Format::text);
  EXPECT_NE(s.find("convolution: kernel flipped"), std::string::npos);
  EXPECT_NE(s.find("kernel applied (flipped)"), std::string::npos);
  EXPECT_NE(s.find("input rows no window reaches: 2"), std::string::npos) << s;
  const std::string md = render(t, Format::markdown);
  EXPECT_NE(md.find("|---"), std::string::npos);
  EXPECT_NE(md.find("**["), std::string::npos);
}

TEST(StepsRender, TransposedAddsScatterAndOneCellThreeWays) {
  Options o;
  o.transposed = true;
  o.stride_h = o.stride_w = 2;
  const Trace t = make_trace(2, 3, {1, 1, 1, 1}, 2, 2, o);
  RenderOptions one;
  one.cells = {{1, 1}};
  const std::string s = render(t, Format::text, one);
  EXPECT_NE(s.find("scatter-add"), std::string::npos);
  EXPECT_NE(s.find("partial output"), std::string::npos);
  EXPECT_NE(s.find("three ways"), std::string::npos);
  EXPECT_NE(s.find("integral image: S"), std::string::npos) << "a box kernel: four corners";
  EXPECT_NE(s.find(" z "), std::string::npos) << "inserted-zero lines are labelled";
  const std::string j = render(t, Format::json, one);
  EXPECT_NE(j.find("\"scatter\": ["), std::string::npos);
  EXPECT_NE(j.find("\"three_ways\": {"), std::string::npos);
  EXPECT_NE(j.find("\"inserted\""), std::string::npos);
}

TEST(StepsRender, JsonHasEveryRecordAndNoBareNaN) {
  const Trace t = padded_3x3();
  const std::string j = render(t, Format::json);
  for (const char* key : {"\"problem\"", "\"options\"", "\"formulas\"", "\"input\"", "\"kernel\"",
                          "\"applied\"", "\"grid\"", "\"cell\"", "\"out\"", "\"unreached_rows\"",
                          "\"unreached_cols\"", "\"steps\"", "\"products\"", "\"running\"",
                          "\"window\"", "\"value\""})
    EXPECT_NE(j.find(key), std::string::npos) << key;
  EXPECT_EQ(count(j, "\"products\""), 16u);
  // Brackets balance outside strings.
  int depth = 0;
  bool in_string = false;
  for (std::size_t k = 0; k < j.size(); ++k) {
    if (in_string) {
      if (j[k] == '\\') ++k;
      else if (j[k] == '"') in_string = false;
      continue;
    }
    if (j[k] == '"') in_string = true;
    if (j[k] == '[' || j[k] == '{') ++depth;
    if (j[k] == ']' || j[k] == '}') --depth;
    ASSERT_GE(depth, 0);
  }
  EXPECT_EQ(depth, 0);
  // A non-box kernel's integral value is NaN: JSON null, never a bare nan.
  RenderOptions one;
  one.cells = {{0, 0}};
  const std::string single = render(t, Format::json, one);
  EXPECT_NE(single.find("\"integral\": null"), std::string::npos);
  EXPECT_EQ(single.find("nan"), std::string::npos);
  EXPECT_EQ(draw::json_number(0.1), "0.10000000000000001");
  EXPECT_EQ(draw::json_number(INFINITY), "null");
}

TEST(StepsRender, SvgOneFrameOrAStripAndHtmlWithASlider) {
  const Trace t = padded_3x3(3);
  const std::string one = render(t, Format::svg);
  EXPECT_EQ(one.rfind("<?xml", 0), 0u);
  EXPECT_EQ(count(one, "<g>"), 1u);
  EXPECT_NE(one.find("</svg>"), std::string::npos);
  RenderOptions strip;
  strip.strip = true;
  EXPECT_EQ(count(render(t, Format::svg, strip), "<g>"), 9u);
  const std::string page = render(t, Format::html);
  EXPECT_NE(page.find("<input type=\"range\""), std::string::npos);
  EXPECT_NE(page.find("<script>"), std::string::npos);
  EXPECT_EQ(page.find("http"), std::string::npos) << "self-contained";
  EXPECT_EQ(page.find("src="), std::string::npos) << "self-contained";
}

TEST(StepsRender, GifHasOneDecodableFrameEach) {
  const Trace t = padded_3x3(3);
  RenderOptions o;
  o.gif_delay_cs = 25;
  const std::string g = render(t, Format::gif, o);
  const Gif gif = parse_gif(g);
  EXPECT_TRUE(gif.loops);
  ASSERT_EQ(gif.frames.size(), 9u);
  EXPECT_EQ(gif.delays, std::vector<int>(9, 25));
  for (const GifFrame& f : gif.frames) {
    EXPECT_EQ(f.pixels.size(), std::size_t(f.w) * std::size_t(f.h));
    EXPECT_LE(f.x + f.w, gif.width);
    EXPECT_LE(f.y + f.h, gif.height);
    for (auto p : f.pixels) ASSERT_LT(p, std::uint8_t(draw::n_paints));
  }
  EXPECT_EQ(gif.frames[0].w, gif.width) << "the first frame covers the picture";
}

TEST(StepsRender, GifEncoderRoundTripsNoiseThroughClearCodes) {
  // Noise fills the 4096-code table many times over: clear codes and every code size.
  std::mt19937 rng(7);
  draw::GifWriter w(257, 131, 3);
  std::vector<draw::Raster> frames;
  for (int f = 0; f < 3; ++f) {
    draw::Raster r;
    r.width = 257, r.height = 131;
    r.pixels.resize(std::size_t(r.width * r.height));
    for (auto& p : r.pixels) p = std::uint8_t(f == 1 ? 4 : rng() % draw::n_paints);
    w.add(r);
    frames.push_back(r);
  }
  const Gif gif = parse_gif(w.finish());
  ASSERT_EQ(gif.frames.size(), 3u);
  EXPECT_EQ(gif.frames[0].pixels, frames[0].pixels);
  EXPECT_EQ(gif.frames[1].pixels, frames[1].pixels) << "a frame that changed everywhere";
  EXPECT_EQ(gif.frames[2].pixels, frames[2].pixels);
}

TEST(StepsRender, FontCoversPrintableAscii) {
  for (char c = 33; c < 127; ++c) {
    int on = 0;
    for (auto row : draw::glyph(c)) on += row != 0;
    EXPECT_GT(on, 0) << "glyph '" << c << "' is blank";
  }
  EXPECT_NE(draw::glyph('0'), draw::glyph('O'));
}

}  // namespace
}  // namespace convkit::steps
