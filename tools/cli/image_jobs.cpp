// Image jobs on files (see image_jobs.h): in memory or in bands, one file or a batch.
#include "image_jobs.h"

#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include "atomic_output.h"
#include "io/orientation.h"
#include "io/rows.h"
#include "progress.h"

namespace convkit::cli {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kMiB = 1 << 20;
// The working set of one streamed file: bands this size keep the halo's share small and the
// buffers in the caches' reach; more only costs memory.
constexpr std::int64_t kStreamWorkingSet = 64 * kMiB;

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::string mib(double bytes) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(bytes < 10.0 * kMiB ? 1 : 0);
  os << bytes / double(kMiB) << " MiB";
  return os.str();
}

// "512M", "2G", "1.5g", "800k", "1048576" (bytes).
std::int64_t parse_memory(const std::string& text) {
  double value = 0;
  std::size_t used = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  std::string unit = text.substr(used);
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b') && unit.size() > 1)
    unit.pop_back();
  double scale = 0;
  if (unit.empty()) scale = 1;
  else if (unit == "k" || unit == "K") scale = 1024;
  else if (unit == "m" || unit == "M") scale = kMiB;
  else if (unit == "g" || unit == "G") scale = 1024.0 * kMiB;
  else if (unit == "t" || unit == "T") scale = 1024.0 * 1024.0 * kMiB;
  if (used == 0 || scale == 0 || !(value > 0) || value * scale > 9e18)
    throw Error("memory", "'" + text + "' is not a size (e.g. 512M, 2G, 800K)");
  return std::int64_t(value * scale);
}

// An eighth of the RAM, at most 512 MiB: images beyond that stream, which costs nothing in
// speed and keeps the machine usable.
std::int64_t default_budget() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  const std::int64_t ram = pages > 0 && page > 0 ? std::int64_t(pages) * page : 4096 * kMiB;
  return std::min<std::int64_t>(ram / 8, 512 * kMiB);
}

