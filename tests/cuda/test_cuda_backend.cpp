// The native CUDA backend against the Kokkos backend (same seeds: same samples up to float rounding,
// log p, gradients, fused energies, VQA's local energies), against exact enumeration, and end to end
// (`vna anneal` on both backends). Every test skips where no CUDA device is visible, so CI without a
// GPU stays green; tools/bench/gpu_bench.sh runs them on the GPU machine.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "backend_registry.hpp"
#include "core/error.hpp"
#include "cuda/cuda_device.hpp"
#include "kokkos/device_hamiltonian.hpp"
#include "io/h5.hpp"
#include "model/newman_moore.hpp"
#include "network/network.hpp"
#include "network/variational_estimator.hpp"
#include "rnn_engine.hpp"
#include "support/run_vna.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

using Space = Kokkos::DefaultExecutionSpace;
using MemSpace = Space::memory_space;
using BitsView = Kokkos::View<std::uint8_t***, Kokkos::LayoutRight, MemSpace>;
using DoubleView = Kokkos::View<double**, Kokkos::LayoutRight, MemSpace>;

#define VNA_REQUIRE_GPU()                                                 \
  do {                                                                    \
    std::string why_no_gpu;                                               \
    if (cuda::deviceCount(&why_no_gpu) == 0) GTEST_SKIP() << "no CUDA device: " << why_no_gpu; \
  } while (0)

EngineConfig configOf(CellKind cell, int hidden, const Lattice& lattice, Backend backend) {
  EngineConfig c{cell, hidden, lattice};
  c.backend = backend;
  return c;
}

template <class Scalar>
Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> initialParams(const ParamLayout& layout, int P,
                                                                    std::uint64_t seed, double scale) {
  Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> v("test::params", P, layout.total);
  auto h = Kokkos::create_mirror_view(v);
  for (int p = 0; p < P; ++p) {
    const auto theta = initParameters(layout, seed, p);
    for (std::size_t j = 0; j < layout.total; ++j) h(p, j) = static_cast<Scalar>(scale * theta[j]);
  }
  Kokkos::deep_copy(v, h);
  return v;
}

Kokkos::View<std::uint32_t*, MemSpace> streams(int P, std::uint32_t first = 0) {
  Kokkos::View<std::uint32_t*, MemSpace> v("test::streams", P);
  auto h = Kokkos::create_mirror_view(v);
  for (int p = 0; p < P; ++p) h(p) = first + static_cast<std::uint32_t>(p);
  Kokkos::deep_copy(v, h);
  return v;
}

struct Case {
  const char* name;
  CellKind cell;
  int hidden;
  Lattice lattice;
};

// A Newman-Moore-sized network (L = 16, d_h = 40: the performance goals' case), a non-square lattice
// with a hidden size that fills no tile exactly, and a chain.
std::vector<Case> agreementCases() {
  return {{"vanilla2d_L16_h40", CellKind::kVanilla2d, 40, Lattice::square(16, 16)},
          {"vanilla2d_7x5_h13", CellKind::kVanilla2d, 13, Lattice::square(7, 5)},
          {"vanilla1d_chain30_h20", CellKind::kVanilla1d, 20, Lattice::chain(30)}};
}

// Fraction of equal sites over all samples of all sets.
double siteAgreement(const BitsView& a, const BitsView& b) {
  std::size_t equal = 0, total = 0;
  for (std::size_t p = 0; p < a.extent(0); ++p)
    for (std::size_t s = 0; s < a.extent(1); ++s)
      for (std::size_t i = 0; i < a.extent(2); ++i, ++total) equal += a(p, s, i) == b(p, s, i);
  return total ? static_cast<double>(equal) / total : 1.0;
}

bool sameSample(const BitsView& a, const BitsView& b, std::size_t p, std::size_t s) {
  for (std::size_t i = 0; i < a.extent(2); ++i)
    if (a(p, s, i) != b(p, s, i)) return false;
  return true;
}

