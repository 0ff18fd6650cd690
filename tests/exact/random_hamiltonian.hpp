#pragma once
// A reproducible random Hamiltonian for tests: 3-body and 2-body terms on random distinct sites
// and a field on every site, all couplings uniform in [−1, 1).
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/random.hpp"
#include "model/hamiltonian.hpp"

namespace vna::test {

inline Hamiltonian randomHamiltonian(int n, int num_three_body, int num_two_body, std::uint64_t seed) {
  Hamiltonian h(n);
  RngStream rng(seed, RngPurpose::kDisorder, 0);
  auto site = [&] { return std::min(n - 1, static_cast<int>(rng.uniform() * n)); };
  auto coupling = [&] { return 2.0 * rng.uniform() - 1.0; };
  for (int t = 0; t < num_three_body; ++t) {
    int a = site(), b = site(), c = site();
    while (b == a) b = site();
    while (c == a || c == b) c = site();
    h.addTerm(coupling(), {a, b, c});
  }
  for (int t = 0; t < num_two_body; ++t) {
    int a = site(), b = site();
    while (b == a) b = site();
    h.addTerm(coupling(), {a, b});
  }
  for (int i = 0; i < n; ++i) h.addField(i, coupling());
  h.name = "random test Hamiltonian";
  return h;
}

}  // namespace vna::test
