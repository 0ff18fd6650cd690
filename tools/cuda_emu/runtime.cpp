// Host emulation of the CUDA runtime, of the device builtins and of the cuBLAS calls that vna's CUDA
// backend uses (see include/cuda_runtime.h and README.md). Single host thread; the threads of a block
// are ucontext coroutines switched at barriers.
#include <ucontext.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "cublas_v2.h"
#include "cuda_runtime.h"

namespace vna {
namespace emu {
namespace {

constexpr int kWarp = 32;
constexpr std::size_t kStackBytes = 256 * 1024;

enum class Wait { kNone, kBlock, kWarp };

struct Fiber {
  ucontext_t context;
  char* stack = nullptr;
  ThreadState state;
  bool done = false;
  Wait wait = Wait::kNone;
};

struct BlockRun {
  std::vector<Fiber> fibers;
  ucontext_t scheduler;
  int current = -1;
  void (*call)(void*) = nullptr;
  void* context = nullptr;
  int live = 0, block_arrived = 0;
  std::vector<int> warp_live, warp_arrived;
  std::vector<std::array<std::array<unsigned char, 16>, kWarp>> exchange;
  std::vector<unsigned char> shared;
  std::vector<char*> stacks;  // reused from block to block
};

BlockRun* g_run = nullptr;
const ThreadState g_host{};

Fiber& self() { return g_run->fibers[g_run->current]; }
int warpOf(const Fiber& f) { return static_cast<int>(f.state.thread_idx.x) / kWarp; }

void yieldToScheduler() { swapcontext(&self().context, &g_run->scheduler); }

void releaseBlock() {
  g_run->block_arrived = 0;
  for (Fiber& f : g_run->fibers)
    if (f.wait == Wait::kBlock) f.wait = Wait::kNone;
}
void releaseWarp(int w) {
  g_run->warp_arrived[w] = 0;
  for (Fiber& f : g_run->fibers)
    if (f.wait == Wait::kWarp && warpOf(f) == w) f.wait = Wait::kNone;
}

void fiberEntry() {
  g_run->call(g_run->context);
  Fiber& f = self();
  f.done = true;
  const int w = warpOf(f);
  --g_run->live;
  --g_run->warp_live[w];
  // An exited thread no longer holds back a barrier (as on GPUs since Volta for __syncthreads).
  if (g_run->block_arrived > 0 && g_run->block_arrived >= g_run->live) releaseBlock();
  if (g_run->warp_arrived[w] > 0 && g_run->warp_arrived[w] >= g_run->warp_live[w]) releaseWarp(w);
  swapcontext(&f.context, &g_run->scheduler);
}

[[noreturn]] void deadlock() {
  std::fprintf(stderr, "cuda_emu: deadlock: threads wait at barriers that cannot complete (block %u)\n",
               g_run->fibers.empty() ? 0u : g_run->fibers[0].state.block_idx.x);
  for (const Fiber& f : g_run->fibers)
    if (!f.done)
      std::fprintf(stderr, "  thread %u waits at %s\n", f.state.thread_idx.x,
                   f.wait == Wait::kBlock ? "__syncthreads" : "__syncwarp/shuffle");
  std::abort();
}

}  // namespace

const ThreadState& current() { return g_run != nullptr && g_run->current >= 0 ? self().state : g_host; }
unsigned char* dynamicShared() { return g_run->shared.data(); }
int laneId() { return static_cast<int>(self().state.thread_idx.x) % kWarp; }

void syncThreads() {
  if (++g_run->block_arrived >= g_run->live) {
    releaseBlock();
    return;
  }
  self().wait = Wait::kBlock;
  yieldToScheduler();
}

void syncWarp() {
  const int w = warpOf(self());
  if (++g_run->warp_arrived[w] >= g_run->warp_live[w]) {
    releaseWarp(w);
    return;
  }
  self().wait = Wait::kWarp;
  yieldToScheduler();
}

void exchange(const void* mine, void* theirs, std::size_t bytes, int source) {
  const int w = warpOf(self());
  std::memcpy(g_run->exchange[w][laneId()].data(), mine, bytes);
  syncWarp();
  std::memcpy(theirs, g_run->exchange[w][source].data(), bytes);
  syncWarp();
}

void runGridErased(unsigned blocks, unsigned threads, std::size_t smem, void (*call)(void*), void* context) {
  if (g_run != nullptr) throw std::logic_error("cuda_emu: a kernel launched from a kernel");
  BlockRun run;
  run.call = call;
  run.context = context;
  run.shared.assign(std::max<std::size_t>(smem, 16), 0);  // exactly the launch's bytes (see cudaMalloc)
  g_run = &run;
  for (unsigned b = 0; b < blocks; ++b) {
    run.fibers.assign(threads, Fiber{});
    const int warps = static_cast<int>((threads + kWarp - 1) / kWarp);
    run.warp_live.assign(warps, 0);
    run.warp_arrived.assign(warps, 0);
    run.exchange.resize(warps);
    run.live = static_cast<int>(threads);
    run.block_arrived = 0;
    // Shared memory starts as garbage on a GPU: a recognizable pattern instead of zeros.
    std::memset(run.shared.data(), 0x7f, run.shared.size());
    while (run.stacks.size() < threads) run.stacks.push_back(static_cast<char*>(std::malloc(kStackBytes)));
    for (unsigned t = 0; t < threads; ++t) {
      Fiber& f = run.fibers[t];
      f.state.thread_idx = dim3(t);
      f.state.block_idx = dim3(b);
      f.state.block_dim = dim3(threads);
      f.state.grid_dim = dim3(blocks);
      ++run.warp_live[t / kWarp];
      f.stack = run.stacks[t];
      getcontext(&f.context);
      f.context.uc_stack.ss_sp = f.stack;
      f.context.uc_stack.ss_size = kStackBytes;
      f.context.uc_link = nullptr;
      makecontext(&f.context, fiberEntry, 0);
    }
    int finished = 0;
    for (int t = 0; finished < static_cast<int>(threads);) {
      int tried = 0;
      while (tried < static_cast<int>(threads) && (run.fibers[t].done || run.fibers[t].wait != Wait::kNone)) {
        t = (t + 1) % static_cast<int>(threads);
        ++tried;
      }
      if (tried == static_cast<int>(threads)) deadlock();
      run.current = t;
      swapcontext(&run.scheduler, &run.fibers[t].context);
      run.current = -1;
      if (run.fibers[t].done) ++finished;
      t = (t + 1) % static_cast<int>(threads);
    }
  }
  for (char* s : run.stacks) std::free(s);
  g_run = nullptr;
}

}  // namespace emu
}  // namespace vna

