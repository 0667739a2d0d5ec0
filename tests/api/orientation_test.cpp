// EXIF orientation (io/orientation.h): apply_orientation against hand-written results for all
// eight values (the same as Pillow's Image.transpose methods that exif_transpose picks), and
// read_exif_orientation on hand-built JPEG / PNG / WebP / TIFF bytes: both byte orders, the
// places Pillow looks (joined APP1 segments, eXIf, raw profiles, XMP, the VP8X flags), the value
// types Pillow compares, and malformed blocks, which give 1 and never crash. Comparisons with
// Pillow on files it writes: tests/python/test_orientation.py.

#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "convkit/error.h"
#include "convkit/tensor.h"
#include "io/orientation.h"

#include "temp_dir.h"

namespace convkit::io {
namespace {

class OrientationFileTest : public test::TempDirTest {
 protected:
  // Writes `bytes` as `name` and reads its orientation, checking that the in-memory reader agrees.
  int orientation_of_file(const std::string& name, const std::string& bytes) {
    write_bytes(name, bytes);
    const int from_file = read_exif_orientation(path(name));
    EXPECT_EQ(from_file, exif_orientation_of_bytes(bytes)) << name;
    return from_file;
  }
};

// --- apply_orientation ---------------------------------------------------------------------------

// The 2x3 picture   0 10 20   as Pillow's transposes show it (checked with
//                  30 40 50   np.asarray(Image.fromarray(a).transpose(method))).
const std::vector<std::vector<int>> kExpected[9] = {
    {},
    {{0, 10, 20}, {30, 40, 50}},    // 1
    {{20, 10, 0}, {50, 40, 30}},    // 2 FLIP_LEFT_RIGHT
    {{50, 40, 30}, {20, 10, 0}},    // 3 ROTATE_180
    {{30, 40, 50}, {0, 10, 20}},    // 4 FLIP_TOP_BOTTOM
    {{0, 30}, {10, 40}, {20, 50}},  // 5 TRANSPOSE
    {{30, 0}, {40, 10}, {50, 20}},  // 6 ROTATE_270 (clockwise)
    {{50, 20}, {40, 10}, {30, 0}},  // 7 TRANSVERSE
    {{20, 50}, {10, 40}, {0, 30}},  // 8 ROTATE_90 (counter-clockwise)
};

TEST(ApplyOrientation, TurnsA2x3x2ImageAsExifTransposeDoes) {
  // pixel (y, x) = 10 * (3y + x), channel c adds c
  std::uint8_t pixels[2 * 3 * 2];
  for (int i = 0; i < 12; ++i) pixels[i] = std::uint8_t(10 * (i / 2) + i % 2);
  const ConstTensorView image(pixels, DType::u8, {2, 3, 2});
  for (int k = 1; k <= 8; ++k) {
    SCOPED_TRACE("orientation " + std::to_string(k));
    const Tensor out = apply_orientation(image, k);
    const auto& want = kExpected[k];
    ASSERT_EQ(out.rank(), 3);
    ASSERT_EQ(out.dim(0), std::int64_t(want.size()));
    ASSERT_EQ(out.dim(1), std::int64_t(want[0].size()));
    ASSERT_EQ(out.dim(2), 2);
    const auto* p = out.data_as<std::uint8_t>();
    for (std::size_t i = 0; i < want.size(); ++i)
      for (std::size_t j = 0; j < want[i].size(); ++j)
        for (int c = 0; c < 2; ++c)
          EXPECT_EQ(p[(i * want[i].size() + j) * 2 + c], want[i][j] + c) << i << "," << j;
    // the view says the same without copying
    const ConstTensorView v = oriented_view(image, k);
    for (std::size_t i = 0; i < want.size(); ++i)
      for (std::size_t j = 0; j < want[i].size(); ++j)
        EXPECT_EQ(static_cast<const std::uint8_t*>(
                      v.data())[std::int64_t(i) * v.stride(0) + std::int64_t(j) * v.stride(1)],
                  want[i][j]);
  }
}

TEST(ApplyOrientation, GrayFloatAndStridedViews) {
  float gray[6] = {0, 10, 20, 30, 40, 50};
  // the same picture as a planar buffer seen as HxWxC (channel stride 6): the fallback copy
  std::uint16_t planar[12];
  for (int i = 0; i < 6; ++i) {
    planar[i] = std::uint16_t(10 * i);
    planar[6 + i] = std::uint16_t(10 * i + 1);
  }
  const std::int64_t shape[] = {2, 3, 2}, strides[] = {3, 1, 6};
  const ConstTensorView hwc(planar, DType::u16, shape, strides);
  for (int k = 1; k <= 8; ++k) {
    SCOPED_TRACE("orientation " + std::to_string(k));
    const auto& want = kExpected[k];
    const Tensor g = apply_orientation(ConstTensorView(gray, DType::f32, {2, 3}), k);
    ASSERT_EQ(g.rank(), 2);
    ASSERT_EQ(g.dim(0), std::int64_t(want.size()));
    const Tensor c = apply_orientation(hwc, k);
    ASSERT_EQ(c.rank(), 3);
    for (std::size_t i = 0; i < want.size(); ++i)
      for (std::size_t j = 0; j < want[i].size(); ++j) {
        const std::size_t at = i * want[i].size() + j;
        EXPECT_EQ(g.data_as<float>()[at], float(want[i][j]));
        EXPECT_EQ(c.data_as<std::uint16_t>()[2 * at], want[i][j]);
        EXPECT_EQ(c.data_as<std::uint16_t>()[2 * at + 1], want[i][j] + 1);
      }
  }
}

Tensor random_image(DType dt, std::int64_t h, std::int64_t w, std::int64_t c, unsigned seed) {
  const std::vector<std::int64_t> shape =
      c ? std::vector<std::int64_t>{h, w, c} : std::vector<std::int64_t>{h, w};
  Tensor t(dt, std::span<const std::int64_t>(shape));
  std::mt19937 rng(seed);
  auto* p = static_cast<std::uint8_t*>(t.data());
  const std::size_t bytes = std::size_t(t.numel()) * dtype_size(dt);
  for (std::size_t i = 0; i < bytes; ++i) p[i] = std::uint8_t(rng());
  return t;
}

bool same(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.geometry().shape_string() == b.geometry().shape_string() &&
         std::memcmp(a.data(), b.data(), std::size_t(a.numel()) * dtype_size(a.dtype())) == 0;
}

TEST(ApplyOrientation, InversesUndoItForEveryPixelSize) {
  // 6 and 8 undo each other, the others undo themselves; 130x70 spans several 64-pixel tiles
  const int inverse[9] = {0, 1, 2, 3, 4, 5, 8, 7, 6};
  struct Case { DType dt; std::int64_t c; };
  for (const Case cs : {Case{DType::u8, 0}, Case{DType::u8, 3}, Case{DType::u8, 4},
                        Case{DType::u16, 3}, Case{DType::f32, 3}, Case{DType::f64, 5}}) {
    const Tensor image = random_image(cs.dt, 130, 70, cs.c, 7);
    for (int k = 1; k <= 8; ++k) {
      SCOPED_TRACE(std::string(dtype_name(cs.dt)) + " C=" + std::to_string(cs.c) +
                   " orientation " + std::to_string(k));
      const Tensor turned = apply_orientation(image, k);
      EXPECT_EQ(turned.dim(0), k >= 5 ? 70 : 130);
      EXPECT_TRUE(same(apply_orientation(turned, inverse[k]), image));
      // 3 is 6 twice, 8 is 6 three times
      if (k == 3) {
        EXPECT_TRUE(same(turned, apply_orientation(apply_orientation(image, 6), 6)));
      }
    }
  }
}

TEST(ApplyOrientation, CroppedAndFlippedViewsAsTheirCopies) {
  const Tensor image = random_image(DType::u16, 40, 30, 3, 3);
  // every other column of rows 5..34, read right to left
  const std::int64_t shape[] = {30, 15, 3}, strides[] = {90, -6, 1};
  const ConstTensorView crop(image.data_as<std::uint16_t>() + 5 * 90 + 29 * 3, DType::u16, shape,
                             strides);
  Tensor copied(DType::u16, {30, 15, 3});
  copy(crop, copied.view());
  for (int k = 1; k <= 8; ++k) {
    SCOPED_TRACE("orientation " + std::to_string(k));
    EXPECT_TRUE(same(apply_orientation(crop, k), apply_orientation(copied, k)));
  }
}

TEST(ApplyOrientation, EmptyImagesAndOtherRanks) {
  const Tensor empty = random_image(DType::u8, 0, 5, 3, 1);
  const Tensor t = apply_orientation(empty, 6);
  EXPECT_EQ(t.geometry().shape_string(), "(5, 0, 3)");
  // orientation 1 copies anything; the others need an image
  const Tensor four = random_image(DType::f32, 2, 3, 0, 1);
  const ConstTensorView rank4(four.data(), DType::f32, {1, 1, 2, 3});
  EXPECT_EQ(apply_orientation(rank4, 1).geometry().shape_string(), "(1, 1, 2, 3)");
  EXPECT_THROW(apply_orientation(rank4, 2), Error);
  EXPECT_THROW(apply_orientation(ConstTensorView(four.data(), DType::f32, {6}), 6), Error);
  for (int bad : {0, 9, -1}) {
    try {
      apply_orientation(four, bad);
      ADD_FAILURE() << "orientation " << bad << " accepted";
    } catch (const Error& e) {
      EXPECT_EQ(e.parameter(), "orientation");
    }
  }
}

// --- byte builders -----------------------------------------------------------------------------

struct Out {
  explicit Out(bool little_endian) : little(little_endian) {}
  bool little;
  std::string s;
  Out& u8(unsigned v) { s.push_back(char(v)); return *this; }
  Out& u16(unsigned v) {
    return little ? u8(v & 0xFF).u8(v >> 8 & 0xFF) : u8(v >> 8 & 0xFF).u8(v & 0xFF);
  }
  Out& u32(std::uint32_t v) {
    return little ? u16(v & 0xFFFF).u16(v >> 16) : u16(v >> 16).u16(v & 0xFFFF);
  }
  Out& u64(std::uint64_t v) {
    return little ? u32(std::uint32_t(v)).u32(std::uint32_t(v >> 32))
                  : u32(std::uint32_t(v >> 32)).u32(std::uint32_t(v));
  }
  Out& raw(const std::string& b) { s += b; return *this; }
};

// One IFD entry: its value bytes (in the block's byte order) go inline when they fit, else after
// the IFD (or at `offset` when given, to point anywhere).
struct Entry {
  unsigned tag, type;
  std::uint64_t count;
  std::string data;
  std::optional<std::uint64_t> offset = std::nullopt;
};

std::string shorts(bool little, std::initializer_list<unsigned> vs) {
  Out o(little);
  for (unsigned v : vs) o.u16(v);
  return o.s;
}
std::string longs(bool little, std::initializer_list<std::uint32_t> vs) {
  Out o(little);
  for (auto v : vs) o.u32(v);
  return o.s;
}
std::string float_bytes(bool little, float v) {
  std::uint32_t bits;
  std::memcpy(&bits, &v, 4);
  return longs(little, {bits});
}
std::string double_bytes(bool little, double v) {
  std::uint64_t bits;
  std::memcpy(&bits, &v, 8);
  Out o(little);
  o.u64(bits);
  return o.s;
}

// A TIFF structure (an EXIF block, or a whole TIFF file) with IFD0 at 8 (BigTIFF: 16).
std::string tiff_block(bool little, const std::vector<Entry>& entries, bool bigtiff = false) {
  Out o(little);
  o.raw(little ? "II" : "MM");
  if (bigtiff)
    o.u16(43).u16(8).u16(0).u64(16);
  else
    o.u16(42).u32(8);
  const std::size_t field = bigtiff ? 8 : 4, entry = bigtiff ? 20 : 12;
  std::uint64_t data_at = o.s.size() + (bigtiff ? 8 : 2) + entries.size() * entry + field;
  std::string data;
  bigtiff ? o.u64(entries.size()) : o.u16(unsigned(entries.size()));
  for (const Entry& e : entries) {
    o.u16(e.tag).u16(e.type);
    bigtiff ? o.u64(e.count) : o.u32(std::uint32_t(e.count));
    if (e.offset || e.data.size() > field) {
      const std::uint64_t at = e.offset ? *e.offset : data_at + data.size();
      bigtiff ? o.u64(at) : o.u32(std::uint32_t(at));
      if (!e.offset) data += e.data;
    } else {
      o.raw(e.data + std::string(field - e.data.size(), '\0'));
    }
  }
  bigtiff ? o.u64(0) : o.u32(0);  // no next IFD
  return o.s + data;
}

std::string orientation_block(bool little, unsigned value) {
  return tiff_block(little, {{271, 2, 4, "abc\0"}, {274, 3, 1, shorts(little, {value})},
                             {282, 5, 1, longs(little, {72, 1})}});
}

const std::string kExifHead("Exif\0\0", 6);
const std::string kXmpHead = std::string("http://ns.adobe.com/xap/1.0/") + '\0';

std::string xmp_packet(const std::string& orientation_markup) {
  return "<?xpacket begin='' id='W5M0MpCehiHzreSzNTczkc9d'?><x:xmpmeta xmlns:x='adobe:ns:meta/'>"
         "<rdf:RDF><rdf:Description xmlns:tiff='http://ns.adobe.com/tiff/1.0/' " +
         orientation_markup + "</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end='w'?>";
}

std::string segment(unsigned code, const std::string& payload) {
  Out o(false);
  o.u8(0xFF).u8(code).u16(unsigned(payload.size() + 2)).raw(payload);
  return o.s;
}

// SOI, the segments, a (token) frame header, a scan, EOI: enough for the marker scan.
std::string jpeg(const std::vector<std::string>& segments) {
  std::string s = "\xFF\xD8";
  s += segment(0xE0, std::string("JFIF\0\x01\x01\0\0\x01\0\x01\0\0", 14));
  for (const auto& seg : segments) s += seg;
  s += segment(0xC0, std::string("\x08\0\x02\0\x03\x01\x01\x11\0", 9));
  s += segment(0xDA, std::string("\x01\x01\0\0\x3f\0", 6));
  return s + "\x12\x34\x56\xFF\xD9";
}

std::string chunk(const std::string& type, const std::string& data) {
  Out o(false);
  o.u32(std::uint32_t(data.size())).raw(type).raw(data);
  const std::string body = type + data;
  o.u32(std::uint32_t(
      crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()))));
  return o.s;
}

