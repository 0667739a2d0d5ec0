#include "io/orientation.h"

// zlib: the compressed PNG text chunks (zTXt, compressed iTXt); libpng already links it.
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

#include "convkit/error.h"

namespace convkit::io {
namespace {

using Byte = unsigned char;

// The most we hold in memory for one piece of metadata (a joined EXIF block, an XMP packet, a
// text chunk); a larger one is ignored. Pillow reads any size; no camera or editor comes near.
constexpr std::uint64_t kMaxBlock = std::uint64_t(64) << 20;
// Pillow's PngImagePlugin.MAX_TEXT_CHUNK: a compressed text chunk inflating to more is refused.
constexpr std::size_t kMaxInflated = std::size_t(1) << 20;

// --- the file's bytes, read anywhere with bounds checks -----------------------------------------

class Bytes {
 public:
  virtual ~Bytes() = default;
  std::uint64_t size() const { return size_; }
  /// Copies [offset, offset + n) to `out`; false (and nothing read) unless all of it is inside.
  bool read(std::uint64_t offset, void* out, std::uint64_t n) {
    if (offset > size_ || n > size_ - offset) return false;
    return n == 0 || fetch(offset, static_cast<Byte*>(out), std::size_t(n));
  }
  /// [offset, offset + n) as a string; false when not all inside or larger than kMaxBlock.
  bool read_string(std::uint64_t offset, std::uint64_t n, std::string& out) {
    if (offset > size_ || n > size_ - offset || n > kMaxBlock) return false;
    out.resize(std::size_t(n));
    return read(offset, out.data(), n);
  }
  /// True when [offset, offset + n) is inside.
  bool has(std::uint64_t offset, std::uint64_t n) const {
    return offset <= size_ && n <= size_ - offset;
  }

 protected:
  virtual bool fetch(std::uint64_t offset, Byte* out, std::size_t n) = 0;
  std::uint64_t size_ = 0;
};

class MemoryBytes final : public Bytes {
 public:
  explicit MemoryBytes(std::string_view s) : s_(s) { size_ = s.size(); }

 private:
  bool fetch(std::uint64_t offset, Byte* out, std::size_t n) override {
    std::memcpy(out, s_.data() + offset, n);
    return true;
  }
  std::string_view s_;
};

// A file read through a 64 KiB window, so that JPEG's byte-at-a-time marker scan stays cheap and
// a PNG's or TIFF's jumps cost one read each.
class FileBytes final : public Bytes {
 public:
  explicit FileBytes(const std::string& path) : f_(std::fopen(path.c_str(), "rb")) {
    if (f_ && fseeko(f_.get(), 0, SEEK_END) == 0) {
      const off_t end = ftello(f_.get());
      if (end > 0) size_ = std::uint64_t(end);
    }
  }
  bool ok() const { return f_ != nullptr; }

 private:
  static constexpr std::size_t kWindow = 1 << 16;
  struct Close {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  bool load(std::uint64_t offset, Byte* out, std::size_t n) {
    return fseeko(f_.get(), off_t(offset), SEEK_SET) == 0 &&
           std::fread(out, 1, n, f_.get()) == n;
  }
  bool fetch(std::uint64_t offset, Byte* out, std::size_t n) override {
    if (n > kWindow) return load(offset, out, n);
    if (offset < start_ || offset - start_ + n > window_.size()) {
      window_.resize(std::size_t(std::min<std::uint64_t>(kWindow, size_ - offset)));
      start_ = offset;
      if (!load(offset, window_.data(), window_.size())) {
        window_.clear();
        return false;
      }
    }
    std::memcpy(out, window_.data() + (offset - start_), n);
    return true;
  }

