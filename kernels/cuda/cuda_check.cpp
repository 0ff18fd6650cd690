#include "cuda/cuda_check.hpp"

#include <string>

#include "core/error.hpp"

namespace vna {
namespace cuda {

namespace {
// The path from the source root on (kernels/cuda/x.cu), not the build machine's absolute path.
std::string sourceLocation(const char* file, int line) {
  std::string f(file);
  for (const char* root : {"/kernels/", "/src/", "/tests/", "/tools/"}) {
    const auto pos = f.rfind(root);
    if (pos != std::string::npos) {
      f = f.substr(pos + 1);
      break;
    }
  }
  return f + ":" + std::to_string(line);
}
}  // namespace

void throwCudaError(cudaError_t status, const char* call, const char* file, int line) {
  throw Error(std::string("CUDA call ") + call + " failed at " + sourceLocation(file, line) + ": " +
              cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

void throwCublasError(cublasStatus_t status, const char* call, const char* file, int line) {
  throw Error(std::string("cuBLAS call ") + call + " failed at " + sourceLocation(file, line) + ": " +
              cublasGetStatusName(status) + " (" + cublasGetStatusString(status) + ")");
}

}  // namespace cuda
}  // namespace vna