bool has_glob_characters(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

// The inputs, patterns expanded (sorted), as the shell would have expanded them unquoted.
std::vector<std::string> expand(const std::vector<std::string>& args) {
  std::vector<std::string> files;
  for (const std::string& a : args) {
    if (!has_glob_characters(a) || fs::exists(a)) {
      files.push_back(a);
      continue;
    }
    glob_t g{};
    const int rc = ::glob(a.c_str(), 0, nullptr, &g);
    std::vector<std::string> found;
    if (rc == 0)
      for (std::size_t i = 0; i < g.gl_pathc; ++i)
        if (!fs::is_directory(g.gl_pathv[i])) found.emplace_back(g.gl_pathv[i]);
    ::globfree(&g);
    if (found.empty()) throw Error("input", "no file matches '" + a + "'");
    std::sort(found.begin(), found.end());
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

std::string describe(const std::vector<std::int64_t>& shape, DType dtype) {
  std::string s = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")") + " " + dtype_name(dtype);
}

// A writer for the row formats only: WebP and progressive JPEG are written whole.
std::string row_writer_problem(const std::string& out, const io::WriteOptions& w) {
  const io::FileFormat f = io::format_of(out);
  if (f == io::FileFormat::webp) return "a WebP file cannot be written in bands";
  if (f == io::FileFormat::jpeg && w.progressive)
    return "a progressive JPEG cannot be written in bands";
  return "";
}

struct Outcome {
  std::string line, explanation;
  std::string note;  // printed only once the file is written: a failure stays one line
  double ms = 0;
};

class FileRun {
 public:
  FileRun(const ImageJob& job, const ImageIoOptions& o, const ImageJobs::Context& context,
          std::int64_t budget, int progress_mode)
      : job_(job), o_(o), context_(context), budget_(budget), progress_mode_(progress_mode) {}

  Outcome operator()(const std::string& in, const std::string& out, bool show_bar) {
    Outcome r;
    PlanOptions plan = context_.start(nullptr);
    plan.explain = &r.explanation;
    io::WriteOptions w = context_.write_options();

    std::string why_not;
    std::unique_ptr<io::RowReader> reader;
    io::RowLayout header;  // of a file that cannot stream, when its header says
    if (job_.cannot_stream.empty()) reader = io::open_row_reader(in, &why_not, "input", &header);
    if (reader && o_.auto_orient && io::read_exif_orientation(in) != 1) {
      header = reader->layout();
      reader.reset();  // turning it needs the whole image
      why_not = "--auto-orient turns the image, which needs it whole";
    }
    const auto start = Clock::now();
    if (reader) {
      header = reader->layout();
      if (o_.stream || whole_bytes(header) > double(budget_)) {
        why_not = streamed(*reader, in, out, plan, w, show_bar, r);
        if (why_not.empty()) {
          r.ms = ms_since(start);
          return r;
        }
      }
      reader.reset();  // read whole below
    }
    if (header.height > 0 && whole_bytes(header) > double(budget_))
      throw Error("memory", "'" + in + "' needs about " + mib(whole_bytes(header)) +
                                " to filter in memory, over the budget of " + mib(double(budget_)) +
                                ", and cannot be streamed: " + why_not + " (raise --memory)");
    if (o_.stream && !o_.quiet)
      r.note = "convkit: note: '" + in + "': " +
               (job_.cannot_stream.empty() ? why_not : job_.cannot_stream) +
               "; filtered it in memory";
    in_memory(in, out, plan, w, r);
    r.ms = ms_since(start);
    return r;
  }

 private:
  // Filters `in` into `out` band by band; the reason when it cannot (nothing written then).
  std::string streamed(io::RowReader& reader, const std::string& in, const std::string& out,
                       PlanOptions plan, io::WriteOptions w, bool show_bar, Outcome& r) {
    const io::RowLayout& in_layout = reader.layout();
    io::RowLayout out_layout = in_layout;
    out_layout.dtype = job_.out_dtype(in_layout.dtype);
    const auto shape = out_layout.shape();
    check_output(out, out_layout.dtype, shape, job_.depth_advice.c_str());
    stream::BandOptions bands;
    bands.wrap = job_.wrap;
    bands.band_rows = o_.band_rows > 0
                          ? o_.band_rows
                          : stream::band_rows_for(in_layout, out_layout, job_.reach,
                                                  job_.temp_bytes_per_sample,
                                                  std::min(budget_, kStreamWorkingSet));
    std::string problem = stream::banding_problem(reader, job_.reach, bands);
    if (problem.empty()) problem = row_writer_problem(out, w);
    if (!problem.empty()) return problem;

    plan.band_of_height = in_layout.height;
    w.meta = reader.meta();
    Progress bar(job_.command + " " + in, show_bar ? progress_mode_ : 0);
    bands.progress = [&bar](std::int64_t done, std::int64_t total) {
      bar.update(double(done) / double(total));
    };
    write_via_temporary(out, [&](const std::string& tmp) {
      std::string why;
      auto writer = io::create_row_writer(tmp, out_layout, w, &why);
      if (!writer) throw Error("output", "'" + out + "': " + why);
      stream::run(reader, *writer, out_layout, job_.reach,
                  [&](ConstTensorView window) { return job_.apply(window, plan); }, bands);
      writer->finish();
    });
    const std::int64_t n = (in_layout.height + bands.band_rows - 1) / bands.band_rows;
    r.line = job_.command + ": " + in + " " + describe(in_layout.shape(), in_layout.dtype) +
             " -> " + out + " " + describe(shape, out_layout.dtype) + " [" + job_.detail +
             "; streamed in " + std::to_string(n) + " band(s) of " +
             std::to_string(bands.band_rows) + " rows]";
    return "";
  }

  void in_memory(const std::string& in, const std::string& out, PlanOptions plan,
                 io::WriteOptions w, Outcome& r) {
    Tensor image = io::read_image(in, "input", &w.meta);
    if (o_.auto_orient) {
      const int orientation = io::read_exif_orientation(in);
      if (orientation != 1) image = io::apply_orientation(image, orientation);
    }
    const std::vector<std::int64_t> shape(image.geometry().shape.begin(),
                                          image.geometry().shape.begin() + image.rank());
    check_output(out, job_.out_dtype(image.dtype()), shape, job_.depth_advice.c_str());
    // The same row-local plans as the bands of a streamed run, so both give the same bits
    // (an algorithm asked for by name is the user's choice, FFT included).
    if (job_.cannot_stream.empty() && image.rank() >= 1 &&
        plan.algorithm == Algorithm::automatic)
      plan.band_of_height = image.dim(0);
    const Tensor result = job_.apply(image, plan);
    write_via_temporary(out, [&](const std::string& tmp) { io::write_image(tmp, result, w); });
    const std::vector<std::int64_t> out_shape(result.geometry().shape.begin(),
                                              result.geometry().shape.begin() + result.rank());
    r.line = job_.command + ": " + in + " " + describe(shape, image.dtype()) + " -> " + out + " " +
             describe(out_shape, result.dtype()) + " [" + job_.detail + "]";
  }

  // Memory to filter an image of this layout whole: input, output and the filter's temporaries.
  double whole_bytes(const io::RowLayout& in) const {
    io::RowLayout out = in;
    out.dtype = job_.out_dtype(in.dtype);
    const double samples =
        double(in.height) * double(in.width) * double(std::max<std::int64_t>(in.channels, 1));
    return double(in.height) * double(in.row_bytes() + out.row_bytes()) +
           samples * job_.temp_bytes_per_sample;
  }



  const ImageJob& job_;
  const ImageIoOptions& o_;
  const ImageJobs::Context& context_;
  std::int64_t budget_;
  int progress_mode_;
};

std::string single_line(std::string s) {
  for (char& ch : s)
    if (ch == '\n' || ch == '\r') ch = ' ';
  return s;
}

}  // namespace

void ImageJobs::add_options(CLI::App* cmd, ImageIoOptions& o, const char* in_help) {
  if (in_help)
    cmd->add_option("FILES", o.files,
                    std::string(in_help) +
                        "; then OUT (.npy or an image), or several inputs / quoted patterns "
                        "('scans/*.tif') with --out-dir")
        ->required();
  auto* g = cmd->add_option_group("Files, memory and progress");
  if (in_help)
    g->add_option("--out-dir", o.out_dir,
                  "Batch: filter every input into DIR under its own name (files in parallel)");
  g->add_option("--memory", o.memory,
                "Memory budget (512M, 2G; default RAM/8, at most 512M): larger images stream "
                "in bands");
  g->add_flag("--stream", o.stream, "Stream in bands of rows whatever the image's size");
  g->add_option("--band-rows", o.band_rows, "Output rows per band when streaming")
      ->check(CLI::Range(std::int64_t(1), std::int64_t(1) << 40));
  g->add_flag("--progress", o.progress, "Progress bar on stderr even when it is not a terminal");
  g->add_flag("-q,--quiet", o.quiet, "No progress bar, no notes");
  g->add_flag("--auto-orient", o.auto_orient,
              "Apply the EXIF orientation on read (as Pillow's ImageOps.exif_transpose)");
}

int ImageJobs::run(const ImageIoOptions& o, const ImageJob& job) {
  const std::int64_t budget = o.memory.empty() ? default_budget() : parse_memory(o.memory);
  const int progress_mode = o.quiet ? 0 : o.progress ? 2 : 1;
  FileRun run_file(job, o, context_, budget, progress_mode);
  if (o.out_dir.empty()) {
    if (o.files.size() != 2)
      throw Error("FILES", "expected IN OUT, got " + std::to_string(o.files.size()) +
                               " file name(s); give several inputs with --out-dir DIR");
    std::string explanation;
    context_.start(&explanation);  // applies --threads
    const Outcome r = run_file(o.files[0], o.files[1], true);
    if (!r.note.empty()) std::cerr << r.note << "\n";
    context_.report(r.explanation, r.line, r.ms);
    return 0;
  }

  // A batch.
  const std::vector<std::string> inputs = expand(o.files);
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (!fs::is_directory(o.out_dir))
    throw Error("out-dir", "'" + o.out_dir + "' is not a directory and cannot be created");
  context_.start(nullptr);  // applies --threads
  const int threads = get_num_threads();
  const int workers = int(std::min<std::size_t>(inputs.size(), std::size_t(std::max(threads, 1))));
  if (workers > 1) set_num_threads(std::max(1, threads / workers));

  Progress bar(job.command + " " + std::to_string(inputs.size()) + " files", progress_mode);
  std::atomic<std::size_t> next{0}, done{0}, failed{0};
  std::mutex report_mutex;
  const auto start = Clock::now();
  auto work = [&] {
    for (std::size_t i; (i = next++) < inputs.size();) {
      const std::string& in = inputs[i];
      const std::string out = (fs::path(o.out_dir) / fs::path(in).filename()).string();
      try {
        if (fs::exists(out) && fs::equivalent(in, out, ec))
          throw Error("out-dir", "'" + out + "' is the input itself");
        const Outcome r = run_file(in, out, false);
        if (!r.note.empty()) bar.message(r.note);
        std::lock_guard<std::mutex> lock(report_mutex);
        context_.report(r.explanation, r.line, r.ms);
      } catch (const std::exception& e) {
        ++failed;
        bar.message("convkit: error: " + single_line(e.what()));
      }
      bar.update(double(++done) / double(inputs.size()));
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  bar.finish();
  if (workers > 1) set_num_threads(threads);

  std::ostringstream summary;
  summary.setf(std::ios::fixed);
  summary.precision(2);
  summary << job.command << ": " << inputs.size() << " file(s) in " << ms_since(start) / 1000.0
          << " s: " << inputs.size() - failed << " written to " << o.out_dir;
  if (failed) summary << ", " << failed << " failed";
  if (!o.quiet || failed) std::cout << summary.str() << std::endl;
  return failed ? 1 : 0;
}

}  // namespace convkit::cli
