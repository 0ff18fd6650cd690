#pragma once
// One Hamiltonian type for every spin model in vna:
//   H(σ) = Σ_t c_t Π_{i∈t} σ_i  +  Σ_i h_i σ_i  −  Γ Σ_i σ^x_i ,    σ_i = ±1.
// Terms are p-body (p >= 1, stored CSR); fields are kept apart for speed. Configurations are stored
// as bits b_i ∈ {0,1} with σ_i = 2 b_i − 1 (bit 1 = spin up).
#include <cstdint>
#include <string>
#include <vector>

namespace vna {

using Bit = std::uint8_t;

inline int spinOf(Bit b) { return 2 * static_cast<int>(b) - 1; }

class Hamiltonian {
 public:
  Hamiltonian() = default;
  explicit Hamiltonian(int num_spins);

  int numSpins() const { return n_; }
  std::size_t numTerms() const { return coeffs_.size(); }

  // Adds c · Π σ_i over `sites` (distinct indices; a repeated pair cancels and is rejected).
  void addTerm(double coeff, const std::vector<int>& sites);
  // Adds h · σ_i.
  void addField(int site, double h);
  void setTransverseField(double gamma) { gamma_ = gamma; }
  double transverseField() const { return gamma_; }

  // Term access (CSR).
  double termCoeff(std::size_t t) const { return coeffs_[t]; }
  const int* termSitesBegin(std::size_t t) const { return sites_.data() + offsets_[t]; }
  const int* termSitesEnd(std::size_t t) const { return sites_.data() + offsets_[t + 1]; }
  int termOrder(std::size_t t) const { return offsets_[t + 1] - offsets_[t]; }
  const std::vector<double>& fields() const { return fields_; }
  int maxOrder() const;

  // Classical (diagonal) energy of one configuration of n bits.
  double energy(const Bit* bits) const;
  double energy(const std::vector<Bit>& bits) const { return energy(bits.data()); }
  // Energies of `count` configurations stored contiguously (count × n bits).
  void energies(const Bit* bits, std::int64_t count, double* out) const;
  // E(σ with spin i flipped) − E(σ). Uses the site→term index built by finalize().
  double flipDelta(const Bit* bits, int site) const;

  // Builds the site→term adjacency; called automatically by the first flipDelta if needed.
  void finalize();

  // Σ_t |c_t| + Σ_i |h_i|: a scale for relative tolerances.
  double scale() const;

  std::string name;  // e.g. "newman_moore L=6"

 private:
  int n_ = 0;
  std::vector<double> coeffs_;
  std::vector<int> offsets_{0};
  std::vector<int> sites_;
  std::vector<double> fields_;
  double gamma_ = 0.0;
  // site -> terms containing it (CSR)
  std::vector<int> adj_offsets_;
  std::vector<int> adj_terms_;
};

}  // namespace vna
