// Direction::backward_data by stride-phase decomposition (XNNPACK's subconv2d; Shi et al. 2016):
// no multiply touches a zero inserted between input samples.
//
// One axis, forward y[o] = sum_t x[o*s - pad + t*d] * w[t]. Its adjoint gives each input row i
// the sum over taps t with (i + pad - t*d) divisible by s, read at o = (i + pad - t*d) / s. Rows
// i with the same phase a = (i + pad) mod s use the same taps, t = t0 + m*L (L = s / gcd(s, d)),
// whose o step by D = d / gcd(s, d): the rows of one phase are a stride-1 correlation of dy with
// the reversed sub-kernel, dilated by D. Per 2-D phase that is an ordinary forward ConvProblem
// (input dy with K channels, output C channels, groups kept, filter transposed per group),
// planned like any other -- direct-blocked, gemm-1x1 (kernel == stride gives 1x1 phases: one
// GEMM per phase), winograd, depthwise -- and written through a strided view straight into
// its rows and columns of dx. Rows no tap reaches get the epilogue of 0.
//
// Borders other than constant: the gradient of the padded input is computed as above (pads 0)
// and folded back, each padded sample added onto the sample the border rule copied it from.
#include "plan/backward_data.h"

#include <algorithm>
#include <numeric>
#include <sstream>
#include <vector>

#include "algorithms/border.h"
#include "convkit/error.h"
#include "util/convert.h"
#include "util/pool.h"
#include "util/threads.h"

