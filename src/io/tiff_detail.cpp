// libtiff message capture and opening, shared by the TIFF reader (tiff.cpp) and writer
// (tiff_write.cpp).

#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <filesystem>
#include <mutex>

#include "convkit/error.h"
#include "io/files.h"
#include "io/tiff_detail.h"

namespace convkit::io {
namespace tiff_detail {
namespace {

thread_local Messages* t_sink = nullptr;

std::string format_message(const std::string& path, const char* module, const char* fmt,
                           va_list ap) {
  char text[512];
  std::vsnprintf(text, sizeof text, fmt, ap);
  std::string m = text;
  // libtiff names the module after the file for most directory errors; we prefix the path
  // ourselves, so only keep module names that add something (e.g. "LZWDecode").
  if (module && *module && path != module &&
      std::filesystem::path(path).filename().string() != module)
    m = std::string(module) + ": " + m;
  // Nor the path libtiff writes into many messages ("%s: Can not read TIFF directory").
  for (std::size_t at; !path.empty() && (at = m.find(path + ": ")) != std::string::npos;)
    m.erase(at, path.size() + 2);
  std::replace(m.begin(), m.end(), '\n', ' ');
  while (!m.empty() && (m.back() == '.' || m.back() == ' ')) m.pop_back();
  return m;
}

void record(Messages* m, bool error, const char* module, const char* fmt, va_list ap) {
  auto& list = error ? m->errors : m->warnings;
  if (list.size() < 16) list.push_back(format_message(m->path, module, fmt, ap));
}

// The process-wide handlers catch messages libtiff reports without a handle (and so without
// our per-handle sink). Outside a CaptureScope they defer to whatever was installed before,
// so other libtiff users in the process keep their behaviour.
TIFFErrorHandler g_previous_error = nullptr;
TIFFErrorHandler g_previous_warning = nullptr;

void on_global_error(const char* module, const char* fmt, va_list ap) {
  if (t_sink)
    record(t_sink, true, module, fmt, ap);
  else if (g_previous_error)
    g_previous_error(module, fmt, ap);
}

void on_global_warning(const char* module, const char* fmt, va_list ap) {
  if (t_sink)
    record(t_sink, false, module, fmt, ap);
  else if (g_previous_warning)
    g_previous_warning(module, fmt, ap);
}

void install_global_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_previous_error = TIFFSetErrorHandler(on_global_error);
    g_previous_warning = TIFFSetWarningHandler(on_global_warning);
  });
}

#if TIFFLIB_VERSION >= 20221213  // libtiff 4.5: per-handle handlers
int on_handle_error(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  record(static_cast<Messages*>(user), true, module, fmt, ap);
  return 1;  // handled: the global handlers are not called
}
int on_handle_warning(TIFF*, void* user, const char* module, const char* fmt, va_list ap) {
  record(static_cast<Messages*>(user), false, module, fmt, ap);
  return 1;
}
#endif

}  // namespace

std::string Messages::describe(const std::string& what) const {
  std::string s = in_quotes(path) + ": " + what;
  const auto& list = errors.empty() ? warnings : errors;
  if (!list.empty()) {
    s += ": " + list.front();
    if (list.size() > 1) s += " (+" + std::to_string(list.size() - 1) + " more)";
  }
  return s;
}

void Messages::fail(const std::string& what) const { throw IoError(describe(what)); }

CaptureScope::CaptureScope(Messages& m) : previous_(t_sink) {
  install_global_handlers();
  t_sink = &m;
}

CaptureScope::~CaptureScope() { t_sink = previous_; }

TIFF* open(const std::string& path, const char* mode, Messages& m) {
#if TIFFLIB_VERSION >= 20221213
  TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
  if (!options) return nullptr;
  TIFFOpenOptionsSetErrorHandlerExtR(options, on_handle_error, &m);
  TIFFOpenOptionsSetWarningHandlerExtR(options, on_handle_warning, &m);
  TIFF* tif = TIFFOpenExt(path.c_str(), mode, options);
  TIFFOpenOptionsFree(options);
  return tif;
#else
  return TIFFOpen(path.c_str(), mode);
#endif
}

}  // namespace tiff_detail

}  // namespace convkit::io
