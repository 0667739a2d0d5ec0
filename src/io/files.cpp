#include "io/files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "convkit/error.h"

namespace convkit::io {

std::string in_quotes(const std::string& path) { return "'" + path + "'"; }

void io_fail(const std::string& path, const std::string& what) {
  throw IoError(in_quotes(path) + ": " + what);
}

std::string read_file(const std::string& path) {
  struct Close {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, Close> f(std::fopen(path.c_str(), "rb"));
  if (!f) io_fail(path, std::string("cannot open: ") + std::strerror(errno));
  std::string bytes;
  char buffer[1 << 16];
  std::size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, f.get())) > 0) bytes.append(buffer, n);
  if (std::ferror(f.get())) io_fail(path, std::string("read failed: ") + std::strerror(errno));
  return bytes;
}

}  // namespace convkit::io
