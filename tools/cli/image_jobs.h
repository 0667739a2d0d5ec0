#pragma once
// Running an image filter on files: one IN -> OUT, or a batch (IN... --out-dir DIR, globs
// expanded, files in parallel, one summary line), each file either in memory or -- when it
// exceeds the memory budget, or with --stream -- band by band through src/stream/ (peak memory
// independent of the image's height, the same bits as in memory). Every command that filters
// images with a finite reach (filter, convolve/correlate --mode same, gaussian, box, sobel, ...)
// describes its work as an ImageJob and hands it here.
//
// Options added to each command (add_options):
//   --out-dir DIR      batch: every input is filtered into DIR under its own name
//   --memory SIZE      budget (512M, 2G, ...; default an eighth of RAM, at most 512 MiB): a file
//                      whose whole-image filtering would need more is streamed in bands
//   --stream           stream whatever the size;  --band-rows N  output rows per band
//   --progress / --quiet   progress bar on stderr (default: when stderr is a terminal)
//   --auto-orient      apply the EXIF orientation on read, as Pillow's exif_transpose

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "convkit/convkit.h"
#include "io/image.h"
#include "stream/bands.h"

namespace convkit::cli {

struct ImageJob {
  std::string command;  ///< for messages ("gaussian")
  /// The output's dtype for an input dtype (OUT is checked before any computing).
  std::function<DType(DType input)> out_dtype;
  /// The filter on an image -- or on a band of its rows as if it were the image. `plan` has
  /// band_of_height set to the whole image's height, so the plans are row-local.
  std::function<Tensor(ConstTensorView image, const PlanOptions& plan)> apply;
  stream::Reach reach;
  bool wrap = false;  ///< periodic rows (wrap border): bands need the image's other end
  /// Why this job cannot run in bands (empty: it can).
  std::string cannot_stream;
  /// Bytes per output sample of the filter's own temporaries (for the memory estimate).
  double temp_bytes_per_sample = 8;
  /// What the --verbose line says about the operation ("GaussianBlur, sigma 2, border ...").
  std::string detail;
  /// Appended to "cannot store f32 in a PNG; use .npy".
  std::string depth_advice = " or --depth u8";
};

struct ImageIoOptions {
  std::vector<std::string> files;  ///< IN OUT, or the inputs of a batch
  std::string out_dir, memory;
  bool stream = false, quiet = false, progress = false, auto_orient = false;
  std::int64_t band_rows = 0;
};

class ImageJobs {
 public:
  struct Context {
    /// The plan options of the common flags (--algorithm, --explain into `explanation`).
    std::function<PlanOptions(std::string* explanation)> start;
    /// The output format options of the common flags (--quality, --compression, ...).
    std::function<io::WriteOptions()> write_options;
    /// --explain / --verbose output for a finished file.
    std::function<void(const std::string& plan, const std::string& line, double ms)> report;
  };
  explicit ImageJobs(Context context) : context_(std::move(context)) {}

  /// Adds FILES (IN OUT, or IN... with --out-dir) and the options above to `cmd`; with
  /// `in_help` null, only the memory, streaming and progress options (the command has its own
  /// positionals and fills o.files itself).
  void add_options(CLI::App* cmd, ImageIoOptions& o, const char* in_help);
  /// Runs `job` on the files of `o`: the exit status (0, or 1 when a file of a batch failed).
  /// A single file's failure throws.
  int run(const ImageIoOptions& o, const ImageJob& job);

 private:
  Context context_;
};

}  // namespace convkit::cli
