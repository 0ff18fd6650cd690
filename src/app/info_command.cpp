// `vna info`: what this build can run on: backends, devices, ranks, library versions, git commit.
#include <Kokkos_Core.hpp>
#include <sstream>

#include "app/command.hpp"
#include "core/provenance.hpp"
#ifdef VNA_HAVE_CUDA
#include "cuda/cuda_device.hpp"
#endif

namespace vna {

nlohmann::json runInfo(const Comm& comm, const Log& log) {
  const LibraryVersions v = libraryVersions();
  nlohmann::json j;
  j["vna_version"] = v.vna;
  j["git_commit"] = build_info::gitCommit();
  j["git_dirty"] = build_info::gitDirty();
  j["mpi_ranks"] = comm.size();
  j["threads_per_rank"] = hostThreads();
  j["hostname"] = hostName();
  j["backends"] = nlohmann::json::array({"kokkos"});
  if (v.cuda != "not built") j["backends"].push_back("cuda");
  j["kokkos"] = {{"version", v.kokkos}, {"default_execution_space", v.kokkos_devices}};
  j["cuda"] = {{"built", v.cuda != "not built"}, {"toolkit", v.cuda}, {"devices", nlohmann::json::array()}};
  j["libraries"] = {{"mpi", v.mpi}, {"hdf5", v.hdf5}, {"yaml_cpp", v.yaml_cpp}, {"eigen", v.eigen},
                    {"fmt", v.fmt}, {"compiler", v.compiler}, {"build_type", v.build_type}};
  log.info("vna {} (git {}{})", v.vna, build_info::gitCommit(), build_info::gitDirty() ? ", modified" : "");
  log.info("  host             {}", hostName());
  log.info("  MPI ranks        {}  ({})", comm.size(), v.mpi);
  log.info("  threads per rank {}  (Kokkos {}; OMP_NUM_THREADS with the OpenMP backend)", hostThreads(),
           Kokkos::DefaultHostExecutionSpace::name());
  log.info("  backends         kokkos [{}]{}", v.kokkos_devices,
           v.cuda != "not built" ? fmt::format(", cuda [toolkit {}]", v.cuda) : std::string(", cuda not built"));
#ifdef VNA_HAVE_CUDA
  // The devices this rank sees (rank 0 reports); backend.device: auto uses them when every rank sees one.
  std::string why;
  if (cuda::deviceCount(&why) == 0) {
    j["cuda"]["devices_error"] = why;
    log.info("  CUDA devices     none ({})", why);
  }
  for (const cuda::DeviceInfo& d : cuda::listDevices()) {
    j["cuda"]["devices"].push_back({{"index", d.index},
                                    {"name", d.name},
                                    {"compute_capability", fmt::format("{}.{}", d.cc_major, d.cc_minor)},
                                    {"memory_bytes", d.memory_bytes},
                                    {"multiprocessors", d.multiprocessors}});
    log.info("  CUDA device {}    {} (compute capability {}.{}, {:.1f} GiB, {} multiprocessors)", d.index, d.name,
             d.cc_major, d.cc_minor, static_cast<double>(d.memory_bytes) / (1024.0 * 1024.0 * 1024.0),
             d.multiprocessors);
  }
#endif
  log.info("  Kokkos           {}", v.kokkos);
  log.info("  HDF5             {}", v.hdf5);
  log.info("  yaml-cpp {}, Eigen {}, fmt {}", v.yaml_cpp, v.eigen, v.fmt);
  log.info("  compiler         {} ({})", v.compiler, v.build_type);
  return j;
}

}  // namespace vna