// Tolerances on log p between backends, relative to |log p|. Origin: both evaluate the same formulas
// (sampling_rule.hpp) but sum the GEMMs in a different order (and the GPU fuses multiply-adds), so δ
// differs by a few ulp of Σ|terms| per site; log p(b) = −softplus(±δ) has slope ≤ 1 and the N site
// terms add up in double: a few ulp × N relative to |log p| ~ N. The issue's bound is 1e-5 (float).
template <class Scalar>
double logpTolerance() {
  return std::is_same<Scalar, float>::value ? 1e-5 : 1e-12;
}

class CudaBackend : public ::testing::Test {
 protected:
  void SetUp() override { VNA_REQUIRE_GPU(); }
};

TEST_F(CudaBackend, RunsVanillaCellsOnTheGpu) {
  for (CellKind cell : {CellKind::kVanilla1d, CellKind::kVanilla2d}) {
    RnnEngine<float> engine(configOf(cell, 40, Lattice::square(16, 16), Backend::kCuda));
    EXPECT_EQ(engine.backend(), Backend::kCuda);
    EXPECT_EQ(engine.backendDescription().rfind("cuda (", 0), 0u) << engine.backendDescription();
  }
}

// Cells without CUDA kernels run on the Kokkos path, say so, and give the Kokkos results exactly.
TEST_F(CudaBackend, OtherCellsFallBackToKokkos) {
  for (CellKind cell : {CellKind::kTensorized2d, CellKind::kDilated1d}) {
    const Lattice lattice = Lattice::square(4, 4);
    RnnEngine<double> cuda_engine(configOf(cell, 8, lattice, Backend::kCuda));
    RnnEngine<double> kokkos_engine(configOf(cell, 8, lattice, Backend::kKokkos));
    EXPECT_EQ(cuda_engine.backend(), Backend::kKokkos);
    EXPECT_NE(cuda_engine.backendDescription().find("no " + cellKindName(cell) + " kernels"), std::string::npos)
        << cuda_engine.backendDescription();
    auto params = initialParams<double>(cuda_engine.layout(), 2, 5, 1.0);
    BitsView a("a", 2, 20, 16), b("b", 2, 20, 16);
    DoubleView la("la", 2, 20), lb("lb", 2, 20);
    cuda_engine.sample(Space(), params, streams(2), SampleCounters{3, 1, 0}, a, la);
    kokkos_engine.sample(Space(), params, streams(2), SampleCounters{3, 1, 0}, b, lb);
    // Origin: the same implementation runs both.
    EXPECT_EQ(siteAgreement(a, b), 1.0);
    for (int p = 0; p < 2; ++p)
      for (int s = 0; s < 20; ++s) EXPECT_EQ(la(p, s), lb(p, s));
  }
}

template <class Scalar>
void checkSamplesAgree(const Case& c, int P, int M) {
  RnnEngine<Scalar> gpu(configOf(c.cell, c.hidden, c.lattice, Backend::kCuda));
  RnnEngine<Scalar> cpu(configOf(c.cell, c.hidden, c.lattice, Backend::kKokkos));
  ASSERT_EQ(gpu.backend(), Backend::kCuda);
  const int N = c.lattice.numSites();
  auto params = initialParams<Scalar>(gpu.layout(), P, 11, 2.0);
  auto ids = streams(P, 7);
  BitsView bg("bg", P, M, N), bc("bc", P, M, N);
  DoubleView lg("lg", P, M), lc("lc", P, M);
  const SampleCounters counters{2024, 3, 17};
  gpu.sample(Space(), params, ids, counters, bg, lg);
  cpu.sample(Space(), params, ids, counters, bc, lc);
  // Origin: the issue's bound. Both backends draw u from the same Philox counters and compare it with
  // p_up from the same formulas; only float rounding (summation order) can move a draw across the
  // threshold: ~1e-7 × p(1−p)|δ| per site, far below 1e-3 even when a flip re-draws the rest of a sample.
  EXPECT_GE(siteAgreement(bg, bc), 0.999) << c.name;
  int compared = 0;
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < M; ++s) {
      if (!sameSample(bg, bc, p, s)) continue;
      ++compared;
      EXPECT_NEAR(lg(p, s), lc(p, s), logpTolerance<Scalar>() * std::abs(lc(p, s))) << c.name << " " << p << " " << s;
    }
  EXPECT_GE(compared, P * M * 9 / 10) << c.name;
}

