#include "io/jpeg.h"

// jpeglib.h uses FILE and size_t without including their headers.
#include <cstddef>
#include <cstdio>
// clang-format off
#include <jpeglib.h>
#include <jerror.h>
// clang-format on

#include <cerrno>
#include <csetjmp>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "convkit/error.h"
#include "io/files.h"
#include "io/npy.h"

namespace convkit::io {
namespace {

// Refuse images with more samples than this before allocating them (16 GiB of u8).
constexpr std::uint64_t kMaxSamples = std::uint64_t(1) << 34;

struct CloseFile {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<std::FILE, CloseFile>;


// --- libjpeg error handling -----------------------------------------------------------------
// libjpeg's default error_exit() prints and calls exit(); ours records the message and longjmps
// back to the setjmp in read_header/decode/encode. Those functions hold only plain C data, so
// the jump never skips a C++ destructor; their callers turn a `false` into an exception.

struct JpegErrors {
  jpeg_error_mgr pub;  // first member: libjpeg hands us &pub as cinfo->err
  std::jmp_buf jump;
  int code;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_error(j_common_ptr cinfo) {
  auto* e = reinterpret_cast<JpegErrors*>(cinfo->err);
  e->code = cinfo->err->msg_code;
  cinfo->err->format_message(cinfo, e->message);
  std::longjmp(e->jump, 1);
}

// libjpeg only warns when data is missing or damaged and then fills the lost blocks with gray;
// Pillow raises "image file is truncated" for a missing end, and we also refuse the warnings
// that mean lost pixels. Harmless ones (extraneous bytes between markers, an unknown JFIF
// revision, ...) are ignored as Pillow ignores them, and nothing is printed.
void on_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;  // trace messages
  switch (cinfo->err->msg_code) {
    case JWRN_JPEG_EOF:         // "Premature end of JPEG file"
    case JWRN_HIT_MARKER:       // "premature end of data segment"
    case JWRN_HUFF_BAD_CODE:    // "bad Huffman code"
    case JWRN_ARITH_BAD_CODE:   // "bad arithmetic code"
    case JWRN_MUST_RESYNC:      // lost restart markers
      on_error(cinfo);
    default:
      return;
  }
}

void install_errors(JpegErrors* e) {
  jpeg_std_error(&e->pub);
  e->pub.error_exit = on_error;
  e->pub.emit_message = on_message;
  e->code = 0;
  std::snprintf(e->message, sizeof e->message, "unknown libjpeg error");
}

// --- reading --------------------------------------------------------------------------------

struct Decoder {
  jpeg_decompress_struct cinfo{};  // zeroed: jpeg_destroy is safe even if create failed
  JpegErrors errors{};
  bool started = false;  // jpeg_start_decompress was called
  ~Decoder() { jpeg_destroy_decompress(&cinfo); }
};

struct Header {
  std::uint64_t width = 0, height = 0;
  int components = 0;  // in the file
  int channels = 0;    // we return; 0 when the component count is unsupported
  bool progressive = false;
};

bool read_header(Decoder* d, std::FILE* file, Header* h) {
  j_decompress_ptr cinfo = &d->cinfo;
  install_errors(&d->errors);
  cinfo->err = &d->errors.pub;
  if (setjmp(d->errors.jump)) return false;
  jpeg_create_decompress(cinfo);
  jpeg_stdio_src(cinfo, file);
  jpeg_read_header(cinfo, TRUE);  // a tables-only stream is an error (JERR_NO_IMAGE)
  h->components = cinfo->num_components;
  h->progressive = jpeg_has_multiple_scans(cinfo);
  // Pillow picks its mode from the component count alone (1 L, 3 RGB, 4 CMYK) and asks libjpeg
  // for that color space; libjpeg converts YCbCr -> RGB and YCCK -> CMYK itself.
  switch (cinfo->num_components) {
    case 1: cinfo->out_color_space = JCS_GRAYSCALE; break;
    case 3: cinfo->out_color_space = JCS_RGB; break;
    case 4: cinfo->out_color_space = JCS_CMYK; break;
    default: return true;  // h->channels stays 0
  }
  // libjpeg's defaults, which Pillow keeps (it only changes them for draft()); set here so that
  // the pixels stay Pillow's even if the library defaults change.
  cinfo->dct_method = JDCT_ISLOW;
  cinfo->do_fancy_upsampling = TRUE;
  cinfo->do_block_smoothing = TRUE;
  cinfo->scale_num = cinfo->scale_denom = 1;
  jpeg_calc_output_dimensions(cinfo);
  h->width = cinfo->output_width;
  h->height = cinfo->output_height;
  h->channels = cinfo->output_components;
  return true;
}

// The next `count` rows into rows[0..count). The first call starts decompressing (a progressive
// file is then read to its end: libjpeg buffers all its coefficients); the one that reaches the
// last row reads up to EOI, so that a file cut after its last scan still fails, as in Pillow.
bool decode_rows(Decoder* d, unsigned char* const* rows, JDIMENSION count) {
  j_decompress_ptr cinfo = &d->cinfo;
  if (setjmp(d->errors.jump)) return false;
  if (!d->started) {
    d->started = true;
    jpeg_start_decompress(cinfo);
  }
  for (JDIMENSION done = 0; done < count;) {
    const JDIMENSION got =
        jpeg_read_scanlines(cinfo, const_cast<JSAMPARRAY>(rows + done), count - done);
    if (got == 0) {  // only a suspending data source does this; ours never suspends
      d->errors.code = JWRN_JPEG_EOF;
      return false;
    }
    done += got;
  }
  if (cinfo->output_scanline == cinfo->output_height) jpeg_finish_decompress(cinfo);
  return true;
}

[[noreturn]] void fail_read(const std::string& path, const char* parameter, const JpegErrors& e) {
  const std::string where = in_quotes(path) + ": ";
  switch (e.code) {
    case JERR_BAD_PRECISION:
      throw Error(parameter, where + std::to_string(e.pub.msg_parm.i[0]) +
                                 "-bit JPEG is not supported (8-bit samples only)");
    case JERR_SOF_UNSUPPORTED:
      throw Error(parameter, where + e.message + " (lossless and hierarchical JPEGs are not "
                                                 "supported)");
    case JERR_CONVERSION_NOTIMPL:
    case JERR_BAD_J_COLORSPACE:
    case JERR_EMPTY_IMAGE:
    case JERR_IMAGE_TOO_BIG:
      throw Error(parameter, where + "unsupported JPEG: " + e.message);
    case JWRN_JPEG_EOF: io_fail(path, "truncated JPEG file (premature end of data)");
    case JERR_OUT_OF_MEMORY: io_fail(path, std::string("not enough memory: ") + e.message);
    default: io_fail(path, std::string("corrupt JPEG file: ") + e.message);
  }
}

// --- writing --------------------------------------------------------------------------------

struct Encoder {
  jpeg_compress_struct cinfo{};
  JpegErrors errors{};
  ~Encoder() { jpeg_destroy_compress(&cinfo); }
};

// Row y of a u8 HxW or HxWxC view as `channels` interleaved bytes: the view's own memory when
// that row is already packed, else a copy into `buffer` (any strides, negative included).
const unsigned char* row_of(const ConstTensorView& t, std::int64_t y, int channels,
                            unsigned char* buffer) {
  const auto* base = static_cast<const unsigned char*>(t.data()) + y * t.stride(0);
  const std::int64_t cstride = t.rank() == 3 ? t.stride(2) : 1;
  if (t.stride(1) == channels && (channels == 1 || cstride == 1)) return base;
  for (std::int64_t x = 0; x < t.dim(1); ++x)
    for (int c = 0; c < channels; ++c)
      buffer[x * channels + c] = base[x * t.stride(1) + c * cstride];
  return buffer;
}

bool encode_start(Encoder* e, std::FILE* file, JDIMENSION height, JDIMENSION width,
                  int channels, const JpegOptions* o) {
  j_compress_ptr cinfo = &e->cinfo;
  install_errors(&e->errors);
  cinfo->err = &e->errors.pub;
  if (setjmp(e->errors.jump)) return false;
  jpeg_create_compress(cinfo);
  jpeg_stdio_dest(cinfo, file);
  cinfo->image_width = width;
  cinfo->image_height = height;
  cinfo->input_components = channels;
  cinfo->in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  // Pillow's JPEG writer with its defaults does exactly this: libjpeg's defaults (JFIF, YCbCr
  // with 2x2 luma sampling = 4:2:0, ISLOW DCT), then jpeg_set_quality with force_baseline, and
  // jpeg_simple_progression when progressive (libjpeg-turbo then optimizes the Huffman tables).
  jpeg_set_defaults(cinfo);
  jpeg_set_quality(cinfo, o->quality, TRUE);
  if (o->progressive) jpeg_simple_progression(cinfo);
  jpeg_start_compress(cinfo, TRUE);
  return true;
}

bool encode_row(Encoder* e, const unsigned char* row) {
  if (setjmp(e->errors.jump)) return false;
  auto rows = const_cast<JSAMPROW>(row);
  jpeg_write_scanlines(&e->cinfo, &rows, 1);
  return true;
}

bool encode_finish(Encoder* e) {
  if (setjmp(e->errors.jump)) return false;
  jpeg_finish_compress(&e->cinfo);
  return true;
}

}  // namespace

// --- decoding in steps ----------------------------------------------------------------------

struct JpegDecoder::State {
  std::string path;
  const char* parameter = "input";
  File file;  // declared before the decoder, so that it closes after it
  Decoder decoder;
  Header header;
  std::int64_t next_row = 0;
  bool failed = false;  // libjpeg's state is undefined after an error: no more calls

