// scipy.signal.convolve2d / correlate2d and numpy.convolve / correlate, reduced to ConvProblem.
#include "convkit/signal.h"

#include <cmath>
#include <limits>

#include "api/views.h"
#include "convkit/error.h"

namespace convkit::signal {

Mode parse_mode(const std::string& s) {
  if (s == "full") return Mode::full;
  if (s == "same") return Mode::same;
  if (s == "valid") return Mode::valid;
  detail::fail("mode", "unknown mode '", s, "' (expected full, same or valid)");
}

Boundary parse_boundary(const std::string& s) {
  if (s == "fill" || s == "pad") return Boundary::fill;
  if (s == "wrap" || s == "circular") return Boundary::wrap;
  if (s == "symm" || s == "symmetric") return Boundary::symm;
  detail::fail("boundary", "unknown boundary '", s, "' (expected fill, wrap or symm)");
}

namespace {

Border to_border(Boundary b) {
  switch (b) {
    case Boundary::fill: return Border::constant;
    case Boundary::wrap: return Border::wrap;
    default: return Border::reflect;
  }
}

// SciPy casts fillvalue to the output dtype (truncating toward zero for integers) and refuses
// values that do not survive the cast: non-finite, out of range, or complex into a real type.
std::complex<double> cast_fillvalue(std::complex<double> fill, DType out) {
  if (is_complex(out)) return fill;
  if (fill.imag() != 0)
    detail::fail("fillvalue", "(", fill.real(), (fill.imag() < 0 ? "" : "+"), fill.imag(),
                 "j) is complex but the output dtype ", dtype_name(out), " is real");
  if (!is_integer(out)) return fill;
  const double v = std::trunc(fill.real());
  const double lo = out == DType::u8 || out == DType::u16 ? 0
                    : out == DType::i16                   ? -32768.0
                                                          : -2147483648.0;
  const double hi = out == DType::u8    ? 255
                    : out == DType::u16 ? 65535
                    : out == DType::i16 ? 32767
                                        : 2147483647.0;
  if (!std::isfinite(v) || v < lo || v > hi)
    detail::fail("fillvalue", fill.real(), " cannot be represented in the integer output dtype ",
                 dtype_name(out));
  return v;
}

void require_rank(const char* name, const ConstTensorView& v, int rank) {
  if (v.rank() != rank)
    detail::fail(name, "must be a ", rank, "-D array, got rank ", v.rank(), " with shape ",
                 v.geometry().shape_string());
  api::require_nonempty(name, v);
}

struct Pads {
  std::int64_t top, bottom, left, right;
};

// One 2-D correlation (flip = convolution) of `image` with `kernel`, as SciPy's front ends
// reduce it: the operands after the 'valid' swap, the pads of the mode, the output.
struct Problem2d {
  ConstTensorView image, kernel;
  bool flip = false;
  Pads pads{0, 0, 0, 0};
  Border border = Border::constant;
  std::complex<double> fill = 0.0;
  bool flip_output = false;  // SciPy returns the swapped 'valid' correlation reversed
  DType out_dtype = DType::f64;

