// scipy.ndimage.correlate1d / correlate on arrays of rank 1..4, bit for bit SciPy's numbers:
// every pass is a per-channel 2-D ConvProblem summed in SciPy's order (Summation, the `ordered`
// algorithm), its 4-D view of the array made from strides alone.
//
// correlate1d: the filtered axis becomes W (a 1 x T kernel) when it is the last axis, else H
// (T x 1) with the last axis as W; the other axes become N and C.
// correlate: the last two axes are the plane of a 2-D kernel slice; the outer kernel axes are
// walked tap by tap in row-major order, each slice added to the running f64 sum (the plan's
// residual) for the output planes whose source plane it reads, so the sum keeps NI_Correlate's
// order. Output planes whose source plane falls outside the array take it through the border
// rule (or a plane of cval).
#include <algorithm>
#include <cstdlib>
#include <array>
#include <numeric>
#include <type_traits>
#include <vector>

#include "algorithms/border.h"
#include "api/views.h"
#include "convkit/error.h"
#include "convkit/image_filters.h"
#include "util/convert.h"
#include "util/rows_of.h"

namespace convkit::ndimage {

namespace {

void check_nd(ConstTensorView input, TensorView output) {
  if (input.rank() < 1 || input.rank() > kMaxRank)
    detail::fail("input", "must have 1 to ", kMaxRank, " dimensions, got ", input.rank());
  if (is_complex(input.dtype()))
    detail::fail("input", "complex input is split into real passes by the caller");
  if (output.rank() != input.rank())
    detail::fail("output", "rank ", output.rank(), " != input rank ", input.rank());
  for (int i = 0; i < input.rank(); ++i)
    if (output.dim(i) != input.dim(i))
      detail::fail("output", "shape ", output.geometry().shape_string(), " != input shape ",
                   input.geometry().shape_string());
  if (is_complex(output.dtype()))
    detail::fail("output", "complex output is split into real passes by the caller");
}

// An axis of a 4-D view: extent and stride (a missing axis is 1 x 0).
struct Axis {
  std::int64_t n = 1, stride = 0;
};
template <class View>
Axis axis_of(const View& v, int a) {
  return {v.dim(a), v.stride(a)};
}
template <class View>
View view4(const View& v, Axis n, Axis c, Axis h, Axis w) {
  return api::view4(v, {n.n, c.n, h.n, w.n}, {n.stride, c.stride, h.stride, w.stride});
}

// A 1-D or 2-D kernel as K x 1 x R x S, the same for every channel (stride 0: no copy).
ConstTensorView kernel4(const ConstTensorView& k, std::int64_t K, std::int64_t R, std::int64_t S,
                        std::int64_t rs, std::int64_t ss) {
  return ConstTensorView(k.data(), k.dtype(), std::array<std::int64_t, 4>{K, 1, R, S},
                         std::array<std::int64_t, 4>{0, 0, rs, ss});
}

ConvProblem plane_problem(const ConstTensorView& src4, DType dst, std::int64_t R, std::int64_t S,
                          std::int64_t anchor_h, std::int64_t anchor_w, Border mode, double cval,
                          DType filter, Summation summation) {
  ConvProblem p;
  p.n = src4.dim(0), p.c = p.k = p.groups = src4.dim(1), p.h = src4.dim(2), p.w = src4.dim(3);
  p.r = R, p.s = S;
  p.src_dtype = src4.dtype(), p.filter_dtype = filter, p.dst_dtype = dst;
  p.pad_top = anchor_h, p.pad_bottom = R - 1 - anchor_h;
  p.pad_left = anchor_w, p.pad_right = S - 1 - anchor_w;
  p.border = mode, p.border_value = cval;
  p.summation = summation;
  p.rounding = Rounding::c_cast;  // integer outputs: SciPy's C casts
  return p;
}

void check_anchor(const char* name, std::int64_t anchor, std::int64_t size) {
  if (anchor < 0 || anchor >= size)
    detail::fail(name, "places the kernel's origin outside it (anchor ", anchor, " of ", size,
                 " taps): SciPy needs -(size // 2) <= origin <= (size - 1) // 2");
}

// The f64 sum into the output as SciPy stores it: rounded once to f32, or C-cast to integers.
void store_sum(ConstTensorView sum, TensorView out) {
  const int d = sum.rank();
  const std::int64_t len = sum.dim(d - 1), ss = sum.stride(d - 1), os = out.stride(d - 1);
  visit_dtype(out.dtype(), [&](auto z) {
    using D = decltype(z);
    if constexpr (std::is_arithmetic_v<D>) {
      for_each_row(d, sum.geometry().shape.data(), sum.geometry().strides.data(),
                   out.geometry().strides.data(), [&](std::int64_t so, std::int64_t oo) {
                     const double* s = static_cast<const double*>(sum.data()) + so;
                     D* o = static_cast<D*>(out.data()) + oo;
                     for (std::int64_t x = 0; x < len; ++x) {
                       if constexpr (std::is_integral_v<D>)
                         o[x * os] = c_cast<D>(s[x * ss]);
                       else
                         o[x * os] = D(s[x * ss]);
                     }
                   });
    }
  });
}

PlanOptions ordered_plan() {
  PlanOptions o;
  o.algorithm = Algorithm::ordered;
  return o;
}

}  // namespace

void correlate1d(ConstTensorView input, ConstTensorView weights, int axis, TensorView output,
                 Border mode, double cval, std::int64_t origin) {
  check_nd(input, output);
  const int d = input.rank();
  if (axis < -d || axis >= d) detail::fail("axis", axis, " is out of range for rank ", d);
  if (axis < 0) axis += d;
  if (weights.rank() != 1 || weights.dim(0) < 1)
    detail::fail("weights", "must be a non-empty 1-D array, got shape ",
                 weights.geometry().shape_string());
  if (is_complex(weights.dtype())) detail::fail("weights", "must be real");
  if (input.numel() == 0) return;
  const std::int64_t T = weights.dim(0), anchor = T / 2 + origin;
  check_anchor("origin", anchor, T);
  // The other axes, merged where both views allow it (rows of up to kMaxRow samples), and
  // the filtered one; the longest, contiguous if possible, becomes W: a (1080, 1920, 3) image
  // filtered along axis 0 runs as rows of 5760 samples, not 1920 planes of rows of 3.
  struct Ax {
    std::int64_t n, is, os;
  };
  static constexpr std::int64_t kMaxRow = 8192;
  std::vector<Ax> before, after;
  for (int a = 0; a < d; ++a)
    if (a != axis) (a < axis ? before : after).push_back({input.dim(a), input.stride(a), output.stride(a)});
  auto merge = [&](std::vector<Ax>& v) {
    for (std::size_t i = v.size(); i-- > 1;) {
      Ax& outer = v[i - 1];
      const Ax& inner = v[i];
      if (outer.is == inner.is * inner.n && outer.os == inner.os * inner.n &&
          outer.n * inner.n <= kMaxRow) {
        outer = {outer.n * inner.n, inner.is, inner.os};
        v.erase(v.begin() + std::ptrdiff_t(i));
      }
    }
  };
  merge(before), merge(after);
  std::vector<Ax> others(before);
  others.insert(others.end(), after.begin(), after.end());
  const Ax filtered{input.dim(axis), input.stride(axis), output.stride(axis)};
  auto score = [](const Ax& x) {
    return std::min(x.n, kMaxRow) * (x.is == 1 || x.is == -1 ? 2 : 1);
  };
  int w_at = -1;  // -1: the filtered axis is W
  std::int64_t best = score(filtered);
  for (std::size_t i = 0; i < others.size(); ++i)
    if (score(others[i]) > best) best = score(others[i]), w_at = int(i);
  ConstTensorView src4;
  TensorView dst4;
  std::int64_t R = 1, S = 1, ah = 0, aw = 0, rs = 0, ss = 0;
  auto in_ax = [](const Ax& x) { return Axis{x.n, x.is}; };
  auto out_ax = [](const Ax& x) { return Axis{x.n, x.os}; };
  if (w_at < 0) {  // a 1 x T kernel along W; the others are N, C, H
    while (others.size() < 3) others.insert(others.begin(), Ax{1, 0, 0});
    src4 = view4(input, in_ax(others[0]), in_ax(others[1]), in_ax(others[2]), in_ax(filtered));
    dst4 = view4(output, out_ax(others[0]), out_ax(others[1]), out_ax(others[2]), out_ax(filtered));
    S = T, aw = anchor, ss = weights.stride(0);
  } else {  // a T x 1 kernel along H; W is the chosen axis, the rest N and C
    const Ax w = others[std::size_t(w_at)];
    others.erase(others.begin() + w_at);
    while (others.size() < 2) others.insert(others.begin(), Ax{1, 0, 0});
    src4 = view4(input, in_ax(others[0]), in_ax(others[1]), in_ax(filtered), in_ax(w));
    dst4 = view4(output, out_ax(others[0]), out_ax(others[1]), out_ax(filtered), out_ax(w));
    R = T, ah = anchor, rs = weights.stride(0);
  }
  const ConvProblem p = plane_problem(src4, output.dtype(), R, S, ah, aw, mode, cval,
                                      weights.dtype(), Summation::ndimage_line);
  Plan::cached(p, kernel4(weights, p.k, R, S, rs, ss), {}, ordered_plan())->execute(src4, dst4);
}

namespace {

// correlate() of a kernel whose axes longer than 1 are at most two (an image kernel on an HxWxC
// array, a 1-D kernel on a volume): one 2-D problem whose plane is those axes, the others
// batched as N and C, so an HxWx3 image is 3 planes, not H planes of 3-sample rows. The taps'
// row-major order over the whole kernel is their row-major order over the plane.
void correlate_plane(ConstTensorView input, ConstTensorView weights, TensorView output,
                     Border mode, double cval, const std::array<std::int64_t, kMaxRank>& anchor,
                     const std::vector<int>& big) {
  const int d = input.rank();
  int hax = -1, wax = -1;
  if (big.size() == 2) {
    hax = big[0], wax = big[1];
  } else {  // the kernel's axis (if any) is H; W the longest other axis, contiguous preferred
    hax = big.empty() ? -1 : big[0];
    std::int64_t best = -1;
    for (int a = 0; a < d; ++a) {
      if (a == hax) continue;
      const std::int64_t sc = input.dim(a) * (std::abs(input.stride(a)) == 1 ? 2 : 1);
      if (sc > best) best = sc, wax = a;
    }
  }
  std::vector<int> others;
  for (int a = 0; a < d; ++a)
    if (a != hax && a != wax) others.push_back(a);
  while (others.size() < 2) others.insert(others.begin(), -1);
  auto ax = [](const auto& v, int a) { return a < 0 ? Axis{} : axis_of(v, a); };
  const ConstTensorView src4 =
      view4(input, ax(input, others[0]), ax(input, others[1]), ax(input, hax), ax(input, wax));
  const TensorView dst4 =
      view4(output, ax(output, others[0]), ax(output, others[1]), ax(output, hax), ax(output, wax));
  const std::int64_t R = hax < 0 ? 1 : weights.dim(hax), S = weights.dim(wax);
  const std::int64_t ah = hax < 0 ? 0 : anchor[std::size_t(hax)], aw = anchor[std::size_t(wax)];
  const ConvProblem p = plane_problem(src4, output.dtype(), R, S, ah, aw, mode, cval,
                                      weights.dtype(), Summation::ndimage);
  Plan::cached(p, kernel4(weights, p.k, R, S, hax < 0 ? 0 : weights.stride(hax), weights.stride(wax)),
               {}, ordered_plan())
      ->execute(src4, dst4);
}

}  // namespace

void correlate(ConstTensorView input, ConstTensorView weights, TensorView output, Border mode,
               double cval, std::span<const std::int64_t> origins) {
  check_nd(input, output);
  const int d = input.rank();
  if (weights.rank() != d)
    detail::fail("weights", "rank ", weights.rank(), " != input rank ", d);
  if (std::int64_t(origins.size()) != d)
    detail::fail("origin", "has ", origins.size(), " entries for a rank-", d, " input");
  if (is_complex(weights.dtype())) detail::fail("weights", "must be real");
  std::array<std::int64_t, kMaxRank> anchor{};
  for (int a = 0; a < d; ++a) {
    if (weights.dim(a) < 1) detail::fail("weights", "has an empty axis ", a);
    anchor[std::size_t(a)] = weights.dim(a) / 2 + origins[std::size_t(a)];
    check_anchor("origin", anchor[std::size_t(a)], weights.dim(a));
  }
  if (input.numel() == 0) return;
  std::vector<int> big;  // the kernel's axes longer than 1
  for (int a = 0; a < d; ++a)
    if (weights.dim(a) > 1) big.push_back(a);
  if (d >= 3 && big.size() <= 2) return correlate_plane(input, weights, output, mode, cval, anchor, big);
  // The plane: the last two axes (a 1-D array is one row).
  const int ph = d - 2, pw = d - 1;  // ph < 0 for rank 1
  const std::int64_t R = ph >= 0 ? weights.dim(ph) : 1, S = weights.dim(pw);
  const std::int64_t ah = ph >= 0 ? anchor[std::size_t(ph)] : 0, aw = anchor[std::size_t(pw)];
  const Axis h_in = ph >= 0 ? axis_of(input, ph) : Axis{}, w_in = axis_of(input, pw);
  const std::int64_t wrs = ph >= 0 ? weights.stride(ph) : 0, wss = weights.stride(pw);
  const int outer = std::max(0, d - 2);  // outer axes 0 .. outer-1; the last one is batched

  // A running sum over several kernel slices lives in f64: the output itself when it is f64,
  // else a temporary; one slice (rank 1 or 2, or outer extents 1) goes straight to the output.
  std::int64_t slices = 1;
  for (int a = 0; a + 2 < d; ++a) slices *= weights.dim(a);
  Tensor sum_storage;
  TensorView sum = output;
  if (output.dtype() != DType::f64 && slices > 1) {
    sum_storage = Tensor(DType::f64, std::span<const std::int64_t>(input.geometry().shape.data(),
                                                                   std::size_t(d)));
    sum = sum_storage.view();
  }
  const Axis h_sum = ph >= 0 ? axis_of(sum, ph) : Axis{}, w_sum = axis_of(sum, pw);
  // A plane of cval for the constant border of the outer axes.
  Tensor cval_plane;
  if (mode == Border::constant && outer > 0) {
    cval_plane = Tensor(DType::f64, {h_in.n, w_in.n});
    std::fill_n(cval_plane.data_as<double>(), cval_plane.numel(), cval);
  }

  const auto es_in = std::int64_t(dtype_size(input.dtype()));
  const auto es_w = std::int64_t(dtype_size(weights.dtype()));
  // Runs one kernel slice over `count` output planes of one batch; src plane i = first + i.
  auto run = [&](const char* src, Axis src_batch, DType src_dtype, Axis src_h, Axis src_w,
                 char* dst, Axis dst_batch, const char* wslice, bool accumulate) {
    const ConstTensorView s4(src, src_dtype, std::array<std::int64_t, 4>{src_batch.n, 1, src_h.n, src_w.n},
                             std::array<std::int64_t, 4>{src_batch.stride, 0, src_h.stride, src_w.stride});
    const TensorView d4(dst, sum.dtype(), std::array<std::int64_t, 4>{dst_batch.n, 1, h_sum.n, w_sum.n},
                        std::array<std::int64_t, 4>{dst_batch.stride, 0, h_sum.stride, w_sum.stride});
    ConvProblem p = plane_problem(s4, sum.dtype(), R, S, ah, aw, mode, cval, weights.dtype(),
                                  Summation::ndimage);
    p.has_residual = accumulate;
    const ConstTensorView k4 =
        kernel4(ConstTensorView(wslice, weights.dtype(), std::array<std::int64_t, 1>{1}), 1, R, S,
                wrs, wss);
    const auto plan = Plan::cached(p, k4, {}, ordered_plan());
    if (accumulate)
      plan->execute(s4, d4, d4);
    else
      plan->execute(s4, d4);
  };

  if (outer == 0) {  // rank 1 or 2: one plane
    run(static_cast<const char*>(input.data()), Axis{}, input.dtype(), h_in, w_in,
        static_cast<char*>(sum.data()), Axis{}, static_cast<const char*>(weights.data()), false);
  } else {
    // Every outer tap tuple in row-major order; within it, every output index tuple of the
    // outer axes but the last, which is batched over the planes reading inside the array.
    const int last = outer - 1;
    std::array<std::int64_t, kMaxRank> tap{}, idx{};
    const std::int64_t taps_total = [&] {
      std::int64_t t = 1;
      for (int a = 0; a < outer; ++a) t *= weights.dim(a);
      return t;
    }();
    const auto es_sum = std::int64_t(dtype_size(sum.dtype()));
    for (std::int64_t ti = 0; ti < taps_total; ++ti) {
      for (std::int64_t rem = ti, a = outer - 1; a >= 0; --a) {
        tap[std::size_t(a)] = rem % weights.dim(int(a));
        rem /= weights.dim(int(a));
      }
      const char* wslice = static_cast<const char*>(weights.data());
      for (int a = 0; a < outer; ++a) wslice += tap[std::size_t(a)] * weights.stride(a) * es_w;
      const bool accumulate = ti > 0;
      std::int64_t prefix_count = 1;
      for (int a = 0; a < last; ++a) prefix_count *= input.dim(a);
      for (std::int64_t pi = 0; pi < prefix_count; ++pi) {
        for (std::int64_t rem = pi, a = last - 1; a >= 0; --a) {
          idx[std::size_t(a)] = rem % input.dim(int(a));
          rem /= input.dim(int(a));
        }
        // Source offsets of the outer axes but the last; a constant border outside -> cval.
        std::int64_t src_off = 0, dst_off = 0;
        bool outside = false;
        for (int a = 0; a < last; ++a) {
          const std::int64_t j = border_index(idx[std::size_t(a)] + tap[std::size_t(a)] -
                                                  anchor[std::size_t(a)],
                                              input.dim(a), mode);
          if (j < 0) outside = true;
          src_off += j * input.stride(a);
          dst_off += idx[std::size_t(a)] * sum.stride(a);
        }
        const std::int64_t A = input.dim(last), shift = tap[std::size_t(last)] - anchor[std::size_t(last)];
        char* dst_base = static_cast<char*>(sum.data()) + dst_off * es_sum;
        auto one_plane = [&](std::int64_t i) {
          const std::int64_t j = border_index(i + shift, A, mode);
          char* dst = dst_base + i * sum.stride(last) * es_sum;
          if (outside || j < 0)
            run(static_cast<const char*>(cval_plane.data()), Axis{}, DType::f64,
                Axis{h_in.n, w_in.n}, Axis{w_in.n, 1}, dst, Axis{}, wslice, accumulate);
          else
            run(static_cast<const char*>(input.data()) + (src_off + j * input.stride(last)) * es_in,
                Axis{}, input.dtype(), h_in, w_in, dst, Axis{}, wslice, accumulate);
        };
        // Interior: output planes whose source plane i + shift lies inside the array.
        const std::int64_t lo = std::clamp<std::int64_t>(-shift, 0, A);
        const std::int64_t hi = std::clamp<std::int64_t>(A - shift, lo, A);
        for (std::int64_t i = 0; i < lo; ++i) one_plane(i);
        if (hi > lo && !outside)
          run(static_cast<const char*>(input.data()) +
                  (src_off + (lo + shift) * input.stride(last)) * es_in,
              Axis{hi - lo, input.stride(last)}, input.dtype(), h_in, w_in,
              dst_base + lo * sum.stride(last) * es_sum, Axis{hi - lo, sum.stride(last)}, wslice,
              accumulate);
        else
          for (std::int64_t i = lo; i < hi; ++i) one_plane(i);
        for (std::int64_t i = hi; i < A; ++i) one_plane(i);
      }
    }
  }
  if (sum.data() != output.data()) store_sum(sum, output);
}

}  // namespace convkit::ndimage
