// winograd: F(m x m, 3 x 3) minimal filtering for 3x3 stride-1 convolutions (f32), m = 2 or 4,
// and F(2 x 2, 2 x 2) for 2x2 ones (the stride phases of a 4x4 stride-2 transposed convolution).
//
//   U[xi][k][c] = (G w[k][c] G^T)[xi]                        at plan time, packed per xi
//   parallel for (group, panel of NP output tiles of m x m of the batch):  static split
//     D[c][xi][t]  = the a x a input patch of tile t (a = m+r-1)  border rule here
//     V[xi][c][t]  = (B^T D B)[xi]                                (kernels/nn, tiles in lanes)
//     M[xi][k][t]  = sum_c U[xi][k][c] V[xi][c][t]                a^2 GEMMs, f32_gemm_tile
//     Y[k][t]      = A^T M A  ->  dst[n, k, tile pixels] = act(Y * scale + delta + bias[k])
//
// Multiply-adds per output fall from r^2 * C to a^2 / m^2 * C (2.25x fewer for F(2x2, 3x3), 4x
// for F(4x4, 3x3), 1.78x for F(2x2, 2x2)) at the price of the transforms and of accuracy: the
// transforms' coefficients grow
// with m, and so does the round-off (measured in tests/algorithms: about the direct path's
// error for m = 2, 10-20x more for m = 4 -- up to ~1e-4 relative -- which is therefore only
// used on request).
#include "algorithms/winograd.h"

#include <algorithm>
#include <sstream>

#include "algorithms/nn_common.h"
#include "algorithms/rows.h"
#include "kernels/dispatch.h"
#include "plan/cost.h"
#include "util/threads.h"

namespace convkit {

namespace {

constexpr std::int64_t kMr = std::int64_t(kernels::kGemmMr);

// The filter transform G of F(m x m, r x r) (alpha x r, alpha = m + r - 1); B^T and A^T are
// written out in the kernels (kernels/nn f32_winograd_fixed).
struct Matrices {
  std::int64_t m, r, alpha;
  std::vector<double> g;
};

Matrices matrices(std::int64_t m, std::int64_t r) {
  if (r == 2) return {2, 2, 3, {1, 0, 1, 1, 0, 1}};
  if (m == 2) return {2, 3, 4, {1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1}};
  return {4, 3, 6,
          {1.0 / 4, 0, 0, -1.0 / 6, -1.0 / 6, -1.0 / 6, -1.0 / 6, 1.0 / 6, -1.0 / 6,
           1.0 / 24, 1.0 / 12, 1.0 / 6, 1.0 / 24, -1.0 / 12, 1.0 / 6, 0, 0, 1}};
}

class WinogradImpl final : public AlgorithmImpl {
 public:
  WinogradImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f, std::int64_t m)
      : p_(p), filter_(std::move(f)), mat_(matrices(m, p.r)) {
    const nn_common::Shape s = nn_common::kernel_shape();
    np_ = std::int64_t(s.gemm_nv * s.lanes);
    cg_ = p.c / p.groups, kg_ = p.k / p.groups;
    P_ = p.out_h(), Q_ = p.out_w();
    th_ = (P_ + m - 1) / m, tw_ = (Q_ + m - 1) / m;
    // The batch's tiles go to the lanes in raster order (image, tile row, tile column), np_ per
    // panel: a run of consecutive tiles of one tile row (at most `lanes`) is gathered and
    // scattered with deinterleaving vector loads and stores. (Padding each tile row to whole
    // lane groups left 9 of 16 lanes idle on a 14 x 14 output, and a panel per image 48 of 64
    // on a 7 x 7 one: Winograd lost to direct convolution on both.)
    lanes_ = std::int64_t(s.lanes);
    panels_ = (p.n * th_ * tw_ + np_ - 1) / np_;
    ps_ = np_ + lanes_;  // patch row stride: a run's full-vector stores may spill `lanes` past
    ext_ = (tw_ + lanes_) * m + mat_.alpha + 8;
    mblocks_ = (kg_ + kMr - 1) / kMr;
    kpad_ = mblocks_ * kMr;
    transform_filter();
    off_.resize(std::size_t(p.k));
    for (std::int64_t k = 0; k < p.k; ++k) off_[std::size_t(k)] = nn_common::channel_offset(p, *filter_, k);
    const double macs = double(p.n * p.k * P_ * Q_) * double(cg_ * p.r * p.s);
    threads_ = std::max(1, threads_for(std::int64_t(macs / 1e5), 1));
    items_ = p.groups * panels_;
    bounds_ = nn_common::bounds_of(p);
  }

