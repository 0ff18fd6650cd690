// Spin-model builders: Hamiltonian evaluation, Ising chain, Newman-Moore, Edwards-Anderson (against
// the published instances), Sherrington-Kirkpatrick, Wishart planted, buildModel dispatch.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "core/random.hpp"
#include "model/edwards_anderson.hpp"
#include "model/ising_chain.hpp"
#include "model/model.hpp"
#include "model/newman_moore.hpp"
#include "model/sherrington_kirkpatrick.hpp"
#include "model/wishart_planted.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

std::vector<Bit> randomBits(int n, std::mt19937& g) {
  std::vector<Bit> b(n);
  for (auto& x : b) x = static_cast<Bit>(g() & 1u);
  return b;
}

using Bond = std::tuple<int, int, double>;

// The 2-body terms of h as (i + base, j + base, J) with J = −coefficient (the file convention).
std::set<Bond> bondsOf(const Hamiltonian& h, int base) {
  std::set<Bond> out;
  for (std::size_t t = 0; t < h.numTerms(); ++t) {
    EXPECT_EQ(h.termOrder(t), 2);
    out.emplace(h.termSitesBegin(t)[0] + base, h.termSitesBegin(t)[1] + base, -h.termCoeff(t));
  }
  return out;
}

std::vector<double> coefficients(const Hamiltonian& h) {
  std::vector<double> c(h.numTerms());
  for (std::size_t t = 0; t < c.size(); ++t) c[t] = h.termCoeff(t);
  return c;
}

// ---------------------------------------------------------------- Hamiltonian

// H = 2 σ0σ1 − σ1σ2σ3 + 0.5 σ0 − σ3 on 4 spins.
TEST(Hamiltonian, HandComputedEnergies) {
  Hamiltonian h(4);
  h.addTerm(2.0, {0, 1});
  h.addTerm(-1.0, {1, 2, 3});
  h.addField(0, 0.5);
  h.addField(3, -1.0);
  // Origin: hand calculation. σ = (+,+,−,+): 2·1 − (1·(−1)·1) + 0.5·1 − 1·1 = 2 + 1 + 0.5 − 1 = 2.5.
  EXPECT_EQ(h.energy(std::vector<Bit>{1, 1, 0, 1}), 2.5);
  // Origin: hand calculation. σ = (−,−,−,−): 2·1 − (−1) + 0.5·(−1) − 1·(−1) = 2 + 1 − 0.5 + 1 = 3.5.
  EXPECT_EQ(h.energy(std::vector<Bit>{0, 0, 0, 0}), 3.5);
  // Origin: hand calculation. σ = (+,−,+,−): 2·(−1) − (−1·1·−1) + 0.5 − (−1) = −2 − 1 + 0.5 + 1 = −1.5.
  EXPECT_EQ(h.energy(std::vector<Bit>{1, 0, 1, 0}), -1.5);
}

TEST(IsingChain, HandComputedEnergies) {
  // Origin: hand calculation, H = −J Σ σ_iσ_{i+1} − h Σ σ_i with J = 1, h = 0.5, σ = (+,−,+):
  // open: −(−1 − 1) − 0.5·1 = 1.5; periodic adds −σ2σ0 = −1: 0.5.
  const std::vector<Bit> s{1, 0, 1};
  EXPECT_EQ(isingChain(3, 1.0, false, 0.5).hamiltonian.energy(s), 1.5);
  EXPECT_EQ(isingChain(3, 1.0, true, 0.5).hamiltonian.energy(s), 0.5);
  // Origin: closed form. Ferromagnet without field: ground states all up / all down, E0 = −J (N−1) open.
  const Model m = isingChain(8, 1.0, false, 0.0);
  ASSERT_TRUE(m.ground_energy.has_value());
  EXPECT_EQ(*m.ground_energy, -7.0);
  EXPECT_EQ(m.ground_states.size(), 2u);
  // Origin: closed form. Antiferromagnet on an even ring: Néel states, E0 = −|J| N.
  const Model afm = isingChain(6, -2.0, true, 0.0);
  ASSERT_TRUE(afm.ground_energy.has_value());
  EXPECT_EQ(*afm.ground_energy, -12.0);
  for (const auto& g : afm.ground_states) EXPECT_EQ(afm.hamiltonian.energy(g), -12.0);
  EXPECT_THROW(isingChain(2, 1.0, true, 0.0), InputError);
  EXPECT_THROW(isingChain(1, 1.0, false, 0.0), InputError);
}

