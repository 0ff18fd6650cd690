// The hand-written backward pass against central finite differences of F(θ) = Σ_s w_s log p_θ(b_s).
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/random.hpp"
#include "engine_test_utils.hpp"

namespace vna {
namespace {

using test::Space;
using test::toHost;

class EngineGradient : public test::BackendTest {};

struct GradCase {
  const char* name;
  CellKind cell;
  Lattice lattice;
  int hidden;
};

// Hidden sizes 5 and 17 exercise the register-block tails and the padding of ∂W^T; Ns = 21 is not a
// multiple of the lane count, so the last work item has idle lanes; 3×4 is not square.
std::vector<GradCase> gradCases() {
  return {{"vanilla1d_chain7_h5", CellKind::kVanilla1d, Lattice::chain(7), 5},
          {"vanilla2d_3x4_h5", CellKind::kVanilla2d, Lattice::square(3, 4), 5},
          {"vanilla2d_4x3_h17", CellKind::kVanilla2d, Lattice::square(4, 3), 17},
          {"tensorized1d_chain7_h5", CellKind::kTensorized1d, Lattice::chain(7), 5},
          {"tensorized2d_3x4_h5", CellKind::kTensorized2d, Lattice::square(3, 4), 5},
          {"tensorized2d_4x3_h9", CellKind::kTensorized2d, Lattice::square(4, 3), 9},
          {"dilated1d_chain7_h5", CellKind::kDilated1d, Lattice::chain(7), 5},
          {"dilated1d_chain9_h6", CellKind::kDilated1d, Lattice::chain(9), 6}};
}

TEST_P(EngineGradient, MatchesCentralFiniteDifferences) {
  for (const GradCase& c : gradCases()) {
    const EngineConfig config = engineConfig(c.cell, c.hidden, c.lattice);
    RnnEngine<double> engine(config);
    const int n = engine.numSites(), P = 2, Ns = 21;
    const int n_params = static_cast<int>(engine.numParams());
    const auto sets = test::initialSets(engine.layout(), P, 31, 2.0);
    auto params = test::makeParams<double>(sets);
    test::BitsView bits("bits", P, Ns, n);
    test::DoubleView logp("logp", P, Ns), weights("weights", P, Ns), grad("grad", P, n_params);
    engine.sample(Space(), params, test::makeStreams({0, 1}), SampleCounters{5, 0, 0}, bits, logp,
                  Activations::kKeep);
    auto wh = Kokkos::create_mirror_view(weights);
    RngStream rng(8, RngPurpose::kAnalysis, 0);
    for (int p = 0; p < P; ++p)
      for (int s = 0; s < Ns; ++s) wh(p, s) = 2.0 * rng.uniform() - 1.0;
    Kokkos::deep_copy(weights, wh);
    engine.gradient(Space(), params, bits, weights, grad);
    auto gh = toHost(grad);

    // All perturbed sets in one batch: set 2j (+h e_j) and 2j+1 (−h e_j) of parameter set p, with
    // p's configurations.
    const double h = 1e-5;
    auto bits_h = toHost(bits);
    for (int p = 0; p < P; ++p) {
      std::vector<std::vector<double>> perturbed;
      for (int j = 0; j < n_params; ++j)
        for (double sign : {1.0, -1.0}) {
          perturbed.push_back(sets[p]);
          perturbed.back()[j] += sign * h;
        }
      const int Q = static_cast<int>(perturbed.size());
      test::BitsView qbits("qbits", Q, Ns, n);
      auto qb = Kokkos::create_mirror_view(qbits);
      for (int q = 0; q < Q; ++q)
        for (int s = 0; s < Ns; ++s)
          for (int i = 0; i < n; ++i) qb(q, s, i) = bits_h(p, s, i);
      Kokkos::deep_copy(qbits, qb);
      test::DoubleView qlogp("qlogp", Q, Ns);
      engine.logProb(Space(), test::makeParams<double>(perturbed), qbits, qlogp);
      auto ql = toHost(qlogp);
      double max_grad = 0.0;
      for (int j = 0; j < n_params; ++j) max_grad = std::max(max_grad, std::abs(gh(p, j)));
      ASSERT_GT(max_grad, 0.1) << c.name;  // a nontrivial gradient (Σ of 21 terms with |w| ~ 0.5)
      for (int j = 0; j < n_params; ++j) {
        double f_plus = 0.0, f_minus = 0.0;
        for (int s = 0; s < Ns; ++s) {
          f_plus += wh(p, s) * ql(2 * j, s);
          f_minus += wh(p, s) * ql(2 * j + 1, s);
        }
        const double fd = (f_plus - f_minus) / (2 * h);
        // Origin: central differences err by h²/6 |F'''| ~ 1e-10 (truncation, F''' = O(1..10)) plus
        // ε|F|/h ~ 1e-16 · 30 / 1e-5 ~ 3e-10 (rounding); 1e-7 relative to the largest gradient
        // entry leaves a margin of ~100.
        EXPECT_NEAR(gh(p, j), fd, 1e-7 * max_grad) << c.name << " set " << p << " parameter " << j;
      }
    }
  }
}

TEST_P(EngineGradient, RequiresKeptActivationsOfTheSameBits) {
  const EngineConfig config = engineConfig(CellKind::kVanilla2d, 6, Lattice::square(3, 3));
  RnnEngine<double> engine(config);
  const int n = engine.numSites(), Ns = 10;
  auto params = test::makeParams<double>(test::initialSets(engine.layout(), 1, 3));
  test::BitsView bits("bits", 1, Ns, n);
  test::DoubleView logp("logp", 1, Ns), weights("weights", 1, Ns), grad("grad", 1, engine.numParams());
  auto streams = test::makeStreams({0});
  engine.sample(Space(), params, streams, SampleCounters{1, 0, 0}, bits, logp);
  EXPECT_THROW(engine.gradient(Space(), params, bits, weights, grad), Error);  // nothing kept
  engine.sample(Space(), params, streams, SampleCounters{1, 0, 0}, bits, logp, Activations::kKeep);
  EXPECT_NO_THROW(engine.gradient(Space(), params, bits, weights, grad));
  test::BitsView other("other", 1, Ns, n);
  engine.sample(Space(), params, streams, SampleCounters{1, 1, 0}, other, logp);
  EXPECT_THROW(engine.gradient(Space(), params, other, weights, grad), Error);  // different bits
}

// Origin: the gradient is linear in w, and a zero weight removes a sample's contribution.
TEST_P(EngineGradient, LinearInTheWeights) {
  const EngineConfig config = engineConfig(CellKind::kVanilla2d, 9, Lattice::square(4, 4));
  RnnEngine<double> engine(config);
  const int n = engine.numSites(), Ns = 19, np = static_cast<int>(engine.numParams());
  auto params = test::makeParams<double>(test::initialSets(engine.layout(), 1, 4, 2.0));
  test::BitsView bits("bits", 1, Ns, n);
  test::DoubleView logp("logp", 1, Ns), w1("w1", 1, Ns), w2("w2", 1, Ns), g1("g1", 1, np), g2("g2", 1, np);
  engine.sample(Space(), params, test::makeStreams({2}), SampleCounters{3, 0, 0}, bits, logp, Activations::kKeep);
  auto h1 = Kokkos::create_mirror_view(w1), h2 = Kokkos::create_mirror_view(w2);
  for (int s = 0; s < Ns; ++s) {
    h1(0, s) = s == 4 ? 1.0 : 0.0;
    h2(0, s) = s == 4 ? -2.5 : 0.0;
  }
  Kokkos::deep_copy(w1, h1);
  Kokkos::deep_copy(w2, h2);
  engine.gradient(Space(), params, bits, w1, g1);
  engine.gradient(Space(), params, bits, w2, g2);
  auto a = toHost(g1), b = toHost(g2);
  for (int j = 0; j < np; ++j) EXPECT_NEAR(b(0, j), -2.5 * a(0, j), 1e-14 * (1 + std::abs(a(0, j))));
}

// Origin: the score-function identity Σ_b p(b) ∇ log p(b) = ∇ Σ_b p(b) = 0, by exhaustive enumeration
// with weights w_b = p(b); 1e-12 is the rounding of 2^9 terms of size <= max|∇ log p| · p(b).
TEST_P(EngineGradient, ExpectedScoreVanishes) {
  for (CellKind cell : {CellKind::kVanilla1d, CellKind::kVanilla2d, CellKind::kTensorized1d, CellKind::kTensorized2d,
                        CellKind::kDilated1d}) {
    const EngineConfig config = engineConfig(cell, 7, Lattice::square(3, 3));
    RnnEngine<double> engine(config);
    const int n = engine.numSites(), count = 1 << n, np = static_cast<int>(engine.numParams());
    auto params = test::makeParams<double>(test::initialSets(engine.layout(), 2, 6, 2.0));
    auto bits = test::allConfigurations(2, n);
    test::DoubleView logp("logp", 2, count), weights("weights", 2, count), grad("grad", 2, np);
    engine.logProb(Space(), params, bits, logp, Activations::kKeep);
    auto lh = toHost(logp);
    auto wh = Kokkos::create_mirror_view(weights);
    for (int p = 0; p < 2; ++p)
      for (int s = 0; s < count; ++s) wh(p, s) = std::exp(lh(p, s));
    Kokkos::deep_copy(weights, wh);
    engine.gradient(Space(), params, bits, weights, grad);
    auto gh = toHost(grad);
    for (int p = 0; p < 2; ++p)
      for (int j = 0; j < np; ++j) EXPECT_NEAR(gh(p, j), 0.0, 1e-12) << cellKindName(cell) << " parameter " << j;
  }
}

VNA_TEST_ON_EVERY_BACKEND(EngineGradient);

}  // namespace
}  // namespace vna