namespace convkit {

namespace {

// One axis of one phase: output rows first + step * u (u < count) are a correlation of dy rows
// [crop_begin, size - crop_end) padded by (pad_begin, pad_end) with `taps` taps t0, t0 + step_t, ...
// reversed, dilated by `dilation`.
struct AxisPhase {
  std::int64_t first = 0, count = 0;       // output rows (diff_src) of this phase
  std::int64_t t0 = 0, taps = 0, tap_step = 1, dilation = 1;
  std::int64_t crop_begin = 0, rows = 0;   // dy rows read: [crop_begin, crop_begin + rows)
  std::int64_t pad_begin = 0, pad_end = 0;
  bool live() const { return count > 0 && taps > 0 && rows > 0; }
};

std::int64_t floor_mod(std::int64_t a, std::int64_t m) { return ((a % m) + m) % m; }

// in: diff_src size on this axis; out: dy size; k taps; stride, dilation, pad (forward's).
AxisPhase axis_phase(std::int64_t a, std::int64_t in, std::int64_t out, std::int64_t k,
                     std::int64_t stride, std::int64_t dilation, std::int64_t pad) {
  AxisPhase ph;
  ph.first = floor_mod(a - pad, stride);
  ph.count = ph.first < in ? (in - ph.first + stride - 1) / stride : 0;
  const std::int64_t g = std::gcd(stride, dilation);
  ph.tap_step = stride / g;
  ph.dilation = dilation / g;
  ph.t0 = -1;
  for (std::int64_t t = 0; t < std::min(k, ph.tap_step); ++t)
    if (floor_mod(t * dilation, stride) == a) { ph.t0 = t; break; }
  if (ph.t0 < 0 || ph.count == 0) return ph;
  ph.taps = (k - 1 - ph.t0) / ph.tap_step + 1;
  // Output row u reads dy[u + base - (taps - 1) * D + m * D] against reversed tap m.
  const std::int64_t base = (ph.first + pad - ph.t0 * dilation) / stride;  // exact
  std::int64_t pad_begin = (ph.taps - 1) * ph.dilation - base;
  std::int64_t crop_begin = 0, rows = out;
  if (pad_begin < 0) crop_begin = -pad_begin, rows -= crop_begin, pad_begin = 0;
  std::int64_t pad_end = ph.count - rows - pad_begin + ph.dilation * (ph.taps - 1);
  if (pad_end < 0) rows += pad_end, pad_end = 0;
  ph.crop_begin = crop_begin;
  ph.rows = rows;
  ph.pad_begin = pad_begin;
  ph.pad_end = pad_end;
  return ph;
}

struct Phase {
  AxisPhase y, x;
  std::unique_ptr<Plan> plan;  // null: no tap reaches these rows and columns
};

template <class T>
void fill_epilogue(const ConvProblem& p, const std::vector<double>& bias, TensorView v) {
  for (std::int64_t n = 0; n < v.dim(0); ++n)
    for (std::int64_t c = 0; c < v.dim(1); ++c) {
      const T value = T(apply_activation(bias.empty() ? 0.0 : bias[std::size_t(c)], p));
      T* plane = static_cast<T*>(v.data()) + n * v.stride(0) + c * v.stride(1);
      for (std::int64_t y = 0; y < v.dim(2); ++y)
        for (std::int64_t x = 0; x < v.dim(3); ++x) plane[y * v.stride(2) + x * v.stride(3)] = value;
    }
}

// dst[i] (any strides) = src[i] (contiguous, the same shape): the column phases of one row
// phase into their columns. The phases go row by row together, so each output row is complete
// while it is in L1 and its lines go to memory once (phase by phase, each half-written line of
// a large output was fetched and written back once per phase: 7-14% of a DCGAN layer).
template <class T>
void interleave(const std::vector<ConstTensorView>& src, const std::vector<TensorView>& dst) {
  const ConstTensorView& s0 = src.front();
  const std::int64_t planes = s0.dim(0) * s0.dim(1), rows = s0.dim(2);
  const int nt = threads_for(planes * rows * s0.dim(3) * std::int64_t(src.size()), 1 << 16);
#pragma omp parallel for num_threads(nt) schedule(static)
  for (std::int64_t nc = 0; nc < planes; ++nc) {
    const std::int64_t n = nc / s0.dim(1), c = nc % s0.dim(1);
    for (std::int64_t y = 0; y < rows; ++y)
      for (std::size_t i = 0; i < src.size(); ++i) {
        const std::int64_t cols = src[i].dim(3);
        const T* from = static_cast<const T*>(src[i].data()) + (nc * rows + y) * cols;
        T* to = static_cast<T*>(dst[i].data()) + n * dst[i].stride(0) + c * dst[i].stride(1) +
                y * dst[i].stride(2);
        const std::int64_t s3 = dst[i].stride(3);
        for (std::int64_t x = 0; x < cols; ++x) to[x * s3] = from[x];
      }
  }
}

// The constant-border decomposition.
class PhasesImpl final : public AlgorithmImpl {
 public:
  PhasesImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f,
             const PlanOptions& options)
      : p_(p), filter_(std::move(f)) {
    const std::int64_t P = p.out_h(), Q = p.out_w();
    const std::int64_t cg = p.c / p.groups, kg = p.k / p.groups;
    // Images per chunk: the phases run chunk by chunk, so that a chunk of diff_dst, which every
    // phase stages again, is read from L2 after the first phase instead of from memory (the
    // largest divisor of N whose diff_dst fits kChunkBytes; one image if none does). One
    // phase (stride 1) reads it once: the whole batch.
    const double image_bytes = double(p.k * P * Q) * double(dtype_size(p.src_dtype));
    const bool one_phase = p.stride_h * p.stride_w == 1;
    for (std::int64_t nb = p.n; nb >= 1; --nb)
      if (p.n % nb == 0 && (nb == 1 || one_phase || double(nb) * image_bytes <= kChunkBytes)) {
        nb_ = nb;
        break;
      }
    Tensor bias;
    if (!filter_->bias.empty()) {
      bias = Tensor(p.src_dtype, {p.c});
      for (std::int64_t c = 0; c < p.c; ++c)
        store_real(filter_->bias[std::size_t(c)],
                   static_cast<char*>(bias.data()) + c * std::int64_t(dtype_size(p.src_dtype)),
                   p.src_dtype, Rounding::saturate);
    }
    for (std::int64_t a = 0; a < p.stride_h; ++a)
      for (std::int64_t b = 0; b < p.stride_w; ++b) {
        Phase ph;
        ph.y = axis_phase(a, p.h, P, p.r, p.stride_h, p.dilation_h, p.pad_top);
        ph.x = axis_phase(b, p.w, Q, p.s, p.stride_w, p.dilation_w, p.pad_left);
        if (ph.y.count == 0 || ph.x.count == 0) continue;  // no diff_src rows in this phase
        if (ph.y.live() && ph.x.live()) {
          ConvProblem sp;
          sp.n = nb_, sp.c = p.k, sp.h = ph.y.rows, sp.w = ph.x.rows;
          sp.k = p.c, sp.r = ph.y.taps, sp.s = ph.x.taps, sp.groups = p.groups;
          sp.src_dtype = sp.filter_dtype = sp.dst_dtype = p.src_dtype;
          sp.dilation_h = ph.y.dilation, sp.dilation_w = ph.x.dilation;
          sp.pad_top = ph.y.pad_begin, sp.pad_bottom = ph.y.pad_end;
          sp.pad_left = ph.x.pad_begin, sp.pad_right = ph.x.pad_end;
          sp.has_bias = !filter_->bias.empty();
          sp.activation = p.activation;
          sp.activation_alpha = p.activation_alpha, sp.activation_beta = p.activation_beta;
          // Sub-filter [g*Cg + c][k'][m][n] = w[g*Kg + k'][c][t0 + (taps-1-m)*step][...].
          Tensor w(p.src_dtype, {p.c, kg, sp.r, sp.s});
          const auto es = std::int64_t(dtype_size(p.src_dtype));
          char* out = static_cast<char*>(w.data());
          for (std::int64_t g = 0; g < p.groups; ++g)
            for (std::int64_t c = 0; c < cg; ++c)
              for (std::int64_t kk = 0; kk < kg; ++kk)
                for (std::int64_t m = 0; m < sp.r; ++m)
                  for (std::int64_t n = 0; n < sp.s; ++n, out += es) {
                    const std::int64_t r = ph.y.t0 + (sp.r - 1 - m) * ph.y.tap_step;
                    const std::int64_t s = ph.x.t0 + (sp.s - 1 - n) * ph.x.tap_step;
                    store_real(filter_->tap(std::size_t((((g * kg + kk) * cg + c) * p.r + r) * p.s + s)),
                               out, p.src_dtype, Rounding::saturate);
                  }
          ph.plan = std::make_unique<Plan>(sp, w.cview(), bias.cview(), options);
        }
        phases_.push_back(std::move(ph));
      }
  }

