// Every backend against the Kokkos backend on the same seeds (formerly tests/cuda's agreement
// tests): the same samples up to float rounding, log p, gradients. On the kokkos backend these
// compare the reference with itself (and must hold exactly); a CUDA build runs them for cuda.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

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
// d_h = 40) with per-site weights (the CUDA kernels read those from global memory per position).
std::vector<Case> agreementCases() {
  return {{"vanilla2d_L16_h40", CellKind::kVanilla2d, 40, Lattice::square(16, 16)},
          {"vanilla2d_7x5_h13", CellKind::kVanilla2d, 13, Lattice::square(7, 5)},
          {"vanilla1d_chain30_h20", CellKind::kVanilla1d, 20, Lattice::chain(30)},
          {"vanilla2d_7x5_h13_per_site", CellKind::kVanilla2d, 13, Lattice::square(7, 5), WeightSharing::kPerSite},
          {"vanilla1d_chain30_h20_per_site", CellKind::kVanilla1d, 20, Lattice::chain(30), WeightSharing::kPerSite},
          {"vanilla2d_10x10_h40_per_site", CellKind::kVanilla2d, 40, Lattice::square(10, 10),
           WeightSharing::kPerSite}};
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
template <class Scalar>
double logpTolerance() {
  return std::is_same<Scalar, float>::value ? 1e-5 : 1e-12;
}

template <class Scalar>
void checkSamplesAgree(Backend backend, const Case& c, int P, int M) {
  RnnEngine<Scalar> tested(configOn(backend, c)), reference(configOn(Backend::kKokkos, c));
  const int N = c.lattice.numSites();
  auto params = test::makeParams<Scalar>(test::initialSets(tested.layout(), P, 11, 2.0));
  const std::vector<std::uint32_t> ids = streamIds(P, 7);
  auto streams = test::makeStreams(ids);
  test::BitsView bt("bt", P, M, N), br("br", P, M, N);
  test::DoubleView lt("lt", P, M), lr("lr", P, M);
  const SampleCounters counters{2024, 3, 17};
  tested.sample(Space(), params, streams, counters, bt, lt);
  reference.sample(Space(), params, streams, counters, br, lr);
  // Origin: both backends draw u from the same Philox counters and compare it with p_up from the
  // same formulas; only float rounding (summation order) can move a draw across the threshold:
  // ~1e-7 × p(1−p)|δ| per site, far below 1e-3 even when a flip re-draws the rest of a sample.
  EXPECT_GE(siteAgreement(bt, br), 0.999) << c.name;
  int compared = 0;
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < M; ++s) {
      if (!sameSample(bt, br, p, s)) continue;
      ++compared;
      EXPECT_NEAR(lt(p, s), lr(p, s), logpTolerance<Scalar>() * std::abs(lr(p, s))) << c.name;
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
  const int N = c.lattice.numSites();
  auto params = test::makeParams<Scalar>(test::initialSets(tested.layout(), P, 12, 2.0));
  const std::vector<std::uint32_t> ids = streamIds(P, 0);
  test::BitsView bits("bits", P, M, N);
  test::DoubleView lr("lr", P, M), lt("lt", P, M), lk("lk", P, M);
  reference.sample(Space(), params, test::makeStreams(ids), SampleCounters{5, 0, 0}, bits, lr);
  tested.logProb(Space(), params, bits, lt, Activations::kDiscard);
  tested.logProb(Space(), params, bits, lk, Activations::kKeep);
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < M; ++s) {
      EXPECT_NEAR(lt(p, s), lr(p, s), logpTolerance<Scalar>() * std::abs(lr(p, s))) << c.name;
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
  for (int p = 0; p < P; ++p)
    for (const ParamBlock& b : tested.layout().blocks) {
      double scale = 0.0, diff = 0.0;
      for (std::size_t j = b.offset; j < b.offset + b.size; ++j) {
        scale = std::max(scale, std::abs(gr(p, j)));
        diff = std::max(diff, std::abs(gt(p, j) - gr(p, j)));
      }
      EXPECT_LE(diff, tolerance * scale) << c.name << " set " << p << " block " << b.name;
    }
}

// Origin of the tolerances: issue 5's 1e-4 relative (float), per parameter block relative to its
// largest entry (entries near zero have no meaningful relative error). Both sum the same N·M products
// in different orders (the GPU with cuBLAS over all of them, the CPU per work item then in double):
// float rounding ~ sqrt(N·M) ulp ≈ 1e-5 of the block scale; double ~1e-13.
TEST_P(EngineAgreement, GradientAgreesWithKokkos) {
  for (const Case& c : agreementCases()) {
    checkGradientAgrees<float>(backend(), c, 2, 100, 1e-4);
    checkGradientAgrees<double>(backend(), c, 2, 45, 1e-10);
  }
}

VNA_TEST_ON_EVERY_BACKEND(EngineAgreement);

}  // namespace
}  // namespace vna
