#include <gtest/gtest.h>

// The energy kernels: computeEnergies (the Kokkos path) against Hamiltonian::energy, and the energies
// every backend returns with its samples (sampleWithEnergies; inside the sampling kernel on cuda).
#include <cmath>

#include "core/random.hpp"
#include "engine_test_utils.hpp"
#include "kokkos/device_hamiltonian.hpp"
#include "model/newman_moore.hpp"

namespace vna {
namespace {

using test::Space;

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
  computeEnergies(Space(), DeviceHamiltonian(h), bits, energies);
  auto eh = test::toHost(energies);
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < Ns; ++s) {
      // Same terms summed in the same order: identical up to compiler contraction (1e-12 relative).
      EXPECT_NEAR(eh(p, s), h.energy(&bh(p, s, 0)), 1e-12 * h.scale()) << h.name;
    }
}

TEST(Energies, NewmanMooreMatchesHostEnergy) { checkEnergies(newmanMoore(6, 1.0).hamiltonian, 1); }

Hamiltonian mixedHamiltonian() {
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
  return h;
}

TEST(Energies, MixedOrdersAndFieldsMatchHostEnergy) { checkEnergies(mixedHamiltonian(), 3); }

class EngineEnergies : public test::BackendTest {};

// The energies returned with the samples equal H of the returned configurations, and without a
// configuration buffer the same log p and energies come back (origin: the sums of energy_rule.hpp in
// the same order as Hamiltonian::energy; Newman-Moore couplings ±J/2 make every partial sum exact, the
// mixed model's random couplings leave rounding below 1e-12 of its scale; the same kernel and counters).
TEST_P(EngineEnergies, SampleWithEnergiesMatchesTheHamiltonian) {
  const Model nm = newmanMoore(8, 1.0);
  const Model mixed{mixedHamiltonian(), Lattice::square(3, 3), "mixed", {}, {}, {}, "", ""};
  for (const Model* model : {&nm, &mixed}) {
    const Hamiltonian& h = model->hamiltonian;
    const int P = 3, M = 41, N = h.numSpins();
    RnnEngine<float> engine(engineConfig(CellKind::kVanilla2d, 16, model->lattice));
    engine.setHamiltonian(h);
    auto params = test::makeParams<float>(test::initialSets(engine.layout(), P, 3, 1.0));
    auto streams = test::makeStreams({0, 1, 2});
    test::BitsView bits("bits", P, M, N);
    test::DoubleView logp("logp", P, M), energies("energies", P, M), logp2("logp2", P, M), energies2("e2", P, M);
    const SampleCounters counters{9, 2, 0};
    engine.sampleWithEnergies(Space(), params, streams, counters, bits, logp, energies);
    engine.sampleWithEnergies(Space(), params, streams, counters, test::BitsView(), logp2, energies2);
    auto bh = test::toHost(bits);
    auto eh = test::toHost(energies), e2 = test::toHost(energies2), lh = test::toHost(logp), l2 = test::toHost(logp2);
    for (int p = 0; p < P; ++p)
      for (int s = 0; s < M; ++s) {
        EXPECT_NEAR(eh(p, s), h.energy(&bh(p, s, 0)), 1e-12 * h.scale()) << h.name;
        EXPECT_EQ(e2(p, s), eh(p, s));
        EXPECT_EQ(l2(p, s), lh(p, s));
      }
  }
}

VNA_TEST_ON_EVERY_BACKEND(EngineEnergies);

}  // namespace
}  // namespace vna
