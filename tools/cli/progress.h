#pragma once
// A progress bar with ETA on stderr, for work that takes more than about a second:
//
//   gaussian big.tif [##########..........]  50%  2.1 s, about 2.1 s left
//
// Drawn only when stderr is a terminal (or when forced), at most ten times a second, from any
// thread; nothing at all for work that ends within the first second.

#include <chrono>
#include <mutex>
#include <string>

namespace convkit::cli {

class Progress {
 public:
  /// `mode`: 0 off, 1 on a terminal (the default), 2 always (--progress).
  Progress(std::string label, int mode);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  /// Work done so far, 0..1.
  void update(double fraction);
  /// Prints `line` on its own line (an error in a batch) without tearing the bar.
  void message(const std::string& line);
  /// Clears the bar.
  void finish();

 private:
  void draw_locked(double fraction);
  void clear_locked();

  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
  std::mutex mutex_;
};

}  // namespace convkit::cli
