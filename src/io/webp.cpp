#include "io/webp.h"

#include <webp/decode.h>
#include <webp/encode.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include "convkit/error.h"
#include "io/files.h"
#include "io/npy.h"

namespace convkit::io {
namespace {

// Refuse images with more samples than this before allocating them (WebP's 16383x16383x4 is
// far below it; kept for the same rule as the other readers).
constexpr std::uint64_t kMaxSamples = std::uint64_t(1) << 34;


const char* status_text(VP8StatusCode s) {
  switch (s) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "bitstream error";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "unsupported feature";
    case VP8_STATUS_SUSPENDED: return "decoding stopped early";
    case VP8_STATUS_USER_ABORT: return "aborted";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "not enough data";
    default: return "unknown error";
  }
}

[[noreturn]] void fail_decode(const std::string& path, VP8StatusCode s) {
  // libwebp reads a file whose RIFF size or last partition runs past the end as NOT_ENOUGH_DATA.
  if (s == VP8_STATUS_NOT_ENOUGH_DATA) io_fail(path, "truncated WebP file");
  if (s == VP8_STATUS_OUT_OF_MEMORY) io_fail(path, "not enough memory to decode the WebP image");
  io_fail(path, std::string("corrupt WebP file (") + status_text(s) + ")");
}

const char* encode_error_text(WebPEncodingError e) {
  switch (e) {
    case VP8_ENC_ERROR_OUT_OF_MEMORY:
    case VP8_ENC_ERROR_BITSTREAM_OUT_OF_MEMORY: return "out of memory";
    case VP8_ENC_ERROR_BAD_DIMENSION: return "bad dimensions";
    case VP8_ENC_ERROR_PARTITION0_OVERFLOW: return "partition 0 overflow (try a lower quality)";
    case VP8_ENC_ERROR_PARTITION_OVERFLOW: return "partition overflow";
    case VP8_ENC_ERROR_FILE_TOO_BIG: return "file too big (4 GiB limit)";
    default: return "encoder error";
  }
}

// Frees what the encoder allocated whichever way write_webp leaves.
struct EncoderState {
  WebPPicture picture;
  WebPMemoryWriter writer;
  EncoderState() {
    WebPPictureInit(&picture);
    WebPMemoryWriterInit(&writer);
  }
  ~EncoderState() {
    WebPPictureFree(&picture);
    WebPMemoryWriterClear(&writer);
  }
  EncoderState(const EncoderState&) = delete;
  EncoderState& operator=(const EncoderState&) = delete;
};

}  // namespace

Tensor read_webp(const std::string& path, const char* parameter) {
  const std::string bytes = read_file(path);
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  if (bytes.empty()) io_fail(path, "empty file (0 bytes), not a WebP image");
  // A WebP file is a RIFF container of form type "WEBP": bytes 0-3 "RIFF", 8-11 "WEBP".
  const std::size_t head = std::min<std::size_t>(bytes.size(), 12);
  const bool riff_ok = std::memcmp(data, "RIFF", std::min<std::size_t>(head, 4)) == 0;
  const bool webp_ok = head <= 8 || std::memcmp(data + 8, "WEBP", head - 8) == 0;
  if (!riff_ok || !webp_ok)
    throw Error(parameter, in_quotes(path) + " is not a WebP file (no RIFF/WEBP header)");
  if (bytes.size() < 12) io_fail(path, "truncated WebP file");

  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) io_fail(path, "libwebp version mismatch");
  VP8StatusCode status = WebPGetFeatures(data, bytes.size(), &config.input);
  if (status != VP8_STATUS_OK) fail_decode(path, status);
  if (config.input.has_animation) {
    throw Error(parameter, in_quotes(path) + ": animated WebP is not supported (still images "
                                             "only)");
  }
  // Pillow's mode: RGBA when the file declares alpha, else RGB (it decodes RGBX and drops X).
  const int channels = config.input.has_alpha ? 4 : 3;
  const auto width = std::uint64_t(config.input.width);
  const auto height = std::uint64_t(config.input.height);
  if (width * height * channels > kMaxSamples)
    throw Error(parameter, in_quotes(path) + ": WebP image too large (over 2^34 samples)");
  Tensor image;
  try {
    image = Tensor(DType::u8, {std::int64_t(height), std::int64_t(width), channels});
  } catch (const std::bad_alloc&) {
    io_fail(path, "not enough memory for the decoded image");
  }
  // Decode straight into the tensor; default options otherwise, as Pillow uses them.
  config.output.colorspace = channels == 4 ? MODE_RGBA : MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = static_cast<std::uint8_t*>(image.data());
  config.output.u.RGBA.stride = int(width) * channels;
  config.output.u.RGBA.size = std::size_t(image.numel());
  status = WebPDecode(data, bytes.size(), &config);
  WebPFreeDecBuffer(&config.output);  // nothing to free with external memory; harmless
  if (status != VP8_STATUS_OK) fail_decode(path, status);
  return image;
}

