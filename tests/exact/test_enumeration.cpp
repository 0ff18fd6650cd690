// Runs under 1 and 2 MPI ranks (RANKS 1 2).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "core/mpi_comm.hpp"
#include "exact/enumeration.hpp"
#include "exact/newman_moore_exact.hpp"
#include "model/newman_moore.hpp"
#include "random_hamiltonian.hpp"

namespace vna {
namespace {

const std::vector<double> kTemperatures = {0.0, 0.1, 0.5, 1.0, 2.0, 10.0};

std::uint64_t indexOf(const std::vector<Bit>& bits) {
  std::uint64_t s = 0;
  for (std::size_t i = 0; i < bits.size(); ++i) s |= std::uint64_t(bits[i]) << i;
  return s;
}

// Reference by direct summation over all states in index order (Hamiltonian::energy, long double).
struct Direct {
  double e0 = std::numeric_limits<double>::infinity();
  std::int64_t degeneracy = 0;
  std::vector<double> log_z, energy;
};
Direct directSum(const Hamiltonian& h, const std::vector<double>& temperatures) {
  const int n = h.numSpins();
  std::vector<double> e(std::size_t(1) << n);
  std::vector<Bit> bits(n);
  for (std::uint64_t s = 0; s < e.size(); ++s) {
    for (int i = 0; i < n; ++i) bits[i] = (s >> i) & 1u;
    e[s] = h.energy(bits);
  }
  Direct d;
  for (double v : e) d.e0 = std::min(d.e0, v);
  for (double v : e) d.degeneracy += v <= d.e0 + 1e-9 * std::max(1.0, std::fabs(d.e0));
  for (double T : temperatures) {
    long double z = 0, ez = 0;
    for (double v : e) {
      const long double w = std::exp(-(static_cast<long double>(v) - d.e0) / T);
      z += w;
      ez += v * w;
    }
    d.log_z.push_back(static_cast<double>(-d.e0 / T + std::log(z)));
    d.energy.push_back(static_cast<double>(ez / z / n));
  }
  return d;
}

void expectBitwiseEqual(const EnumerationResult& a, const EnumerationResult& b) {
  EXPECT_EQ(a.ground_energy, b.ground_energy);
  EXPECT_EQ(a.num_ground_states, b.num_ground_states);
  EXPECT_EQ(a.ground_states, b.ground_states);
  ASSERT_EQ(a.thermodynamics.size(), b.thermodynamics.size());
  for (std::size_t k = 0; k < a.thermodynamics.size(); ++k) {
    const Thermodynamics &x = a.thermodynamics[k], &y = b.thermodynamics[k];
    if (x.temperature > 0) {
      EXPECT_EQ(x.log_z, y.log_z);
    }
    EXPECT_EQ(x.free_energy, y.free_energy);
    EXPECT_EQ(x.energy, y.energy);
    EXPECT_EQ(x.entropy, y.entropy);
  }
}

}  // namespace

// Origin: the same enumeration on MPI_COMM_SELF (each rank alone); the fixed block decomposition
// and block-order combination make the results bitwise identical for any rank count (so also
// within the 1e-12 relative promised in the documentation). Plus direct summation as reference:
// relative rounding of a 2^16-term sum is below 1e-13, tolerance 1e-12.
TEST(Enumeration, RandomHamiltonianIsRankCountIndependent) {
  const Comm world, self(MPI_COMM_SELF);
  const Hamiltonian h = test::randomHamiltonian(16, 20, 24, 2024);
  const EnumerationResult all = enumerateExhaustively(h, kTemperatures, world);
  const EnumerationResult alone = enumerateExhaustively(h, kTemperatures, self);
  expectBitwiseEqual(all, alone);

  const Direct d = directSum(h, {0.1, 0.5, 1.0, 2.0, 10.0});
  EXPECT_EQ(all.ground_energy, d.e0);
  EXPECT_EQ(all.num_ground_states, d.degeneracy);
  ASSERT_EQ(all.ground_states.size(), static_cast<std::size_t>(d.degeneracy));
  EXPECT_EQ(h.energy(all.ground_states[0]), d.e0);
  for (std::size_t k = 1; k < kTemperatures.size(); ++k) {
    const Thermodynamics& t = all.thermodynamics[k];
    EXPECT_NEAR(t.log_z, d.log_z[k - 1], 1e-12 * std::fabs(d.log_z[k - 1]));
    EXPECT_NEAR(t.energy, d.energy[k - 1], 1e-12 * std::max(1.0, std::fabs(d.energy[k - 1])));
    // Origin: thermodynamic identities F = −T ln Z and S = (E − F)/T.
    EXPECT_NEAR(t.free_energy, -t.temperature * t.log_z / 16, 1e-12 * std::fabs(t.free_energy));
    EXPECT_NEAR(t.entropy, (t.energy - t.free_energy) / t.temperature, 1e-9);
  }
}

// Origin: the GF(2) ground-state listing of Newman-Moore L = 3 (4 ground states), sorted by state
// index, and the closed form E0 = −N|J|/2; with a cap the smallest indices are kept.
TEST(Enumeration, DegenerateGroundStatesAreCountedAndCapped) {
  const Comm world;
  const Hamiltonian h = newmanMoore(3, 1.0).hamiltonian;
  auto listed = newmanMooreGroundStates(3, 1.0, 100);
  std::sort(listed.begin(), listed.end(),
            [](const std::vector<Bit>& a, const std::vector<Bit>& b) { return indexOf(a) < indexOf(b); });
  const EnumerationResult full = enumerateExhaustively(h, kTemperatures, world, 100);
  EXPECT_EQ(full.ground_energy, -4.5);
  EXPECT_EQ(full.num_ground_states, 4);
  EXPECT_EQ(full.ground_states, listed);
  const EnumerationResult capped = enumerateExhaustively(h, {}, world, 2);
  EXPECT_EQ(capped.num_ground_states, 4);
  ASSERT_EQ(capped.ground_states.size(), 2u);
  EXPECT_EQ(capped.ground_states[0], listed[0]);
  EXPECT_EQ(capped.ground_states[1], listed[1]);
  // Origin: T = 0 limits: e = f = E0/N, s = ln 4 / N.
  EXPECT_EQ(full.thermodynamics[0].energy, -0.5);
  EXPECT_NEAR(full.thermodynamics[0].entropy, std::log(4.0) / 9, 1e-15);
  EXPECT_TRUE(std::isnan(full.thermodynamics[0].log_z));
}

// Origin: closed form for H = 0 (every state a ground state): ln Z = N ln 2, E = 0, S/N = ln 2.
// Also with a field only: ln Z = Σ ln(2 cosh(β h_i)).
TEST(Enumeration, FreeSpinsClosedForm) {
  const Comm world;
  const int n = 10;
  Hamiltonian zero(n);
  const EnumerationResult en = enumerateExhaustively(zero, {0.0, 1.0}, world, 4);
  EXPECT_EQ(en.num_ground_states, 1024);
  EXPECT_EQ(en.ground_states.size(), 4u);
  EXPECT_NEAR(en.thermodynamics[0].entropy, std::log(2.0), 1e-15);
  EXPECT_NEAR(en.thermodynamics[1].log_z, n * std::log(2.0), 1e-13);

  Hamiltonian field(n);
  double expected = 0;
  for (int i = 0; i < n; ++i) {
    field.addField(i, 0.1 * (i + 1));
    expected += std::log(2 * std::cosh(0.1 * (i + 1) / 0.7));
  }
  const EnumerationResult ef = enumerateExhaustively(field, {0.7}, world);
  EXPECT_NEAR(ef.thermodynamics[0].log_z, expected, 1e-13 * expected);
  EXPECT_EQ(ef.num_ground_states, 1);
  EXPECT_EQ(ef.ground_states[0], std::vector<Bit>(n, 0));  // all down minimises Σ h_i σ_i with h > 0
}

TEST(Enumeration, RejectsBadInput) {
  const Comm world;
  EXPECT_THROW(enumerateExhaustively(Hamiltonian(31), {}, world), InputError);
  EXPECT_THROW(enumerateExhaustively(Hamiltonian(4), {-1.0}, world), InputError);
}

}  // namespace vna