  std::string describe() const override {
    std::ostringstream os;
    os << "winograd F(" << mat_.m << "x" << mat_.m << ", " << mat_.r << "x" << mat_.r
       << "): f32, " << mat_.alpha * mat_.alpha
       << " GEMMs of " << kMr << " channels x " << np_ << " tiles (" << kernels::isa_name()
       << "), " << panels_ << " tile panel(s) for " << p_.n * th_ * tw_ << " tiles, up to "
       << threads_ << " threads";
    return os.str();
  }

  void run(ConstTensorView src, TensorView dst) const override {
#pragma omp parallel for schedule(static) num_threads(threads_) if (threads_ > 1)
    for (std::int64_t item = 0; item < items_; ++item) run_panel(src, dst, item);
  }

 private:
  // U[g][xi][block][c][mr] = (G w G^T)[xi], computed in double, stored as the GEMM's A panels.
  void transform_filter() {
    const ConvProblem& p = p_;
    const std::int64_t a = mat_.alpha, a2 = a * a;
    packed_ = nn_common::aligned_floats(std::size_t(p.groups * a2 * kpad_ * cg_));
    for (std::int64_t g = 0; g < p.groups; ++g)
      for (std::int64_t kk = 0; kk < kg_; ++kk)
        for (std::int64_t c = 0; c < cg_; ++c) {
          const std::int64_t R = mat_.r;
          double w[9];
          for (std::int64_t t = 0; t < R * R; ++t)
            w[t] = filter_->tap(std::size_t(((g * kg_ + kk) * cg_ + c) * R * R + t));
          double gw[8][3];
          for (std::int64_t i = 0; i < a; ++i)
            for (std::int64_t j = 0; j < R; ++j) {
              gw[i][j] = 0;
              for (std::int64_t r = 0; r < R; ++r)
                gw[i][j] += mat_.g[std::size_t(i * R + r)] * w[r * R + j];
            }
          const std::int64_t mb = kk / kMr, mr = std::min(kMr, kg_ - mb * kMr), m = kk % kMr;
          for (std::int64_t i = 0; i < a; ++i)
            for (std::int64_t j = 0; j < a; ++j) {
              double u = 0;
              for (std::int64_t s = 0; s < R; ++s) u += gw[i][s] * mat_.g[std::size_t(j * R + s)];
              block(g, i * a + j, mb)[c * mr + m] = float(u);
            }
        }
  }

  float* block(std::int64_t g, std::int64_t xi, std::int64_t mb) const {
    return packed_.get() + ((g * mat_.alpha * mat_.alpha + xi) * kpad_ + mb * kMr) * cg_;
  }

  // The runs of a panel: consecutive tiles of one tile row of one image, at most `lanes` each.
  struct Run {
    std::int64_t lane, n, ty, tx, count;
  };
  // The tile rows [ty0, ty0 + count) of image n that a panel covers, staged at `at`.
  struct Band {
    std::int64_t n, ty0, count, at;
  };
  void runs(std::int64_t t0, std::int64_t nt, std::vector<Run>& out,
            std::vector<Band>& bands) const {
    const std::int64_t tiles = th_ * tw_;
    for (std::int64_t t = t0; t < t0 + nt;) {
      const std::int64_t n = t / tiles, ty = t % tiles / tw_, tx = t % tw_;
      const std::int64_t count = std::min({tw_ - tx, t0 + nt - t, lanes_});
      out.push_back({t - t0, n, ty, tx, count});
      if (bands.empty() || bands.back().n != n) bands.push_back({n, ty, 0, 0});
      bands.back().count = ty - bands.back().ty0 + 1;
      t += count;
    }
    for (std::size_t i = 1; i < bands.size(); ++i)
      bands[i].at = bands[i - 1].at + ((bands[i - 1].count - 1) * mat_.m + mat_.alpha) * ext_;
  }

