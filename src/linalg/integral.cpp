// Integral images (summed-area tables) with cv::integral's layout, depths and summation order.
// Sums run in the table's own type for floating tables (OpenCV's order: a running row sum added
// to the row above, so float32 tables round as OpenCV's do) and modulo 2^32 for int32 tables
// (exactly OpenCV's wrapped values when a true sum exceeds int32).
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "convkit/error.h"
#include "convkit/linalg.h"
#include "util/threads.h"

namespace convkit::linalg {

namespace {

struct Src {
  const void* data;
  DType dtype;
  std::int64_t h, w, c, sy, sx, sc;
};

// The running-sum type of a table: an i32 table adds in uint32 (wrapping modulo 2^32 exactly as
// OpenCV's int32 sums do, without signed overflow), floating tables add in their own type.
template <class T> struct Acc { using type = T; };
template <> struct Acc<std::int32_t> { using type = std::uint32_t; };

// One row of the table for NC interleaved channels c0 .. c0+NC-1 (NC fixed, so the running
// sums live in registers): a running sum per channel added to the row above, OpenCV's order.
template <int NC, bool Square, class S, class T>
void row_lanes(const Src& s, const S* line, std::int64_t c0, const T* above, T* row) {
  using A = typename Acc<T>::type;
  const std::int64_t C = s.c;
  A run[NC] = {};
  for (int k = 0; k < NC; ++k) row[c0 + k] = T(0);
  for (std::int64_t x = 0; x < s.w; ++x) {
    const S* px = line + x * s.sx + c0 * s.sc;
    const std::int64_t at = (x + 1) * C + c0;
    for (int k = 0; k < NC; ++k) {
      const A a = static_cast<A>(px[k * s.sc]);
      run[k] += Square ? A(a * a) : a;
      row[at + k] = static_cast<T>(static_cast<A>(above[at + k]) + run[k]);
    }
  }
}

// Rows y0+1 .. y1 of the sum (or sqsum when Square) table, from source rows y0 .. y1-1, on top of
// the row `above` (the table's row y0, or zeros for a chunk that is fixed up afterwards).
template <bool Square, class S, class T>
void table_rows(const Src& s, std::int64_t y0, std::int64_t y1, const T* above, T* out) {
  const std::int64_t W1 = s.w + 1, C = s.c;
  const S* src = static_cast<const S*>(s.data);
  for (std::int64_t y = y0; y < y1; ++y) {
    T* row = out + (y + 1) * W1 * C;
    const S* line = src + y * s.sy;
    switch (C) {  // the usual channel counts in one pass over the row
      case 1: row_lanes<1, Square>(s, line, 0, above, row); break;
      case 2: row_lanes<2, Square>(s, line, 0, above, row); break;
      case 3: row_lanes<3, Square>(s, line, 0, above, row); break;
      case 4: row_lanes<4, Square>(s, line, 0, above, row); break;
      default:
        for (std::int64_t c0 = 0; c0 < C; ++c0) row_lanes<1, Square>(s, line, c0, above, row);
    }
    above = row;
  }
}

// Whether every partial sum is exact, so chunks of rows may be summed separately and joined
// (same bits as OpenCV's one sequential pass): int32 tables (modulo 2^32), and float64 tables
// of 8/16-bit sums or 8-bit squares (below 2^53 for any image that fits in memory).
template <bool Square, class S, class T>
constexpr bool order_free() {
  if constexpr (std::is_same_v<T, std::int32_t>) return true;
  if constexpr (std::is_same_v<T, double> && std::is_integral_v<S>)
    return !Square || sizeof(S) == 1;
  return false;
}

// The (H+1) x (W+1) x C table. Exact cases run in row chunks on up to `max_threads` threads:
// each chunk sums on top of zeros, then adds the last row of everything above it.
template <bool Square, class S, class T>
void table(const Src& s, T* out, int max_threads) {
  using A = typename Acc<T>::type;
  const std::int64_t W1 = s.w + 1, C = s.c, row_size = W1 * C;
  for (std::int64_t x = 0; x < row_size; ++x) out[x] = T(0);
  const int threads = order_free<Square, S, T>()
                          ? static_cast<int>(std::min<std::int64_t>(
                                {threads_for(s.h * s.w * C, 1 << 18), s.h, max_threads}))
                          : 1;
  if (threads <= 1) return table_rows<Square, S>(s, 0, s.h, out, out);
  std::vector<std::int64_t> bound(static_cast<std::size_t>(threads + 1));
  for (int t = 0; t <= threads; ++t) bound[static_cast<std::size_t>(t)] = s.h * t / threads;
  const std::vector<T> zeros(static_cast<std::size_t>(row_size), T(0));
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    table_rows<Square, S>(s, bound[static_cast<std::size_t>(t)],
                          bound[static_cast<std::size_t>(t + 1)], t == 0 ? out : zeros.data(),
                          out);
  }
  // carry[t]: the true table row at the top of chunk t (chunk t-1's last row plus its carry).
  std::vector<A> carry(static_cast<std::size_t>(threads * row_size), A(0));
  for (int t = 1; t < threads; ++t) {
    const T* last = out + bound[static_cast<std::size_t>(t)] * row_size;
    A* c = carry.data() + t * row_size;
    const A* prev = carry.data() + (t - 1) * row_size;
    for (std::int64_t i = 0; i < row_size; ++i) c[i] = static_cast<A>(last[i]) + prev[i];
  }
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t y = bound[1] + 1; y <= s.h; ++y) {
    int t = 1;
    while (y > bound[static_cast<std::size_t>(t + 1)]) ++t;
    const A* c = carry.data() + t * row_size;
    T* row = out + y * row_size;
    for (std::int64_t i = 0; i < row_size; ++i)
      row[i] = static_cast<T>(static_cast<A>(row[i]) + c[i]);
  }
}