std::string png(const std::vector<std::string>& before,
                const std::vector<std::string>& after = {}) {
  std::string s = "\x89PNG\r\n\x1a\n";
  s += chunk("IHDR", std::string("\0\0\0\x03\0\0\0\x02\x08\0\0\0\0", 13));
  for (const auto& c : before) s += c;
  s += chunk("IDAT", "\x78\x9c\x63\x00\x00\x00\x01\x00\x01");
  for (const auto& c : after) s += c;
  return s + chunk("IEND", "");
}

std::string deflate(const std::string& text) {
  uLongf n = compressBound(uLong(text.size()));
  std::string out(n, '\0');
  compress(reinterpret_cast<Bytef*>(out.data()), &n, reinterpret_cast<const Bytef*>(text.data()),
           uLong(text.size()));
  out.resize(n);
  return out;
}

// ImageMagick's "Raw profile type exif": "\nexif\n  <length>\n<hex, 72 digits a line>\n"
std::string raw_profile(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string s = "\nexif\n" + std::string(8 - std::to_string(bytes.size()).size(), ' ') +
                  std::to_string(bytes.size()) + "\n";
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    s += digits[std::uint8_t(bytes[i]) >> 4];
    s += digits[std::uint8_t(bytes[i]) & 15];
    if (i % 36 == 35) s += '\n';
  }
  return s + "\n";
}

