#include "anneal/variational_estimator.hpp"

#include <cmath>

#include "core/error.hpp"

namespace vna {

LossMode parseLossMode(const std::string& name) {
  if (name == "classical") return LossMode::kClassical;
  if (name == "quantum") return LossMode::kQuantum;
  if (name == "regularized") return LossMode::kRegularized;
  throw InputError("anneal.mode: unknown mode '" + name + "'");
}

std::string lossModeName(LossMode mode) {
  switch (mode) {
    case LossMode::kClassical: return "classical";
    case LossMode::kQuantum: return "quantum";
    case LossMode::kRegularized: return "regularized";
  }
  return "?";
}

template <class Scalar>
VariationalEstimator<Scalar>::VariationalEstimator(Engine& engine, const Hamiltonian& hamiltonian)
    : engine_(engine), hamiltonian_(hamiltonian), n_(hamiltonian.numSpins()) {
  if (n_ != engine.numSites())
    throw Error("VariationalEstimator: the network has " + std::to_string(engine.numSites()) +
                " sites but the Hamiltonian " + std::to_string(n_) + " spins");
}

namespace {
template <class View>
void ensure(View& v, const char* label, std::size_t a, std::size_t b) {
  if (v.extent(0) != a || v.extent(1) != b) v = View(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), a, b);
}
template <class View>
void ensure(View& v, const char* label, std::size_t a, std::size_t b, std::size_t c) {
  if (v.extent(0) != a || v.extent(1) != b || v.extent(2) != c)
    v = View(Kokkos::view_alloc(Kokkos::WithoutInitializing, std::string(label)), a, b, c);
}
}  // namespace

template <class Scalar>
LossStats VariationalEstimator<Scalar>::evaluate(const typename Engine::ParamsView& params,
                                                 const typename Engine::StreamIdsView& stream_ids,
                                                 const SampleCounters& counters, int samples, LossMode mode,
                                                 double temperature, double gamma,
                                                 const typename Engine::GradView* grad) {
  using exec = typename Engine::execution_space;
  const exec space;
  const int P = static_cast<int>(params.extent(0));
  const int Ns = samples;
  const int N = n_;
  ensure(bits_, "vna::VariationalEstimator::bits", P, Ns, N);
  ensure(logp_, "vna::VariationalEstimator::logp", P, Ns);
  ensure(energies_, "vna::VariationalEstimator::energies", P, Ns);
  ensure(weights_, "vna::VariationalEstimator::weights", P, Ns);
  const bool quantum = mode != LossMode::kClassical && gamma != 0.0;
  const double T = mode == LossMode::kQuantum ? 0.0 : temperature;

  // Local energies need log p of every single-flip neighbour; logProbFlips computes them from the
  // kept activations (configurations sharing a prefix share hidden states), and the gradient reuses
  // the same activations.
  engine_.sample(space, params, stream_ids, counters, bits_, logp_,
                 grad || quantum ? Activations::kKeep : Activations::kDiscard);
  computeEnergies(space, hamiltonian_, bits_, energies_);
  if (quantum) {
    ensure(flipped_logp_, "vna::VariationalEstimator::flipped_logp", P, Ns, N);
    engine_.logProbFlips(space, params, bits_, flipped_logp_);
  }
  space.fence();

  // Per-set statistics (host: Ns is small and P moderate; this is O(P·Ns·N) at most).
  auto h_logp = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), logp_);
  auto h_energy = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), energies_);
  decltype(Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), flipped_logp_)) h_flipped;
  if (quantum) h_flipped = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), flipped_logp_);
  auto h_weights = Kokkos::create_mirror_view(weights_);
  LossStats st;
  st.loss.resize(P);
  st.loss_err.resize(P);
  st.energy.resize(P);
  st.entropy.resize(P);
  st.min_energy.resize(P);
  st.finite.assign(P, 1);
  std::vector<double> local(Ns);
  for (int p = 0; p < P; ++p) {
    double sum = 0, sum_e = 0, sum_lp = 0, min_e = INFINITY;
    for (int s = 0; s < Ns; ++s) {
      const double lp = h_logp(p, s);
      double eloc = h_energy(p, s);
      if (quantum) {
        double off = 0;
        for (int i = 0; i < N; ++i) off += std::exp(0.5 * (h_flipped(p, s, i) - lp));
        eloc -= gamma * off;
      }
      local[s] = eloc + T * lp;
      sum += local[s];
      sum_e += h_energy(p, s);
      sum_lp += lp;
      min_e = std::min(min_e, h_energy(p, s));
    }
    const double mean = sum / Ns;
    double var = 0;
    for (int s = 0; s < Ns; ++s) var += (local[s] - mean) * (local[s] - mean);
    var /= (Ns - 1);
    st.loss[p] = mean;
    st.loss_err[p] = std::sqrt(var / Ns);
    st.energy[p] = sum_e / Ns;
    st.entropy[p] = -sum_lp / Ns;
    st.min_energy[p] = min_e;
    if (!std::isfinite(mean) || !std::isfinite(var) || !std::isfinite(sum_lp)) st.finite[p] = 0;
    for (int s = 0; s < Ns; ++s) h_weights(p, s) = st.finite[p] ? (local[s] - mean) / Ns : 0.0;
  }
  if (grad) {
    Kokkos::deep_copy(weights_, h_weights);
    engine_.gradient(space, params, bits_, weights_, *grad);
    space.fence();
  }
  return st;
}

template class VariationalEstimator<float>;
template class VariationalEstimator<double>;

}  // namespace vna
