// The comparison benchmark of issue 3: convkit against the distribution's OpenCV 4.6 on the
// cases of bench/compare/run.sh (dense kernels, Gaussian, box, large kernels, full-mode signal
// convolution, a rank-1 kernel given dense).
//
//   bench_compare [--repeats N (default 9)] [--threads N (default 2)] [--only SUBSTRING]
//
// Prints one JSON line per case (merge.py turns them, with bench_peak's and peers.py's output,
// into one table):
//
//   {"case": id, "label": ..., "convkit_ms": median, "algorithm": "direct", "plan": "<the line
//    after 'plan: ' in Plan::explain()>", "plan_ms": ..., "opencv": {"fn": ..., "ms": ...},
//    "opencv_extra": [{"fn": ..., "ms": ...}], "check": {...}, "flops": ..., "bytes": ...}
//
// convkit is timed as Plan::execute on a Plan built once per case, exactly as the front end
// (filter2d, sep_filter2d, signal::convolve2d) builds it; the construction is timed once, the
// first time, and reported as plan_ms. Every case is checked against OpenCV's output after the
// warm-up and before timing; a mismatch is printed in the JSON line and makes the exit status 1,
// it is never dropped.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>

#include "bench_util.h"
#include "convkit/convkit.h"

// The OpenCV-style filters (gaussian_blur, blur) are timed as the plans they build, after a
// check that the function itself gives exactly OpenCV's output.
#include "convkit/image_filters.h"

