#pragma once
// Internal to the TIFF codec (tiff.cpp, tiff_write.cpp): libtiff message capture and opening.

#include <tiffio.h>

#include <string>
#include <vector>

namespace convkit::io::tiff_detail {

/// libtiff's errors and warnings for one file. libtiff prints them to stderr by default and
/// reports failure separately (a -1 or 0 return); we keep the text so the failure becomes one
/// IoError line that says what libtiff found.
struct Messages {
  std::string path;
  std::vector<std::string> errors, warnings;

  /// "'path': <what>: <first libtiff error> (+N more)"; falls back to the warnings, which often
  /// explain an error-less failure (e.g. a truncated strip read as zeros elsewhere).
  std::string describe(const std::string& what) const;
  [[noreturn]] void fail(const std::string& what) const;  ///< throws IoError(describe(what))
};

/// Routes this thread's libtiff messages to `m` while alive (nests). Every libtiff call is
/// made under one, so messages never reach stderr and concurrent files never mix.
class CaptureScope {
 public:
  explicit CaptureScope(Messages& m);
  ~CaptureScope();
  CaptureScope(const CaptureScope&) = delete;
  CaptureScope& operator=(const CaptureScope&) = delete;

 private:
  Messages* previous_;
};

/// TIFFOpen with `m` as the handle's message sink (call under a CaptureScope for `m`);
/// nullptr on failure, with the reason in m.errors.
TIFF* open(const std::string& path, const char* mode, Messages& m);


}  // namespace convkit::io::tiff_detail
