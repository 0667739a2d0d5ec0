// convkit deblur IN OUT --psf gaussian:SIGMA | disk:RADIUS | motion:LENGTH,ANGLE | PSF.npy
//                [--method wiener|reg|rl|rl-accelerated|rl-tv] [--iterations N]
//                [--balance B | --nsr R] [--tv-weight W] [--boundary zero|periodic|reflect]
//                [--convention skimage|adjoint] [--progress | --quiet]
//
// 8- and 16-bit images are restored as floats in [0, 1] (value / 255 or / 65535) and written
// back in their own depth when OUT is an image; .npy inputs are used as they are (float32 stays
// float32). Colour images are restored per channel with the same PSF.
#include "deblur_cmd.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "io/image.h"
#include "io/kernel_text.h"

namespace convkit::cli {

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string in, out, psf, method = "rl", boundary, convention = "skimage";
  int iterations = 30;
  double balance = 0.01, nsr = -1, tv_weight = 0.002;
  bool progress = false, quiet = false;
};

// An integer image's scale to [0, 1], or 0 for float data (used as it is).
double unit_scale(DType t) {
  return t == DType::u8 ? 255.0 : t == DType::u16 ? 65535.0 : 0.0;
}

// Draws "deblur: iteration 12/30 [=====     ]" on one line of a terminal's stderr.
class ProgressLine {
 public:
  explicit ProgressLine(bool on) : on_(on) {}
  ~ProgressLine() {
    if (drawn_) std::cerr << "\r\033[K" << std::flush;
  }
  void operator()(int channel, int channels, int done, int total) {
    if (!on_) return;
    const int width = 30, filled = total ? done * width / total : width;
    std::cerr << "\rdeblur: " << (channels > 1 ? "channel " + std::to_string(channel + 1) + "/" +
                                                    std::to_string(channels) + ", "
                                               : std::string())
              << "iteration " << done << "/" << total << " [" << std::string(std::size_t(filled), '=')
              << std::string(std::size_t(width - filled), ' ') << "]" << std::flush;
    drawn_ = true;
  }

 private:
  bool on_, drawn_ = false;
};

class Impl final : public FilterCommands {
 public:
  Impl(CLI::App& app, Hooks hooks) : hooks_(std::move(hooks)) {
    cmd_ = app.add_subcommand("deblur", "Deconvolve IN with a known PSF (skimage.restoration, "
                                        "MATLAB deconv*) -> OUT")
               ->group("Restoration");
    cmd_->add_option("IN", o_.in, "Input: .npy (1-3-D float array), .png, .pgm or .ppm")
        ->required();
    cmd_->add_option("OUT", o_.out, "Output (.npy, or an image file for 8/16-bit inputs)")
        ->required();
    cmd_->add_option("--psf", o_.psf,
                     "gaussian:SIGMA[,SIGMA_X] | disk:RADIUS | motion:LENGTH[,ANGLE] | a .npy or "
                     "text kernel file")
        ->required();
    cmd_->add_option("--method", o_.method,
                     "wiener (balance x Laplacian, or --nsr), reg (regularised least squares), "
                     "rl, rl-accelerated, rl-tv")
        ->check(CLI::IsMember({"wiener", "reg", "rl", "rl-accelerated", "rl-tv"}))
        ->capture_default_str();
    cmd_->add_option("--iterations", o_.iterations, "Richardson-Lucy iterations")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd_->add_option("--balance", o_.balance,
                     "wiener/reg: weight of the Laplacian regulariser (skimage's balance, "
                     "deconvreg's Lagrange multiplier)")
        ->capture_default_str();
    cmd_->add_option("--nsr", o_.nsr, "wiener: noise-to-signal power ratio (MATLAB deconvwnr)");
    cmd_->add_option("--tv-weight", o_.tv_weight, "rl-tv: the TV regularisation weight")
        ->capture_default_str();
    cmd_->add_option("--boundary", o_.boundary,
                     "zero, periodic or reflect (default: periodic for wiener/reg, zero for rl)")
        ->check(CLI::IsMember({"zero", "periodic", "reflect"}));
    cmd_->add_option("--convention", o_.convention,
                     "skimage (default) or adjoint (exact back-projection for even PSFs)")
        ->check(CLI::IsMember({"skimage", "adjoint"}))
        ->capture_default_str();
    cmd_->add_flag("--progress", o_.progress, "Show the progress line even when not a terminal");
    cmd_->add_flag("--quiet", o_.quiet, "No progress line");
    hooks_.add_common(cmd_);
  }

  std::optional<int> run() override {
    if (!cmd_->parsed()) return std::nullopt;
    return run_deblur();
  }

