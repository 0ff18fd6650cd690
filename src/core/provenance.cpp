#include "core/provenance.hpp"

#include <fmt/format.h>
#include <hdf5.h>
#include <mpi.h>
#include <unistd.h>

#include <Eigen/Core>
#include <Kokkos_Core.hpp>
#include <chrono>
#include <ctime>

#include "core/mpi_comm.hpp"

namespace vna {

LibraryVersions libraryVersions() {
  LibraryVersions v;
  v.vna = VNA_VERSION;
#if defined(__clang__)
  v.compiler = fmt::format("clang {}.{}.{}", __clang_major__, __clang_minor__, __clang_patchlevel__);
#elif defined(__GNUC__)
  v.compiler = fmt::format("gcc {}.{}.{}", __GNUC__, __GNUC_MINOR__, __GNUC_PATCHLEVEL__);
#else
  v.compiler = "unknown";
#endif
  v.build_type = VNA_BUILD_TYPE;
  char mpi_text[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  VNA_MPI_CHECK(MPI_Get_library_version(mpi_text, &len));
  v.mpi = std::string(mpi_text, len);
  while (!v.mpi.empty() && (v.mpi.back() == '\n' || v.mpi.back() == '\0')) v.mpi.pop_back();
  if (auto comma = v.mpi.find(','); comma != std::string::npos) v.mpi = v.mpi.substr(0, comma);
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  v.hdf5 = fmt::format("{}.{}.{} (parallel)", maj, min, rel);
  v.kokkos = fmt::format("{}.{}.{}", KOKKOS_VERSION / 10000, KOKKOS_VERSION / 100 % 100, KOKKOS_VERSION % 100);
  v.kokkos_devices = Kokkos::DefaultExecutionSpace::name();
  v.yaml_cpp = VNA_YAML_CPP_VERSION;
  v.eigen = fmt::format("{}.{}.{}", EIGEN_WORLD_VERSION, EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION);
  v.fmt = fmt::format("{}.{}.{}", FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100);
#ifdef VNA_HAVE_CUDA
  v.cuda = VNA_CUDA_VERSION;
#else
  v.cuda = "not built";
#endif
  return v;
}

int hostThreads() { return Kokkos::DefaultHostExecutionSpace().concurrency(); }

std::string hostName() {
  char name[256] = {0};
  if (gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

std::string isoTimeNow() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace vna
