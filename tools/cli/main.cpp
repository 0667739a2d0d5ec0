// The convkit command: SciPy-style convolve/correlate and OpenCV-style filter on image and
// array files.
//
//   convkit convolve  IN KERNEL OUT [--mode full|same|valid] [--boundary fill|wrap|symm] ...
//   convkit correlate IN KERNEL OUT [same options]
//   convkit filter IN OUT (--kernel "1 2 1; 2 4 2; 1 2 1" | --kernel-file K | --preset NAME) ...
//   convkit presets
//   convkit steps IN KERNEL OUT.{txt,md,json,svg,gif,html} [--stride --padding --cell I,J ...]
//
// Exit status: 0 success, 1 failure (bad input, I/O), 2 usage error. Every failure prints exactly
// one line "convkit: error: ..." on stderr, and OUT is either fully written or left as it was.

#include <CLI/CLI.hpp>
#include <malloc.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <complex>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "convkit/convkit.h"
#include "deblur_cmd.h"
#include "filters_cmd.h"
#include "io/image.h"
#include "io/kernel_text.h"
#include "steps_cmd.h"
#include "image_jobs.h"
#include "atomic_output.h"

namespace {

using convkit::ConstTensorView;
using convkit::DType;
using convkit::Tensor;

// Bad command-line syntax that CLI11 cannot see (e.g. "--anchor 1;2"): exit status 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct CommonOptions {
  int threads = -1;  // -1: not given, keep convkit's default
  std::string algorithm = "auto";
  bool explain = false;
  bool verbose = false;
  convkit::io::WriteOptions output;  // how OUT is written (its format's options)
};

struct SignalOptions {
  std::string in, kernel, out;
  convkit::cli::ImageIoOptions files;  // --memory, --stream, ... (IN and OUT are above)
  std::string mode = "full", boundary = "fill", fillvalue = "0";
};

struct FilterOptions {
  convkit::cli::ImageIoOptions files;
  std::string kernel, kernel_file, preset;
  std::string border = "reflect101", anchor, depth = "same";
  double delta = 0.0;
  bool normalize = false;
};

// --- parsing helpers ----------------------------------------------------------------------------


// Python's complex() spelling: "2", "-1.5", "2j", "1+2j", "(1-2.5e-3j)".
std::complex<double> parse_fillvalue(const std::string& text) {
  std::string s;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) s.push_back(c);
  if (s.size() >= 2 && s.front() == '(' && s.back() == ')') s = s.substr(1, s.size() - 2);
  auto bad = [&]() -> std::complex<double> {
    throw UsageError("--fillvalue: '" + text + "' is not a number (e.g. 0, -1.5, 2j, 1+2j)");
  };
  if (s.empty()) return bad();
  double re = 0, im = 0;
  if (s.back() != 'j' && s.back() != 'J')
    return convkit::io::parse_double(s, &re) ? std::complex<double>(re) : bad();
  std::string_view body(s.data(), s.size() - 1);
  // The sign that starts the imaginary part: the last one not inside an exponent.
  std::size_t split = std::string_view::npos;
  for (std::size_t i = body.size(); i-- > 1;) {
    if ((body[i] == '+' || body[i] == '-') && body[i - 1] != 'e' && body[i - 1] != 'E') {
      split = i;
      break;
    }
  }
  std::string_view real_part = split == std::string_view::npos ? "" : body.substr(0, split);
  std::string_view imag_part = split == std::string_view::npos ? body : body.substr(split);
  if (!real_part.empty() && !convkit::io::parse_double(real_part, &re)) return bad();
  if (imag_part.empty() || imag_part == "+")
    im = 1;
  else if (imag_part == "-")
    im = -1;
  else if (!convkit::io::parse_double(imag_part, &im))
    return bad();
  return {re, im};
}

convkit::Anchor parse_anchor(const std::string& text) {
  convkit::Anchor a;
  auto comma = text.find(',');
  auto to_int = [](std::string_view s, int* v) {
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
  };
  std::string_view s(text);
  if (comma == std::string::npos || !to_int(s.substr(0, comma), &a.x) ||
      !to_int(s.substr(comma + 1), &a.y)) {
    throw UsageError("--anchor: '" + text + "' is not X,Y (e.g. --anchor 1,1; -1,-1 = centre)");
  }
  return a;
}

