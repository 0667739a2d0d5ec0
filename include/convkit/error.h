#pragma once
/// \file error.h
/// The one exception type convkit throws for bad input.

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace convkit {

/// Thrown for invalid arguments; names the offending parameter and value.
///
///   try { convkit::filter2d(img, -1, k, {.anchor = {9, 9}}); }
///   catch (const convkit::Error& e) { std::cerr << e.what(); }   // "anchor: (9, 9) is outside ..."
class Error : public std::invalid_argument {
 public:
  Error(std::string parameter, const std::string& message)
      : std::invalid_argument(parameter.empty() ? message : parameter + ": " + message),
        parameter_(std::move(parameter)) {}
  /// The parameter at fault ("" when the error is not about one parameter).
  const std::string& parameter() const noexcept { return parameter_; }

 private:
  std::string parameter_;
};

/// Thrown when a file or the system fails (unreadable file, unwritable output).
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Args>
[[noreturn]] void fail(std::string parameter, const Args&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw Error(std::move(parameter), os.str());
}
}  // namespace detail

}  // namespace convkit