// The tilted table T(Y, X) = sum_{y<Y, |x-X+1| <= Y-y-1} src[y][x], by OpenCV's recurrence
// (checked bit for bit against cv2 on float images of every depth and channel count):
// a row buffer `buf` carries, per column, the samples of the two rows that the next row's
// diagonals add, and each new cell is
//   T(y+1, x+1) = buf[x] + ((buf[x+1] + v(y, x)) + T(y, x))     (interior columns)
// with the first and last columns and the first row handled as the edges require. The same
// operations in the same order give OpenCV's bits in float tables too; int32 tables wrap
// modulo 2^32 as OpenCV's do.
// Channels c0 .. c0+NC-1 of the tilted table (NC fixed: the carries live in registers; the
// restrict pointers tell the compiler the table, the buffer and the source do not overlap).
template <int NC, class S, class T>
void tilted_lanes(const Src& s, std::int64_t c0, T* __restrict out,
                  typename Acc<T>::type* __restrict buf) {
  using A = typename Acc<T>::type;
  const S* __restrict src = static_cast<const S*>(s.data) + c0 * s.sc;
  const std::int64_t W = s.w, C = s.c, RW = (W + 1) * C;
  out += c0;
  auto v = [&](std::int64_t y, std::int64_t x, int k) {
    return static_cast<A>(src[y * s.sy + x * s.sx + k * s.sc]);
  };
  T* row = out + RW;  // table row 1: the first source row itself
  for (int k = 0; k < NC; ++k) row[k] = T(0);
  for (std::int64_t x = 0; x < W; ++x)
    for (int k = 0; k < NC; ++k) {
      buf[x * NC + k] = v(0, x, k);
      row[(x + 1) * C + k] = static_cast<T>(v(0, x, k));
    }
  for (int k = 0; k < NC; ++k) buf[W * NC + k] = A(0);
  for (std::int64_t y = 1; y < s.h; ++y) {
    const T* up = out + y * RW;  // table row y
    row = out + (y + 1) * RW;
    A t0[NC];
    for (int k = 0; k < NC; ++k) {
      t0[k] = v(y, 0, k);
      row[k] = up[C + k];
      row[C + k] = static_cast<T>((static_cast<A>(up[C + k]) + t0[k]) + buf[NC + k]);
    }
    std::int64_t x = 1;
    for (; x < W - 1; ++x)
      for (int k = 0; k < NC; ++k) {
        const A t1 = buf[x * NC + k];
        buf[(x - 1) * NC + k] = t1 + t0[k];
        t0[k] = v(y, x, k);
        row[(x + 1) * C + k] =
            static_cast<T>(t1 + ((buf[(x + 1) * NC + k] + t0[k]) + static_cast<A>(up[x * C + k])));
      }
    if (W > 1)
      for (int k = 0; k < NC; ++k) {
        const A t1 = buf[x * NC + k];
        buf[(x - 1) * NC + k] = t1 + t0[k];
        t0[k] = v(y, x, k);
        row[(x + 1) * C + k] = static_cast<T>((t0[k] + t1) + static_cast<A>(up[x * C + k]));
        buf[x * NC + k] = t0[k];
      }
  }
}

