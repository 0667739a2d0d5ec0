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

// Runs one 2-D correlation problem (flip = convolution) of `image` with `kernel`.
Tensor run2d(ConstTensorView image, ConstTensorView kernel, bool flip, Pads pads, Border border,
             std::complex<double> fill, bool flip_output, const PlanOptions& options,
             DType out_dtype) {
  ConvProblem p;
  p.h = image.dim(0);
  p.w = image.dim(1);
  p.r = kernel.dim(0);
  p.s = kernel.dim(1);
  p.src_dtype = image.dtype();
  p.filter_dtype = kernel.dtype();
  p.dst_dtype = out_dtype;
  p.flip = flip;
  p.conj = !flip && is_complex(kernel.dtype());
  p.pad_top = pads.top, p.pad_bottom = pads.bottom, p.pad_left = pads.left,
  p.pad_right = pads.right;
  p.border = border;
  p.border_value = fill;
  p.rounding = Rounding::wrap;  // NumPy semantics: integer math wraps
  const std::int64_t P = p.out_h(), Q = p.out_w();
  Tensor out(out_dtype, {P, Q});
  const auto plan = Plan::cached(p, api::kernel_as_kcrs(kernel), {}, options);
  TensorView dst = api::view4(out.view(), {1, 1, P, Q}, {0, 0, Q, 1});
  if (flip_output)  // SciPy returns the swapped 'valid' correlation reversed on both axes
    dst = TensorView(static_cast<char*>(out.data()) + (P * Q - 1) * std::int64_t(dtype_size(out_dtype)),
                     out_dtype, std::array<std::int64_t, 4>{1, 1, P, Q},
                     std::array<std::int64_t, 4>{0, 0, -Q, -1});
  plan->execute(api::view4(image, {1, 1, p.h, p.w}, {0, 0, image.stride(0), image.stride(1)}), dst);
  return out;
}

Tensor conv_or_corr2d(ConstTensorView in1, ConstTensorView in2, Mode mode, Boundary boundary,
                      std::complex<double> fill, const PlanOptions& options, bool flip) {
  require_rank("in1", in1, 2);
  require_rank("in2", in2, 2);
  const DType out_dtype = result_type(in1.dtype(), in2.dtype());
  fill = cast_fillvalue(fill, out_dtype);
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
  Pads pads{0, 0, 0, 0};
  if (mode == Mode::full) {
    pads = {R - 1, R - 1, S - 1, S - 1};
  } else if (mode == Mode::same) {
    // convolve2d keeps full[(R-1)//2 :], correlate2d keeps full[R//2 :].
    const std::int64_t top = flip ? R / 2 : (R - 1) / 2, left = flip ? S / 2 : (S - 1) / 2;
    pads = {top, R - 1 - top, left, S - 1 - left};
  }
  return run2d(in1, in2, flip, pads, to_border(boundary), fill, swapped && !flip, options,
               out_dtype);
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
  Tensor out2 = run2d(a2, v2, flip, pads, Border::constant, 0.0, false, {}, out_dtype);
  Tensor out(out_dtype, {out2.dim(1)});
  copy(out2.cview(), TensorView(out.data(), out_dtype, {1, out2.dim(1)}));
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

Tensor convolve(ConstTensorView a, ConstTensorView v, Mode mode) {
  return conv_or_corr1d(a, v, mode, true);
}

Tensor correlate(ConstTensorView a, ConstTensorView v, Mode mode) {
  return conv_or_corr1d(a, v, mode, false);
}

}  // namespace convkit::signal
