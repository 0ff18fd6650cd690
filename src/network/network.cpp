// The network service's front end: parameter sets, the choice of backend (backend_registry.hpp), the
// checks of every call, and the host copies of the per-sample results. See network.hpp.
#include "network/network.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "backend_registry.hpp"
#include "core/error.hpp"
#include "network/network_impl.hpp"

namespace vna {

ParameterSets ParameterSets::explicitSets(const std::vector<double>& flat, std::size_t num_params) {
  if (num_params == 0 || flat.size() % num_params != 0)
    throw Error(fmt::format("ParameterSets: {} values are not whole sets of {} parameters", flat.size(), num_params));
  std::vector<const double*> rows;
  for (std::size_t p = 0; p < flat.size() / num_params; ++p) rows.push_back(flat.data() + p * num_params);
  return explicitRows(std::move(rows), num_params);
}

ParameterSets ParameterSets::explicitRows(std::vector<const double*> rows, std::size_t num_params) {
  ParameterSets s;
  s.count_ = rows.size();
  s.num_params_ = num_params;
  s.rows_ = std::move(rows);
  return s;
}

ParameterSets ParameterSets::onPlane(const ParameterPlane& plane, const std::vector<double>& alpha,
                                     const std::vector<double>& beta) {
  if (alpha.size() != beta.size())
    throw Error(fmt::format("ParameterSets: {} α but {} β coefficients", alpha.size(), beta.size()));
  const std::size_t n = plane.theta_star.size();
  if (plane.delta.size() != n || plane.eta.size() != n)
    throw Error(fmt::format("ParameterSets: θ*, δ, η have {}, {}, {} entries", n, plane.delta.size(), plane.eta.size()));
  ParameterSets s;
  s.count_ = alpha.size();
  s.plane_ = &plane;
  s.alpha_ = &alpha;
  s.beta_ = &beta;
  return s;
}

bool StagingCache::planeChanged(const ParameterPlane& plane) {
  const std::size_t n = plane.theta_star.size();
  bool same = plane_rows_.size() == 3 * n;
  for (std::size_t i = 0; same && i < n; ++i)
    same = plane_rows_[i] == plane.theta_star[i] && plane_rows_[n + i] == plane.delta[i] &&
           plane_rows_[2 * n + i] == plane.eta[i];
  if (same) return false;
  plane_rows_ = plane.theta_star;
  plane_rows_.insert(plane_rows_.end(), plane.delta.begin(), plane.delta.end());
  plane_rows_.insert(plane_rows_.end(), plane.eta.begin(), plane.eta.end());
  return true;
}

bool StagingCache::idsChanged(const std::vector<std::uint32_t>& ids) {
  if (have_ids_ && ids == ids_) return false;
  ids_ = ids;
  have_ids_ = true;
  return true;
}

std::vector<double> StagingCache::coefficients(const ParameterSets& sets, std::size_t first, std::size_t count) {
  count = std::min(count, sets.count() - first);
  const auto a = sets.alpha().begin() + first, b = sets.beta().begin() + first;
  std::vector<double> c(a, a + count);
  c.insert(c.end(), b, b + count);
  return c;
}

Network::Network(const AnsatzSpec& ansatz, const Lattice& lattice, const Hamiltonian& hamiltonian)
    : ansatz_(ansatz),
      layout_(ansatzLayout(ansatz, lattice.numSites())),
      num_sites_(lattice.numSites()) {
  if (hamiltonian.numSpins() != num_sites_)
    throw Error(fmt::format("Network: the lattice has {} sites but the Hamiltonian {} spins", num_sites_,
                            hamiltonian.numSpins()));
  BackendChoice<Impl> choice = chooseBackend<Impl>(
      Backend::kDefault, ansatz.cell, ansatz.sharing,
      [&](std::string& description, std::string& why_not) -> std::unique_ptr<Impl> {
#ifdef VNA_HAVE_CUDA
        return makeCudaNetwork(ansatz, lattice, hamiltonian, description, why_not);
#else
        (void)description, (void)why_not;
        return nullptr;
#endif
      },
      [&] { return makeKokkosNetwork(ansatz, lattice, hamiltonian); });
  impl_ = std::move(choice.impl);
  backend_ = choice.backend;
  description_ = std::move(choice.description);
}

Network::~Network() = default;
Network::Network(Network&&) noexcept = default;
Network& Network::operator=(Network&&) noexcept = default;

void Network::sample(const ParameterSets& sets, const std::vector<std::uint32_t>& stream_ids,
                     const SampleCounters& counters, int samples, const SampleNeeds& needs) {
  if (sets.isExplicit() && sets.numParams() != numParams())
    throw Error(fmt::format("Network::sample: {} sets of {} parameters for a network of {}", sets.count(),
                            sets.numParams(), numParams()));
  if (sets.plane() && sets.plane()->theta_star.size() != numParams())
    throw Error(fmt::format("Network::sample: the plane has {} parameters, the network {}",
                            sets.plane()->theta_star.size(), numParams()));
  if (stream_ids.size() != sets.count())
    throw Error(fmt::format("Network::sample: {} stream ids for {} parameter sets", stream_ids.size(), sets.count()));
  if (samples < 0) throw Error(fmt::format("Network::sample: {} samples", samples));
  sets_ = static_cast<int>(sets.count());
  samples_ = samples;
  needs_ = needs;
  have_configurations_ = false;
  impl_->sample(sets, stream_ids, counters, samples, needs, logp_, energies_, flip_sums_);
}

const std::vector<double>& Network::flipRatioSums() const {
  if (!needs_.flip_ratios) throw Error("Network::flipRatioSums: the last sample() did not ask for them");
  return flip_sums_;
}

const std::vector<std::uint8_t>& Network::configurations() {
  if (!needs_.configurations && !needs_.gradient && !needs_.flip_ratios)
    throw Error("Network::configurations: the last sample() did not keep them (SampleNeeds::configurations)");
  if (!have_configurations_) impl_->configurations(bits_);
  have_configurations_ = true;
  return bits_;
}

void Network::gradient(const std::vector<double>& weights, std::vector<double>& grad) {
  if (!needs_.gradient) throw Error("Network::gradient: the last sample() did not ask for a gradient");
  if (weights.size() != static_cast<std::size_t>(sets_) * samples_)
    throw Error(fmt::format("Network::gradient: {} weights for [{}][{}] samples", weights.size(), sets_, samples_));
  grad.resize(static_cast<std::size_t>(sets_) * numParams());
  impl_->gradient(weights, grad);
}

Backend Network::backend() const { return backend_; }
const std::string& Network::backendDescription() const { return description_; }
Transfers Network::transfers() const { return impl_->transfers(); }
std::size_t Network::workspaceBytes() const { return impl_->workspaceBytes(); }

}  // namespace vna
