#pragma once
// CUDA devices: how many this process sees, what they are, and which one each MPI rank uses.
#include <mpi.h>

#include <cstddef>
#include <string>
#include <vector>

namespace vna {
namespace cuda {

struct DeviceInfo {
  int index = -1;
  std::string name;
  int cc_major = 0, cc_minor = 0;  // compute capability
  std::size_t memory_bytes = 0;
  int multiprocessors = 0;
};

// Devices this process sees; 0 when there is none or no usable driver (then `why`, if given, says
// which: cudaGetDeviceCount's error text). Never throws.
int deviceCount(std::string* why = nullptr);
// Every visible device (empty without any).
std::vector<DeviceInfo> listDevices();
DeviceInfo deviceInfo(int index);
// Free memory of the current device (cudaMemGetInfo); 0 when there is none. Never throws.
std::size_t freeMemoryBytes();

// Makes this rank use device (rank among the ranks of its node) mod (devices on the node): ranks of a
// node are found with MPI_Comm_split_type(MPI_COMM_TYPE_SHARED); several ranks may share a device.
// Collective over `comm`. Throws Error when this rank sees no device.
struct DeviceChoice {
  DeviceInfo device;
  int node_rank = 0, node_ranks = 1;
};
DeviceChoice selectDeviceForRank(MPI_Comm comm);

}  // namespace cuda
}  // namespace vna
