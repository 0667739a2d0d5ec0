// libFuzzer target: hand-written kernels. The input goes to parse_kernel_string as a
// command-line string ("1 2 1; 2 4 2"), and to read_kernel_file as a .txt file (text rows, '#'
// comments); inputs that start like an .npy or a Netpbm file are also read as one through
// read_kernel_file, which checks the kernel's rank (see fuzz/README.md).
#include <cstring>
#include <string>

#include "common.h"
#include "io/kernel_text.h"

namespace {

void check_kernel(const convkit::Tensor& k) {
  convkit_fuzz::check_tensor(k, false);
  fuzz_check(k.rank() == 2);
}

void read_file_as(const std::uint8_t* data, std::size_t size, const char* ext) {
  const std::string path = convkit_fuzz::write_input(data, size, ext);
  try {
    check_kernel(convkit::io::read_kernel_file(path));
  } catch (const std::exception&) {
  }
  convkit_fuzz::remove_input();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    convkit::Tensor k = convkit::io::parse_kernel_string(text);
    check_kernel(k);
    fuzz_check(k.dtype() == convkit::DType::f64);
  } catch (const std::exception&) {
  }
  double v = 0;
  (void)convkit::io::parse_double(text, &v);

  read_file_as(data, size, ".txt");
  if (size >= 6 && std::memcmp(data, "\x93NUMPY", 6) == 0) read_file_as(data, size, ".npy");
  if (size >= 2 && data[0] == 'P' && data[1] >= '1' && data[1] <= '7')
    read_file_as(data, size, ".pgm");
  return 0;
}
