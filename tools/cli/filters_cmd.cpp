// The image-filter commands: OpenCV-style (the default, --style opencv) and SciPy ndimage-style
// (--style scipy) filters on image and array files.
//
//   convkit gaussian IN OUT --sigma 2 [--sigma-y S] [--ksize 5|5x3] [--border B] cv2.GaussianBlur
//   convkit gaussian IN OUT --style scipy --sigma 2 [--dx N --dy N] [--truncate T]
//                    [--radius R|RX,RY] [--mode M] [--cval V] [--depth D] gaussian_filter
//   convkit box IN OUT --size 5|5x3 [--anchor X,Y] [--no-normalize] [--depth D] cv2.boxFilter
//   convkit box IN OUT --style scipy --size 5|5x3 [--origin X,Y] [--mode M] uniform_filter convkit
//   sobel IN OUT --dx 1 --dy 0 [--ksize 3] [--scale S] [--delta D] [--depth D] cv2.Sobel convkit
//   sobel IN OUT --style scipy --dx 1 [--mode M] [--cval V]                    ndimage.sobel
//   convkit scharr | prewitt | laplacian | gradient | unsharp | sepfilter ...
//
// Pairs are written x first, like --anchor: "--size 5x3" is 5 columns by 3 rows, "--origin 1,0"
// shifts along x; --dx / --dy are derivative orders along x (columns) and y (rows).
#include "filters_cmd.h"

#include <charconv>
#include <cmath>
#include <sstream>
#include <string_view>
#include <utility>
#include <vector>

#include "io/image.h"
#include "io/kernel_text.h"