  void run(ConstTensorView dy, TensorView dx) const override {
    for (std::int64_t n0 = 0; n0 < p_.n; n0 += nb_) run_chunk(batch(dy, n0), batch(dx, n0));
  }

  std::string describe() const override {
    std::ostringstream os;
    os << "stride phases: " << phases_.size() << " forward convolution(s) over diff_dst";
    if (nb_ < p_.n) os << ", " << nb_ << " image(s) at a time";
    for (const Phase& ph : phases_) {
      os << "\n    rows " << ph.y.first << "+" << p_.stride_h << "i, cols " << ph.x.first << "+"
         << p_.stride_w << "j: ";
      if (!ph.plan) {
        os << "no taps (epilogue of 0)";
        continue;
      }
      os << ph.plan->problem().to_string() << " -> " << algorithm_name(ph.plan->algorithm());
    }
    return os.str();
  }

 private:
  // About L2 (1 MiB on Zen 4): a DCGAN layer's 8x8 phases also need images enough to fill
  // Winograd's 64-tile panels (2 images: 1.2-1.5x slower than direct; 8: 0.7-0.8x).
  static constexpr double kChunkBytes = 1024 << 10;

  // Images [n0, n0 + nb_) of a batch.
  ConstTensorView batch(const ConstTensorView& v, std::int64_t n0) const {
    const auto [shape, strides] = chunk_geometry(v);
    return ConstTensorView(static_cast<const char*>(v.data()) + chunk_offset(v, n0), v.dtype(),
                           std::span<const std::int64_t>(shape),
                           std::span<const std::int64_t>(strides));
  }
  TensorView batch(const TensorView& v, std::int64_t n0) const {
    const auto [shape, strides] = chunk_geometry(v);
    return TensorView(static_cast<char*>(v.data()) + chunk_offset(v, n0), v.dtype(),
                      std::span<const std::int64_t>(shape), std::span<const std::int64_t>(strides));
  }
  std::pair<std::array<std::int64_t, 4>, std::array<std::int64_t, 4>> chunk_geometry(
      const ConstTensorView& v) const {
    return {{nb_, v.dim(1), v.dim(2), v.dim(3)},
            {v.stride(0), v.stride(1), v.stride(2), v.stride(3)}};
  }
  static std::int64_t chunk_offset(const ConstTensorView& v, std::int64_t n0) {
    return n0 * v.stride(0) * std::int64_t(dtype_size(v.dtype()));
  }

