#include "network/variational_estimator.hpp"

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

LossStats VariationalEstimator::evaluate(const ParameterSets& sets, const std::vector<std::uint32_t>& stream_ids,
                                         const SampleCounters& counters, int samples, LossMode mode,
                                         double temperature, double gamma, std::vector<double>* grad) {
  const int P = static_cast<int>(sets.count());
  const int Ns = samples;
  const bool quantum = mode != LossMode::kClassical && gamma != 0.0;
  const double T = mode == LossMode::kQuantum ? 0.0 : temperature;
  SampleNeeds needs;
  needs.gradient = grad != nullptr;
  needs.flip_ratios = quantum;
  network_.sample(sets, stream_ids, counters, Ns, needs);
  const std::vector<double>& logp = network_.logProb();
  const std::vector<double>& energy = network_.energies();
  const std::vector<double>* flips = quantum ? &network_.flipRatioSums() : nullptr;

  // Per-set statistics on the host: O(P·Ns).
  LossStats st;
  st.loss.resize(P);
  st.loss_err.resize(P);
  st.energy.resize(P);
  st.entropy.resize(P);
  st.min_energy.resize(P);
  st.finite.assign(P, 1);
  local_.resize(Ns);
  weights_.resize(static_cast<std::size_t>(P) * Ns);
  for (int p = 0; p < P; ++p) {
    const std::size_t row = static_cast<std::size_t>(p) * Ns;
    double sum = 0, sum_e = 0, sum_lp = 0, min_e = INFINITY;
    for (int s = 0; s < Ns; ++s) {
      const double lp = logp[row + s];
      double eloc = energy[row + s];
      if (quantum) eloc -= gamma * (*flips)[row + s];
      local_[s] = eloc + T * lp;
      sum += local_[s];
      sum_e += energy[row + s];
      sum_lp += lp;
      min_e = std::min(min_e, energy[row + s]);
    }
    const double mean = sum / Ns;
    double var = 0;
    for (int s = 0; s < Ns; ++s) var += (local_[s] - mean) * (local_[s] - mean);
    var /= (Ns - 1);
    st.loss[p] = mean;
    st.loss_err[p] = std::sqrt(var / Ns);
    st.energy[p] = sum_e / Ns;
    st.entropy[p] = -sum_lp / Ns;
    st.min_energy[p] = min_e;
    if (!std::isfinite(mean) || !std::isfinite(var) || !std::isfinite(sum_lp)) st.finite[p] = 0;
    for (int s = 0; s < Ns; ++s) weights_[row + s] = st.finite[p] ? (local_[s] - mean) / Ns : 0.0;
  }
  if (grad) network_.gradient(weights_, *grad);
  return st;
}

}  // namespace vna
