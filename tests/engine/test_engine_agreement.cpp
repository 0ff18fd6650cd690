// Every backend against the Kokkos backend on the same seeds (formerly tests/cuda's agreement
// tests): the same samples up to float rounding, log p, gradients. On the kokkos backend these
// compare the reference with itself (and must hold exactly); a CUDA build runs them for cuda.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "engine_test_utils.hpp"

namespace vna {
namespace {

using test::Space;
using test::toHost;

class EngineAgreement : public test::BackendTest {};

struct Case {
  const char* name;
  CellKind cell;
  int hidden;
  Lattice lattice;
  WeightSharing sharing = WeightSharing::kShared;
};

// A Newman-Moore-sized network (L = 16, d_h = 40: the performance goals' case), a non-square lattice
// with a hidden size that fills no tile exactly, and a chain; the last two and an EA-sized one (10×10,
// d_h = 40) with per-site weights (the CUDA kernels read those from global memory per position). The
// same for the tensorized cells (the CUDA kernels blend each sample's weights by its predecessors'
// bits); the 10×10 per-site tensorized2d network is the paper's EA ansatz. The dilated cell (rings and
// weights in global memory on CUDA) shared and per site, with a hidden size that fills no tile, and
// the paper's SK ansatz (N = 100: 7 layers, d_h = 40, per site).
std::vector<Case> agreementCases() {
  const WeightSharing per_site = WeightSharing::kPerSite;
  return {{"vanilla2d_L16_h40", CellKind::kVanilla2d, 40, Lattice::square(16, 16)},
          {"vanilla2d_7x5_h13", CellKind::kVanilla2d, 13, Lattice::square(7, 5)},
          {"vanilla1d_chain30_h20", CellKind::kVanilla1d, 20, Lattice::chain(30)},
          {"vanilla2d_7x5_h13_per_site", CellKind::kVanilla2d, 13, Lattice::square(7, 5), per_site},
          {"vanilla1d_chain30_h20_per_site", CellKind::kVanilla1d, 20, Lattice::chain(30), per_site},
          {"vanilla2d_10x10_h40_per_site", CellKind::kVanilla2d, 40, Lattice::square(10, 10), per_site},
          {"tensorized2d_L16_h20", CellKind::kTensorized2d, 20, Lattice::square(16, 16)},
          {"tensorized2d_7x5_h13", CellKind::kTensorized2d, 13, Lattice::square(7, 5)},
          {"tensorized1d_chain30_h20", CellKind::kTensorized1d, 20, Lattice::chain(30)},
          {"tensorized2d_7x5_h13_per_site", CellKind::kTensorized2d, 13, Lattice::square(7, 5), per_site},
          {"tensorized1d_chain30_h20_per_site", CellKind::kTensorized1d, 20, Lattice::chain(30), per_site},
          {"tensorized2d_10x10_h40_per_site", CellKind::kTensorized2d, 40, Lattice::square(10, 10), per_site},
          {"dilated1d_chain30_h20", CellKind::kDilated1d, 20, Lattice::chain(30)},
          {"dilated1d_chain30_h13_per_site", CellKind::kDilated1d, 13, Lattice::chain(30), per_site},
          {"dilated1d_sk100_h40_per_site", CellKind::kDilated1d, 40, Lattice::chain(100), per_site}};
}

EngineConfig configOn(Backend backend, const Case& c) {
  EngineConfig e{c.cell, c.hidden, c.lattice};
  e.backend = backend;
  e.sharing = c.sharing;
  return e;
}

std::vector<std::uint32_t> streamIds(int P, std::uint32_t first) {
  std::vector<std::uint32_t> ids(P);
  for (int p = 0; p < P; ++p) ids[p] = first + static_cast<std::uint32_t>(p);
  return ids;
}

// Fraction of equal sites over all samples of all sets.
double siteAgreement(const test::BitsView& a, const test::BitsView& b) {
  std::size_t equal = 0, total = 0;
  for (std::size_t p = 0; p < a.extent(0); ++p)
    for (std::size_t s = 0; s < a.extent(1); ++s)
      for (std::size_t i = 0; i < a.extent(2); ++i, ++total) equal += a(p, s, i) == b(p, s, i);
  return total ? static_cast<double>(equal) / total : 1.0;
}

bool sameSample(const test::BitsView& a, const test::BitsView& b, std::size_t p, std::size_t s) {
  for (std::size_t i = 0; i < a.extent(2); ++i)
    if (a(p, s, i) != b(p, s, i)) return false;
  return true;
}

// Tolerances on log p between backends, relative to |log p|. Origin: both evaluate the same formulas
// (sampling_rule.hpp) but may sum the GEMMs in a different order (and a GPU fuses multiply-adds), so
// δ differs by a few ulp of Σ|terms| per site; log p(b) = −softplus(±δ) has slope ≤ 1 and the N site
// terms add up in double: a few ulp × N relative to |log p| ~ N. The bound of issue 5 is 1e-5 (float).
// In float the recursion can amplify the rounding of early sites beyond that (16×16 lattices at twice
// the initial weight scale: up to 6e-5, measured), so the bound is also at least 4 times the
// reference's own error against double (`reference_error`, measured per case): the tested backend's
// error is of the same size in another direction; factor 2 for each.
template <class Scalar>
double logpTolerance(double reference_error = 0.0) {
  return std::is_same<Scalar, float>::value ? std::max(1e-5, 4.0 * reference_error) : 1e-12;
}

// The parameters in double (exactly the same values).
template <class Scalar>
test::DoubleView widened(const Kokkos::View<Scalar**, Kokkos::LayoutRight, test::MemSpace>& params) {
  auto host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), params);
  test::DoubleView wide("test::wide", params.extent(0), params.extent(1));
  auto wide_host = Kokkos::create_mirror_view(wide);
  for (std::size_t p = 0; p < params.extent(0); ++p)
    for (std::size_t j = 0; j < params.extent(1); ++j) wide_host(p, j) = static_cast<double>(host(p, j));
  Kokkos::deep_copy(wide, wide_host);
  return wide;
}

