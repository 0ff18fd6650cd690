#pragma once
// The interface every backend of RnnEngine implements (kokkos/kokkos_backend.cpp: the Kokkos kernels;
// cuda/cuda_backend.cpp: the native CUDA kernels). Only the front end (rnn_engine.cpp), the backend
// registry and the backends include this header.
//
// Contract: the front end has checked every call before a backend sees it (the shapes agree with the
// layout and with each other, P > 0 and M > 0, and for gradient() and logProbFlips() the activations
// kept by the last sample()/logProb() with Activations::kKeep are of this [P][M] batch), and it does the
// bookkeeping of the kept activations. A backend computes; where it compares the given bits with the
// kept ones it reports a difference with engine_checks::throwBitsDiffer.
#include <memory>
#include <string>

#include "backend_registry.hpp"
#include "model/hamiltonian.hpp"
#include "rnn_engine.hpp"

namespace vna {

template <class Scalar>
class RnnEngine<Scalar>::Impl {
 public:
  using Engine = RnnEngine<Scalar>;
  virtual ~Impl() = default;
  virtual void sample(const typename Engine::execution_space& space, const typename Engine::ParamsView& params,
                      const typename Engine::StreamIdsView& stream_ids, const SampleCounters& counters,
                      const typename Engine::BitsView& bits, const typename Engine::LogProbView& logp,
                      Activations activations) = 0;
  virtual void logProb(const typename Engine::execution_space& space, const typename Engine::ParamsView& params,
                       const typename Engine::ConstBitsView& bits, const typename Engine::LogProbView& logp,
                       Activations activations) = 0;
  virtual void gradient(const typename Engine::execution_space& space, const typename Engine::ParamsView& params,
                        const typename Engine::ConstBitsView& bits, const typename Engine::WeightsView& weights,
                        const typename Engine::GradView& grad) = 0;
  virtual std::size_t workspaceBytes() const = 0;

  // Backends with a prefix-sharing flip kernel (which compares the bits with the kept activations
  // itself) say so, fill logp_flip and return true; the others leave the call to RnnEngine's generic
  // path (flipped configurations materialized in blocks, then logProb), for which the front end keeps
  // a copy of the kept batch's configurations to compare with.
  virtual bool hasFlipKernel() const { return false; }
  virtual bool logProbFlips(const typename Engine::execution_space& /*space*/,
                            const typename Engine::ParamsView& /*params*/,
                            const typename Engine::ConstBitsView& /*bits*/,
                            const typename Engine::FlipLogProbView& /*logp_flip*/) {
    return false;
  }

  // Backends that evaluate energies inside their sampling kernel override these three; the others get
  // RnnEngine's generic path (sample into a buffer, then computeEnergies). `bits` may be empty.
  virtual bool fusedEnergies() const { return false; }
  virtual void setHamiltonian(const Hamiltonian& /*hamiltonian*/) {}
  virtual void sampleWithEnergies(const typename Engine::execution_space& /*space*/,
                                  const typename Engine::ParamsView& /*params*/,
                                  const typename Engine::StreamIdsView& /*stream_ids*/,
                                  const SampleCounters& /*counters*/, const typename Engine::BitsView& /*bits*/,
                                  const typename Engine::LogProbView& /*logp*/,
                                  const typename Engine::LogProbView& /*energies*/, Activations /*activations*/) {}
};

// backend_registry.cpp: the backend that runs `config` (its requested backend, kDefault resolved; the
// Kokkos one where the CUDA backend does not cover the network).
template <class Scalar>
BackendChoice<typename RnnEngine<Scalar>::Impl> makeEngineImpl(const EngineConfig& config, const ParamLayout& layout);

// kokkos/kokkos_backend.cpp: the Kokkos implementation of any cell.
template <class Scalar>
std::unique_ptr<typename RnnEngine<Scalar>::Impl> makeKokkosEngineImpl(const EngineConfig& config,
                                                                       const ParamLayout& layout);

#ifdef VNA_HAVE_CUDA
// kernels/cuda/cuda_backend.cpp. Returns the CUDA implementation for `config` on the current CUDA
// device, or nullptr with `why_not` set when the CUDA kernels cannot run this network (a lattice whose
// row buffer does not fit on chip); `description` names the device. Cells the CUDA backend does not
// cover never get here (backend_registry.cpp).
template <class Scalar>
std::unique_ptr<typename RnnEngine<Scalar>::Impl> makeCudaEngineImpl(const EngineConfig& config,
                                                                     const ParamLayout& layout,
                                                                     std::string& description, std::string& why_not);
#endif

}  // namespace vna
