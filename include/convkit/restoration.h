#pragma once
/// \file restoration.h
/// Deconvolution: undo a known blur (the point-spread function, PSF).
///
/// The defaults reproduce scikit-image's `skimage.restoration` values; the options offer what it
/// lacks (boundary handling, an exact adjoint, accelerated and TV-regularised Richardson-Lucy).
///
///   convkit::restoration::RichardsonLucyOptions o;
///   o.num_iter = 30;
///   convkit::Tensor sharp = convkit::restoration::richardson_lucy(blurred, psf, o);
///
/// Images are real float32 or float64 arrays of rank 1..3 (float32 is computed in float32, all
/// else in float64); the PSF has the same rank and is no larger than the image along any axis.

#include <cstdint>
#include <functional>
#include <string>

#include "convkit/tensor.h"

namespace convkit::restoration {

/// What lies beyond the image edges for the blur model.
enum class Boundary : std::uint8_t {
  zero,      ///< zeros: linear convolution cropped to the image ('same'), Richardson-Lucy's default
  periodic,  ///< the image repeats: circular convolution through the OTF, Wiener's default
  reflect,   ///< the image mirrored (half-sample) by a margin that is cut off again: no ringing
             ///< from the edges for either method
};
Boundary parse_boundary(const std::string& s);

/// How an even-sized PSF is centred and what the back-projection is.
enum class Convention : std::uint8_t {
  skimage,  ///< scikit-image's: Richardson-Lucy blurs with SciPy's 'same' crop ((k-1)/2) and
            ///< back-projects with the flipped PSF under the same crop, which for even sizes is
            ///< one sample off the adjoint
  adjoint,  ///< the back-projection is the exact adjoint of the blur (a dot-product test passes)
};
Convention parse_convention(const std::string& s);

/// Which engine computes the blurs of an iterative method.
enum class Engine : std::uint8_t {
  automatic,  ///< the planner's choice: direct/separable convolution plans for small PSFs,
              ///< FFT with the PSF spectrum computed once for large ones
  direct,     ///< convolution plans (2-D planes; 3-D as a sum of planes)
  fft,        ///< FFTW real transforms of the padded image
};

enum class Method : std::uint8_t {
  plain,        ///< Richardson-Lucy as scikit-image runs it
  accelerated,  ///< Biggs-Andrews vector extrapolation (Applied Optics 36, 1997)
  tv,           ///< total-variation regularised (Dey et al. 2006); `tv_weight` is lambda
};
Method parse_method(const std::string& s);

/// The most iterations an iterative method accepts (convkit::Error above it).
constexpr int kMaxIterations = 1000000;

struct RichardsonLucyOptions {
  int num_iter = 50;
  bool clip = true;               ///< values > 1 become 1, < -1 become -1 (scikit-image's rule)
  double filter_epsilon = 0;      ///< > 0: the ratio is 0 where the blurred estimate is below it
  Method method = Method::plain;
  double tv_weight = 0.002;
  Boundary boundary = Boundary::zero;
  Convention convention = Convention::skimage;
  Engine engine = Engine::automatic;
  /// Called after each iteration with (done, total); for progress displays.
  std::function<void(int, int)> progress;
};

/// Richardson-Lucy deconvolution (`skimage.restoration.richardson_lucy`); starts from 0.5.
Tensor richardson_lucy(ConstTensorView image, ConstTensorView psf,
                       const RichardsonLucyOptions& options = {});
/// The same into `out` (the image's shape, float32 for float32 images, else float64).
void richardson_lucy(ConstTensorView image, ConstTensorView psf, TensorView out,
                     const RichardsonLucyOptions& options = {});

struct WienerOptions {
  bool clip = true;
  Boundary boundary = Boundary::periodic;
  /// The regularisation operator as a small kernel (the image's rank); empty: the Laplacian
  /// (2*ndim in the centre, -1 at each face neighbour), as scikit-image's `uft.laplacian`.
  ConstTensorView reg;
};

/// Wiener-Hunt deconvolution (`skimage.restoration.wiener` with a real PSF and is_real=True):
/// conj(H) / (|H|^2 + balance |D|^2) applied through real FFTs of the image's shape.
Tensor wiener(ConstTensorView image, ConstTensorView psf, double balance,
              const WienerOptions& options = {});
void wiener(ConstTensorView image, ConstTensorView psf, double balance, TensorView out,
            const WienerOptions& options = {});

/// Normalised PSFs (float64, sum 1), sampled as MATLAB's fspecial: a Gaussian of 2*ceil(3 sigma)+1
/// taps per axis; a defocus disk whose pixels hold their exact covered area; a linear motion of
/// `length` pixels at `angle` degrees counter-clockwise from +x (an anti-aliased line).
Tensor psf_gaussian(double sigma_y, double sigma_x);
Tensor psf_disk(double radius);
Tensor psf_motion(double length, double angle);
/// "gaussian:SIGMA[,SIGMA_X]", "disk:RADIUS", "motion:LENGTH[,ANGLE]" (the CLI's --psf).
Tensor psf_from_spec(const std::string& spec);

/// The engine a Richardson-Lucy call with these arguments would use ("direct", "fft"), and why.
std::string explain(ConstTensorView image, ConstTensorView psf,
                    const RichardsonLucyOptions& options = {});

}  // namespace convkit::restoration
