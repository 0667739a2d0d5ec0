#include <cstring>
#include <vector>

#include "convkit/error.h"
#include "convkit/filters.h"

namespace convkit {

namespace {
struct Preset {
  const char* name;
  int rows, cols;
  double divisor;
  std::vector<double> taps;
};

const std::vector<Preset>& presets() {
  static const std::vector<Preset> kPresets = {
      {"box3", 3, 3, 9, std::vector<double>(9, 1.0)},
      {"box5", 5, 5, 25, std::vector<double>(25, 1.0)},
      {"gaussian3", 3, 3, 16, {1, 2, 1, 2, 4, 2, 1, 2, 1}},
      {"gaussian5", 5, 5, 256, {1, 4,  6,  4,  1, 4, 16, 24, 16, 4, 6, 24, 36,
                                24, 6, 4, 16, 24, 16, 4, 1, 4,  6,  4, 1}},
      {"sharpen", 3, 3, 1, {0, -1, 0, -1, 5, -1, 0, -1, 0}},
      {"emboss", 3, 3, 1, {-2, -1, 0, -1, 1, 1, 0, 1, 2}},
      {"laplacian", 3, 3, 1, {0, 1, 0, 1, -4, 1, 0, 1, 0}},
      {"sobel-x", 3, 3, 1, {-1, 0, 1, -2, 0, 2, -1, 0, 1}},
      {"sobel-y", 3, 3, 1, {-1, -2, -1, 0, 0, 0, 1, 2, 1}},
      {"scharr-x", 3, 3, 1, {-3, 0, 3, -10, 0, 10, -3, 0, 3}},
      {"scharr-y", 3, 3, 1, {-3, -10, -3, 0, 0, 0, 3, 10, 3}},
      {"prewitt-x", 3, 3, 1, {-1, 0, 1, -1, 0, 1, -1, 0, 1}},
      {"prewitt-y", 3, 3, 1, {-1, -1, -1, 0, 0, 0, 1, 1, 1}},
      {"outline", 3, 3, 1, {-1, -1, -1, -1, 8, -1, -1, -1, -1}},
  };
  return kPresets;
}
}  // namespace

Tensor preset_kernel(const std::string& name) {
  for (const Preset& p : presets()) {
    if (name != p.name) continue;
    Tensor k(DType::f64, {p.rows, p.cols});
    double* d = k.data_as<double>();
    for (std::size_t i = 0; i < p.taps.size(); ++i) d[i] = p.taps[i] / p.divisor;
    return k;
  }
  detail::fail("preset", "unknown preset '", name, "' (available: ", preset_names(), ")");
}

std::string preset_names() {
  std::string s;
  for (const Preset& p : presets()) s += (s.empty() ? "" : ", ") + std::string(p.name);
  return s;
}

}  // namespace convkit