  void run_chunk(ConstTensorView dy, TensorView dx) const {
    const auto es = std::int64_t(dtype_size(dx.dtype()));
    // Columns of stride > 1 would send every store of the forward kernels to a scattered path
    // (20% of a DCGAN layer's time): the phases of one row phase are computed densely, then
    // interleaved together.
    PooledBuffer scratch;
    std::vector<ConstTensorView> dense;
    std::vector<TensorView> dense_out;
    for (std::size_t i = 0; i < phases_.size(); ++i) {
      const Phase& ph = phases_[i];
      const std::array<std::int64_t, 4> shape{dx.dim(0), dx.dim(1), ph.y.count, ph.x.count};
      const std::array<std::int64_t, 4> strides{dx.stride(0), dx.stride(1),
                                                dx.stride(2) * p_.stride_h,
                                                dx.stride(3) * p_.stride_w};
      TensorView out(static_cast<char*>(dx.data()) +
                         (ph.y.first * dx.stride(2) + ph.x.first * dx.stride(3)) * es,
                     dx.dtype(), std::span<const std::int64_t>(shape),
                     std::span<const std::int64_t>(strides));
      if (!ph.plan) {
        if (dx.dtype() == DType::f32) fill_epilogue<float>(p_, filter_->bias, out);
        else fill_epilogue<double>(p_, filter_->bias, out);
      } else {
        const std::array<std::int64_t, 4> in_shape{dy.dim(0), dy.dim(1), ph.y.rows, ph.x.rows};
        const std::array<std::int64_t, 4> in_strides{dy.stride(0), dy.stride(1), dy.stride(2),
                                                     dy.stride(3)};
        ConstTensorView in(static_cast<const char*>(dy.data()) +
                               (ph.y.crop_begin * dy.stride(2) + ph.x.crop_begin * dy.stride(3)) * es,
                           dy.dtype(), std::span<const std::int64_t>(in_shape),
                           std::span<const std::int64_t>(in_strides));
        if (p_.stride_w == 1) {
          ph.plan->execute(in, out);  // rows of unit stride: written in place
        } else {
          if (!scratch.as<char>()) scratch = PooledBuffer(std::size_t(dense_numel() * es));
          std::int64_t at = 0;
          for (const ConstTensorView& v : dense) at += v.numel();
          TensorView d(scratch.as<char>() + at * es, dx.dtype(),
                       std::span<const std::int64_t>(shape));
          ph.plan->execute(in, d);
          dense.push_back(d);
          dense_out.push_back(out);
        }
      }
      const bool row_done = i + 1 == phases_.size() || phases_[i + 1].y.first != ph.y.first;
      if (row_done && !dense.empty()) {
        if (dx.dtype() == DType::f32) interleave<float>(dense, dense_out);
        else interleave<double>(dense, dense_out);
        dense.clear(), dense_out.clear();
      }
    }
  }