convkit::Border parse_border(const std::string& name) {
  if (name == "constant") return convkit::Border::constant;
  if (name == "replicate") return convkit::Border::replicate;
  if (name == "reflect") return convkit::Border::reflect;
  if (name == "wrap") return convkit::Border::wrap;
  return convkit::Border::mirror;  // "reflect101", OpenCV's default; CLI11 checked the set
}

// --- the work -----------------------------------------------------------------------------------

std::string describe(ConstTensorView t) {
  return t.geometry().shape_string() + " " + convkit::dtype_name(t.dtype());
}

// How OUT is written: the format options of the command line, and what the input file said
// (TIFF resolution tags) so that a filtered copy keeps it.
convkit::io::WriteOptions g_write_options;
convkit::io::ImageMeta g_input_meta;

void apply_common(const CommonOptions& c) {
  if (c.threads >= 0) convkit::set_num_threads(c.threads);
  g_write_options = c.output;
}

convkit::Tensor read_input(const std::string& path) {
  return convkit::io::read_image(path, "input", &g_input_meta);
}

void write_atomically(const std::string& out, ConstTensorView t) {
  convkit::io::WriteOptions options = g_write_options;
  options.meta = g_input_meta;
  convkit::cli::write_via_temporary(out, [&](const std::string& tmp) {
    convkit::io::write_image(tmp, t, options);
  });
}

void write_text_atomically(const std::string& out, const std::string& data) {
  convkit::cli::write_via_temporary(out, [&](const std::string& tmp) {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (f) f.write(data.data(), std::streamsize(data.size()));
    if (f) f.close();
    if (!f) throw convkit::IoError("cannot write '" + tmp + "': " + std::strerror(errno));
  });
}

// `plan` is Plan::explain() of the plan the front end made (empty if it made none).
void print_explain(const CommonOptions& c, const std::string& plan) {
  std::cout << "convkit " << convkit::version() << ": isa " << convkit::active_isa() << ", "
            << convkit::get_num_threads() << " thread(s), algorithm " << c.algorithm
            << (c.algorithm == "auto" ? " (planner's choice)" : " (forced)") << "\n";
  if (!plan.empty()) std::cout << plan << (plan.back() == '\n' ? "" : "\n");
}

void report(const CommonOptions& c, const std::string& plan, const std::string& line, double ms) {
  if (c.explain) print_explain(c, plan);
  if (c.explain || c.verbose) {
    std::ostringstream os;
    os.setf(std::ios::fixed);
    os.precision(3);
    os << line << " in " << ms << " ms\n";
    std::cout << os.str() << std::flush;
  }
}

// convolve/correlate: `same` streams (its output rows are the input's); full and valid change
// the height and run in memory.
int run_signal(bool convolve, const SignalOptions& o, convkit::cli::ImageJobs& jobs) {
  const auto mode = convkit::signal::parse_mode(o.mode);
  const auto boundary = convkit::signal::parse_boundary(o.boundary);
  const auto fillvalue = parse_fillvalue(o.fillvalue);
  auto kernel = std::make_shared<Tensor>(convkit::io::read_kernel_file(o.kernel));
  convkit::cli::ImageJob job;
  job.command = convolve ? "convolve" : "correlate";
  if (mode != convkit::signal::Mode::same)
    job.cannot_stream = "--mode " + o.mode + " changes the height, so it cannot stream";
  job.reach = {kernel->rank() >= 1 ? kernel->dim(0) - 1 : 0,
               kernel->rank() >= 1 ? kernel->dim(0) - 1 : 0};
  job.wrap = boundary == convkit::signal::Boundary::wrap;
  job.depth_advice = "";
  job.out_dtype = [kernel](DType in) { return convkit::result_type(in, kernel->dtype()); };
  job.apply = [=, in_name = o.in](convkit::ConstTensorView in, const convkit::PlanOptions& plan) {
    if (in.rank() != 2)
      throw convkit::Error("input", "'" + in_name + "' has shape " + in.geometry().shape_string() +
                                        "; convolve/correlate need a 2-D array (for colour "
                                        "images use 'convkit filter')");
    return convolve ? convkit::signal::convolve2d(in, *kernel, mode, boundary, fillvalue, plan)
                    : convkit::signal::correlate2d(in, *kernel, mode, boundary, fillvalue, plan);
  };
  job.detail = std::string(convolve ? "* " : "(x) ") + o.kernel + " " + describe(*kernel) +
               ", mode " + o.mode + ", boundary " + o.boundary;
  convkit::cli::ImageIoOptions files = o.files;
  files.files = {o.in, o.out};
  return jobs.run(files, job);
}

