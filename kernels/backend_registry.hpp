#pragma once
// Where backends are chosen: the process-wide default (vna's commands set it from backend.device),
// which cells each backend covers, and the construction of an engine's backend with its fallback.
// The CUDA backend runs the vanilla and tensorized cells, with shared or per-site weights; the dilated
// cell, or a network whose row buffer does not fit a GPU's shared memory, runs on the Kokkos backend,
// and the description says why.
#include <memory>
#include <string>

#include "core/error.hpp"
#include "engine_config.hpp"
#include "param_layout.hpp"

namespace vna {

// The backend Backend::kDefault stands for in this process (kKokkos until set). Selecting kCuda in a
// build without CUDA throws Error.
void setDefaultBackend(Backend backend);
Backend defaultBackend();
std::string backendName(Backend backend);  // "default", "kokkos", "cuda"
// Whether this build contains the native CUDA backend.
bool cudaBackendBuilt();

// Empty when `backend` has kernels for `cell` with `sharing`; otherwise why not. Today every backend
// covers every cell, shared and per site; the check stays the one place a new cell or backend would
// say otherwise. kDefault is resolved first.
std::string cellNotCovered(Backend backend, CellKind cell, WeightSharing sharing = WeightSharing::kShared);

// The backend that runs an engine (never kDefault) and its description for logs and provenance:
// "kokkos (Serial)", "cuda (NVIDIA H100 80GB HBM3, device 0)", or the Kokkos description with the
// reason the requested CUDA backend does not run this network ("kokkos (Serial) [not cuda: ...]").
template <class Impl>
struct BackendChoice {
  std::unique_ptr<Impl> impl;
  Backend backend = Backend::kKokkos;
  std::string description;
};

// The description of the Kokkos backend, "kokkos (Serial)" (kokkos/kokkos_backend.cpp).
std::string kokkosBackendDescription();

// The one policy for everything that has a CUDA and a Kokkos implementation (RnnEngine's backends,
// the network service's): CUDA when it is requested (kDefault resolved), covers the cell
// with its weight sharing (cellNotCovered) and supports the network (make_cuda(description, why_not) returns an
// implementation, else sets why_not); otherwise make_kokkos(), described with the reason.
template <class Impl, class MakeCuda, class MakeKokkos>
BackendChoice<Impl> chooseBackend(Backend requested, CellKind cell, WeightSharing sharing, MakeCuda&& make_cuda,
                                  MakeKokkos&& make_kokkos) {
  BackendChoice<Impl> choice;
  if (requested == Backend::kDefault) requested = defaultBackend();
  std::string why_not;
  if (requested == Backend::kCuda) {
    if (!cudaBackendBuilt())
      throw Error("the CUDA backend was requested, but this vna was built without it (VNA_ENABLE_CUDA)");
    why_not = cellNotCovered(requested, cell, sharing);
    if (why_not.empty()) choice.impl = make_cuda(choice.description, why_not);
    if (choice.impl) {
      choice.backend = Backend::kCuda;
      return choice;
    }
  }
  choice.impl = make_kokkos();
  choice.backend = Backend::kKokkos;
  choice.description = kokkosBackendDescription();
  if (!why_not.empty()) choice.description += " [not cuda: " + why_not + "]";
  return choice;
}

}  // namespace vna
