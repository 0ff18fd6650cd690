#pragma once
// Exact results for the Newman-Moore model H = (J/2) Σ_t σ_a σ_b σ_c on the periodic L×L lattice
// (model/newman_moore.hpp), for any L, from linear algebra over GF(2).
//
// Write σ_i = (−1)^{s_i} (s_i = 1 for a DOWN spin, i.e. s_i = 1 − b_i) and let A be the N×N
// triangle map over GF(2): row t has ones at the three sites of triangle t, so the product of
// triangle t is (−1)^{(A s)_t}.
//  * Ground states (J > 0): all triangles −1, i.e. A s = 1; (J < 0): A s = 0. Either set is a
//    coset of ker A (A·1 = 1 since each row has three ones), so there are 2^k of them with
//    k = N − rank A.
//  * Partition function (high-temperature expansion, exact): with K = βJ/2 and u = −tanh K,
//      e^{−K(−1)^c} = cosh K (1 + u (−1)^c), so
//      Z = (cosh K)^N Σ_s Π_t (1 + u (−1)^{(As)_t})
//        = (cosh K)^N Σ_{w ⊆ triangles} u^{|w|} Σ_s (−1)^{(Aᵀw)·s}
//        = (2 cosh K)^N Σ_{w ∈ C⊥} u^{|w|},    C⊥ = ker Aᵀ (dimension k, 2^k words).
//    This is MacWilliams' identity for the image code C = im A (each image word hit 2^k times).
//    Every w ∈ C⊥ has even weight (w·1 = w·(A1) = (Aᵀw)·1 = 0), so u^{|w|} = |u|^{|w|} > 0: the
//    sum has no cancellation at any temperature. For k = 0 (e.g. L = 2^m) Z = (2 cosh K)^N.
#include <cstdint>
#include <vector>

#include "exact/gf2.hpp"
#include "exact/thermodynamics.hpp"
#include "model/hamiltonian.hpp"

namespace vna {

// The N×N triangle map A (N = L², site x + L y, triangle t = x + L y on sites t, (x+1,y), (x,y+1)).
Gf2Matrix newmanMooreTriangleMap(int L);

// k = N − rank A: the model has 2^k ground states (for any J ≠ 0).
int newmanMooreDegeneracyExponent(int L);

// All 2^k ground states as bit vectors (bit 1 = up), in Gray-code order over the canonical kernel
// basis starting from all-down (J > 0) or all-up (J < 0). Throws InputError if J == 0 or if
// 2^k > max_states.
std::vector<std::vector<Bit>> newmanMooreGroundStates(int L, double J, std::int64_t max_states);

// Exact thermodynamics from the weight distribution of the dual code C⊥ = ker Aᵀ.
class NewmanMooreExact {
 public:
  // Enumerates the 2^k dual codewords (Gray code over the kernel basis, O(2^k N/64)); throws
  // InputError if k > max_dual_dimension (2^30 words take about a minute for N ~ 1000).
  explicit NewmanMooreExact(int L, double J = 1.0, int max_dual_dimension = 30);

  int L() const { return l_; }
  int numSpins() const { return n_; }
  double coupling() const { return j_; }
  int degeneracyExponent() const { return k_; }
  // B_w: number of words of weight w in C⊥, w = 0..N (B_0 = 1, odd entries are zero).
  const std::vector<std::uint64_t>& dualWeightDistribution() const { return weights_; }

  // ln Z at temperature T > 0 (long double internally; T = 0 throws InputError, ln Z diverges).
  double logZ(double temperature) const;
  // f, e, s per spin at T >= 0 (T = 0 gives the limits −|J|/2, −|J|/2, k ln2 / N); e is the
  // analytic derivative −∂ln Z/∂β / N, s = ln Z / N + β e.
  Thermodynamics thermodynamics(double temperature) const;
  double freeEnergy(double temperature) const { return thermodynamics(temperature).free_energy; }
  double energy(double temperature) const { return thermodynamics(temperature).energy; }
  double entropy(double temperature) const { return thermodynamics(temperature).entropy; }

 private:
  int l_ = 0, n_ = 0, k_ = 0;
  double j_ = 1.0;
  std::vector<std::uint64_t> weights_;
};

}  // namespace vna
