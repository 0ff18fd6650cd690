#pragma once
// What produced a result: build, libraries, machine and time. Stored with every output file and
// printed by `vna info`.
#include <string>
#include <vector>

namespace vna {

namespace build_info {
const char* gitCommit();
bool gitDirty();
}  // namespace build_info

struct LibraryVersions {
  std::string vna, compiler, build_type, mpi, hdf5, kokkos, kokkos_devices, yaml_cpp, eigen, fmt, cuda;
};

LibraryVersions libraryVersions();
std::string hostName();
// Threads per rank of the host execution space (Kokkos' concurrency: OMP_NUM_THREADS with the OpenMP
// backend, 1 with Serial). Needs Kokkos initialized.
int hostThreads();
// ISO 8601 UTC, e.g. 2026-11-23T10:59:47Z
std::string isoTimeNow();

}  // namespace vna