std::string riff_chunk(const std::string& type, const std::string& data) {
  Out o(true);
  o.raw(type).u32(std::uint32_t(data.size())).raw(data);
  if (data.size() % 2) o.u8(0);
  return o.s;
}

// An extended WebP: VP8X with `flags` (0x08 EXIF, 0x04 XMP), the chunks, a token VP8L.
std::string webp(unsigned flags, const std::vector<std::string>& chunks) {
  std::string body = "WEBP" + riff_chunk("VP8X", std::string(1, char(flags)) +
                                                    std::string("\0\0\0\x02\0\0\x01\0\0", 9));
  body += riff_chunk("VP8L", std::string("\x2f\x02\x40\x00\x00", 5));
  for (const auto& c : chunks) body += c;
  Out o(true);
  o.raw("RIFF").u32(std::uint32_t(body.size())).raw(body);
  return o.s;
}

// --- read_exif_orientation ---------------------------------------------------------------------

TEST_F(OrientationFileTest, JpegExifInBothByteOrders) {
  for (bool little : {true, false})
    for (unsigned k = 1; k <= 8; ++k) {
      SCOPED_TRACE((little ? "II " : "MM ") + std::to_string(k));
      const std::string block = kExifHead + orientation_block(little, k);
      EXPECT_EQ(orientation_of_file("a.jpg", jpeg({segment(0xE1, block)})), int(k));
    }
  EXPECT_EQ(orientation_of_file("none.jpg", jpeg({})), 1);
  // other APP1 segments and an APP1 "Exif" after the scan are not looked at
  std::string after = jpeg({});
  after.insert(after.size() - 2, segment(0xE1, kExifHead + orientation_block(true, 6)));
  EXPECT_EQ(orientation_of_file("after.jpg", after), 1);
  // fill bytes and junk between segments are skipped as Pillow skips them
  EXPECT_EQ(orientation_of_file("fill.jpg",
                                jpeg({"junk", "\xFF\xFF\xFF",
                                      segment(0xE1, kExifHead + orientation_block(true, 5))})),
            5);
}

