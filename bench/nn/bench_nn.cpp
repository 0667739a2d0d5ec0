// The Conv2d forward benchmark (issue 5): convkit's nn::Conv2d against oneDNN (the Debian
// package, 2.6) called directly, on ResNet-style f32 layers. bench/nn/run.sh runs it once per
// case and thread count, next to bench/nn/peers_torch.py (PyTorch), and bench/nn/merge.py prints
// one table.
//
//   bench_nn [--threads N (default 2)] [--repeats N (default 11)] [--only CASE-ID[,CASE-ID...]]
//            [--npy-dir DIR] [--list]
//
// --list prints the case ids, one a line. --npy-dir writes, per case, the input, weights, bias
// and convkit's output as .npy files and the case's parameters as JSON (DIR/<case>.{x,w,b,y}.npy,
// DIR/<case>.json), for peers_torch.py to run PyTorch on the same data and check it.
//
// Per case, one JSON line:
//   {"case", "label", "threads", "shape": {...}, "flops", "flops_nonpad",
//    "convkit": {"ms", "algorithm", "plan_ms", "faults_per_call"},
//    "onednn_blocked": {"ms", "impl", "src", "weights", "dst", "faults_per_call", "check": {...}},
//    "onednn_nchw": {...the same...}}
// and a first {"meta": {...}} line. A oneDNN variant that cannot be created says "error".
//
// What is timed:
//  - convkit: nn::Conv2d::forward(x, y) on an NCHW input into a preallocated NCHW output, bias, no
//    activation, the planner's default choice; the plan (cached by the layer per input shape) is
//    built once before timing and its construction time reported as plan_ms.
//  - oneDNN blocked: convolution_forward (forward_inference, convolution_direct) created with
//    format_tag::any for src, weights and dst, so it picks its preferred kernel and layouts
//    (blocked such as nChw16c, or NHWC for its brgconv kernels); the
//    NCHW input and OIHW weights are reordered into them once, before timing; only
//    primitive::execute + stream::wait is timed; the output is reordered back to NCHW (untimed)
//    for the check.
//  - oneDNN NCHW: the same descriptor with plain nchw src/dst and oihw (goihw for groups > 1)
//    weights; whatever implementation it picks for plain formats, only execute + wait is timed.
// Every output buffer, and oneDNN's scratchpad (scratchpad_mode::user), is allocated (and
// written) once, before the timed runs, and reused.
// Each library runs its repeats back to back after a warm-up call (convkit, then oneDNN blocked,
// then oneDNN NCHW), as peers_torch.py times PyTorch: alternating call by call would hand every
// library caches just filled by another one (a layer's weights and activations are ~1-2 MB,
// the L2 is 1 MB), which is not how a network runs its layers either. malloc keeps freed memory mapped (mallopt,
// as peers_torch.py does for PyTorch), and the minor page faults during the timed calls
// (getrusage) are reported per call, to show that no timing includes fresh-page faults.
//
// Correctness, before timing: convkit's output against each oneDNN output,
// max |convkit - oneDNN| / max |oneDNN| <= 1e-4; a failure is reported in the line and makes the
// exit status 1.
#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>
#include <oneapi/dnnl/dnnl_debug.h>  // dnnl_fmt_kind2str

#include "convkit/convkit.h"
#include "convkit/nn.h"
#include "../compare/report_util.h"

namespace {

using bench::json_escape;
using bench::median;
using bench::num;
using bench::parse_positive;

using Clock = std::chrono::steady_clock;
constexpr double kTolerance = 1e-4;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

long minor_faults() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_minflt;
}