  [[noreturn]] void fail() {
    failed = true;
    fail_read(path, parameter, decoder.errors);
  }
};

JpegDecoder::JpegDecoder(const std::string& path, const char* parameter)
    : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.path = path;
  s.parameter = parameter;
  s.file.reset(std::fopen(path.c_str(), "rb"));
  if (!s.file) io_fail(path, std::string("cannot open: ") + std::strerror(errno));
  unsigned char magic[2] = {0, 0};
  const std::size_t got = std::fread(magic, 1, 2, s.file.get());
  if (got < 2 && std::ferror(s.file.get()))
    io_fail(path, std::string("read failed: ") + std::strerror(errno));
  if (got == 0) io_fail(path, "empty file (0 bytes), not a JPEG image");
  // Every JPEG starts with the SOI marker FF D8; anything else is another kind of file.
  if (magic[0] != 0xFF || (got >= 2 && magic[1] != 0xD8))
    throw Error(parameter, in_quotes(path) + " is not a JPEG file (no FF D8 start marker)");
  if (got < 2) io_fail(path, "truncated JPEG file (1 byte)");
  if (std::fseek(s.file.get(), 0, SEEK_SET) != 0)
    io_fail(path, std::string("cannot seek: ") + std::strerror(errno));
  if (!read_header(&s.decoder, s.file.get(), &s.header)) s.fail();
  if (s.header.channels == 0) {
    throw Error(parameter, in_quotes(path) + ": JPEG with " +
                               std::to_string(s.header.components) +
                               " components is not supported (1 gray, 3 RGB/YCbCr, 4 CMYK/YCCK)");
  }
}

JpegDecoder::~JpegDecoder() = default;

std::int64_t JpegDecoder::height() const { return std::int64_t(s_->header.height); }
std::int64_t JpegDecoder::width() const { return std::int64_t(s_->header.width); }
int JpegDecoder::channels() const { return s_->header.channels; }
bool JpegDecoder::progressive() const { return s_->header.progressive; }

void JpegDecoder::read_rows(unsigned char* const* rows, std::int64_t count) {
  State& s = *s_;
  if (count < 0 || count > std::int64_t(s.header.height) - s.next_row) {
    throw Error("rows", in_quotes(s.path) + ": cannot read " + std::to_string(count) +
                            " more rows after row " + std::to_string(s.next_row));
  }
  if (s.failed) s.fail();
  if (count == 0) return;
  if (!decode_rows(&s.decoder, rows, JDIMENSION(count))) s.fail();
  s.next_row += count;
  if (s.header.channels == 4) {
    // Pillow unpacks every 4-component JPEG as "CMYK;I" (Adobe writes CMYK inverted).
    const std::size_t row_bytes = std::size_t(s.header.width) * 4;
    for (std::int64_t y = 0; y < count; ++y)
      for (std::size_t i = 0; i < row_bytes; ++i)
        rows[y][i] = static_cast<unsigned char>(255 - rows[y][i]);
  }
}

// --- encoding in steps ----------------------------------------------------------------------

struct JpegEncoder::State {
  std::string path;
  File file;
  Encoder encoder;
  std::int64_t height = 0, width = 0, next_row = 0;
  int channels = 0;
  bool done = false;    // finished, or failed and removed
  bool failed = false;  // failed: the file was removed
  std::vector<unsigned char> row_buffer;

