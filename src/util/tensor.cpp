#include "convkit/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <type_traits>

#include "convkit/error.h"
#include "util/convert.h"
#include "util/rows_of.h"

namespace convkit {

std::int64_t Geometry::numel() const {
  std::int64_t n = 1;
  for (int i = 0; i < rank; ++i) n *= shape[i];
  return n;
}

bool Geometry::is_contiguous() const {
  std::int64_t expect = 1;
  for (int i = rank - 1; i >= 0; --i) {
    if (shape[i] != 1 && strides[i] != expect) return false;
    expect *= shape[i];
  }
  return true;
}

Geometry Geometry::contiguous(std::span<const std::int64_t> shape) {
  if (shape.size() > static_cast<std::size_t>(kMaxRank))
    detail::fail("shape", "rank ", shape.size(), " exceeds the maximum of ", kMaxRank);
  Geometry g;
  g.rank = static_cast<int>(shape.size());
  std::int64_t s = 1;
  for (int i = g.rank - 1; i >= 0; --i) {
    if (shape[i] < 0) detail::fail("shape", "negative extent ", shape[i]);
    g.shape[i] = shape[i];
    g.strides[i] = s;
    s *= shape[i];
  }
  return g;
}

std::string Geometry::shape_string() const {
  std::ostringstream os;
  os << '(';
  for (int i = 0; i < rank; ++i) os << (i ? ", " : "") << shape[i];
  if (rank == 1) os << ',';
  os << ')';
  return os.str();
}

ConstTensorView::ConstTensorView(const void* data, DType dtype,
                                 std::initializer_list<std::int64_t> shape)
    : ConstTensorView(data, dtype, std::span<const std::int64_t>(shape.begin(), shape.size())) {}

ConstTensorView::ConstTensorView(const void* data, DType dtype, std::span<const std::int64_t> shape)
    : data_(data), dtype_(dtype), geo_(Geometry::contiguous(shape)) {}

ConstTensorView::ConstTensorView(const void* data, DType dtype, std::span<const std::int64_t> shape,
                                 std::span<const std::int64_t> strides)
    : data_(data), dtype_(dtype), geo_(Geometry::contiguous(shape)) {
  if (strides.size() != shape.size())
    detail::fail("strides", "has ", strides.size(), " entries for a rank-", shape.size(), " shape");
  for (std::size_t i = 0; i < strides.size(); ++i) geo_.strides[i] = strides[i];
}

ConstTensorView::ConstTensorView(const void* data, DType dtype, const Geometry& geometry)
    : data_(data), dtype_(dtype), geo_(geometry) {}

void ConstTensorView::check_type(DType t) const {
  if (t != dtype_)
    detail::fail("dtype", "view holds ", dtype_name(dtype_), ", accessed as ", dtype_name(t));
}

double ConstTensorView::at2(std::int64_t i, std::int64_t j) const {
  const char* p = static_cast<const char*>(data_) +
                  (i * geo_.strides[0] + j * geo_.strides[1]) * std::int64_t(dtype_size(dtype_));
  return load_as<double>(p, dtype_);
}

void Tensor::Free::operator()(void* p) const { std::free(p); }

Tensor::Tensor(DType dtype, std::initializer_list<std::int64_t> shape)
    : Tensor(dtype, std::span<const std::int64_t>(shape.begin(), shape.size())) {}

Tensor::Tensor(DType dtype, std::span<const std::int64_t> shape)
    : dtype_(dtype), geo_(Geometry::contiguous(shape)) {
  // Round up to a whole cache line (aligned_alloc's contract) and never ask for zero bytes.
  std::size_t bytes = std::size_t(geo_.numel()) * dtype_size(dtype);
  bytes = (bytes + 63) / 64 * 64;
  if (bytes == 0) bytes = 64;
  void* p = std::aligned_alloc(64, bytes);
  if (!p) throw std::bad_alloc();
  data_.reset(p);
}

Tensor Tensor::zeros(DType dtype, std::span<const std::int64_t> shape) {
  Tensor t(dtype, shape);
  std::memset(t.data(), 0, std::size_t(t.numel()) * dtype_size(dtype));
  return t;
}

namespace {

// One contiguous-in-memory run of n elements (any element strides), typed: NumPy's cast rules
// (float -> int truncates toward zero and wraps, int -> int wraps).
template <class S, class D>
void convert_run(const S* s, std::int64_t ss, D* d, std::int64_t ds, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const S v = s[i * ss];
    if constexpr (std::is_integral_v<D> && std::is_floating_point_v<S>)
      d[i * ds] = truncate_wrap<D>(double(v));
    else if constexpr (std::is_integral_v<D>)
      d[i * ds] = D(std::int64_t(v));  // modular in C++20
    else
      d[i * ds] = D(v);
  }
}

template <class T>
constexpr bool real_v = std::is_arithmetic_v<T>;

}  // namespace

void copy(ConstTensorView src, TensorView dst) {
  if (src.rank() != dst.rank()) detail::fail("dst", "rank ", dst.rank(), " != src rank ", src.rank());
  for (int i = 0; i < src.rank(); ++i)
    if (src.dim(i) != dst.dim(i))
      detail::fail("dst", "shape ", dst.geometry().shape_string(), " != src shape ",
                   src.geometry().shape_string());
  const int rank = src.rank();
  const std::int64_t n = src.numel();
  const auto ss = std::int64_t(dtype_size(src.dtype())), ds = std::int64_t(dtype_size(dst.dtype()));
  if (n == 0) return;
  if (!is_complex(src.dtype()) && !is_complex(dst.dtype())) {
    // Typed runs along the last axis (rank 0: one element, a row of 1).
    const std::int64_t one = 1, zero = 0;
    const int r = rank ? rank : 1;
    const std::int64_t* shape = rank ? src.geometry().shape.data() : &one;
    const std::int64_t* ss_ = rank ? src.geometry().strides.data() : &zero;
    const std::int64_t* ds_ = rank ? dst.geometry().strides.data() : &zero;
    const std::int64_t len = shape[r - 1], sst = ss_[r - 1], dst_st = ds_[r - 1];
    visit_dtype(src.dtype(), [&](auto zs) {
      using S = decltype(zs);
      visit_dtype(dst.dtype(), [&](auto zd) {
        using D = decltype(zd);
        if constexpr (real_v<S> && real_v<D>) {
          for_each_row(r, shape, ss_, ds_, [&](std::int64_t so, std::int64_t doff) {
            const S* sp = static_cast<const S*>(src.data()) + so;
            D* dp = static_cast<D*>(dst.data()) + doff;
            if (std::is_same_v<S, D> && sst == 1 && dst_st == 1)
              std::memcpy(dp, sp, std::size_t(len) * sizeof(S));
            else
              convert_run(sp, sst, dp, dst_st, len);
          });
        }
      });
    });
    return;
  }
  std::array<std::int64_t, kMaxRank> idx{};
  for (std::int64_t e = 0; e < n; ++e) {
    std::int64_t so = 0, doff = 0;
    for (int i = 0; i < rank; ++i) {
      so += idx[i] * src.stride(i);
      doff += idx[i] * dst.stride(i);
    }
    convert_element(static_cast<const char*>(src.data()) + so * ss, src.dtype(),
                    static_cast<char*>(dst.data()) + doff * ds, dst.dtype());
    for (int i = rank - 1; i >= 0; --i) {
      if (++idx[i] < src.dim(i)) break;
      idx[i] = 0;
    }
  }
}

}  // namespace convkit