 private:
  int run_deblur() {
    std::string explanation;
    hooks_.start(&explanation);
    const bool wiener = o_.method == "wiener" || o_.method == "reg";
    if (o_.nsr >= 0 && o_.method != "wiener")
      hooks_.usage_error("--nsr: only for --method wiener");
    if (o_.nsr != -1 && !(o_.nsr >= 0)) hooks_.usage_error("--nsr: must be >= 0");
    const Tensor psf = io::is_known_extension(o_.psf) || o_.psf.find(':') == std::string::npos
                           ? io::read_kernel_file(o_.psf)
                           : restoration::psf_from_spec(o_.psf);
    Tensor in = hooks_.read(o_.in);
    const double scale = unit_scale(in.dtype());
    const bool image_file = io::is_image_extension(o_.in);
    const bool colour = image_file && in.rank() == 3;
    const DType work = in.dtype() == DType::f32 || scale > 0 ? DType::f32 : DType::f64;
    const DType out_dtype = io::is_image_extension(o_.out) && scale > 0 ? in.dtype() : work;
    hooks_.check_output(o_.out, out_dtype,
                        std::span<const std::int64_t>(in.cview().geometry().shape.data(),
                                                      std::size_t(in.rank())),
                        "deblur writes float results: use .npy, or an 8/16-bit image input");
    Tensor x(work, std::span<const std::int64_t>(in.cview().geometry().shape.data(),
                                                 std::size_t(in.rank())));
    copy(in.cview(), x.view());  // converted to the working float type
    if (scale > 0) {
      float* p = x.data_as<float>();
      for (std::int64_t i = 0; i < x.cview().numel(); ++i) p[i] = float(p[i] / scale);
    }
    const std::int64_t channels = colour ? in.dim(2) : 1;
    Tensor y(work, std::span<const std::int64_t>(in.cview().geometry().shape.data(),
                                                 std::size_t(in.rank())));
    ProgressLine line(!o_.quiet && (o_.progress || isatty(STDERR_FILENO)) && !wiener);
    const auto t0 = Clock::now();
    for (std::int64_t c = 0; c < channels; ++c) {
      ConstTensorView src = x.cview();
      TensorView dst = y.view();
      if (colour) {
        const std::array<std::int64_t, 2> shape{in.dim(0), in.dim(1)};
        const std::array<std::int64_t, 2> st{in.dim(1) * channels, channels};
        const std::size_t off = std::size_t(c) * dtype_size(work);
        src = ConstTensorView(static_cast<const char*>(x.data()) + off, work, shape, st);
        dst = TensorView(static_cast<char*>(y.data()) + off, work, shape, st);
      }
      if (wiener) {
        restoration::WienerOptions w;
        w.boundary = restoration::parse_boundary(o_.boundary.empty() ? "periodic" : o_.boundary);
        w.clip = scale > 0;
        const double identity = 1.0;
        const std::array<std::int64_t, 3> ones{1, 1, 1};
        if (o_.nsr >= 0)  // deconvwnr: conj(H) / (|H|^2 + nsr), an identity regulariser
          w.reg = ConstTensorView(&identity, DType::f64,
                                  std::span<const std::int64_t>(ones.data(), std::size_t(src.rank())));
        restoration::wiener(src, psf.cview(), o_.nsr >= 0 ? o_.nsr : o_.balance, dst, w);
      } else {
        restoration::RichardsonLucyOptions r;
        r.num_iter = o_.iterations;
        r.clip = scale > 0;
        r.method = restoration::parse_method(o_.method);
        r.tv_weight = o_.tv_weight;
        r.boundary = restoration::parse_boundary(o_.boundary.empty() ? "zero" : o_.boundary);
        r.convention = restoration::parse_convention(o_.convention);
        r.progress = [&](int done, int total) { line(int(c), int(channels), done, total); };
        if (c == 0) explanation = "deblur: " + restoration::explain(src, psf.cview(), r);
        restoration::richardson_lucy(src, psf.cview(), dst, r);
      }
    }
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (out_dtype != work) {
      Tensor back(out_dtype, std::span<const std::int64_t>(in.cview().geometry().shape.data(),
                                                           std::size_t(in.rank())));
      float* p = y.data_as<float>();
      for (std::int64_t i = 0; i < y.cview().numel(); ++i)
        p[i] = std::clamp(p[i], 0.0f, 1.0f) * float(scale);
      copy(y.cview(), back.view());  // rounds half to even and saturates
      hooks_.write(o_.out, back.cview());
    } else {
      hooks_.write(o_.out, y.cview());
    }
    std::ostringstream os;
    os << "deblur " << o_.method << " " << in.cview().geometry().shape_string() << " psf "
       << psf.cview().geometry().shape_string();
    if (!wiener) os << " " << o_.iterations << " iterations";
    hooks_.report(explanation, os.str(), ms);
    return 0;
  }

  Hooks hooks_;
  CLI::App* cmd_ = nullptr;
  Options o_;
};

}  // namespace

std::unique_ptr<FilterCommands> add_deblur_command(CLI::App& app, Hooks hooks) {
  return std::make_unique<Impl>(app, std::move(hooks));
}

}  // namespace convkit::cli
