#pragma once
// Randomized test support: random values for every dtype, and views in awkward layouts.

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "convkit/error.h"
#include "convkit/tensor.h"
#include "util/convert.h"

namespace convkit::test {

/// Number of randomized cases: CONVKIT_TEST_CASES overrides (the sanitizer run uses fewer).
inline int case_count(int dflt) {
  const char* e = std::getenv("CONVKIT_TEST_CASES");
  return e ? std::atoi(e) : dflt;
}

struct Rng {
  std::mt19937_64 gen;
  explicit Rng(std::uint64_t seed) : gen(seed) {}
  std::int64_t uniform(std::int64_t lo, std::int64_t hi) {  // inclusive
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(gen);
  }
  double real(double lo = -1, double hi = 1) {
    return std::uniform_real_distribution<double>(lo, hi)(gen);
  }
  bool chance(double p) { return real(0, 1) < p; }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[std::size_t(uniform(0, std::int64_t(v.size()) - 1))]; }
};

/// A value typical of `t`: the full range for integers, [-scale, scale) for floats.
inline std::complex<double> random_value(DType t, Rng& rng, double scale = 10) {
  switch (t) {
    case DType::u8: return double(rng.uniform(0, 255));
    case DType::u16: return double(rng.uniform(0, 65535));
    case DType::i16: return double(rng.uniform(-32768, 32767));
    case DType::i32: return double(rng.uniform(-100000, 100000));
    case DType::f32:
    case DType::f64: return rng.real(-scale, scale);
    default: return {rng.real(-scale, scale), rng.real(-scale, scale)};
  }
}

/// Storage plus a view of `shape` into it with a random layout: contiguous, with gaps between
/// rows, reversed along an axis (negative strides), or axes permuted.
struct OwnedView {
  Tensor storage;
  TensorView view;
};

inline OwnedView random_view(DType t, std::vector<std::int64_t> shape, Rng& rng,
                             bool awkward = true) {
  const int rank = int(shape.size());
  // Allocate with a gap of 0..2 elements on every axis, then index a sub-block.
  std::vector<std::int64_t> alloc(shape);
  const bool gaps = awkward && rng.chance(0.3);
  if (gaps)
    for (auto& a : alloc) a += rng.uniform(0, 2);
  std::vector<int> order(static_cast<std::size_t>(rank));
  for (int i = 0; i < rank; ++i) order[std::size_t(i)] = i;
  if (awkward && rank >= 2 && rng.chance(0.15)) std::swap(order[std::size_t(rank - 1)], order[std::size_t(rank - 2)]);
  // Memory order: axis order[0] outermost.
  std::vector<std::int64_t> mem_shape(static_cast<std::size_t>(rank));
  for (int i = 0; i < rank; ++i) mem_shape[std::size_t(i)] = alloc[std::size_t(order[std::size_t(i)])];
  OwnedView o{Tensor(t, std::span<const std::int64_t>(mem_shape)), {}};
  std::vector<std::int64_t> mem_strides(static_cast<std::size_t>(rank));
  std::int64_t s = 1;
  for (int i = rank - 1; i >= 0; --i) {
    mem_strides[std::size_t(i)] = s;
    s *= mem_shape[std::size_t(i)];
  }
  std::vector<std::int64_t> strides(static_cast<std::size_t>(rank));
  for (int i = 0; i < rank; ++i) strides[std::size_t(order[std::size_t(i)])] = mem_strides[std::size_t(i)];
  char* base = static_cast<char*>(o.storage.data());
  const auto es = std::int64_t(dtype_size(t));
  if (awkward && rng.chance(0.15)) {  // reverse the last axis
    const int ax = rank - 1;
    base += (shape[std::size_t(ax)] - 1) * strides[std::size_t(ax)] * es;
    strides[std::size_t(ax)] = -strides[std::size_t(ax)];
  }
  o.view = TensorView(base, t, std::span<const std::int64_t>(shape),
                      std::span<const std::int64_t>(strides));
  return o;
}

