#pragma once
// Checked CUDA and cuBLAS calls: a failing call throws vna::Error naming the call, the file and line,
// and the library's error name and text, in every build type (like VNA_MPI_CHECK and VNA_H5).
// Kernel launches are followed by VNA_CUDA(cudaGetLastError()).
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

namespace vna {
namespace cuda {

[[noreturn]] void throwCudaError(cudaError_t status, const char* call, const char* file, int line);
[[noreturn]] void throwCublasError(cublasStatus_t status, const char* call, const char* file, int line);

inline void checkCuda(cudaError_t status, const char* call, const char* file, int line) {
  if (status != cudaSuccess) throwCudaError(status, call, file, line);
}
inline void checkCublas(cublasStatus_t status, const char* call, const char* file, int line) {
  if (status != CUBLAS_STATUS_SUCCESS) throwCublasError(status, call, file, line);
}

}  // namespace cuda
}  // namespace vna

#define VNA_CUDA(call) ::vna::cuda::checkCuda((call), #call, __FILE__, __LINE__)
#define VNA_CUBLAS(call) ::vna::cuda::checkCublas((call), #call, __FILE__, __LINE__)
