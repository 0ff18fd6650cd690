// The fast Monte Carlo kernels (mc_model.hpp) against exact results and against the general path:
// their random numbers (Philox in lanes = Random123), their acceptance test (expNeg31 against
// std::exp, the exact 16 + 15-bit comparison, acceptance frequencies), the Boltzmann distribution
// they sample at fixed T (a χ² test of the energy histogram against exhaustive enumeration, plus the
// mean energy within 3σ), annealing runs whose mean energies agree with the reference kernel's
// within 3σ, and results that do not depend on how the replicas are batched.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "baselines/lane_random.hpp"
#include "baselines/metropolis.hpp"
#include "baselines/simulated_annealing.hpp"
#include "core/error.hpp"
#include "exact/random_hamiltonian.hpp"
#include "mc_statistics.hpp"
#include "model/edwards_anderson.hpp"
#include "model/newman_moore.hpp"
#include "model/sherrington_kirkpatrick.hpp"

namespace vna {
namespace {

template <int W>
void expectPhiloxLanesEqualRandom123() {
  const RngKey key = makeRngKey(0xDEADBEEF12345ull, RngPurpose::kMonteCarlo);
  alignas(64) std::uint32_t ids[W];
  for (int l = 0; l < W; ++l) ids[l] = 1000003u * l + 7;
  PhiloxLanes<W> out;
  for (std::uint32_t c0 : {0u, 1u, 0xFFFFFFFFu}) {
    philoxLanes<W>(key, c0, 42, ids, 9, out);
    for (int l = 0; l < W; ++l) {
      const RngWords w = philox(key, c0, 42, ids[l], 9);
      for (int j = 0; j < 4; ++j) EXPECT_EQ(out.w[j][l], w.v[j]) << "W=" << W << " lane " << l << " word " << j;
    }
  }
}

// Origin: Random123's philox4x32 (vna::philox), bit for bit, on the intrinsics paths (W = 8, 16)
// and the portable one (W = 4).
TEST(FastKernels, PhiloxLanesEqualRandom123) {
  expectPhiloxLanesEqualRandom123<4>();
  expectPhiloxLanesEqualRandom123<8>();
  expectPhiloxLanesEqualRandom123<16>();
}

// Origin: std::exp in double of the same float argument; bound: the 2e-7 stated in metropolis.hpp
// (Cephes' expf reaches about 1e-7).
TEST(FastKernels, ExpNeg31IsAccurateToTwoTenMillionths) {
  double worst = 0;
  for (int k = 0; k <= 2150000; ++k) {
    const float x = 1e-5f * k;
    const double exact = std::exp(-static_cast<double>(x)) * 0x1p31;
    worst = std::max(worst, std::abs(expNeg31(x) / exact - 1.0));
  }
  EXPECT_LT(worst, 2e-7);
}

// A stand-in for LaneDraws with chosen numbers.
struct FixedDraws {
  std::uint32_t B, R;
  simd::VU top(std::uint64_t) const { return simd::VU{} + B; }
  std::uint32_t low(std::uint64_t, int) const { return R; }
};

// The two-part comparison is exactly U < P with U = B·2^15 + R and P = ⌊e^{−x} 2^31⌋: every B around
// the tie and every R around P's low bits. Origin: the definition in metropolis.hpp.
TEST(FastKernels, MetropolisTestIsTheExactThirtyOneBitComparison) {
  for (float x : {1e-3f, 0.3f, 2.0f, 9.0f, 20.0f}) {
    const float scaled = expNeg31(x);
    const std::int32_t P = static_cast<std::int32_t>(std::min(scaled, 2147483520.0f));
    const std::uint32_t top = static_cast<std::uint32_t>(P) >> 15, low = static_cast<std::uint32_t>(P) & 0x7FFF;
    for (std::uint32_t B : {top - 1, top, top + 1})
      for (std::uint32_t R : {0u, low == 0 ? 0 : low - 1, low, std::min(low + 1, 0x7FFFu), 0x7FFFu}) {
        if (B > 0xFFFF) continue;
        FixedDraws d{B, R};
        const simd::VI acc = metropolisAccept(simd::VI{} + 0, simd::splat(x), d, 0);
        const bool expected = (static_cast<std::int64_t>(B) << 15 | R) < P;
        for (int l = 0; l < simd::kWidth; ++l) EXPECT_EQ(acc[l] != 0, expected) << "x=" << x << " B=" << B << " R=" << R;
      }
  }
  // Downhill moves are accepted whatever the draw, NaN exponents (β = ∞, ΔE = 0) too.
  FixedDraws high{0xFFFF, 0x7FFF};
  EXPECT_NE(metropolisAccept(simd::VI{} - 1, simd::splat(NAN), high, 0)[0], 0);
  FixedDraws low{0, 0};
  EXPECT_EQ(metropolisAccept(simd::VI{} + 0, simd::splat(INFINITY), low, 0)[0], 0);
}

// Acceptance frequencies of the real draws. Origin: e^{−x}; bound: 3 binomial standard deviations.
TEST(FastKernels, AcceptanceFrequenciesAreTheMetropolisProbabilities) {
  alignas(64) std::uint32_t ids[simd::kWidth];
  std::iota(ids, ids + simd::kWidth, 11u);
  for (float x : {0.05f, 0.7f, 3.0f, 11.0f}) {
    LaneDraws d(makeRngKey(5, RngPurpose::kMonteCarlo), 3, ids, 2);
    const std::uint64_t T = std::uint64_t(1) << 20;
    double accepted = 0;
    for (std::uint64_t t = 0; t < T; ++t) {
      const simd::VI a = metropolisAccept(simd::VI{} + 0, simd::splat(x), d, t);
      for (int l = 0; l < simd::kWidth; ++l) accepted += a[l] != 0;
    }
    const double n = static_cast<double>(T) * simd::kWidth, p = std::exp(-static_cast<double>(x));
    EXPECT_NEAR(accepted / n, p, 3.0 * std::sqrt(p * (1 - p) / n)) << "x = " << x;
  }
}

// ---- sampling at fixed T

// All 2^N energies (Hamiltonian::energy), for the exact Boltzmann distribution.
std::vector<double> allEnergies(const Hamiltonian& h) {
  const int n = h.numSpins();
  std::vector<double> e(std::size_t(1) << n);
  std::vector<Bit> b(n);
  for (std::size_t s = 0; s < e.size(); ++s) {
    for (int i = 0; i < n; ++i) b[i] = (s >> i) & 1;
    e[s] = h.energy(b);
  }
  return e;
}

// The 99.9% quantile of χ² with k degrees of freedom (Wilson-Hilferty; within 1% for k >= 3).
double chiSquare999(int k) {
  const double z = 3.0902, a = 2.0 / (9.0 * k);
  return k * std::pow(1 - a + z * std::sqrt(a), 3);
}

struct Chi2 {
  double statistic = 0, bound = 0, mean = 0, mean_error = 0, exact_mean = 0;
};

// χ² of independent sample energies against the Boltzmann distribution at T, in bins of about equal
// exact probability (at least 50 expected samples each; ties in energy never split).
Chi2 chiSquare(const std::vector<double>& all, double T, const std::vector<double>& samples) {
  std::vector<double> e = all;
  std::sort(e.begin(), e.end());
  const double e0 = e.front();
  std::vector<double> w(e.size());
  double Z = 0, Em = 0;
  for (std::size_t s = 0; s < e.size(); ++s) Z += w[s] = std::exp(-(e[s] - e0) / T);
  for (std::size_t s = 0; s < e.size(); ++s) Em += w[s] / Z * e[s];
  const double n = static_cast<double>(samples.size());
  const int bins = std::max(2, std::min(30, static_cast<int>(n / 50)));
  std::vector<double> upper, prob;  // bin b holds energies <= upper[b] (above the previous bound)
  double acc = 0;
  for (std::size_t s = 0; s < e.size(); ++s) {
    acc += w[s] / Z;
    const bool level_ends = s + 1 == e.size() || e[s + 1] > e[s] + 1e-9 * std::max(1.0, std::abs(e[s]));
    if (level_ends && (acc >= 1.0 / bins || s + 1 == e.size())) {
      upper.push_back(e[s] + 1e-9 * std::max(1.0, std::abs(e[s])));
      prob.push_back(acc);
      acc = 0;
    }
  }
  if (acc > 0) prob.back() += acc;
  std::vector<double> count(prob.size(), 0);
  double m = 0, m2 = 0;
  for (double x : samples) {
    const auto b = std::lower_bound(upper.begin(), upper.end(), x) - upper.begin();
    count[std::min<std::size_t>(b, count.size() - 1)] += 1;
    m += x;
    m2 += x * x;
  }
  Chi2 r;
  for (std::size_t b = 0; b < prob.size(); ++b) r.statistic += std::pow(count[b] - n * prob[b], 2) / (n * prob[b]);
  r.bound = chiSquare999(static_cast<int>(prob.size()) - 1);
  r.mean = m / n;
  r.mean_error = std::sqrt(std::max(0.0, m2 / n - r.mean * r.mean) / (n - 1));
  r.exact_mean = Em;
  return r;
}

struct SamplingCase {
  const char* name;
  McKernel kernel;
  MultiSpinRandom random = MultiSpinRandom::kIndependent;
  int replicas = 2048;
  int stride = 1;  // use replicas 0, stride, 2 stride, ...: one per 64-replica word for shared draws
};

Hamiltonian withFields(Hamiltonian h, double field) {
  for (int i = 0; i < h.numSpins(); ++i) h.addField(i, field * (i % 3 == 0 ? 1 : -0.5));
  return h;
}

// Each replica's final configuration is one independent sample of e^{−E/T}/Z: 200 sweeps cooling
// linearly from T = 3 (so that small glasses do not freeze into the first valley they meet), then 400
// at T. Origin: exhaustive enumeration; bounds: the 99.9% quantile of χ² and 3 standard errors of the
// mean.
void expectBoltzmann(const Hamiltonian& h, const SamplingCase& c, double T) {
  SaSchedule s;
  for (int a = 0; a < 200; ++a) s.temperatures.push_back(3.0 + (T - 3.0) * a / 200.0);
  s.temperatures.resize(600, T);
  McStreamId id;
  id.seed = 31;
  McRunOptions opt;
  opt.kernel = c.kernel;
  opt.multispin_random = c.random;
  const MonteCarloBatch b = simulatedAnnealing(h, s, id, 0, c.replicas, false, opt);
  EXPECT_EQ(b.kernel, mcKernelName(c.kernel));
  std::vector<double> samples;
  for (int r = 0; r < c.replicas; r += c.stride) samples.push_back(b.energy[r]);
  const std::vector<double> all = allEnergies(h);
  const Chi2 x = chiSquare(all, T, samples);
  EXPECT_LT(x.statistic, x.bound) << c.name << " T=" << T;
  EXPECT_NEAR(x.mean, x.exact_mean, 3 * x.mean_error) << c.name << " T=" << T;
  // The test resolves the temperature: the same samples fail against the distribution at 1.25 T.
  EXPECT_GT(chiSquare(all, 1.25 * T, samples).statistic, x.bound) << c.name << " T=" << T;
}

TEST(FastKernels, SparseKernelSamplesTheBoltzmannDistribution) {
  const Hamiltonian h = withFields(edwardsAnderson(4, 3, false, CouplingDistribution::kUniform, 5).hamiltonian, 0.4);
  for (double T : {0.5, 1.5}) {
    expectBoltzmann(h, {"sparse", McKernel::kSparse}, T);
    expectBoltzmann(h, {"reference", McKernel::kReference}, T);
  }
}

TEST(FastKernels, DenseKernelSamplesTheBoltzmannDistribution) {
  const Hamiltonian h = withFields(sherringtonKirkpatrick(11, 3, 0).hamiltonian, 0.3);
  for (double T : {0.4, 1.0}) expectBoltzmann(h, {"dense", McKernel::kDense}, T);
}

TEST(FastKernels, PBodyKernelSamplesTheBoltzmannDistribution) {
  for (double T : {0.5, 1.5}) {
    expectBoltzmann(test::randomHamiltonian(10, 6, 8, 5), {"pbody", McKernel::kPBody}, T);
    expectBoltzmann(newmanMoore(3, 1.0).hamiltonian, {"pbody", McKernel::kPBody}, T);
  }
}

TEST(FastKernels, MultiSpinKernelSamplesTheBoltzmannDistribution) {
  const Hamiltonian h = edwardsAnderson(4, 3, false, CouplingDistribution::kPmJ, 8).hamiltonian;
  for (double T : {0.6, 2.0}) {
    expectBoltzmann(h, {"multispin", McKernel::kMultiSpin}, T);
    // Shared draws: one replica per word (the others are correlated with it).
    expectBoltzmann(h, {"multispin shared", McKernel::kMultiSpin, MultiSpinRandom::kShared, 64 * 512, 64}, T);
  }
}

// ---- annealing: the fast kernels and the reference kernel agree in distribution

// Origin: the reference kernel (flipDelta in double) on the same instance and schedule; bound: 3
// standard errors of the difference of the two means of R independent replicas each.
void expectSameAnnealing(const Hamiltonian& h, McKernel fast, double T0, std::int64_t steps, int R) {
  McStreamId id;
  id.seed = 77;
  auto stats = [&](McKernel k, std::int64_t A) {
    const SaSchedule s = saSchedule(T0, A, ScheduleShape::kLinear, 1);
    McRunOptions opt;
    opt.kernel = k;
    return test::meanAndError(simulatedAnnealing(h, s, id, 0, R, false, opt).energy);
  };
  const test::MeanAndError f = stats(fast, steps), r = stats(McKernel::kReference, steps);
  EXPECT_NEAR(f.mean, r.mean, 3 * std::hypot(f.error, r.error)) << mcKernelName(fast) << " " << h.name;
  // The comparison resolves the dynamics: a quarter of the steps gives a mean many error bars away.
  const test::MeanAndError q = stats(McKernel::kReference, steps / 4);
  EXPECT_GT(std::abs(q.mean - f.mean), 3 * std::hypot(f.error, q.error)) << mcKernelName(fast) << " " << h.name;
}

TEST(FastKernels, AnnealingAgreesWithTheReferenceKernel) {
  expectSameAnnealing(edwardsAnderson(6, 6, false, CouplingDistribution::kGaussian, 3).hamiltonian, McKernel::kSparse,
                      2.0, 40, 1024);
  expectSameAnnealing(sherringtonKirkpatrick(24, 2, 1).hamiltonian, McKernel::kDense, 2.0, 30, 1024);
  expectSameAnnealing(newmanMoore(5, 1.0).hamiltonian, McKernel::kPBody, 2.0, 30, 1024);
  expectSameAnnealing(edwardsAnderson(6, 6, false, CouplingDistribution::kPmJ, 3).hamiltonian, McKernel::kMultiSpin,
                      3.0, 30, 1024);
}

// ---- batches

// A replica's result is a pure function of its id: one batch of 150 equals three batches with
// boundaries inside SIMD groups and 64-replica words. Origin: determinism (exact equality).
TEST(FastKernels, ResultsDoNotDependOnTheBatch) {
  const Hamiltonian ea = edwardsAnderson(5, 5, true, CouplingDistribution::kGaussian, 2).hamiltonian;
  const Hamiltonian pm = edwardsAnderson(5, 5, true, CouplingDistribution::kPmJ, 2).hamiltonian;
  const Hamiltonian sk = sherringtonKirkpatrick(20, 4, 0).hamiltonian;
  const Hamiltonian nm = newmanMoore(4, 1.0).hamiltonian;
  const struct {
    const Hamiltonian* h;
    McKernel k;
    MultiSpinRandom r;
  } cases[] = {{&ea, McKernel::kSparse, MultiSpinRandom::kIndependent},
               {&ea, McKernel::kReference, MultiSpinRandom::kIndependent},
               {&sk, McKernel::kDense, MultiSpinRandom::kIndependent},
               {&nm, McKernel::kPBody, MultiSpinRandom::kIndependent},
               {&pm, McKernel::kMultiSpin, MultiSpinRandom::kIndependent},
               {&pm, McKernel::kMultiSpin, MultiSpinRandom::kShared}};
  const SaSchedule s = saSchedule(2.0, 20, ScheduleShape::kLinear, 2);
  McStreamId id;
  id.seed = 4;
  id.realization = 3;
  for (const auto& c : cases) {
    McRunOptions opt;
    opt.kernel = c.k;
    opt.multispin_random = c.r;
    const MonteCarloBatch all = simulatedAnnealing(*c.h, s, id, 5, 150, true, opt);
    std::vector<Bit> bits;
    std::vector<double> energy, steps;
    for (auto [first, count] : {std::pair{5, 13}, {18, 70}, {88, 67}}) {
      const MonteCarloBatch b = simulatedAnnealing(*c.h, s, id, first, count, true, opt);
      bits.insert(bits.end(), b.bits.begin(), b.bits.end());
      energy.insert(energy.end(), b.energy.begin(), b.energy.end());
      steps.insert(steps.end(), b.step_energy.begin(), b.step_energy.end());
    }
    EXPECT_EQ(all.bits, bits) << mcKernelName(c.k);
    EXPECT_EQ(all.energy, energy) << mcKernelName(c.k);
    EXPECT_EQ(all.step_energy, steps) << mcKernelName(c.k);
    EXPECT_EQ(all.attempts, 150LL * 20 * 2 * c.h->numSpins());  // Origin: replicas × steps × sweeps × N.
  }
}

// ---- choice

TEST(FastKernels, TheKernelFollowsTheModelStructure) {
  auto pick = [](const Hamiltonian& h, McKernel k = McKernel::kAuto, bool msc = true) {
    return chooseMcKernel(buildMcModel(h), k, msc);
  };
  EXPECT_EQ(pick(edwardsAnderson(10, 10, false, CouplingDistribution::kUniform, 1).hamiltonian), McKernel::kSparse);
  EXPECT_EQ(pick(edwardsAnderson(10, 10, false, CouplingDistribution::kPmJ, 1).hamiltonian), McKernel::kMultiSpin);
  EXPECT_EQ(pick(edwardsAnderson(10, 10, false, CouplingDistribution::kPmJ, 1).hamiltonian, McKernel::kAuto, false),
            McKernel::kSparse);
  EXPECT_EQ(pick(sherringtonKirkpatrick(30, 1, 0).hamiltonian), McKernel::kDense);
  EXPECT_EQ(pick(newmanMoore(6, 1.0).hamiltonian), McKernel::kPBody);
  EXPECT_EQ(pick(newmanMoore(6, 1.0).hamiltonian, McKernel::kReference), McKernel::kReference);
  EXPECT_THROW(pick(newmanMoore(6, 1.0).hamiltonian, McKernel::kSparse), Error);
  EXPECT_THROW(pick(withFields(edwardsAnderson(4, 4, false, CouplingDistribution::kPmJ, 1).hamiltonian, 0.2),
                    McKernel::kMultiSpin),
               Error);
  EXPECT_THROW(parseMcKernel("fast"), Error);
}

}  // namespace
}  // namespace vna
