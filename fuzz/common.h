#pragma once
// Shared by the libFuzzer targets in fuzz/ (see fuzz/README.md).
//
// The convkit readers take a path, so each target writes its input to one scratch file per
// process (in $CONVKIT_FUZZ_TMPDIR, else /dev/shm, else $TMPDIR or /tmp), with the extension
// that picks the parser, calls the reader, and removes the file again.
//
// What counts as a clean failure: any std::exception (convkit::Error, convkit::IoError,
// std::bad_alloc, ...). Crashes, sanitizer reports, leaks, timeouts, other exceptions and the
// contract checks below (fuzz_check) are bugs.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "convkit/tensor.h"

namespace convkit_fuzz {

/// Tensor storage (aligned_alloc) larger than this fails with nullptr, i.e. std::bad_alloc,
/// as it would on a machine with less memory: a few bytes of header may legitimately ask for
/// a huge image (JPEG and PNG have no useful bound on their compression ratio), and without a
/// cap every such input would be reported as an out-of-memory "crash" by libFuzzer.
constexpr std::size_t kTensorLimitBytes = std::size_t(256) << 20;

/// The scratch directory (created on first use).
const std::string& scratch_dir();

/// Writes the bytes to this process's scratch file named "input<ext>" and returns its path.
std::string write_input(const std::uint8_t* data, std::size_t size, const std::string& ext);

/// Removes the scratch file written last.
void remove_input();

/// Aborts with a message when a documented contract does not hold (a bug libFuzzer reports).
[[noreturn]] void contract_failed(const char* what, const char* file, int line);
#define fuzz_check(cond) \
  ((cond) ? (void)0 : ::convkit_fuzz::contract_failed(#cond, __FILE__, __LINE__))

/// Reads every byte of the tensor (so ASan sees a buffer smaller than its shape says) and
/// checks what read_image promises: contiguous, ranks 1..4; images HxW or HxWxC with C from 1
/// to `max_channels` (4; TIFF returns every sample per pixel it holds).
void check_tensor(const convkit::Tensor& t, bool image, std::int64_t max_channels = 4);

/// Writes the input with extension `ext`, reads it with convkit::io::read_image and checks the
/// result; std::exception is a clean failure.
void read_image_as(const std::uint8_t* data, std::size_t size, const std::string& ext);

}  // namespace convkit_fuzz
