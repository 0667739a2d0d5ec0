#include "io/npy.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "convkit/error.h"

namespace convkit::io {
namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr std::size_t kMagicSize = 6;
constexpr char kNativeOrder = std::endian::native == std::endian::little ? '<' : '>';

struct CloseFile {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, CloseFile>;

[[noreturn]] void io_fail(const std::string& path, const std::string& what) {
  throw IoError("'" + path + "': " + what);
}

[[noreturn]] void bad_header(const std::string& path, const std::string& what) {
  throw IoError("'" + path + "': malformed .npy header: " + what);
}

struct Header {
  std::string descr;
  bool fortran_order = false;
  std::vector<std::int64_t> shape;
  bool has_descr = false, has_shape = false;
};

// The header is a Python dict literal written by NumPy's repr; a tiny recursive-descent parser
// over the few forms it can contain is safer than searching for substrings.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, const std::string& path, const char* parameter)
      : s_(text), path_(path), parameter_(parameter) {}

  Header parse() {
    Header h;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') break;
      std::string key = parse_string();
      expect(':');
      skip_space();
      if (key == "descr") {
        if (peek() == '[') {
          throw Error(parameter_, "'" + path_ +
                                   "': structured .npy arrays are not supported (convkit needs "
                                   "a plain numeric dtype)");
        }
        h.descr = parse_string();
        h.has_descr = true;
      } else if (key == "fortran_order") {
        h.fortran_order = parse_bool();
      } else if (key == "shape") {
        h.shape = parse_tuple();
        h.has_shape = true;
      } else {
        bad_header(path_, "unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != '}') bad_header(path_, "expected ',' or '}' after '" + key + "'");
    }
    if (!h.has_descr || !h.has_shape) bad_header(path_, "missing 'descr' or 'shape'");
    return h;
  }

 private:
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) bad_header(path_, std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parse_string() {
    skip_space();
    char quote = peek();
    if (quote != '\'' && quote != '"') bad_header(path_, "expected a quoted string");
    std::size_t end = s_.find(quote, pos_ + 1);
    if (end == std::string_view::npos) bad_header(path_, "unterminated string");
    std::string out(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return out;
  }
  bool parse_bool() {
    if (s_.substr(pos_, 4) == "True") {
      pos_ += 4;
      return true;
    }
    if (s_.substr(pos_, 5) == "False") {
      pos_ += 5;
      return false;
    }
    bad_header(path_, "expected True or False");
  }
  std::vector<std::int64_t> parse_tuple() {
    expect('(');
    std::vector<std::int64_t> dims;
    while (true) {
      skip_space();
      if (peek() == ')') break;
      if (peek() < '0' || peek() > '9') bad_header(path_, "shape entries must be integers");
      std::int64_t v = 0;
      while (peek() >= '0' && peek() <= '9') {
        if (v > (std::numeric_limits<std::int64_t>::max() - 9) / 10)
          bad_header(path_, "shape entry too large");
        v = v * 10 + (s_[pos_++] - '0');
      }
      if (peek() == 'L') ++pos_;  // Python 2 long literal in old files
      dims.push_back(v);
      skip_space();
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      if (peek() != ')') bad_header(path_, "expected ',' or ')' in shape");
    }
    ++pos_;
    return dims;
  }

  std::string_view s_;
  const std::string& path_;
  const char* parameter_;
  std::size_t pos_ = 0;
};

struct TypeCode {
  char kind;
  int bytes;
  DType dtype;
};
constexpr TypeCode kTypeCodes[] = {
    {'u', 1, DType::u8},  {'u', 2, DType::u16}, {'i', 2, DType::i16},  {'i', 4, DType::i32},
    {'f', 4, DType::f32}, {'f', 8, DType::f64}, {'c', 8, DType::c64}, {'c', 16, DType::c128},
};

// Returns the dtype and whether the file's byte order differs from this machine's.
std::pair<DType, bool> parse_descr(const std::string& descr, const std::string& path,
                                  const char* parameter) {
  auto unsupported = [&]() -> std::pair<DType, bool> {
    throw Error(parameter, "'" + path + "': unsupported .npy dtype '" + descr +
                               "'; convkit reads uint8, uint16, int16, int32, float32, float64, "
                               "complex64 and complex128 (convert with arr.astype(...))");
  };
  if (descr.size() < 3) return unsupported();
  char order = descr[0];
  if (order != '<' && order != '>' && order != '|' && order != '=') return unsupported();
  char kind = descr[1];
  int bytes = 0;
  for (std::size_t i = 2; i < descr.size(); ++i) {
    if (descr[i] < '0' || descr[i] > '9' || bytes > 1000) return unsupported();
    bytes = bytes * 10 + (descr[i] - '0');
  }
  for (const auto& c : kTypeCodes) {
    if (c.kind != kind || c.bytes != bytes) continue;
    // '|' (not applicable) is only legal for single bytes; NumPy never writes it otherwise.
    if (order == '|' && bytes != 1) return unsupported();
    bool swap = bytes > 1 && (order == '<' || order == '>') && order != kNativeOrder;
    return {c.dtype, swap};
  }
  return unsupported();
}

void byte_swap(void* data, std::size_t count, std::size_t scalar_bytes) {
  auto* p = static_cast<unsigned char*>(data);
  for (std::size_t i = 0; i < count; ++i, p += scalar_bytes) std::reverse(p, p + scalar_bytes);
}

std::uint64_t read_le(const unsigned char* p, int n) {
  std::uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string shape_literal(std::span<const std::int64_t> shape) {
  std::ostringstream os;
  os << '(';
  for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? ", " : "") << shape[i];
  if (shape.size() == 1) os << ',';
  os << ')';
  return os.str();
}

const char* descr_of(DType t) {
  switch (t) {
    case DType::u8: return "u1";
    case DType::u16: return "u2";
    case DType::i16: return "i2";
    case DType::i32: return "i4";
    case DType::f32: return "f4";
    case DType::f64: return "f8";
    case DType::c64: return "c8";
    default: return "c16";
  }
}

}  // namespace

const void* contiguous_data(ConstTensorView t, Tensor& storage) {
  if (t.is_contiguous()) return t.data();
  std::span<const std::int64_t> shape(t.geometry().shape.data(), std::size_t(t.rank()));
  storage = Tensor(t.dtype(), shape);
  copy(t, storage.view());
  return storage.data();
}

NpyHeader read_npy_header(std::FILE* f, const std::string& path, const char* parameter) {
  unsigned char pre[12];
  std::size_t got = std::fread(pre, 1, 10, f);
  if (got >= kMagicSize && std::memcmp(pre, kMagic, kMagicSize) != 0)
    throw Error(parameter, "'" + path + "' is not an .npy file (bad magic)");
  if (got < 10) io_fail(path, "truncated .npy file (no complete header)");
  int major = pre[6];
  std::uint64_t header_len = 0;
  if (major == 1) {
    header_len = read_le(pre + 8, 2);
  } else if (major == 2 || major == 3) {
    if (std::fread(pre + 10, 1, 2, f) != 2) io_fail(path, "truncated .npy file");
    header_len = read_le(pre + 8, 4);
  } else {
    throw Error(parameter, "'" + path + "': unsupported .npy format version " +
                             std::to_string(major) + "." + std::to_string(pre[7]));
  }
  if (header_len > (1u << 24)) bad_header(path, "implausible header length");
  std::string text(header_len, '\0');
  if (std::fread(text.data(), 1, header_len, f) != header_len)
    io_fail(path, "truncated .npy file (header cut short)");

  Header h = HeaderParser(text, path, parameter).parse();
  NpyHeader out;
  std::tie(out.dtype, out.swap) = parse_descr(h.descr, path, parameter);
  const int rank = int(h.shape.size());
  if (rank < 1 || rank > kMaxRank) {
    throw Error(parameter, "'" + path + "': .npy array has rank " + std::to_string(rank) +
                             "; convkit reads ranks 1 to " + std::to_string(kMaxRank));
  }

  // Check the size against the file before anyone allocates or maps it, so a corrupt header
  // cannot ask for terabytes.
  const std::uint64_t item = dtype_size(out.dtype);
  // The extents other than 0 count too: a (0, 2**62, 2**62) array holds nothing, but its
  // strides would overflow (Geometry keeps them as int64).
  constexpr auto kMaxExtent = std::uint64_t(std::numeric_limits<std::int64_t>::max());
  std::uint64_t count = 1, nonzero = 1;
  for (auto d : h.shape) {
    if (d == 0) {
      count = 0;
      continue;
    }
    if (nonzero > kMaxExtent / item / std::uint64_t(d))
      bad_header(path, "shape too large");
    nonzero *= std::uint64_t(d);
    count *= std::uint64_t(d);
  }
  const std::uint64_t bytes = count * item;
  long here = std::ftell(f);
  if (std::fseek(f, 0, SEEK_END) != 0) io_fail(path, "cannot seek");
  long end = std::ftell(f);
  if (here < 0 || end < 0 || std::fseek(f, here, SEEK_SET) != 0) io_fail(path, "cannot seek");
  if (std::uint64_t(end - here) < bytes) {
    io_fail(path, "truncated .npy file (expected " + std::to_string(bytes) + " data bytes, found " +
                      std::to_string(end - here) + ")");
  }
  out.fortran_order = h.fortran_order;
  out.shape = std::move(h.shape);
  out.data_offset = std::uint64_t(here);
  out.data_bytes = bytes;
  return out;
}

void swap_npy_bytes(void* data, std::size_t count, DType dtype) {
  const std::size_t item = dtype_size(dtype);
  const std::size_t scalar = is_complex(dtype) ? item / 2 : item;
  if (scalar > 1) byte_swap(data, count * (item / scalar), scalar);
}

Tensor read_npy(const std::string& path, const char* parameter) {
  File f(std::fopen(path.c_str(), "rb"));
  if (!f) io_fail(path, std::string("cannot open: ") + std::strerror(errno));
  const NpyHeader h = read_npy_header(f.get(), path, parameter);
  const DType dtype = h.dtype;
  const int rank = int(h.shape.size());
  const std::uint64_t bytes = h.data_bytes;

  // Fortran order is C order of the reversed shape; read that, then transpose into C order.
  std::vector<std::int64_t> file_shape = h.shape;
  if (h.fortran_order) std::reverse(file_shape.begin(), file_shape.end());
  Tensor raw(dtype, std::span<const std::int64_t>(file_shape));
  if (bytes && std::fread(raw.data(), 1, bytes, f.get()) != bytes)
    io_fail(path, std::string("read failed: ") + std::strerror(errno));
  if (h.swap) swap_npy_bytes(raw.data(), std::size_t(raw.numel()), dtype);
  if (!h.fortran_order || rank == 1) return raw;

  std::array<std::int64_t, kMaxRank> strides{};
  for (int i = 0; i < rank; ++i) strides[i] = raw.geometry().strides[rank - 1 - i];
  ConstTensorView transposed(raw.data(), dtype, std::span<const std::int64_t>(h.shape),
                             std::span<const std::int64_t>(strides.data(), std::size_t(rank)));
  Tensor out(dtype, std::span<const std::int64_t>(h.shape));
  copy(transposed, out.view());
  return out;
}

void write_file(const std::string& path, std::string_view header, const void* data,
                std::size_t bytes) {
  errno = 0;
  File f(std::fopen(path.c_str(), "wb"));
  if (!f) io_fail(path, std::string("cannot create: ") + std::strerror(errno));
  // fwrite's buffer must not be null even for 0 bytes (an empty header's data() may be).
  bool ok = (header.empty() ||
             std::fwrite(header.data(), 1, header.size(), f.get()) == header.size()) &&
            (bytes == 0 || std::fwrite(data, 1, bytes, f.get()) == bytes);
  int err = errno;
  ok = (std::fclose(f.release()) == 0) && ok;
  if (!ok) {
    if (err == 0) err = errno ? errno : EIO;
    std::remove(path.c_str());
    io_fail(path, std::string("write failed: ") + std::strerror(err));
  }
}

std::string npy_header(DType dtype, std::span<const std::int64_t> shape) {
  char order = dtype_size(dtype) == 1 ? '|' : kNativeOrder;
  std::string header = std::string("{'descr': '") + order + descr_of(dtype) +
                       "', 'fortran_order': False, 'shape': " + shape_literal(shape) + ", }";
  // NumPy pads with spaces and ends with '\n' so that the data is 64-byte aligned.
  std::size_t total = kMagicSize + 4 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');

  std::string prefix(kMagic, kMagicSize);
  prefix.push_back('\x01');
  prefix.push_back('\x00');
  prefix.push_back(char(header.size() & 0xff));
  prefix.push_back(char((header.size() >> 8) & 0xff));
  return prefix + header;
}

void write_npy(const std::string& path, ConstTensorView t) {
  if (t.rank() < 1 || t.rank() > kMaxRank) {
    throw Error("output", "'" + path + "': cannot write a rank-" + std::to_string(t.rank()) +
                              " array (ranks 1 to " + std::to_string(kMaxRank) + ")");
  }
  Tensor storage;
  const void* data = contiguous_data(t, storage);
  const std::span<const std::int64_t> shape(t.geometry().shape.data(), std::size_t(t.rank()));
  write_file(path, npy_header(t.dtype(), shape), data,
             std::size_t(t.numel()) * dtype_size(t.dtype()));
}

}  // namespace convkit::io
