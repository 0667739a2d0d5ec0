// A program written as a user would: only the installed headers and find_package(convkit).
#include <convkit/convkit.h>

#include <cstdio>

int main() {
  float img[4 * 5];
  for (int i = 0; i < 20; ++i) img[i] = float(i);
  const double box[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  convkit::ConstTensorView src(img, convkit::DType::f32, {4, 5});
  convkit::ConstTensorView k(box, convkit::DType::f64, {3, 3});
  convkit::Tensor out = convkit::signal::convolve2d(src, k, convkit::signal::Mode::valid);
  // valid 3x3 sums of a ramp: centre pixel * 9; first centre is img[1][1] = 6 -> 54.
  const double first = out.data_as<double>()[0];
  std::printf("convkit %s: %lldx%lld, first=%g\n", convkit::version(), (long long)out.dim(0),
              (long long)out.dim(1), first);
  return (out.dim(0) == 2 && out.dim(1) == 3 && first == 54.0) ? 0 : 1;
}
