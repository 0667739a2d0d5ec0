#include "progress.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace convkit::cli {

namespace {
using Clock = std::chrono::steady_clock;
// Work shorter than this shows no bar (CONVKIT_PROGRESS_DELAY overrides it, for tests).
double quiet_seconds() {
  static const double s = [] {
    const char* e = std::getenv("CONVKIT_PROGRESS_DELAY");
    return e ? std::atof(e) : 1.0;
  }();
  return s;
}
constexpr double kRedrawSeconds = 0.1;
constexpr int kBarWidth = 24;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
}  // namespace

Progress::Progress(std::string label, int mode)
    : label_(std::move(label)),
      enabled_(mode == 2 || (mode == 1 && ::isatty(STDERR_FILENO))),
      start_(Clock::now()),
      last_(start_) {}

Progress::~Progress() { finish(); }

void Progress::update(double fraction) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = Clock::now();
  if (seconds(now - start_) < quiet_seconds() || (drawn_ && fraction < 1 && seconds(now - last_) < kRedrawSeconds))
    return;
  last_ = now;
  draw_locked(fraction);
}

void Progress::draw_locked(double fraction) {
  fraction = std::fmin(std::fmax(fraction, 0.0), 1.0);
  const double elapsed = seconds(Clock::now() - start_);
  const int filled = int(fraction * kBarWidth + 0.5);
  std::string bar(std::size_t(filled), '#');
  bar.append(std::size_t(kBarWidth - filled), '.');
  char tail[96];
  if (fraction > 0.01)
    std::snprintf(tail, sizeof tail, " %3d%%  %.1f s, about %.1f s left", int(fraction * 100),
                  elapsed, elapsed * (1 - fraction) / fraction);
  else
    std::snprintf(tail, sizeof tail, " %3d%%  %.1f s", int(fraction * 100), elapsed);
  std::fprintf(stderr, "\r\033[K%s [%s]%s", label_.c_str(), bar.c_str(), tail);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::clear_locked() {
  if (!drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

void Progress::message(const std::string& line) {
  std::lock_guard<std::mutex> lock(mutex_);
  clear_locked();
  std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

void Progress::finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  clear_locked();
}

}  // namespace convkit::cli