// The float reference's rounding: log p of the same configurations in double (Kokkos, on the float
// parameters converted exactly), the worst relative deviation of `logp` from it.
template <class Scalar>
double referenceError(const Case& c, const Kokkos::View<Scalar**, Kokkos::LayoutRight, test::MemSpace>& params,
                      const test::BitsView& bits, const test::DoubleView& logp) {
  if (!std::is_same<Scalar, float>::value) return 0.0;
  RnnEngine<double> exact(configOn(Backend::kKokkos, c));
  test::DoubleView ld("test::ld", logp.extent(0), logp.extent(1));
  exact.logProb(test::Space(), widened(params), bits, ld, Activations::kDiscard);
  double worst = 0.0;
  for (std::size_t p = 0; p < logp.extent(0); ++p)
    for (std::size_t s = 0; s < logp.extent(1); ++s)
      worst = std::max(worst, std::abs(logp(p, s) - ld(p, s)) / std::max(1e-300, std::abs(ld(p, s))));
  return worst;
}

template <class Scalar>
void checkSamplesAgree(Backend backend, const Case& c, int P, int M) {
  RnnEngine<Scalar> tested(configOn(backend, c)), reference(configOn(Backend::kKokkos, c));
  ASSERT_EQ(tested.backend(), backend) << c.name << ": " << tested.backendDescription();  // no silent fallback
  const int N = c.lattice.numSites();
  auto params = test::makeParams<Scalar>(test::initialSets(tested.layout(), P, 11, 2.0));
  const std::vector<std::uint32_t> ids = streamIds(P, 7);
  auto streams = test::makeStreams(ids);
  test::BitsView bt("bt", P, M, N), br("br", P, M, N);
  test::DoubleView lt("lt", P, M), lr("lr", P, M);
  const SampleCounters counters{2024, 3, 17};
  tested.sample(Space(), params, streams, counters, bt, lt);
  reference.sample(Space(), params, streams, counters, br, lr);
  const double tolerance = logpTolerance<Scalar>(referenceError<Scalar>(c, params, br, lr));
  // Origin: both backends draw u from the same Philox counters and compare it with p_up from the
  // same formulas; only float rounding (summation order) can move a draw across the threshold:
  // ~1e-7 × p(1−p)|δ| per site, far below 1e-3 even when a flip re-draws the rest of a sample.
  EXPECT_GE(siteAgreement(bt, br), 0.999) << c.name;
  int compared = 0;
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < M; ++s) {
      if (!sameSample(bt, br, p, s)) continue;
      ++compared;
      EXPECT_NEAR(lt(p, s), lr(p, s), tolerance * std::abs(lr(p, s))) << c.name;
    }
  EXPECT_GE(compared, P * M * 9 / 10) << c.name;
}