void write_webp(const std::string& path, ConstTensorView t, const WebpOptions& o) {
  const std::string where = in_quotes(path) + ": ";
  const std::string shape = t.geometry().shape_string();
  if (t.dtype() != DType::u8)
    throw Error("output", where + "cannot store " + dtype_name(t.dtype()) + " in a WebP (u8 only)");
  const int c = t.rank() == 2 ? 1 : t.rank() == 3 ? int(t.dim(2)) : 0;
  if (c < 1 || c > 4) {
    throw Error("output", where + "cannot store shape " + shape +
                              " in a WebP, which holds HxW or HxWxC with C = 1..4");
  }
  if (t.dim(0) == 0 || t.dim(1) == 0)
    throw Error("output", where + "cannot store the empty shape " + shape + " in a WebP");
  if (t.dim(0) > WEBP_MAX_DIMENSION || t.dim(1) > WEBP_MAX_DIMENSION) {
    throw Error("output", where + "shape " + shape + " is too large for a WebP (sides up to " +
                              std::to_string(WEBP_MAX_DIMENSION) + ")");
  }
  if (!(o.quality >= 0 && o.quality <= 100))  // also refuses NaN
    throw Error("quality", "must be 0..100 for a WebP, got " + std::to_string(o.quality));

  // libwebp imports packed RGB(A) rows and has no gray mode: gray is expanded to RGB and
  // gray+alpha to RGBA; other views are packed here when their strides are not row-major.
  const int channels = c == 1 ? 3 : c == 2 ? 4 : c;
  static constexpr int kSource[5][4] = {{}, {0, 0, 0}, {0, 0, 0, 1}, {0, 1, 2}, {0, 1, 2, 3}};
  const std::int64_t h = t.dim(0), w = t.dim(1);
  const std::int64_t cstride = t.rank() == 3 ? t.stride(2) : 0;
  const auto* src = static_cast<const std::uint8_t*>(t.data());
  std::vector<std::uint8_t> packed;
  const std::uint8_t* pixels = src;
  if (c != channels || !t.is_contiguous()) {
    packed.resize(std::size_t(h * w * channels));
    std::uint8_t* d = packed.data();
    for (std::int64_t y = 0; y < h; ++y)
      for (std::int64_t x = 0; x < w; ++x)
        for (int k = 0; k < channels; ++k)
          *d++ = src[y * t.stride(0) + x * t.stride(1) + kSource[c][k] * cstride];
    pixels = packed.data();
  }

  WebPConfig config;
  if (!WebPConfigInit(&config)) io_fail(path, "libwebp version mismatch");
  config.lossless = o.lossless ? 1 : 0;
  config.quality = o.quality;
  // Pillow's default method (4). Lossless keeps RGB under alpha 0 (libwebp would otherwise
  // rewrite it to compress better), so that a lossless round trip gives back every sample.
  config.method = 4;
  config.exact = o.lossless ? 1 : 0;
  if (!WebPValidateConfig(&config)) io_fail(path, "invalid WebP encoder settings");

  EncoderState state;
  WebPPicture& pic = state.picture;
  pic.width = int(w);
  pic.height = int(h);
  pic.use_argb = o.lossless ? 1 : 0;  // lossless must not go through YUV
  pic.writer = WebPMemoryWrite;
  pic.custom_ptr = &state.writer;
  const int stride = int(w) * channels;
  const int imported = channels == 4 ? WebPPictureImportRGBA(&pic, pixels, stride)
                                     : WebPPictureImportRGB(&pic, pixels, stride);
  if (!imported) io_fail(path, "not enough memory to encode the WebP image");
  if (!WebPEncode(&config, &pic))
    io_fail(path, std::string("cannot encode WebP: ") + encode_error_text(pic.error_code));
  write_file(path, {}, state.writer.mem, state.writer.size);
}

}  // namespace convkit::io