TEST_F(CudaBackend, SamplesAgreeWithKokkosFloat) {
  for (const Case& c : agreementCases()) checkSamplesAgree<float>(c, 3, 100);
}

TEST_F(CudaBackend, SamplesAgreeWithKokkosDouble) {
  for (const Case& c : agreementCases()) checkSamplesAgree<double>(c, 2, 37);
}

// Teacher-forced log p of the same configurations, with and without kept activations, and VQA's
// large-M batches (M = Ns · N flipped configurations).
template <class Scalar>
void checkLogProbAgrees(const Case& c, int P, int M) {
  RnnEngine<Scalar> gpu(configOf(c.cell, c.hidden, c.lattice, Backend::kCuda));
  RnnEngine<Scalar> cpu(configOf(c.cell, c.hidden, c.lattice, Backend::kKokkos));
  const int N = c.lattice.numSites();
  auto params = initialParams<Scalar>(gpu.layout(), P, 12, 2.0);
  BitsView bits("bits", P, M, N);
  DoubleView lc("lc", P, M), lg("lg", P, M), lk("lk", P, M);
  cpu.sample(Space(), params, streams(P), SampleCounters{5, 0, 0}, bits, lc);
  gpu.logProb(Space(), params, bits, lg, Activations::kDiscard);
  gpu.logProb(Space(), params, bits, lk, Activations::kKeep);
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < M; ++s) {
      EXPECT_NEAR(lg(p, s), lc(p, s), logpTolerance<Scalar>() * std::abs(lc(p, s))) << c.name;
      // Origin: the same kernel; keeping activations only adds stores.
      EXPECT_EQ(lk(p, s), lg(p, s)) << c.name;
    }
}

TEST_F(CudaBackend, LogProbAgreesWithKokkos) {
  for (const Case& c : agreementCases()) {
    checkLogProbAgrees<float>(c, 2, 64);
    checkLogProbAgrees<double>(c, 2, 33);
  }
  checkLogProbAgrees<float>({"vqa_L5_flips", CellKind::kVanilla2d, 40, Lattice::square(5, 5)}, 1, 100 * 25);
}

template <class Scalar>
void checkGradientAgrees(const Case& c, int P, int M, double tolerance) {
  RnnEngine<Scalar> gpu(configOf(c.cell, c.hidden, c.lattice, Backend::kCuda));
  RnnEngine<Scalar> cpu(configOf(c.cell, c.hidden, c.lattice, Backend::kKokkos));
  const int N = c.lattice.numSites();
  const std::size_t n = gpu.numParams();
  auto params = initialParams<Scalar>(gpu.layout(), P, 13, 2.0);
  BitsView bits("bits", P, M, N);
  DoubleView lc("lc", P, M), lg("lg", P, M);
  Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> weights("weights", P, M), gg("gg", P, n), gc("gc", P, n);
  std::mt19937 rng(4);
  std::normal_distribution<double> normal;
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < M; ++s) weights(p, s) = normal(rng) / M;
  cpu.sample(Space(), params, streams(P), SampleCounters{6, 0, 0}, bits, lc, Activations::kKeep);
  gpu.logProb(Space(), params, bits, lg, Activations::kKeep);
  cpu.gradient(Space(), params, bits, weights, gc);
  gpu.gradient(Space(), params, bits, weights, gg);
  for (int p = 0; p < P; ++p)
    for (const ParamBlock& b : gpu.layout().blocks) {
      double scale = 0.0, diff = 0.0;
      for (std::size_t j = b.offset; j < b.offset + b.size; ++j) {
        scale = std::max(scale, std::abs(gc(p, j)));
        diff = std::max(diff, std::abs(gg(p, j) - gc(p, j)));
      }
      EXPECT_LE(diff, tolerance * scale) << c.name << " set " << p << " block " << b.name;
    }
}