template <class S, class T>
void tilted_table(const Src& s, T* out) {
  using A = typename Acc<T>::type;
  const std::int64_t W1 = s.w + 1, C = s.c;
  if (s.h == 0 || s.w == 0) {  // an empty image: a table of zeros
    for (std::int64_t i = 0; i < (s.h + 1) * W1 * C; ++i) out[i] = T(0);
    return;
  }
  for (std::int64_t i = 0; i < W1 * C; ++i) out[i] = T(0);
  std::vector<A> buf(static_cast<std::size_t>(W1 * std::min<std::int64_t>(C, 4)));
  for (std::int64_t c0 = 0; c0 < C; c0 += 4) {  // up to 4 channels side by side per pass
    switch (std::min<std::int64_t>(4, C - c0)) {
      case 1: tilted_lanes<1, S>(s, c0, out, buf.data()); break;
      case 2: tilted_lanes<2, S>(s, c0, out, buf.data()); break;
      case 3: tilted_lanes<3, S>(s, c0, out, buf.data()); break;
      default: tilted_lanes<4, S>(s, c0, out, buf.data()); break;
    }
  }
}

// OpenCV sums a one-channel float32 image into a float32 table, when it is asked for that table
// alone, with vector prefix sums (measured against opencv-python 5.0: every table equal): per
// row, blocks of 8 samples (AVX2; 4 on SSE-only CPUs), each half of 4 summed by two shifted
// adds, the upper half then adds the lower half's last sum, both add the running carry, and
// the row's tail (fewer than a block) runs on sequentially from the carry; the row is then
// added to the row above. The same operations in the same order give the same float32 bits.
void float_rows_blocked(const Src& s, float* out, int block) {
  const float* src = static_cast<const float*>(s.data);
  const std::int64_t W1 = s.w + 1;
  for (std::int64_t x = 0; x < W1; ++x) out[x] = 0.0f;
  std::vector<float> prefix(static_cast<std::size_t>(s.w));
  auto half = [](const float* v, float* p) {  // two shifted adds over 4 lanes
    const float a0 = v[0], a1 = v[1] + v[0], a2 = v[2] + v[1], a3 = v[3] + v[2];
    p[0] = a0, p[1] = a1, p[2] = a2 + a0, p[3] = a3 + a1;
  };
  for (std::int64_t y = 0; y < s.h; ++y) {
    const float* line = src + y * s.sy;
    float v[8];
    float carry = 0.0f;
    std::int64_t x = 0;
    for (; x + block <= s.w; x += block) {
      for (int k = 0; k < block; ++k) v[k] = line[(x + k) * s.sx];
      float* p = prefix.data() + x;
      half(v, p);
      if (block == 8) {
        half(v + 4, p + 4);
        for (int k = 4; k < 8; ++k) p[k] += p[3];
      }
      for (int k = 0; k < block; ++k) p[k] += carry;
      carry = p[block - 1];
    }
    for (; x < s.w; ++x) prefix[static_cast<std::size_t>(x)] = carry += line[x * s.sx];
    const float* above = out + y * W1;
    float* row = out + (y + 1) * W1;
    row[0] = 0.0f;
    for (std::int64_t i = 0; i < s.w; ++i) row[i + 1] = above[i + 1] + prefix[static_cast<std::size_t>(i)];
  }
}

template <class F>
void with_source_type(DType t, F&& f) {
  switch (t) {
    case DType::u8: return f(std::uint8_t{});
    case DType::u16: return f(std::uint16_t{});
    case DType::i16: return f(std::int16_t{});
    case DType::f32: return f(float{});
    default: return f(double{});
  }
}

template <class F>
void with_table_type(DType t, F&& f) {
  switch (t) {
    case DType::i32: return f(std::int32_t{});
    case DType::f32: return f(float{});
    default: return f(double{});
  }
}

bool supported(DType src, DType sum, DType sq, bool with_sq) {
  const bool sum_ok = (src == DType::u8 && (sum == DType::i32 || sum == DType::f32 ||
                                            sum == DType::f64)) ||
                      ((src == DType::u16 || src == DType::i16) && sum == DType::f64) ||
                      (src == DType::f32 && (sum == DType::f32 || sum == DType::f64)) ||
                      (src == DType::f64 && sum == DType::f64);
  if (!sum_ok || !with_sq) return sum_ok;
  if (sq == DType::f64) return true;
  if (sq == DType::f32) return (src == DType::u8 && sum != DType::f64) || (src == DType::f32 && sum == DType::f32);
  return sq == DType::i32 && src == DType::u8 && sum == DType::i32;
}

}  // namespace

DType integral_default_depth(DType src) { return src == DType::u8 ? DType::i32 : DType::f64; }