TEST_F(OrientationFileTest, JpegJoinsExifSegmentsAndFallsBackToXmp) {
  // Pillow joins the APP1 "Exif" segments (dropping the later ones' header): IFD0 may span them
  const std::string block = orientation_block(false, 8);
  const std::string first = kExifHead + block.substr(0, 20), second = kExifHead + block.substr(20);
  EXPECT_EQ(orientation_of_file("split.jpg",
                                jpeg({segment(0xE1, first), segment(0xE1, second)})),
            8);
  // XMP counts only without an EXIF Orientation; the last XMP segment wins
  const std::string xmp6 = kXmpHead + xmp_packet("tiff:Orientation=\"6\">");
  const std::string xmp7 = kXmpHead + xmp_packet("><tiff:Orientation>7</tiff:Orientation>");
  EXPECT_EQ(orientation_of_file("xmp.jpg", jpeg({segment(0xE1, xmp6)})), 6);
  EXPECT_EQ(orientation_of_file("xmp2.jpg",
                                jpeg({segment(0xE1, xmp6), segment(0xE1, xmp7)})),
            7);
  const std::string no_orientation = kExifHead + tiff_block(true, {{271, 2, 4, "abc\0"}});
  EXPECT_EQ(orientation_of_file("xmp3.jpg",
                                jpeg({segment(0xE1, no_orientation), segment(0xE1, xmp6)})),
            6);
  EXPECT_EQ(orientation_of_file("both.jpg",
                                jpeg({segment(0xE1, kExifHead + orientation_block(true, 3)),
                                      segment(0xE1, xmp6)})),
            3);
  // an EXIF Orientation of 1 is still an Orientation: the XMP packet is not read
  EXPECT_EQ(orientation_of_file("one.jpg",
                                jpeg({segment(0xE1, kExifHead + orientation_block(true, 1)),
                                      segment(0xE1, xmp6)})),
            1);
}

