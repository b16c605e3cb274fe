// A grow-only, 64-byte aligned scratch buffer, shared by the calls that run one at a time instead
// of each geometry holding its own (the default U-Net's primitive cache held 125 MB of blocked
// copies before the convolutions shared arenas).
#pragma once
#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace tgs {

// n rounded up to a whole 64-byte cache line.
inline size_t round_up64(size_t n) { return (n + 63) / 64 * 64; }

// Bytes every arena of the addon ever allocated: a growth check over many steps.
inline size_t g_arena_bytes_ever_allocated = 0;

class Arena {
 public:
  // At least n bytes, the old contents dropped when it grows.
  char* reserve(size_t n) {
    if (n > size_) {
      data_.reset(static_cast<char*>(std::aligned_alloc(64, round_up64(n))));
      if (!data_) throw std::bad_alloc();
      g_arena_bytes_ever_allocated += n;
      size_ = n;
    }
    return data_.get();
  }
  float* reserve_floats(size_t n) { return reinterpret_cast<float*>(reserve(n * sizeof(float))); }
  size_t size() const { return size_; }
  void release() {
    data_.reset();
    size_ = 0;
  }

 private:
  std::unique_ptr<char, decltype(&std::free)> data_{nullptr, &std::free};
  size_t size_ = 0;
};

}  // namespace tgs
