#pragma once
/// \file plan.h
/// The canonical problem every front end reduces to, and the reusable Plan that runs it.
///
///   convkit::ConvProblem p = ...;                    // what to compute
///   convkit::Plan plan(p, weights);                   // how: algorithm chosen, weights packed
///   std::cout << plan.explain();                      // "direct (f32 accumulate, avx512) ..."
///   plan.execute(src, dst);                           // run it, as often as you like

#include <complex>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "convkit/tensor.h"

namespace convkit {

/// How samples outside the input are invented (input `a b c d`).
enum class Border : std::uint8_t {
  constant,   ///< k k | a b c d | k k   (SciPy fill, OpenCV BORDER_CONSTANT, PyTorch zeros)
  replicate,  ///< a a | a b c d | d d   (ndimage nearest, BORDER_REPLICATE)
  reflect,    ///< b a | a b c d | d c   (half-sample: SciPy symm, ndimage reflect, BORDER_REFLECT)
  mirror,     ///< c b | a b c d | c b   (whole-sample: ndimage mirror, BORDER_REFLECT_101)
  wrap,       ///< c d | a b c d | a b   (periodic: SciPy wrap, BORDER_WRAP, circular)
};
const char* border_name(Border b);

/// Activation applied after scale/delta/bias: leaky_relu's slope is activation_alpha, clamp's
/// bounds are [activation_alpha, activation_beta]; gelu is the erf form; silu is v * sigmoid(v).
enum class Activation : std::uint8_t {
  none, relu, relu6, leaky_relu, clamp, sigmoid, tanh, gelu, silu
};

/// How the accumulated value becomes an integer output element.
enum class Rounding : std::uint8_t {
  saturate,  ///< round half to even, then clamp to the type's range (OpenCV, convkit native)
  wrap,      ///< exact integer arithmetic modulo 2^bits (SciPy signal / NumPy integer math)
  half_up,   ///< round half up (floor(v + 0.5)), then clamp: OpenCV's fixed-point paths
             ///< (GaussianBlur on u8/u16)
  c_cast,    ///< truncate toward zero through int32 as C's cast does on x86-64 (out of range
             ///< and NaN: INT_MIN), then keep the low bits: scipy.ndimage's stores (only the
             ///< `ordered` algorithm and the reference store it)
};

/// The order the taps of one output are summed in, where a front end must reproduce a peer's
/// bits (floating-point addition is not associative).
enum class Summation : std::uint8_t {
  any,           ///< the algorithm's own order (fastest)
  ndimage_line,  ///< scipy.ndimage.correlate1d's: symmetric / antisymmetric 1-D kernels as
                 ///< pairs from the outside in, others from the last tap; f64, no FMA
  ndimage,       ///< scipy.ndimage.correlate's: row-major taps from 0.0, weights with
                 ///< |w| <= DBL_EPSILON skipped; f64, no FMA
};

/// Which tensor a plan computes (oneDNN's propagation kinds). The problem always describes the
/// forward convolution src -> dst; the other directions run its adjoints:
///   backward_data:    diff_src[n,c,y,x] = sum over (k,p,q,r,s) that read (c,y,x) of
///                     diff_dst[n,k,p,q] * w~[k,c,r,s], then the epilogue (bias of C entries,
///                     activation): the transposed convolution. Borders other than constant
///                     fold the gradient of the samples they invent back onto the samples they
///                     copy.
///   backward_weights: diff_w[k,c,r,s] = sum over (n,p,q) of in~[n,c,y,x] * diff_dst[n,k,p,q]
///                     (and diff_bias[k] = sum of diff_dst[n,k,p,q]); no epilogue.
/// Backward directions take real f32/f64 data of one dtype, no flip/conj/scale/delta/residual,
/// and allow negative pads (a negative pad drops input rows that no output reads: a transposed
/// convolution's output_padding and ONNX's output_shape).
enum class Direction : std::uint8_t { forward, backward_data, backward_weights };
const char* direction_name(Direction d);

/// The canonical convolution problem (see DESIGN.md §2).
///
/// Input is viewed as N x C x H x W (any strides: HW, HWC, CHW and NCHW are all just strides);
/// the filter as K x (C/groups) x R x S; the output as N x K x P x Q. For every output element
///
///   out[n,k,p,q] = epilogue( sum_{c,r,s} in~[n, g*Cg+c, p*sh - pad_top + r*dh, q*sw - pad_left + s*dw]
///                                          * w~[k, c, r, s] )
///
/// where in~ extends the input by `border`, w~ is the filter flipped in R and S when `flip`
/// (convolution) and conjugated when `conj`, and epilogue(v) = act(v*scale + delta + bias[k])
/// converted to `dst_dtype` by `rounding`.
struct ConvProblem {
  std::int64_t n = 1, c = 1, h = 1, w = 1;  ///< input
  std::int64_t k = 1, r = 1, s = 1;         ///< filter: k outputs, r x s taps
  std::int64_t groups = 1;
  DType src_dtype = DType::f32;
  DType filter_dtype = DType::f64;
  DType dst_dtype = DType::f32;
  bool flip = false;  ///< true: convolution; false: correlation
  bool conj = false;  ///< conjugate the filter (complex correlation)
  std::int64_t stride_h = 1, stride_w = 1;
  std::int64_t dilation_h = 1, dilation_w = 1;
  std::int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  Border border = Border::constant;
  std::complex<double> border_value = 0.0;
  double scale = 1.0;
  std::complex<double> delta = 0.0;
  bool has_bias = false;
  /// Plan::execute(src, dst, residual) adds residual[n, k, p, q] before the activation (a ResNet
  /// block's shortcut): dst = act(conv * scale + delta + bias + residual). Real float dst only.
  bool has_residual = false;
  Activation activation = Activation::none;
  double activation_alpha = 0.0, activation_beta = 0.0;  ///< leaky slope; clamp bounds
  Rounding rounding = Rounding::saturate;
  /// Summation::any unless a front end needs a peer's exact bits (only the `ordered`
  /// algorithm and the reference take other orders).
  Summation summation = Summation::any;
  Direction direction = Direction::forward;