  void run_panel(ConstTensorView src, TensorView dst, std::int64_t item) const {
    const ConvProblem& p = p_;
    const std::int64_t m = mat_.m, a = mat_.alpha, a2 = a * a;
    const std::int64_t panel = item % panels_, g = item / panels_;
    const std::int64_t t0 = panel * np_, nt = std::min(np_, p.n * th_ * tw_ - t0);
    std::vector<Run> rs;
    std::vector<Band> bands;
    runs(t0, nt, rs, bands);
    const Band& last = bands.back();

    rows::Scratch& scratch = rows::Scratch::for_band();
    float* stage = scratch.take<float>(std::size_t(last.at + ((last.count - 1) * m + a) * ext_));
    float* patch = scratch.take<float>(std::size_t(a2 * ps_));       // D for one channel
    float* v = scratch.take<float>(std::size_t(a2 * cg_ * np_));     // V[xi][c][t]
    float* mm = scratch.take<float>(std::size_t(a2 * kpad_ * np_));  // M[xi][k][t]
    float* y = scratch.take<float>(std::size_t(m * m * np_ + lanes_));  // Y for one channel
    const float* in = static_cast<const float*>(src.data()) + g * cg_ * src.stride(1);
    for (std::int64_t c = 0; c < cg_; ++c) {
      for (const Band& b : bands)
        nn_common::pad_rows(in + b.n * src.stride(0) + c * src.stride(1), src.stride(2),
                            src.stride(3), p, b.ty0 * m - p.pad_top, (b.count - 1) * m + a,
                            -p.pad_left, ext_, stage + b.at, ext_);
      // In lane order: a run's stores past its last tile land in lanes the next run (or the
      // zeroing below) rewrites, or in the row's spare lanes.
      std::size_t bi = 0;
      for (const Run& r : rs) {
        while (bands[bi].n != r.n) ++bi;
        const float* at = stage + bands[bi].at + (r.ty - bands[bi].ty0) * m * ext_ + r.tx * m;
        kernels::f32_winograd_gather(at, std::size_t(ext_), std::size_t(m), std::size_t(a),
                                     patch + r.lane, std::size_t(ps_));
      }
      if (nt < np_)  // lanes past the panel's last tile: zero (finite, and never stored)
        for (std::int64_t e = 0; e < a2; ++e)
          std::fill(patch + e * ps_ + nt, patch + e * ps_ + np_, 0.0f);
      kernels::f32_winograd_fixed(true, std::size_t(m), std::size_t(mat_.r), patch,
                                  std::size_t(ps_), v + c * np_, std::size_t(cg_ * np_),
                                  std::size_t(np_));
    }
    for (std::int64_t xi = 0; xi < a2; ++xi)
      for (std::int64_t mb = 0; mb < mblocks_; ++mb)
        kernels::f32_gemm_tile(block(g, xi, mb), std::size_t(cg_),
                               std::size_t(std::min(kMr, kg_ - mb * kMr)), v + xi * cg_ * np_,
                               mm + (xi * kpad_ + mb * kMr) * np_);

    float* out = static_cast<float*>(dst.data());
    const std::int64_t os0 = dst.stride(0), os1 = dst.stride(1), os2 = dst.stride(2),
                       os3 = dst.stride(3);
    for (std::int64_t kk = 0; kk < kg_; ++kk) {
      const float* mk = mm + kk * np_;  // row kk % 6 of GEMM block kk / 6
      kernels::f32_winograd_fixed(false, std::size_t(m), std::size_t(mat_.r), mk,
                                  std::size_t(kpad_ * np_), y, std::size_t(np_), std::size_t(np_));
      const std::int64_t k = g * kg_ + kk;
      const float scale = float(p.scale), off = off_[std::size_t(k)];
      for (const Run& r : rs) {
        const std::int64_t nr = std::min(m, P_ - r.ty * m);
        const std::int64_t nc = std::min(r.count * m, Q_ - r.tx * m);
        float* o = out + r.n * os0 + k * os1 + r.ty * m * os2 + r.tx * m * os3;
        const float* yr = y + r.lane;
        if (os3 == 1) {
          kernels::f32_winograd_scatter(yr, std::size_t(np_), std::size_t(m), scale, off,
                                        bounds_.lo, bounds_.hi, o, os2, std::size_t(nr),
                                        std::size_t(nc));
          if (bounds_.fused) continue;
          for (std::int64_t i = 0; i < nr; ++i)
            for (std::int64_t x = 0; x < nc; ++x)
              o[i * os2 + x] = float(apply_activation(double(o[i * os2 + x]), p));
          continue;
        }
        for (std::int64_t i = 0; i < nr; ++i)
          for (std::int64_t x = 0; x < nc; ++x) {
            const float e = yr[(i * m + x % m) * np_ + x / m] * scale + off;
            o[i * os2 + x * os3] = bounds_.fused ? std::min(bounds_.hi, std::max(bounds_.lo, e))
                                                 : float(apply_activation(double(e), p));
          }
      }
    }
  }

