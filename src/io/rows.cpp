// Band readers and writers (io/rows.h): the factories, TIFF (TiffReader / TiffWriter), .npy
// (memory-mapped) and binary PGM/PPM (pread); PNG and JPEG are in rows_png_jpeg.cpp.

#include "io/rows.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "convkit/error.h"
#include "io/files.h"
#include "io/npy.h"
#include "io/rows_detail.h"
#include "io/tiff.h"

namespace convkit::io {

// --- RowLayout --------------------------------------------------------------------------------

std::vector<std::int64_t> RowLayout::shape() const { return band_shape(height); }

std::vector<std::int64_t> RowLayout::band_shape(std::int64_t rows) const {
  std::vector<std::int64_t> dims{rows, width};
  if (channels > 0) dims.push_back(channels);
  return dims;
}

std::int64_t RowLayout::row_bytes() const {
  return width * std::max<std::int64_t>(channels, 1) * std::int64_t(dtype_size(dtype));
}

namespace detail {

// --- shared checks and row pointers -----------------------------------------------------------

namespace {

bool fits(const RowLayout& layout, const ConstTensorView& t) {
  if (t.dtype() != layout.dtype || t.rank() != (layout.channels > 0 ? 3 : 2)) return false;
  return t.dim(1) == layout.width && (layout.channels == 0 || t.dim(2) == layout.channels);
}

std::string describe(const ConstTensorView& t) {
  return t.geometry().shape_string() + " " + dtype_name(t.dtype());
}

// Each row's samples lie next to each other, in order (rows may be any distance apart).
bool rows_packed(const ConstTensorView& t) {
  if (t.rank() == 2) return t.dim(1) <= 1 || t.stride(1) == 1;
  return (t.dim(2) <= 1 || t.stride(2) == 1) && (t.dim(1) <= 1 || t.stride(1) == t.dim(2));
}

unsigned char* row_address(const ConstTensorView& t, std::int64_t r) {
  return static_cast<unsigned char*>(const_cast<void*>(t.data())) +
         r * t.stride(0) * std::int64_t(dtype_size(t.dtype()));
}

ConstTensorView packed_view(const void* data, const ConstTensorView& like) {
  const Geometry& g = like.geometry();
  return ConstTensorView(data, like.dtype(),
                         Geometry::contiguous(std::span<const std::int64_t>(
                             g.shape.data(), std::size_t(g.rank))));
}

}  // namespace

void check_dst(const RowLayout& layout, const std::string& path, std::int64_t y0,
               const ConstTensorView& dst) {
  const std::int64_t rows = dst.rank() >= 1 ? dst.dim(0) : 0;
  if (!fits(layout, dst) || y0 < 0 || y0 > layout.height || rows > layout.height - y0) {
    const auto wanted = layout.band_shape(rows);
    throw Error("dst", describe(dst) + " does not fit rows [" + std::to_string(y0) + ", " +
                           std::to_string(y0 + rows) + ") of " + in_quotes(path) + " (" +
                           Geometry::contiguous(wanted).shape_string() + " " +
                           dtype_name(layout.dtype) + " of " + std::to_string(layout.height) +
                           " rows)");
  }
}

void check_band(const RowLayout& layout, const std::string& path, std::int64_t written,
                const ConstTensorView& band) {
  const std::int64_t rows = band.rank() >= 1 ? band.dim(0) : 0;
  if (!fits(layout, band) || rows > layout.height - written) {
    throw Error("band", describe(band) + " does not fit the next rows of " + in_quotes(path) +
                            " (" + std::to_string(written) + " of " +
                            std::to_string(layout.height) + " rows of " +
                            Geometry::contiguous(layout.shape()).shape_string() + " " +
                            dtype_name(layout.dtype) + " written)");
  }
}

void check_next_row(const std::string& path, std::int64_t next, std::int64_t y0) {
  if (y0 != next) {
    throw Error("y0", in_quotes(path) + " is read top to bottom: the next band starts at row " +
                          std::to_string(next) + ", not " + std::to_string(y0));
  }
}

BandRows::BandRows(TensorView dst, std::int64_t row_bytes, std::vector<unsigned char>& scratch)
    : dst_(dst), scratch_(scratch) {
  const std::int64_t rows = dst.dim(0);
  rows_.resize(std::size_t(rows));
  staged_ = !rows_packed(dst);
  if (staged_) scratch.resize(std::size_t(rows * row_bytes));
  for (std::int64_t r = 0; r < rows; ++r)
    rows_[std::size_t(r)] = staged_ ? scratch.data() + r * row_bytes : row_address(dst, r);
}

void BandRows::store() const {
  if (staged_) copy(packed_view(scratch_.data(), dst_), dst_);
}

std::vector<const unsigned char*> packed_rows(ConstTensorView band, std::int64_t row_bytes,
                                              std::vector<unsigned char>& scratch) {
  const std::int64_t rows = band.dim(0);
  std::vector<const unsigned char*> out(static_cast<std::size_t>(rows));
  const bool packed = rows_packed(band);
  if (!packed) {
    scratch.resize(std::size_t(rows * row_bytes));
    const ConstTensorView to = packed_view(scratch.data(), band);
    copy(band, TensorView(scratch.data(), band.dtype(), to.geometry()));
  }
  for (std::int64_t r = 0; r < rows; ++r)
    out[std::size_t(r)] = packed ? row_address(band, r) : scratch.data() + r * row_bytes;
  return out;
}

}  // namespace detail

namespace {

using detail::check_band;
using detail::check_dst;

// --- TIFF -------------------------------------------------------------------------------------

class TiffRowReader final : public RowReader {
 public:
  TiffRowReader(const std::string& path, const char* parameter)
      : path_(path), reader_(path, parameter) {
    layout_ = {reader_.dtype(), reader_.height(), reader_.width(),
               reader_.channels() > 1 ? reader_.channels() : 0};
    meta_ = image_meta(reader_.meta());
  }
  bool random_access() const override { return true; }
  std::int64_t chunk_rows() const override { return reader_.chunk_rows(); }
  void read_rows(std::int64_t y0, TensorView dst) override {
    check_dst(layout_, path_, y0, dst);
    reader_.read_rows(y0, dst);
  }

