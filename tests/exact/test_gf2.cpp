#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "core/error.hpp"
#include "core/mpi_comm.hpp"
#include "core/random.hpp"
#include "exact/enumeration.hpp"
#include "exact/gf2.hpp"
#include "exact/newman_moore_exact.hpp"
#include "model/newman_moore.hpp"

namespace vna {
namespace {

Gf2Matrix fromRows(int cols, const std::vector<std::vector<int>>& rows) {
  Gf2Matrix m(static_cast<int>(rows.size()), cols);
  for (std::size_t r = 0; r < rows.size(); ++r)
    for (int c : rows[r]) m.set(static_cast<int>(r), c);
  return m;
}

bool isZero(const Gf2Vector& v) {
  return std::all_of(v.begin(), v.end(), [](std::uint64_t w) { return w == 0; });
}

Gf2Vector bitsVector(int n, const std::vector<int>& ones) {
  Gf2Vector v(gf2Words(n), 0);
  for (int j : ones) gf2Set(v, j);
  return v;
}

}  // namespace

// Origin of every number in this test: hand calculation.
TEST(Gf2, RankAndKernelOfHandMadeMatrices) {
  const Gf2Matrix identity = fromRows(3, {{0}, {1}, {2}});
  EXPECT_EQ(gf2Rank(identity), 3);
  EXPECT_TRUE(gf2Kernel(identity).empty());

  // Rows sum to zero: rank 2, kernel spanned by (1,1,1).
  const Gf2Matrix cycle = fromRows(3, {{0, 1}, {1, 2}, {0, 2}});
  EXPECT_EQ(gf2Rank(cycle), 2);
  const auto kc = gf2Kernel(cycle);
  ASSERT_EQ(kc.size(), 1u);
  EXPECT_EQ(kc[0], bitsVector(3, {0, 1, 2}));

  const Gf2Matrix zero(2, 5);
  EXPECT_EQ(gf2Rank(zero), 0);
  EXPECT_EQ(gf2Kernel(zero).size(), 5u);

  // Row 3 = row 0 + row 2, row 1 = row 0: rank 2; kernel x0 = x2, x1 = 0 -> (1,0,1).
  const Gf2Matrix dup = fromRows(3, {{0, 2}, {0, 2}, {1}, {0, 1, 2}});
  EXPECT_EQ(gf2Rank(dup), 2);
  const auto kd = gf2Kernel(dup);
  ASSERT_EQ(kd.size(), 1u);
  EXPECT_EQ(kd[0], bitsVector(3, {0, 2}));

  // Columns across the 64-bit word boundary: rank 2, kernel dimension 130 − 2 = 128, and
  // x = e0 + e64 + e129 satisfies both equations x0 + x129 = 0, x64 + x129 = 0.
  const Gf2Matrix wide = fromRows(130, {{0, 129}, {64, 129}});
  EXPECT_EQ(gf2Rank(wide), 2);
  EXPECT_EQ(gf2Kernel(wide).size(), 128u);
  EXPECT_TRUE(isZero(wide.multiply(bitsVector(130, {0, 64, 129}))));
  EXPECT_FALSE(isZero(wide.multiply(bitsVector(130, {0, 64}))));
}

// Origin: hand calculation (x0+x1 = b0, x1+x2 = b1, x0+x2 = b2 is solvable iff b0+b1+b2 = 0).
TEST(Gf2, SolveFindsSolutionsOrReportsInconsistency) {
  const Gf2Matrix cycle = fromRows(3, {{0, 1}, {1, 2}, {0, 2}});
  const Gf2Vector b = bitsVector(3, {0, 1});
  const auto x = gf2Solve(cycle, b);
  ASSERT_TRUE(x.has_value());
  EXPECT_EQ(cycle.multiply(*x), b);
  EXPECT_FALSE(gf2Solve(cycle, bitsVector(3, {0})).has_value());
}

// Origin: rank-nullity and rank(M) = rank(Mᵀ), on random matrices of several shapes and densities.
TEST(Gf2, KernelIsABasisOfTheNullSpace) {
  RngStream rng(5, RngPurpose::kAnalysis, 0);
  for (const auto& [rows, cols, density] :
       std::vector<std::tuple<int, int, double>>{{10, 10, 0.3}, {40, 70, 0.05}, {130, 100, 0.02}, {65, 200, 0.5}}) {
    Gf2Matrix m(rows, cols);
    for (int r = 0; r < rows; ++r)
      for (int c = 0; c < cols; ++c)
        if (rng.uniform() < density) m.set(r, c);
    const int rank = gf2Rank(m);
    EXPECT_EQ(rank, gf2Rank(m.transposed()));
    const auto kernel = gf2Kernel(m);
    ASSERT_EQ(static_cast<int>(kernel.size()), cols - rank);
    Gf2Matrix basis(static_cast<int>(kernel.size()), cols);
    for (std::size_t k = 0; k < kernel.size(); ++k) {
      EXPECT_TRUE(isZero(m.multiply(kernel[k])));
      for (int c = 0; c < cols; ++c)
        if (gf2Get(kernel[k], c)) basis.set(static_cast<int>(k), c);
    }
    EXPECT_EQ(gf2Rank(basis), cols - rank);  // independent
  }
}

// Origin: literature values quoted in the task (Newman & Moore, Phys. Rev. E 60, 5068 (1999) and
// follow-ups): the ground state is unique for L = 2^m, 4-fold degenerate for L = 3, 16-fold for L = 6.
TEST(NewmanMooreExact, DegeneracyForKnownSizes) {
  for (int L : {2, 4, 8, 16}) EXPECT_EQ(newmanMooreDegeneracyExponent(L), 0) << "L=" << L;
  EXPECT_EQ(newmanMooreDegeneracyExponent(3), 2);
  EXPECT_EQ(newmanMooreDegeneracyExponent(6), 4);
  // Origin: rank(A) = rank(Aᵀ), so the dual code C⊥ = ker Aᵀ has the same dimension k.
  for (int L = 2; L <= 16; ++L)
    EXPECT_EQ(NewmanMooreExact(L).degeneracyExponent(), newmanMooreDegeneracyExponent(L)) << "L=" << L;
}

// Origin: exhaustive enumeration of all 2^(L²) configurations.
TEST(NewmanMooreExact, GroundStatesMatchEnumeration) {
  const Comm comm;
  for (int L = 2; L <= 5; ++L) {
    for (double J : {1.0, -0.5}) {
      const Model model = newmanMoore(L, J);
      const auto listed = newmanMooreGroundStates(L, J, 1 << 20);
      const EnumerationResult en = enumerateExhaustively(model.hamiltonian, {}, comm, 1 << 20);
      EXPECT_EQ(static_cast<std::int64_t>(listed.size()), std::int64_t(1) << newmanMooreDegeneracyExponent(L));
      EXPECT_EQ(en.num_ground_states, static_cast<std::int64_t>(listed.size())) << "L=" << L << " J=" << J;
      // Origin: closed form E0 = −N|J|/2 (every triangle satisfied); exact in binary floating point.
      EXPECT_DOUBLE_EQ(en.ground_energy, -0.5 * std::abs(J) * L * L);
      const std::set<std::vector<Bit>> a(listed.begin(), listed.end()), b(en.ground_states.begin(), en.ground_states.end());
      EXPECT_EQ(a.size(), listed.size());  // no duplicates
      EXPECT_EQ(a, b) << "L=" << L << " J=" << J;
    }
  }
}

TEST(NewmanMooreExact, GroundStateCapIsEnforced) {
  EXPECT_THROW(newmanMooreGroundStates(3, 1.0, 3), InputError);  // 4 ground states > cap 3
  EXPECT_THROW(newmanMooreGroundStates(3, 0.0, 100), InputError);
}

}  // namespace vna