  // Elements of the dense results of the largest row phase (its planned column phases).
  std::int64_t dense_numel() const {
    std::int64_t most = 0, row = 0;
    for (std::size_t i = 0; i < phases_.size(); ++i) {
      const Phase& ph = phases_[i];
      if (ph.plan) row += nb_ * p_.c * ph.y.count * ph.x.count;
      if (i + 1 == phases_.size() || phases_[i + 1].y.first != ph.y.first)
        most = std::max(most, row), row = 0;
    }
    return most;
  }

  ConvProblem p_;
  std::shared_ptr<const PreparedFilter> filter_;
  std::vector<Phase> phases_;
  std::int64_t nb_ = 1;  // images per chunk
};

// Other borders: the gradient of the padded input, folded back.
class FoldedImpl final : public AlgorithmImpl {
 public:
  FoldedImpl(const ConvProblem& p, std::shared_ptr<const PreparedFilter> f,
             const PlanOptions& options)
      : p_(p), filter_(f) {
    ConvProblem padded = p;
    padded.h = p.h + p.pad_top + p.pad_bottom;
    padded.w = p.w + p.pad_left + p.pad_right;
    padded.pad_top = padded.pad_bottom = padded.pad_left = padded.pad_right = 0;
    padded.border = Border::constant;
    padded.has_bias = false;
    padded.activation = Activation::none;
    auto plain = std::make_shared<PreparedFilter>();
    plain->w = f->taps();
    inner_ = std::make_unique<PhasesImpl>(padded, std::move(plain), options);
    padded_ = padded;
  }

  void run(ConstTensorView dy, TensorView dx) const override {
    if (dx.dtype() == DType::f32) run_typed<float>(dy, dx);
    else run_typed<double>(dy, dx);
  }

  std::string describe() const override {
    return std::string("gradient of the ") + border_name(p_.border) +
           "-padded input, folded back; " + inner_->describe();
  }

 private:
  template <class T>
  void run_typed(ConstTensorView dy, TensorView dx) const {
    const std::int64_t hp = padded_.h, wp = padded_.w;
    Tensor grad(dx.dtype(), {p_.n, p_.c, hp, wp});
    inner_->run(dy, grad.view());
    const T* g = static_cast<const T*>(grad.data());
    std::vector<std::int64_t> xs(static_cast<std::size_t>(wp));
    for (std::int64_t x = 0; x < wp; ++x) xs[std::size_t(x)] = border_index(x - p_.pad_left, p_.w, p_.border);
    std::vector<double> acc(static_cast<std::size_t>(p_.h * p_.w));
    for (std::int64_t n = 0; n < p_.n; ++n)
      for (std::int64_t c = 0; c < p_.c; ++c, g += hp * wp) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (std::int64_t y = 0; y < hp; ++y) {
          double* row = acc.data() + border_index(y - p_.pad_top, p_.h, p_.border) * p_.w;
          for (std::int64_t x = 0; x < wp; ++x) row[xs[std::size_t(x)]] += double(g[y * wp + x]);
        }
        const double b = filter_->bias.empty() ? 0.0 : filter_->bias[std::size_t(c)];
        T* out = static_cast<T*>(dx.data()) + n * dx.stride(0) + c * dx.stride(1);
        for (std::int64_t y = 0; y < p_.h; ++y)
          for (std::int64_t x = 0; x < p_.w; ++x)
            out[y * dx.stride(2) + x * dx.stride(3)] =
                T(apply_activation(acc[std::size_t(y * p_.w + x)] + b, p_));
      }
  }

  ConvProblem p_, padded_;
  std::shared_ptr<const PreparedFilter> filter_;
  std::unique_ptr<PhasesImpl> inner_;
};

}  // namespace

std::unique_ptr<AlgorithmImpl> make_backward_data(const ConvProblem& p,
                                                  std::shared_ptr<const PreparedFilter> f,
                                                  const PlanOptions& sub_options) {
  PlanOptions o = sub_options;
  o.explain = nullptr;
  o.band_of_height = 0;
  if (p.border == Border::constant) return std::make_unique<PhasesImpl>(p, std::move(f), o);
  return std::make_unique<FoldedImpl>(p, std::move(f), o);
}

}  // namespace convkit
