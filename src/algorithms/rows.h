#pragma once
// The row machinery shared by the row-streaming algorithms (direct, separable, box): the halo
// loader that converts one input row and extends it by the border rule, the store that applies
// the epilogue and converts to the output dtype, and the exactness analysis that decides
// whether f32 accumulation reproduces the reference's integer results.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "algorithms/border.h"
#include "convkit/plan.h"
#include "kernels/direct/direct.h"
#include "kernels/dispatch.h"
#include "plan/algorithm.h"
#include "plan/cost.h"
#include "util/numeric.h"
#include "util/threads.h"

namespace convkit::rows {

/// How one algorithm walks the views. A "plane" is one channel of one image, or all channels
/// of an interleaved (HWC) image at once, seen as one row of W*C samples whose taps are C apart.
struct RowCtx {
  const ConvProblem* p;
  ConstTensorView src;
  TensorView dst;
  bool interleaved = false;
  std::int64_t chans = 1;  ///< samples per pixel in a row: C if interleaved, else 1

  std::int64_t planes() const { return interleaved ? p->n : p->n * p->c; }
  std::int64_t image(std::int64_t plane) const { return interleaved ? plane : plane / p->c; }
  std::int64_t channel(std::int64_t plane) const { return interleaved ? 0 : plane % p->c; }
};

/// `same_kernel`: every channel has the same taps and bias, so channels may share one wide row.
inline RowCtx make_ctx(const ConvProblem& p, ConstTensorView src, TensorView dst,
                       bool same_kernel) {
  RowCtx ctx{&p, src, dst};
  if (p.c > 1 && same_kernel && src.stride(1) == 1 && src.stride(3) == p.c && dst.stride(1) == 1 &&
      dst.stride(3) == p.k) {
    ctx.interleaved = true;
    ctx.chans = p.c;
  }
  return ctx;
}

/// Fills the border columns of an extended row whose interior (W pixels of C samples) is in
/// place at `interior`: a column the constant border invents gets `fill`, any other a copy of
/// the interior column it maps to. (Column sums and column passes extend the same way, with
/// fill scaled by the taps.)
template <class T>
void extend_borders(const ConvProblem& p, std::int64_t C, T* interior, T fill) {
  for (std::int64_t x = -p.pad_left; x < p.w + p.pad_right; ++x) {
    if (x == 0) x = p.w;  // skip the interior
    if (x >= p.w + p.pad_right) break;
    const std::int64_t bx = border_index(x, p.w, p.border);
    T* to = interior + x * C;
    if (bx < 0)
      std::fill(to, to + C, fill);
    else
      std::copy(interior + bx * C, interior + bx * C + C, to);
  }
}

/// The image row of extended row `iy` of plane (n, c), or null where the constant border
/// invents the row.
inline const void* source_row(const RowCtx& ctx, std::int64_t n, std::int64_t c, std::int64_t iy) {
  const ConvProblem& p = *ctx.p;
  const std::int64_t y = border_index(iy, p.h, p.border);
  if (y < 0) return nullptr;
  return static_cast<const char*>(ctx.src.data()) +
         (n * ctx.src.stride(0) + c * ctx.src.stride(1) + y * ctx.src.stride(2)) *
             std::int64_t(dtype_size(p.src_dtype));
}

/// The direct kernels for accumulator type Acc (see kernels/direct/direct.h).
template <class Acc>
void direct_row(const Acc* const* rows, const Acc* taps, std::size_t R, std::size_t S,
                std::size_t step, std::size_t n, Acc* out) {
  if constexpr (sizeof(Acc) == 4)
    kernels::f32_direct_row(rows, taps, R, S, step, n, out);
  else
    kernels::f64_direct_row(rows, taps, R, S, step, n, out);
}
template <class Acc>
void direct_rows4(const Acc* const* rows, const Acc* taps, std::size_t R, std::size_t S,
                  std::size_t step, std::size_t n, Acc* const* out, bool stream = false) {
  if constexpr (sizeof(Acc) == 4)
    (stream ? kernels::f32_direct_rows4_nt : kernels::f32_direct_rows4)(rows, taps, R, S, step, n,
                                                                        out);
  else
    (stream ? kernels::f64_direct_rows4_nt : kernels::f64_direct_rows4)(rows, taps, R, S, step, n,
                                                                        out);
}

/// Why a row algorithm cannot run a problem ("" if it can): they filter each channel with its
/// own real kernel, stride 1, into u8/u16/i16/f32/f64 with a rounding a store kernel has.
inline std::string per_channel_rejects(const ConvProblem& p, const PreparedFilter& f) {
  auto supported = [](DType t) { return t != DType::i32 && !is_complex(t); };
  if (f.complex || is_complex(p.src_dtype)) return "complex data";
  if (!supported(p.src_dtype) || !supported(p.dst_dtype))
    return std::string("no kernel for ") + dtype_name(p.src_dtype) + " -> " +
           dtype_name(p.dst_dtype);
  if (is_integer(p.dst_dtype) && p.rounding == Rounding::wrap)
    return "integer output with wrap-around (NumPy integer) arithmetic";
  if (p.c / p.groups != 1 || p.k / p.groups != 1) return "channels are mixed (not per-channel)";
  if (p.stride_h != 1 || p.stride_w != 1) return "stride > 1";
  if (p.activation != Activation::none) return "fused activation";
  return "";
}

/// Input row `iy` (in extended coordinates, i.e. before subtracting pad_top) of plane (n, c),
/// converted to Acc and extended left/right by the border rule: buf[0 : (W+pl+pr)*C].
template <class Acc>
void load_row(const RowCtx& ctx, std::int64_t n, std::int64_t c, std::int64_t iy, Acc* buf,
              Acc fill) {
  const ConvProblem& p = *ctx.p;
  const std::int64_t C = ctx.chans;
  const std::int64_t ext_w = p.w + p.pad_left + p.pad_right;
  const std::int64_t y = border_index(iy, p.h, p.border);
  if (y < 0) {
    std::fill(buf, buf + ext_w * C, fill);
    return;
  }
  Acc* interior = buf + p.pad_left * C;
  const char* base = static_cast<const char*>(ctx.src.data()) +
                     (n * ctx.src.stride(0) + c * ctx.src.stride(1) + y * ctx.src.stride(2)) *
                         std::int64_t(dtype_size(p.src_dtype));
  visit_dtype(p.src_dtype, [&](auto z) {
    using T = decltype(z);
    if constexpr (std::is_arithmetic_v<T>) {
      const T* s = reinterpret_cast<const T*>(base);
      const std::int64_t xs = ctx.src.stride(3);
      if (xs == C && std::is_same_v<T, Acc>) {  // the library memcpy uses the widest vectors
        std::memcpy(interior, s, std::size_t(p.w * C) * sizeof(Acc));
      } else if (xs == C) {  // contiguous samples: a plain loop the compiler vectorises
        for (std::int64_t j = 0; j < p.w * C; ++j) interior[j] = Acc(s[j]);
      } else {
        for (std::int64_t x = 0; x < p.w; ++x) interior[x] = Acc(s[x * xs]);
      }
    }
  });
  extend_borders(p, C, interior, fill);
}

/// Per-thread scratch memory reused across bands and runs: a band that allocated fresh vectors
/// would fault in (and zero) new pages on every run, which costs more than a small filter's
/// arithmetic. take() hands out 64-byte-aligned, uninitialised blocks until the next reset().
class Scratch {
 public:
  /// Starts a band: everything taken before is free again.
  void reset() {
    if (blocks_.size() > 1) {  // merge, so the next band fits in one block
      std::size_t total = 0;
      for (const Block& b : blocks_) total += b.size;
      blocks_.clear();
      add_block(total);
    }
    used_ = 0;
  }
  template <class T>
  T* take(std::size_t count) {
    const std::size_t bytes = (count * sizeof(T) + 63) / 64 * 64;
    if (blocks_.empty() || used_ + bytes > blocks_.back().size) {
      add_block(std::max<std::size_t>(bytes, std::size_t(1) << 20));
      used_ = 0;
    }
    T* p = reinterpret_cast<T*>(blocks_.back().data + used_);
    used_ += bytes;
    return p;
  }
  /// The calling thread's scratch, reset for a new band.
  static Scratch& for_band() {
    thread_local Scratch s;
    s.reset();
    return s;
  }

