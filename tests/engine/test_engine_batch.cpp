// Batch independence, reproducibility of the random streams, and float/double agreement.
#include <gtest/gtest.h>

#include <cmath>

#include "engine_test_utils.hpp"

namespace vna {
namespace {

using test::Space;
using test::toHost;

class EngineBatch : public test::BackendTest {};

struct Sampled {
  Kokkos::View<std::uint8_t***, Kokkos::LayoutRight, Kokkos::HostSpace> bits;
  Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace> logp;
};

template <class Scalar>
Sampled sampleSets(RnnEngine<Scalar>& engine, const std::vector<std::vector<double>>& sets,
                   const std::vector<std::uint32_t>& streams, int Ns, SampleCounters counters,
                   Activations activations = Activations::kDiscard) {
  const int P = static_cast<int>(sets.size());
  test::BitsView bits("bits", P, Ns, engine.numSites());
  test::DoubleView logp("logp", P, Ns);
  engine.sample(Space(), test::makeParams<Scalar>(sets), test::makeStreams(streams), counters, bits, logp,
                activations);
  Sampled out;
  out.bits = Kokkos::View<std::uint8_t***, Kokkos::LayoutRight, Kokkos::HostSpace>("bits_h", P, Ns, engine.numSites());
  out.logp = Kokkos::View<double**, Kokkos::LayoutRight, Kokkos::HostSpace>("logp_h", P, Ns);
  Kokkos::deep_copy(out.bits, bits);
  Kokkos::deep_copy(out.logp, logp);
  return out;
}

// Samples (p, s) of `a` equal samples (q, s + offset) of `b`, for s < count.
void expectSameSamples(const Sampled& a, int p, const Sampled& b, int q, int count, int offset = 0) {
  const int n = static_cast<int>(a.bits.extent(2));
  for (int s = 0; s < count; ++s) {
    for (int i = 0; i < n; ++i) ASSERT_EQ(a.bits(p, s, i), b.bits(q, s + offset, i)) << "sample " << s;
    ASSERT_EQ(a.logp(p, s), b.logp(q, s + offset)) << "sample " << s;
  }
}

// 5×4 has a rolling buffer of 2·Lx = 10 positions that wraps many times along the 20 positions.
EngineConfig batchConfig(Backend backend) {
  EngineConfig c{CellKind::kVanilla2d, 11, Lattice::square(5, 4)};
  c.backend = backend;
  return c;
}

// Origin (all tests here): sample s of set p is a pure function of (θ_p, seed, stream id, step,
// first_sample + s), so these equalities are exact.
TEST_P(EngineBatch, SetsAreIndependentOfTheBatch) {
  RnnEngine<float> engine(batchConfig(backend()));
  const auto sets = test::initialSets(engine.layout(), 5, 41, 2.0);
  const std::vector<std::uint32_t> streams{10, 11, 12, 13, 14};
  const Sampled batch = sampleSets(engine, sets, streams, 50, {77, 3, 0});
  const Sampled single = sampleSets(engine, {sets[2]}, {12}, 50, {77, 3, 0});
  expectSameSamples(single, 0, batch, 2, 50);
  // Other stream ids give other samples even for the same parameters.
  const Sampled other = sampleSets(engine, {sets[2]}, {13}, 50, {77, 3, 0});
  int differing = 0;
  for (int s = 0; s < 50; ++s)
    for (int i = 0; i < engine.numSites(); ++i) differing += other.bits(0, s, i) != single.bits(0, s, i);
  EXPECT_GT(differing, 0);
}

void checkChunking(EngineConfig config);

TEST_P(EngineBatch, SamplesAreIndependentOfTheChunking) {
  checkChunking(batchConfig(backend()));
  EngineConfig tensorized = batchConfig(backend());
  tensorized.cell = CellKind::kTensorized2d;
  checkChunking(tensorized);
  EngineConfig dilated = batchConfig(backend());
  dilated.cell = CellKind::kDilated1d;  // 20 sites: 5 layers, a rolling buffer of 17 positions
  checkChunking(dilated);
}

void checkChunking(EngineConfig config) {
  RnnEngine<double> engine(config);
  const auto sets = test::initialSets(engine.layout(), 2, 42, 2.0);
  const Sampled full = sampleSets(engine, sets, {1, 2}, 100, {5, 0, 0});
  const Sampled prefix = sampleSets(engine, sets, {1, 2}, 37, {5, 0, 0});
  const Sampled tail = sampleSets(engine, sets, {1, 2}, 50, {5, 0, 50});
  for (int p = 0; p < 2; ++p) {
    expectSameSamples(prefix, p, full, p, 37);
    expectSameSamples(tail, p, full, p, 50, 50);
  }
  // Waves of one work item at a time (a tiny scratch budget) change nothing either.
  EngineConfig small = config;
  small.scratch_bytes = 1;
  RnnEngine<double> waved(small);
  const Sampled w = sampleSets(waved, sets, {1, 2}, 100, {5, 0, 0});
  for (int p = 0; p < 2; ++p) expectSameSamples(w, p, full, p, 100);
  // Kept activations (full storage instead of the rolling buffer) give the same samples.
  const Sampled kept = sampleSets(engine, sets, {1, 2}, 100, {5, 0, 0}, Activations::kKeep);
  for (int p = 0; p < 2; ++p) expectSameSamples(kept, p, full, p, 100);
}

TEST_P(EngineBatch, SameCountersSameBitsOtherStepsOtherBits) {
  RnnEngine<float> engine(batchConfig(backend()));
  const auto sets = test::initialSets(engine.layout(), 1, 43, 2.0);
  const Sampled a = sampleSets(engine, sets, {4}, 64, {9, 17, 0});
  const Sampled b = sampleSets(engine, sets, {4}, 64, {9, 17, 0});
  expectSameSamples(a, 0, b, 0, 64);
  for (const SampleCounters& other : {SampleCounters{9, 18, 0}, SampleCounters{10, 17, 0}}) {
    const Sampled c = sampleSets(engine, sets, {4}, 64, other);
    int differing = 0;
    for (int s = 0; s < 64; ++s)
      for (int i = 0; i < engine.numSites(); ++i) differing += a.bits(0, s, i) != c.bits(0, s, i);
    // 64 × 20 bits with p_up bounded away from 0 and 1: identical outputs would be a broken stream.
    EXPECT_GT(differing, 64) << "seed " << other.seed << " step " << other.step;
  }
}

// Float and double evaluate the same θ (rounded to float) on the same configurations.
TEST_P(EngineBatch, FloatAgreesWithDouble) {
  for (CellKind cell : {CellKind::kVanilla1d, CellKind::kVanilla2d, CellKind::kTensorized1d, CellKind::kTensorized2d,
                        CellKind::kDilated1d}) {
    const EngineConfig config = engineConfig(cell, 40, Lattice::square(6, 6));
    RnnEngine<float> ef(config);
    RnnEngine<double> ed(config);
    auto sets = test::initialSets(ef.layout(), 3, 44, 1.0);
    for (auto& set : sets)
      for (double& x : set) x = static_cast<float>(x);  // both engines see identical parameters
    const int Ns = 40;
    const Sampled sf = sampleSets(ef, sets, {0, 1, 2}, Ns, {1, 0, 0});
    test::BitsView bits("bits", 3, Ns, ef.numSites());
    Kokkos::deep_copy(bits, sf.bits);
    test::DoubleView lf("lf", 3, Ns), ld("ld", 3, Ns);
    ef.logProb(Space(), test::makeParams<float>(sets), bits, lf);
    ed.logProb(Space(), test::makeParams<double>(sets), bits, ld);
    auto hf = toHost(lf), hd = toHost(ld);
    for (int p = 0; p < 3; ++p)
      for (int s = 0; s < Ns; ++s) {
        // Origin: float rounding (6e-8) accumulated over 36 positions of d_h = 40 dot products:
        // a few 1e-6 relative; 1e-5 bounds it.
        EXPECT_NEAR(hf(p, s), hd(p, s), 1e-5 * std::abs(hd(p, s))) << cellKindName(cell);
        EXPECT_NEAR(sf.logp(p, s), hd(p, s), 1e-5 * std::abs(hd(p, s))) << cellKindName(cell);
      }
  }
}

VNA_TEST_ON_EVERY_BACKEND(EngineBatch);

}  // namespace
}  // namespace vna
