#include "network/backend_selection.hpp"

#include <fmt/format.h>

#include "backend_registry.hpp"
#include "config/config.hpp"
#include "core/mpi_comm.hpp"
#ifdef VNA_HAVE_CUDA
#include "cuda/cuda_device.hpp"
#endif

namespace vna {

std::string selectBackend(const Config& c, const AnsatzSpec* ansatz) {
  const std::string device = c.getString("backend.device");
#ifdef VNA_HAVE_CUDA
  if (device != "cpu") {
    const Comm world;
    std::string why;
    const int visible = cuda::deviceCount(&why);
    // Every rank must reach the same choice: the GPU backend only where every rank sees a device.
    const bool everywhere = world.min(static_cast<double>(visible)) > 0;
    if (device == "cuda" && !everywhere)
      c.fail("backend.device", world.max(static_cast<double>(visible)) > 0
                                   ? std::string("cuda: some MPI ranks see no CUDA device; use cpu or auto")
                                   : fmt::format("cuda: no usable CUDA device ({}); use cpu or auto", why));
    if (everywhere) {
      const cuda::DeviceChoice choice = cuda::selectDeviceForRank(world.raw());
      setDefaultBackend(Backend::kCuda);
      std::string name = choice.device.name;
      world.broadcast(name);
      const std::string gap = ansatz ? cellNotCovered(Backend::kCuda, ansatz->cell) : std::string();
      return fmt::format("cuda ({}; rank r uses node-local device r mod devices{})", name,
                         gap.empty() ? "" : fmt::format("; {}: the network runs on kokkos", gap));
    }
  }
#else
  if (device == "cuda")
    c.fail("backend.device", "cuda: this vna was built without the CUDA backend (see `vna info`); use cpu or auto");
  (void)ansatz;
#endif
  setDefaultBackend(Backend::kKokkos);
  return kokkosBackendDescription();
}

}  // namespace vna
