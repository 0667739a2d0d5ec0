// libFuzzer target: the EXIF orientation of a JPEG / PNG / WebP / TIFF file's bytes
// (io/orientation.h): never a crash, always 1..8, whatever the metadata says.
#include <cstdlib>
#include <string_view>

#include "common.h"
#include "io/orientation.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int o = convkit::io::exif_orientation_of_bytes(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (o < 1 || o > 8) std::abort();
  return 0;
}