// ---------------------------------------------------------------- runtime API

namespace {
cudaError_t g_last = cudaSuccess;
int g_device = 0;
cudaError_t fail(cudaError_t e) {
  g_last = e;
  return e;
}
double nowMs() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

struct CUevent_st {
  double ms = 0;
};
struct CUstream_st {};

const char* cudaGetErrorName(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorNoDevice: return "cudaErrorNoDevice";
    case cudaErrorInvalidDevice: return "cudaErrorInvalidDevice";
  }
  return "cudaErrorUnknown";
}
const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorNoDevice: return "no CUDA-capable device is detected";
    case cudaErrorInvalidDevice: return "invalid device ordinal";
  }
  return "unknown error";
}
cudaError_t cudaGetLastError() {
  const cudaError_t e = g_last;
  g_last = cudaSuccess;
  return e;
}
cudaError_t cudaGetDeviceCount(int* count) {
  *count = 1;
  return cudaSuccess;
}
cudaError_t cudaGetDevice(int* device) {
  *device = g_device;
  return cudaSuccess;
}
cudaError_t cudaSetDevice(int device) {
  if (device != 0) return fail(cudaErrorInvalidDevice);
  g_device = device;
  return cudaSuccess;
}
cudaError_t cudaGetDeviceProperties(cudaDeviceProp* prop, int device) {
  if (device != 0) return fail(cudaErrorInvalidDevice);
  *prop = cudaDeviceProp{};
  std::snprintf(prop->name, sizeof prop->name, "vna CUDA host emulation (H100-like limits)");
  prop->major = 9;
  prop->minor = 0;
  prop->multiProcessorCount = 132;
  prop->totalGlobalMem = std::size_t(16) << 30;
  prop->sharedMemPerBlockOptin = 227 * 1024;
  prop->sharedMemPerBlock = 48 * 1024;
  return cudaSuccess;
}
cudaError_t cudaDeviceGetAttribute(int* value, cudaDeviceAttr, int) {
  *value = 1755000;  // kHz
  return cudaSuccess;
}
cudaError_t cudaMemGetInfo(std::size_t* free_bytes, std::size_t* total) {
  *total = std::size_t(16) << 30;
  *free_bytes = *total;
  return cudaSuccess;
}
// Exactly `bytes` (256-aligned, as cudaMalloc): under AddressSanitizer an access past the end is reported.
cudaError_t cudaMalloc(void** ptr, std::size_t bytes) {
  *ptr = ::operator new(std::max<std::size_t>(bytes, 1), std::align_val_t(256), std::nothrow);
  if (*ptr == nullptr) return fail(cudaErrorMemoryAllocation);
  std::memset(*ptr, 0x7f, bytes);  // device memory starts as garbage: not zeros
  return cudaSuccess;
}
cudaError_t cudaFree(void* ptr) {
  if (ptr != nullptr) ::operator delete(ptr, std::align_val_t(256));
  return cudaSuccess;
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind, cudaStream_t) {
  if (bytes > 0) std::memmove(dst, src, bytes);
  return cudaSuccess;
}
cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind) {
  return cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
}
cudaError_t cudaMemsetAsync(void* dst, int value, std::size_t bytes, cudaStream_t) {
  std::memset(dst, value, bytes);
  return cudaSuccess;
}
cudaError_t cudaStreamCreateWithFlags(cudaStream_t* stream, unsigned) {
  *stream = new CUstream_st;
  return cudaSuccess;
}
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
  delete stream;
  return cudaSuccess;
}
cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
cudaError_t cudaEventCreate(cudaEvent_t* event) {
  *event = new CUevent_st;
  return cudaSuccess;
}
cudaError_t cudaEventDestroy(cudaEvent_t event) {
  delete event;
  return cudaSuccess;
}
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t) {
  event->ms = nowMs();
  return cudaSuccess;
}
cudaError_t cudaEventElapsedTime(float* ms, cudaEvent_t start, cudaEvent_t end) {
  *ms = static_cast<float>(end->ms - start->ms);
  return cudaSuccess;
}
cudaError_t cudaFuncSetAttribute(const void*, cudaFuncAttribute, int) { return cudaSuccess; }
cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(int* blocks, const void*, int block_size,
                                                          std::size_t smem_bytes) {
  *blocks = block_size <= 1024 && smem_bytes <= 227 * 1024 ? 1 : 0;
  return cudaSuccess;
}

