#pragma once
// An owning, growable array in CUDA device memory (cudaMalloc/cudaFree; never managed memory).
#include <cuda_runtime_api.h>

#include <cstddef>
#include <utility>

#include "cuda/cuda_check.hpp"

namespace vna {
namespace cuda {

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(std::size_t count) { reserve(count); }
  ~DeviceBuffer() { release(); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : data_(std::exchange(o.data_, nullptr)), capacity_(std::exchange(o.capacity_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    if (this != &o) {
      release();
      data_ = std::exchange(o.data_, nullptr);
      capacity_ = std::exchange(o.capacity_, 0);
    }
    return *this;
  }

  // Makes room for `count` elements; the contents are not kept when it grows.
  T* reserve(std::size_t count) {
    if (count <= capacity_) return data_;
    release();
    VNA_CUDA(cudaMalloc(reinterpret_cast<void**>(&data_), count * sizeof(T)));
    capacity_ = count;
    return data_;
  }
  T* data() const { return data_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t bytes() const { return capacity_ * sizeof(T); }

 private:
  void release() noexcept {
    if (data_ != nullptr) cudaFree(data_);  // a failure here has nothing to free or report to
    data_ = nullptr;
    capacity_ = 0;
  }
  T* data_ = nullptr;
  std::size_t capacity_ = 0;
};

}  // namespace cuda
}  // namespace vna
