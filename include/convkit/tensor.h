#pragma once
/// \file tensor.h
/// Strided views over memory you own, and an owning, 64-byte-aligned Tensor.
///
/// Shapes and strides count elements, not bytes; strides may be zero or negative,
/// so transposes, flips and crops are views, never copies.
///
///   std::vector<float> pixels(480 * 640);
///   convkit::ConstTensorView img(pixels.data(), convkit::DType::f32, {480, 640});
///   convkit::Tensor out = convkit::filter2d(img, -1, kernel);

#include <array>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>

#include "convkit/dtype.h"

namespace convkit {

constexpr int kMaxRank = 4;

/// How the axes of an image are laid out.
enum class Layout : std::uint8_t {
  HW,   ///< one channel
  HWC,  ///< interleaved channels (OpenCV, PNG)
  CHW,  ///< planar channels
};

/// Shape and element strides of a view (rank 0..4).
struct Geometry {
  int rank = 0;
  std::array<std::int64_t, kMaxRank> shape{};
  std::array<std::int64_t, kMaxRank> strides{};

  std::int64_t numel() const;
  bool is_contiguous() const;
  /// Row-major strides for `shape`.
  static Geometry contiguous(std::span<const std::int64_t> shape);
  std::string shape_string() const;  ///< "(480, 640, 3)"
};

/// A read-only strided view.
class ConstTensorView {
 public:
  ConstTensorView() = default;
  /// Contiguous (row-major) view.
  ConstTensorView(const void* data, DType dtype, std::initializer_list<std::int64_t> shape);
  ConstTensorView(const void* data, DType dtype, std::span<const std::int64_t> shape);
  /// View with explicit element strides.
  ConstTensorView(const void* data, DType dtype, std::span<const std::int64_t> shape,
                  std::span<const std::int64_t> strides);
  ConstTensorView(const void* data, DType dtype, const Geometry& geometry);

  const void* data() const { return data_; }
  DType dtype() const { return dtype_; }
  int rank() const { return geo_.rank; }
  std::int64_t dim(int i) const { return geo_.shape[i]; }
  std::int64_t stride(int i) const { return geo_.strides[i]; }
  std::int64_t numel() const { return geo_.numel(); }
  bool empty() const { return numel() == 0; }
  bool is_contiguous() const { return geo_.is_contiguous(); }
  const Geometry& geometry() const { return geo_; }

  /// Typed pointer; throws convkit::Error if T does not match dtype().
  template <class T>
  const T* data_as() const {
    check_type(dtype_of<T>());
    return static_cast<const T*>(data_);
  }
  /// Element (i, j) of a rank-2 view as a double (for small things like kernels).
  double at2(std::int64_t i, std::int64_t j) const;

 protected:
  void check_type(DType t) const;
  const void* data_ = nullptr;
  DType dtype_ = DType::f32;
  Geometry geo_;
};

/// A writable strided view.
class TensorView : public ConstTensorView {
 public:
  TensorView() = default;
  TensorView(void* data, DType dtype, std::initializer_list<std::int64_t> shape)
      : ConstTensorView(data, dtype, shape) {}
  TensorView(void* data, DType dtype, std::span<const std::int64_t> shape)
      : ConstTensorView(data, dtype, shape) {}
  TensorView(void* data, DType dtype, std::span<const std::int64_t> shape,
             std::span<const std::int64_t> strides)
      : ConstTensorView(data, dtype, shape, strides) {}
  TensorView(void* data, DType dtype, const Geometry& geometry)
      : ConstTensorView(data, dtype, geometry) {}

  void* data() const { return const_cast<void*>(data_); }
  template <class T>
  T* data_as() const {
    check_type(dtype_of<T>());
    return static_cast<T*>(const_cast<void*>(data_));
  }
};

/// An owning, contiguous, 64-byte-aligned tensor. Its elements start uninitialized (every
/// convkit function overwrites its whole output, so zeroing would be a wasted pass over memory);
/// `Tensor::zeros` gives a zero-filled one.
class Tensor {
 public:
  Tensor() = default;
  Tensor(DType dtype, std::initializer_list<std::int64_t> shape);
  Tensor(DType dtype, std::span<const std::int64_t> shape);
  static Tensor zeros(DType dtype, std::span<const std::int64_t> shape);
  static Tensor zeros(DType dtype, std::initializer_list<std::int64_t> shape) {
    return zeros(dtype, std::span<const std::int64_t>(shape.begin(), shape.size()));
  }

  DType dtype() const { return dtype_; }
  int rank() const { return geo_.rank; }
  std::int64_t dim(int i) const { return geo_.shape[i]; }
  std::int64_t numel() const { return geo_.numel(); }
  const Geometry& geometry() const { return geo_; }
  void* data() { return data_.get(); }
  const void* data() const { return data_.get(); }
  template <class T>
  T* data_as() { return view().data_as<T>(); }
  template <class T>
  const T* data_as() const { return cview().data_as<T>(); }

  TensorView view() { return TensorView(data_.get(), dtype_, geo_); }
  ConstTensorView cview() const { return ConstTensorView(data_.get(), dtype_, geo_); }
  operator TensorView() { return view(); }
  operator ConstTensorView() const { return cview(); }

 private:
  struct Free {
    void operator()(void* p) const;
  };
  DType dtype_ = DType::f32;
  Geometry geo_;
  std::unique_ptr<void, Free> data_;
};

/// Copies `src` into `dst` (same shape), converting the element type with NumPy's casting.
void copy(ConstTensorView src, TensorView dst);

}  // namespace convkit