Tensor normalized(ConstTensorView k) {
  if (convkit::is_complex(k.dtype()))
    throw convkit::Error("kernel", "--normalize needs a real kernel, got " +
                                       std::string(convkit::dtype_name(k.dtype())));
  std::span<const std::int64_t> shape(k.geometry().shape.data(), std::size_t(k.rank()));
  Tensor out(DType::f64, shape);
  convkit::copy(k, out.view());
  double* v = out.data_as<double>();
  double sum = 0, magnitude = 0;
  for (std::int64_t i = 0; i < out.numel(); ++i) {
    sum += v[i];
    magnitude += std::abs(v[i]);
  }
  // Relative test: "0.1 0.2 -0.3" sums to 5.6e-17, not to 0, and dividing by it is no better.
  if (!std::isfinite(sum) || std::abs(sum) <= 1e-12 * magnitude || sum == 0) {
    throw convkit::Error("normalize", "the kernel sums to 0 (an edge or derivative kernel?); "
                                      "drop --normalize");
  }
  for (std::int64_t i = 0; i < out.numel(); ++i) v[i] /= sum;
  return out;
}

int run_filter(const FilterOptions& o, convkit::cli::ImageJobs& jobs) {
  const int given = int(!o.kernel.empty()) + int(!o.kernel_file.empty()) + int(!o.preset.empty());
  if (given != 1) throw UsageError("filter: give exactly one of --kernel, --kernel-file, --preset");

  convkit::Filter2dOptions options;
  options.border = parse_border(o.border);
  options.delta = o.delta;
  if (!o.anchor.empty()) options.anchor = parse_anchor(o.anchor);
  std::optional<DType> depth;
  if (o.depth != "same") depth = convkit::parse_dtype(o.depth, "depth");

  Tensor k = !o.kernel.empty()        ? convkit::io::parse_kernel_string(o.kernel)
             : !o.kernel_file.empty() ? convkit::io::read_kernel_file(o.kernel_file)
                                      : convkit::preset_kernel(o.preset);
  if (o.normalize) k = normalized(k);
  auto kernel = std::make_shared<Tensor>(std::move(k));
  const std::int64_t rows = kernel->rank() >= 1 ? kernel->dim(0) : 1;
  const std::string source = !o.kernel.empty()        ? "\"" + o.kernel + "\""
                             : !o.kernel_file.empty() ? o.kernel_file
                                                      : "preset " + o.preset;
  convkit::cli::ImageJob job;
  job.command = "filter";
  job.reach = {rows - 1, rows - 1};
  job.wrap = options.border == convkit::Border::wrap;
  job.out_dtype = [depth](DType in) { return depth.value_or(in); };
  job.apply = [=](convkit::ConstTensorView in, const convkit::PlanOptions& plan) mutable {
    options.plan = plan;
    return convkit::filter2d(in, depth, *kernel, options);
  };
  job.detail = "kernel " + source + " " + kernel->geometry().shape_string() + ", border " + o.border;
  return jobs.run(o.files, job);
}

int run_presets() {
  std::string names = convkit::preset_names();
  std::istringstream in(names);
  std::string name;
  while (std::getline(in, name, ',')) {
    auto first = name.find_first_not_of(' ');
    if (first != std::string::npos) std::cout << name.substr(first) << "\n";
  }
  return 0;
}

