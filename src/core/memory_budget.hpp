#pragma once
// How much memory and disk a job may use, measured before it allocates anything, so that a job that
// cannot fit is an input error naming the keys to lower rather than an allocation failure hours in.
//
// Host memory per rank: the memory available on the node (MemAvailable of /proc/meminfo), lowered to
// what the job's cgroup still allows (SLURM's --mem: memory.max − memory.current, cgroup v2, or the v1
// limit − usage), divided by the ranks on the node, and the minimum over the job's ranks (every rank
// reaches the same verdict). VNA_MEMORY_LIMIT (bytes, or with a K/M/G/T suffix) caps it per rank.
// GPU memory per rank (CUDA builds, when the CUDA backend runs): the device's free memory divided by
// the ranks of the node sharing the device.
#include <cstdint>
#include <string>

#include "core/mpi_comm.hpp"

namespace vna {

struct MemoryBudget {
  double bytes = 0;         // per rank
  int node_ranks = 1;       // ranks sharing the node (or the device)
  std::string origin;       // "MemAvailable", "cgroup limit", "VNA_MEMORY_LIMIT"
};

// Collective.
MemoryBudget hostMemoryPerRank(const Comm& comm);

// Free bytes on the file system holding `folder` (statvfs; infinity when unknown). Rank 0's view is
// broadcast. Collective.
double freeDiskBytes(const Comm& comm, const std::string& folder);

// "1.5 GiB", "76.3 GiB", "512 MiB".
std::string formatBytes(double bytes);

// Parses "2G", "512M", "1000000" (bytes); returns a negative value when malformed.
double parseByteSize(const std::string& text);

}  // namespace vna