// A little-endian f32 C-order .npy (format 1.0), header padded to a multiple of 64 bytes.
void write_npy(const std::string& path, const float* data, const std::vector<std::int64_t>& shape) {
  std::string dims;
  std::int64_t n = 1;
  for (std::int64_t d : shape) {
    dims += std::to_string(d) + ", ";
    n *= d;
  }
  if (shape.size() > 1) dims.resize(dims.size() - 1);  // "(2, 3)" but "(5,)"
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  const std::size_t total = 10 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::ofstream f(path, std::ios::binary);
  const std::uint16_t hlen = std::uint16_t(header.size());
  f.write("\x93NUMPY\x01\x00", 8);
  f.write(reinterpret_cast<const char*>(&hlen), 2);
  f.write(header.data(), std::streamsize(header.size()));
  f.write(reinterpret_cast<const char*>(data), std::streamsize(n * sizeof(float)));
  if (!f) {
    std::fprintf(stderr, "could not write %s\n", path.c_str());
    std::exit(2);
  }
}

struct Case {
  const char* id;
  const char* label;
  std::int64_t n, c, h, w, k, r, s, stride, pad, groups;

  std::int64_t p() const { return (h + 2 * pad - r) / stride + 1; }
  std::int64_t q() const { return (w + 2 * pad - s) / stride + 1; }
  // 2 * N * K * P * Q * C/groups * R * S: every tap, padding included (the usual convention).
  double flops() const { return 2.0 * n * k * p() * q() * (c / groups) * r * s; }
  // Only the taps that land inside the input (what the 85%-of-peak target counts).
  double flops_nonpad() const {
    auto valid = [&](std::int64_t out, std::int64_t in, std::int64_t taps) {
      std::int64_t sum = 0;
      for (std::int64_t o = 0; o < out; ++o)
        for (std::int64_t t = 0; t < taps; ++t) {
          const std::int64_t i = o * stride - pad + t;
          sum += i >= 0 && i < in;
        }
      return sum;
    };
    return 2.0 * n * k * (c / groups) * double(valid(p(), h, r)) * double(valid(q(), w, s));
  }
};

// The cases: ResNet-50's first layer and typical ResNet / MobileNet-style layers, f32, batch 1
// unless the id says b8.
const Case kCases[] = {
    {"conv1-7x7s2-3to64-224", "ResNet-50 conv1: 3->64, 224x224, 7x7 s2 p3", 1, 3, 224, 224, 64, 7,
     7, 2, 3, 1},
    {"3x3-64-56", "64->64, 56x56, 3x3 p1", 1, 64, 56, 56, 64, 3, 3, 1, 1, 1},
    {"3x3-64-56-b8", "64->64, 56x56, 3x3 p1, batch 8", 8, 64, 56, 56, 64, 3, 3, 1, 1, 1},
    {"1x1-256to64-56", "256->64, 56x56, 1x1", 1, 256, 56, 56, 64, 1, 1, 1, 0, 1},
    {"3x3-256-14", "256->256, 14x14, 3x3 p1", 1, 256, 14, 14, 256, 3, 3, 1, 1, 1},
    {"3x3s2-128-56", "128->128, 56x56 -> 28x28, 3x3 s2 p1", 1, 128, 56, 56, 128, 3, 3, 2, 1, 1},
    {"dw3x3-144-56", "depthwise 144 ch (groups=144), 56x56, 3x3 p1", 1, 144, 56, 56, 144, 3, 3, 1,
     1, 144},
    {"3x3-512-7", "512->512, 7x7, 3x3 p1", 1, 512, 7, 7, 512, 3, 3, 1, 1, 1},
};

struct Check {
  double max_abs_diff = 0, max_abs_ref = 0, rel = 0;
  bool ok = false;
};

Check compare(const float* ck, const float* ref, std::int64_t n) {
  Check c;
  for (std::int64_t i = 0; i < n; ++i) {
    const double d = std::fabs(double(ck[i]) - double(ref[i]));
    c.max_abs_diff = std::isnan(d) ? INFINITY : std::max(c.max_abs_diff, d);
    c.max_abs_ref = std::max(c.max_abs_ref, std::fabs(double(ref[i])));
  }
  c.rel = c.max_abs_ref > 0 ? c.max_abs_diff / c.max_abs_ref : c.max_abs_diff;
  c.ok = c.rel <= kTolerance;
  return c;
}

