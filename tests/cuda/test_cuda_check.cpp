// What runs without a GPU too: the checked-call macros and the device queries fail cleanly (an Error
// that names the call, the source line and CUDA's own error), and a CUDA engine without a device is
// refused with an Error rather than a crash.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "cuda/cuda_check.hpp"
#include "cuda/cuda_device.hpp"
#include "backend_registry.hpp"
#include "rnn_engine.hpp"

namespace vna {
namespace {

TEST(CudaCheck, FailingCudaCallThrowsWithCallLineAndReason) {
  try {
    VNA_CUDA(cudaSetDevice(-1));  // never a valid ordinal, with or without a GPU
    FAIL() << "cudaSetDevice(-1) succeeded";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cudaSetDevice(-1)"), std::string::npos) << what;
    EXPECT_NE(what.find("tests/cuda/test_cuda_check.cpp:"), std::string::npos) << what;
    EXPECT_NE(what.find("cudaError"), std::string::npos) << what;  // CUDA's error name
  }
}

TEST(CudaCheck, FailingCublasStatusThrowsWithItsName) {
  try {
    VNA_CUBLAS(CUBLAS_STATUS_NOT_INITIALIZED);
    FAIL() << "no exception";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("CUBLAS_STATUS_NOT_INITIALIZED"), std::string::npos) << e.what();
  }
}

TEST(CudaCheck, DeviceCountSaysWhyThereIsNone) {
  std::string why;
  const int count = cuda::deviceCount(&why);
  EXPECT_GE(count, 0);
  if (count == 0) {
    EXPECT_FALSE(why.empty());
  }
  EXPECT_EQ(cuda::listDevices().size(), static_cast<std::size_t>(count));
}

TEST(CudaCheck, CudaEngineWithoutDeviceIsAnError) {
  if (cuda::deviceCount() > 0) GTEST_SKIP() << "a CUDA device is present (this checks the machine without one)";
  EngineConfig config{CellKind::kVanilla2d, 8, Lattice::square(4, 4)};
  config.backend = Backend::kCuda;
  EXPECT_THROW(RnnEngine<float> engine(config), Error);
}

TEST(CudaCheck, BackendIsBuilt) {
  EXPECT_TRUE(cudaBackendBuilt());
  EXPECT_EQ(backendName(Backend::kCuda), "cuda");
}

}  // namespace
}  // namespace vna