 private:
  struct Block {
    std::unique_ptr<char[]> mem;
    char* data;
    std::size_t size;
  };
  void add_block(std::size_t size) {
    auto mem = std::make_unique_for_overwrite<char[]>(size + 64);
    char* data = mem.get() + (64 - reinterpret_cast<std::uintptr_t>(mem.get()) % 64) % 64;
    blocks_.push_back({std::move(mem), data, size});
  }
  std::vector<Block> blocks_;
  std::size_t used_ = 0;
};

/// A block of `count` elements from `scratch`, its first `zero` elements set to 0.
template <class T>
T* take_zeroed(Scratch& scratch, std::size_t count, std::size_t zero) {
  T* p = scratch.take<T>(count);
  std::fill(p, p + zero, T(0));
  return p;
}

/// The extended input rows one band needs, converted once each: a ring of `span` rows keyed by
/// extended row index, so consecutive output rows re-use the rows they share.
template <class Acc>
class RowRing {
 public:
  /// `extra`: rows beyond one output row's span kept too (blocks of 1 + extra output rows).
  RowRing(Scratch& scratch, const RowCtx& ctx, std::int64_t n, std::int64_t c,
          std::int64_t extra = 0)
      : ctx_(ctx), n_(n), c_(c),
        span_(std::int64_t(std::bit_ceil(
            std::uint64_t((ctx.p->r - 1) * ctx.p->dilation_h + 1 + extra)))),
        len_(std::size_t((ctx.p->w + ctx.p->pad_left + ctx.p->pad_right) * ctx.chans) +
             kernels::kSlack),
        buf_(scratch.take<Acc>(std::size_t(span_) * len_)),
        key_(scratch.take<std::int64_t>(std::size_t(span_))),
        fill_(Acc(ctx.p->border_value.real())) {
    std::fill(key_, key_ + span_, std::numeric_limits<std::int64_t>::min());
    // The slack past each row is read (never used) by full-vector tails: keep it finite.
    const std::size_t row = len_ - kernels::kSlack;
    for (std::int64_t i = 0; i < span_; ++i)
      std::fill(buf_ + std::size_t(i) * len_ + row, buf_ + std::size_t(i + 1) * len_, Acc(0));
  }

