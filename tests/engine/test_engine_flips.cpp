// RnnEngine::logProbFlips (log p of every single-spin-flip neighbour from the kept activations, with
// the hidden states of the shared prefix reused) against logProb of the explicitly flipped
// configurations (the network service's local energies built on it: tests/network).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"
#include "engine_test_utils.hpp"
#include "model/newman_moore.hpp"

namespace vna {
namespace {

using test::Space;
using test::toHost;
using FlipView = Kokkos::View<double***, Kokkos::LayoutRight, test::MemSpace>;

class EngineFlips : public test::BackendTest {};

struct FlipCase {
  const char* name;
  CellKind cell;
  Lattice lattice;
  int hidden;
};

// Lattices: L = 3 and 5 (not powers of 2), rectangular 5×3 and 3×5 (the snake's vertical look-back
// differs from row to row), a 20-site chain for the dilated cell (5 layers, look-back 16 > half the
// chain). Hidden sizes off the vector width exercise the tile tails; d_h = 40 is the production size.
std::vector<FlipCase> flipCases() {
  return {{"vanilla1d_chain7_h5", CellKind::kVanilla1d, Lattice::chain(7), 5},
          {"vanilla2d_3x3_h7", CellKind::kVanilla2d, Lattice::square(3, 3), 7},
          {"vanilla2d_5x3_h9", CellKind::kVanilla2d, Lattice::square(5, 3), 9},
          {"vanilla2d_3x5_h6", CellKind::kVanilla2d, Lattice::square(3, 5), 6},
          {"vanilla2d_5x5_h40", CellKind::kVanilla2d, Lattice::square(5, 5), 40},
          {"tensorized1d_chain6_h5", CellKind::kTensorized1d, Lattice::chain(6), 5},
          {"tensorized2d_3x3_h5", CellKind::kTensorized2d, Lattice::square(3, 3), 5},
          {"tensorized2d_4x3_h6", CellKind::kTensorized2d, Lattice::square(4, 3), 6},
          {"dilated1d_chain7_h5", CellKind::kDilated1d, Lattice::chain(7), 5},
          {"dilated1d_chain20_h4", CellKind::kDilated1d, Lattice::chain(20), 4}};
}

// Reference: logp_ref[p][s·N + i] = logProb of sample s of set p with the spin at site i flipped.
template <class Scalar>
Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace> explicitFlips(
    RnnEngine<Scalar>& engine, const typename RnnEngine<Scalar>::ParamsView& params, const test::BitsView& bits) {
  const int P = static_cast<int>(bits.extent(0)), M = static_cast<int>(bits.extent(1)), N = engine.numSites();
  auto bh = toHost(bits);
  test::BitsView flipped("flipped", P, static_cast<std::size_t>(M) * N, N);
  auto fh = Kokkos::create_mirror_view(flipped);
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < M; ++s)
      for (int i = 0; i < N; ++i)
        for (int j = 0; j < N; ++j) fh(p, s * N + i, j) = bh(p, s, j) ^ static_cast<std::uint8_t>(i == j);
  Kokkos::deep_copy(flipped, fh);
  test::DoubleView ref("ref", P, static_cast<std::size_t>(M) * N);
  engine.logProb(Space(), params, flipped, ref);
  Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace> out("ref_h", P, static_cast<std::size_t>(M) * N);
  Kokkos::deep_copy(out, ref);
  return out;
}

enum class KeptBy { kSample, kLogProb };

// Returns the largest relative difference between logProbFlips and the explicit flips.
template <class Scalar>
double checkFlips(Backend backend, const FlipCase& c, KeptBy kept_by, std::size_t scratch_bytes, double rel_tol,
                  int M = 19) {
  EngineConfig config{c.cell, c.hidden, c.lattice};
  config.backend = backend;
  config.scratch_bytes = scratch_bytes;
  RnnEngine<Scalar> engine(config);
  const int P = 3, N = engine.numSites();
  // Scale 2: far from uniform, so that conditionals near 0 and 1 occur.
  auto params = test::makeParams<Scalar>(test::initialSets(engine.layout(), P, 61, 2.0));
  auto streams = test::makeStreams({4, 5, 6});
  test::BitsView bits("bits", P, M, N);
  test::DoubleView logp("logp", P, M);
  if (kept_by == KeptBy::kSample) {
    engine.sample(Space(), params, streams, SampleCounters{9, 2, 0}, bits, logp, Activations::kKeep);
  } else {
    engine.sample(Space(), params, streams, SampleCounters{9, 2, 0}, bits, logp);
    engine.logProb(Space(), params, bits, logp, Activations::kKeep);
  }
  FlipView flips("flips", P, M, N);
  engine.logProbFlips(Space(), params, bits, flips);
  auto fh = toHost(flips);
  const auto ref = explicitFlips(engine, params, bits);
  double worst = 0.0;
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < M; ++s)
      for (int i = 0; i < N; ++i) {
        const double want = ref(p, s * N + i), got = fh(p, s, i);
        EXPECT_TRUE(std::isfinite(got)) << c.name;
        const double rel = std::abs(got - want) / std::max(1.0, std::abs(want));
        worst = std::max(worst, rel);
        EXPECT_LE(rel, rel_tol) << c.name << " set " << p << " sample " << s << " site " << i << ": " << got
                                << " vs " << want;
      }
  return worst;
}

