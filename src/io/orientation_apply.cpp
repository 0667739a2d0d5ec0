// EXIF orientations applied: the eight turns and flips of Pillow's ImageOps.exif_transpose as
// strided views, and copies of them (io/orientation.h).
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "convkit/error.h"
#include "io/orientation.h"

namespace convkit::io {
namespace {

// Copies `h` x `w` pixels of `P` bytes from `src` (byte strides s0 per output row, s1 per output
// column) into contiguous `dst`, in tiles so that a transposing walk stays in cache.
template <std::size_t P>
void copy_pixels(const char* src, std::int64_t s0, std::int64_t s1, char* dst, std::int64_t h,
                 std::int64_t w, std::size_t pixel = P) {
  constexpr std::int64_t kTile = 64;
  const std::size_t bytes = P ? P : pixel;
  for (std::int64_t i0 = 0; i0 < h; i0 += kTile) {
    const std::int64_t i1 = std::min(h, i0 + kTile);
    for (std::int64_t j0 = 0; j0 < w; j0 += kTile) {
      const std::int64_t j1 = std::min(w, j0 + kTile);
      for (std::int64_t i = i0; i < i1; ++i) {
        const char* s = src + i * s0 + j0 * s1;
        char* d = dst + (i * w + j0) * std::int64_t(bytes);
        for (std::int64_t j = j0; j < j1; ++j, s += s1, d += bytes) std::memcpy(d, s, bytes);
      }
    }
  }
}

}  // namespace

ConstTensorView oriented_view(ConstTensorView image, int orientation) {
  if (orientation < 1 || orientation > 8)
    detail::fail("orientation", "must be an EXIF orientation 1..8, got ", orientation);
  if (orientation == 1) return image;
  if (image.rank() != 2 && image.rank() != 3)
    detail::fail("image", "expected an HxW or HxWxC image, got shape ",
                 image.geometry().shape_string());
  Geometry g = image.geometry();
  const std::int64_t h = g.shape[0], w = g.shape[1], sh = g.strides[0], sw = g.strides[1];
  const bool empty = image.numel() == 0;
  const std::int64_t last_row = empty ? 0 : (h - 1) * sh, last_col = empty ? 0 : (w - 1) * sw;
  std::int64_t offset = 0;  // elements, to the view's first element
  switch (orientation) {
    case 2:  // FLIP_LEFT_RIGHT: out[y][x] = in[y][w-1-x]
      offset = last_col;
      g.strides[1] = -sw;
      break;
    case 3:  // ROTATE_180: out[y][x] = in[h-1-y][w-1-x]
      offset = last_row + last_col;
      g.strides[0] = -sh;
      g.strides[1] = -sw;
      break;
    case 4:  // FLIP_TOP_BOTTOM: out[y][x] = in[h-1-y][x]
      offset = last_row;
      g.strides[0] = -sh;
      break;
    default:  // 5..8: w x h
      g.shape[0] = w;
      g.shape[1] = h;
      if (orientation == 5) {  // TRANSPOSE: out[i][j] = in[j][i]
        g.strides[0] = sw;
        g.strides[1] = sh;
      } else if (orientation == 6) {  // ROTATE_270 (clockwise): out[i][j] = in[h-1-j][i]
        offset = last_row;
        g.strides[0] = sw;
        g.strides[1] = -sh;
      } else if (orientation == 7) {  // TRANSVERSE: out[i][j] = in[h-1-j][w-1-i]
        offset = last_row + last_col;
        g.strides[0] = -sw;
        g.strides[1] = -sh;
      } else {  // ROTATE_90 (counter-clockwise): out[i][j] = in[j][w-1-i]
        offset = last_col;
        g.strides[0] = -sw;
        g.strides[1] = sh;
      }
  }
  const char* base = static_cast<const char*>(image.data());
  if (offset != 0) base += offset * std::int64_t(dtype_size(image.dtype()));
  return ConstTensorView(base, image.dtype(), g);
}

Tensor apply_orientation(ConstTensorView image, int orientation) {
  const ConstTensorView v = oriented_view(image, orientation);
  const Geometry& g = v.geometry();
  Tensor out(v.dtype(), std::span<const std::int64_t>(g.shape.data(), std::size_t(g.rank)));
  const std::int64_t esize = std::int64_t(dtype_size(v.dtype()));
  if (v.is_contiguous()) {  // orientation 1 of a contiguous image
    if (out.numel() > 0) std::memcpy(out.data(), v.data(), std::size_t(out.numel() * esize));
    return out;
  }
  const bool pixels = (g.rank == 2 || (g.rank == 3 && (g.strides[2] == 1 || g.shape[2] <= 1))) &&
                      out.numel() > 0;
  if (!pixels) {  // other ranks (orientation 1) and interleaved-channel strides
    copy(v, out.view());
    return out;
  }
  // one pixel = its channels, contiguous in the source: copy whole pixels
  const std::int64_t channels = g.rank == 3 ? g.shape[2] : 1;
  const std::size_t bytes = std::size_t(channels * esize);
  const char* src = static_cast<const char*>(v.data());
  char* dst = static_cast<char*>(out.data());
  const std::int64_t s0 = g.strides[0] * esize, s1 = g.strides[1] * esize;
  const std::int64_t h = g.shape[0], w = g.shape[1];
  switch (bytes) {
    case 1: copy_pixels<1>(src, s0, s1, dst, h, w); break;
    case 2: copy_pixels<2>(src, s0, s1, dst, h, w); break;
    case 3: copy_pixels<3>(src, s0, s1, dst, h, w); break;
    case 4: copy_pixels<4>(src, s0, s1, dst, h, w); break;
    case 6: copy_pixels<6>(src, s0, s1, dst, h, w); break;
    case 8: copy_pixels<8>(src, s0, s1, dst, h, w); break;
    case 12: copy_pixels<12>(src, s0, s1, dst, h, w); break;
    case 16: copy_pixels<16>(src, s0, s1, dst, h, w); break;
    default: copy_pixels<0>(src, s0, s1, dst, h, w, bytes); break;
  }
  return out;
}

}  // namespace convkit::io
