#pragma once
// The image-filter commands of the convkit CLI (gaussian, box, sobel, scharr, prewitt,
// laplacian, gradient, unsharp, sepfilter), registered on main.cpp's CLI11 app. They borrow
// main.cpp's common options, output checks, atomic writer and reporting through Hooks, so every
// command behaves the same way.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "convkit/convkit.h"
#include "image_jobs.h"

namespace convkit::cli {

struct Hooks {
  /// Adds --threads, --algorithm, --explain, -v to a subcommand.
  std::function<void(CLI::App*)> add_common;
  /// Applies --threads; returns the PlanOptions of --algorithm, whose `explain` points at
  /// `explanation` when --explain was given.
  std::function<PlanOptions(std::string* explanation)> start;
  /// Fails (convkit::Error "output") when OUT cannot hold an array of this dtype and shape.
  std::function<void(const std::string& out, DType dtype, std::span<const std::int64_t> shape,
                     const char* advice)>
      check_output;
  /// Reads IN (an image or array file); what it says beyond its samples (TIFF resolution) is
  /// kept for the output written next.
  std::function<Tensor(const std::string& in)> read;
  /// Writes OUT atomically (temporary file, then rename).
  std::function<void(const std::string& out, ConstTensorView t)> write;
  /// Writes a text or binary document to OUT atomically, the same way.
  std::function<void(const std::string& out, const std::string& data)> write_text;
  /// --explain / --verbose output for a finished command.
  std::function<void(const std::string& plan, const std::string& line, double ms)> report;
  /// Adds FILES and the file, memory and progress options of image jobs (image_jobs.h).
  std::function<void(CLI::App*, ImageIoOptions&, const char* in_help)> add_image_options;
  /// Runs an image job on the files given (image_jobs.h): the exit status.
  std::function<int(const ImageIoOptions&, const ImageJob&)> run_images;
  /// Throws main.cpp's usage error (exit status 2) with this message.
  std::function<void(const std::string& message)> usage_error;
};

class FilterCommands {
 public:
  virtual ~FilterCommands() = default;
  /// Runs the filter command that was parsed: its exit status, or nullopt if none was.
  virtual std::optional<int> run() = 0;
};

/// Adds the image-filter subcommands (in the help group "Image filters").
std::unique_ptr<FilterCommands> add_filter_commands(CLI::App& app, Hooks hooks);

}  // namespace convkit::cli
