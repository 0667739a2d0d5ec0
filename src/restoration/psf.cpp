// PSF builders for the CLI's --psf and the C++ API: the same samples as convkit.restoration's
// psf_gaussian / psf_disk / psf_motion (python/convkit/_restoration_psf.py, fspecial's grids).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "convkit/error.h"
#include "convkit/restoration.h"

namespace convkit::restoration {

namespace {

double positive(double v, const char* name) {
  if (!(std::isfinite(v) && v > 0)) detail::fail(name, "must be a finite number > 0, got ", v);
  return v;
}

// Offset of pixel i's centre from the centre of a k-pixel axis.
double centred(std::int64_t i, std::int64_t k) { return double(i) - double(k - 1) / 2; }

Tensor normalised(std::int64_t rows, std::int64_t cols, const std::vector<double>& w) {
  double total = 0;
  for (double v : w) total += v;
  if (!(total > 0)) detail::fail("psf", "has no weight inside its shape");
  Tensor t(DType::f64, {rows, cols});
  double* p = t.data_as<double>();
  for (std::size_t i = 0; i < w.size(); ++i) p[i] = w[i] / total;
  return t;
}

// Signed area of the disk of radius r about 0 within [0, x] x [0, y].
double quadrant_area(double x, double y, double r) {
  const double sx = x < 0 ? -1 : x > 0 ? 1 : 0, sy = y < 0 ? -1 : y > 0 ? 1 : 0;
  x = std::min(std::abs(x), r);
  y = std::min(std::abs(y), r);
  auto s_int = [r](double u) {  // integral_0^u sqrt(r^2 - t^2) dt
    return 0.5 * (u * std::sqrt(std::max(r * r - u * u, 0.0)) +
                  r * r * std::asin(std::clamp(u / r, -1.0, 1.0)));
  };
  const double a = std::sqrt(std::max(r * r - y * y, 0.0));
  const double part = x * x + y * y <= r * r ? x * y : a * y + s_int(x) - s_int(std::min(a, x));
  return sx * sy * part;
}

}  // namespace

Tensor psf_gaussian(double sigma_y, double sigma_x) {
  positive(sigma_y, "sigma");
  positive(sigma_x, "sigma");
  const std::int64_t R = 2 * std::int64_t(std::ceil(3 * sigma_y)) + 1;
  const std::int64_t S = 2 * std::int64_t(std::ceil(3 * sigma_x)) + 1;
  std::vector<double> w(std::size_t(R * S));
  for (std::int64_t i = 0; i < R; ++i)
    for (std::int64_t j = 0; j < S; ++j) {
      const double y = centred(i, R) / sigma_y, x = centred(j, S) / sigma_x;
      w[std::size_t(i * S + j)] = std::exp(-0.5 * y * y) * std::exp(-0.5 * x * x);
    }
  return normalised(R, S, w);
}

Tensor psf_disk(double radius) {
  const double r = positive(radius, "radius");
  const std::int64_t n = 2 * std::int64_t(std::ceil(r)) + 1;
  std::vector<double> w(std::size_t(n * n));
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      const double y0 = centred(i, n) - 0.5, y1 = y0 + 1, x0 = centred(j, n) - 0.5, x1 = x0 + 1;
      double area = quadrant_area(x1, y1, r) - quadrant_area(x1, y0, r) -
                    quadrant_area(x0, y1, r) + quadrant_area(x0, y0, r);
      const double dy = std::max(std::abs(centred(i, n)) - 0.5, 0.0);
      const double dx = std::max(std::abs(centred(j, n)) - 0.5, 0.0);
      if (dx * dx + dy * dy >= r * r || area < 0) area = 0;
      w[std::size_t(i * n + j)] = area;
    }
  return normalised(n, n, w);
}

Tensor psf_motion(double length, double angle) {
  positive(length, "length");
  if (!std::isfinite(angle)) detail::fail("angle", "must be finite, got ", angle);
  const double half = std::max(length - 1.0, 0.0) / 2;
  const double theta = std::fmod(std::fmod(angle, 180.0) + 180.0, 180.0) * M_PI / 180.0;
  double ux = std::cos(theta), uy = std::sin(theta);
  if (std::abs(ux) < 1e-12) ux = 0;  // axis-aligned lines leak no round-off weight
  if (std::abs(uy) < 1e-12) uy = 0;
  const std::int64_t ey = std::int64_t(std::ceil(half * std::abs(uy))) + 1;
  const std::int64_t ex = std::int64_t(std::ceil(half * std::abs(ux))) + 1;
  const std::int64_t ny = 2 * ey + 1, nx = 2 * ex + 1;
  std::vector<double> w(std::size_t(ny * nx));
  std::int64_t ry = 0, rx = 0;
  for (std::int64_t i = 0; i < ny; ++i)
    for (std::int64_t j = 0; j < nx; ++j) {
      const double x = centred(j, nx), y = -centred(i, ny);  // up is +y
      const double t = std::clamp(x * ux + y * uy, -half, half);
      double v = 1.0 - std::hypot(x - t * ux, y - t * uy);
      if (v < 1e-12) v = 0;
      w[std::size_t(i * nx + j)] = v;
      if (v != 0) ry = std::max(ry, std::abs(i - ey)), rx = std::max(rx, std::abs(j - ex));
    }
  // The smallest box, symmetric about the centre, that holds every weight.
  const std::int64_t R = 2 * ry + 1, S = 2 * rx + 1;
  std::vector<double> crop(std::size_t(R * S));
  for (std::int64_t i = 0; i < R; ++i)
    for (std::int64_t j = 0; j < S; ++j)
      crop[std::size_t(i * S + j)] = w[std::size_t((i + ey - ry) * nx + j + ex - rx)];
  return normalised(R, S, crop);
}

Tensor psf_from_spec(const std::string& spec) {
  const auto colon = spec.find(':');
  const std::string kind = spec.substr(0, colon);
  std::vector<double> args;
  if (colon != std::string::npos) {
    std::string_view rest(spec);
    rest.remove_prefix(colon + 1);
    while (true) {
      const auto comma = rest.find(',');
      const std::string_view part = rest.substr(0, comma);
      double v = 0;
      auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
      if (part.empty() || ec != std::errc() || end != part.data() + part.size())
        detail::fail("psf", "'", spec, "': '", std::string(part), "' is not a number");
      args.push_back(v);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  auto want = [&](std::size_t lo, std::size_t hi, const char* form) {
    if (args.size() < lo || args.size() > hi)
      detail::fail("psf", "'", spec, "': expected ", form);
  };
  if (kind == "gaussian") {
    want(1, 2, "gaussian:SIGMA or gaussian:SIGMA_Y,SIGMA_X");
    return psf_gaussian(args[0], args.size() > 1 ? args[1] : args[0]);
  }
  if (kind == "disk") {
    want(1, 1, "disk:RADIUS");
    return psf_disk(args[0]);
  }
  if (kind == "motion") {
    want(1, 2, "motion:LENGTH,ANGLE");
    return psf_motion(args[0], args.size() > 1 ? args[1] : 0.0);
  }
  detail::fail("psf", "unknown PSF '", spec,
               "' (expected gaussian:SIGMA, disk:RADIUS, motion:LENGTH,ANGLE or a file)");
}

}  // namespace convkit::restoration
