#include "model/hamiltonian.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace vna {

Hamiltonian::Hamiltonian(int num_spins) : n_(num_spins), fields_(num_spins, 0.0) {
  if (num_spins <= 0) throw Error(fmt::format("Hamiltonian: number of spins must be positive, got {}", num_spins));
}

void Hamiltonian::addTerm(double coeff, const std::vector<int>& sites) {
  if (sites.empty()) throw Error("Hamiltonian::addTerm: a term needs at least one site");
  std::vector<int> sorted = sites;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    if (sorted[k] < 0 || sorted[k] >= n_)
      throw Error(fmt::format("Hamiltonian::addTerm: site {} out of range [0, {})", sorted[k], n_));
    if (k > 0 && sorted[k] == sorted[k - 1])
      throw Error(fmt::format("Hamiltonian::addTerm: site {} appears twice in one term", sorted[k]));
  }
  if (sites.size() == 1) {
    addField(sites[0], coeff);
    return;
  }
  coeffs_.push_back(coeff);
  sites_.insert(sites_.end(), sorted.begin(), sorted.end());
  offsets_.push_back(static_cast<int>(sites_.size()));
  index_.reset();
}

void Hamiltonian::addField(int site, double h) {
  if (site < 0 || site >= n_) throw Error(fmt::format("Hamiltonian::addField: site {} out of range [0, {})", site, n_));
  fields_[site] += h;
}

int Hamiltonian::maxOrder() const {
  int m = 0;
  for (std::size_t t = 0; t < coeffs_.size(); ++t) m = std::max(m, termOrder(t));
  for (double h : fields_)
    if (h != 0.0) m = std::max(m, 1);
  return m;
}

double Hamiltonian::energy(const Bit* bits) const {
  double e = 0.0;
  for (std::size_t t = 0; t < coeffs_.size(); ++t) {
    // Parity of the number of down spins (bit 0) in the term; two-body terms (most models) without a
    // loop, and the sign applied by a multiplication (exact: ±1), not a data-dependent branch.
    const int first = offsets_[t], len = offsets_[t + 1] - first;
    int parity;
    if (len == 2) {
      parity = bits[sites_[first]] ^ bits[sites_[first + 1]];
    } else {
      parity = len & 1;
      for (int k = first; k < first + len; ++k) parity ^= bits[sites_[k]];
    }
    e += static_cast<double>(1 - 2 * parity) * coeffs_[t];
  }
  for (int i = 0; i < n_; ++i) e += fields_[i] * spinOf(bits[i]);
  return e;
}

void Hamiltonian::energies(const Bit* bits, std::int64_t count, double* out) const {
  for (std::int64_t s = 0; s < count; ++s) out[s] = energy(bits + s * n_);
}

Hamiltonian::SiteIndex Hamiltonian::buildSiteIndex() const {
  SiteIndex x;
  std::vector<int> count(n_ + 1, 0);
  for (int s : sites_) ++count[s + 1];
  x.offsets.assign(n_ + 1, 0);
  for (int i = 0; i < n_; ++i) x.offsets[i + 1] = x.offsets[i] + count[i + 1];
  x.terms.assign(sites_.size(), 0);
  std::vector<int> fill(x.offsets.begin(), x.offsets.end() - 1);
  for (std::size_t t = 0; t < coeffs_.size(); ++t)
    for (int k = offsets_[t]; k < offsets_[t + 1]; ++k) x.terms[fill[sites_[k]]++] = static_cast<int>(t);
  return x;
}

const Hamiltonian::SiteIndex& Hamiltonian::siteIndex() const {
  return index_.get([this] { return buildSiteIndex(); });
}

double Hamiltonian::flipDelta(const Bit* bits, int site) const {
  const SiteIndex& x = siteIndex();
  // Flipping σ_site negates every term containing it: ΔE = −2 Σ (term values) − 2 h σ.
  double local = fields_[site] * spinOf(bits[site]);
  for (int a = x.offsets[site]; a < x.offsets[site + 1]; ++a) {
    const int t = x.terms[a];
    int parity = 0;
    for (int k = offsets_[t]; k < offsets_[t + 1]; ++k) parity ^= (bits[sites_[k]] ^ 1);
    local += parity ? -coeffs_[t] : coeffs_[t];
  }
  return -2.0 * local;
}

double Hamiltonian::scale() const {
  double s = 0.0;
  for (double c : coeffs_) s += std::abs(c);
  for (double h : fields_) s += std::abs(h);
  return s;
}

}  // namespace vna
