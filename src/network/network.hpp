#pragma once
// The network service between the drivers and the engine (doc/design.md, "The network service").
//
// A Network is the autoregressive network of an ansatz on a lattice, with the Hamiltonian whose
// energies its samples need. Drivers hand it parameter sets as host doubles and get back per-sample
// and per-set scalars and gradients; it owns the arithmetic precision, the backend (Kokkos or CUDA,
// chosen by backend_registry.hpp from the process default), the copies to the device, the device
// Hamiltonian, and the samples, which stay on the device from sample() to gradient(). No Kokkos view,
// memory space or Scalar appears here.
//
// One call works on P parameter sets × M samples: set p draws its samples from the random stream
// stream_ids[p] with the counters of SampleCounters, so a sample is a pure function of (θ_p, seed,
// stream, step, sample index) on every backend, whatever P and M.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine_config.hpp"  // Backend, SampleCounters
#include "model/hamiltonian.hpp"
#include "model/lattice.hpp"
#include "network/ansatz.hpp"
#include "param_layout.hpp"

namespace vna {

// A plane in parameter space, θ* + α δ + β η ([n] each).
struct ParameterPlane {
  std::vector<double> theta_star, delta, eta;
};

// The parameter sets of one call, without copying them: P explicit flat vectors ([P][n] doubles), or
// the P points θ* + α_k δ + β_k η of a plane (the network expands them where the computation runs;
// only the plane, once, and the coefficients travel). The referenced data must outlive the call.
class ParameterSets {
 public:
  static ParameterSets explicitSets(const std::vector<double>& flat, std::size_t num_params);
  static ParameterSets onPlane(const ParameterPlane& plane, const std::vector<double>& alpha,
                               const std::vector<double>& beta);

  std::size_t count() const { return count_; }
  const std::vector<double>* flat() const { return flat_; }  // null for a plane
  const ParameterPlane* plane() const { return plane_; }      // null for explicit sets
  const std::vector<double>& alpha() const { return *alpha_; }
  const std::vector<double>& beta() const { return *beta_; }

 private:
  std::size_t count_ = 0;
  const std::vector<double>* flat_ = nullptr;
  const ParameterPlane* plane_ = nullptr;
  const std::vector<double>* alpha_ = nullptr;
  const std::vector<double>* beta_ = nullptr;
};

// What a sample() call must leave behind for what follows.
struct SampleNeeds {
  bool gradient = false;        // gradient() will be called on these samples
  bool flip_ratios = false;     // flipRatioSums(): VQA's Σ_i sqrt(p(σ^i)/p(σ))
  bool configurations = false;  // configurations(): the bits, on the host (analysis)
};

// Bytes moved between host and device memory by the network (cumulative; differences give a call's
// traffic). On a host backend (Debian's Serial Kokkos) the same staging copies are host copies.
struct Transfers {
  std::uint64_t to_device = 0, to_host = 0;
};

class Network {
 public:
  // Throws InputError for a bad ansatz (hidden <= 0) or a lattice and Hamiltonian of different sizes.
  Network(const AnsatzSpec& ansatz, const Lattice& lattice, const Hamiltonian& hamiltonian);
  ~Network();
  Network(Network&&) noexcept;
  Network& operator=(Network&&) noexcept;

  const AnsatzSpec& ansatz() const { return ansatz_; }
  const ParamLayout& layout() const { return layout_; }
  std::size_t numParams() const { return layout_.total; }
  int numSites() const { return num_sites_; }
  Backend backend() const;
  const std::string& backendDescription() const;

  // Draws `samples` configurations for each of the sets.count() parameter sets (P = sets.count() =
  // stream_ids.size()) with their log p and classical energies (the fused path). They stay in the
  // network until the next sample().
  void sample(const ParameterSets& sets, const std::vector<std::uint32_t>& stream_ids, const SampleCounters& counters,
              int samples, const SampleNeeds& needs);

  // Of the last sample(), [P][M] row-major: log p(σ), H(σ) (classical part), and with
  // needs.flip_ratios Σ_i exp((log p(σ^i) − log p(σ))/2) over the N single-spin flips (computed where
  // the samples are; the [P][M][N] flipped log-probabilities never reach the host).
  int sets() const { return sets_; }
  int samplesPerSet() const { return samples_; }
  const std::vector<double>& logProb() const { return logp_; }
  const std::vector<double>& energies() const { return energies_; }
  const std::vector<double>& flipRatioSums() const;
  // The configurations [P][M][N] (bit 1 = spin up, by site) of the last sample(), copied to the host;
  // available after any of the needs (each keeps them on the device), meant for needs.configurations.
  const std::vector<std::uint8_t>& configurations();

  // grad[p] = Σ_s weights[p][s] ∇_θ log p(σ_s) for the samples of the last sample() with
  // needs.gradient (weights [P][M], grad resized to [P][n]).
  void gradient(const std::vector<double>& weights, std::vector<double>& grad);

  Transfers transfers() const;
  std::size_t workspaceBytes() const;

  class Impl;  // the precision- and backend-specific part (network_impl.hpp)

 private:
  AnsatzSpec ansatz_;
  ParamLayout layout_;
  int num_sites_ = 0;
  std::unique_ptr<Impl> impl_;
  Backend backend_ = Backend::kKokkos;
  std::string description_;
  int sets_ = 0, samples_ = 0;
  SampleNeeds needs_;
  bool have_configurations_ = false;
  std::vector<double> logp_, energies_, flip_sums_;
  std::vector<std::uint8_t> bits_;
};

}  // namespace vna