  std::int64_t out_h() const;  ///< P
  std::int64_t out_w() const;  ///< Q
  /// Checks internal consistency; throws convkit::Error naming the field.
  void validate() const;
  /// The problem string used in tests, logs, explain() and the CLI:
  /// "n1c3h1080w1920k3g3r5s5_pt2pl2pb2pr2_mirror_f32-f32", "sh2" etc. only when not default.
  std::string to_string() const;
};

/// Algorithm choice; `automatic` lets the planner pick.
enum class Algorithm : std::uint8_t {
  automatic,    ///< the planner's cheapest estimate among the algorithms that accept
  direct,       ///< taps x outputs, SIMD over a row (small kernels)
  separable,    ///< rank-r kernels as r column + row passes through a row buffer
  box,          ///< uniform kernels by running sums, O(1) per pixel
  fft,          ///< whole-plane FFT (FFTW3)
  overlap_add,  ///< block-wise FFT for images much larger than the kernel
  direct_blocked,  ///< output channels across SIMD lanes, packed weights, register tiles (f32)
  gemm_1x1,     ///< 1x1 kernels as a packed GEMM, pixels across SIMD lanes (f32)
  depthwise,    ///< groups == channels: padded planes, SIMD over output columns (f32)
  grouped,      ///< 1..16 channels per group: pixels across lanes, a group's channels per tile (f32)
  winograd,     ///< F(2x2, 3x3) / F(2x2, 2x2) minimal filtering for 3x3 / 2x2 stride 1 (f32)
  winograd_4x4, ///< F(4x4, 3x3): 4x fewer multiplies, more round-off (on request)
  im2col,       ///< column matrix + blocked GEMM: any groups/stride/dilation (real float data)
  stride_phases,  ///< stride > 1: one stride-1 convolution, the input's phases as channels (f32)
  ordered,      ///< per-channel, taps summed in scipy.ndimage's order (ConvProblem::summation)
  reference,    ///< the plain double-precision loop (the oracle)
};
const char* algorithm_name(Algorithm a);
Algorithm parse_algorithm(const std::string& name);

struct PlanOptions {
  Algorithm algorithm = Algorithm::automatic;
  /// Only algorithms that multiply the given taps (direct, box, blocked, exact factorings): no
  /// approximate low-rank factoring, no FFT, no Winograd transform, unless `algorithm` asks for
  /// one. Integer-valued data then gives exact integers, as SciPy's direct method does (the
  /// SciPy front ends set it).
  bool exact_taps = false;
  /// If set, receives Plan::explain() of the plan a front end (filter2d, convolve2d, ...) made.
  std::string* explain = nullptr;
  /// The problem is a band of rows of an image this many rows tall (streaming, src/stream/);
  /// 0: off. The planner then takes only row-local algorithms -- those that compute an output
  /// row the same way wherever its band starts: no whole-plane or block FFT, no Winograd tiles,
  /// no running sums over float rows -- and chooses among them as for the whole image, so every
  /// band gets the same algorithm and the bands together give the whole image's bits. A front
  /// end that runs the whole image with this set to its own height gets those same bits.
  std::int64_t band_of_height = 0;
};

class Executor;  // internal

/// A kernel given as two 1-D factors: w[r][s] = col[r] * row[s] (cv::sepFilter2D's kernelY and
/// kernelX), the same for every channel. Flip (convolution) applies to both factors.
struct SeparableKernel {
  ConstTensorView col;  ///< R taps, applied down the columns
  ConstTensorView row;  ///< S taps, applied along the rows
};

/// An immutable, reusable execution plan: the chosen algorithm with its packed weights.
class Plan {
 public:
  /// `filter`: K x C/groups x R x S (any strides, any real or complex dtype);
  /// `bias`: K elements or empty (requires problem.has_bias).
  Plan(const ConvProblem& problem, ConstTensorView filter, ConstTensorView bias = {},
       PlanOptions options = {});
  /// A per-channel problem (C == K == groups, or C == K == 1) whose kernel is given factored.
  Plan(const ConvProblem& problem, const SeparableKernel& kernel, ConstTensorView bias = {},
       PlanOptions options = {});
  /// The plan for these arguments from the process-wide plan cache: made on first use, then
  /// shared (a repeated call costs a lookup). Keyed by the problem, the options and the
  /// filter's and bias's contents, never their addresses: weights changed in place between two
  /// calls get a new plan. Every convkit front end plans through this.
  ///
  ///   auto plan = convkit::Plan::cached(problem, weights);   // same plan object next time
  ///   plan->execute(src, dst);
  static std::shared_ptr<const Plan> cached(const ConvProblem& problem, ConstTensorView filter,
                                            ConstTensorView bias = {}, PlanOptions options = {});
  static std::shared_ptr<const Plan> cached(const ConvProblem& problem,
                                            const SeparableKernel& kernel,
                                            ConstTensorView bias = {}, PlanOptions options = {});
  ~Plan();
  Plan(Plan&&) noexcept;
  Plan& operator=(Plan&&) noexcept;