  std::unique_ptr<std::FILE, Close> f_;
  std::vector<Byte> window_;
  std::uint64_t start_ = 0;
};

// --- TIFF structures (EXIF blocks are TIFF files too) -------------------------------------------

struct Endian {
  bool little;
  std::uint16_t u16(const Byte* p) const {
    return std::uint16_t(little ? p[0] | p[1] << 8 : p[0] << 8 | p[1]);
  }
  std::uint32_t u32(const Byte* p) const {
    const std::uint32_t a = u16(p), b = u16(p + 2);
    return little ? a | b << 16 : a << 16 | b;
  }
  std::uint64_t u64(const Byte* p) const {
    const std::uint64_t a = u32(p), b = u32(p + 4);
    return little ? a | b << 32 : a << 32 | b;
  }
};

// TIFF's field types and their sizes, as far as Pillow reads them (others are skipped).
std::uint64_t unit_size(unsigned type) {
  switch (type) {
    case 1: case 2: case 6: case 7: return 1;  // BYTE ASCII SBYTE UNDEFINED
    case 3: case 8: return 2;                  // SHORT SSHORT
    case 4: case 9: case 11: case 13: return 4;  // LONG SLONG FLOAT IFD
    case 5: case 10: case 12: case 16: return 8;  // RATIONAL SRATIONAL DOUBLE LONG8
    default: return 0;
  }
}

template <class T>
int orientation_in_range(T v) {
  return v >= 2 && v <= 8 ? int(v) : 1;
}

int orientation_whole(double v) {
  return v >= 2 && v <= 8 && v == double(int(v)) ? int(v) : 1;
}

// The first value of an Orientation entry, as Pillow compares it with 2..8: a number equal to
// one of them (6, 6.0 or 12/2 alike) counts; bytes and text (BYTE, ASCII, UNDEFINED) never do.
int orientation_value(unsigned type, const Byte* p, const Endian& e) {
  switch (type) {
    case 3: return orientation_in_range(e.u16(p));
    case 4: case 13: return orientation_in_range(e.u32(p));
    case 16: return orientation_in_range(e.u64(p));
    case 6: return orientation_in_range(std::int8_t(p[0]));
    case 8: return orientation_in_range(std::int16_t(e.u16(p)));
    case 9: return orientation_in_range(std::int32_t(e.u32(p)));
    case 5: {
      const std::uint64_t n = e.u32(p), d = e.u32(p + 4);
      return d != 0 && n % d == 0 ? orientation_in_range(n / d) : 1;
    }
    case 10: {
      const std::int64_t n = std::int32_t(e.u32(p)), d = std::int32_t(e.u32(p + 4));
      return d != 0 && n % d == 0 ? orientation_in_range(n / d) : 1;
    }
    case 11: {
      const std::uint32_t bits = e.u32(p);
      float f;
      std::memcpy(&f, &bits, sizeof f);
      return orientation_whole(f);
    }
    case 12: {
      const std::uint64_t bits = e.u64(p);
      double d;
      std::memcpy(&d, &bits, sizeof d);
      return orientation_whole(d);
    }
    default: return 1;
  }
}

constexpr unsigned kOrientationTag = 274, kXmpTag = 700;

struct IfdTags {
  bool has_orientation = false;  ///< an Orientation entry Pillow keeps (its value may be 1)
  int orientation = 1;
  bool has_xmp = false;  ///< an XMP entry (TIFF files)
  std::string xmp;
};

// The entries of the IFD at `offset` that concern us, read as Pillow's
// ImageFileDirectory_v2.load reads them: the first entry of a tag with a known type and data
// wins; out-of-line data past the end (or past the stream's size in total) is skipped, a
// truncated entry or out-of-line read ends the directory with the entries read so far.
IfdTags scan_ifd(Bytes& src, const Endian& e, bool bigtiff, std::uint64_t offset, bool want_xmp) {
  IfdTags r;
  const std::uint64_t limit = src.size();
  Byte b[20];
  std::uint64_t count;
  if (!src.read(offset, b, bigtiff ? 8 : 2)) return r;
  count = bigtiff ? e.u64(b) : e.u16(b);
  const std::uint64_t entry_size = bigtiff ? 20 : 12, inline_size = bigtiff ? 8 : 4;
  std::uint64_t pos = offset + (bigtiff ? 8 : 2);
  std::vector<bool> seen(65536);
  std::uint64_t total = 0;  // out-of-line bytes so far (saturating)
  for (std::uint64_t i = 0; i < count; ++i, pos += entry_size) {
    if (!src.read(pos, b, entry_size)) break;  // each read moves forward: ends at the end
    const unsigned tag = e.u16(b), type = e.u16(b + 2);
    const std::uint64_t n = bigtiff ? e.u64(b + 4) : e.u32(b + 4);
    const Byte* field = b + (bigtiff ? 12 : 8);
    if (seen[tag]) continue;
    const std::uint64_t unit = unit_size(type);
    if (unit == 0) continue;
    const std::uint64_t size = n > UINT64_MAX / unit ? UINT64_MAX : n * unit;
    const bool is_inline = size <= inline_size;
    std::uint64_t at = 0;
    if (!is_inline) {
      at = bigtiff ? e.u64(field) : e.u32(field);
      if (at >= std::uint64_t(1) << 63) continue;
      total = size > UINT64_MAX - total ? UINT64_MAX : total + size;
      if (total > limit) continue;
      if (!src.has(at, size)) break;
    }
    if (size == 0) continue;
    seen[tag] = true;
    if (tag == kOrientationTag) {
      Byte first[8];
      if (is_inline)
        std::memcpy(first, field, unit);
      else if (!src.read(at, first, unit))
        break;
      r.has_orientation = true;
      r.orientation = orientation_value(type, first, e);
      return r;  // the XMP packet only counts without an Orientation entry
    }
    if (tag == kXmpTag && want_xmp) {
      r.has_xmp = true;
      if (type == 1 || type == 7) {  // bytes; as text or numbers Pillow cannot search it
        if (is_inline)
          r.xmp.assign(reinterpret_cast<const char*>(field), std::size_t(size));
        else if (!src.read_string(at, size, r.xmp))
          r.xmp.clear();
      }
    }
  }
  return r;
}

bool tiff_prefix(const Byte* p) {
  // Pillow's TiffImagePlugin.PREFIXES, two "invalid" byte orders included
  static constexpr const char* kPrefixes[] = {"MM\x00\x2a", "II\x2a\x00", "MM\x2a\x00",
                                              "II\x00\x2a", "MM\x00\x2b", "II\x2b\x00"};
  for (const char* prefix : kPrefixes)
    if (std::memcmp(p, prefix, 4) == 0) return true;
  return false;
}

struct ExifTags {
  bool broken = false;  ///< Pillow fails on it (a bad header)
  bool has_orientation = false;
  int orientation = 1;
};

// An EXIF block (Pillow's Image.Exif.load): an optional "Exif\0\0" (once or twice), then a
// classic TIFF header and IFD0 with offsets from the header.
ExifTags parse_exif(std::string_view data) {
  ExifTags r;
  static constexpr std::string_view kExif("Exif\0\0", 6);
  for (int k = 0; k < 2 && data.substr(0, 6) == kExif; ++k) data.remove_prefix(6);
  if (data.empty()) return r;
  const auto* p = reinterpret_cast<const Byte*>(data.data());
  // Pillow reads an 8-byte header: too short, an unknown prefix or BigTIFF's is an exception
  if (data.size() < 8 || !tiff_prefix(p) || p[2] == 0x2b) {
    r.broken = true;
    return r;
  }
  const Endian e{p[0] == 'I'};
  MemoryBytes src(data);
  const IfdTags t = scan_ifd(src, e, false, e.u32(p + 4), false);
  r.has_orientation = t.has_orientation;
  r.orientation = t.orientation;
  return r;
}

// Pillow's search of an XMP packet: the first tiff:Orientation="d" or tiff:Orientation>d.
std::optional<int> xmp_orientation(std::string_view xmp) {
  static constexpr std::string_view kKey = "tiff:Orientation";
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  for (std::size_t at = xmp.find(kKey); at != std::string_view::npos;
       at = xmp.find(kKey, at + 1)) {
    const std::string_view rest = xmp.substr(at + kKey.size());
    if (rest.size() >= 2 && rest[0] == '>' && digit(rest[1])) return rest[1] - '0';
    if (rest.size() >= 3 && rest[0] == '=' && rest[1] == '"' && digit(rest[2]))
      return rest[2] - '0';
  }
  return std::nullopt;
}

// What a file holds, as Pillow's Image.getexif finds it.
struct Metadata {
  std::optional<std::string> exif;  ///< an EXIF block (info["exif"])
  bool exif_broken = false;         ///< one Pillow cannot read (it raises)
  std::optional<std::string> xmp;   ///< an XMP packet
};

int orientation_of(const Metadata& m) {
  if (m.exif_broken) return 1;
  if (m.exif) {
    const ExifTags t = parse_exif(*m.exif);
    if (t.broken) return 1;
    if (t.has_orientation) return t.orientation;
  }
  if (m.xmp) return orientation_in_range(xmp_orientation(*m.xmp).value_or(1));
  return 1;
}

// --- JPEG: APP1 segments up to the first scan (JpegImagePlugin's marker loop) ----------------

Metadata jpeg_metadata(Bytes& src) {
  Metadata m;
  static constexpr std::string_view kExif("Exif\0\0", 6);
  static constexpr std::string_view kXmp("http://ns.adobe.com/xap/1.0/\0", 29);
  std::uint64_t pos = 3;  // past FF D8 FF: the 0xFF in hand starts the next marker
  const auto next = [&]() -> int {
    Byte b;
    if (!src.read(pos, &b, 1)) return -1;
    ++pos;
    return b;
  };
  int c = 0xFF;
  while (c >= 0) {
    if (c != 0xFF) {  // junk between segments
      c = next();
      continue;
    }
    const int code = next();
    if (code < 0) break;
    if (code == 0xFF) continue;  // fill byte: the 0xFF in hand starts the marker
    if (code == 0x00) {          // an escaped 0xFF
      c = next();
      continue;
    }
    if (code < 0xC0) break;  // not a marker Pillow knows: it gives up on the file
    if (code == 0xC8 || (code >= 0xD0 && code <= 0xD9) || (code >= 0xF0 && code <= 0xFD)) {
      c = next();  // markers without a segment
      continue;
    }
    Byte len[2];
    if (!src.read(pos, len, 2)) break;
    pos += 2;
    const std::int64_t n = std::int64_t(len[0] << 8 | len[1]) - 2;
    if (n > 0) {
      if (!src.has(pos, std::uint64_t(n))) break;  // truncated: Pillow fails to open it
      if (code == 0xE1) {
        std::string s;
        if (!src.read_string(pos, std::uint64_t(n), s)) break;
        const std::string_view v = s;
        if (v.substr(0, 6) == kExif) {
          if (!m.exif)
            m.exif = std::move(s);
          else if (m.exif->size() + v.size() - 6 <= kMaxBlock)
            m.exif->append(v.substr(6));
        } else if (v.substr(0, kXmp.size()) == kXmp) {
          m.xmp = std::string(v.substr(kXmp.size()));
        }
      }
      pos += std::uint64_t(n);
    }
    if (code == 0xDA) break;  // start of scan: the metadata is behind us
    c = next();
  }
  return m;
}

// --- PNG: eXIf and text chunks, before and after the image data -------------------------------

std::uint32_t be32(const Byte* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 | p[3];
}
std::uint32_t le32(const Byte* p) {
  return std::uint32_t(p[3]) << 24 | std::uint32_t(p[2]) << 16 | std::uint32_t(p[1]) << 8 | p[0];
}

enum class Inflate { ok, corrupt, too_large };

// Pillow's _safe_zlib_decompress: at most 1 MiB out (more: ValueError), a corrupt stream is
// zlib.error, a truncated one gives what it holds.
Inflate inflate_text(std::string_view in, std::string& out) {
  out.clear();
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return Inflate::corrupt;
  std::string buffer(kMaxInflated, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = uInt(in.size());
  z.next_out = reinterpret_cast<Bytef*>(buffer.data());
  z.avail_out = uInt(buffer.size());
  const int rc = inflate(&z, Z_SYNC_FLUSH);
  const std::size_t produced = buffer.size() - z.avail_out;
  const bool full = z.avail_out == 0 && z.avail_in > 0;
  inflateEnd(&z);
  if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return Inflate::corrupt;
  if (rc != Z_STREAM_END && full) return Inflate::too_large;
  buffer.resize(produced);
  out = std::move(buffer);
  return Inflate::ok;
}

// Pillow: bytes.fromhex of the 4th and later lines of ImageMagick's "Raw profile type exif"
// text joined; nullopt where fromhex raises.
std::optional<std::string> raw_profile_bytes(std::string_view text) {
  std::size_t at = 0;
  for (int line = 0; line < 3; ++line) {
    at = text.find('\n', at);
    if (at == std::string_view::npos) return std::string();
    ++at;
  }
  const auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  int high = -1;
  for (const char c : text.substr(at)) {
    if (c == '\n') continue;  // the lines are joined first
    if (high < 0 && (c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f')) continue;
    const int h = hex(c);
    if (h < 0) return std::nullopt;
    if (high < 0) {
      high = h;
    } else {
      out.push_back(char(high << 4 | h));
      high = -1;
    }
  }
  if (high >= 0) return std::nullopt;
  return out;
}

// One text chunk's keyword and value (decompressed), as PngImagePlugin's chunk_tEXt / zTXt /
// iTXt hand them to info; false when they set nothing.
bool png_text(std::string_view type, std::string_view s, std::string_view& key,
              std::string& value) {
  const std::size_t nul = s.find('\0');
  key = s.substr(0, nul);
  std::string_view v = nul == std::string_view::npos ? std::string_view() : s.substr(nul + 1);
  if (type == "tEXt") {
    value.assign(v);
    return !key.empty();
  }
  if (type == "zTXt") {
    if (!v.empty() && v[0] != 0) return false;  // an unknown method: Pillow raises
    // zlib.error leaves the text empty; a too large one makes Pillow raise
    if (!v.empty() && inflate_text(v.substr(1), value) == Inflate::too_large) return false;
    if (v.empty()) value.clear();
    return !key.empty();
  }
  // iTXt: keyword, flag, method, language, translated keyword, text
  if (nul == std::string_view::npos || v.size() < 2) return false;
  const int flag = Byte(v[0]), method = Byte(v[1]);
  v.remove_prefix(2);
  const std::size_t lang_end = v.find('\0');
  if (lang_end == std::string_view::npos) return false;
  const std::size_t tk_end = v.find('\0', lang_end + 1);
  if (tk_end == std::string_view::npos) return false;
  v.remove_prefix(tk_end + 1);
  if (flag == 0) {
    value.assign(v);
    return true;
  }
  return method == 0 && inflate_text(v, value) == Inflate::ok;
}

Metadata png_metadata(Bytes& src) {
  Metadata m;
  std::optional<std::string> raw_profile;
  std::uint64_t pos = 8;
  bool image_data = false, animated = false;
  Byte h[8];
  while (src.read(pos, h, 8)) {
    const std::uint64_t length = be32(h);
    const std::string_view type(reinterpret_cast<const char*>(h + 4), 4);
    const bool word = std::all_of(type.begin(), type.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_';
    });
    if (!word || type == "IEND") break;
    if (type == "IDAT") image_data = true;
    if (type == "acTL") animated = true;
    if (type == "fcTL" && image_data && animated) break;  // the next frame's: Pillow stops
    const std::uint64_t data = pos + 8;
    if (!src.has(data, length)) break;  // truncated
    if (type == "eXIf" || type == "tEXt" || type == "zTXt" || type == "iTXt") {
      std::string s;
      if (src.read_string(data, length, s)) {
        if (type == "eXIf") {
          m.exif = std::string("Exif\0\0", 6) + s;
          m.exif_broken = false;
        } else {
          std::string_view key;
          std::string value;
          if (png_text(type, s, key, value)) {
            if (key == "exif") {
              // tEXt gives Pillow bytes; zTXt / iTXt give text, which Exif.load refuses
              m.exif = std::move(value);
              m.exif_broken = type != "tEXt";
            } else if (key == "Raw profile type exif") {
              raw_profile = std::move(value);
            } else if (key == "XML:com.adobe.xmp") {
              m.xmp = std::move(value);
            }
          }
        }
      }
    }
    pos = data + length + 4;  // and the CRC
  }
  if (!m.exif && raw_profile) {
    m.exif = raw_profile_bytes(*raw_profile);
    m.exif_broken = !m.exif;
  }
  return m;
}

// --- WebP: the extended format's EXIF and XMP chunks (libwebp's demuxer) ---------------------

Metadata webp_metadata(Bytes& src) {
  Metadata m;
  Byte h[12];
  if (!src.read(0, h, 12)) return m;
  const std::uint64_t end = std::min<std::uint64_t>(src.size(), std::uint64_t(le32(h + 4)) + 8);
  std::uint64_t pos = 12;
  Byte c[10];
  if (!src.read(pos, c, 8) || std::memcmp(c, "VP8X", 4) != 0) return m;  // a simple file
  const std::uint64_t vp8x = le32(c + 4);
  if (vp8x < 10 || !src.read(pos + 8, c, 1)) return m;
  const int flags = c[0];
  pos += 8 + vp8x + (vp8x & 1);
  bool exif_seen = false, xmp_seen = false;
  while (pos <= end && end - pos >= 8 && src.read(pos, c, 8)) {
    const std::uint64_t size = le32(c + 4), padded = size + (size & 1);
    if (padded > end - pos - 8) break;  // the demuxer refuses the file
    const std::string_view type(reinterpret_cast<const char*>(c), 4);
    std::string s;
    if (type == "EXIF" && (flags & 0x08) && !exif_seen) {
      exif_seen = true;  // the first one, and Pillow ignores it when empty
      if (size > 0 && src.read_string(pos + 8, size, s)) m.exif = std::move(s);
    } else if (type == "XMP " && (flags & 0x04) && !xmp_seen) {
      xmp_seen = true;
      if (size > 0 && src.read_string(pos + 8, size, s)) m.xmp = std::move(s);
    }
    pos += 8 + padded;
  }
  return m;
}

// --- TIFF: the first IFD's Orientation (or XMP) tag --------------------------------------------

int tiff_orientation(Bytes& src) {
  Byte h[16];
  if (!src.read(0, h, 8) || !tiff_prefix(h)) return 1;
  const Endian e{h[0] == 'I'};
  const bool bigtiff = e.u16(h + 2) == 43;
  std::uint64_t ifd = e.u32(h + 4);
  if (bigtiff) {
    if (!src.read(8, h + 8, 8)) return 1;
    ifd = e.u64(h + 8);
  }
  const IfdTags t = scan_ifd(src, e, bigtiff, ifd, true);
  if (t.has_orientation) return t.orientation;
  if (t.has_xmp) return orientation_in_range(xmp_orientation(t.xmp).value_or(1));
  return 1;
}

int orientation_of_file(Bytes& src) {
  Byte head[12] = {};
  const std::uint64_t n = std::min<std::uint64_t>(src.size(), sizeof head);
  if (!src.read(0, head, n)) return 1;
  if (n >= 3 && head[0] == 0xFF && head[1] == 0xD8 && head[2] == 0xFF)
    return orientation_of(jpeg_metadata(src));
  if (n >= 8 && std::memcmp(head, "\x89PNG\r\n\x1a\n", 8) == 0)
    return orientation_of(png_metadata(src));
  if (n >= 12 && std::memcmp(head, "RIFF", 4) == 0 && std::memcmp(head + 8, "WEBP", 4) == 0)
    return orientation_of(webp_metadata(src));
  if (n >= 8 && tiff_prefix(head)) return tiff_orientation(src);
  return 1;
}

}  // namespace

int read_exif_orientation(const std::string& path) noexcept {
  try {
    FileBytes src(path);
    return src.ok() ? orientation_of_file(src) : 1;
  } catch (...) {  // std::bad_alloc: no orientation rather than no image
    return 1;
  }
}

int exif_orientation_of_bytes(std::string_view file_bytes) noexcept {
  try {
    MemoryBytes src(file_bytes);
    return orientation_of_file(src);
  } catch (...) {
    return 1;
  }
}

}  // namespace convkit::io