TEST_F(OrientationFileTest, PngExifChunkTextChunksAndRawProfiles) {
  const std::string block = orientation_block(true, 6);
  EXPECT_EQ(orientation_of_file("a.png", png({chunk("eXIf", block)})), 6);
  // with the "Exif\0\0" header some writers add, and after the image data
  EXPECT_EQ(orientation_of_file("b.png", png({chunk("eXIf", kExifHead + block)})), 6);
  EXPECT_EQ(orientation_of_file("c.png", png({}, {chunk("eXIf", block)})), 6);
  // the last eXIf wins
  EXPECT_EQ(orientation_of_file("d.png", png({chunk("eXIf", block)},
                                                    {chunk("eXIf", orientation_block(false, 3))})),
            3);
  EXPECT_EQ(orientation_of_file("none.png", png({})), 1);
  // ImageMagick's raw profile, plain, compressed and international
  const std::string hex = raw_profile(kExifHead + orientation_block(false, 7));
  const std::string raw_key = "Raw profile type exif" + std::string(1, '\0');
  EXPECT_EQ(orientation_of_file("t.png", png({chunk("tEXt", raw_key + hex)})), 7);
  EXPECT_EQ(orientation_of_file("z.png",
                                png({chunk("zTXt", "Raw profile type exif" + std::string(2, '\0') +
                                                       deflate(hex))})),
            7);
  EXPECT_EQ(orientation_of_file("i.png",
                                png({chunk("iTXt", "Raw profile type exif" + std::string(1, '\0') +
                                                       "\x01" + std::string(3, '\0') +
                                                       deflate(hex))})),
            7);
  // an eXIf chunk beats a raw profile
  EXPECT_EQ(orientation_of_file("e.png",
                                png({chunk("tEXt", raw_key + hex), chunk("eXIf", block)})),
            6);
  // bad hex: Pillow raises; no orientation
  EXPECT_EQ(orientation_of_file("h.png",
                                png({chunk("tEXt", "Raw profile type exif" + std::string(1, '\0') +
                                                       "\nexif\n 4\nzz00\n")})),
            1);
  // XMP in an iTXt chunk
  const std::string xmp = xmp_packet("tiff:Orientation=\"8\">");
  EXPECT_EQ(orientation_of_file("x.png",
                                png({chunk("iTXt", "XML:com.adobe.xmp" + std::string(5, '\0') +
                                                       xmp)})),
            8);
}