  /// Runs the plan. `src` is N x C x H x W, `dst` is N x K x P x Q (any strides, the planned dtypes).
  /// `dst` must not overlap `src`.
  void execute(ConstTensorView src, TensorView dst) const;
  /// The same for a problem with has_residual: `residual` is N x K x P x Q of the dst dtype (any
  /// strides; it may be `dst` itself, which then accumulates).
  void execute(ConstTensorView src, TensorView dst, ConstTensorView residual) const;
  /// Direction::backward_data plans (made with the forward filter K x C/groups x R x S and a
  /// bias of C entries) run as execute(diff_dst, diff_src): diff_dst is N x K x P x Q and
  /// diff_src N x C x H x W.

  /// A Direction::backward_weights plan (it has no filter).
  explicit Plan(const ConvProblem& problem, PlanOptions options = {});
  /// Runs a backward_weights plan: src N x C x H x W, diff_dst N x K x P x Q, diff_weights
  /// K x C/groups x R x S (overwritten), diff_bias K elements or empty (overwritten when given).
  /// The same bits for any number of threads.
  void execute_backward_weights(ConstTensorView src, ConstTensorView diff_dst,
                                TensorView diff_weights, TensorView diff_bias = {}) const;

  const ConvProblem& problem() const;
  Algorithm algorithm() const;
  /// Why this algorithm: the candidates in priority order, which accepted, the estimates.
  std::string explain() const;

 private:
  void choose(const ConvProblem& problem, const PlanOptions& options);
  std::unique_ptr<Executor> impl_;
};

/// The plan cache's state (see Plan::cached).
struct PlanCacheInfo {
  std::size_t hits = 0, misses = 0;  ///< lookups since the start (or clear_plan_cache)
  std::size_t size = 0;              ///< plans held now
  std::size_t capacity = 0;          ///< at most this many plans (0: caching off)
  std::size_t bytes = 0;             ///< filter memory the held plans keep (estimate)
  std::size_t byte_budget = 0;       ///< older plans go when `bytes` exceeds this
};
/// At most `plans` cached plans (default 128, or CONVKIT_PLAN_CACHE from the environment);
/// 0 turns caching off. Shrinking drops the least recently used plans.
void set_plan_cache_capacity(std::size_t plans);
PlanCacheInfo plan_cache_info();
/// Drops every cached plan and zeroes the counters (plans still in use live on).
void clear_plan_cache();

/// Threads used by convkit (default: OMP_NUM_THREADS, else all cores). 0 restores the default.
void set_num_threads(int n);
int get_num_threads();

/// The SIMD instruction set the fast paths use now ("AVX3", "AVX2", "SSE4", "EMU128").
/// `CONVKIT_MAX_ISA=scalar|sse4|avx2|avx512` in the environment caps it (read once).
std::string active_isa();

/// Library version, "MAJOR.MINOR.PATCH".
const char* version();

}  // namespace convkit