TEST_P(EngineAgreement, SamplesAgreeWithKokkosFloat) {
  for (const Case& c : agreementCases()) checkSamplesAgree<float>(backend(), c, 3, 100);
}

TEST_P(EngineAgreement, SamplesAgreeWithKokkosDouble) {
  for (const Case& c : agreementCases()) checkSamplesAgree<double>(backend(), c, 2, 37);
}

// Teacher-forced log p of the same configurations, with and without kept activations, and VQA's
// large-M batches (M = Ns · N flipped configurations).
template <class Scalar>
void checkLogProbAgrees(Backend backend, const Case& c, int P, int M) {
  RnnEngine<Scalar> tested(configOn(backend, c)), reference(configOn(Backend::kKokkos, c));
  ASSERT_EQ(tested.backend(), backend) << c.name << ": " << tested.backendDescription();  // no silent fallback
  const int N = c.lattice.numSites();
  auto params = test::makeParams<Scalar>(test::initialSets(tested.layout(), P, 12, 2.0));
  const std::vector<std::uint32_t> ids = streamIds(P, 0);
  test::BitsView bits("bits", P, M, N);
  test::DoubleView lr("lr", P, M), lt("lt", P, M), lk("lk", P, M);
  reference.sample(Space(), params, test::makeStreams(ids), SampleCounters{5, 0, 0}, bits, lr);
  tested.logProb(Space(), params, bits, lt, Activations::kDiscard);
  tested.logProb(Space(), params, bits, lk, Activations::kKeep);
  const double tolerance = logpTolerance<Scalar>(referenceError<Scalar>(c, params, bits, lr));
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < M; ++s) {
      EXPECT_NEAR(lt(p, s), lr(p, s), tolerance * std::abs(lr(p, s))) << c.name;
      // Origin: the same kernel; keeping activations only adds stores.
      EXPECT_EQ(lk(p, s), lt(p, s)) << c.name;
    }
}

TEST_P(EngineAgreement, LogProbAgreesWithKokkos) {
  for (const Case& c : agreementCases()) {
    checkLogProbAgrees<float>(backend(), c, 2, 64);
    checkLogProbAgrees<double>(backend(), c, 2, 33);
  }
  checkLogProbAgrees<float>(backend(), {"vqa_L5_flips", CellKind::kVanilla2d, 40, Lattice::square(5, 5)}, 1, 100 * 25);
}

