#pragma once
// Simulated quantum annealing by path-integral Monte Carlo (Santoro, Martoňák, Tosatti, Car,
// Science 295, 2427 (2002); Martoňák, Santoro, Tosatti, PRB 66, 094203 (2002)).
//
// The transverse-field model H = H_cl(σ^z) − Γ Σ_i σ^x_i at temperature T is mapped by the
// Suzuki-Trotter decomposition with P slices onto P coupled classical replicas σ^1..σ^P (periodic in
// imaginary time, σ^{P+1} = σ^1) with the weight exp(−S), where
//   S = (1/(P T)) Σ_k H_cl(σ^k) − K Σ_k Σ_i σ_i^k σ_i^{k+1},   K = −(1/2) ln tanh(Γ/(P T)).
// vna's convention: S = E_P / T with E_P = Σ_k H_cl(σ^k)/P − (J⊥/P) Σ_k Σ_i σ_i^k σ_i^{k+1}, i.e. the
// classical couplings scaled by 1/P, the inter-slice coupling J⊥/P and the temperature T, where
//   J⊥ = P T K = −(P T / 2) ln tanh(Γ / (P T))
// is Santoro et al.'s inter-slice coupling for their H_eff = Σ_k H_cl(σ^k) − J⊥ Σ σσ at temperature
// P T (the same weight). K is exact for every P: ⟨σ|e^{xσ^x}|σ'⟩ = cosh x (σ = σ'), sinh x (σ ≠ σ'),
// = sqrt(sinh x cosh x) · e^{K σσ'} with x = Γ/(PT); only the split of e^{−β(H_cl − ΓΣσ^x)} carries
// the O((β/P)^2) Trotter error.
//
// Annealing step a = 1..A sets Γ_a = max(Γ0 · s(a/A), Γ_min) (s the schedule shape; Γ_min > 0
// because K diverges at Γ = 0) at fixed T and runs `sweeps_per_step` sweeps. A sweep is, for every
// slice k and site i, a local Metropolis flip of σ_i^k (ΔS = ΔE_cl(σ^k)/(PT) + 2K σ_i^k (σ_i^{k−1} +
// σ_i^{k+1})), then, with global_moves, for every site i an all-slice flip of σ_i^1..σ_i^P
// (ΔS = Σ_k ΔE_cl(σ^k)/(PT); the inter-slice terms do not change). The result of a replica is its
// lowest-energy slice at the end.
#include <cstdint>
#include <vector>

#include "anneal/schedule.hpp"
#include "baselines/monte_carlo_batch.hpp"
#include "baselines/monte_carlo_stream.hpp"
#include "model/hamiltonian.hpp"

namespace vna {

// J⊥ = −(P T / 2) ln tanh(Γ / (P T)), for Γ > 0, T > 0, P >= 1 (+∞ never returned: Γ must be > 0).
double trotterCoupling(double gamma, int slices, double temperature);

struct SqaSchedule {
  std::vector<double> gammas;  // Γ of annealing steps 1..A (index a-1), each > 0
  double temperature = 0.05;   // T > 0
  int slices = 20;             // P >= 2
  int sweeps_per_step = 1;
  bool global_moves = true;
};

// Γ_a = max(Γ0 · s(a/A), Γ_min) for a = 1..A.
SqaSchedule sqaSchedule(double gamma0, double gamma_min, std::int64_t steps, ScheduleShape shape, double temperature,
                        int slices, int sweeps_per_step, bool global_moves = true);

// Anneals replicas first_replica .. first_replica+count-1 (global ids key the random streams), in
// parallel over replicas on the host execution space, each with P slices started from independent
// uniformly random configurations. record_steps fills step_energy with the slice-averaged classical
// energy after each step. Throws Error for invalid schedules. The kernel (options.kernel) is chosen
// as for SA (mc_model.hpp; no multispin): reference (flipDelta, McStream) or the SIMD kernels of
// quantum_chains.hpp, which sample the same Trotter distribution with other random numbers.
MonteCarloBatch simulatedQuantumAnnealing(const Hamiltonian& h, const SqaSchedule& schedule, const McStreamId& id,
                                          std::int64_t first_replica, int count, bool record_steps = false,
                                          const McRunOptions& options = {});

}  // namespace vna
