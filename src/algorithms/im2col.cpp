// im2col + GEMM: the general fallback for real floating-point problems (any groups, stride,
// dilation, padding, border, bias, activation).
//
// Loop nest:
//   parallel for (n, group, tile of T output pixels):     OpenMP, static schedule
//     col[Cg*R*S][T] = in~(n, g*Cg + c, p*sh - pt + r*dh, q*sw - pl + s*dw)   border_index
//     for kb in blocks of 4 output channels of the group:
//       for t in chunks of 16 columns:
//         acc[4][16] = sum over crs of w[kb..kb+3][crs] * col[crs][t..t+15]  (registers, simd)
//         dst[n, k, p, q] = act(acc * scale + delta + bias[k])
// The column tile is sized to stay in L2 (about 256 KiB); weights are packed at plan time as
// [group][k block][crs][4] so that the four weights of one crs are adjacent.
#include "algorithms/im2col.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "algorithms/border.h"
#include "util/threads.h"

namespace convkit {

namespace {

constexpr std::int64_t kKb = 4;     // output channels per register block
constexpr std::int64_t kChunk = 16;  // columns per register block

bool is_float(DType t) { return t == DType::f32 || t == DType::f64; }

template <class Src, class Dst, class Acc>
class Im2colImpl final : public AlgorithmImpl {
 public:
  Im2colImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f)
      : p_(p), filter_(std::move(f)) {
    cg_ = p.c / p.groups;
    kg_ = p.k / p.groups;
    crs_ = cg_ * p.r * p.s;
    kblocks_ = (kg_ + kKb - 1) / kKb;
    packed_.assign(std::size_t(p.groups * kblocks_ * crs_ * kKb), Acc(0));
    for (std::int64_t g = 0; g < p.groups; ++g)
      for (std::int64_t kk = 0; kk < kg_; ++kk)
        for (std::int64_t i = 0; i < crs_; ++i)
          packed_[std::size_t(((g * kblocks_ + kk / kKb) * crs_ + i) * kKb + kk % kKb)] =
              Acc(filter_->tap(std::size_t((g * kg_ + kk) * crs_ + i)));
    const std::int64_t pq = p.out_h() * p.out_w();
    // Column tile: about 256 KiB of column buffer, a multiple of the chunk.
    std::int64_t t = (256 * 1024 / std::int64_t(sizeof(Acc))) / std::max<std::int64_t>(crs_, 1);
    t = std::clamp<std::int64_t>(t, kChunk, 1024);
    t = std::min(t, (pq + kChunk - 1) / kChunk * kChunk);
    tile_ = t / kChunk * kChunk;
    tiles_ = (pq + tile_ - 1) / tile_;
  }

  std::string describe() const override {
    std::ostringstream os;
    os << "im2col: " << (sizeof(Acc) == 4 ? "f32" : "f64") << " accumulation, column tiles of "
       << tile_ << " pixels x " << crs_ << " rows, up to " << get_num_threads() << " threads";
    return os.str();
  }

  void run(ConstTensorView src, TensorView dst) const override {
    const ConvProblem& p = p_;
    const std::int64_t items = p.n * p.groups * tiles_;
    const std::int64_t macs_per_item = tile_ * crs_ * kg_;
    const int nt = threads_for(items * macs_per_item, 1 << 16);
    const Src* in = static_cast<const Src*>(src.data());
    Dst* out = static_cast<Dst*>(dst.data());
    const std::array<std::int64_t, 4> is{src.stride(0), src.stride(1), src.stride(2), src.stride(3)};
    const std::array<std::int64_t, 4> os{dst.stride(0), dst.stride(1), dst.stride(2), dst.stride(3)};
#pragma omp parallel num_threads(nt)
    {
      std::vector<Acc> col(std::size_t(crs_ * tile_));
      std::vector<std::int64_t> ys(static_cast<std::size_t>(tile_)), xs(static_cast<std::size_t>(tile_));
#pragma omp for schedule(static)
      for (std::int64_t item = 0; item < items; ++item) {
        const std::int64_t tile = item % tiles_, ng = item / tiles_;
        const std::int64_t g = ng % p.groups, n = ng / p.groups;
        run_tile(in, is, out, os, n, g, tile, col.data(), ys.data(), xs.data());
      }
    }
  }

