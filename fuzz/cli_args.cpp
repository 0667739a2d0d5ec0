// libFuzzer target: the convkit command line (tools/cli/main.cpp, CLI11), built into this
// target with -Dmain=convkit_cli_main (see fuzz/README.md).
//
// The input is split on NUL or newline into argv[1..]. Each run happens in a private scratch
// folder holding four tiny inputs (a.npy 3x4 f64, g.pgm 8x8, c.ppm 3x3 RGB, k.txt "1 2 1"), so
// that commands can get past reading their files and reach their option checks, the filters
// and the writers; anything a run writes is removed before the next. Arguments that contain
// '/' are skipped (return early), so nothing outside that folder is read or written. The
// process returns to its own folder between runs, so libFuzzer's relative paths work; crash
// inputs go to -artifact_prefix, by default the folder the fuzzer started in.
//
// Checked beyond crashes and sanitizer reports (main.cpp's header promises these):
//   * the exit status is 0, 1 or 2;
//   * a failure prints exactly one line, "convkit: error: ...", on stderr (after any
//     "convkit: note: ..." lines);
//   * a failure leaves no new file and no changed input, and no run leaves its hidden
//     temporary (".NAME.tmpPID.EXT") behind.
//
//
// main() is called again and again in one process. State it keeps between calls: the thread
// count of --threads (convkit::set_num_threads; reset to 1 here before each call), the
// SIGINT/SIGTERM handlers it installs (which replace libFuzzer's), and convkit's plan cache.
// Set CONVKIT_FUZZ_VERBOSE=1 to see the command's stdout/stderr (when reproducing a crash).
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/Version.hpp>

#include "common.h"
#include "convkit/convkit.h"

int convkit_cli_main(int argc, char** argv);