  /// Extended input row `iy` (input row iy - pad_top), loaded on first use.
  const Acc* row(std::int64_t iy) {
    // span_ is a power of two: the slot is a mask (two's complement keeps negative rows
    // in range), not two divisions per row lookup.
    const std::size_t slot = std::size_t(iy & (span_ - 1));
    Acc* b = buf_ + slot * len_;
    if (key_[slot] != iy) {
      load_row(ctx_, n_, c_, iy, b, fill_);
      key_[slot] = iy;
    }
    return b;
  }
  /// The R rows output row `oy` reads, into rows[0 : R].
  void rows_for(std::int64_t oy, const Acc** rows) {
    const ConvProblem& p = *ctx_.p;
    for (std::int64_t r = 0; r < p.r; ++r) rows[r] = row(oy - p.pad_top + r * p.dilation_h);
  }

 private:
  const RowCtx& ctx_;
  std::int64_t n_, c_, span_;
  std::size_t len_;
  Acc* buf_;
  std::int64_t* key_;
  Acc fill_;
};

/// Splits the output rows of every plane into bands for the threads `work` (multiply-adds or
/// similar) deserves (several bands per thread balance the load; each band re-reads only its
/// halo rows) and runs band(plane, y0, y1) for each, in parallel.
template <class Band>
void for_each_band(const RowCtx& ctx, std::int64_t work, Band&& band) {
  const int threads = threads_for(work, cost::kRowItemsPerThread);
  kernels::select_isa();  // once, before the threads read the dispatch table
  const std::int64_t planes = ctx.planes();
  const std::int64_t P = ctx.p->out_h();
  if (threads == 1) {  // one band per plane, no parallel region: what small calls pay for
    for (std::int64_t plane = 0; plane < planes; ++plane) band(plane, 0, P);
    return;
  }
  const std::int64_t per_plane =
      std::max<std::int64_t>(1, std::min<std::int64_t>(P, (threads * 4 + planes - 1) / planes));
  const std::int64_t items = planes * per_plane;
#pragma omp parallel for schedule(static) num_threads(threads)
  for (std::int64_t it = 0; it < items; ++it) {
    const std::int64_t plane = it / per_plane, b = it % per_plane;
    band(plane, b * P / per_plane, (b + 1) * P / per_plane);
  }
}

namespace detail {
#define CONVKIT_DIRECT_ROW(name, A)
#define CONVKIT_DIRECT_STORE(name, A, Dst)                                               \
  inline void store_kernel(const A* a, std::size_t count, A scale, A delta, Dst* out, \
                           bool) {                                                     \
    kernels::name(a, count, scale, delta, out);                                        \
  }
#include "kernels/direct/direct.inc"
#undef CONVKIT_DIRECT_ROW
#undef CONVKIT_DIRECT_STORE
// Integer outputs also have a half-up variant; the overloads above are replaced for them.
#define CONVKIT_DIRECT_ROW(name, A)
#define CONVKIT_DIRECT_STORE(name, A, Dst)
#define CONVKIT_DIRECT_STORE_UP(name, A, Dst)                                                \
  inline void store_kernel_up(const A* a, std::size_t count, A scale, A delta, Dst* out) { \
    kernels::name(a, count, scale, delta, out);                                            \
  }
#include "kernels/direct/direct.inc"
#undef CONVKIT_DIRECT_ROW
#undef CONVKIT_DIRECT_STORE
#undef CONVKIT_DIRECT_STORE_UP
}  // namespace detail

/// Output row `oy` of plane (n, c) = convert(acc * scale + delta) by the problem's rounding.
/// `scratch` holds Q*C doubles (used only when the output's samples are not contiguous).
template <class Acc>
void store_row(const RowCtx& ctx, std::int64_t n, std::int64_t c, std::int64_t oy, const Acc* acc,
               Acc scale, Acc delta, double* scratch) {
  const ConvProblem& p = *ctx.p;
  const std::int64_t C = ctx.chans, Q = p.out_w();
  const std::int64_t count = Q * C;
  char* base = static_cast<char*>(ctx.dst.data()) +
               (n * ctx.dst.stride(0) + c * ctx.dst.stride(1) + oy * ctx.dst.stride(2)) *
                   std::int64_t(dtype_size(p.dst_dtype));
  const bool contiguous = ctx.dst.stride(3) == C;
  const bool half_up = p.rounding == Rounding::half_up;
  visit_dtype(p.dst_dtype, [&](auto z) {
    using D = decltype(z);
    if constexpr (std::is_arithmetic_v<D> && !std::is_same_v<D, std::int32_t> &&
                  !(sizeof(Acc) == 4 && std::is_same_v<D, double>)) {
      D* out = contiguous ? reinterpret_cast<D*>(base) : reinterpret_cast<D*>(scratch);
      if constexpr (std::is_integral_v<D>) {
        if (half_up)
          detail::store_kernel_up(acc, std::size_t(count), scale, delta, out);
        else
          detail::store_kernel(acc, std::size_t(count), scale, delta, out, false);
      } else {
        detail::store_kernel(acc, std::size_t(count), scale, delta, out, false);
      }
      if (!contiguous) {
        // Odd output strides (a flipped or transposed view): scatter the converted row.
        D* to = reinterpret_cast<D*>(base);
        for (std::int64_t x = 0; x < Q; ++x) to[x * ctx.dst.stride(3)] = out[x];
      }
    }
  });
}

/// Largest magnitude an input sample (or the constant border) can have.
inline double max_input_magnitude(const ConvProblem& p) {
  double m = std::numeric_limits<double>::infinity();
  switch (p.src_dtype) {
    case DType::u8: m = 255; break;
    case DType::u16: m = 65535; break;
    case DType::i16: m = 32768; break;
    default: break;
  }
  if (p.border == Border::constant) m = std::max(m, std::abs(p.border_value.real()));
  return m;
}


/// The constant terms of the epilogue an exact sum must also hold: delta and every bias.
inline std::vector<double> epilogue_offsets(const ConvProblem& p, const PreparedFilter& f) {
  std::vector<double> o{p.delta.real()};
  o.insert(o.end(), f.bias.begin(), f.bias.end());
  return o;
}

/// One pass of taps over the samples: all its taps (every channel) and the largest sum of
/// |tap| of one output.
struct Stage {
  std::span<const double> taps;
  double max_abs_sum;
};

/// Whether a sum of integer samples times taps (pass after pass), plus the offsets (delta and
/// bias), is computed exactly in a float type with `mantissa` bits: every partial sum is an
/// integer multiple of 2^-E below 2^mantissa. Integer samples only.
inline bool exact_in(const ConvProblem& p, std::span<const Stage> stages,
                     std::span<const double> offsets, int mantissa) {
  if (!is_integer(p.src_dtype) || p.scale != 1.0) return false;
  const double fill = p.border_value.real();
  if (p.border == Border::constant && fill != std::trunc(fill)) return false;  // not integer
  double bound = max_input_magnitude(p);
  int e_total = 0;
  const double limit = std::ldexp(1.0, mantissa);
  for (const Stage& st : stages) {
    const int e = convkit::dyadic_exponent(st.taps);
    if (e < 0) return false;
    e_total += e;
    bound *= st.max_abs_sum;
    if (std::ldexp(bound, e_total) >= limit) return false;
  }
  const int eo = convkit::dyadic_exponent(offsets);
  if (eo < 0) return false;
  // Half up adds 0.5 before rounding: it must be representable too.
  e_total = std::max({e_total, eo, p.rounding == Rounding::half_up ? 1 : 0});
  for (double o : offsets) bound += std::abs(o);
  if (p.rounding == Rounding::half_up) bound += 0.5;
  return std::ldexp(bound, e_total) < limit;
}

}  // namespace convkit::rows
