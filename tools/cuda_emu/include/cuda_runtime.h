#pragma once
// Host emulation of what vna's CUDA kernels use on the device (tools/cuda_emu/README.md): the
// qualifiers, the vector types, the thread indices, block and warp barriers, warp shuffles, __ldg,
// atomicAdd and dynamic shared memory. A launch runs its blocks one after the other; the threads of a
// block run as coroutines in one host thread, switched at every barrier (so the barriers and
// shuffles have CUDA's semantics for converged warps), and a barrier that can never complete is
// reported instead of hanging. Compiled only with VNA_CUDA_EMULATION.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cuda_runtime_api.h"

// CUDA's math functions are global overloads for float and double.
using std::exp;
using std::fma;
using std::log1p;

#define __host__
#define __device__
#define __global__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) alignas(n)

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3() = default;
  dim3(unsigned x_, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

struct alignas(8) float2 { float x, y; };
struct alignas(16) float4 { float x, y, z, w; };
struct alignas(16) double2 { double x, y; };

namespace vna {
namespace emu {

struct ThreadState {
  dim3 thread_idx, block_idx, block_dim, grid_dim;
};
const ThreadState& current();
unsigned char* dynamicShared();
void syncThreads();
void syncWarp();
// Lane `lane` of the calling thread's warp reads `bytes` bytes that its lane `source` wrote.
void exchange(const void* mine, void* theirs, std::size_t bytes, int source_of_mine);
int laneId();

// Runs body() once per thread of every block of a grid (blocks × threads, `smem` bytes of dynamic
// shared memory per block).
template <class F>
void runGrid(unsigned blocks, unsigned threads, std::size_t smem, F&& body);
void runGridErased(unsigned blocks, unsigned threads, std::size_t smem, void (*call)(void*), void* context);
template <class F>
void runGrid(unsigned blocks, unsigned threads, std::size_t smem, F&& body) {
  runGridErased(blocks, threads, smem, [](void* f) { (*static_cast<std::remove_reference_t<F>*>(f))(); }, &body);
}

template <class... P>
struct BoundKernel {
  void (*kernel)(P...);
  unsigned blocks, threads;
  std::size_t smem;
  template <class... A>
  void operator()(A&&... args) const {
    std::tuple<std::decay_t<P>...> copies(std::forward<A>(args)...);  // by value, as a launch copies them
    runGrid(blocks, threads, smem, [&] { std::apply(kernel, copies); });
  }
};
struct Launch {
  unsigned blocks, threads;
  std::size_t smem;
  template <class... P>
  BoundKernel<P...> of(void (*kernel)(P...)) const {
    return {kernel, blocks, threads, smem};
  }
};

}  // namespace emu
}  // namespace vna

#define threadIdx (::vna::emu::current().thread_idx)
#define blockIdx (::vna::emu::current().block_idx)
#define blockDim (::vna::emu::current().block_dim)
#define gridDim (::vna::emu::current().grid_dim)

inline void __syncthreads() { ::vna::emu::syncThreads(); }
inline void __syncwarp(unsigned = 0xffffffffu) { ::vna::emu::syncWarp(); }

template <class T>
inline T __shfl_sync(unsigned, T value, int source) {
  T out;
  ::vna::emu::exchange(&value, &out, sizeof(T), source & 31);
  return out;
}
template <class T>
inline T __shfl_xor_sync(unsigned, T value, int mask) {
  T out;
  ::vna::emu::exchange(&value, &out, sizeof(T), (::vna::emu::laneId() ^ mask) & 31);
  return out;
}
template <class T>
inline T __ldg(const T* p) {
  return *p;
}
// One host thread runs every emulated thread: plain read-modify-write is atomic here.
template <class T>
inline T atomicAdd(T* address, T value) {
  const T old = *address;
  *address = old + value;
  return old;
}