// Origin of the tolerances: the issue's 1e-4 relative (float), per parameter block relative to its
// largest entry (entries near zero have no meaningful relative error). Both sum the same N·M products
// in different orders (the GPU with cuBLAS over all of them, the CPU per work item then in double):
// float rounding ~ sqrt(N·M) ulp ≈ 1e-5 of the block scale; double ~1e-13.
TEST_F(CudaBackend, GradientAgreesWithKokkos) {
  for (const Case& c : agreementCases()) {
    checkGradientAgrees<float>(c, 2, 100, 1e-4);
    checkGradientAgrees<double>(c, 2, 45, 1e-10);
  }
}

TEST_F(CudaBackend, GradientNeedsKeptActivationsOfTheSameBits) {
  const Lattice lattice = Lattice::square(4, 4);
  RnnEngine<float> gpu(configOf(CellKind::kVanilla2d, 8, lattice, Backend::kCuda));
  auto params = initialParams<float>(gpu.layout(), 1, 1, 1.0);
  BitsView bits("bits", 1, 10, 16);
  DoubleView logp("logp", 1, 10), weights("w", 1, 10), grad("g", 1, gpu.numParams());
  gpu.sample(Space(), params, streams(1), SampleCounters{1, 0, 0}, bits, logp, Activations::kDiscard);
  EXPECT_THROW(gpu.gradient(Space(), params, bits, weights, grad), Error);
  gpu.sample(Space(), params, streams(1), SampleCounters{1, 0, 0}, bits, logp, Activations::kKeep);
  bits(0, 3, 5) ^= 1;
  try {
    gpu.gradient(Space(), params, bits, weights, grad);
    ADD_FAILURE() << "changed bits were accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("differ"), std::string::npos) << e.what();
  }
}

// Exactness on the GPU alone (double): normalization over all 2^N configurations and sampling
// frequencies against the enumerated probabilities.
TEST_F(CudaBackend, MatchesExactEnumeration) {
  for (const Case& c : {Case{"vanilla2d_3x3", CellKind::kVanilla2d, 10, Lattice::square(3, 3)},
                        Case{"vanilla1d_chain8", CellKind::kVanilla1d, 10, Lattice::chain(8)}}) {
    RnnEngine<double> gpu(configOf(c.cell, c.hidden, c.lattice, Backend::kCuda));
    const int n = c.lattice.numSites(), count = 1 << n, Ns = 100000;
    auto params = initialParams<double>(gpu.layout(), 1, 22, 3.0);
    BitsView all("all", 1, count, n);
    for (int code = 0; code < count; ++code)
      for (int i = 0; i < n; ++i) all(0, code, i) = static_cast<std::uint8_t>((code >> i) & 1);
    DoubleView lp_all("lp_all", 1, count);
    gpu.logProb(Space(), params, all, lp_all);
    double total = 0.0;
    for (int code = 0; code < count; ++code) total += std::exp(lp_all(0, code));
    // Origin: an autoregressive product of conditionals is normalized exactly; 1e-12 covers the
    // rounding of 2^N terms in double.
    EXPECT_NEAR(total, 1.0, 1e-12) << c.name;

    BitsView bits("bits", 1, Ns, n);
    DoubleView logp("logp", 1, Ns);
    gpu.sample(Space(), params, streams(1, 7), SampleCounters{1234, 0, 0}, bits, logp);
    std::vector<long> observed(count, 0);
    for (int s = 0; s < Ns; ++s) {
      int code = 0;
      for (int i = 0; i < n; ++i) code |= bits(0, s, i) << i;
      ++observed[code];
      // Origin: the sampling kernel and teacher forcing evaluate the same arithmetic.
      ASSERT_NEAR(logp(0, s), lp_all(0, code), 1e-12) << c.name;
    }
    double chi2 = 0.0, pooled_expected = 0.0;
    long pooled_observed = 0;
    int bins = 0;
    for (int code = 0; code < count; ++code) {
      const double expected = Ns * std::exp(lp_all(0, code));
      if (expected < 5.0) {
        pooled_expected += expected;
        pooled_observed += observed[code];
        continue;
      }
      chi2 += (observed[code] - expected) * (observed[code] - expected) / expected;
      ++bins;
    }
    if (pooled_expected > 0.0) {
      chi2 += (pooled_observed - pooled_expected) * (pooled_observed - pooled_expected) / pooled_expected;
      ++bins;
    }
    const int dof = bins - 1;
    ASSERT_GE(dof, 30) << c.name;
    // Origin: 99.9% quantile of chi-square(dof) (Wilson-Hilferty; z_0.999 = 3.0902): an exact sampler
    // fails with probability 1e-3, and the seed is fixed.
    const double a = 2.0 / (9.0 * dof);
    EXPECT_LT(chi2, dof * std::pow(1.0 - a + 3.090232306167813 * std::sqrt(a), 3)) << c.name;
  }
}