std::string check_json(const Check& c) {
  std::ostringstream o;
  o << "{\"max_abs_diff\": " << num(c.max_abs_diff) << ", \"max_abs_ref\": " << num(c.max_abs_ref)
    << ", \"rel_err\": " << num(c.rel) << ", \"tolerance\": " << num(kTolerance)
    << ", \"ok\": " << (c.ok ? "true" : "false") << "}";
  return o.str();
}

// A memory descriptor's layout in oneDNN's tag notation ("abcd" = nchw, "aBcd16b" = nChw16c,
// "ABcd16b16a" = OIhw16i16o, ...): dimensions from outermost to innermost stride, upper case when
// the dimension is also blocked, then the inner blocks.
std::string fmt_str(const dnnl::memory::desc& md) {
  const dnnl_memory_desc_t& d = md.data;
  if (d.format_kind != dnnl_blocked) return dnnl_fmt_kind2str(d.format_kind);
  const dnnl_blocking_desc_t& b = d.format_desc.blocking;
  std::vector<int> order(std::size_t(d.ndims));
  for (int i = 0; i < d.ndims; ++i) order[std::size_t(i)] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](int x, int y) { return b.strides[x] > b.strides[y]; });
  std::string s;
  for (int i : order) {
    bool blocked = false;
    for (int j = 0; j < b.inner_nblks; ++j) blocked = blocked || b.inner_idxs[j] == i;
    s += char((blocked ? 'A' : 'a') + i);
  }
  for (int j = 0; j < b.inner_nblks; ++j)
    s += std::to_string(b.inner_blks[j]) + char('a' + b.inner_idxs[j]);
  return s;
}

// One oneDNN convolution: the primitive, its memories in its chosen layouts, and the user-side
// NCHW copy of its output for the check.
struct OneDnnConv {
  std::string impl, src_fmt, wei_fmt, dst_fmt, error;
  dnnl::convolution_forward prim;
  dnnl::memory src, wei, bias, dst, dst_user, scratch;
  bool dst_is_user = false;
  std::vector<float> out_nchw;  // filled by to_nchw()

  bool ok() const { return error.empty(); }
  void run(dnnl::stream& s) {
    prim.execute(s, {{DNNL_ARG_SRC, src},
                     {DNNL_ARG_WEIGHTS, wei},
                     {DNNL_ARG_BIAS, bias},
                     {DNNL_ARG_DST, dst},
                     {DNNL_ARG_SCRATCHPAD, scratch}});
    s.wait();
  }
  void to_nchw(dnnl::stream& s) {
    if (!dst_is_user) {
      dnnl::reorder(dst, dst_user).execute(s, dst, dst_user);
      s.wait();
    }
    const auto* p = static_cast<const float*>(dst_user.get_data_handle());
    out_nchw.assign(p, p + dst_user.get_desc().get_size() / sizeof(float));
  }
};