  ~State() {
    jpeg_destroy_compress(&encoder.cinfo);
    if (file && !done) {
      file.reset();
      std::remove(path.c_str());
    }
  }
  [[noreturn]] void refuse() const {
    io_fail(path, "cannot go on after an earlier failure (the file was removed)");
  }
  // Closes and removes the file, then throws.
  [[noreturn]] void fail(const std::string& what) {
    jpeg_destroy_compress(&encoder.cinfo);
    file.reset();
    std::remove(path.c_str());
    done = failed = true;
    io_fail(path, what);
  }
};

JpegEncoder::JpegEncoder(const std::string& path, std::int64_t height, std::int64_t width,
                         int channels, const JpegOptions& o)
    : s_(std::make_unique<State>()) {
  if (o.quality < 0 || o.quality > 100)
    throw Error("quality", "must be 0..100 for a JPEG, got " + std::to_string(o.quality));
  State& s = *s_;
  s.path = path;
  s.height = height;
  s.width = width;
  s.channels = channels;
  s.row_buffer.resize(std::size_t(width) * std::size_t(channels));
  errno = 0;
  s.file.reset(std::fopen(path.c_str(), "wb"));
  if (!s.file) io_fail(path, std::string("cannot create: ") + std::strerror(errno));
  if (!encode_start(&s.encoder, s.file.get(), JDIMENSION(height), JDIMENSION(width), channels,
                    &o))
    s.fail(std::string("cannot encode JPEG: ") + s.encoder.errors.message);
}

JpegEncoder::~JpegEncoder() = default;

void JpegEncoder::write_rows(ConstTensorView band) {
  State& s = *s_;
  if (s.failed) s.refuse();
  const std::int64_t rows = band.rank() >= 1 ? band.dim(0) : 0;
  const bool shape_ok = band.dtype() == DType::u8 && band.dim(1) == s.width &&
                        ((band.rank() == 2 && s.channels == 1) ||
                         (band.rank() == 3 && band.dim(2) == s.channels));
  if (!shape_ok || s.done || rows > s.height - s.next_row) {
    throw Error("band", band.geometry().shape_string() + " " + dtype_name(band.dtype()) +
                            " does not fit the next rows of " + in_quotes(s.path) + " (" +
                            std::to_string(s.next_row) + " of " + std::to_string(s.height) +
                            " written)");
  }
  for (std::int64_t y = 0; y < rows; ++y) {
    if (!encode_row(&s.encoder, row_of(band, y, s.channels, s.row_buffer.data())))
      s.fail(std::string("cannot encode JPEG: ") + s.encoder.errors.message);
    ++s.next_row;
  }
}

void JpegEncoder::finish() {
  State& s = *s_;
  if (s.failed) s.refuse();
  if (s.done) return;
  if (s.next_row != s.height) {
    throw Error("band", in_quotes(s.path) + ": only " + std::to_string(s.next_row) + " of " +
                            std::to_string(s.height) + " rows were written");
  }
  if (!encode_finish(&s.encoder))
    s.fail(std::string("cannot encode JPEG: ") + s.encoder.errors.message);
  errno = 0;
  if (std::fclose(s.file.release()) != 0) {
    const int err = errno ? errno : EIO;
    s.fail(std::string("write failed: ") + std::strerror(err));
  }
  s.done = true;
}

// --- whole files ----------------------------------------------------------------------------

Tensor read_jpeg(const std::string& path, const char* parameter) {
  JpegDecoder decoder(path, parameter);
  const auto height = std::uint64_t(decoder.height()), width = std::uint64_t(decoder.width());
  const int channels = decoder.channels();
  if (width * height * std::uint64_t(channels) > kMaxSamples) {
    throw Error(parameter, in_quotes(path) + ": a " + std::to_string(height) + "x" +
                               std::to_string(width) + "x" + std::to_string(channels) +
                               " JPEG is too large (over 2^34 samples)");
  }
  std::vector<std::int64_t> dims{std::int64_t(height), std::int64_t(width)};
  if (channels > 1) dims.push_back(channels);
  Tensor image;
  try {
    image = Tensor(DType::u8, std::span<const std::int64_t>(dims));
  } catch (const std::bad_alloc&) {
    io_fail(path, "not enough memory for the decoded image");
  }
  std::vector<unsigned char*> rows(height);
  for (std::size_t y = 0; y < rows.size(); ++y)
    rows[y] = static_cast<unsigned char*>(image.data()) + y * width * std::size_t(channels);
  decoder.read_rows(rows.data(), std::int64_t(height));
  return image;
}

void write_jpeg(const std::string& path, ConstTensorView t, const JpegOptions& o) {
  const std::string where = in_quotes(path) + ": ";
  const std::string shape = t.geometry().shape_string();
  if (t.dtype() != DType::u8) {
    throw Error("output", where + "cannot store " + dtype_name(t.dtype()) +
                              " in a JPEG (u8 only)");
  }
  const bool gray = t.rank() == 2 || (t.rank() == 3 && t.dim(2) == 1);
  if (!gray && !(t.rank() == 3 && t.dim(2) == 3)) {
    throw Error("output", where + "cannot store shape " + shape +
                              " in a JPEG, which holds HxW gray or HxWx3 RGB");
  }
  if (t.dim(0) == 0 || t.dim(1) == 0)
    throw Error("output", where + "cannot store the empty shape " + shape + " in a JPEG");
  if (t.dim(0) > JPEG_MAX_DIMENSION || t.dim(1) > JPEG_MAX_DIMENSION) {
    throw Error("output", where + "shape " + shape + " is too large for a JPEG (sides up to " +
                              std::to_string(JPEG_MAX_DIMENSION) + ")");
  }
  JpegEncoder encoder(path, t.dim(0), t.dim(1), gray ? 1 : 3, o);  // checks the quality
  encoder.write_rows(t);
  encoder.finish();
}

}  // namespace convkit::io