// Energies evaluated inside the sampling kernel equal H of the returned configurations; without a
// configuration buffer the same log p and energies come back.
TEST_F(CudaBackend, FusedEnergiesMatchTheHamiltonian) {
  const int L = 8, P = 5, M = 60, N = L * L;
  const Model model = newmanMoore(L, 1.0);
  RnnEngine<float> gpu(configOf(CellKind::kVanilla2d, 40, model.lattice, Backend::kCuda));
  gpu.setHamiltonian(model.hamiltonian);
  auto params = initialParams<float>(gpu.layout(), P, 3, 1.0);
  BitsView bits("bits", P, M, N);
  DoubleView logp("logp", P, M), energies("energies", P, M), logp2("logp2", P, M), energies2("energies2", P, M);
  const SampleCounters counters{9, 2, 0};
  gpu.sampleWithEnergies(Space(), params, streams(P), counters, bits, logp, energies);
  gpu.sampleWithEnergies(Space(), params, streams(P), counters, BitsView(), logp2, energies2);
  std::vector<Bit> config(N);
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < M; ++s) {
      for (int i = 0; i < N; ++i) config[i] = bits(p, s, i);
      // Origin: Newman-Moore couplings are ±J/2 = ±0.5: every partial sum is exact in double.
      EXPECT_EQ(energies(p, s), model.hamiltonian.energy(config));
      EXPECT_EQ(logp2(p, s), logp(p, s));  // Origin: the same kernel and counters
      EXPECT_EQ(energies2(p, s), energies(p, s));
    }
}

// With a fixed tile a sample depends only on (θ_p, its counters), not on the batch around it.
TEST_F(CudaBackend, SamplesDoNotDependOnTheBatch) {
  ASSERT_EQ(setenv("VNA_CUDA_TILE", "5,4", 1), 0);
  const Lattice lattice = Lattice::square(6, 6);
  RnnEngine<float> gpu(configOf(CellKind::kVanilla2d, 40, lattice, Backend::kCuda));
  unsetenv("VNA_CUDA_TILE");
  const int P = 3, M = 50, N = 36;
  auto params = initialParams<float>(gpu.layout(), P, 8, 2.0);
  BitsView all("all", P, M, N);
  DoubleView lp_all("lp_all", P, M);
  gpu.sample(Space(), params, streams(P), SampleCounters{77, 4, 0}, all, lp_all);
  for (int p = 0; p < P; ++p) {
    auto one = Kokkos::subview(params, std::make_pair(p, p + 1), Kokkos::ALL);
    Kokkos::View<float**, Kokkos::LayoutRight, MemSpace> single("single", 1, gpu.numParams());
    Kokkos::deep_copy(single, one);
    for (const auto& [first, count] : {std::pair<int, int>{0, 20}, std::pair<int, int>{20, 30}}) {
      BitsView part("part", 1, count, N);
      DoubleView lp("lp", 1, count);
      gpu.sample(Space(), single, streams(1, static_cast<std::uint32_t>(p)),
                 SampleCounters{77, 4, static_cast<std::uint32_t>(first)}, part, lp);
      for (int s = 0; s < count; ++s) {
        EXPECT_EQ(lp(0, s), lp_all(p, first + s));
        for (int i = 0; i < N; ++i) ASSERT_EQ(part(0, s, i), all(p, first + s, i));
      }
    }
  }
}