void add_common(CLI::App* cmd, CommonOptions& c) {
  cmd->add_option("--threads", c.threads, "Threads to use (0: OMP_NUM_THREADS, else all cores)")
      ->check(CLI::Range(0, 4096));
  cmd->add_option("--algorithm", c.algorithm,
                  "auto (the planner's cheapest estimate), direct, separable, box, fft, "
                  "overlap-add, direct-blocked, gemm-1x1, depthwise, grouped, winograd, "
                  "winograd-4x4, im2col, stride-phases, ordered or reference")
      ->check(CLI::IsMember({"auto", "direct", "separable", "box", "fft", "overlap-add",
                             "direct-blocked", "gemm-1x1", "depthwise", "grouped", "winograd",
                             "winograd-4x4", "im2col", "stride-phases", "ordered", "reference"}))
      ->capture_default_str();
  cmd->add_flag("--explain", c.explain, "Print the plan: instruction set, threads, algorithm");
  cmd->add_flag("-v,--verbose", c.verbose, "Print one line: what was done, shapes, dtypes, time");
  auto* out = cmd->add_option_group("Output file");
  out->add_option("--quality", c.output.quality, "JPEG 1-100 (default 95), WebP 0-100 (default 90)")
      ->check(CLI::Range(0, 100));
  out->add_flag("--lossless", c.output.lossless, "WebP: lossless");
  out->add_flag("--progressive", c.output.progressive, "JPEG: progressive");
  out->add_option("--compression", c.output.compression,
                  "TIFF: none (default), lzw, deflate, jpeg, packbits")
      ->check(CLI::IsMember({"none", "lzw", "deflate", "jpeg", "packbits"}));
  out->add_option("--png-compression", c.output.png_compression,
                  "PNG zlib level 0-9 (default 1: fast, as OpenCV; 6 is zlib's default)")
      ->check(CLI::Range(0, 9));
}

void add_signal_options(CLI::App* cmd, SignalOptions& o, convkit::cli::ImageJobs& jobs) {
  jobs.add_options(cmd, o.files, nullptr);
  cmd->add_option("IN", o.in, "Input: 2-D .npy (any convkit dtype) or gray .png/.pgm")
      ->required();
  cmd->add_option("KERNEL", o.kernel,
                  "Kernel: 2-D .npy, gray image, or text file of rows (\"1 2 1\" per line)")
      ->required();
  cmd->add_option("OUT", o.out, "Output: .npy, or .png/.pgm for u8/u16 results")->required();
  cmd->add_option("--mode", o.mode, "Output size: full, same or valid (scipy.signal)")
      ->check(CLI::IsMember({"full", "same", "valid"}))
      ->capture_default_str();
  cmd->add_option("--boundary", o.boundary, "Border: fill (constant), wrap or symm (reflect)")
      ->check(CLI::IsMember({"fill", "wrap", "symm"}))
      ->capture_default_str();
  cmd->add_option("--fillvalue", o.fillvalue, "Value outside the input for fill: 0, 1.5, 1+2j")
      ->capture_default_str();
}

