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
  ~Decoder() { jpeg_destroy_decompress(&cinfo); }
};

struct Header {
  std::uint64_t width = 0, height = 0;
  int components = 0;  // in the file
  int channels = 0;    // we return; 0 when the component count is unsupported
};

bool read_header(Decoder* d, const unsigned char* data, unsigned long size, Header* h) {
  j_decompress_ptr cinfo = &d->cinfo;
  install_errors(&d->errors);
  cinfo->err = &d->errors.pub;
  if (setjmp(d->errors.jump)) return false;
  jpeg_create_decompress(cinfo);
  jpeg_mem_src(cinfo, data, size);
  jpeg_read_header(cinfo, TRUE);  // a tables-only stream is an error (JERR_NO_IMAGE)
  h->components = cinfo->num_components;
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

bool decode(Decoder* d, unsigned char* out, std::size_t row_bytes) {
  j_decompress_ptr cinfo = &d->cinfo;
  if (setjmp(d->errors.jump)) return false;
  // A progressive file is read to its end here (libjpeg buffers all its coefficients).
  jpeg_start_decompress(cinfo);
  while (cinfo->output_scanline < cinfo->output_height) {
    JSAMPROW rows[16];
    JDIMENSION n = cinfo->output_height - cinfo->output_scanline;
    if (n > 16) n = 16;
    for (JDIMENSION i = 0; i < n; ++i) rows[i] = out + (cinfo->output_scanline + i) * row_bytes;
    jpeg_read_scanlines(cinfo, rows, n);
  }
  // Reads up to EOI, so a file cut after its last scan still fails, as in Pillow.
  jpeg_finish_decompress(cinfo);
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
  unsigned char* buffer = nullptr;  // malloc'd and grown by jpeg_mem_dest; ours to free
  unsigned long size = 0;
  ~Encoder() {
    jpeg_destroy_compress(&cinfo);
    std::free(buffer);
  }
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

bool encode(Encoder* e, const ConstTensorView* t, int channels, const JpegOptions* o,
            unsigned char* row_buffer) {
  j_compress_ptr cinfo = &e->cinfo;
  install_errors(&e->errors);
  cinfo->err = &e->errors.pub;
  if (setjmp(e->errors.jump)) return false;
  jpeg_create_compress(cinfo);
  jpeg_mem_dest(cinfo, &e->buffer, &e->size);
  cinfo->image_width = JDIMENSION(t->dim(1));
  cinfo->image_height = JDIMENSION(t->dim(0));
  cinfo->input_components = channels;
  cinfo->in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  // Pillow's JPEG writer with its defaults does exactly this: libjpeg's defaults (JFIF, YCbCr
  // with 2x2 luma sampling = 4:2:0, ISLOW DCT), then jpeg_set_quality with force_baseline, and
  // jpeg_simple_progression when progressive (libjpeg-turbo then optimizes the Huffman tables).
  jpeg_set_defaults(cinfo);
  jpeg_set_quality(cinfo, o->quality, TRUE);
  if (o->progressive) jpeg_simple_progression(cinfo);
  jpeg_start_compress(cinfo, TRUE);
  while (cinfo->next_scanline < cinfo->image_height) {
    auto row = const_cast<JSAMPROW>(row_of(*t, cinfo->next_scanline, channels, row_buffer));
    jpeg_write_scanlines(cinfo, &row, 1);
  }
  jpeg_finish_compress(cinfo);
  return true;
}

}  // namespace

Tensor read_jpeg(const std::string& path, const char* parameter) {
  const std::string bytes = read_file(path);
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.empty()) io_fail(path, "empty file (0 bytes), not a JPEG image");
  // Every JPEG starts with the SOI marker FF D8; anything else is another kind of file.
  if (data[0] != 0xFF || (bytes.size() >= 2 && data[1] != 0xD8))
    throw Error(parameter, in_quotes(path) + " is not a JPEG file (no FF D8 start marker)");
  if (bytes.size() < 2) io_fail(path, "truncated JPEG file (1 byte)");

  auto decoder = std::make_unique<Decoder>();
  Header h;
  if (!read_header(decoder.get(), data, bytes.size(), &h))
    fail_read(path, parameter, decoder->errors);
  if (h.channels == 0) {
    throw Error(parameter, in_quotes(path) + ": JPEG with " + std::to_string(h.components) +
                               " components is not supported (1 gray, 3 RGB/YCbCr, 4 CMYK/YCCK)");
  }
  if (h.width * h.height * std::uint64_t(h.channels) > kMaxSamples) {
    throw Error(parameter, in_quotes(path) + ": a " + std::to_string(h.height) + "x" +
                               std::to_string(h.width) + "x" + std::to_string(h.channels) +
                               " JPEG is too large (over 2^34 samples)");
  }
  std::vector<std::int64_t> dims{std::int64_t(h.height), std::int64_t(h.width)};
  if (h.channels > 1) dims.push_back(h.channels);
  Tensor image;
  try {
    image = Tensor(DType::u8, std::span<const std::int64_t>(dims));
  } catch (const std::bad_alloc&) {
    io_fail(path, "not enough memory for the decoded image");
  }
  auto* out = static_cast<unsigned char*>(image.data());
  if (!decode(decoder.get(), out, std::size_t(h.width) * h.channels))
    fail_read(path, parameter, decoder->errors);
  if (h.channels == 4) {
    // Pillow unpacks every 4-component JPEG as "CMYK;I" (Adobe writes CMYK inverted).
    const std::size_t n = std::size_t(image.numel());
    for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<unsigned char>(255 - out[i]);
  }
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
  if (o.quality < 0 || o.quality > 100)
    throw Error("quality", "must be 0..100 for a JPEG, got " + std::to_string(o.quality));

  const int channels = gray ? 1 : 3;
  std::vector<unsigned char> row_buffer(std::size_t(t.dim(1)) * channels);
  auto encoder = std::make_unique<Encoder>();
  if (!encode(encoder.get(), &t, channels, &o, row_buffer.data()))
    io_fail(path, std::string("cannot encode JPEG: ") + encoder->errors.message);
  write_file(path, {}, encoder->buffer, encoder->size);
}

}  // namespace convkit::io