// ---------------------------------------------------------------- cuBLAS

struct cublasContext {};

cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  *handle = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasDestroy(cublasHandle_t handle) {
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}
cublasStatus_t cublasSetStream(cublasHandle_t, cudaStream_t) { return CUBLAS_STATUS_SUCCESS; }
cublasStatus_t cublasSetMathMode(cublasHandle_t, cublasMath_t) { return CUBLAS_STATUS_SUCCESS; }
const char* cublasGetStatusName(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}
const char* cublasGetStatusString(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "the library was not initialized";
    case CUBLAS_STATUS_INVALID_VALUE: return "an invalid numeric value was used as an argument";
  }
  return "unknown error";
}

namespace {
template <class T>
cublasStatus_t gemmStridedBatched(cublasOperation_t ta, cublasOperation_t tb, int m, int n, int k, T alpha,
                                  const T* A, int lda, long long sa, const T* B, int ldb, long long sb, T beta, T* C,
                                  int ldc, long long sc, int batch) {
  if (m < 0 || n < 0 || k < 0 || batch < 0 || ldc < std::max(1, m)) return CUBLAS_STATUS_INVALID_VALUE;
  if (lda < std::max(1, ta == CUBLAS_OP_N ? m : k) || ldb < std::max(1, tb == CUBLAS_OP_N ? k : n))
    return CUBLAS_STATUS_INVALID_VALUE;
  for (int b = 0; b < batch; ++b) {
    const T* a = A + b * sa;
    const T* bb = B + b * sb;
    T* c = C + b * sc;
    for (int j = 0; j < n; ++j)
      for (int i = 0; i < m; ++i) {
        T sum = T(0);
        for (int l = 0; l < k; ++l) {
          const T x = ta == CUBLAS_OP_N ? a[i + static_cast<long long>(l) * lda] : a[l + static_cast<long long>(i) * lda];
          const T y = tb == CUBLAS_OP_N ? bb[l + static_cast<long long>(j) * ldb] : bb[j + static_cast<long long>(l) * ldb];
          sum += x * y;
        }
        T& out = c[i + static_cast<long long>(j) * ldc];
        out = beta == T(0) ? alpha * sum : alpha * sum + beta * out;  // beta = 0: C is not read (may be garbage)
      }
  }
  return CUBLAS_STATUS_SUCCESS;
}
}  // namespace

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                         int k, const float* alpha, const float* A, int lda, long long sa,
                                         const float* B, int ldb, long long sb, const float* beta, float* C, int ldc,
                                         long long sc, int batch) {
  return gemmStridedBatched<float>(ta, tb, m, n, k, *alpha, A, lda, sa, B, ldb, sb, *beta, C, ldc, sc, batch);
}
cublasStatus_t cublasDgemmStridedBatched(cublasHandle_t, cublasOperation_t ta, cublasOperation_t tb, int m, int n,
                                         int k, const double* alpha, const double* A, int lda, long long sa,
                                         const double* B, int ldb, long long sb, const double* beta, double* C,
                                         int ldc, long long sc, int batch) {
  return gemmStridedBatched<double>(ta, tb, m, n, k, *alpha, A, lda, sa, B, ldb, sb, *beta, C, ldc, sc, batch);
}