TEST_F(OrientationFileTest, WebpExifAndXmpChunksNeedTheirVp8xFlags) {
  const std::string block = orientation_block(true, 6);
  EXPECT_EQ(orientation_of_file("a.webp", webp(0x08, {riff_chunk("EXIF", block)})), 6);
  EXPECT_EQ(orientation_of_file("b.webp",
                                webp(0x08, {riff_chunk("EXIF", kExifHead +
                                                                   orientation_block(false, 2))})),
            2);
  // libwebp's demuxer (Pillow's) drops chunks the header does not announce
  EXPECT_EQ(orientation_of_file("c.webp", webp(0x00, {riff_chunk("EXIF", block)})), 1);
  // the first EXIF chunk counts; odd sizes are padded
  EXPECT_EQ(orientation_of_file("d.webp",
                                webp(0x08, {riff_chunk("ICCP", "odd"), riff_chunk("EXIF", block),
                                            riff_chunk("EXIF", orientation_block(true, 3))})),
            6);
  const std::string xmp = xmp_packet("><tiff:Orientation>5</tiff:Orientation>");
  EXPECT_EQ(orientation_of_file("x.webp", webp(0x04, {riff_chunk("XMP ", xmp)})), 5);
  EXPECT_EQ(orientation_of_file("y.webp", webp(0x08, {riff_chunk("XMP ", xmp)})), 1);
}

TEST_F(OrientationFileTest, TiffOrientationTagClassicAndBigTiff) {
  for (bool little : {true, false})
    for (bool big : {false, true})
      for (unsigned k = 1; k <= 8; ++k) {
        SCOPED_TRACE(std::string(little ? "II" : "MM") + (big ? " big " : " ") + std::to_string(k));
        const std::string file = tiff_block(
            little, {{256, 3, 1, shorts(little, {3})}, {274, 3, 1, shorts(little, {k})}}, big);
        EXPECT_EQ(orientation_of_file("a.tif", file), int(k));
      }
  // the XMP tag when there is no Orientation tag
  const std::string xmp = xmp_packet("tiff:Orientation=\"7\">");
  EXPECT_EQ(orientation_of_file("x.tif",
                                tiff_block(true, {{700, 1, xmp.size(), xmp}})),
            7);
  EXPECT_EQ(orientation_of_file("y.tif",
                                tiff_block(true, {{274, 3, 1, shorts(true, {4})},
                                                  {700, 1, xmp.size(), xmp}})),
            4);
}

