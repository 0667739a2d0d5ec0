// convkit steps IN KERNEL OUT.{txt,md,json,svg,gif,html} [--stride S|SH,SW]
//                [--padding P|PH,PW|T,B,L,R] [--dilation D|DH,DW] [--flip] [--bias B]
//                [--border constant|replicate|reflect|mirror|wrap] [--value V]
//                [--cell I,J ...] [--transposed] [--output-padding P|PH,PW]
//                [--max-frames N] [--strip] [--delay CS] [--color | --no-color]
//
// IN is an image or array file (.npy, .png, .pgm, ...; one channel), a text file of rows, or
// a matrix written inline ("1 2 3; 4 5 6"); KERNEL is a matrix, a preset name (see
// `convkit presets`) or a file. OUT "-" prints the text form (coloured on a terminal).
#include "steps_cmd.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "convkit/steps.h"
#include "io/image.h"
#include "io/kernel_text.h"

namespace convkit::cli {

namespace {

namespace fs = std::filesystem;

struct Options {
  std::string in, kernel, out;
  std::string stride = "1", padding = "0", dilation = "1", output_padding = "0";
  std::string border = "constant";
  double bias = 0.0, value = 0.0;
  bool flip = false, transposed = false, strip = false, color = false, no_color = false;
  std::vector<std::string> cells;
  std::int64_t max_frames = 400;
  int delay = 60;
};

Border parse_border(const std::string& name) {
  if (name == "replicate") return Border::replicate;
  if (name == "reflect") return Border::reflect;
  if (name == "mirror") return Border::mirror;
  if (name == "wrap") return Border::wrap;
  return Border::constant;  // CLI11 checked the set
}

// "2" or "2,3" or "1,1,2,2": integers separated by commas (spaces allowed around them).
bool parse_ints(const std::string& text, std::vector<std::int64_t>* out) {
  out->clear();
  std::string_view s(text);
  while (true) {
    const auto comma = s.find(',');
    std::string_view part = s.substr(0, comma);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || end != part.data() + part.size()) return false;
    out->push_back(v);
    if (comma == std::string_view::npos) return true;
    s.remove_prefix(comma + 1);
  }
}

// A file (an image or array for the input; read_kernel_file's formats otherwise), a preset
// name (kernels only) or an inline matrix, with errors naming `parameter`.
Tensor matrix_or_file(const std::string& text, const char* parameter, bool presets) {
  std::error_code ec;
  if (io::is_known_extension(text) || fs::is_regular_file(text, ec)) {
    if (std::string(parameter) == "input" && io::is_known_extension(text))
      return io::read_image(text, "input");
    return io::read_kernel_file(text);
  }
  if (presets) {
    std::istringstream names(preset_names());
    for (std::string name; std::getline(names, name, ',');) {
      name.erase(0, name.find_first_not_of(' '));
      if (name == text) return preset_kernel(text);
    }
  }
  try {
    return io::parse_kernel_string(text);
  } catch (const Error& e) {
    const bool looks_like_a_name = text.find_first_of(" ;,\t\n") == std::string::npos &&
                                   text.find_first_not_of("0123456789+-.eE/") != std::string::npos;
    if (looks_like_a_name)
      throw Error(parameter, "'" + text + "' is neither a file" +
                                 (presets ? ", a preset (see 'convkit presets')" : "") +
                                 std::string(" nor a matrix like \"1 2 3; 4 5 6\""));
    std::string message = e.what();
    const std::string prefix = e.parameter() + ": ";
    if (message.rfind(prefix, 0) == 0) message.erase(0, prefix.size());
    throw Error(parameter, message);
  }
}

class Impl final : public FilterCommands {
 public:
  Impl(CLI::App& app, Hooks hooks) : hooks_(std::move(hooks)) {
    cmd_ = app.add_subcommand("steps", "Show a 2-D convolution step by step: IN (x) KERNEL -> "
                                       "OUT.txt, .md, .json, .svg, .gif or .html")
               ->group("Learning");
    cmd_->add_option("IN", o_.in,
                     "Input: a gray image or 2-D array file (.npy, .png, .pgm), a text file of "
                     "rows, or a matrix like \"1 2 3; 4 5 6\"")
        ->required();
    cmd_->add_option("KERNEL", o_.kernel,
                     "Kernel: a matrix like \"1 0 -1; 2 0 -2; 1 0 -1\", a preset name (see "
                     "'convkit presets') or a file (.npy, image, text rows)")
        ->required();
    cmd_->add_option("OUT", o_.out,
                     "Output: .txt, .md, .json, .svg, .gif or .html; '-' prints text")
        ->required();
    cmd_->add_option("--stride", o_.stride, "S or SH,SW")->capture_default_str();
    cmd_->add_option("--padding", o_.padding,
                     "P, PH,PW or T,B,L,R (transposed: PyTorch's padding, which crops)")
        ->capture_default_str();
    cmd_->add_option("--dilation", o_.dilation, "D or DH,DW")->capture_default_str();
    cmd_->add_flag("--flip", o_.flip,
                   "Convolution (the kernel flipped); default cross-correlation, as in deep "
                   "learning");
    cmd_->add_option("--bias", o_.bias, "Added to every output")->capture_default_str();
    cmd_->add_option("--border", o_.border,
                     "How padding is filled (input a b c d): constant (--value), replicate "
                     "(a a|a b), reflect (b a|a b), mirror (c b|a b), wrap (c d|a b)")
        ->check(CLI::IsMember({"constant", "replicate", "reflect", "mirror", "wrap"}))
        ->capture_default_str();
    cmd_->add_option("--value", o_.value, "The padding value of --border constant")
        ->capture_default_str();
    cmd_->add_option("--cell", o_.cells, "Show only output cell I,J (repeatable)")
        ->expected(1)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    cmd_->add_flag("--transposed", o_.transposed,
                   "Transposed convolution (conv_transpose2d): shown as zero insertion and as "
                   "scatter-add");
    cmd_->add_option("--output-padding", o_.output_padding, "P or PH,PW (transposed only)")
        ->capture_default_str();
    cmd_->add_option("--max-frames", o_.max_frames,
                     "Refuse to draw more frames than this (0 = no limit); one frame per output "
                     "cell unless --cell picks some")
        ->capture_default_str();
    cmd_->add_flag("--strip", o_.strip, "SVG: every frame side by side (default: the first)");
    cmd_->add_option("--delay", o_.delay, "GIF/HTML frame delay in hundredths of a second")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    cmd_->add_flag("--color", o_.color, "ANSI colours in text output (default: on a terminal)");
    cmd_->add_flag("--no-color", o_.no_color, "No colours, even on a terminal");
  }