namespace {

Src source_of(ConstTensorView src, const IntegralOptions& o) {
  if (src.rank() != 2 && src.rank() != 3)
    detail::fail("src", "must be H x W or H x W x C, got ", src.geometry().shape_string());
  const DType d = src.dtype();
  if (d != DType::u8 && d != DType::u16 && d != DType::i16 && d != DType::f32 && d != DType::f64)
    detail::fail("src", "dtype ", dtype_name(d), " is not supported (u8, u16, i16, f32, f64)");
  if (!supported(d, o.sum, o.sqsum, o.with_sqsum))
    detail::fail("sdepth", "unsupported combination of source ", dtype_name(d), ", sum ",
                 dtype_name(o.sum), (o.with_sqsum ? " and sqsum " : ""),
                 (o.with_sqsum ? dtype_name(o.sqsum) : ""));
  Src s{src.data(), d, src.dim(0), src.dim(1), src.rank() == 3 ? src.dim(2) : 1,
        src.stride(0), src.stride(1), src.rank() == 3 ? src.stride(2) : 0};
  if (s.c < 1) detail::fail("src", "has no channels");
  return s;
}

void check_table(const TensorView& t, const char* name, DType dtype,
                 const std::vector<std::int64_t>& shape) {
  bool ok = t.dtype() == dtype && t.rank() == int(shape.size()) && t.is_contiguous();
  for (int i = 0; ok && i < t.rank(); ++i) ok = t.dim(i) == shape[static_cast<std::size_t>(i)];
  if (!ok)
    detail::fail(name, "must be a contiguous ", dtype_name(dtype), " ",
                 Geometry::contiguous(shape).shape_string(), " table, got ",
                 dtype_name(t.dtype()), " ", t.geometry().shape_string());
}

}  // namespace

std::vector<std::int64_t> integral_shape(ConstTensorView src) {
  if (src.rank() != 2 && src.rank() != 3)
    detail::fail("src", "must be H x W or H x W x C, got ", src.geometry().shape_string());
  std::vector<std::int64_t> shape{src.dim(0) + 1, src.dim(1) + 1};
  if (src.rank() == 3) shape.push_back(src.dim(2));
  return shape;
}

void integral(ConstTensorView src, const IntegralOptions& o, TensorView sum, TensorView sqsum,
              TensorView tilted) {
  const Src s = source_of(src, o);
  const std::vector<std::int64_t> shape = integral_shape(src);
  check_table(sum, "sum", o.sum, shape);
  if (o.with_sqsum) check_table(sqsum, "sqsum", o.sqsum, shape);
  if (o.with_tilted) check_table(tilted, "tilted", o.sum, shape);
  if (s.dtype == DType::f32 && o.sum == DType::f32 && s.c == 1 && !o.with_sqsum &&
      !o.with_tilted)
    return float_rows_blocked(s, sum.data_as<float>(), __builtin_cpu_supports("avx2") ? 8 : 4);
  // With a tilted table, it (the longest) and the other tables are two tasks for two threads;
  // otherwise each table in turn takes the threads itself where its sums are exact (table()).
  const bool split = o.with_tilted && threads_for(s.h * s.w * s.c * 3, 1 << 18) > 1;
  with_source_type(s.dtype, [&](auto sv) {
    using S = decltype(sv);
    auto sums = [&](int threads) {
      with_table_type(o.sum,
                      [&](auto t) { table<false, S>(s, sum.data_as<decltype(t)>(), threads); });
      if (o.with_sqsum)
        with_table_type(o.sqsum,
                        [&](auto t) { table<true, S>(s, sqsum.data_as<decltype(t)>(), threads); });
    };
    auto tilt = [&] {
      if (o.with_tilted)
        with_table_type(o.sum, [&](auto t) { tilted_table<S>(s, tilted.data_as<decltype(t)>()); });
    };
    if (!split) {
      sums(get_num_threads());
      tilt();
      return;
    }
#pragma omp parallel sections num_threads(2)
    {
#pragma omp section
      tilt();
#pragma omp section
      sums(1);
    }
  });
}

Integrals integral(ConstTensorView src, const IntegralOptions& o) {
  source_of(src, o);  // the checks, before allocating
  const std::vector<std::int64_t> shape = integral_shape(src);
  Integrals r;
  r.sum = Tensor(o.sum, shape);
  if (o.with_sqsum) r.sqsum = Tensor(o.sqsum, shape);
  if (o.with_tilted) r.tilted = Tensor(o.sum, shape);
  integral(src, o, r.sum.view(), o.with_sqsum ? r.sqsum.view() : TensorView(),
           o.with_tilted ? r.tilted.view() : TensorView());
  return r;
}

}  // namespace convkit::linalg
