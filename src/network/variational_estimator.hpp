#pragma once
// Monte Carlo estimates of the variational losses from exact autoregressive samples, for a batch of
// parameter sets (annealing replicas or landscape grid points), on the network service:
//   classical   F  = <H> + T <log p>                   local loss  H(σ) + T log p(σ)
//   quantum     E  = <E_loc>,  E_loc(σ) = H(σ) − Γ Σ_i sqrt(p(σ^i)/p(σ))   (Ψ = sqrt(p), σ^i: spin i flipped)
//   regularized E  − T S = <E_loc + T log p>
// and their REINFORCE gradients with the sample mean as baseline:
//   ∇L ≈ (1/Ns) Σ_s (ℓ_s − ℓ̄) ∇ log p(σ_s)   (for Ψ = √p this equals 2 Re <(E_loc − Ē) ∇ log Ψ>).
#include <cstdint>
#include <string>
#include <vector>

#include "network/network.hpp"

namespace vna {

enum class LossMode { kClassical, kQuantum, kRegularized };
LossMode parseLossMode(const std::string& name);
std::string lossModeName(LossMode mode);

// Per parameter set.
struct LossStats {
  std::vector<double> loss, loss_err;  // mean local loss and its standard error
  std::vector<double> energy;          // <H> (classical energy of the samples)
  std::vector<double> entropy;         // −<log p> (entropy estimate of the model distribution)
  std::vector<double> min_energy;
  std::vector<std::uint8_t> finite;    // 0 where a non-finite value occurred (overflowing networks)
};

class VariationalEstimator {
 public:
  explicit VariationalEstimator(Network& network) : network_(network) {}

  // Draws `samples` configurations for each of the P = sets.count() parameter sets and evaluates the
  // loss at (T, Γ). With `grad` non-null also fills grad [P][n] with the REINFORCE gradient.
  LossStats evaluate(const ParameterSets& sets, const std::vector<std::uint32_t>& stream_ids,
                     const SampleCounters& counters, int samples, LossMode mode, double temperature, double gamma,
                     std::vector<double>* grad);

 private:
  Network& network_;
  std::vector<double> local_, weights_;
};

}  // namespace vna