namespace {

namespace fs = std::filesystem;

std::map<std::string, std::string> g_fixtures;
fs::path g_dir;   // the scratch folder each run happens in
int g_home = -1;  // the folder the fuzzer started in (libFuzzer's relative paths)
bool g_verbose = false;

class NullBuffer : public std::streambuf {
 protected:
  int overflow(int c) override { return c == EOF ? 0 : c; }
  std::streamsize xsputn(const char*, std::streamsize n) override { return n; }
};
NullBuffer g_null;

std::string npy_f64(std::int64_t rows, std::int64_t cols) {
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  const std::size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(char(header.size() & 0xff));
  out.push_back(char(header.size() >> 8));
  out += header;
  for (std::int64_t i = 0; i < rows * cols; ++i) {
    double v = double(i % 7) - 2.5;
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  return out;
}

std::string pnm(const char* magic, int w, int h, int channels) {
  std::string out = std::string(magic) + "\n" + std::to_string(w) + " " + std::to_string(h) +
                    "\n255\n";
  for (int i = 0; i < w * h * channels; ++i) out.push_back(char((i * 37) & 0xff));
  return out;
}

void write_fixtures() {
  for (const auto& [name, bytes] : g_fixtures) {
    std::ofstream f(g_dir / name, std::ios::binary | std::ios::trunc);
    f.write(bytes.data(), std::streamsize(bytes.size()));
  }
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream s;
  s << f.rdbuf();
  return s.str();
}

void remove_scratch() {
  std::error_code ec;
  if (!g_dir.empty()) fs::remove_all(g_dir, ec);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  g_verbose = std::getenv("CONVKIT_FUZZ_VERBOSE") != nullptr;
  std::string templ = convkit_fuzz::scratch_dir() + "/convkit-fuzz-cli-XXXXXX";
  if (!::mkdtemp(templ.data())) {
    std::perror("fuzz: mkdtemp");
    std::abort();
  }
  g_dir = fs::absolute(templ);
  std::atexit(remove_scratch);
  g_home = ::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (g_home < 0) {
    std::perror("fuzz: open .");
    std::abort();
  }
  g_fixtures = {{"a.npy", npy_f64(3, 4)},
                {"g.pgm", pnm("P5", 8, 8, 1)},
                {"c.ppm", pnm("P6", 3, 3, 3)},
                {"k.txt", "1 2 1\n"}};
  write_fixtures();
  if (!g_verbose) std::cout.rdbuf(&g_null);

  // Runs happen inside the scratch folder, where a crash input written to libFuzzer's default
  // "./" would be lost: unless told otherwise, it goes to the folder the fuzzer started in.
  static std::vector<char*> args(*argv, *argv + *argc);
  static std::string prefix = "-artifact_prefix=" + fs::current_path().string() + "/";
  bool has_prefix = false;
  for (char* a : args) has_prefix = has_prefix || std::strncmp(a, "-artifact_prefix=", 17) == 0;
  if (!has_prefix) {
    args.insert(args.begin() + 1, prefix.data());
    args.push_back(nullptr);
    *argc += 1;
    *argv = args.data();
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"convkit"};
  std::string current;
  for (std::size_t i = 0; i < size; ++i) {
    const char c = char(data[i]);
    if (c == '\0' || c == '\n') {
      args.push_back(current);
      current.clear();
    } else {
      current.push_back(c);
    }
  }
  if (!current.empty()) args.push_back(current);
  if (args.size() > 64) return 0;
  for (std::size_t i = 1; i < args.size(); ++i)
    if (args[i].find('/') != std::string::npos) return -1;  // -1: kept out of the corpus

  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  if (::chdir(g_dir.c_str()) != 0) {
    std::perror("fuzz: chdir");
    std::abort();
  }
  convkit::set_num_threads(1);
  std::ostringstream err;
  std::streambuf* old_err = std::cerr.rdbuf(err.rdbuf());
  const int status = convkit_cli_main(int(args.size()), argv.data());
  std::cerr.rdbuf(old_err);
  if (g_verbose) std::cerr << err.str() << "[exit status " << status << "]\n";

  fuzz_check(status == 0 || status == 1 || status == 2);
  if (status != 0) {
    // One "convkit: error:" line, the last; before it only "convkit: note:" lines (--stream
    // notes why a file is filtered in memory instead). A progress line ("\r...", cleared with
    // "\r\033[K") counts as what a terminal shows: the text after its last '\r'.
    std::istringstream lines(err.str());
    std::vector<std::string> text;
    for (std::string line; std::getline(lines, line);) {
      if (auto cr = line.rfind('\r'); cr != std::string::npos) line.erase(0, cr + 1);
      if (line.rfind("\033[K", 0) == 0) line.erase(0, 3);
      if (!line.empty()) text.push_back(line);
    }
    fuzz_check(!text.empty() && text.back().rfind("convkit: error: ", 0) == 0);
    for (std::size_t i = 0; i + 1 < text.size(); ++i)
      fuzz_check(text[i].rfind("convkit: note: ", 0) == 0);
    fuzz_check(err.str().back() == '\n');
  }
  const std::string tmp_marker = ".tmp" + std::to_string(::getpid());
  std::vector<fs::path> extra;
  for (const auto& entry : fs::directory_iterator(g_dir)) {
    const std::string name = entry.path().filename().string();
    auto fixture = g_fixtures.find(name);
    if (fixture == g_fixtures.end()) {
      fuzz_check(status == 0);                             // a failure writes nothing
      fuzz_check(name.find(tmp_marker) == std::string::npos);  // no temporary left behind
      extra.push_back(entry.path());
    } else if (status != 0) {
      fuzz_check(slurp(entry.path()) == fixture->second);  // nor changes an existing file
    }
  }
  std::error_code ec;
  for (const auto& p : extra) fs::remove_all(p, ec);
  write_fixtures();
  if (::fchdir(g_home) != 0) {
    std::perror("fuzz: fchdir");
    std::abort();
  }
  return 0;
}
