#pragma once
/// \file signal.h
/// `scipy.signal` / NumPy compatible convolution: the same numbers, shapes and dtypes.
///
///   auto out = convkit::signal::convolve2d(img, kernel, convkit::signal::Mode::same,
///                                          convkit::signal::Boundary::symm);

#include <array>
#include <complex>

#include "convkit/plan.h"
#include "convkit/tensor.h"

namespace convkit::signal {

/// Output size: full (H+R-1), same (H, centred as SciPy does), valid (H-R+1).
enum class Mode : std::uint8_t { full, same, valid };
/// scipy.signal boundary names: fill (constant), wrap (periodic), symm (half-sample reflect).
enum class Boundary : std::uint8_t { fill, wrap, symm };

Mode parse_mode(const std::string& s);
Boundary parse_boundary(const std::string& s);

/// `scipy.signal.convolve2d(in1, in2, mode, boundary, fillvalue)`.
///
/// Output dtype is `np.result_type(in1, in2)`; integer results wrap as NumPy integers do.
/// `same` keeps in1's shape with `full[(R-1)//2:, (S-1)//2:]`; `valid` swaps the operands
/// when in2 is at least as large as in1 on both axes.
Tensor convolve2d(ConstTensorView in1, ConstTensorView in2, Mode mode = Mode::full,
                  Boundary boundary = Boundary::fill, std::complex<double> fillvalue = 0.0,
                  PlanOptions options = {});

/// `scipy.signal.correlate2d`: correlation with the conjugated in2; `same` is `full[R//2:, S//2:]`;
/// a `valid` swap returns the flipped result, as SciPy does.
Tensor correlate2d(ConstTensorView in1, ConstTensorView in2, Mode mode = Mode::full,
                   Boundary boundary = Boundary::fill, std::complex<double> fillvalue = 0.0,
                   PlanOptions options = {});

/// The same into `out` (the result's shape and dtype, any strides): no allocation.
void convolve2d(ConstTensorView in1, ConstTensorView in2, TensorView out, Mode mode = Mode::full,
                Boundary boundary = Boundary::fill, std::complex<double> fillvalue = 0.0,
                PlanOptions options = {});
void correlate2d(ConstTensorView in1, ConstTensorView in2, TensorView out, Mode mode = Mode::full,
                 Boundary boundary = Boundary::fill, std::complex<double> fillvalue = 0.0,
                 PlanOptions options = {});
/// The (rows, columns) convolve2d (`convolve` true) or correlate2d return for these operands;
/// throws like them for operands they refuse.
std::array<std::int64_t, 2> output_shape2d(ConstTensorView in1, ConstTensorView in2, Mode mode,
                                           bool convolve = true);

/// `numpy.convolve(a, v, mode)` for 1-D arrays (the shorter operand slides; mode default full).
Tensor convolve(ConstTensorView a, ConstTensorView v, Mode mode = Mode::full);
/// `numpy.correlate(a, v, mode)` for 1-D arrays: c[k] = sum_n a[n+k] * conj(v[n]); default valid.
Tensor correlate(ConstTensorView a, ConstTensorView v, Mode mode = Mode::valid);

}  // namespace convkit::signal