namespace convkit::cli {

namespace {

// Every option any filter command has; each command registers the ones it takes.
struct Options {
  ImageIoOptions files;
  std::string style = "opencv";
  std::string border = "reflect101", mode = "reflect", depth = "same";
  std::string ksize, size, anchor, origin, radius, kx, ky;
  double sigma = 0, sigma_y = 0, scale = 1, delta = 0, cval = 0, truncate = 4.0;
  double amount = 1, threshold = 0;
  int dx = 1, dy = 0, kint = 3;
  bool no_normalize = false;
};

enum class Kind { gaussian, box, sobel, scharr, prewitt, laplacian, gradient, unsharp, sepfilter };

struct Command {
  Kind kind;
  CLI::App* app = nullptr;
  Options o;
  std::vector<std::pair<CLI::Option*, bool>> styled;  // option, true = scipy-only
  bool has_style = false;                             // takes --style
};

std::string num(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

Border parse_border(const std::string& name) {
  if (name == "constant") return Border::constant;
  if (name == "replicate") return Border::replicate;
  if (name == "reflect") return Border::reflect;
  if (name == "wrap") return Border::wrap;
  return Border::mirror;  // "reflect101"; CLI11 checked the set
}

class Impl final : public FilterCommands {
 public:
  Impl(CLI::App& app, Hooks hooks) : hooks_(std::move(hooks)) { add_all(app); }
  std::optional<int> run() override {
    for (auto& c : commands_)
      if (c->app->parsed()) return run(*c);
    return std::nullopt;
  }

 private:
  Hooks hooks_;
  std::vector<std::unique_ptr<Command>> commands_;

  // --- parsing helpers ----------------------------------------------------------------------

  [[noreturn]] void usage(const std::string& message) const {
    hooks_.usage_error(message);
    throw std::logic_error(message);  // usage_error throws; never reached
  }

  static bool to_int(std::string_view s, int* v) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
  }

  // "N" -> (N, N); "AxB" or "A,B" (separator `sep`) -> (A, B).
  std::pair<int, int> pair_of(const std::string& text, char sep, const char* flag,
                              const char* example) const {
    std::string_view s(text);
    const auto at = s.find(sep);
    int a = 0, b = 0;
    const bool ok = at == std::string_view::npos
                        ? to_int(s, &a) && (b = a, true)
                        : to_int(s.substr(0, at), &a) && to_int(s.substr(at + 1), &b);
    if (!ok) usage(std::string(flag) + ": '" + text + "' is not " + example);
    return {a, b};
  }

  // --- registration -------------------------------------------------------------------------

  Command& add(CLI::App& app, Kind kind, const char* name, const char* description) {
    auto c = std::make_unique<Command>();
    c->kind = kind;
    c->app = app.add_subcommand(name, description)->group("Image filters");
    hooks_.add_image_options(c->app, c->o.files, "IN: .npy, .png, .pgm/.ppm, .jpg, .tif, .webp");
    commands_.push_back(std::move(c));
    return *commands_.back();
  }

  static CLI::Option* style(Command& c) {
    c.has_style = true;
    return c.app->add_option("--style", c.o.style, "opencv (cv2 numbers) or scipy (scipy.ndimage)")
        ->check(CLI::IsMember({"opencv", "scipy"}))
        ->capture_default_str();
  }
  static void border(Command& c) {
    c.styled.emplace_back(
        c.app->add_option("--border", c.o.border, "OpenCV border (default reflect101)")
            ->check(CLI::IsMember({"constant", "replicate", "reflect", "reflect101", "wrap"})),
        false);
  }
  static void scipy_mode(Command& c) {
    c.styled.emplace_back(
        c.app->add_option("--mode", c.o.mode, "ndimage mode (default reflect)")
            ->check(CLI::IsMember({"reflect", "constant", "nearest", "mirror", "wrap",
                                   "grid-mirror", "grid-constant", "grid-wrap"})),
        true);
    c.styled.emplace_back(c.app->add_option("--cval", c.o.cval, "Value outside for mode constant"),
                          true);
  }
  static void depth(Command& c, const char* what) {
    c.app->add_option("--depth", c.o.depth, what)
        ->check(CLI::IsMember({"same", "u8", "u16", "i16", "f32", "f64"}))
        ->capture_default_str();
  }
  // Both styles take --sigma on `gaussian`; elsewhere it belongs to --style scipy.
  static void sigma_pair(Command& c, bool scipy_only) {
    CLI::Option* s =
        c.app->add_option("--sigma", c.o.sigma, "Gaussian sigma (x, and y unless --sigma-y)");
    CLI::Option* sy = c.app->add_option("--sigma-y", c.o.sigma_y, "Sigma along y (rows)");
    if (scipy_only) {
      c.styled.emplace_back(s, true);
      c.styled.emplace_back(sy, true);
    }
  }
  static void truncate(Command& c) {
    c.styled.emplace_back(
        c.app->add_option("--truncate", c.o.truncate, "Kernel radius in sigmas (SciPy's 4.0)"),
        true);
  }
  static void dxdy(Command& c, const char* what) {
    c.app->add_option("--dx", c.o.dx, std::string("Order along x (columns)") + what)
        ->capture_default_str();
    c.app->add_option("--dy", c.o.dy, std::string("Order along y (rows)") + what)
        ->capture_default_str();
  }

  void add_all(CLI::App& app) {
    {
      Command& c = add(app, Kind::gaussian, "gaussian",
                       "cv2.GaussianBlur / scipy.ndimage.gaussian_filter (--style scipy)");
      style(c);
      sigma_pair(c, false);
      c.styled.emplace_back(
          c.app->add_option("--ksize", c.o.ksize, "Kernel size N or WxH (odd; 0 = from sigma)"),
          false);
      border(c);
      c.o.dx = 0;
      c.styled.emplace_back(c.app->add_option("--dx", c.o.dx, "Derivative order along x, 0..3"),
                            true);
      c.styled.emplace_back(c.app->add_option("--dy", c.o.dy, "Derivative order along y, 0..3"),
                            true);
      truncate(c);
      c.styled.emplace_back(c.app->add_option("--radius", c.o.radius,
                                              "Kernel radius R or RX,RY (instead of --truncate)"),
                            true);
      scipy_mode(c);
      c.styled.emplace_back(
          c.app
              ->add_option("--depth", c.o.depth,
                           "Output dtype (scipy's output=): same, u8, u16, i16, f32, f64")
              ->check(CLI::IsMember({"same", "u8", "u16", "i16", "f32", "f64"})),
          true);
    }
    {
      Command& c = add(app, Kind::box, "box",
                       "cv2.boxFilter / scipy.ndimage.uniform_filter (--style scipy)");
      style(c);
      c.app->add_option("--size", c.o.size, "Window N or WxH")->required();
      c.styled.emplace_back(
          c.app->add_option("--anchor", c.o.anchor, "Anchor X,Y (default centre)"), false);
      c.styled.emplace_back(
          c.app->add_flag("--no-normalize", c.o.no_normalize, "Window sum, not mean"), false);
      border(c);
      c.styled.emplace_back(c.app->add_option("--origin", c.o.origin, "ndimage origin N or X,Y"),
                            true);
      scipy_mode(c);
      depth(c, "Output dtype (ddepth / output=): same, u8, u16, i16, f32, f64");
    }
    {
      Command& c =
          add(app, Kind::sobel, "sobel", "cv2.Sobel / scipy.ndimage.sobel (--style scipy)");
      style(c);
      dxdy(c, " (scipy: 1 on the derivative axis)");
      c.styled.emplace_back(
          c.app->add_option("--ksize", c.o.kint, "1, 3, ..., 31, or -1 for Scharr")
              ->capture_default_str(),
          false);
      c.styled.emplace_back(c.app->add_option("--scale", c.o.scale, "Multiplies the result"),
                            false);
      c.styled.emplace_back(c.app->add_option("--delta", c.o.delta, "Added to the result"), false);
      border(c);
      scipy_mode(c);
      depth(c, "Output dtype (ddepth / output=): same, u8, u16, i16, f32, f64");
    }
    {
      Command& c = add(app, Kind::scharr, "scharr",
                       "cv2.Scharr(IN, ddepth, dx, dy, scale, delta, borderType)");
      dxdy(c, "");
      c.app->add_option("--scale", c.o.scale, "Multiplies the result");
      c.app->add_option("--delta", c.o.delta, "Added to the result");
      border(c);
      depth(c, "Output dtype (ddepth): same, u8, u16, i16, f32, f64");
    }
    {
      Command& c =
          add(app, Kind::prewitt, "prewitt", "scipy.ndimage.prewitt(IN, axis, mode, cval)");
      dxdy(c, " (1 on the derivative axis)");
      c.o.style = "scipy";
      scipy_mode(c);
      depth(c, "Output dtype (output=): same, u8, u16, i16, f32, f64");
    }
    {
      Command& c = add(app, Kind::laplacian, "laplacian",
                       "cv2.Laplacian / scipy.ndimage.laplace, gaussian_laplace with --sigma");
      style(c);
      c.o.kint = 1;
      c.styled.emplace_back(
          c.app->add_option("--ksize", c.o.kint, "1, 3, 5, ..., 31")->capture_default_str(), false);
      c.styled.emplace_back(c.app->add_option("--scale", c.o.scale, "Multiplies the result"),
                            false);
      c.styled.emplace_back(c.app->add_option("--delta", c.o.delta, "Added to the result"), false);
      border(c);
      sigma_pair(c, true);
      truncate(c);
      scipy_mode(c);
      depth(c, "Output dtype (ddepth / output=): same, u8, u16, i16, f32, f64");
    }
    {
      Command& c =
          add(app, Kind::gradient, "gradient",
              "Gradient magnitude: of cv2.Sobel / scipy.ndimage.gaussian_gradient_magnitude");
      style(c);
      c.styled.emplace_back(c.app->add_option("--ksize", c.o.kint, "Sobel size, -1 for Scharr")
                                ->capture_default_str(),
                            false);
      border(c);
      sigma_pair(c, true);
      truncate(c);
      scipy_mode(c);
      c.styled.emplace_back(c.app
                                ->add_option("--depth", c.o.depth,
                                             "Output dtype (output=): same, u8, u16, i16, f32, f64")
                                ->check(CLI::IsMember({"same", "u8", "u16", "i16", "f32", "f64"})),
                            true);
    }
    {
      Command& c = add(app, Kind::unsharp, "unsharp",
                       "Unsharp mask: IN*(1+amount) - GaussianBlur(IN, sigma)*amount");
      c.app->add_option("--sigma", c.o.sigma, "Gaussian sigma")->required();
      c.app->add_option("--amount", c.o.amount, "Strength")->capture_default_str();
      c.app->add_option("--threshold", c.o.threshold, "Keep pixels with |IN - blurred| below it")
          ->capture_default_str();
      border(c);
    }
    {
      Command& c = add(app, Kind::sepfilter, "sepfilter",
                       "cv2.sepFilter2D(IN, ddepth, kernelX, kernelY, anchor, delta, borderType)");
      c.app->add_option("--kx", c.o.kx, "Row kernel, e.g. \"1 2 1\"")->required();
      c.app->add_option("--ky", c.o.ky, "Column kernel, e.g. \"-1 0 1\"")->required();
      c.app->add_option("--anchor", c.o.anchor, "Anchor X,Y (default centre)");
      c.app->add_option("--delta", c.o.delta, "Added to the result");
      border(c);
      depth(c, "Output dtype (ddepth): same, u8, u16, i16, f32, f64");
    }
    for (auto& c : commands_) {
      for (auto& [opt, scipy_only] : c->styled)
        if (c->has_style)
          opt->group(scipy_only ? "SciPy style (--style scipy)" : "OpenCV style (default)");
      hooks_.add_common(c->app);
    }
  }

  // --- running ------------------------------------------------------------------------------

  // Rows a Gaussian of this sigma reaches: OpenCV's kernel is 2*round(3 or 4 sigma)+1 taps.
  static std::int64_t gaussian_reach(double sigma) {
    return std::int64_t(std::ceil(4.0 * std::max(sigma, 0.0))) + 1;
  }
  // scipy.ndimage's radius: int(truncate * sigma + 0.5).
  static std::int64_t scipy_reach(double sigma, double truncate) {
    return std::int64_t(truncate * std::max(sigma, 0.0) + 0.5);
  }

  int run(Command& c) {
    const Options& o = c.o;
    const bool scipy = o.style == "scipy";
    for (auto& [opt, scipy_only] : c.styled)
      if (opt->count() > 0 && scipy_only != scipy)
        usage(c.app->get_name() + ": " + opt->get_name() + " is for --style " +
              (scipy_only ? "scipy" : "opencv"));
    std::optional<DType> depth;
    if (o.depth != "same") depth = parse_dtype(o.depth, "depth");
    const Border b = parse_border(o.border);
    const auto mode = ndimage::parse_mode(o.mode);
    const double sy = o.sigma_y != 0 ? o.sigma_y : o.sigma;
    const bool given_sigma = c.app->get_option_no_throw("--sigma") &&
                             c.app->get_option("--sigma")->count() +
                                     (c.app->get_option_no_throw("--sigma-y")
                                          ? c.app->get_option("--sigma-y")->count()
                                          : 0) >
                                 0;

    ImageJob job;
    job.command = c.app->get_name();
    job.wrap = scipy ? (o.mode == "wrap" || o.mode == "grid-wrap") : b == Border::wrap;
    job.temp_bytes_per_sample = scipy ? 16 : 8;
    job.out_dtype = [depth](DType in) { return depth.value_or(in); };
    if (c.kind == Kind::unsharp || (c.kind == Kind::gaussian && !scipy))
      job.out_dtype = [](DType in) { return in; };
    if (c.kind == Kind::gradient && !scipy)
      job.out_dtype = [](DType in) { return in == DType::f64 ? DType::f64 : DType::f32; };
    // The option sets of each style, made for the plan the runner passes.
    auto image = [](const PlanOptions& plan) { return ImageOptions{Layout::HWC, plan}; };
    auto nd = [mode, cval = o.cval, depth](const PlanOptions& plan) {
      ndimage::Options n;
      n.mode = mode;
      n.cval = cval;
      n.output = depth;
      n.plan = plan;
      return n;
    };
    auto axis_of = [&]() {
      if (!((o.dx == 1 && o.dy == 0) || (o.dx == 0 && o.dy == 1)))
        usage(c.app->get_name() + ": --style scipy takes --dx 1 (axis 1) or --dy 1 (axis 0)");
      return o.dx == 1 ? 1 : 0;
    };
    std::int64_t reach = 1;
    using Fn = std::function<Tensor(ConstTensorView, const PlanOptions&)>;
    switch (c.kind) {
      case Kind::gaussian:
        if (scipy) {
          std::array<int, 2> radius{-1, -1};
          if (!o.radius.empty()) {
            auto [rx, ry] = pair_of(o.radius, ',', "--radius", "R or RX,RY (e.g. 4 or 4,2)");
            radius = {ry, rx};
          }
          reach = radius[0] >= 0 ? radius[0] : scipy_reach(sy, o.truncate);
          job.apply = [=, sx = o.sigma, order = std::array<int, 2>{o.dy, o.dx},
                       t = o.truncate](ConstTensorView in, const PlanOptions& plan) {
            return ndimage::gaussian_filter(in, {sy, sx}, order, t, radius, nd(plan));
          };
          job.detail = "scipy gaussian_filter, sigma " + num(o.sigma) + ", mode " + o.mode;
        } else {
          KSize k{0, 0};
          if (!o.ksize.empty()) {
            auto [w, h] = pair_of(o.ksize, 'x', "--ksize", "N or WxH (e.g. 5 or 5x3)");
            k = {w, h};
          }
          reach = k.height > 0 ? k.height / 2 : gaussian_reach(sy);
          job.apply = [=, sx = o.sigma, sy0 = o.sigma_y](ConstTensorView in,
                                                          const PlanOptions& plan) {
            return gaussian_blur(in, k, sx, sy0, b, image(plan));
          };
          job.detail = "GaussianBlur, sigma " + num(o.sigma) + ", border " + o.border;
        }
        break;
      case Kind::box: {
        auto [w, h] = pair_of(o.size, 'x', "--size", "N or WxH (e.g. 5 or 5x3)");
        reach = std::max(h - 1, 0);
        if (scipy) {
          std::pair<int, int> org{0, 0};
          if (!o.origin.empty())
            org = pair_of(o.origin, ',', "--origin", "N or X,Y (e.g. 0 or -1,0)");
          job.apply = [=](ConstTensorView in, const PlanOptions& plan) {
            return ndimage::uniform_filter(in, {h, w}, {org.second, org.first}, nd(plan));
          };
          job.detail = "scipy uniform_filter, mode " + o.mode;
        } else {
          Anchor a{};
          if (!o.anchor.empty()) {
            auto [ax, ay] = pair_of(o.anchor, ',', "--anchor", "X,Y (e.g. 1,1; -1,-1 = centre)");
            a = {ax, ay};
          }
          job.apply = [=, normalize = !o.no_normalize](ConstTensorView in,
                                                       const PlanOptions& plan) {
            return box_filter(in, depth, {w, h}, a, normalize, b, image(plan));
          };
          job.detail = std::string(o.no_normalize ? "box sum" : "box mean") + ", border " + o.border;
        }
        break;
      }
      case Kind::sobel:
        reach = std::max(o.kint, 3) / 2;
        job.apply = scipy ? Fn([=, axis = axis_of()](ConstTensorView in, const PlanOptions& plan) {
          return ndimage::sobel(in, axis, nd(plan));
        })
                          : Fn([=, o = o](ConstTensorView in, const PlanOptions& plan) {
                              return sobel(in, depth, o.dx, o.dy, o.kint, o.scale, o.delta, b,
                                           image(plan));
                            });
        job.detail = scipy ? "scipy sobel, mode " + o.mode : "Sobel, border " + o.border;
        break;
      case Kind::scharr:
        job.apply = [=, o = o](ConstTensorView in, const PlanOptions& plan) {
          return scharr(in, depth, o.dx, o.dy, o.scale, o.delta, b, image(plan));
        };
        job.detail = "Scharr, border " + o.border;
        break;
      case Kind::prewitt:
        job.apply = [=, axis = axis_of()](ConstTensorView in, const PlanOptions& plan) {
          return ndimage::prewitt(in, axis, nd(plan));
        };
        job.detail = "scipy prewitt, mode " + o.mode;
        break;
      case Kind::laplacian:
        if (scipy && given_sigma) {
          reach = scipy_reach(sy, o.truncate);
          job.apply = [=, sx = o.sigma, t = o.truncate](ConstTensorView in,
                                                         const PlanOptions& plan) {
            return ndimage::gaussian_laplace(in, {sy, sx}, t, nd(plan));
          };
        } else if (scipy) {
          job.apply = [=](ConstTensorView in, const PlanOptions& plan) {
            return ndimage::laplace(in, nd(plan));
          };
        } else {
          reach = std::max(o.kint, 3) / 2;
          job.apply = [=, o = o](ConstTensorView in, const PlanOptions& plan) {
            return laplacian(in, depth, o.kint, o.scale, o.delta, b, image(plan));
          };
        }
        job.detail = scipy ? "scipy laplace, mode " + o.mode : "Laplacian, border " + o.border;
        break;
      case Kind::gradient:
        if (scipy) {
          if (!given_sigma)
            usage("gradient: --style scipy needs --sigma (gaussian_gradient_magnitude)");
          reach = scipy_reach(sy, o.truncate);
          job.apply = [=, sx = o.sigma, t = o.truncate](ConstTensorView in,
                                                         const PlanOptions& plan) {
            return ndimage::gaussian_gradient_magnitude(in, {sy, sx}, t, nd(plan));
          };
        } else {
          reach = std::max(o.kint, 3) / 2;
          job.apply = [=, k = o.kint](ConstTensorView in, const PlanOptions& plan) {
            return gradient_magnitude(in, k, b, image(plan));
          };
        }
        job.detail = scipy ? "scipy gaussian_gradient_magnitude" : "|Sobel|, border " + o.border;
        break;
      case Kind::unsharp:
        reach = gaussian_reach(o.sigma);
        job.apply = [=, o = o](ConstTensorView in, const PlanOptions& plan) {
          return unsharp_mask(in, o.sigma, o.amount, o.threshold, b, image(plan));
        };
        job.detail = "unsharp mask, border " + o.border;
        break;
      case Kind::sepfilter: {
        Filter2dOptions f;
        f.border = b;
        f.delta = o.delta;
        if (!o.anchor.empty()) {
          auto [ax, ay] = pair_of(o.anchor, ',', "--anchor", "X,Y (e.g. 1,1; -1,-1 = centre)");
          f.anchor = {ax, ay};
        }
        auto kx = std::make_shared<Tensor>(io::parse_kernel_string(o.kx));
        auto ky = std::make_shared<Tensor>(io::parse_kernel_string(o.ky));
        reach = std::max<std::int64_t>(ky->numel() - 1, 0);
        job.apply = [=](ConstTensorView in, const PlanOptions& plan) mutable {
          f.plan = plan;
          return sep_filter2d(in, depth, *kx, *ky, f);
        };
        job.detail = "sepFilter2D, border " + o.border;
        break;
      }
    }
    job.reach = {reach, reach};
    return hooks_.run_images(o.files, job);
  }
};

}  // namespace

std::unique_ptr<FilterCommands> add_filter_commands(CLI::App& app, Hooks hooks) {
  return std::make_unique<Impl>(app, std::move(hooks));
}

}  // namespace convkit::cli
