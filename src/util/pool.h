#pragma once
// Reusable working memory for large temporaries (a padded input, a transposed gradient, a
// deconvolution's arrays): 64-byte aligned blocks handed out per call and returned to a pool
// (up to 512 MiB in all) for the next one. A fresh block of tens of MB costs a page fault per
// 4 KiB on every call (16% of a DCGAN layer's weight gradient); a pooled one is already mapped.
#include <cstddef>
#include <memory>

namespace convkit {

class PooledBuffer {
 public:
  PooledBuffer() = default;
  /// At least `bytes`, uninitialized (a pooled block holds its last user's data).
  explicit PooledBuffer(std::size_t bytes);
  ~PooledBuffer();
  PooledBuffer(PooledBuffer&&) noexcept = default;
  PooledBuffer& operator=(PooledBuffer&& other) noexcept;
  PooledBuffer(const PooledBuffer&) = delete;
  PooledBuffer& operator=(const PooledBuffer&) = delete;

  template <class T>
  T* as() const {
    return reinterpret_cast<T*>(block_.get());
  }

  struct Free {
    void operator()(std::byte* p) const;
  };

 private:
  void release();
  std::unique_ptr<std::byte[], Free> block_;
  std::size_t size_ = 0;
};

}  // namespace convkit
