#include "cuda/cuda_device.hpp"

#include <cuda_runtime_api.h>

#include "core/error.hpp"
#include "core/mpi_comm.hpp"
#include "cuda/cuda_check.hpp"

namespace vna {
namespace cuda {

int deviceCount(std::string* why) {
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    if (why) *why = std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
    cudaGetLastError();  // clear the sticky-free error so that later calls start clean
    return 0;
  }
  if (count == 0 && why) *why = "no CUDA device is visible";
  return count;
}

DeviceInfo deviceInfo(int index) {
  cudaDeviceProp prop{};
  VNA_CUDA(cudaGetDeviceProperties(&prop, index));
  DeviceInfo d;
  d.index = index;
  d.name = prop.name;
  d.cc_major = prop.major;
  d.cc_minor = prop.minor;
  d.memory_bytes = prop.totalGlobalMem;
  d.multiprocessors = prop.multiProcessorCount;
  return d;
}

std::vector<DeviceInfo> listDevices() {
  std::vector<DeviceInfo> out;
  const int n = deviceCount();
  for (int i = 0; i < n; ++i) out.push_back(deviceInfo(i));
  return out;
}

std::size_t freeMemoryBytes() {
  std::size_t free_bytes = 0, total = 0;
  if (cudaMemGetInfo(&free_bytes, &total) != cudaSuccess) {
    cudaGetLastError();  // clear the error: this query never fails a run
    return 0;
  }
  return free_bytes;
}

DeviceChoice selectDeviceForRank(MPI_Comm comm) {
  int world_rank = 0;
  VNA_MPI_CHECK(MPI_Comm_rank(comm, &world_rank));
  MPI_Comm node = MPI_COMM_NULL;
  VNA_MPI_CHECK(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, world_rank, MPI_INFO_NULL, &node));
  DeviceChoice c;
  const int rank_status = MPI_Comm_rank(node, &c.node_rank);
  const int size_status = MPI_Comm_size(node, &c.node_ranks);
  const int free_status = MPI_Comm_free(&node);
  VNA_MPI_CHECK(rank_status);
  VNA_MPI_CHECK(size_status);
  VNA_MPI_CHECK(free_status);
  std::string why;
  const int count = deviceCount(&why);
  if (count == 0) throw Error("selectDeviceForRank: rank " + std::to_string(world_rank) + " sees no CUDA device (" + why + ")");
  const int device = c.node_rank % count;
  VNA_CUDA(cudaSetDevice(device));
  c.device = deviceInfo(device);
  return c;
}

}  // namespace cuda
}  // namespace vna
