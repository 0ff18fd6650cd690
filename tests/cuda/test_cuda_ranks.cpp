// MPI ranks pick their GPU by node-local rank: rank r of a node uses device r mod (devices), so
// several ranks may share one GPU. Run with 1 and 2 ranks (one node here and on the GPU machine).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cuda_runtime_api.h>

#include "cuda/cuda_device.hpp"

namespace vna {
namespace {

TEST(CudaRanks, DeviceByNodeLocalRank) {
  std::string why;
  const int count = cuda::deviceCount(&why);
  if (count == 0) GTEST_SKIP() << "no CUDA device: " << why;
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  const cuda::DeviceChoice c = cuda::selectDeviceForRank(MPI_COMM_WORLD);
  // Origin: all ranks of this test run on one node, so the node-local rank is the world rank.
  EXPECT_EQ(c.node_ranks, size);
  EXPECT_EQ(c.node_rank, rank);
  EXPECT_EQ(c.device.index, rank % count);
  int current = -1;
  ASSERT_EQ(cudaGetDevice(&current), cudaSuccess);
  EXPECT_EQ(current, c.device.index);
  EXPECT_FALSE(c.device.name.empty());
}

}  // namespace
}  // namespace vna
