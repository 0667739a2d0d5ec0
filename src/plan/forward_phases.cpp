// stride-phases: a forward convolution of stride (sh, sw) as one stride-1 convolution over the
// stride phases of its padded input, stacked as channels (space-to-depth).
//
//   x~ = the input extended by its border (zeros or a constant), pads included
//   X[n][(g*Cg + c)*sh*sw + a*sw + b][i][j] = x~[n][g*Cg + c][i*sh + a][j*sw + b]
//   W[k][c*sh*sw + a*sw + b][u][v]          = w~[k][c][u*sh + a][v*sw + b]   (0 past R, S)
//   out = conv_stride1(X, W) with the problem's epilogue
//
// Output p reads input rows p*sh + r = (p + u)*sh + a for r = u*sh + a, so the stacked problem
// is the same sum, dense and of stride 1: the planner can give it what a strided problem cannot
// use -- Winograd F(2x2, 2x2) when R = 2*sh (the gradient of a DCGAN layer's input, 4x4 stride
// 2: 1.78x fewer multiplies). Kernels that are not a multiple of the stride get zero taps, so
// the estimate prefers the strided kernels for them.
#include "plan/forward_phases.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "algorithms/blocked.h"
#include "algorithms/nn_common.h"
#include "algorithms/winograd.h"
#include "util/pool.h"
#include "util/threads.h"

namespace convkit {

namespace {

// The stacked stride-1 problem: Cg * sh * sw channels per group, ceil(R/sh) x ceil(S/sw) taps.
ConvProblem stacked_problem(const ConvProblem& p) {
  ConvProblem sp = p;
  const std::int64_t ph = p.stride_h * p.stride_w;
  sp.c = p.c * ph;
  sp.r = (p.r + p.stride_h - 1) / p.stride_h, sp.s = (p.s + p.stride_w - 1) / p.stride_w;
  sp.h = p.out_h() + sp.r - 1, sp.w = p.out_w() + sp.s - 1;
  sp.stride_h = sp.stride_w = 1;
  sp.pad_top = sp.pad_bottom = sp.pad_left = sp.pad_right = 0;
  sp.border = Border::constant, sp.border_value = 0.0;
  sp.flip = sp.conj = false;  // the stacked taps are w~, already flipped
  sp.has_residual = false;    // not fused here: the plan adds it after (Plan::choose)
  sp.filter_dtype = DType::f32;
  return sp;
}

class StridePhasesImpl final : public AlgorithmImpl {
 public:
  StridePhasesImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f)
      : p_(p), sp_(stacked_problem(p)) {
    const std::int64_t cg = p.c / p.groups, sh = p.stride_h, sw = p.stride_w;
    Tensor w = Tensor::zeros(DType::f32, {p.k, sp_.c / p.groups, sp_.r, sp_.s});
    float* o = static_cast<float*>(w.data());
    for (std::int64_t k = 0; k < p.k; ++k)
      for (std::int64_t c = 0; c < cg; ++c)
        for (std::int64_t r = 0; r < p.r; ++r)
          for (std::int64_t s = 0; s < p.s; ++s) {
            const std::int64_t cc = (c * sh + r % sh) * sw + s % sw;
            o[((k * (cg * sh * sw) + cc) * sp_.r + r / sh) * sp_.s + s / sw] =
                float(f->tap(std::size_t(((k * cg + c) * p.r + r) * p.s + s)));
          }
    Tensor bias;
    if (p.has_bias) {
      bias = Tensor(DType::f32, {p.k});
      for (std::int64_t k = 0; k < p.k; ++k)
        static_cast<float*>(bias.data())[k] = float(f->bias[std::size_t(k)]);
    }
    plan_ = std::make_unique<Plan>(sp_, w.cview(), bias.cview());
  }

  std::string describe() const override {
    std::ostringstream os;
    os << "stride phases: the " << p_.stride_h * p_.stride_w
       << " phases of the padded input stacked as channels, one stride-1 convolution: "
       << sp_.to_string() << " -> " << algorithm_name(plan_->algorithm());
    return os.str();
  }

  void run(ConstTensorView src, TensorView dst) const override {
    PooledBuffer x(std::size_t(sp_.n * sp_.c * sp_.h * sp_.w) * sizeof(float));
    stack(src, x.as<float>());
    plan_->execute(ConstTensorView(x.as<float>(), DType::f32, {sp_.n, sp_.c, sp_.h, sp_.w}), dst);
  }

 private:
  // X (N x C*sh*sw x h x w, contiguous) from the input.
  void stack(ConstTensorView src, float* out) const {
    const ConvProblem& p = p_;
    const std::int64_t sh = p.stride_h, sw = p.stride_w, H = sp_.h, W = sp_.w;
    const float* in = static_cast<const float*>(src.data());
    const std::int64_t s0 = src.stride(0), s1 = src.stride(1), s2 = src.stride(2),
                       s3 = src.stride(3);
    const float fill = float(p.border_value.real());
    const int nt = threads_for(sp_.n * sp_.c * H * W, 1 << 15);
#pragma omp parallel for num_threads(nt) schedule(static)
    for (std::int64_t nc = 0; nc < p.n * p.c; ++nc) {
      const float* plane = in + nc / p.c * s0 + nc % p.c * s1;
      for (std::int64_t a = 0; a < sh; ++a)
        for (std::int64_t b = 0; b < sw; ++b) {
          float* o = out + ((nc * sh + a) * sw + b) * H * W;
          for (std::int64_t i = 0; i < H; ++i, o += W) {
            const std::int64_t y = i * sh + a - p.pad_top;
            if (y < 0 || y >= p.h) {
              std::fill(o, o + W, fill);
              continue;
            }
            const float* row = plane + y * s2;
            for (std::int64_t j = 0; j < W; ++j) {
              const std::int64_t x = j * sw + b - p.pad_left;
              o[j] = x < 0 || x >= p.w ? fill : row[x * s3];
            }
          }
        }
    }
  }

  ConvProblem p_, sp_;
  std::unique_ptr<Plan> plan_;
};

}  // namespace

std::string stride_phases_rejects(const ConvProblem& p, const PreparedFilter& f) {
  if (std::string why = nn_common::f32_rejects(p, f); !why.empty()) return why;
  if (p.stride_h * p.stride_w == 1) return "stride 1";
  if (p.dilation_h != 1 || p.dilation_w != 1) return "dilation > 1";
  if (p.border != Border::constant) return "border other than a constant";
  return "";
}

// The stacked problem's best estimate among direct-blocked and Winograd, plus the stacking
// (every stacked sample written once, about 1 ns each).
double stride_phases_estimate(const ConvProblem& p, const PreparedFilter& f) {
  const ConvProblem sp = stacked_problem(p);
  double best = direct_blocked_estimate(sp, f);
  if (winograd_rejects(sp, f).empty()) best = std::min(best, winograd2_estimate(sp, f));
  return best + double(sp.n * sp.c * sp.h * sp.w) * 1e-6 / get_num_threads();
}

std::string stride_phases_inexact(const ConvProblem& p, const PreparedFilter& f) {
  return winograd_rejects(stacked_problem(p), f).empty()
             ? "the stacked problem may run Winograd (transformed taps)"
             : "";
}

std::unique_ptr<AlgorithmImpl> make_stride_phases(const ConvProblem& p,
                                                  std::shared_ptr<const PreparedFilter> f) {
  return std::make_unique<StridePhasesImpl>(p, std::move(f));
}

}  // namespace convkit