// Every compiled tile draws the Kokkos backend's samples (up to float rounding, as above).
TEST_F(CudaBackend, EveryTileAgreesWithKokkos) {
  const Lattice lattice = Lattice::square(6, 6);
  RnnEngine<float> cpu(configOf(CellKind::kVanilla2d, 40, lattice, Backend::kKokkos));
  const int P = 2, M = 40, N = 36;
  auto params = initialParams<float>(cpu.layout(), P, 9, 2.0);
  BitsView ref("ref", P, M, N);
  DoubleView lref("lref", P, M);
  cpu.sample(Space(), params, streams(P), SampleCounters{5, 5, 0}, ref, lref);
  for (const char* tile : {"2,1", "2,2", "2,4", "4,1", "4,2", "4,4", "5,1", "5,2", "5,4", "8,1", "8,2", "8,4"}) {
    ASSERT_EQ(setenv("VNA_CUDA_TILE", tile, 1), 0);
    RnnEngine<float> gpu(configOf(CellKind::kVanilla2d, 40, lattice, Backend::kCuda));
    unsetenv("VNA_CUDA_TILE");
    BitsView bits("bits", P, M, N);
    DoubleView logp("logp", P, M);
    gpu.sample(Space(), params, streams(P), SampleCounters{5, 5, 0}, bits, logp);
    EXPECT_GE(siteAgreement(bits, ref), 0.999) << "tile " << tile;  // Origin: as in SamplesAgreeWithKokkos
  }
}

// The loss estimates of VCA (with gradient) and VQA (local energies from Ns·N flipped configurations,
// reduced on the GPU) through the network service agree between backends.
TEST_F(CudaBackend, VariationalEstimatesAgree) {
  const int L = 5, P = 2, Ns = 100;
  Model model = newmanMoore(L, 1.0);
  model.hamiltonian.setTransverseField(1.0);
  for (LossMode mode : {LossMode::kClassical, LossMode::kQuantum}) {
    setDefaultBackend(Backend::kCuda);
    Network gpu(AnsatzSpec{}, model.lattice, model.hamiltonian);
    setDefaultBackend(Backend::kKokkos);
    Network cpu(AnsatzSpec{}, model.lattice, model.hamiltonian);
    ASSERT_EQ(gpu.backend(), Backend::kCuda);
    VariationalEstimator eg(gpu), ec(cpu);
    std::vector<double> flat, gg, gc;
    for (int p = 0; p < P; ++p)
      for (double x : initParameters(gpu.layout(), 2, p)) flat.push_back(x);
    const std::vector<std::uint32_t> ids = {0, 1};
    const ParameterSets sets = ParameterSets::explicitSets(flat, gpu.numParams());
    const LossStats sg = eg.evaluate(sets, ids, SampleCounters{3, 1, 0}, Ns, mode, 1.5, 1.0, &gg);
    const LossStats sc = ec.evaluate(sets, ids, SampleCounters{3, 1, 0}, Ns, mode, 1.5, 1.0, &gc);
    for (int p = 0; p < P; ++p) {
      // Origin: identical samples (see SamplesAgreeWithKokkos) and log p to 1e-5 relative; the losses
      // are means of O(N) terms, so 1e-4 of |loss| + 1e-4 covers them (a rare flipped draw moves one
      // of Ns samples: then the difference is within the loss's own standard error).
      const double tol = std::max(1e-4 * (std::abs(sc.loss[p]) + 1.0), sc.loss_err[p]);
      EXPECT_NEAR(sg.loss[p], sc.loss[p], tol) << lossModeName(mode);
      EXPECT_NEAR(sg.energy[p], sc.energy[p], std::max(1e-9, sc.loss_err[p])) << lossModeName(mode);
    }
  }
}