namespace {

using bench::json_escape;
using bench::median;
using bench::num;

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

convkit::DType dtype_of_mat(const cv::Mat& m) {
  switch (m.depth()) {
    case CV_8U: return convkit::DType::u8;
    case CV_32F: return convkit::DType::f32;
    case CV_64F: return convkit::DType::f64;
    default: std::fprintf(stderr, "unexpected cv::Mat depth\n"); std::exit(2);
  }
}

// A continuous cv::Mat (H x W x C, interleaved) as convkit's 1 x C x H x W, by strides alone:
// what filter2d's image_as_nchw makes of an HWC view.
convkit::TensorView nchw(cv::Mat& m) {
  const std::int64_t c = m.channels(), h = m.rows, w = m.cols;
  const std::int64_t row = std::int64_t(m.step1());
  return convkit::TensorView(m.data, dtype_of_mat(m), std::array<std::int64_t, 4>{1, c, h, w},
                             std::array<std::int64_t, 4>{0, 1, row, c});
}

// The ConvProblem filter2d / sep_filter2d build for an HxWxC image and an R x S kernel with the
// centre anchor and ddepth -1.
convkit::ConvProblem image_problem(const cv::Mat& src, int r, int s, convkit::DType filter_dtype,
                                   convkit::Border border, convkit::Rounding rounding) {
  convkit::ConvProblem p;
  p.c = p.k = p.groups = src.channels();
  p.h = src.rows;
  p.w = src.cols;
  p.r = r;
  p.s = s;
  p.src_dtype = p.dst_dtype = dtype_of_mat(src);
  p.filter_dtype = filter_dtype;
  p.pad_top = r / 2, p.pad_bottom = r - 1 - r / 2, p.pad_left = s / 2, p.pad_right = s - 1 - s / 2;
  p.border = border;
  p.rounding = rounding;
  return p;
}

// A 2-D kernel Mat (f32 or f64, continuous) as K x 1 x R x S with stride 0 over K.
convkit::ConstTensorView kcrs(const cv::Mat& k, std::int64_t channels) {
  return convkit::ConstTensorView(k.data, dtype_of_mat(k),
                                  std::array<std::int64_t, 4>{channels, 1, k.rows, k.cols},
                                  std::array<std::int64_t, 4>{0, 0, k.cols, 1});
}

convkit::ConstTensorView vec1d(const cv::Mat& v) {
  return convkit::ConstTensorView(v.data, dtype_of_mat(v), {std::int64_t(v.total())});
}

// "direct: f32 accumulation, AVX3, up to 2 threads" -> "f32 accumulation": the detail of the line
// after "plan: " in explain(), without the algorithm name, the ISA or the thread count.
std::string plan_line(const convkit::Plan& plan) {
  const std::string ex = plan.explain();
  const std::size_t at = ex.rfind("plan: ");
  std::string line = at == std::string::npos ? ex : ex.substr(at + 6);
  line = line.substr(0, line.find('\n'));
  return line;
}

struct Check {
  std::string against;
  double max_abs_diff = 0, max_abs_ref = 0;
  std::int64_t mismatches = 0, total = 0;
  bool exact_required = false;
  double tolerance = 0;  // floats: on max_abs_diff / max_abs_ref; integers: on max_abs_diff
  bool ok = false;
  std::string note;
};

// Compares convkit's output with OpenCV's element by element (any depth, any channels).
Check compare(const cv::Mat& ck, const cv::Mat& ref, const std::string& against, bool exact_required,
              double tolerance) {
  Check c;
  c.against = against;
  c.exact_required = exact_required;
  c.tolerance = exact_required ? 0 : tolerance;
  cv::Mat a, b;
  ck.convertTo(a, CV_64F);
  ref.convertTo(b, CV_64F);
  a = a.reshape(1, 1);
  b = b.reshape(1, 1);
  const double* pa = a.ptr<double>();
  const double* pb = b.ptr<double>();
  c.total = std::int64_t(a.total());
  for (std::int64_t i = 0; i < c.total; ++i) {
    const double d = std::fabs(pa[i] - pb[i]);
    if (!(d == 0)) ++c.mismatches;
    c.max_abs_diff = std::isnan(d) ? INFINITY : std::max(c.max_abs_diff, d);
    c.max_abs_ref = std::max(c.max_abs_ref, std::fabs(pb[i]));
  }
  if (ck.depth() == CV_32F || ck.depth() == CV_64F) {
    const double rel = c.max_abs_ref > 0 ? c.max_abs_diff / c.max_abs_ref : c.max_abs_diff;
    c.ok = exact_required ? c.mismatches == 0 : rel <= tolerance;
  } else {
    c.ok = exact_required ? c.mismatches == 0 : c.max_abs_diff <= tolerance;
  }
  return c;
}

std::string check_json(const Check& c) {
  std::ostringstream o;
  o << "{\"against\": \"" << json_escape(c.against) << "\", \"max_abs_diff\": " << num(c.max_abs_diff)
    << ", \"max_abs_ref\": " << num(c.max_abs_ref) << ", \"mismatches\": " << c.mismatches
    << ", \"total\": " << c.total << ", \"exact_required\": " << (c.exact_required ? "true" : "false")
    << ", \"tolerance\": " << num(c.tolerance) << ", \"ok\": " << (c.ok ? "true" : "false");
  if (!c.note.empty()) o << ", \"note\": \"" << json_escape(c.note) << "\"";
  o << "}";
  return o.str();
}

struct Peer {
  std::string fn;
  std::function<void()> run;
  double ms = 0;
};

struct Result {
  std::string id, label, convkit_api;
  double convkit_ms = 0, plan_ms = 0;
  std::string algorithm, plan;
  std::vector<Peer> opencv;  // [0] = the OpenCV column, the rest = extra columns
  Check check;
  double flops = 0, bytes = 0;  // per call: 2 x taps x outputs (dense); bytes read + written
};

int g_repeats = 9;

// Warm-up (one call of each, already done by the caller before the check), then `g_repeats`
// rounds, each calling convkit and every OpenCV function once, interleaved so that noise from
// other processes hits them all alike.
void time_case(Result& r, const std::function<void()>& convkit_run) {
  std::vector<double> t_ck;
  std::vector<std::vector<double>> t_cv(r.opencv.size());
  for (int i = 0; i < g_repeats; ++i) {
    auto t0 = Clock::now();
    convkit_run();
    t_ck.push_back(ms_since(t0));
    for (std::size_t j = 0; j < r.opencv.size(); ++j) {
      t0 = Clock::now();
      r.opencv[j].run();
      t_cv[j].push_back(ms_since(t0));
    }
  }
  r.convkit_ms = median(t_ck);
  for (std::size_t j = 0; j < r.opencv.size(); ++j) r.opencv[j].ms = median(t_cv[j]);
}

bool g_all_ok = true;

void print(const Result& r) {
  std::ostringstream o;
  o << "{\"case\": \"" << r.id << "\", \"label\": \"" << json_escape(r.label)
    << "\", \"convkit_api\": \"" << json_escape(r.convkit_api)
    << "\", \"convkit_ms\": " << num(r.convkit_ms) << ", \"algorithm\": \""
    << json_escape(r.algorithm) << "\", \"plan\": \"" << json_escape(r.plan)
    << "\", \"plan_ms\": " << num(r.plan_ms) << ", \"opencv\": {\"fn\": \""
    << json_escape(r.opencv[0].fn) << "\", \"ms\": " << num(r.opencv[0].ms)
    << "}, \"opencv_extra\": [";
  for (std::size_t j = 1; j < r.opencv.size(); ++j)
    o << (j > 1 ? ", " : "") << "{\"fn\": \"" << json_escape(r.opencv[j].fn)
      << "\", \"ms\": " << num(r.opencv[j].ms) << "}";
  o << "], \"check\": " << check_json(r.check) << ", \"flops\": " << num(r.flops)
    << ", \"bytes\": " << num(r.bytes) << "}";
  std::printf("%s\n", o.str().c_str());
  std::fflush(stdout);
  if (!r.check.ok) g_all_ok = false;
}

// The public front end a case stands for, when it is not filter2d / signal (whose plans are
// rebuilt here exactly): e.g. gaussian_blur. It returns its output as a cv::Mat.
struct Api {
  std::string name;
  std::function<cv::Mat()> run;  // empty: not available in this build of the library
  bool exact_required = false;   // its output must equal OpenCV's bit for bit
};

// Builds the plan (timed once), runs the warm-up of convkit and every OpenCV function, checks,
// times, prints. `ck_dst` / `cv_dst` are the outputs compared after the warm-up.
//
// With an `api`: its output is what is checked against OpenCV; the plan built here is timed only
// when its output equals the api's bit for bit (then both compute the same thing and the plan
// excludes plan creation); otherwise the api call itself is timed, plan creation included, and
// plan_ms is null.
template <class MakePlan>
void run_case(Result r, MakePlan make_plan, const convkit::ConstTensorView& ck_src,
              cv::Mat& ck_dst, const convkit::TensorView& ck_dst_view, const cv::Mat& cv_dst,
              bool exact_required, double tolerance, std::string note = "",
              const Api& api = {}) {
  auto t0 = Clock::now();
  std::optional<convkit::Plan> plan;
  plan.emplace(make_plan());
  r.plan_ms = ms_since(t0);
  r.algorithm = convkit::algorithm_name(plan->algorithm());
  r.plan = plan_line(*plan);
  std::function<void()> run_ck = [&] { plan->execute(ck_src, ck_dst_view); };
  run_ck();
  for (Peer& p : r.opencv) p.run();
  r.check = compare(ck_dst, cv_dst, r.opencv[0].fn, exact_required, tolerance);
  if (api.run) {
    const cv::Mat api_out = api.run();
    r.check = compare(api_out, cv_dst, r.opencv[0].fn, api.exact_required, tolerance);
    const Check same = compare(ck_dst, api_out, api.name, true, 0);
    if (same.ok) {
      note = api.name + " checked; timed as its plan, rebuilt here (same output bit for bit)";
      r.convkit_api = api.name;
    } else {
      note = api.name + " checked and timed per call, plan creation included (the plan rebuilt "
             "here differs from it in " + std::to_string(same.mismatches) + " elements)";
      r.convkit_api = api.name + " (incl. plan)";
      r.plan_ms = NAN;
      run_ck = [&] { (void)api.run(); };
    }
  }
  r.check.note = note;
  time_case(r, run_ck);
  print(r);
}

cv::Mat random_image(int h, int w, int type, cv::RNG& rng) {
  cv::Mat m(h, w, type);
  if (CV_MAT_DEPTH(type) == CV_8U)
    rng.fill(m, cv::RNG::UNIFORM, 0, 256);
  else
    rng.fill(m, cv::RNG::UNIFORM, -1.0, 1.0);
  return m;
}

// Positive taps summing to 1: outputs stay in range, like a real smoothing kernel.
cv::Mat random_kernel(int r, int s, int type, cv::RNG& rng) {
  cv::Mat k(r, s, type);
  rng.fill(k, cv::RNG::UNIFORM, 0.0, 1.0);
  k /= cv::sum(k)[0];
  return k;
}

// Fills the output buffers differently so an unwritten output can never pass as a match.
cv::Mat out_like(const cv::Mat& src, double fill) { return cv::Mat(src.size(), src.type(), cv::Scalar::all(fill)); }

bool wanted(const std::string& id, const std::string& only) {
  return only.empty() || id.find(only) != std::string::npos;
}

// ---- the cases ----

// Cases 1, 5: dense random f32 kernel, BORDER_REFLECT_101 = Border::mirror.
void dense_f32(const std::string& id, const std::string& label, int h, int w, int k, cv::RNG& rng) {
  cv::Mat src = random_image(h, w, CV_32F, rng);
  cv::Mat kern = random_kernel(k, k, CV_32F, rng);
  cv::Mat dst_ck = out_like(src, 11), dst_cv = out_like(src, 77);
  Result r;
  r.id = id;
  r.label = label;
  r.convkit_api = "filter2d";
  r.flops = 2.0 * k * k * double(h) * w;
  r.bytes = 2.0 * 4 * double(h) * w;
  r.opencv.push_back({"cv::filter2D", [&] {
                        cv::filter2D(src, dst_cv, -1, kern, cv::Point(-1, -1), 0,
                                     cv::BORDER_REFLECT_101);
                      }});
  run_case(
      r,
      [&] {
        return convkit::Plan(image_problem(src, k, k, convkit::DType::f32, convkit::Border::mirror,
                                           convkit::Rounding::saturate),
                             kcrs(kern, 1));
      },
      nchw(src), dst_ck, nchw(dst_ck), dst_cv, false, 1e-4);
}

// Case 2: u8 HWC Gaussian. OpenCV's u8 GaussianBlur is a fixed-point separable filter: taps
// quantised to k/256 (error diffusion from the outside in, the centre tap taking the rest), the
// exact sum rounded half up. ksize 0 means round(sigma * 3 * 2 + 1) | 1 for u8 (19 for sigma 3).
std::vector<double> fixed_point_taps(const cv::Mat& k64, int bits) {
  const int n = int(k64.total());
  const double one = std::ldexp(1.0, bits);
  std::vector<double> q(std::size_t(n), 0.0);
  double err = 0, sum = 0;
  for (int i = 0; i < n / 2; ++i) {
    const double adj = k64.at<double>(i) * one + err;
    const double v = std::nearbyint(adj);
    err = adj - v;
    q[std::size_t(i)] = q[std::size_t(n - 1 - i)] = v;
    sum += v;
  }
  q[std::size_t(n / 2)] = one - 2 * sum;
  for (double& t : q) t /= one;
  return q;
}

void gaussian_u8(const std::string& id, const std::string& label, int ksize, double sigma,
                 cv::RNG& rng) {
  const int h = 1080, w = 1920;
  cv::Mat src = random_image(h, w, CV_8UC3, rng);
  cv::Mat dst_ck = out_like(src, 11), dst_cv = out_like(src, 77);
  const int n = ksize > 0 ? ksize : (cvRound(sigma * 3 * 2 + 1) | 1);
  // The plan gaussian_blur makes: sep_filter2d with the fixed-point taps and half-up rounding.
  const std::vector<double> taps = fixed_point_taps(cv::getGaussianKernel(n, sigma, CV_64F), 8);
  const cv::Mat g(n, 1, CV_64F, const_cast<double*>(taps.data()));
  Result r;
  r.id = id;
  r.label = label;
  r.convkit_api = "sep_filter2d (fixed-point taps, half-up)";
  r.flops = 2.0 * 2 * n * double(h) * w * 3;  // separable: 2n taps per output
  r.bytes = 2.0 * double(h) * w * 3;
  r.opencv.push_back({"cv::GaussianBlur", [&] {
                        cv::GaussianBlur(src, dst_cv, cv::Size(ksize, ksize), sigma, sigma,
                                         cv::BORDER_REFLECT_101);
                      }});
  Api api;
  std::string note = "gaussian_blur not in this build of the library: sep_filter2d plan checked";
  {
    api.name = "gaussian_blur";
    api.exact_required = true;  // documented bit-exact with cv::GaussianBlur for u8
    api.run = [&] {
      convkit::Tensor t = convkit::gaussian_blur(
          convkit::ConstTensorView(src.data, convkit::DType::u8, {h, w, 3}), {ksize, ksize}, sigma,
          sigma, convkit::Border::mirror, {});
      cv::Mat out;
      cv::Mat(h, w, CV_8UC3, t.data()).copyTo(out);
      return out;
    };
  }
  run_case(
      r,
      [&] {
        convkit::ConvProblem p = image_problem(src, n, n, convkit::DType::f64,
                                               convkit::Border::mirror, convkit::Rounding::half_up);
        return convkit::Plan(p, convkit::SeparableKernel{vec1d(g), vec1d(g)});
      },
      nchw(src), dst_ck, nchw(dst_ck), dst_cv, false, 1, note, api);
}

// Case 3: u8 4096x4096 normalized box 51x51.
void box_u8(cv::RNG& rng) {
  const int n = 4096, k = 51;
  cv::Mat src = random_image(n, n, CV_8U, rng);
  cv::Mat dst_ck = out_like(src, 11), dst_cv = out_like(src, 77);
  // The plan: filter2d's with a uniform f64 kernel of 1/2601 (the planner sees `uniform`);
  // convkit::blur (image_filters.h) is checked against OpenCV when the library has it.
  cv::Mat kern(k, k, CV_64F, cv::Scalar::all(1.0 / (k * k)));
  Result r;
  r.id = "u8-4096-box51";
  r.label = "u8 4096x4096 box 51x51 normalized";
  r.convkit_api = "filter2d (uniform 1/2601 kernel)";
  r.flops = 0;
  r.bytes = 2.0 * n * n;
  r.opencv.push_back({"cv::blur", [&] {
                        cv::blur(src, dst_cv, cv::Size(k, k), cv::Point(-1, -1),
                                 cv::BORDER_REFLECT_101);
                      }});
  Api api;
  {
    api.name = "blur";
    api.exact_required = true;  // documented bit-exact with cv::blur
    api.run = [&] {
      convkit::Tensor t = convkit::blur(
          convkit::ConstTensorView(src.data, convkit::DType::u8, {n, n}), {k, k}, {},
          convkit::Border::mirror, {});
      cv::Mat out;
      cv::Mat(n, n, CV_8U, t.data()).copyTo(out);
      return out;
    };
  }
  run_case(
      r,
      [&] {
        return convkit::Plan(image_problem(src, k, k, convkit::DType::f64, convkit::Border::mirror,
                                           convkit::Rounding::saturate),
                             kcrs(kern, 1));
      },
      nchw(src), dst_ck, nchw(dst_ck), dst_cv, false, 1,
      "blur not in this build of the library: filter2d plan (uniform kernel) checked", api);
}

// Case 6: f64 1024x1024 (x) 11x11, 'full' (scipy.signal.convolve2d). OpenCV has no full mode:
// cv::filter2D with BORDER_CONSTANT on a copy zero-padded by 5 on each side (R - 1 - R/2 with the
// centre anchor) and the kernel flipped gives exactly the full convolution. The padding copy
// (cv::copyMakeBorder into a preallocated Mat) is part of OpenCV's timed call.
void full_f64(cv::RNG& rng) {
  const int n = 1024, k = 11, full = n + k - 1;
  cv::Mat src = random_image(n, n, CV_64F, rng);
  cv::Mat kern(k, k, CV_64F);
  rng.fill(kern, cv::RNG::UNIFORM, -1.0, 1.0);
  cv::Mat kflip;
  cv::flip(kern, kflip, -1);
  cv::Mat padded(full, full, CV_64F), dst_cv(full, full, CV_64F, cv::Scalar::all(77)),
      dst_ck(full, full, CV_64F, cv::Scalar::all(11));
  const int pad = k - 1 - k / 2;
  Result r;
  r.id = "f64-1024-11x11-full";
  r.label = "f64 1024x1024 11x11 full";
  r.convkit_api = "signal::convolve2d(full)";
  r.flops = 2.0 * k * k * double(full) * full;
  r.bytes = 8.0 * (double(n) * n + double(full) * full);
  r.opencv.push_back({"cv::filter2D (zero-padded copy, flipped kernel)", [&] {
                        cv::copyMakeBorder(src, padded, pad, pad, pad, pad, cv::BORDER_CONSTANT, 0);
                        cv::filter2D(padded, dst_cv, -1, kflip, cv::Point(-1, -1), 0,
                                     cv::BORDER_CONSTANT);
                      }});
  run_case(
      r,
      [&] {
        // What signal::convolve2d(a, k, Mode::full) plans: flip, pads R-1 / S-1, zero border.
        convkit::ConvProblem p;
        p.h = p.w = n;
        p.r = p.s = k;
        p.src_dtype = p.dst_dtype = p.filter_dtype = convkit::DType::f64;
        p.flip = true;
        p.pad_top = p.pad_bottom = p.pad_left = p.pad_right = k - 1;
        p.border = convkit::Border::constant;
        p.rounding = convkit::Rounding::wrap;
        return convkit::Plan(p, kcrs(kern, 1));
      },
      nchw(src), dst_ck, nchw(dst_ck), dst_cv, false, 1e-12);
}

// Case 7: rank-1 15x15 (outer product of two random 15-tap vectors) given as a dense kernel.
void rank1_f32(cv::RNG& rng) {
  const int h = 1080, w = 1920, k = 15;
  cv::Mat src = random_image(h, w, CV_32F, rng);
  cv::Mat col = random_kernel(k, 1, CV_32F, rng), row = random_kernel(1, k, CV_32F, rng);
  cv::Mat kern = col * row;  // 15x15 f32, rank 1
  cv::Mat dst_ck = out_like(src, 11), dst_cv = out_like(src, 77), dst_sep = out_like(src, 33);
  Result r;
  r.id = "f32-1080p-rank1-15x15";
  r.label = "f32 1920x1080 rank-1 15x15 (dense)";
  r.convkit_api = "filter2d (dense kernel)";
  r.flops = 2.0 * k * k * double(h) * w;
  r.bytes = 2.0 * 4 * double(h) * w;
  r.opencv.push_back({"cv::filter2D", [&] {
                        cv::filter2D(src, dst_cv, -1, kern, cv::Point(-1, -1), 0,
                                     cv::BORDER_REFLECT_101);
                      }});
  r.opencv.push_back({"cv::sepFilter2D (factors)", [&] {
                        cv::sepFilter2D(src, dst_sep, -1, row, col, cv::Point(-1, -1), 0,
                                        cv::BORDER_REFLECT_101);
                      }});
  run_case(
      r,
      [&] {
        return convkit::Plan(image_problem(src, k, k, convkit::DType::f32, convkit::Border::mirror,
                                           convkit::Rounding::saturate),
                             kcrs(kern, 1));
      },
      nchw(src), dst_ck, nchw(dst_ck), dst_cv, false, 1e-4);
}

// Case 4: f32 4096x4096 31x31 dense.
void big_f32(cv::RNG& rng) {
  dense_f32("f32-4096-31x31", "f32 4096x4096 31x31", 4096, 4096, 31, rng);
}


}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  std::string only;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeats") {
      g_repeats = bench::parse_positive("--repeats", i + 1 < argc ? argv[++i] : nullptr);
    } else if (a == "--threads") {
      threads = bench::parse_positive("--threads", i + 1 < argc ? argv[++i] : nullptr);
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: %s [--repeats N (default 9)] [--threads N (default 2)] "
                  "[--only SUBSTRING-OF-CASE-ID]\n", argv[0]);
      return 0;
    } else {
      std::fprintf(stderr, "unknown argument '%s' (try --help)\n", a.c_str());
      return 2;
    }
  }
  convkit::set_num_threads(threads);
  cv::setNumThreads(threads);
  std::printf("{\"meta\": {\"convkit\": \"%s\", \"isa\": \"%s\", \"opencv\": \"%s\", "
              "\"opencv_parallel\": \"%s\", \"threads\": %d, \"repeats\": %d}}\n",
              convkit::version(), convkit::active_isa().c_str(), CV_VERSION,
              json_escape(bench::opencv_parallel_framework()).c_str(), threads, g_repeats);
  std::fflush(stdout);

  cv::RNG rng;  // reseeded per case from its id: the same data whichever cases run
  struct Entry {
    const char* id;
    std::function<void()> run;
  };
  const Entry cases[] = {
      {"f32-1080p-3x3", [&] { dense_f32("f32-1080p-3x3", "f32 1920x1080 3x3", 1080, 1920, 3, rng); }},
      {"f32-1080p-7x7", [&] { dense_f32("f32-1080p-7x7", "f32 1920x1080 7x7", 1080, 1920, 7, rng); }},
      {"f32-1080p-15x15",
       [&] { dense_f32("f32-1080p-15x15", "f32 1920x1080 15x15", 1080, 1920, 15, rng); }},
      {"f32-1080p-31x31",
       [&] { dense_f32("f32-1080p-31x31", "f32 1920x1080 31x31", 1080, 1920, 31, rng); }},
      {"u8c3-1080p-gauss5-s1",
       [&] { gaussian_u8("u8c3-1080p-gauss5-s1", "u8x3 1920x1080 Gaussian 5x5 sigma 1", 5, 1.0, rng); }},
      {"u8c3-1080p-gauss-s3",
       [&] { gaussian_u8("u8c3-1080p-gauss-s3", "u8x3 1920x1080 Gaussian sigma 3 (19x19)", 0, 3.0, rng); }},
      {"u8-4096-box51", [&] { box_u8(rng); }},
      {"f32-4096-31x31", [&] { big_f32(rng); }},
      {"f32-512-3x3", [&] { dense_f32("f32-512-3x3", "f32 512x512 3x3", 512, 512, 3, rng); }},
      {"f64-1024-11x11-full", [&] { full_f64(rng); }},
      {"f32-1080p-rank1-15x15", [&] { rank1_f32(rng); }},
  };
  for (const Entry& e : cases) {
    if (!wanted(e.id, only)) continue;
    std::uint64_t seed = 1469598103934665603ull;  // FNV-1a of the case id
    for (const char* c = e.id; *c; ++c) seed = (seed ^ std::uint8_t(*c)) * 1099511628211ull;
    rng = cv::RNG(seed);
    try {
      e.run();
    } catch (const std::exception& ex) {
      std::printf("{\"case\": \"%s\", \"error\": \"%s\"}\n", e.id, json_escape(ex.what()).c_str());
      std::fflush(stdout);
      g_all_ok = false;
    }
  }
  return g_all_ok ? 0 : 1;
}
