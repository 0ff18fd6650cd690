#include <fmt/format.h>

#include <limits>

#include "core/error.hpp"
#include "model/coupling_file.hpp"
#include "model/energy_scale.hpp"
#include "model/edwards_anderson.hpp"
#include "model/ising_chain.hpp"
#include "model/model.hpp"
#include "model/newman_moore.hpp"
#include "model/sherrington_kirkpatrick.hpp"
#include "model/wishart_planted.hpp"

namespace vna {

namespace {

// Adds −h Σσ_i. A known ground state of H stays one of H − hΣσ only if it also minimizes −hΣσ,
// i.e. it is the fully aligned state along h; other ground truth is dropped.
void addUniformField(Model& m, double h) {
  if (h == 0.0) return;
  const int n = m.hamiltonian.numSpins();
  for (int i = 0; i < n; ++i) m.hamiltonian.addField(i, -h);
  const Bit along = h > 0 ? 1 : 0;
  std::vector<std::vector<Bit>> kept;
  for (auto& s : m.ground_states) {
    bool aligned = true;
    for (Bit b : s) aligned = aligned && b == along;
    if (aligned) kept.push_back(std::move(s));
  }
  m.ground_states = std::move(kept);
  // The field lifts the degeneracy: only the aligned state (if it was a ground state) remains.
  m.num_ground_states.reset();
  if (!m.ground_states.empty()) m.num_ground_states = 1;
  if (m.ground_states.empty()) {
    m.ground_energy.reset();
    m.ground_truth_origin.clear();
  } else {
    m.ground_energy = m.hamiltonian.energy(m.ground_states.front());
  }
  m.hamiltonian.name += fmt::format(" h={}", h);
  m.description += fmt::format(", field h={}", h);
}

std::uint64_t familySeed(const ModelSpec& spec, int realization) {
  if (spec.seed > std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(realization))
    throw InputError(fmt::format("model.seed {} + realization {} overflows 64 bits", spec.seed, realization));
  return spec.seed + static_cast<std::uint64_t>(realization);
}

}  // namespace

int numRealizations(const ModelSpec& spec) {
  if (spec.type == "coupling_file") return static_cast<int>(spec.paths.size());
  return 1;
}

Model buildModel(const ModelSpec& spec, int realization) {
  if (realization < 0) throw InputError(fmt::format("model: realization must be >= 0, got {}", realization));
  Model m;
  if (spec.type == "newman_moore") {
    m = newmanMoore(spec.L, spec.J);
  } else if (spec.type == "ising_chain") {
    m = isingChain(spec.N, spec.J, spec.periodic, spec.field);  // the field is part of the chain
    checkEnergyScale(m.hamiltonian, fmt::format("model (type ising_chain, J = {}, field = {})", spec.J, spec.field));
    return m;
  } else if (spec.type == "edwards_anderson") {
    m = edwardsAnderson(spec.Lx, spec.Ly, spec.periodic, parseCouplingDistribution(spec.couplings, "model.couplings"),
                        familySeed(spec, realization));
  } else if (spec.type == "sherrington_kirkpatrick") {
    m = sherringtonKirkpatrick(spec.N, spec.seed, static_cast<std::uint64_t>(realization));
  } else if (spec.type == "wishart_planted") {
    m = wishartPlanted(spec.N, spec.alpha, spec.seed, static_cast<std::uint64_t>(realization));
  } else if (spec.type == "coupling_file") {
    if (spec.paths.empty()) throw InputError("model.path: coupling_file needs at least one file");
    if (static_cast<std::size_t>(realization) >= spec.paths.size())
      throw InputError(fmt::format("model.path: realization {} requested but only {} file{} listed", realization,
                                   spec.paths.size(), spec.paths.size() == 1 ? "" : "s"));
    m = readCouplingFile(spec.paths[realization], spec.index_base, parseCouplingFormat(spec.format, "model.format"));
  } else {
    throw InputError(
        fmt::format("model.type: unknown model '{}' (expected newman_moore, ising_chain, "
                    "edwards_anderson, sherrington_kirkpatrick, wishart_planted or coupling_file)",
                    spec.type));
  }
  addUniformField(m, spec.field);
  checkEnergyScale(m.hamiltonian, spec.type == "coupling_file"
                                      ? m.source
                                      : fmt::format("model (type {}, J = {}, field = {})", spec.type, spec.J, spec.field));
  return m;
}

}  // namespace vna