template <class Scalar>
void checkGradientAgrees(Backend backend, const Case& c, int P, int M, double tolerance) {
  RnnEngine<Scalar> tested(configOn(backend, c)), reference(configOn(Backend::kKokkos, c));
  ASSERT_EQ(tested.backend(), backend) << c.name << ": " << tested.backendDescription();  // no silent fallback
  const int N = c.lattice.numSites();
  const std::size_t n = tested.numParams();
  auto params = test::makeParams<Scalar>(test::initialSets(tested.layout(), P, 13, 2.0));
  const std::vector<std::uint32_t> ids = streamIds(P, 0);
  test::BitsView bits("bits", P, M, N);
  test::DoubleView lr("lr", P, M), lt("lt", P, M), weights("weights", P, M), gt("gt", P, n), gr("gr", P, n);
  std::mt19937 rng(4);
  std::normal_distribution<double> normal;
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < M; ++s) weights(p, s) = normal(rng) / M;
  reference.sample(Space(), params, test::makeStreams(ids), SampleCounters{6, 0, 0}, bits, lr, Activations::kKeep);
  tested.logProb(Space(), params, bits, lt, Activations::kKeep);
  reference.gradient(Space(), params, bits, weights, gr);
  tested.gradient(Space(), params, bits, weights, gt);
  // In float, the reference's own error against the double gradient of the same numbers.
  test::DoubleView gd("gd", P, n);
  if (std::is_same<Scalar, float>::value) {
    RnnEngine<double> exact(configOn(Backend::kKokkos, c));
    const auto wide = widened(params);
    test::DoubleView ld("ld", P, M);
    exact.logProb(Space(), wide, bits, ld, Activations::kKeep);
    exact.gradient(Space(), wide, bits, weights, gd);
  }
  auto maxDiff = [&](const test::DoubleView& a, const test::DoubleView& b, int p, const ParamBlock& block) {
    double d = 0.0;
    for (std::size_t j = block.offset; j < block.offset + block.size; ++j) d = std::max(d, std::abs(a(p, j) - b(p, j)));
    return d;
  };
  for (int p = 0; p < P; ++p)
    for (const ParamBlock& b : tested.layout().blocks) {
      double scale = 0.0;
      for (std::size_t j = b.offset; j < b.offset + b.size; ++j) scale = std::max(scale, std::abs(gr(p, j)));
      const double reference_error = std::is_same<Scalar, float>::value ? maxDiff(gr, gd, p, b) : 0.0;
      EXPECT_LE(maxDiff(gt, gr, p, b), std::max(tolerance * scale, 4.0 * reference_error))
          << c.name << " set " << p << " block " << b.name;
    }
}

// Origin of the tolerances: issue 5's 1e-4 relative (float), per parameter block relative to its
// largest entry (entries near zero have no meaningful relative error). Both sum the same N·M products
// in different orders (the GPU with cuBLAS over all of them, the CPU per work item then in double):
// float rounding ~ sqrt(N·M) ulp ≈ 1e-5 of the block scale; double ~1e-13. In float at least 4 times
// the reference's own error against the double gradient (as for log p: on 16×16 lattices the backward
// recursion amplifies rounding beyond 1e-4 of some blocks; the tested backend errs as much).
template <class Scalar>
double gradientTolerance() {
  return std::is_same<Scalar, float>::value ? 1e-4 : 1e-10;
}

TEST_P(EngineAgreement, GradientAgreesWithKokkos) {
  for (const Case& c : agreementCases()) {
    checkGradientAgrees<float>(backend(), c, 2, 100, gradientTolerance<float>());
    checkGradientAgrees<double>(backend(), c, 2, 45, gradientTolerance<double>());
  }
}

// Origin: the dilated CUDA kernels' grid is capped by a scratch budget (VNA_CUDA_SCRATCH_MIB; 0: one
// block), and then each warp loops over several work items; every item's arithmetic is the same, so
// samples, log p and the gradient are identical to the last bit (on Kokkos the variable is ignored).
TEST_P(EngineAgreement, ScratchBudgetLeavesDilatedResultsUnchanged) {
  const Case c{"dilated1d_chain40_h20_per_site", CellKind::kDilated1d, 20, Lattice::chain(40), WeightSharing::kPerSite};
  const int P = 3, M = 150, N = 40;
  struct Run {
    test::BitsView bits;
    test::DoubleView logp, grad;
  };
  auto run = [&](const char* budget) {
    if (budget != nullptr) setenv("VNA_CUDA_SCRATCH_MIB", budget, 1);
    RnnEngine<double> engine(configOn(backend(), c));
    unsetenv("VNA_CUDA_SCRATCH_MIB");
    auto params = test::makeParams<double>(test::initialSets(engine.layout(), P, 17, 2.0));
    Run r{test::BitsView("bits", P, M, N), test::DoubleView("logp", P, M),
          test::DoubleView("grad", P, engine.numParams())};
    test::DoubleView weights("weights", P, M);
    for (int p = 0; p < P; ++p)
      for (int s = 0; s < M; ++s) weights(p, s) = std::sin(1.0 + p * M + s) / M;
    engine.sample(Space(), params, test::makeStreams(streamIds(P, 3)), SampleCounters{9, 2, 0}, r.bits, r.logp,
                  Activations::kKeep);
    engine.gradient(Space(), params, r.bits, weights, r.grad);
    return r;
  };
  const Run free = run(nullptr), capped = run("0");
  for (int p = 0; p < P; ++p) {
    for (int s = 0; s < M; ++s) {
      ASSERT_TRUE(sameSample(free.bits, capped.bits, p, s)) << "set " << p << " sample " << s;
      EXPECT_EQ(free.logp(p, s), capped.logp(p, s));
    }
    for (std::size_t j = 0; j < free.grad.extent(1); ++j) EXPECT_EQ(free.grad(p, j), capped.grad(p, j)) << j;
  }
}

