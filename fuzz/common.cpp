#include "common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/image.h"

// Tensor storage comes from aligned_alloc (src/util/tensor.cpp): refuse sizes over the cap.
// This strong definition takes the place of the sanitizer runtime's (weak) interceptor; the
// memory still comes from ASan's allocator through posix_memalign.
extern "C" void* aligned_alloc(std::size_t alignment, std::size_t size) {
  if (size > convkit_fuzz::kTensorLimitBytes) {
    errno = ENOMEM;
    return nullptr;
  }
  if (alignment < sizeof(void*)) alignment = sizeof(void*);
  void* p = nullptr;
  if (posix_memalign(&p, alignment, size) != 0) return nullptr;
  return p;
}

namespace convkit_fuzz {
namespace {

std::string g_last;

bool usable_dir(const char* dir) {
  struct stat st;
  return dir && *dir && ::stat(dir, &st) == 0 && S_ISDIR(st.st_mode) && ::access(dir, W_OK) == 0;
}

}  // namespace

const std::string& scratch_dir() {
  static const std::string dir = [] {
    const char* candidates[] = {std::getenv("CONVKIT_FUZZ_TMPDIR"), "/dev/shm",
                                std::getenv("TMPDIR"), "/tmp"};
    for (const char* c : candidates)
      if (usable_dir(c)) return std::string(c);
    return std::string(".");
  }();
  return dir;
}

std::string write_input(const std::uint8_t* data, std::size_t size, const std::string& ext) {
  // One file per process (libFuzzer's -jobs/-workers run several processes side by side).
  std::string path =
      scratch_dir() + "/convkit-fuzz-" + std::to_string(::getpid()) + "-input" + ext;
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::fprintf(stderr, "fuzz: cannot create %s: %s\n", path.c_str(), std::strerror(errno));
    std::abort();
  }
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) {
      std::fprintf(stderr, "fuzz: cannot write %s: %s\n", path.c_str(), std::strerror(errno));
      std::abort();
    }
    done += std::size_t(n);
  }
  ::close(fd);
  g_last = path;
  return path;
}

void remove_input() {
  if (!g_last.empty()) ::unlink(g_last.c_str());
  g_last.clear();
}

void contract_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz: contract violated at %s:%d: %s\n", file, line, what);
  std::abort();
}

void check_tensor(const convkit::Tensor& t, bool image, std::int64_t max_channels) {
  fuzz_check(t.rank() >= 1 && t.rank() <= convkit::kMaxRank);
  fuzz_check(t.geometry().is_contiguous());
  if (image) {
    fuzz_check(t.rank() == 2 || t.rank() == 3);
    if (t.rank() == 3) fuzz_check(t.dim(2) >= 1 && t.dim(2) <= max_channels);
  }
  std::int64_t n = 1;
  for (int i = 0; i < t.rank(); ++i) {
    fuzz_check(t.dim(i) >= 0);
    n *= t.dim(i);
  }
  fuzz_check(n == t.numel());
  // Touch every byte: a tensor whose buffer is smaller than its shape shows up under ASan.
  const auto* p = static_cast<const volatile unsigned char*>(t.data());
  const std::size_t bytes = std::size_t(n) * convkit::dtype_size(t.dtype());
  unsigned sum = 0;
  for (std::size_t i = 0; i < bytes; ++i) sum += p[i];
  (void)sum;
}

void read_image_as(const std::uint8_t* data, std::size_t size, const std::string& ext) {
  const std::string path = write_input(data, size, ext);
  try {
    convkit::io::ImageMeta meta;
    convkit::Tensor t = convkit::io::read_image(path, "input", &meta);
    check_tensor(t, ext != ".npy", ext == ".tif" ? 65535 : 4);
  } catch (const std::exception&) {
    // convkit::Error / IoError (or bad_alloc past the cap): a clean failure
  }
  remove_input();
}

}  // namespace convkit_fuzz