std::string single_line(std::string s) {
  for (char& ch : s)
    if (ch == '\n' || ch == '\r') ch = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

int fail(const std::string& message, int code) {
  std::cerr << "convkit: error: " << single_line(message) << std::endl;
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  // Band buffers of a streamed image come and go from several threads; glibc's default (a
  // threshold that rises to the largest block freed) then serves them from heaps it never
  // trims, and the peak RSS grew with the image's height (318 MiB for 32000x12000). Blocks of
  // 1 MiB and more mapped and unmapped directly keep it flat (57 MiB), at no measured cost.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  CLI::App app{"convkit: 2-D convolution and image filtering (SciPy and OpenCV semantics)",
               "convkit"};
  app.set_version_flag("--version", [] {
    return std::string("convkit ") + convkit::version() + " (" + convkit::active_isa() + ")";
  });
  app.require_subcommand(1);

  CommonOptions common;
  auto start = [&](std::string* explanation) {
    apply_common(common);
    convkit::PlanOptions plan{convkit::parse_algorithm(common.algorithm)};
    if (common.explain) plan.explain = explanation;
    return plan;
  };
  auto report_line = [&](const std::string& plan, const std::string& line, double ms) {
    report(common, plan, line, ms);
  };
  convkit::cli::ImageJobs jobs({.start = start,
                                .write_options = [] { return g_write_options; },
                                .report = report_line});
  SignalOptions conv, corr;
  FilterOptions filt;

  auto* convolve = app.add_subcommand(
      "convolve", "scipy.signal.convolve2d(IN, KERNEL, mode, boundary, fillvalue) -> OUT");
  add_signal_options(convolve, conv, jobs);
  add_common(convolve, common);

  auto* correlate = app.add_subcommand(
      "correlate", "scipy.signal.correlate2d(IN, KERNEL, mode, boundary, fillvalue) -> OUT");
  add_signal_options(correlate, corr, jobs);
  add_common(correlate, common);

  auto* filter = app.add_subcommand(
      "filter", "cv2.filter2D(IN, ddepth, kernel, anchor, delta, borderType) -> OUT");
  jobs.add_options(filter, filt.files, "IN: HxW or HxWxC .npy, .png, .pgm/.ppm, .jpg, .tif, .webp");
  filter->add_option("--kernel", filt.kernel, "Kernel rows, e.g. \"1 2 1; 2 4 2; 1 2 1\"");
  filter->add_option("--kernel-file", filt.kernel_file, "Kernel from .npy or a text file of rows");
  filter->add_option("--preset", filt.preset, "Named kernel (see 'convkit presets')");
  filter
      ->add_option("--border", filt.border,
                   "Border: constant, replicate, reflect, reflect101 (OpenCV default), wrap")
      ->check(CLI::IsMember({"constant", "replicate", "reflect", "reflect101", "wrap"}))
      ->capture_default_str();
  filter->add_option("--anchor", filt.anchor, "Kernel anchor X,Y (column,row); default centre");
  filter->add_option("--delta", filt.delta, "Added to every output value")->capture_default_str();
  filter
      ->add_option("--depth", filt.depth, "Output dtype: same, u8, u16, i16, f32, f64 (ddepth)")
      ->check(CLI::IsMember({"same", "u8", "u16", "i16", "f32", "f64"}))
      ->capture_default_str();
  filter->add_flag("--normalize", filt.normalize, "Divide the kernel by its sum");
  add_common(filter, common);

  auto* presets = app.add_subcommand("presets", "List the kernel names --preset accepts");
  // gaussian, box, sobel, scharr, prewitt, laplacian, gradient, unsharp, sepfilter
  const convkit::cli::Hooks hooks{
      .add_common = [&](CLI::App* cmd) { add_common(cmd, common); },
      .start = start,
      .check_output = convkit::cli::check_output,
      .read = read_input,
      .write = write_atomically,
      .write_text = write_text_atomically,
      .report = report_line,
      .add_image_options = [&](CLI::App* cmd, convkit::cli::ImageIoOptions& o,
                               const char* in_help) { jobs.add_options(cmd, o, in_help); },
      .run_images = [&](const convkit::cli::ImageIoOptions& o,
                        const convkit::cli::ImageJob& job) { return jobs.run(o, job); },
      .usage_error = [](const std::string& message) { throw UsageError(message); }};
  auto filter_commands = convkit::cli::add_filter_commands(app, hooks);
  auto deblur_command = convkit::cli::add_deblur_command(app, hooks);
  auto steps_command = convkit::cli::add_steps_command(app, hooks);

  // CLI11 2.1 (Debian 12's) loops forever on an empty argument followed by an option (fixed
  // upstream in 2.4); an empty argument is never meaningful here, so it is refused first.
  for (int i = 1; i < argc; ++i)
    if (argv[i][0] == '\0')
      return fail("argument " + std::to_string(i) + " is empty (an unset shell variable?)", 2);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    return fail(std::string(e.what()) + " (see --help)", 2);
  }

  try {
    if (convolve->parsed()) return run_signal(true, conv, jobs);
    if (correlate->parsed()) return run_signal(false, corr, jobs);
    if (filter->parsed()) return run_filter(filt, jobs);
    if (presets->parsed()) return run_presets();
    if (auto status = filter_commands->run()) return *status;
    if (auto status = deblur_command->run()) return *status;
    if (auto status = steps_command->run()) return *status;
    return fail("no command given (see --help)", 2);
  } catch (const UsageError& e) {
    return fail(std::string(e.what()) + " (see --help)", 2);
  } catch (const std::exception& e) {
    return fail(e.what(), 1);
  } catch (...) {
    return fail("unknown failure", 1);
  }
}
