#pragma once
// Small file helpers every reader shares: how a path is quoted in messages, the IoError that
// names it, and reading a whole file.

#include <string>

namespace convkit::io {

/// "'path'", as every message quotes a file.
std::string in_quotes(const std::string& path);
/// Throws IoError("'path': what").
[[noreturn]] void io_fail(const std::string& path, const std::string& what);
/// The whole file's bytes; IoError naming the path when it cannot be opened or read.
std::string read_file(const std::string& path);

}  // namespace convkit::io
