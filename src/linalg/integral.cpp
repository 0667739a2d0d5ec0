// Integral images (summed-area tables) with cv::integral's layout, depths and summation order.
// Sums run in the table's own type for floating tables (OpenCV's order: a running row sum added
// to the row above, so float32 tables round as OpenCV's do) and in 64-bit integers for integer
// tables (converted once, so an int32 table wraps exactly as OpenCV's).
#include <cstdint>
#include <vector>

#include "convkit/error.h"
#include "convkit/linalg.h"

namespace convkit::linalg {

namespace {

struct Src {
  const void* data;
  DType dtype;
  std::int64_t h, w, c, sy, sx, sc;
  double at(std::int64_t y, std::int64_t x, std::int64_t ch) const {
    const std::int64_t off = y * sy + x * sx + ch * sc;
    switch (dtype) {
      case DType::u8: return static_cast<const std::uint8_t*>(data)[off];
      case DType::u16: return static_cast<const std::uint16_t*>(data)[off];
      case DType::i16: return static_cast<const std::int16_t*>(data)[off];
      case DType::f32: return static_cast<const float*>(data)[off];
      default: return static_cast<const double*>(data)[off];
    }
  }
};

// The accumulator of a table type: 64-bit integers for i32 tables, the type itself otherwise.
template <class T> struct Acc { using type = T; };
template <> struct Acc<std::int32_t> { using type = std::int64_t; };

template <class T>
T stored(typename Acc<T>::type v) {
  if constexpr (std::is_same_v<T, std::int32_t>)
    return static_cast<T>(static_cast<std::uint32_t>(static_cast<std::uint64_t>(v)));  // wraps
  else
    return static_cast<T>(v);
}

// sum (or sqsum when `square`) of one channel into a (H+1) x (W+1) x C table.
template <class T>
void table(const Src& s, bool square, T* out) {
  using A = typename Acc<T>::type;
  const std::int64_t W1 = s.w + 1, C = s.c;
  for (std::int64_t x = 0; x < W1 * C; ++x) out[x] = T(0);
  std::vector<A> above(static_cast<std::size_t>(W1 * C), A(0));
  for (std::int64_t y = 0; y < s.h; ++y) {
    T* row = out + (y + 1) * W1 * C;
    for (std::int64_t ch = 0; ch < C; ++ch) {
      A run = A(0);
      row[ch] = T(0);
      for (std::int64_t x = 0; x < s.w; ++x) {
        const double v = s.at(y, x, ch);
        if constexpr (std::is_integral_v<A>)
          run += static_cast<A>(v) * (square ? static_cast<A>(v) : A(1));
        else
          run += square ? static_cast<A>(v) * static_cast<A>(v) : static_cast<A>(v);
        A& a = above[static_cast<std::size_t>((x + 1) * C + ch)];
        a = a + run;
        row[(x + 1) * C + ch] = stored<T>(a);
      }
    }
  }
}

// The tilted table T(Y, X) = sum_{y<Y, |x-X+1| <= Y-y-1} src[y][x], as U - V where
//   U(Y, X) = sum_{y<Y} P_y(clip(X + Y - 1 - y)),  V(Y, X) = sum_{y<Y} P_y(clip(X - Y + y))
// and P_y(k) is row y's prefix sum of its first k samples (clip to [0, W]). Both obey one-row
// recurrences (U(Y, X) = U(Y-1, X+1) + P_{Y-1}(clip(X)), V(Y, X) = V(Y-1, X-1) +
// P_{Y-1}(clip(X-1))), so the table costs O(H W) for any aspect ratio.
template <class T>
void tilted_table(const Src& s, T* out) {
  using A = std::conditional_t<std::is_integral_v<typename Acc<T>::type>, std::int64_t, double>;
  const std::int64_t W1 = s.w + 1, C = s.c;
  std::vector<A> prefix(static_cast<std::size_t>(W1)), u(static_cast<std::size_t>(W1 + 1)),
      v(static_cast<std::size_t>(W1 + 1)), nu(static_cast<std::size_t>(W1 + 1)),
      nv(static_cast<std::size_t>(W1 + 1));
  for (std::int64_t ch = 0; ch < C; ++ch) {
    std::fill(u.begin(), u.end(), A(0));
    std::fill(v.begin(), v.end(), A(0));
    A total = A(0);  // sum of all rows above: U(Y-1, W+1)
    for (std::int64_t x = 0; x < W1; ++x) out[x * C + ch] = T(0);
    for (std::int64_t Y = 1; Y <= s.h; ++Y) {
      prefix[0] = A(0);
      for (std::int64_t x = 0; x < s.w; ++x)
        prefix[static_cast<std::size_t>(x + 1)] =
            prefix[static_cast<std::size_t>(x)] + static_cast<A>(s.at(Y - 1, x, ch));
      for (std::int64_t X = 0; X < W1; ++X) {
        const A u_prev = X + 1 < W1 ? u[static_cast<std::size_t>(X + 1)] : total;
        const A v_prev = X >= 1 ? v[static_cast<std::size_t>(X - 1)] : A(0);
        nu[static_cast<std::size_t>(X)] = u_prev + prefix[static_cast<std::size_t>(X)];
        nv[static_cast<std::size_t>(X)] =
            v_prev + prefix[static_cast<std::size_t>(X >= 1 ? X - 1 : 0)];
        out[(Y * W1 + X) * C + ch] =
            stored<T>(static_cast<typename Acc<T>::type>(nu[static_cast<std::size_t>(X)] -
                                                         nv[static_cast<std::size_t>(X)]));
      }
      std::swap(u, nu);
      std::swap(v, nv);
      total += prefix[static_cast<std::size_t>(s.w)];
    }
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

Integrals integral(ConstTensorView src, const IntegralOptions& o) {
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
  std::vector<std::int64_t> shape{s.h + 1, s.w + 1};
  if (src.rank() == 3) shape.push_back(s.c);
  Integrals r;
  r.sum = Tensor(o.sum, shape);
  with_table_type(o.sum, [&](auto t) { table(s, false, r.sum.data_as<decltype(t)>()); });
  if (o.with_sqsum) {
    r.sqsum = Tensor(o.sqsum, shape);
    with_table_type(o.sqsum, [&](auto t) { table(s, true, r.sqsum.data_as<decltype(t)>()); });
  }
  if (o.with_tilted) {
    r.tilted = Tensor(o.sum, shape);
    with_table_type(o.sum, [&](auto t) { tilted_table(s, r.tilted.data_as<decltype(t)>()); });
  }
  return r;
}

}  // namespace convkit::linalg