 private:
  std::string path_;
  TiffReader reader_;
};

class TiffRowWriter final : public RowWriter {
 public:
  TiffRowWriter(const std::string& path, const RowLayout& layout, const WriteOptions& options)
      : path_(path),
        layout_(layout),
        writer_(path, layout.dtype, layout.height, layout.width,
                std::max<std::int64_t>(layout.channels, 1), tiff_options(options)) {}
  void write_rows(ConstTensorView band) override {
    check_band(layout_, path_, written_, band);
    writer_.write_rows(band);
    written_ += band.dim(0);
  }
  void finish() override { writer_.finish(); }

 private:
  std::string path_;
  RowLayout layout_;
  TiffWriter writer_;
  std::int64_t written_ = 0;
};

// --- files read with pread, mapped, or written with fwrite ------------------------------------

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::uint64_t file_size_of(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) io_fail(path, std::string("cannot stat: ") + std::strerror(errno));
  return std::uint64_t(st.st_size);
}

// Reads exactly `bytes` at `offset`; a short read means the file shrank since it was checked.
void pread_all(int fd, void* out, std::size_t bytes, std::uint64_t offset,
               const std::string& path, const char* what) {
  auto* p = static_cast<unsigned char*>(out);
  while (bytes > 0) {
    const ssize_t got = ::pread(fd, p, bytes, off_t(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) io_fail(path, std::string("read failed: ") + std::strerror(errno));
    if (got == 0) io_fail(path, std::string("truncated ") + what + " file (it got shorter)");
    p += got;
    bytes -= std::size_t(got);
    offset += std::uint64_t(got);
  }
}

// Header and then raw rows (.npy; binary PGM/PPM with 16-bit samples big-endian): the bytes
// write_npy / write_image write from the same header and samples.
class RawRowWriter final : public RowWriter {
 public:
  RawRowWriter(const std::string& path, const RowLayout& layout, const std::string& header,
               bool pnm)
      : path_(path), layout_(layout), pnm_(pnm) {
    errno = 0;
    file_ = std::fopen(path.c_str(), "wb");
    if (!file_) io_fail(path, std::string("cannot create: ") + std::strerror(errno));
    put(header.data(), header.size());
  }
  ~RawRowWriter() override {
    if (file_) {
      std::fclose(file_);
      std::remove(path_.c_str());
    }
  }
  void write_rows(ConstTensorView band) override {
    check_band(layout_, path_, written_, band);
    if (!file_) refuse();
    const std::int64_t rows = band.dim(0);
    const auto row_bytes = std::size_t(layout_.row_bytes());
    const bool convert = pnm_ && layout_.dtype == DType::u16;
    if (!convert && band.is_contiguous()) {
      put(band.data(), std::size_t(rows) * row_bytes);
    } else {
      const auto in = detail::packed_rows(band, std::int64_t(row_bytes), scratch_);
      converted_.resize(convert ? row_bytes : 0);
      const std::size_t samples = row_bytes / dtype_size(layout_.dtype);
      for (const unsigned char* row : in) {
        if (convert) convert_pnm_samples(row, samples, DType::u16, converted_.data());
        put(convert ? converted_.data() : row, row_bytes);
      }
    }
    written_ += rows;
  }
  void finish() override {
    if (finished_) return;
    if (!file_) refuse();
    if (written_ != layout_.height) {
      throw Error("band", in_quotes(path_) + ": only " + std::to_string(written_) + " of " +
                              std::to_string(layout_.height) + " rows were written");
    }
    errno = 0;
    const int closed = std::fclose(file_);
    file_ = nullptr;
    if (closed != 0) fail(errno ? errno : EIO);
    finished_ = true;
  }

 private:
  void put(const void* data, std::size_t bytes) {
    if (bytes == 0) return;
    errno = 0;
    if (std::fwrite(data, 1, bytes, file_) != bytes) {
      const int err = errno ? errno : EIO;
      std::fclose(file_);
      file_ = nullptr;
      fail(err);
    }
  }
  [[noreturn]] void refuse() const {
    io_fail(path_, "cannot write after an earlier failure (the file was removed)");
  }
  [[noreturn]] void fail(int err) {
    std::remove(path_.c_str());
    io_fail(path_, std::string("write failed: ") + std::strerror(err));
  }

  std::string path_;
  RowLayout layout_;
  bool pnm_;
  std::FILE* file_ = nullptr;  // null once finished or failed
  bool finished_ = false;
  std::int64_t written_ = 0;
  std::vector<unsigned char> scratch_, converted_;
};

// --- .npy -------------------------------------------------------------------------------------

class NpyRowReader final : public RowReader {
 public:
  NpyRowReader(const std::string& path, const RowLayout& layout, const NpyHeader& h, int fd)
      : path_(path), swap_(h.swap), offset_(h.data_offset) {
    layout_ = layout;
    length_ = std::size_t(h.data_offset + h.data_bytes);  // > 0: the header is never empty
    void* map = ::mmap(nullptr, length_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) io_fail(path, std::string("cannot map: ") + std::strerror(errno));
    map_ = static_cast<const unsigned char*>(map);
  }
  ~NpyRowReader() override { ::munmap(const_cast<unsigned char*>(map_), length_); }
  bool random_access() const override { return true; }
  void read_rows(std::int64_t y0, TensorView dst) override {
    check_dst(layout_, path_, y0, dst);
    const std::int64_t row_bytes = layout_.row_bytes();
    const unsigned char* from = map_ + offset_ + std::size_t(y0 * row_bytes);
    // copy() loads typed samples, so the mapped data must be aligned for them: NumPy pads the
    // header so that it is, but a file need not be (data at an odd offset goes through memcpy).
    const bool aligned = reinterpret_cast<std::uintptr_t>(from) % dtype_size(layout_.dtype) == 0;
    if (!swap_ && aligned) {
      copy(ConstTensorView(from, layout_.dtype, Geometry::contiguous(layout_.band_shape(
                                                    dst.dim(0)))),
           dst);
      return;
    }
    const detail::BandRows target(dst, row_bytes, scratch_);
    const std::size_t samples = std::size_t(row_bytes) / dtype_size(layout_.dtype);
    for (std::int64_t r = 0; r < dst.dim(0); ++r) {
      std::memcpy(target.rows()[r], from + r * row_bytes, std::size_t(row_bytes));
      if (swap_) swap_npy_bytes(target.rows()[r], samples, layout_.dtype);
    }
    target.store();
  }

 private:
  std::string path_;
  bool swap_;
  std::uint64_t offset_;
  const unsigned char* map_ = nullptr;
  std::size_t length_ = 0;
  std::vector<unsigned char> scratch_;
};

std::unique_ptr<RowReader> open_npy_rows(const std::string& path, std::string* why_not,
                                         const char* parameter) {
  struct Close {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Close> f(std::fopen(path.c_str(), "rb"));
  if (!f) io_fail(path, std::string("cannot open: ") + std::strerror(errno));
  const NpyHeader h = read_npy_header(f.get(), path, parameter);
  const std::size_t rank = h.shape.size();
  if (rank != 2 && rank != 3) {
    *why_not = "an .npy array of rank " + std::to_string(rank) +
               " cannot be read in bands (only HxW or HxWxC)";
    return nullptr;
  }
  if (h.fortran_order) {
    *why_not = "a Fortran-order .npy file cannot be read in bands";
    return nullptr;
  }
  if (rank == 3 && h.shape[2] == 0) {
    *why_not = "an .npy array with no channels cannot be read in bands";
    return nullptr;
  }
  const RowLayout layout{h.dtype, h.shape[0], h.shape[1], rank == 3 ? h.shape[2] : 0};
  return std::make_unique<NpyRowReader>(path, layout, h, ::fileno(f.get()));
}

// --- binary PGM / PPM -------------------------------------------------------------------------

class PnmRowReader final : public RowReader {
 public:
  PnmRowReader(const std::string& path, const RowLayout& layout, std::uint64_t offset, Fd&& fd)
      : path_(path), offset_(offset) {
    layout_ = layout;
    std::swap(fd_.fd, fd.fd);
  }
  bool random_access() const override { return true; }
  void read_rows(std::int64_t y0, TensorView dst) override {
    check_dst(layout_, path_, y0, dst);
    const std::int64_t row_bytes = layout_.row_bytes(), rows = dst.dim(0);
    const std::uint64_t at = offset_ + std::uint64_t(y0 * row_bytes);
    const auto bytes = std::size_t(rows * row_bytes);
    if (layout_.dtype == DType::u8 && dst.is_contiguous()) {
      pread_all(fd_.fd, dst.data(), bytes, at, path_, "PNM");
      return;
    }
    raw_.resize(bytes);
    pread_all(fd_.fd, raw_.data(), bytes, at, path_, "PNM");
    const detail::BandRows target(dst, row_bytes, scratch_);
    const std::size_t samples = std::size_t(row_bytes) / dtype_size(layout_.dtype);
    for (std::int64_t r = 0; r < rows; ++r)
      convert_pnm_samples(raw_.data() + r * row_bytes, samples, layout_.dtype, target.rows()[r]);
    target.store();
  }

 private:
  std::string path_;
  std::uint64_t offset_;
  Fd fd_;
  std::vector<unsigned char> raw_, scratch_;
};

std::unique_ptr<RowReader> open_pnm_rows(const std::string& path, std::string* why_not,
                                         const char* parameter) {
  Fd fd{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (fd.fd < 0) io_fail(path, std::string("cannot open: ") + std::strerror(errno));
  const std::uint64_t size = file_size_of(fd.fd, path);
  // The header is short unless it holds long comments: read more until it is complete.
  std::string head;
  std::optional<PnmHeader> h;
  for (std::size_t want = 4096; !h; want *= 2) {
    const auto n = std::size_t(std::min<std::uint64_t>(want, size));
    head.resize(n);
    pread_all(fd.fd, head.data(), n, 0, path, "PNM");
    h = parse_pnm_header(head, n == size, size, path, parameter);
  }
  if (h->ascii) {
    *why_not = "an ASCII PGM/PPM file (P2/P3) cannot be read in bands";
    return nullptr;
  }
  const RowLayout layout{h->dtype, h->height, h->width, h->channels > 1 ? h->channels : 0};
  return std::make_unique<PnmRowReader>(path, layout, h->data_offset, std::move(fd));
}

}  // namespace

// --- factories --------------------------------------------------------------------------------

std::unique_ptr<RowReader> open_row_reader(const std::string& path, std::string* why_not,
                                           const char* parameter, RowLayout* layout) {
  std::string unused;
  if (!why_not) why_not = &unused;
  why_not->clear();
  switch (format_of(path)) {
    case FileFormat::npy: return open_npy_rows(path, why_not, parameter);
    case FileFormat::png: return detail::open_png_rows(path, why_not, parameter, layout);
    case FileFormat::jpeg: return detail::open_jpeg_rows(path, why_not, parameter, layout);
    case FileFormat::tiff: return std::make_unique<TiffRowReader>(path, parameter);
    case FileFormat::pgm:
    case FileFormat::ppm:
    case FileFormat::pnm: return open_pnm_rows(path, why_not, parameter);
    case FileFormat::webp: *why_not = "a WebP file cannot be read in bands"; return nullptr;
    default: fail_unknown_format(path, parameter);
  }
}

std::unique_ptr<RowWriter> create_row_writer(const std::string& path, const RowLayout& layout,
                                             const WriteOptions& options, std::string* why_not) {
  std::string unused;
  if (!why_not) why_not = &unused;
  why_not->clear();
  if (layout.height < 0 || layout.width < 0 || layout.channels < 0) {
    throw Error("layout", in_quotes(path) + ": negative size " + std::to_string(layout.height) +
                              "x" + std::to_string(layout.width) + "x" +
                              std::to_string(layout.channels));
  }
  const std::vector<std::int64_t> shape = layout.shape();
  check_storage(path, layout.dtype, shape);  // also refuses unknown extensions
  switch (format_of(path)) {
    case FileFormat::npy:
      return std::make_unique<RawRowWriter>(path, layout, npy_header(layout.dtype, shape), false);
    case FileFormat::png: return detail::create_png_rows(path, layout, options);
    case FileFormat::jpeg: return detail::create_jpeg_rows(path, layout, options, why_not);
    case FileFormat::tiff: return std::make_unique<TiffRowWriter>(path, layout, options);
    case FileFormat::webp: *why_not = "a WebP file cannot be written in bands"; return nullptr;
    default: {
      const std::string header = pnm_header(layout.dtype, layout.height, layout.width,
                                            std::max<std::int64_t>(layout.channels, 1));
      return std::make_unique<RawRowWriter>(path, layout, header, true);
    }
  }
}

}  // namespace convkit::io