 private:
  void run_tile(const Src* in, const std::array<std::int64_t, 4>& is, Dst* out,
                const std::array<std::int64_t, 4>& os, std::int64_t n, std::int64_t g,
                std::int64_t tile, Acc* col, std::int64_t* ys, std::int64_t* xs) const {
    const ConvProblem& p = p_;
    const std::int64_t Q = p.out_w(), PQ = p.out_h() * Q;
    const std::int64_t t0 = tile * tile_, tn = std::min(tile_, PQ - t0);
    for (std::int64_t t = 0; t < tn; ++t) {
      const std::int64_t op = (t0 + t) / Q, oq = (t0 + t) % Q;
      ys[t] = op * p.stride_h - p.pad_top;
      xs[t] = oq * p.stride_w - p.pad_left;
    }
    const Acc fill = Acc(p.border_value.real());
    // Build the column matrix; padding columns (tn..tile_) are zero.
    for (std::int64_t c = 0; c < cg_; ++c) {
      const Src* plane = in + n * is[0] + (g * cg_ + c) * is[1];
      for (std::int64_t r = 0; r < p.r; ++r)
        for (std::int64_t s = 0; s < p.s; ++s) {
          Acc* row = col + ((c * p.r + r) * p.s + s) * tile_;
          const std::int64_t dy = r * p.dilation_h, dx = s * p.dilation_w;
          for (std::int64_t t = 0; t < tn; ++t) {
            const std::int64_t y = border_index(ys[t] + dy, p.h, p.border);
            const std::int64_t x = border_index(xs[t] + dx, p.w, p.border);
            row[t] = (y < 0 || x < 0) ? fill : Acc(plane[y * is[2] + x * is[3]]);
          }
          for (std::int64_t t = tn; t < tile_; ++t) row[t] = Acc(0);
        }
    }
    const double delta = p.delta.real();
    const bool has_bias = !filter_->bias.empty();
    for (std::int64_t kb = 0; kb < kblocks_; ++kb) {
      const Acc* w = packed_.data() + std::size_t((g * kblocks_ + kb) * crs_ * kKb);
      const std::int64_t kn = std::min(kKb, kg_ - kb * kKb);
      for (std::int64_t tc = 0; tc < tn; tc += kChunk) {
        Acc acc[kKb][kChunk] = {};
        const Acc* cp = col + tc;
        for (std::int64_t i = 0; i < crs_; ++i) {
          const Acc* cr = cp + i * tile_;
          const Acc* wi = w + i * kKb;
          for (std::int64_t j = 0; j < kKb; ++j) {
            const Acc wv = wi[j];
#pragma omp simd
            for (std::int64_t t = 0; t < kChunk; ++t) acc[j][t] += wv * cr[t];
          }
        }
        const std::int64_t cn = std::min(kChunk, tn - tc);
        for (std::int64_t j = 0; j < kn; ++j) {
          const std::int64_t k = g * kg_ + kb * kKb + j;
          const double off = delta + (has_bias ? filter_->bias[std::size_t(k)] : 0.0);
          Dst* ok = out + n * os[0] + k * os[1];
          for (std::int64_t t = 0; t < cn; ++t) {
            const std::int64_t pix = t0 + tc + t, op = pix / Q, oq = pix % Q;
            double v = double(acc[j][t]) * p.scale + off;
            if (p.activation != Activation::none) v = apply_activation(v, p);
            ok[op * os[2] + oq * os[3]] = Dst(v);
          }
        }
      }
    }
  }

  ConvProblem p_;
  std::shared_ptr<const PreparedFilter> filter_;
  std::int64_t cg_ = 1, kg_ = 1, crs_ = 1, kblocks_ = 1, tile_ = kChunk, tiles_ = 1;
  std::vector<Acc> packed_;
};

template <class Src, class Dst>
std::unique_ptr<AlgorithmImpl> make_typed(const ConvProblem& p,
                                          std::shared_ptr<const PreparedFilter> f) {
  constexpr bool wide = sizeof(Src) == 8 || sizeof(Dst) == 8;
  using Acc = std::conditional_t<wide, double, float>;
  return std::make_unique<Im2colImpl<Src, Dst, Acc>>(p, std::move(f));
}

}  // namespace

std::string im2col_rejects(const ConvProblem& p, const PreparedFilter& f) {
  if (f.complex || is_complex(p.src_dtype) || is_complex(p.dst_dtype)) return "complex data";
  if (is_integer(p.dst_dtype) && p.rounding == Rounding::wrap)
    return "integer output with wrap-around (NumPy integer) arithmetic";
  if (!is_float(p.src_dtype) || !is_float(p.dst_dtype)) return "integer data (f32/f64 only)";
  if (p.border_value.imag() != 0) return "complex border value";
  return "";
}

double im2col_estimate(const ConvProblem& p, const PreparedFilter&) {
  // ~10 GFLOP/s per thread for the multiply (2 flops per tap), ~1 ns per column element built.
  const double pixels = double(p.n * p.out_h() * p.out_w());
  const double taps = double(p.c / p.groups * p.r * p.s);
  const double flops = 2.0 * pixels * double(p.k) * taps;
  const double built = pixels * double(p.groups) * taps;
  return (flops / 1e7 + built * 1e-6) / get_num_threads() + 0.005;
}

std::unique_ptr<AlgorithmImpl> make_im2col(const ConvProblem& p,
                                           std::shared_ptr<const PreparedFilter> f) {
  const bool s64 = p.src_dtype == DType::f64, d64 = p.dst_dtype == DType::f64;
  if (s64 && d64) return make_typed<double, double>(p, std::move(f));
  if (s64) return make_typed<double, float>(p, std::move(f));
  if (d64) return make_typed<float, double>(p, std::move(f));
  return make_typed<float, float>(p, std::move(f));
}

}  // namespace convkit