// blocked: format_tag::any everywhere (the library's preferred layouts, reorders done here, not
// timed); otherwise plain nchw / (g)oihw / nchw.
OneDnnConv make_onednn(const Case& cs, bool blocked, dnnl::engine& eng, dnnl::stream& strm,
                       std::vector<float>& x, std::vector<float>& w, std::vector<float>& b) {
  using dnnl::memory;
  using tag = memory::format_tag;
  using dt = memory::data_type;
  OneDnnConv o;
  const memory::dims src_dims{cs.n, cs.c, cs.h, cs.w};
  const memory::dims dst_dims{cs.n, cs.k, cs.p(), cs.q()};
  const bool grouped = cs.groups > 1;
  const memory::dims wei_dims =
      grouped ? memory::dims{cs.groups, cs.k / cs.groups, cs.c / cs.groups, cs.r, cs.s}
              : memory::dims{cs.k, cs.c, cs.r, cs.s};
  const tag wei_plain = grouped ? tag::goihw : tag::oihw;
  const memory::desc src_user_md(src_dims, dt::f32, tag::nchw);
  const memory::desc wei_user_md(wei_dims, dt::f32, wei_plain);
  const memory::desc dst_user_md(dst_dims, dt::f32, tag::nchw);
  const memory::desc bias_md({cs.k}, dt::f32, tag::x);
  try {
    const memory::desc src_md = blocked ? memory::desc(src_dims, dt::f32, tag::any) : src_user_md;
    const memory::desc wei_md = blocked ? memory::desc(wei_dims, dt::f32, tag::any) : wei_user_md;
    const memory::desc dst_md = blocked ? memory::desc(dst_dims, dt::f32, tag::any) : dst_user_md;
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                      dnnl::algorithm::convolution_direct, src_md, wei_md, bias_md,
                                      dst_md, {cs.stride, cs.stride}, {cs.pad, cs.pad},
                                      {cs.pad, cs.pad});
    // The scratchpad is allocated here, once, like the outputs (not by the library per call).
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::convolution_forward::primitive_desc pd(d, attr, eng);
    o.impl = pd.impl_info_str();
    o.src_fmt = fmt_str(pd.src_desc());
    o.wei_fmt = fmt_str(pd.weights_desc());
    o.dst_fmt = fmt_str(pd.dst_desc());
    o.prim = dnnl::convolution_forward(pd);

    memory src_user(src_user_md, eng, x.data()), wei_user(wei_user_md, eng, w.data());
    o.bias = memory(bias_md, eng, b.data());
    o.src = src_user;
    if (pd.src_desc() != src_user_md) {
      o.src = memory(pd.src_desc(), eng);
      dnnl::reorder(src_user, o.src).execute(strm, src_user, o.src);
    }
    o.wei = wei_user;
    if (pd.weights_desc() != wei_user_md) {
      o.wei = memory(pd.weights_desc(), eng);
      dnnl::reorder(wei_user, o.wei).execute(strm, wei_user, o.wei);
    }
    strm.wait();
    o.scratch = memory(pd.scratchpad_desc(), eng);
    o.dst = memory(pd.dst_desc(), eng);  // the library allocates; written by the warm-up rounds
    o.dst_is_user = pd.dst_desc() == dst_user_md;
    o.dst_user = o.dst_is_user ? o.dst : memory(dst_user_md, eng);
  } catch (const dnnl::error& e) {
    o.error = std::string("oneDNN: ") + e.what();
  }
  return o;
}

std::string onednn_json(const OneDnnConv& o, double ms, double faults, const Check& c) {
  if (!o.ok()) return "{\"error\": \"" + json_escape(o.error) + "\"}";
  std::ostringstream j;
  j << "{\"ms\": " << num(ms) << ", \"impl\": \"" << json_escape(o.impl) << "\", \"src\": \""
    << json_escape(o.src_fmt) << "\", \"weights\": \"" << json_escape(o.wei_fmt)
    << "\", \"dst\": \"" << json_escape(o.dst_fmt) << "\", \"faults_per_call\": " << num(faults)
    << ", \"check\": " << check_json(c) << "}";
  return j.str();
}

