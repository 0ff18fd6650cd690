#pragma once
// Monte Carlo estimates of the variational losses from exact autoregressive samples, for a batch of
// parameter sets (annealing replicas or landscape grid points):
//   classical   F  = <H> + T <log p>                   local loss  H(σ) + T log p(σ)
//   quantum     E  = <E_loc>,  E_loc(σ) = H(σ) − Γ Σ_i sqrt(p(σ^i)/p(σ))   (Ψ = sqrt(p), σ^i: spin i flipped)
//   regularized E  − T S = <E_loc + T log p>
// and their REINFORCE gradients with the sample mean as baseline:
//   ∇L ≈ (1/Ns) Σ_s (ℓ_s − ℓ̄) ∇ log p(σ_s)   (for Ψ = √p this equals 2 Re <(E_loc − Ē) ∇ log Ψ>).
#include <cstdint>
#include <string>
#include <vector>

#include "kokkos/device_hamiltonian.hpp"
#include "model/hamiltonian.hpp"
#include "rnn_engine.hpp"

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

template <class Scalar>
class VariationalEstimator {
 public:
  using Engine = RnnEngine<Scalar>;
  VariationalEstimator(Engine& engine, const Hamiltonian& hamiltonian);

  // Draws `samples` configurations for each of the P = params.extent(0) sets and evaluates the loss at
  // (T, Γ). With `grad` non-null also fills grad [P][n] with the REINFORCE gradient.
  LossStats evaluate(const typename Engine::ParamsView& params, const typename Engine::StreamIdsView& stream_ids,
                     const SampleCounters& counters, int samples, LossMode mode, double temperature, double gamma,
                     const typename Engine::GradView* grad);

  // The configurations, log p and energies of the last evaluate() (host-accessible mirrors).
  const typename Engine::BitsView& bits() const { return bits_; }
  const typename Engine::LogProbView& logp() const { return logp_; }
  const EnergyView& energies() const { return energies_; }

 private:
  Engine& engine_;
  DeviceHamiltonian hamiltonian_;
  int n_;
  typename Engine::BitsView bits_;
  typename Engine::LogProbView logp_;
  typename Engine::FlipLogProbView flipped_logp_;  // [P][Ns][N]: log p of each sample with one spin flipped
  EnergyView energies_;
  Kokkos::View<double**, Kokkos::LayoutRight, typename Engine::memory_space> weights_;
};

extern template class VariationalEstimator<float>;
extern template class VariationalEstimator<double>;

}  // namespace vna