// Small networks of every cell, shared and per site, with a hidden size that fills no tile (13) and a
// sample count that fills no lane group (37), for the every-tile test below.
std::vector<Case> tileCases() {
  std::vector<Case> cases;
  const Lattice grid = Lattice::square(4, 3), chain = Lattice::chain(11);
  for (WeightSharing sharing : {WeightSharing::kShared, WeightSharing::kPerSite}) {
    const bool shared = sharing == WeightSharing::kShared;
    cases.push_back({shared ? "vanilla1d_chain11_h13" : "vanilla1d_chain11_h13_per_site", CellKind::kVanilla1d, 13,
                     chain, sharing});
    cases.push_back({shared ? "vanilla2d_4x3_h13" : "vanilla2d_4x3_h13_per_site", CellKind::kVanilla2d, 13, grid,
                     sharing});
    cases.push_back({shared ? "tensorized1d_chain11_h13" : "tensorized1d_chain11_h13_per_site",
                     CellKind::kTensorized1d, 13, chain, sharing});
    cases.push_back({shared ? "tensorized2d_4x3_h13" : "tensorized2d_4x3_h13_per_site", CellKind::kTensorized2d, 13,
                     grid, sharing});
    cases.push_back({shared ? "dilated1d_chain11_h13" : "dilated1d_chain11_h13_per_site", CellKind::kDilated1d, 13,
                     chain, sharing});
  }
  return cases;
}

// The dilated backward kernel is not built for 256-byte tiles (8 x 4 in double: they spill,
// kernels/cuda/dilated_kernels.cu); forcing one must then fail with an error, not run another tile.
bool backwardBuilt(const Case& c, int rows, int samples, std::size_t scalar_bytes) {
  return c.cell != CellKind::kDilated1d || rows * samples * static_cast<int>(scalar_bytes) < 256;
}

template <class Scalar>
void checkTile(Backend backend, const Case& c, int rows, int samples) {
  const std::string tile = std::to_string(rows) + "," + std::to_string(samples);
  SCOPED_TRACE(std::string(c.name) + ", tile " + tile + (sizeof(Scalar) == 4 ? ", float" : ", double"));
  ASSERT_EQ(setenv("VNA_CUDA_TILE", tile.c_str(), 1), 0);
  checkSamplesAgree<Scalar>(backend, c, 2, 37);
  checkLogProbAgrees<Scalar>(backend, c, 2, 37);
  const double tolerance = gradientTolerance<Scalar>();
  if (backwardBuilt(c, rows, samples, sizeof(Scalar)))
    checkGradientAgrees<Scalar>(backend, c, 2, 37, tolerance);
  else
    EXPECT_THROW(checkGradientAgrees<Scalar>(backend, c, 2, 37, tolerance), Error);
}

// The suites fix the CUDA register tile to 5 x 1 (test::BackendTest); each tile has its own summation
// order, lane layout and staging strides, so every compiled one is checked here as the cases above are,
// in float and double, with the same origins of the tolerances. On kokkos there are no tiles.
TEST_P(EngineAgreement, EveryCompiledTileAgreesWithKokkos) {
  const std::vector<std::pair<int, int>> tiles = test::compiledCudaTiles(backend());
  if (tiles.empty()) GTEST_SKIP() << backendName(backend()) << " has no register tiles";
  for (const auto& [rows, samples] : tiles)
    for (const Case& c : tileCases()) {
      checkTile<float>(backend(), c, rows, samples);
      checkTile<double>(backend(), c, rows, samples);
    }
}

VNA_TEST_ON_EVERY_BACKEND(EngineAgreement);

}  // namespace
}  // namespace vna
