// libFuzzer target: convkit::io::read_image on a .png file (see fuzz/README.md).
#include "common.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  convkit_fuzz::read_image_as(data, size, ".png");
  return 0;
}
