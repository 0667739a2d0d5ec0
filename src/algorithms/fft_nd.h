#pragma once
// Linear convolution of two real N-D arrays (rank 1..4) through FFTW rank-N r2c/c2r plans:
// scipy.signal.fftconvolve over every axis, for the ranks the 2-D engine does not cover.
#include "convkit/signal.h"
#include "convkit/tensor.h"

namespace convkit::fft {

/// `scipy.signal.fftconvolve(a, b, mode)` over every axis into `out`, a and b real f32/f64 of
/// the same rank (1..4), computed in f32 when both are f32, else f64 (out's dtype must be that;
/// its shape nd_output_shape's). For Mode::valid, a must be at least as large as b on every
/// axis (the caller swaps, as SciPy does).
void convolve_nd(ConstTensorView a, ConstTensorView b, signal::Mode mode, TensorView out);
/// The shape convolve_nd writes; throws convkit::Error for operands it refuses.
Geometry nd_output_shape(ConstTensorView a, ConstTensorView b, signal::Mode mode);

}  // namespace convkit::fft