  std::int64_t out_h() const { return image.dim(0) + pads.top + pads.bottom - kernel.dim(0) + 1; }
  std::int64_t out_w() const { return image.dim(1) + pads.left + pads.right - kernel.dim(1) + 1; }
};

void run2d(const Problem2d& q, TensorView out, const PlanOptions& options) {
  const ConstTensorView image = q.image, kernel = q.kernel;
  ConvProblem p;
  p.h = image.dim(0);
  p.w = image.dim(1);
  p.r = kernel.dim(0);
  p.s = kernel.dim(1);
  p.src_dtype = image.dtype();
  p.filter_dtype = kernel.dtype();
  p.dst_dtype = q.out_dtype;
  p.flip = q.flip;
  p.conj = !q.flip && is_complex(kernel.dtype());
  p.pad_top = q.pads.top, p.pad_bottom = q.pads.bottom, p.pad_left = q.pads.left,
  p.pad_right = q.pads.right;
  p.border = q.border;
  p.border_value = q.fill;
  p.rounding = Rounding::wrap;  // NumPy semantics: integer math wraps
  const std::int64_t P = p.out_h(), Q = p.out_w();
  if (out.rank() != 2 || out.dim(0) != P || out.dim(1) != Q)
    detail::fail("out", "shape ", out.geometry().shape_string(), " != the result's (", P, ", ", Q,
                 ")");
  if (out.dtype() != q.out_dtype)
    detail::fail("out", "dtype ", dtype_name(out.dtype()), " != the result's ",
                 dtype_name(q.out_dtype));
  const auto plan = Plan::cached(p, api::kernel_as_kcrs(kernel), {}, options);
  std::int64_t rs = out.stride(0), cs = out.stride(1);
  char* origin = static_cast<char*>(out.data());
  if (q.flip_output) {
    origin += ((P - 1) * rs + (Q - 1) * cs) * std::int64_t(dtype_size(q.out_dtype));
    rs = -rs, cs = -cs;
  }
  const TensorView dst(origin, q.out_dtype, std::array<std::int64_t, 4>{1, 1, P, Q},
                       std::array<std::int64_t, 4>{0, 0, rs, cs});
  plan->execute(api::view4(image, {1, 1, p.h, p.w}, {0, 0, image.stride(0), image.stride(1)}), dst);
}

Problem2d problem2d(ConstTensorView in1, ConstTensorView in2, Mode mode, Boundary boundary,
                    std::complex<double> fill, bool flip) {
  require_rank("in1", in1, 2);
  require_rank("in2", in2, 2);
  Problem2d q;
  q.out_dtype = result_type(in1.dtype(), in2.dtype());
  q.fill = cast_fillvalue(fill, q.out_dtype);
  bool swapped = false;
  if (mode == Mode::valid) {
    const bool in1_large = in1.dim(0) >= in2.dim(0) && in1.dim(1) >= in2.dim(1);
    const bool in2_large = in2.dim(0) >= in1.dim(0) && in2.dim(1) >= in1.dim(1);
    if (!in1_large && !in2_large)
      detail::fail("in2", "for 'valid' mode one input must be at least as large as the other in ",
                   "every dimension; got in1 ", in1.geometry().shape_string(), " and in2 ",
                   in2.geometry().shape_string());
    swapped = !in1_large;
  }
  if (swapped) std::swap(in1, in2);
  const std::int64_t R = in2.dim(0), S = in2.dim(1);
  if (mode == Mode::full) {
    q.pads = {R - 1, R - 1, S - 1, S - 1};
  } else if (mode == Mode::same) {
    // convolve2d keeps full[(R-1)//2 :], correlate2d keeps full[R//2 :].
    const std::int64_t top = flip ? R / 2 : (R - 1) / 2, left = flip ? S / 2 : (S - 1) / 2;
    q.pads = {top, R - 1 - top, left, S - 1 - left};
  }
  q.image = in1, q.kernel = in2, q.flip = flip;
  q.border = to_border(boundary);
  q.flip_output = swapped && !flip;
  return q;
}

// SciPy's convolve2d / correlate2d are direct sums of the given taps: integer-valued data gives
// exact integers, so the planner keeps to algorithms that multiply the taps as given.
PlanOptions exact(PlanOptions o) {
  o.exact_taps = true;
  return o;
}

Tensor conv_or_corr2d(ConstTensorView in1, ConstTensorView in2, Mode mode, Boundary boundary,
                      std::complex<double> fill, const PlanOptions& options, bool flip) {
  const Problem2d q = problem2d(in1, in2, mode, boundary, fill, flip);
  Tensor out(q.out_dtype, {q.out_h(), q.out_w()});
  run2d(q, out.view(), exact(options));
  return out;
}

Tensor conv_or_corr1d(ConstTensorView a, ConstTensorView v, Mode mode, bool flip) {
  require_rank("a", a, 1);
  require_rank("v", v, 1);
  const DType out_dtype = result_type(a.dtype(), v.dtype());
  // Convolution is commutative, so numpy.convolve's swap (longer operand slides) changes
  // nothing but which one we call the image.
  if (flip && v.dim(0) > a.dim(0)) std::swap(a, v);
  const std::int64_t n = a.dim(0), m = v.dim(0);
  Pads pads{0, 0, 0, 0};
  if (m <= n) {
    if (mode == Mode::full) pads = {0, 0, m - 1, m - 1};
    if (mode == Mode::same) pads = {0, 0, m / 2, m - 1 - m / 2};
  } else {
    // numpy.correlate with the longer v computes correlate(v, a) reversed and conjugated;
    // these pads give the same samples with a as the image and v as the kernel.
    if (mode == Mode::full) pads = {0, 0, m - 1, m - 1};
    if (mode == Mode::same) pads = {0, 0, m - 1 - n / 2, m - n + n / 2};
    if (mode == Mode::valid) pads = {0, 0, m - n, m - n};
  }
  ConstTensorView a2(a.data(), a.dtype(), std::array<std::int64_t, 2>{1, n},
                     std::array<std::int64_t, 2>{0, a.stride(0)});
  ConstTensorView v2(v.data(), v.dtype(), std::array<std::int64_t, 2>{1, m},
                     std::array<std::int64_t, 2>{0, v.stride(0)});
  Problem2d q;
  q.image = a2, q.kernel = v2, q.flip = flip, q.pads = pads, q.out_dtype = out_dtype;
  Tensor out(out_dtype, {q.out_w()});
  run2d(q, TensorView(out.data(), out_dtype, {1, q.out_w()}), exact({}));
  return out;
}

}  // namespace

Tensor convolve2d(ConstTensorView in1, ConstTensorView in2, Mode mode, Boundary boundary,
                  std::complex<double> fillvalue, PlanOptions options) {
  return conv_or_corr2d(in1, in2, mode, boundary, fillvalue, options, true);
}

Tensor correlate2d(ConstTensorView in1, ConstTensorView in2, Mode mode, Boundary boundary,
                   std::complex<double> fillvalue, PlanOptions options) {
  return conv_or_corr2d(in1, in2, mode, boundary, fillvalue, options, false);
}

void convolve2d(ConstTensorView in1, ConstTensorView in2, TensorView out, Mode mode,
                Boundary boundary, std::complex<double> fillvalue, PlanOptions options) {
  run2d(problem2d(in1, in2, mode, boundary, fillvalue, true), out, exact(options));
}

void correlate2d(ConstTensorView in1, ConstTensorView in2, TensorView out, Mode mode,
                 Boundary boundary, std::complex<double> fillvalue, PlanOptions options) {
  run2d(problem2d(in1, in2, mode, boundary, fillvalue, false), out, exact(options));
}

std::array<std::int64_t, 2> output_shape2d(ConstTensorView in1, ConstTensorView in2, Mode mode,
                                           bool convolve) {
  const Problem2d q = problem2d(in1, in2, mode, Boundary::fill, 0.0, convolve);
  return {q.out_h(), q.out_w()};
}

Tensor convolve(ConstTensorView a, ConstTensorView v, Mode mode) {
  return conv_or_corr1d(a, v, mode, true);
}

Tensor correlate(ConstTensorView a, ConstTensorView v, Mode mode) {
  return conv_or_corr1d(a, v, mode, false);
}

}  // namespace convkit::signal