TEST(IsingChain, GroundTruthMatchesEnumeration) {
  // Origin: exhaustive enumeration of all 2^10 states.
  for (const auto& [J, h, periodic] : std::vector<std::tuple<double, double, bool>>{
           {1.0, 0.0, false}, {1.0, 0.3, true}, {0.7, -0.2, false}, {-1.0, 0.0, false}, {-1.0, 0.0, true}}) {
    const Model m = isingChain(10, J, periodic, h);
    ASSERT_TRUE(m.ground_energy.has_value());
    double e_min = 1e300;
    std::vector<Bit> b(10);
    for (int s = 0; s < 1 << 10; ++s) {
      for (int i = 0; i < 10; ++i) b[i] = static_cast<Bit>((s >> i) & 1);
      e_min = std::min(e_min, m.hamiltonian.energy(b));
    }
    // Tolerance: round-off of summing 20 terms of size <= 1 (1e-12 is far above it).
    EXPECT_NEAR(*m.ground_energy, e_min, 1e-12) << "J=" << J << " h=" << h;
  }
}

// The site index behind flipDelta is built on first use; threads sharing a fresh Hamiltonian (and
// copies made meanwhile, and a Hamiltonian that gains a term later) all see a complete index.
// Origin: the same flipDelta values computed serially beforehand (exact equality: same arithmetic).
TEST(Hamiltonian, FlipDeltaIsSafeFromConcurrentThreads) {
  const Hamiltonian proto = newmanMoore(8, 1.0).hamiltonian;
  std::mt19937 g(7);
  const std::vector<Bit> b = randomBits(proto.numSpins(), g);
  std::vector<double> expected(proto.numSpins());
  {
    const Hamiltonian serial = proto;
    for (int i = 0; i < serial.numSpins(); ++i) expected[i] = serial.flipDelta(b.data(), i);
  }
  for (int round = 0; round < 20; ++round) {
    Hamiltonian fresh = newmanMoore(8, 1.0).hamiltonian;  // index not built yet
    std::vector<int> bad(8, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
      threads.emplace_back([&, t] {
        const Hamiltonian copy = fresh;  // copies taken while others build
        for (int i = 0; i < fresh.numSpins(); ++i)
          bad[t] += fresh.flipDelta(b.data(), i) != expected[i] || copy.flipDelta(b.data(), i) != expected[i];
      });
    for (auto& t : threads) t.join();
    for (int t = 0; t < 8; ++t) EXPECT_EQ(bad[t], 0) << "thread " << t;
    // A term added after the index was built is seen by the next call.
    fresh.addTerm(0.5, {0, 1});
    std::vector<Bit> f = b;
    f[0] ^= 1;
    EXPECT_NEAR(fresh.flipDelta(b.data(), 0), fresh.energy(f) - fresh.energy(b), 1e-12);
  }
}

// Every model type: flipDelta is the energy difference and energies() equals energy().
// Origin: definition of flipDelta (E after flip − E before); tolerance: round-off of the two sums,
// 1e-12 relative to Hamiltonian::scale() (Σ|c|).
TEST(Hamiltonian, FlipDeltaAndBatchEnergiesForEveryModelType) {
  std::vector<Model> models;
  models.push_back(isingChain(9, 0.8, true, 0.3));
  models.push_back(newmanMoore(5, 1.0));
  models.push_back(edwardsAnderson(6, 5, true, CouplingDistribution::kGaussian, 3));
  models.push_back(edwardsAnderson(4, 7, false, CouplingDistribution::kPmJ, 4));
  models.push_back(sherringtonKirkpatrick(20, 5, 2));
  models.push_back(wishartPlanted(16, 0.25, 6, 1));
  ModelSpec spec;
  spec.type = "edwards_anderson";
  spec.Lx = spec.Ly = 5;
  spec.field = -0.4;
  models.push_back(buildModel(spec, 0));
  std::mt19937 g(2024);
  for (const Model& m : models) {
    const Hamiltonian& h = m.hamiltonian;
    const int n = h.numSpins();
    const int count = 20;
    std::vector<Bit> batch;
    for (int c = 0; c < count; ++c) {
      std::vector<Bit> b = randomBits(n, g);
      batch.insert(batch.end(), b.begin(), b.end());
      const double e = h.energy(b);
      for (int i = 0; i < n; ++i) {
        std::vector<Bit> f = b;
        f[i] ^= 1;
        EXPECT_NEAR(h.flipDelta(b.data(), i), h.energy(f) - e, 1e-12 * h.scale()) << h.name << " site " << i;
      }
    }
    std::vector<double> out(count);
    h.energies(batch.data(), count, out.data());
    for (int c = 0; c < count; ++c) EXPECT_EQ(out[c], h.energy(batch.data() + c * n)) << h.name;
  }
}

// ---------------------------------------------------------------- Newman-Moore

TEST(NewmanMoore, AllDownEnergyAndTermStructure) {
  for (int L = 2; L <= 8; ++L) {
    const Model m = newmanMoore(L, 1.0);
    const int n = L * L;
    // Origin: closed form, every triangle product is (−1)^3 = −1, so E = (J/2)·(−1)·N = −N/2.
    EXPECT_EQ(m.hamiltonian.energy(std::vector<Bit>(n, 0)), -0.5 * n) << "L=" << L;
    // Origin: definition, one downward triangle per site, and each site is the left, right or top
    // corner of exactly three of them.
    EXPECT_EQ(m.hamiltonian.numTerms(), static_cast<std::size_t>(n));
    std::vector<int> count(n, 0);
    for (std::size_t t = 0; t < m.hamiltonian.numTerms(); ++t)
      for (const int* s = m.hamiltonian.termSitesBegin(t); s != m.hamiltonian.termSitesEnd(t); ++s) ++count[*s];
    for (int i = 0; i < n; ++i) EXPECT_EQ(count[i], 3) << "L=" << L << " site " << i;
  }
}

// ---------------------------------------------------------------- Edwards-Anderson

TEST(EdwardsAnderson, FirstBondsOfSeedOne) {
  // Origin: published file 10x10_uniform_seed1.txt (data/README.md): first bonds 1 2 and 1 11.
  const std::vector<double> a = edwardsAndersonBondArray(10, 10, CouplingDistribution::kUniform, 1);
  EXPECT_EQ(a[0], -0.165955990594852);
  EXPECT_EQ(a[1], 0.4406489868843162);
}

// The published 10x10 instances are regenerated bit for bit, as sets of (i, j, J), 1-based ids.
TEST(EdwardsAnderson, RegeneratesPublishedInstances) {
  if (!test::haveSharedData("ea_10x10")) GTEST_SKIP() << "published instances not found in " << test::sharedDataDir();
  for (int s = 1; s <= 25; ++s) {
    const auto path = test::sharedDataDir() / "ea_10x10" / ("10x10_uniform_seed" + std::to_string(s) + ".txt");
    std::ifstream in(path);
    ASSERT_TRUE(in) << path;
    std::set<Bond> file;
    int i, j;
    double J;
    while (in >> i >> j >> J) file.emplace(std::min(i, j), std::max(i, j), J);  // strtod: correctly rounded
    ASSERT_EQ(file.size(), 180u) << path;  // Origin: 2·10·9 bonds of an open 10x10 lattice.
    // Origin: published file (exact double equality).
    EXPECT_EQ(bondsOf(edwardsAnderson(10, 10, false, CouplingDistribution::kUniform, s).hamiltonian, 1), file)
        << "seed " << s;
    if (s == 5) {  // buildModel: realization r uses seed spec.seed + r.
      ModelSpec spec;
      spec.type = "edwards_anderson";
      spec.Lx = spec.Ly = 10;
      spec.seed = 1;
      EXPECT_EQ(bondsOf(buildModel(spec, 4).hamiltonian, 1), file);
    }
  }
}

TEST(EdwardsAnderson, BoundaryConditionsShareTheDraws) {
  const Model open = edwardsAnderson(5, 4, false, CouplingDistribution::kGaussian, 9);
  const Model per = edwardsAnderson(5, 4, true, CouplingDistribution::kGaussian, 9);
  // Origin: bond counting, open: (Lx−1)Ly + Lx(Ly−1) = 31; periodic: 2 Lx Ly = 40.
  EXPECT_EQ(open.hamiltonian.numTerms(), 31u);
  EXPECT_EQ(per.hamiltonian.numTerms(), 40u);
  const auto ob = bondsOf(open.hamiltonian, 0), pb = bondsOf(per.hamiltonian, 0);
  for (const auto& b : ob) EXPECT_EQ(pb.count(b), 1u);  // Origin: recipe (same array, wrapped bonds added).
  // Site ids x + Lx·y: every bond joins lattice neighbours.
  for (const auto& [i, j, J] : pb) {
    const int dx = std::abs(i % 5 - j % 5), dy = std::abs(i / 5 - j / 5);
    EXPECT_TRUE((dy == 0 && (dx == 1 || dx == 4)) || (dx == 0 && (dy == 1 || dy == 3))) << i << "-" << j;
  }
  EXPECT_EQ(open.lattice.kind, "square");
  EXPECT_EQ(open.lattice.lx, 5);
  EXPECT_THROW(edwardsAnderson(2, 4, true, CouplingDistribution::kUniform, 1), InputError);
  EXPECT_THROW(edwardsAnderson(4, 4, false, CouplingDistribution::kUniform, std::uint64_t(1) << 32), InputError);
  EXPECT_THROW(parseCouplingDistribution("bimodal"), InputError);
}

// Origin: 3-sigma bounds on the sample mean and variance of n = 20000 i.i.d. draws:
// uniform[−1,1): var 1/3, sd(mean) = sqrt(1/(3n)), sd(var) ≈ sqrt((μ4 − σ⁴)/n) = sqrt((1/5 − 1/9)/n);
// gaussian: sd(mean) = 1/sqrt(n), sd(var) = sqrt(2/n); pm_j: mean sd 1/sqrt(n), J² = 1 exactly.
TEST(EdwardsAnderson, CouplingDistributions) {
  const int n = 2 * 100 * 100;
  auto moments = [](const std::vector<double>& v) {
    double m = 0, q = 0;
    for (double x : v) m += x;
    m /= v.size();
    for (double x : v) q += (x - m) * (x - m);
    return std::pair<double, double>(m, q / v.size());
  };
  const auto uni = edwardsAndersonBondArray(100, 100, CouplingDistribution::kUniform, 17);
  const auto [mu, vu] = moments(uni);
  EXPECT_NEAR(mu, 0.0, 3.0 * std::sqrt(1.0 / (3.0 * n)));
  EXPECT_NEAR(vu, 1.0 / 3.0, 3.0 * std::sqrt((1.0 / 5.0 - 1.0 / 9.0) / n));
  for (double x : uni) {
    EXPECT_GE(x, -1.0);
    EXPECT_LT(x, 1.0);
  }
  const auto [mg, vg] = moments(edwardsAndersonBondArray(100, 100, CouplingDistribution::kGaussian, 17));
  EXPECT_NEAR(mg, 0.0, 3.0 / std::sqrt(n));
  EXPECT_NEAR(vg, 1.0, 3.0 * std::sqrt(2.0 / n));
  const auto pm = edwardsAndersonBondArray(100, 100, CouplingDistribution::kPmJ, 17);
  for (double x : pm) EXPECT_EQ(std::abs(x), 1.0);
  EXPECT_NEAR(moments(pm).first, 0.0, 3.0 / std::sqrt(n));
  // Origin: recipe, pm_j is the sign of the uniform coupling drawn from the same stream.
  for (std::size_t k = 0; k < pm.size(); ++k) EXPECT_EQ(pm[k], uni[k] >= 0.0 ? 1.0 : -1.0);
}

// ---------------------------------------------------------------- Sherrington-Kirkpatrick

TEST(SherringtonKirkpatrick, DrawOrderAndMoments) {
  const int n = 200;
  const Model m = sherringtonKirkpatrick(n, 7, 3);
  const Hamiltonian& h = m.hamiltonian;
  ASSERT_EQ(h.numTerms(), static_cast<std::size_t>(n * (n - 1) / 2));
  // Origin: recipe, J_ij = normal()/sqrt(N) from RngStream(seed, kDisorder, realization), i<j row-major.
  RngStream rng(7, RngPurpose::kDisorder, 3);
  std::size_t t = 0;
  for (int i = 0; i < n; ++i)
    for (int j = i + 1; j < n; ++j, ++t) {
      ASSERT_EQ(h.termSitesBegin(t)[0], i);
      ASSERT_EQ(h.termSitesBegin(t)[1], j);
      ASSERT_EQ(-h.termCoeff(t), rng.normal() * (1.0 / std::sqrt(double(n))));
    }
  // Origin: 3-sigma bounds for K = N(N−1)/2 draws of N(0, 1/N): sd(mean) = sqrt(1/(N K)),
  // sd(sample variance) = (1/N) sqrt(2/K).
  const double k = h.numTerms();
  double mean = 0, var = 0;
  for (std::size_t s = 0; s < h.numTerms(); ++s) mean += -h.termCoeff(s);
  mean /= k;
  for (std::size_t s = 0; s < h.numTerms(); ++s) var += (-h.termCoeff(s) - mean) * (-h.termCoeff(s) - mean);
  var /= k;
  EXPECT_NEAR(mean, 0.0, 3.0 * std::sqrt(1.0 / (n * k)));
  EXPECT_NEAR(var, 1.0 / n, 3.0 * (1.0 / n) * std::sqrt(2.0 / k));
  EXPECT_EQ(m.lattice.kind, "complete");
  EXPECT_FALSE(m.ground_energy.has_value());
}

// ---------------------------------------------------------------- Wishart planted

TEST(WishartPlanted, PlantedStateIsAGroundStateByEnumeration) {
  const int n = 12;
  std::vector<Bit> b(n);
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    const Model m = wishartPlanted(n, 0.5, seed, 0);
    ASSERT_TRUE(m.ground_energy.has_value());
    ASSERT_EQ(m.ground_states.size(), 2u);
    EXPECT_EQ(m.ground_truth_origin, "planted");
    EXPECT_EQ(m.hamiltonian.energy(m.ground_states[0]), *m.ground_energy);
    EXPECT_EQ(m.hamiltonian.energy(m.ground_states[1]), *m.ground_energy);  // Z2 symmetry, exact
    double e_min = 1e300;
    for (int s = 0; s < 1 << n; ++s) {
      for (int i = 0; i < n; ++i) b[i] = static_cast<Bit>((s >> i) & 1);
      e_min = std::min(e_min, m.hamiltonian.energy(b));
    }
    // Origin: exhaustive enumeration of 2^12 states; tolerance: round-off of summing 66 terms,
    // 1e-12 relative to Σ|J|.
    EXPECT_NEAR(*m.ground_energy, e_min, 1e-12 * m.hamiltonian.scale()) << "seed " << seed;
    EXPECT_LT(*m.ground_energy, 0.0);
  }
}

