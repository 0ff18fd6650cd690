#include "backend_registry.hpp"

#include <fmt/format.h>

#include <atomic>

#include "rnn_engine_impl.hpp"

namespace vna {

namespace {
std::atomic<Backend> default_backend{Backend::kKokkos};
}  // namespace

void setDefaultBackend(Backend backend) {
  if (backend == Backend::kCuda && !cudaBackendBuilt())
    throw Error("setDefaultBackend: this vna was built without the CUDA backend (VNA_ENABLE_CUDA)");
  default_backend = backend == Backend::kDefault ? Backend::kKokkos : backend;
}

Backend defaultBackend() { return default_backend.load(); }

std::string backendName(Backend backend) {
  switch (backend) {
    case Backend::kDefault:
      return "default";
    case Backend::kKokkos:
      return "kokkos";
    case Backend::kCuda:
      return "cuda";
  }
  return "?";
}

bool cudaBackendBuilt() {
#ifdef VNA_HAVE_CUDA
  return true;
#else
  return false;
#endif
}

std::string cellNotCovered(Backend backend, CellKind cell, WeightSharing sharing) {
  // Every backend has kernels for every cell, shared and per site (CUDA's per-site rows, and all of
  // the dilated cell's, are read from global memory).
  (void)backend, (void)cell, (void)sharing;
  return std::string();
}

template <class Scalar>
BackendChoice<typename RnnEngine<Scalar>::Impl> makeEngineImpl(const EngineConfig& config, const ParamLayout& layout) {
  using Impl = typename RnnEngine<Scalar>::Impl;
  return chooseBackend<Impl>(
      config.backend, config.cell, config.sharing,
      [&](std::string& description, std::string& why_not) -> std::unique_ptr<Impl> {
#ifdef VNA_HAVE_CUDA
        return makeCudaEngineImpl<Scalar>(config, layout, description, why_not);
#else
        (void)description, (void)why_not;
        return nullptr;
#endif
      },
      [&] { return makeKokkosEngineImpl<Scalar>(config, layout); });
}

template BackendChoice<RnnEngine<float>::Impl> makeEngineImpl<float>(const EngineConfig&, const ParamLayout&);
template BackendChoice<RnnEngine<double>::Impl> makeEngineImpl<double>(const EngineConfig&, const ParamLayout&);

}  // namespace vna