/// Fills every element of `v` (any strides) with random values.
inline void fill_random(const TensorView& v, Rng& rng, double scale = 10) {
  std::vector<std::int64_t> idx(std::size_t(v.rank()), 0);
  const auto es = std::int64_t(dtype_size(v.dtype()));
  for (std::int64_t e = 0; e < v.numel(); ++e) {
    std::int64_t off = 0;
    for (int i = 0; i < v.rank(); ++i) off += idx[std::size_t(i)] * v.stride(i);
    store_complex(random_value(v.dtype(), rng, scale), static_cast<char*>(v.data()) + off * es,
                  v.dtype(), Rounding::saturate);
    for (int i = v.rank() - 1; i >= 0; --i) {
      if (++idx[std::size_t(i)] < v.dim(i)) break;
      idx[std::size_t(i)] = 0;
    }
  }
}

/// Element `flat` (row-major index over the logical shape) of `v`, as complex<double>.
inline std::complex<double> element(const ConstTensorView& v, std::int64_t flat) {
  std::int64_t off = 0;
  for (int i = v.rank() - 1; i >= 0; --i) {
    off += (flat % v.dim(i)) * v.stride(i);
    flat /= v.dim(i);
  }
  return load_as<std::complex<double>>(
      static_cast<const char*>(v.data()) + off * std::int64_t(dtype_size(v.dtype())), v.dtype());
}

/// The parameter a convkit::Error thrown by `f` names, or "no error".
template <class F>
std::string error_parameter(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.parameter();
  }
  return "no error";
}


/// Every image dtype and border the row and FFT algorithms serve.
inline const std::vector<DType> kImageTypes = {DType::u8, DType::u16, DType::i16, DType::f32,
                                               DType::f64};
inline const std::vector<Border> kBorders = {Border::constant, Border::replicate, Border::reflect,
                                             Border::mirror, Border::wrap};

/// A random per-channel image-filtering problem: 1-pixel images, kernels larger than the image,
/// even kernels, anchor-like, "full"-like and lopsided pads, dilation, every border and dtype.
inline ConvProblem random_filter_problem(Rng& rng, std::int64_t max_size, std::int64_t max_kernel,
                                         std::vector<std::int64_t> channels,
                                         double dilation_chance) {
  ConvProblem p;
  p.c = p.k = p.groups = rng.pick(channels);
  p.h = rng.chance(0.1) ? 1 : rng.uniform(1, max_size);
  p.w = rng.chance(0.1) ? 1 : rng.uniform(1, max_size);
  p.r = rng.uniform(1, max_kernel);
  p.s = rng.uniform(1, max_kernel);
  if (rng.chance(dilation_chance)) p.dilation_h = rng.uniform(1, 3), p.dilation_w = rng.uniform(1, 3);
  const std::int64_t eh = (p.r - 1) * p.dilation_h, ew = (p.s - 1) * p.dilation_w;
  p.pad_top = rng.uniform(0, eh), p.pad_left = rng.uniform(0, ew);
  p.pad_bottom = rng.chance(0.7) ? eh - p.pad_top : rng.uniform(0, eh + 3);
  p.pad_right = rng.chance(0.7) ? ew - p.pad_left : rng.uniform(0, ew + 3);
  // At least one output: pad until the dilated kernel fits (a negative reach has no outputs).
  const std::int64_t reach_h = p.h + p.pad_top + p.pad_bottom - eh - 1;
  const std::int64_t reach_w = p.w + p.pad_left + p.pad_right - ew - 1;
  if (reach_h < 0) p.pad_bottom -= reach_h;
  if (reach_w < 0) p.pad_right -= reach_w;
  p.border = rng.pick(kBorders);
  p.src_dtype = rng.pick(kImageTypes);
  p.dst_dtype = rng.pick(kImageTypes);
  p.filter_dtype = rng.chance(0.5) ? DType::f64 : DType::f32;
  p.border_value = rng.chance(0.5) ? 0.0 : double(rng.uniform(-3, 300));
  p.delta = rng.chance(0.6) ? 0.0 : rng.real(-50, 50);
  p.rounding = Rounding::saturate;
  return p;
}

}  // namespace convkit::test