  ConvProblem p_;
  std::shared_ptr<const PreparedFilter> filter_;
  Matrices mat_;
  std::int64_t np_ = 1, cg_ = 1, kg_ = 1, P_ = 1, Q_ = 1, th_ = 1, tw_ = 1, panels_ = 1;
  std::int64_t mblocks_ = 1, kpad_ = 1, items_ = 1;
  std::int64_t lanes_ = 1, ps_ = 1, ext_ = 1;
  int threads_ = 1;
  nn_common::AlignedFloats packed_;
  std::vector<float> off_;
  nn_common::Bounds bounds_;
};

double estimate(const ConvProblem& p, std::int64_t m) {
  const std::int64_t a = m + p.r - 1;
  const nn_common::Shape s = nn_common::kernel_shape();
  const std::int64_t np = std::int64_t(s.gemm_nv * s.lanes);
  const std::int64_t tiles = (p.out_h() + m - 1) / m * ((p.out_w() + m - 1) / m);
  const std::int64_t panels = (p.n * tiles + np - 1) / np, items = p.groups * panels;
  const double padded_tiles = double(p.groups * panels * np);
  const std::int64_t kg = p.k / p.groups, cg = p.c / p.groups;
  const double kpad = double((kg + kMr - 1) / kMr * kMr);
  const double gemm =
      2.0 * padded_tiles * double(a * a) * kpad * double(cg) / (cost::kGemm1x1Gflops * 1e6);
  // Staging, gathering and the two transforms per tile and channel.
  const double gather = padded_tiles * double(cg) * double(a * a) * 1e-6;
  const double transforms = padded_tiles * double(cg + kg) * double(a * a * a) * 4e-7;
  // Weights fitted to F(2x2)'s times beside direct-blocked's on 1 and 2 threads (3x3 layers,
  // batch 1 and 8, 32 channels at 112^2 to 512 at 7^2, in the units of direct_blocked_estimate):
  // it took 0.64-0.80x direct's time from 64 to 384 channels down to 13^2, and 2.3-2.5x at 512
  // channels 7^2 (16 tiles in a panel of 64 lanes) -- both within 15% of this -- and 1.0-1.1x at
  // 32 channels, where the transforms are not amortized (hence the factor 2 below 48 channels).
  // F(2x2, 2x2) on the stride phases of DCGAN / U-Net layers (128-512 channels, batch 1-32):
  // 0.68-0.89x direct's time where this chose it.
  const double small = cg < 48 || kg < 48 ? 2.0 : 1.0;
  // Each image's rows are staged per channel and panel: ~0.1 us a call, which tiny images
  // (4x4: 4 tiles each) do not amortize (a training step on 8x8 digits ran 3x slower).
  const double bands = double(p.n * p.groups * cg) * 1e-4;
  const double threads = double(std::min<std::int64_t>(get_num_threads(), items));
  return (small * (1.15 * gemm + 0.11 * (gather + transforms)) + bands) / threads +
         cost::kLaunchMs;
}

}  // namespace

std::string winograd_rejects(const ConvProblem& p, const PreparedFilter& f) {
  if (std::string why = nn_common::f32_rejects(p, f); !why.empty()) return why;
  if (p.r != p.s || (p.r != 3 && p.r != 2)) return "kernel is not 3x3 or 2x2";
  if (p.stride_h != 1 || p.stride_w != 1) return "stride > 1";
  if (p.dilation_h != 1 || p.dilation_w != 1) return "dilation > 1";
  return "";
}

std::string winograd4_rejects(const ConvProblem& p, const PreparedFilter& f) {
  if (p.r != 3 || p.s != 3) return "kernel is not 3x3";
  return winograd_rejects(p, f);
}

double winograd2_estimate(const ConvProblem& p, const PreparedFilter&) { return estimate(p, 2); }
double winograd4_estimate(const ConvProblem& p, const PreparedFilter&) { return estimate(p, 4); }

std::string winograd2_opt_in_only(const ConvProblem&, const PreparedFilter&) { return ""; }
std::string winograd4_opt_in_only(const ConvProblem&, const PreparedFilter&) {
  return "F(4x4, 3x3) round-off exceeds the 1e-5 relative tolerance";
}

std::unique_ptr<AlgorithmImpl> make_winograd2(const ConvProblem& p,
                                              std::shared_ptr<const PreparedFilter> f) {
  return std::make_unique<WinogradImpl>(p, std::move(f), 2);
}
std::unique_ptr<AlgorithmImpl> make_winograd4(const ConvProblem& p,
                                              std::shared_ptr<const PreparedFilter> f) {
  return std::make_unique<WinogradImpl>(p, std::move(f), 4);
}

}  // namespace convkit
