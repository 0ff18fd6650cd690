#include <gtest/gtest.h>

#include "core/random.hpp"
#include "kokkos/device_hamiltonian.hpp"
#include "engine_test_utils.hpp"
#include "model/newman_moore.hpp"

namespace vna {
namespace {

// Origin: definition (the kernel evaluates the same terms as Hamiltonian::energy).
void checkEnergies(const Hamiltonian& h, std::uint64_t seed) {
  const int n = h.numSpins(), P = 3, Ns = 57;
  test::BitsView bits("bits", P, Ns, n);
  auto bh = Kokkos::create_mirror_view(bits);
  RngStream rng(seed, RngPurpose::kAnalysis, 0);
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < Ns; ++s)
      for (int i = 0; i < n; ++i) bh(p, s, i) = rng.uniform() < 0.5 ? 1 : 0;
  Kokkos::deep_copy(bits, bh);
  test::DoubleView energies("energies", P, Ns);
  computeEnergies(test::Space(), DeviceHamiltonian(h), bits, energies);
  auto eh = test::toHost(energies);
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < Ns; ++s) {
      // Same terms summed in the same order: identical up to compiler contraction (1e-12 relative).
      EXPECT_NEAR(eh(p, s), h.energy(&bh(p, s, 0)), 1e-12 * h.scale()) << h.name;
    }
}

TEST(Energies, NewmanMooreMatchesHostEnergy) { checkEnergies(newmanMoore(6, 1.0).hamiltonian, 1); }

TEST(Energies, MixedOrdersAndFieldsMatchHostEnergy) {
  Hamiltonian h(9);
  h.name = "mixed";
  RngStream rng(2, RngPurpose::kDisorder, 0);
  for (int t = 0; t < 20; ++t) {
    const int a = t % 9, b = (t * 4 + 1) % 9, c = (t * 7 + 2) % 9;
    if (a != b) h.addTerm(rng.normal(), {a, b});
    if (a != b && b != c && a != c) h.addTerm(rng.normal(), {a, b, c});
  }
  h.addTerm(0.5, {0, 2, 4, 6});
  for (int i = 0; i < 9; i += 2) h.addField(i, rng.normal());
  checkEnergies(h, 3);
}

}  // namespace
}  // namespace vna