// Origin: the same function computed two ways. logProbFlips reuses the kept hidden states of the
// positions before the flipped one and recomputes the rest with the forward code of logProb, so the
// only differences are rounding: in double far below 1e-12 relative (observed: 0, the arithmetic is
// the same); the scale is max(1, |log p|) since log p is a sum of N terms of O(1).
TEST_P(EngineFlips, DoubleMatchesExplicitFlips) {
  for (const FlipCase& c : flipCases()) {
    checkFlips<double>(backend(), c, KeptBy::kSample, std::size_t(256) << 20, 1e-12);
    checkFlips<double>(backend(), c, KeptBy::kLogProb, std::size_t(256) << 20, 1e-12);
  }
}

// Origin: as above in float. The bound is float rounding (ε = 6e-8) of N positions of d_h-term dot
// products should the compiler contract or order operations differently in the two kernels: a few
// 1e-6 relative, bounded by 1e-5 (the bound of EngineBatch.FloatAgreesWithDouble for the same sums).
TEST_P(EngineFlips, FloatMatchesExplicitFlips) {
  for (const FlipCase& c : flipCases()) {
    checkFlips<float>(backend(), c, KeptBy::kSample, std::size_t(256) << 20, 1e-5);
    checkFlips<float>(backend(), c, KeptBy::kLogProb, std::size_t(256) << 20, 1e-5);
  }
}

// A scratch budget of one byte forces the per-work-item scratch path in waves of one item; one
// sample per set leaves 15 (float) or 7 (double) idle lanes; more samples than one wave.
TEST_P(EngineFlips, IndependentOfScratchBudgetAndBatchShape) {
  for (const FlipCase& c : flipCases()) {
    checkFlips<double>(backend(), c, KeptBy::kSample, 1, 1e-12);
    checkFlips<double>(backend(), c, KeptBy::kSample, std::size_t(256) << 20, 1e-12, 1);
    checkFlips<float>(backend(), c, KeptBy::kSample, 1, 1e-5, 40);
  }
}

// Origin: logProbFlips reads the kept activations and must leave them intact, so a gradient after it
// equals the gradient without it exactly (same arithmetic on the same data).
TEST_P(EngineFlips, KeptActivationsStayValidForTheGradient) {
  for (CellKind cell : {CellKind::kVanilla2d, CellKind::kTensorized2d, CellKind::kDilated1d}) {
    const EngineConfig config = engineConfig(cell, 6, Lattice::square(4, 3));
    RnnEngine<double> engine(config);
    const int P = 2, M = 11, N = engine.numSites(), np = static_cast<int>(engine.numParams());
    auto params = test::makeParams<double>(test::initialSets(engine.layout(), P, 62, 2.0));
    auto streams = test::makeStreams({0, 1});
    test::BitsView bits("bits", P, M, N);
    test::DoubleView logp("logp", P, M), weights("weights", P, M), g1("g1", P, np), g2("g2", P, np);
    Kokkos::deep_copy(weights, 0.25);
    engine.sample(Space(), params, streams, SampleCounters{3, 0, 0}, bits, logp, Activations::kKeep);
    engine.gradient(Space(), params, bits, weights, g1);
    FlipView flips("flips", P, M, N);
    engine.logProbFlips(Space(), params, bits, flips);
    engine.gradient(Space(), params, bits, weights, g2);
    auto a = toHost(g1), b = toHost(g2);
    for (int p = 0; p < P; ++p)
      for (int j = 0; j < np; ++j) ASSERT_EQ(a(p, j), b(p, j)) << cellKindName(cell);
  }
}

TEST_P(EngineFlips, RequiresKeptActivationsOfTheSameBits) {
  const EngineConfig config = engineConfig(CellKind::kVanilla2d, 6, Lattice::square(3, 3));
  RnnEngine<double> engine(config);
  const int N = engine.numSites(), M = 10;
  auto params = test::makeParams<double>(test::initialSets(engine.layout(), 1, 3));
  auto streams = test::makeStreams({0});
  test::BitsView bits("bits", 1, M, N), other("other", 1, M, N);
  test::DoubleView logp("logp", 1, M);
  FlipView flips("flips", 1, M, N);
  engine.sample(Space(), params, streams, SampleCounters{1, 0, 0}, bits, logp);
  EXPECT_THROW(engine.logProbFlips(Space(), params, bits, flips), Error);  // nothing kept
  engine.sample(Space(), params, streams, SampleCounters{1, 0, 0}, bits, logp, Activations::kKeep);
  EXPECT_NO_THROW(engine.logProbFlips(Space(), params, bits, flips));
  engine.sample(Space(), params, streams, SampleCounters{1, 1, 0}, other, logp);
  EXPECT_THROW(engine.logProbFlips(Space(), params, other, flips), Error);  // different bits
  FlipView wrong("wrong", 1, M, N - 1);
  EXPECT_THROW(engine.logProbFlips(Space(), params, bits, wrong), Error);  // output shape
  test::BitsView fewer("fewer", 1, M - 1, N);
  FlipView fewer_flips("fewer_flips", 1, M - 1, N);
  EXPECT_THROW(engine.logProbFlips(Space(), params, fewer, fewer_flips), Error);  // not the kept batch
  // An empty batch is valid.
  test::BitsView none("none", 1, 0, N);
  test::DoubleView none_logp("none_logp", 1, 0);
  FlipView none_flips("none_flips", 1, 0, N);
  engine.sample(Space(), params, streams, SampleCounters{1, 0, 0}, none, none_logp, Activations::kKeep);
  EXPECT_NO_THROW(engine.logProbFlips(Space(), params, none, none_flips));
}

VNA_TEST_ON_EVERY_BACKEND(EngineFlips);

}  // namespace
}  // namespace vna