  std::optional<int> run() override {
    if (!cmd_->parsed()) return std::nullopt;
    return run_steps();
  }

 private:
  // Pairs and quadruples of integers; `counts` lists how many values the option takes.
  std::vector<std::int64_t> ints(const std::string& name, const std::string& text,
                                 std::initializer_list<std::size_t> counts,
                                 const std::string& forms) {
    std::vector<std::int64_t> v;
    bool ok = parse_ints(text, &v);
    ok = ok && std::find(counts.begin(), counts.end(), v.size()) != counts.end();
    if (!ok) hooks_.usage_error(name + ": '" + text + "' is not " + forms + " (integers)");
    return v;
  }

  steps::Options options() {
    steps::Options s;
    const auto stride = ints("--stride", o_.stride, {1, 2}, "S or SH,SW");
    s.stride_h = stride.front(), s.stride_w = stride.back();
    const auto dilation = ints("--dilation", o_.dilation, {1, 2}, "D or DH,DW");
    s.dilation_h = dilation.front(), s.dilation_w = dilation.back();
    const auto pad = ints("--padding", o_.padding, {1, 2, 4}, "P, PH,PW or T,B,L,R");
    if (pad.size() == 4) {
      s.pad_top = pad[0], s.pad_bottom = pad[1], s.pad_left = pad[2], s.pad_right = pad[3];
    } else {
      s.pad_top = s.pad_bottom = pad.front();
      s.pad_left = s.pad_right = pad.back();
    }
    const auto op = ints("--output-padding", o_.output_padding, {1, 2}, "P or PH,PW");
    s.output_padding_h = op.front(), s.output_padding_w = op.back();
    s.border = parse_border(o_.border);
    s.border_value = o_.value;
    s.flip = o_.flip;
    s.bias = o_.bias;
    s.transposed = o_.transposed;
    return s;
  }

  int run_steps() {
    if (o_.color && o_.no_color) hooks_.usage_error("give --color or --no-color, not both");
    if (o_.max_frames < 0)
      hooks_.usage_error("--max-frames: must be >= 0 (0 = no limit), got " +
                         std::to_string(o_.max_frames));
    const bool to_stdout = o_.out == "-";
    std::error_code ec;
    if (!to_stdout && fs::is_directory(o_.out, ec))
      throw Error("output", "'" + o_.out + "' is a directory");
    const steps::Format format = to_stdout ? steps::Format::text : steps::format_from_path(o_.out);
    steps::RenderOptions r;
    for (const auto& c : o_.cells) {
      const auto ij = ints("--cell", c, {2}, "I,J");
      r.cells.emplace_back(ij[0], ij[1]);
    }
    r.max_frames = o_.max_frames;
    r.strip = o_.strip;
    r.gif_delay_cs = o_.delay;
    r.color = o_.color || (to_stdout && !o_.no_color && ::isatty(STDOUT_FILENO));
    const steps::Options s = options();

    const Tensor in = matrix_or_file(o_.in, "input", false);
    if (in.rank() != 2)
      throw Error("input", "'" + o_.in + "' has shape " + in.cview().geometry().shape_string() +
                               "; steps needs one channel (a gray image or a 2-D array)");
    const Tensor kernel = matrix_or_file(o_.kernel, "kernel", true);
    if (kernel.rank() != 2)
      throw Error("kernel", "'" + o_.kernel + "' has shape " +
                                kernel.cview().geometry().shape_string() +
                                "; a 2-D kernel is needed");
    const steps::Trace t = steps::trace(in.cview(), kernel.cview(), s);
    const std::string document = steps::render(t, format, r);
    if (to_stdout) {
      std::cout << document << std::flush;
      if (!std::cout) throw IoError("cannot write to standard output");
    } else {
      hooks_.write_text(o_.out, document);
    }
    return 0;
  }

  Hooks hooks_;
  CLI::App* cmd_ = nullptr;
  Options o_;
};

}  // namespace

std::unique_ptr<FilterCommands> add_steps_command(CLI::App& app, Hooks hooks) {
  return std::make_unique<Impl>(app, std::move(hooks));
}

}  // namespace convkit::cli