TEST_F(OrientationFileTest, ValueTypesAsPillowComparesThem) {
  const auto with = [](std::vector<Entry> entries) {
    return jpeg({segment(0xE1, kExifHead + tiff_block(true, entries))});
  };
  const std::string f = float_bytes(true, 6.0f), d = double_bytes(true, 6.0),
                    d2 = double_bytes(true, 6.5);
  struct Case { const char* what; std::vector<Entry> entries; int want; };
  const Case cases[] = {
      {"LONG", {{274, 4, 1, longs(true, {6})}}, 6},
      {"SSHORT", {{274, 8, 1, shorts(true, {5})}}, 5},
      {"SLONG", {{274, 9, 1, longs(true, {8})}}, 8},
      {"SBYTE", {{274, 6, 1, "\x03"}}, 3},
      {"RATIONAL 12/2", {{274, 5, 1, longs(true, {12, 2})}}, 6},
      {"RATIONAL 13/2", {{274, 5, 1, longs(true, {13, 2})}}, 1},
      {"RATIONAL 6/0", {{274, 5, 1, longs(true, {6, 0})}}, 1},
      {"SRATIONAL -14/-2", {{274, 10, 1, longs(true, {0xFFFFFFF2u, 0xFFFFFFFEu})}}, 7},
      {"FLOAT 6.0", {{274, 11, 1, f}}, 6},
      {"DOUBLE 6.0", {{274, 12, 1, d}}, 6},
      {"DOUBLE 6.5", {{274, 12, 1, d2}}, 1},
      {"BYTE (bytes to Pillow)", {{274, 1, 1, "\x06"}}, 1},
      {"ASCII", {{274, 2, 2, "6\0"}}, 1},
      {"UNDEFINED", {{274, 7, 1, "\x06"}}, 1},
      {"SHORT 0", {{274, 3, 1, shorts(true, {0})}}, 1},
      {"SHORT 9", {{274, 3, 1, shorts(true, {9})}}, 1},
      {"two SHORTs: the first", {{274, 3, 2, shorts(true, {6, 3})}}, 6},
      {"three SHORTs, out of line", {{274, 3, 3, shorts(true, {8, 3, 3})}}, 8},
      {"unknown type, then a good entry",
       {{274, 99, 1, "\x06"}, {274, 3, 1, shorts(true, {3})}}, 3},
      {"count 0, then a good entry", {{274, 3, 0, ""}, {274, 3, 1, shorts(true, {3})}}, 3},
      {"a good entry, then another",
       {{274, 3, 1, shorts(true, {2})}, {274, 3, 1, shorts(true, {3})}}, 2},
      {"BYTE, then SHORT: the BYTE stays",
       {{274, 1, 1, "\x06"}, {274, 3, 1, shorts(true, {3})}}, 1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_EQ(orientation_of_file("v.jpg", with(c.entries)), c.want);
  }
}

TEST_F(OrientationFileTest, MalformedBlocksGiveOneWithoutErrors) {
  const std::string good = orientation_block(true, 6);
  std::vector<std::pair<std::string, std::string>> blocks = {
      {"empty", ""},
      {"header only", good.substr(0, 8)},
      {"short header", good.substr(0, 5)},
      {"bad byte order", "XX" + good.substr(2)},
      {"BigTIFF header in EXIF", tiff_block(true, {{274, 3, 1, shorts(true, {6})}}, true)},
      {"IFD offset past the end", good.substr(0, 4) + longs(true, {0xFFFFFFF0u}) + good.substr(8)},
      {"IFD offset at the end", good.substr(0, 4) + longs(true, {std::uint32_t(good.size())}) +
                                    good.substr(8)},
      {"entries cut before the Orientation", good.substr(0, 8 + 2 + 12 + 5)},
      {"huge entry count", good.substr(0, 8) + shorts(true, {0xFFFF}) + good.substr(10, 12)},
      {"out-of-line value past the end",
       tiff_block(true, {{274, 3, 3, "", std::uint64_t(0xFFFFFFF0u)}})},
      {"out-of-line value overlapping the end", tiff_block(true, {{274, 3, 40, "", 30}})},
      {"IFD pointing at itself (a loop)", tiff_block(true, {{34665, 4, 1, longs(true, {8})}})},
  };
  // a count whose size wraps 32 bits must not read anything
  blocks.push_back({"count * size overflows", tiff_block(true, {{274, 5, 0x20000001u, "", 8}})});
  for (const auto& [what, block] : blocks) {
    SCOPED_TRACE(what);
    EXPECT_EQ(orientation_of_file("m.jpg", jpeg({segment(0xE1, kExifHead + block)})), 1);
    EXPECT_EQ(orientation_of_file("m.png", png({chunk("eXIf", block)})), 1);
    EXPECT_EQ(orientation_of_file("m.webp", webp(0x08, {riff_chunk("EXIF", block)})), 1);
  }
  // entries before a cut stay: Pillow keeps what it read before "Corrupt EXIF data"
  EXPECT_EQ(orientation_of_file("cut.jpg",
                                jpeg({segment(0xE1, kExifHead + good.substr(0, 8 + 2 + 12 * 2))})),
            6);
  // truncated files
  const std::string j = jpeg({segment(0xE1, kExifHead + good)});
  for (std::size_t n : {std::size_t(0), std::size_t(1), std::size_t(3), std::size_t(20),
                        std::size_t(40), std::size_t(60)})
    EXPECT_EQ(orientation_of_file("t.jpg", j.substr(0, n)), 1) << n;
  // a segment length below 2, a length past the end
  EXPECT_EQ(orientation_of_file("l.jpg", std::string("\xFF\xD8\xFF\xE1\x00\x01\xFF\xD9", 8)),
            1);
  EXPECT_EQ(orientation_of_file("l2.jpg", std::string("\xFF\xD8\xFF\xE1\xFF\xF0" "Exif", 10)),
            1);
  // a PNG chunk length past the end, a WebP chunk size past the end
  std::string p = png({chunk("eXIf", good)});
  p[8 + 25] = char(0x7F);  // the eXIf chunk's length: huge
  EXPECT_EQ(orientation_of_file("l.png", p), 1);
  std::string w = webp(0x08, {riff_chunk("EXIF", good)});
  w[w.size() - good.size() - 1] = char(0x7F);
  EXPECT_EQ(orientation_of_file("l.webp", w), 1);
  // a TIFF whose IFD offset points into its header, or past the end
  EXPECT_EQ(orientation_of_file("s.tif", std::string("II\x2a\x00\x00\x00\x00\x00", 8)), 1);
  EXPECT_EQ(orientation_of_file("e.tif", std::string("MM\x00\x2a\x7f\xff\xff\xff", 8)), 1);
}

TEST_F(OrientationFileTest, MissingForeignAndEmptyFilesGiveOne) {
  EXPECT_EQ(read_exif_orientation(path("missing.jpg")), 1);
  EXPECT_EQ(read_exif_orientation(dir_.string()), 1);  // a folder
  EXPECT_EQ(orientation_of_file("empty.jpg", ""), 1);
  EXPECT_EQ(orientation_of_file("a.npy", "\x93NUMPY\x01\x00"), 1);
  EXPECT_EQ(orientation_of_file("a.pgm", "P5\n1 1\n255\n\x06"), 1);
  // the format comes from the bytes, not the extension
  EXPECT_EQ(orientation_of_file("really_a_jpeg.png",
                                jpeg({segment(0xE1, kExifHead + orientation_block(true, 8))})),
            8);
}

// Random damage to valid files of every kind: never a crash, always 1..8. Built with
// -fsanitize=address,undefined this also shows no read outside the buffer.
TEST(ExifOrientationFuzz, DamagedFilesNeverCrash) {
  const std::string block = orientation_block(true, 6);
  const std::string xmp = xmp_packet("tiff:Orientation=\"7\">");
  const std::string seeds[] = {
      jpeg({segment(0xE1, kExifHead + block), segment(0xE1, kXmpHead + xmp)}),
      png({chunk("eXIf", block),
           chunk("zTXt", "Raw profile type exif" + std::string(2, '\0') +
                             deflate(raw_profile(kExifHead + block)))}),
      webp(0x0C, {riff_chunk("EXIF", block), riff_chunk("XMP ", xmp)}),
      tiff_block(false, {{274, 3, 3, shorts(false, {5, 1, 1})}, {700, 7, xmp.size(), xmp}}, true),
      tiff_block(true, {{282, 5, 1, longs(true, {72, 1})}, {274, 12, 1, double_bytes(true, 2.0)}}),
  };
  std::mt19937 rng(12345);
  for (const std::string& seed : seeds) {
    const int original = exif_orientation_of_bytes(seed);
    EXPECT_GE(original, 2);
    for (int round = 0; round < 3000; ++round) {
      std::string s = seed;
      const int edits = 1 + int(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const std::size_t at = rng() % s.size();
        switch (rng() % 4) {
          case 0: s[at] = char(rng()); break;
          case 1: s[at] = char(rng() % 2 ? 0xFF : 0x00); break;
          case 2: s.resize(at); break;
          default: s.insert(at, std::string(1 + rng() % 8, char(rng())));
        }
        if (s.empty()) s = "\xFF";
      }
      const int k = exif_orientation_of_bytes(s);
      ASSERT_GE(k, 1);
      ASSERT_LE(k, 8);
    }
  }
}

}  // namespace
}  // namespace convkit::io
