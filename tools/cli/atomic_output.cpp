// Atomic outputs (see atomic_output.h). The signal handler may not allocate or lock, so the
// temporaries in progress live in fixed slots claimed with atomics.
#include "atomic_output.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "convkit/error.h"
#include "io/image.h"

namespace convkit::cli {

namespace {

namespace fs = std::filesystem;

constexpr int kSlots = 64;
struct Slot {
  std::atomic<bool> used{false};
  std::atomic<bool> live{false};  // path[] is complete
  char path[4096];
};
Slot g_slots[kSlots];

extern "C" void remove_temporaries_and_die(int sig) {
  for (Slot& s : g_slots)
    if (s.live.load()) ::unlink(s.path);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// Registers a temporary for the signal handler while it exists (none if the slots or the path
// length run out: then an interrupt may leave that one temporary behind).
class Registered {
 public:
  explicit Registered(const std::string& path) {
    static const bool installed = [] {
      std::signal(SIGINT, remove_temporaries_and_die);
      std::signal(SIGTERM, remove_temporaries_and_die);
      return true;
    }();
    (void)installed;
    if (path.size() >= sizeof(Slot::path)) return;
    for (Slot& s : g_slots) {
      bool expected = false;
      if (s.used.compare_exchange_strong(expected, true)) {
        std::memcpy(s.path, path.c_str(), path.size() + 1);
        s.live.store(true);
        slot_ = &s;
        return;
      }
    }
  }
  ~Registered() {
    if (!slot_) return;
    slot_->live.store(false);
    slot_->used.store(false);
  }
  Registered(const Registered&) = delete;
  Registered& operator=(const Registered&) = delete;

 private:
  Slot* slot_ = nullptr;
};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t i = 0; !from.empty() && (i = s.find(from, i)) != std::string::npos;
       i += to.size())
    s.replace(i, from.size(), to);
  return s;
}

}  // namespace

void write_via_temporary(const std::string& out,
                         const std::function<void(const std::string& temporary)>& write) {
  static std::atomic<unsigned> counter{0};
  const fs::path target(out);
  const fs::path temporary =
      target.parent_path() / ("." + target.stem().string() + ".tmp" + std::to_string(::getpid()) +
                              "-" + std::to_string(counter++) + target.extension().string());
  const std::string tmp = temporary.string();
  Registered registered(tmp);
  try {
    write(tmp);
    fs::rename(temporary, target);
  } catch (const IoError& e) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw IoError(replace_all(e.what(), tmp, out));
  } catch (...) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw;
  }
}

void check_output(const std::string& out, DType dtype, std::span<const std::int64_t> shape,
                  const char* advice) {
  if (fs::is_directory(out)) throw Error("output", "'" + out + "' is a directory");
  std::string problem = io::storage_problem(out, dtype, shape);
  if (problem.empty()) return;
  if (io::is_image_extension(out)) {
    problem += "; use .npy";
    if (dtype != DType::u8 && dtype != DType::u16) problem += advice;
  }
  throw Error("output", "'" + out + "': " + problem);
}

}  // namespace convkit::cli