TEST(WishartPlanted, ClosedFormGroundEnergyBounds) {
  // Origin: closed form, E0 = −Σ_μ (N² − c_μ²) / (2N(N−1)) with column sums c_μ, so
  // −M N/(2(N−1)) <= E0 <= 0; M = round(alpha N) = 16 for N = 40, alpha = 0.4.
  const Model m = wishartPlanted(40, 0.4, 3, 2);
  EXPECT_GE(*m.ground_energy, -16.0 * 40.0 / (2.0 * 39.0) - 1e-12);
  EXPECT_LT(*m.ground_energy, 0.0);
  // Origin: recipe, W W^T has zero row sums, so J_ij summed over j ≠ i is (W W^T)_ii / N > 0, and
  // flipping one spin of the planted state costs 2 Σ_j J_ij > 0.
  for (int i = 0; i < 40; ++i) EXPECT_GT(m.hamiltonian.flipDelta(m.ground_states[0].data(), i), 0.0);
}

TEST(WishartPlanted, Reproducible) {
  // Origin: definition (counter-based streams): same (seed, r) → same couplings bit for bit.
  const auto a = coefficients(wishartPlanted(24, 0.5, 11, 3).hamiltonian);
  EXPECT_EQ(a, coefficients(wishartPlanted(24, 0.5, 11, 3).hamiltonian));
  EXPECT_NE(a, coefficients(wishartPlanted(24, 0.5, 11, 4).hamiltonian));
  EXPECT_NE(a, coefficients(wishartPlanted(24, 0.5, 12, 3).hamiltonian));
  ModelSpec spec;
  spec.type = "wishart_planted";
  spec.N = 24;
  spec.alpha = 0.5;
  spec.seed = 11;
  EXPECT_EQ(a, coefficients(buildModel(spec, 3).hamiltonian));  // realization r = stream r, seed unchanged
  EXPECT_THROW(wishartPlanted(10, 0.05, 1, 0), InputError);     // alpha·N = 0.5 < 1
}

