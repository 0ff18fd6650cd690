#pragma once
// The part of the network service that depends on the backend and the precision: one
// implementation per backend (kokkos_network.cpp, cuda_network.cpp), each a template over the
// Scalar. Internal to src/network.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine_config.hpp"
#include "model/hamiltonian.hpp"
#include "network/network.hpp"

namespace vna {

class Network::Impl {
 public:
  virtual ~Impl() = default;
  // Stages the sets and stream ids, samples with energies, and leaves [P][M] log p, energies and, with
  // needs.flip_ratios, the flip-ratio sums in the host vectors (resized). The front end has checked
  // the sizes.
  virtual void sample(const ParameterSets& sets, const std::vector<std::uint32_t>& stream_ids,
                      const SampleCounters& counters, int samples, const SampleNeeds& needs, std::vector<double>& logp,
                      std::vector<double>& energies, std::vector<double>& flip_sums) = 0;
  virtual void configurations(std::vector<std::uint8_t>& bits) = 0;
  virtual void gradient(const std::vector<double>& weights, std::vector<double>& grad) = 0;
  virtual Transfers transfers() const = 0;
  virtual std::size_t workspaceBytes() const = 0;
};

// What both implementations stage from the host, and when it must travel again: the plane (kept as a
// copy, [θ*; δ; η] contiguous) and the stream ids, uploaded only when they change.
class StagingCache {
 public:
  // True when `plane` differs from the one staged last (then it is remembered and must be uploaded).
  bool planeChanged(const ParameterPlane& plane);
  const std::vector<double>& planeRows() const { return plane_rows_; }  // [3][n]
  bool idsChanged(const std::vector<std::uint32_t>& ids);
  // [α; β] of the sets first .. first + count − 1 ([2][count]; by default all P).
  static std::vector<double> coefficients(const ParameterSets& sets, std::size_t first = 0,
                                          std::size_t count = static_cast<std::size_t>(-1));

 private:
  std::vector<double> plane_rows_;
  std::vector<std::uint32_t> ids_;
  bool have_ids_ = false;
};

// Explicit sets rounded to Scalar, [P][n] (what both implementations upload).
template <class Scalar>
void roundSets(const ParameterSets& sets, Scalar* out) {
  const std::size_t n = sets.numParams();
  for (std::size_t p = 0; p < sets.count(); ++p) {
    const double* row = sets.row(p);
    Scalar* dst = out + p * n;
    for (std::size_t i = 0; i < n; ++i) dst[i] = static_cast<Scalar>(row[i]);
  }
}

std::unique_ptr<Network::Impl> makeKokkosNetwork(const AnsatzSpec& ansatz, const Lattice& lattice,
                                                 const Hamiltonian& hamiltonian);
#ifdef VNA_HAVE_CUDA
// nullptr with why_not set when the CUDA kernels cannot run this network on this device.
std::unique_ptr<Network::Impl> makeCudaNetwork(const AnsatzSpec& ansatz, const Lattice& lattice,
                                               const Hamiltonian& hamiltonian, std::string& description,
                                               std::string& why_not);
#endif

}  // namespace vna
