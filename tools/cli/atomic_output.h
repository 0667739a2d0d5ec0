#pragma once
// Output files written whole or not at all: the data goes to a hidden temporary beside OUT,
// renamed over OUT only when complete. A failure, or Ctrl-C / SIGTERM, removes the temporary,
// so readers of OUT never see a partial file. Several outputs may be in progress at once (a
// batch writes files in parallel).

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "convkit/dtype.h"

namespace convkit::cli {

/// Calls write(temporary), where the temporary keeps OUT's extension (writers pick the format
/// from it), then renames it to `out`. IoError messages name `out`, not the temporary.
void write_via_temporary(const std::string& out,
                         const std::function<void(const std::string& temporary)>& write);

/// Fails (convkit::Error "output") before any computing when OUT is a directory or its format
/// cannot hold an array of this dtype and shape; `advice` is appended for image formats when
/// the dtype is not u8/u16 (e.g. " or --depth u8").
void check_output(const std::string& out, DType dtype, std::span<const std::int64_t> shape,
                  const char* advice);

}  // namespace convkit::cli