// ---------------------------------------------------------------- buildModel

TEST(BuildModel, DispatchFieldAndErrors) {
  ModelSpec spec;
  spec.type = "newman_moore";
  spec.L = 4;
  EXPECT_EQ(numRealizations(spec), 1);
  Model nm = buildModel(spec);
  EXPECT_EQ(*nm.ground_energy, -8.0);  // Origin: closed form −N/2.
  spec.field = -0.25;
  nm = buildModel(spec);
  // Origin: closed form. With h < 0 the all-down state also minimizes −hΣσ: E0 = −N/2 + h·N = −12.
  ASSERT_TRUE(nm.ground_energy.has_value());
  EXPECT_EQ(*nm.ground_energy, -12.0);
  spec.field = 0.25;  // all-down no longer minimizes the field term: ground truth unknown
  EXPECT_FALSE(buildModel(spec).ground_energy.has_value());

  spec = ModelSpec{};
  spec.type = "sherrington_kirkpatrick";
  spec.N = 30;
  spec.seed = 4;
  EXPECT_EQ(coefficients(buildModel(spec, 2).hamiltonian), coefficients(sherringtonKirkpatrick(30, 4, 2).hamiltonian));

  spec = ModelSpec{};
  spec.type = "ising_chain";
  spec.N = 5;
  spec.field = 1.0;
  // Origin: closed form, all up: −J·4 − h·5 = −9.
  EXPECT_EQ(*buildModel(spec).ground_energy, -9.0);

  spec = ModelSpec{};
  spec.type = "coupling_file";
  spec.paths = {"a.txt", "b.txt"};
  EXPECT_EQ(numRealizations(spec), 2);
  try {
    buildModel(spec, 2);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("realization 2 requested but only 2 files"), std::string::npos) << e.what();
  }
  spec.type = "spin_ice";
  EXPECT_THROW(buildModel(spec), InputError);
  spec.type = "edwards_anderson";
  spec.Lx = spec.Ly = 4;
  spec.couplings = "cauchy";
  EXPECT_THROW(buildModel(spec), InputError);
}

}  // namespace
}  // namespace vna