// End to end: `vna anneal` with backend.device cuda and cpu. The first updates use the same samples
// (equal losses); after many Adam steps float rounding decorrelates the trajectories, so the final
// energies are compared statistically.
TEST_F(CudaBackend, VcaTracesAgree) {
  namespace fs = std::filesystem;
  ASSERT_TRUE(fs::exists(VNA_EXECUTABLE)) << VNA_EXECUTABLE << " is missing (on the GPU machine, gpu_bench.sh links it)";
  const fs::path dir = test::tmpDir() / "cuda_vca";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path cfg = test::writeFile(dir / "vca.yaml", R"(model: {type: newman_moore, L: 4}
ansatz: {cell: vanilla2d, hidden: 20, seed: 3, precision: float}
anneal: {mode: classical, T0: 2.0, warmup_steps: 20, annealing_steps: 60, train_steps: 2, samples: 100,
         learning_rate: 5e-3}
replicas: {count: 8, seed: 5}
analysis: {samples: 1000, stored_samples: 10}
)");
  std::vector<std::vector<double>> loss(2), energy(2);
  for (int b = 0; b < 2; ++b) {
    const std::string device = b == 0 ? "cuda" : "cpu";
    const fs::path out = dir / (device + ".h5");
    const auto r = test::runVna(fmt::format("anneal {} --output {} --set backend.device={}",
                                            test::shellQuote(cfg.string()), test::shellQuote(out.string()), device));
    ASSERT_EQ(r.exit_code, 0) << r.out;
    h5::Handle f = h5::openFile(out.string(), MPI_COMM_SELF, false);
    EXPECT_EQ(h5::readStringAttribute(f, "backend").rfind(device == "cuda" ? "cuda" : "kokkos", 0), 0u);
    std::vector<hsize_t> dims;
    loss[b] = h5::readDataset<double>(f, "anneal/trace/loss", &dims);
    energy[b] = h5::readDataset<double>(f, "anneal/trace/energy");
    ASSERT_EQ(dims.size(), 2u);
  }
  const std::size_t R = 8, U = loss[0].size() / R;
  ASSERT_EQ(loss[1].size(), R * U);
  for (std::size_t r = 0; r < R; ++r) {
    // Origin: update 0 of both runs uses the same initial θ and counters: the same samples (up to a
    // rare float flip), so the same loss to float accuracy.
    EXPECT_NEAR(loss[0][r * U], loss[1][r * U], 1e-4 * (std::abs(loss[1][r * U]) + 1.0)) << "replica " << r;
  }
  // Final energies: mean over replicas of the last 10 updates; the two runs may differ only by
  // sampling noise. Origin: 4-sigma bound from the replica spread (Welch), two-sided false-alarm
  // probability < 1e-4.
  auto finalStats = [&](const std::vector<double>& e) {
    std::vector<double> per(R, 0.0);
    for (std::size_t r = 0; r < R; ++r)
      for (std::size_t u = U - 10; u < U; ++u) per[r] += e[r * U + u] / 10.0;
    double mean = 0, var = 0;
    for (double x : per) mean += x / R;
    for (double x : per) var += (x - mean) * (x - mean) / (R - 1);
    return std::pair<double, double>{mean, var};
  };
  const auto [mg, vg] = finalStats(energy[0]);
  const auto [mc, vc] = finalStats(energy[1]);
  EXPECT_LE(std::abs(mg - mc), 4.0 * std::sqrt(vg / R + vc / R) + 1e-9) << "gpu " << mg << " cpu " << mc;
}

}  // namespace
}  // namespace vna
