// The pool behind PooledBuffer (util/pool.h).
#include "util/pool.h"

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace convkit {

namespace {

struct Block {
  std::unique_ptr<std::byte[], PooledBuffer::Free> mem;
  std::size_t size = 0;
};

// The free blocks; at most kKeep bytes are kept (the largest dropped first).
struct Pool {
  static constexpr std::size_t kKeep = std::size_t(512) << 20;
  std::mutex mutex;
  std::vector<Block> free;
  std::size_t bytes = 0;
};
Pool& pool() {
  static Pool* p = new Pool;  // never destroyed: buffers may be released during static teardown
  return *p;
}

}  // namespace

void PooledBuffer::Free::operator()(std::byte* p) const { std::free(p); }

PooledBuffer::PooledBuffer(std::size_t want) {
  Pool& p = pool();
  if (want > 0) {
    std::lock_guard<std::mutex> lock(p.mutex);
    // The smallest free block that fits (the list is short: a few per live call).
    auto best = p.free.end();
    for (auto it = p.free.begin(); it != p.free.end(); ++it)
      if (it->size >= want && (best == p.free.end() || it->size < best->size)) best = it;
    if (best != p.free.end()) {
      p.bytes -= best->size;
      block_ = std::move(best->mem);
      size_ = best->size;
      p.free.erase(best);
      return;
    }
  }
  const std::size_t bytes = std::max<std::size_t>((want + 63) / 64 * 64, 64);
  block_.reset(static_cast<std::byte*>(std::aligned_alloc(64, bytes)));
  if (!block_) throw std::bad_alloc();
  size_ = want;
}

PooledBuffer::~PooledBuffer() { release(); }

PooledBuffer& PooledBuffer::operator=(PooledBuffer&& other) noexcept {
  if (this != &other) {
    release();
    block_ = std::move(other.block_);
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

void PooledBuffer::release() {
  if (!block_) return;
  Pool& p = pool();
  std::lock_guard<std::mutex> lock(p.mutex);
  p.bytes += size_;
  p.free.push_back({std::move(block_), size_});
  size_ = 0;
  while (p.bytes > Pool::kKeep) {
    auto big = std::max_element(p.free.begin(), p.free.end(),
                                [](const Block& a, const Block& b) { return a.size < b.size; });
    p.bytes -= big->size;
    p.free.erase(big);
  }
}

}  // namespace convkit