bool run_case(const Case& cs, int threads, int repeats, const std::string& npy_dir,
              dnnl::engine& eng, dnnl::stream& strm) {
  // Deterministic data, seeded from the case id: uniform in [-1, 1).
  std::uint64_t seed = 1469598103934665603ull;  // FNV-1a
  for (const char* p = cs.id; *p; ++p) seed = (seed ^ std::uint8_t(*p)) * 1099511628211ull;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const std::int64_t cg = cs.c / cs.groups;
  std::vector<float> x(std::size_t(cs.n * cs.c * cs.h * cs.w));
  std::vector<float> w(std::size_t(cs.k * cg * cs.r * cs.s));
  std::vector<float> b(std::size_t(cs.k));
  for (float& v : x) v = dist(rng);
  for (float& v : w) v = dist(rng);
  for (float& v : b) v = dist(rng);

  // convkit: the layer as a user makes it; its output tensor is allocated once.
  convkit::nn::Conv2dOptions opt;
  opt.stride = cs.stride;
  opt.padding = cs.pad;
  opt.groups = cs.groups;
  const convkit::ConstTensorView wv(w.data(), convkit::DType::f32, {cs.k, cg, cs.r, cs.s});
  const convkit::ConstTensorView bv(b.data(), convkit::DType::f32, {cs.k});
  const convkit::nn::Conv2d layer(cs.c, cs.k, {cs.r, cs.s}, opt, wv, bv);
  const std::array<std::int64_t, 4> in_shape{cs.n, cs.c, cs.h, cs.w};
  const convkit::ConstTensorView xv(x.data(), convkit::DType::f32,
                                    std::span<const std::int64_t>(in_shape));
  const auto out_shape = layer.output_shape(in_shape);
  convkit::Tensor y(convkit::DType::f32, std::span<const std::int64_t>(out_shape));
  const auto tp = Clock::now();
  const convkit::Plan& plan = layer.plan(in_shape);
  const double plan_ms = ms_since(tp);
  const std::string algorithm = convkit::algorithm_name(plan.algorithm());

  OneDnnConv blk = make_onednn(cs, true, eng, strm, x, w, b);
  OneDnnConv pln = make_onednn(cs, false, eng, strm, x, w, b);

  // Two warm-up rounds (first-touch of every output, JIT, caches), then the checks.
  for (int i = 0; i < 2; ++i) {
    layer.forward(xv, y.view());
    if (blk.ok()) blk.run(strm);
    if (pln.ok()) pln.run(strm);
  }
  const std::int64_t out_n = y.numel();
  const float* yk = y.data_as<float>();
  Check cb, cp;
  if (blk.ok()) {
    blk.to_nchw(strm);
    cb = compare(yk, blk.out_nchw.data(), out_n);
  }
  if (pln.ok()) {
    pln.to_nchw(strm);
    cp = compare(yk, pln.out_nchw.data(), out_n);
  }

  std::vector<double> t_ck, t_blk, t_pln;
  long f_ck = 0, f_blk = 0, f_pln = 0;
  auto timed = [&](auto&& call, std::vector<double>& t, long& faults) {
    call();  // warm-up: this library's data back in cache
    for (int i = 0; i < repeats; ++i) {
      const long f0 = minor_faults();
      const auto t0 = Clock::now();
      call();
      t.push_back(ms_since(t0));
      faults += minor_faults() - f0;
    }
  };
  timed([&] { layer.forward(xv, y.view()); }, t_ck, f_ck);
  if (blk.ok()) timed([&] { blk.run(strm); }, t_blk, f_blk);
  if (pln.ok()) timed([&] { pln.run(strm); }, t_pln, f_pln);

  if (!npy_dir.empty()) {
    const std::string base = npy_dir + "/" + cs.id;
    write_npy(base + ".x.npy", x.data(), {cs.n, cs.c, cs.h, cs.w});
    write_npy(base + ".w.npy", w.data(), {cs.k, cg, cs.r, cs.s});
    write_npy(base + ".b.npy", b.data(), {cs.k});
    write_npy(base + ".y.npy", yk, {out_shape[0], out_shape[1], out_shape[2], out_shape[3]});
    std::ofstream j(base + ".json");
    j << "{\"case\": \"" << cs.id << "\", \"stride\": " << cs.stride << ", \"padding\": " << cs.pad
      << ", \"groups\": " << cs.groups << "}\n";
  }

  std::ostringstream o;
  o << "{\"case\": \"" << cs.id << "\", \"label\": \"" << json_escape(cs.label)
    << "\", \"threads\": " << threads << ", \"shape\": {\"n\": " << cs.n << ", \"c\": " << cs.c
    << ", \"h\": " << cs.h << ", \"w\": " << cs.w << ", \"k\": " << cs.k << ", \"r\": " << cs.r
    << ", \"s\": " << cs.s << ", \"stride\": " << cs.stride << ", \"pad\": " << cs.pad
    << ", \"groups\": " << cs.groups << ", \"p\": " << cs.p() << ", \"q\": " << cs.q()
    << "}, \"flops\": " << num(cs.flops()) << ", \"flops_nonpad\": " << num(cs.flops_nonpad())
    << ", \"repeats\": " << repeats << ", \"convkit\": {\"ms\": " << num(median(t_ck))
    << ", \"algorithm\": \"" << json_escape(algorithm) << "\", \"plan_ms\": " << num(plan_ms)
    << ", \"faults_per_call\": " << num(double(f_ck) / repeats) << "}, \"onednn_blocked\": "
    << onednn_json(blk, median(t_blk), double(f_blk) / repeats, cb)
    << ", \"onednn_nchw\": " << onednn_json(pln, median(t_pln), double(f_pln) / repeats, cp)
    << "}";
  std::printf("%s\n", o.str().c_str());
  std::fflush(stdout);
  if (!blk.ok() || !pln.ok()) std::fprintf(stderr, "%s: %s%s\n", cs.id, blk.error.c_str(),
                                            pln.error.c_str());
  return (!blk.ok() || cb.ok) && (!pln.ok() || cp.ok);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, repeats = 11;
  std::string only, npy_dir;
  bool list = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--repeats") {
      repeats = parse_positive("--repeats", i + 1 < argc ? argv[++i] : nullptr);
    } else if (a == "--threads") {
      threads = parse_positive("--threads", i + 1 < argc ? argv[++i] : nullptr);
    } else if (a == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (a == "--npy-dir" && i + 1 < argc) {
      npy_dir = argv[++i];
    } else if (a == "--list") {
      list = true;
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: %s [--threads N (default 2)] [--repeats N (default 11)] "
                  "[--only CASE-ID[,CASE-ID...]] [--npy-dir DIR] [--list]\n", argv[0]);
      return 0;
    } else {
      std::fprintf(stderr, "unknown argument '%s' (try --help)\n", a.c_str());
      return 2;
    }
  }
  auto wanted = [&](const char* id) {
    if (only.empty()) return true;
    std::stringstream ss(only);
    for (std::string item; std::getline(ss, item, ',');)
      if (item == id) return true;
    return false;
  };
  if (list) {
    for (const Case& c : kCases)
      if (wanted(c.id)) std::printf("%s\n", c.id);
    return 0;
  }
  bool known = only.empty();
  for (const Case& c : kCases) known = known || wanted(c.id);
  if (!known) {
    std::fprintf(stderr, "--only: no case '%s' (see --list)\n", only.c_str());
    return 2;
  }

  // The same malloc settings as peers_torch.py: blocks up to 32 MiB from the heap, freed memory
  // kept, so that a library's per-call temporaries (oneDNN's gemm:jit packing buffers) reuse
  // mapped memory after the warm-up instead of faulting fresh pages in every call.
  const bool kept = mallopt(M_MMAP_THRESHOLD, 32 << 20) && mallopt(M_TRIM_THRESHOLD, 0x7fffffff);

  // oneDNN (OpenMP runtime) takes its thread count from OMP_NUM_THREADS: run.sh sets it to
  // --threads for the whole process, and convkit is told the same.
  convkit::set_num_threads(threads);
  const dnnl_version_t* v = dnnl_version();
  const char* omp_env = std::getenv("OMP_NUM_THREADS");
  std::printf("{\"meta\": {\"convkit\": \"%s\", \"isa\": \"%s\", \"onednn\": \"%d.%d.%d\", "
              "\"onednn_cpu_runtime\": \"%s\", \"threads\": %d, \"omp_num_threads\": \"%s\", "
              "\"repeats\": %d, \"mallopt\": %s}}\n",
              convkit::version(), convkit::active_isa().c_str(), v->major, v->minor, v->patch,
              v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : "other", threads,
              omp_env ? omp_env : "unset", repeats, kept ? "true" : "false");
  std::fflush(stdout);

  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream strm(eng);
  bool all_ok = true;
  for (const Case& c : kCases) {
    if (!wanted(c.id)) continue;
    try {
      all_ok = run_case(c, threads, repeats, npy_dir, eng, strm) && all_ok;
    } catch (const std::exception& e) {
      std::printf("{\"case\": \"%s\", \"threads\": %d, \"error\": \"%s\"}\n", c.id, threads,
                  json_escape(e.what()).c_str());
      std::fflush(stdout);
      all_ok = false;
    }
  }
  return all_ok ? 0 : 1;
}
