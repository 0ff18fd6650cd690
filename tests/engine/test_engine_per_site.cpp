// Per-site networks (ansatz.weight_sharing: false): every block of the cell and of the output layer
// has a leading site dimension. Checked against the shared network (a per-site network whose sites
// all hold the same weights computes the same function), against enumeration (normalization) and
// against finite differences (the backward pass with per-position accumulators).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "backend_registry.hpp"
#include "core/random.hpp"
#include "engine_test_utils.hpp"

namespace vna {
namespace {

using test::Space;
using test::toHost;

class EnginePerSite : public test::BackendTest {
 protected:
  EngineConfig perSiteConfig(CellKind cell, int hidden, const Lattice& lattice) const {
    EngineConfig c = engineConfig(cell, hidden, lattice);
    c.sharing = WeightSharing::kPerSite;
    return c;
  }
};

struct SiteCase {
  const char* name;
  CellKind cell;
  Lattice lattice;
  int hidden;
};

// Every cell; 3×4 is not square (the snake's vertical predecessors), chains of 7 and 9 sites give the
// dilated cell 3 and 4 layers; hidden sizes leave partial register blocks.
std::vector<SiteCase> siteCases() {
  return {{"vanilla1d_chain7_h5", CellKind::kVanilla1d, Lattice::chain(7), 5},
          {"vanilla2d_3x4_h6", CellKind::kVanilla2d, Lattice::square(3, 4), 6},
          {"tensorized1d_chain7_h5", CellKind::kTensorized1d, Lattice::chain(7), 5},
          {"tensorized2d_3x4_h5", CellKind::kTensorized2d, Lattice::square(3, 4), 5},
          {"dilated1d_chain9_h6", CellKind::kDilated1d, Lattice::chain(9), 6}};
}

// The per-site vector whose every site's slice of every block is the shared vector's block.
std::vector<double> replicated(const std::vector<double>& shared, const ParamLayout& shared_layout,
                               const ParamLayout& site_layout) {
  std::vector<double> out(site_layout.total);
  for (std::size_t b = 0; b < site_layout.blocks.size(); ++b) {
    const ParamBlock& from = shared_layout.blocks[b];
    const ParamBlock& to = site_layout.blocks[b];
    for (int i = 0; i < site_layout.sites; ++i)
      std::copy(shared.begin() + from.offset, shared.begin() + from.offset + from.size,
                out.begin() + to.siteOffset(i));
  }
  return out;
}

// Σ over sites of a per-site gradient, in the shared layout.
std::vector<double> summedOverSites(const std::vector<double>& g, const ParamLayout& site_layout,
                                    const ParamLayout& shared_layout) {
  std::vector<double> out(shared_layout.total, 0.0);
  for (std::size_t b = 0; b < site_layout.blocks.size(); ++b)
    for (int i = 0; i < site_layout.sites; ++i)
      for (std::size_t e = 0; e < shared_layout.blocks[b].size; ++e)
        out[shared_layout.blocks[b].offset + e] += g[site_layout.blocks[b].siteOffset(i) + e];
  return out;
}

TEST(ParamLayoutPerSite, BlocksLeadWithTheSiteDimension) {
  // Origin: the shapes of makeParamLayout with a leading site dimension N = 12.
  const ParamLayout shared = makeParamLayout(CellKind::kTensorized2d, 5, 12);
  const ParamLayout sites = makeParamLayout(CellKind::kTensorized2d, 5, 12, WeightSharing::kPerSite);
  ASSERT_EQ(sites.blocks.size(), shared.blocks.size());
  EXPECT_EQ(sites.total, 12 * shared.total);
  EXPECT_EQ(sites.block("T").shape, (std::vector<int>{12, 4, 5, 10}));
  EXPECT_EQ(sites.block("c").offset, 12u * 4u * 5u * 10u);
  EXPECT_EQ(sites.block("U").siteOffset(3), sites.block("U").offset + 3u * 10u);
  EXPECT_EQ(ParamLayout::shapeText(sites.block("d")), "12x2");
  const ParamLayout local = sites.siteLayout();
  EXPECT_EQ(local.total, shared.total);
  for (std::size_t b = 0; b < local.blocks.size(); ++b) {
    EXPECT_EQ(local.blocks[b].offset, shared.blocks[b].offset);
    EXPECT_EQ(local.blocks[b].shape, shared.blocks[b].shape);
  }
  // The fan-in (initialization bound) is one site's layer's.
  EXPECT_EQ(sites.block("T").fan_in, shared.block("T").fan_in);
  EXPECT_THROW(makeParamLayout(CellKind::kVanilla1d, 4, 0, WeightSharing::kPerSite), InputError);
}

// Origin: the backend policy (backend_registry.hpp): the CUDA and the Kokkos kernels run every cell
// with shared and with per-site weights.
TEST(BackendCoverage, EveryBackendCoversEveryCellSharedAndPerSite) {
  for (CellKind cell : {CellKind::kVanilla1d, CellKind::kVanilla2d, CellKind::kTensorized1d, CellKind::kTensorized2d,
                        CellKind::kDilated1d})
    for (WeightSharing sharing : {WeightSharing::kShared, WeightSharing::kPerSite}) {
      EXPECT_EQ(cellNotCovered(Backend::kCuda, cell, sharing), "");
      EXPECT_EQ(cellNotCovered(Backend::kKokkos, cell, sharing), "");
    }
}

// Origin: with every site holding the same weights the per-site network evaluates the same arithmetic
// on the same numbers at every position, so samples, log p, teacher-forced log p and the flipped
// log p agree to the last bit; its gradient summed over sites is the shared gradient (chain rule), up
// to the order of the sums (the shared network accumulates over positions per work item, the per-site
// one per position): in double 1e-12 of the largest entry (rounding of ~N·Ns terms), in float 1e-5
// (~sqrt(N·Ns) float ulp of the block's sums).
template <class Scalar>
void checkEqualSitesMatchShared(const EngineConfig& shared_config, const EngineConfig& site_config, const char* name) {
  RnnEngine<Scalar> shared(shared_config), sites(site_config);
  const int N = shared.numSites(), P = 2, Ns = 21;
  const auto shared_sets = test::initialSets(shared.layout(), P, 51, 2.0);
  std::vector<std::vector<double>> site_sets;
  for (const auto& s : shared_sets) site_sets.push_back(replicated(s, shared.layout(), sites.layout()));
  auto ps = test::makeParams<Scalar>(shared_sets), pp = test::makeParams<Scalar>(site_sets);
  auto streams = test::makeStreams({3, 4});
  test::BitsView bs("bs", P, Ns, N), bp("bp", P, Ns, N);
  test::DoubleView ls("ls", P, Ns), lp("lp", P, Ns);
  shared.sample(Space(), ps, streams, SampleCounters{9, 2, 0}, bs, ls, Activations::kKeep);
  sites.sample(Space(), pp, streams, SampleCounters{9, 2, 0}, bp, lp, Activations::kKeep);
  auto hbs = toHost(bs), hbp = toHost(bp);
  auto hls = toHost(ls), hlp = toHost(lp);
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < Ns; ++s) {
      EXPECT_EQ(hls(p, s), hlp(p, s)) << name << " set " << p << " sample " << s;
      for (int i = 0; i < N; ++i) ASSERT_EQ(hbs(p, s, i), hbp(p, s, i)) << name;
    }
  // Single-flip neighbours (VQA) from the kept activations.
  typename RnnEngine<Scalar>::FlipLogProbView fs("fs", P, Ns, N), fp("fp", P, Ns, N);
  shared.logProbFlips(Space(), ps, bs, fs);
  sites.logProbFlips(Space(), pp, bp, fp);
  auto hfs = toHost(fs), hfp = toHost(fp);
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < Ns; ++s)
      for (int i = 0; i < N; ++i) EXPECT_EQ(hfs(p, s, i), hfp(p, s, i)) << name;
  // The gradient.
  test::DoubleView weights("w", P, Ns), gs("gs", P, shared.numParams()), gp("gp", P, sites.numParams());
  auto wh = Kokkos::create_mirror_view(weights);
  RngStream rng(3, RngPurpose::kAnalysis, 1);
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < Ns; ++s) wh(p, s) = 2.0 * rng.uniform() - 1.0;
  Kokkos::deep_copy(weights, wh);
  shared.gradient(Space(), ps, bs, weights, gs);
  sites.gradient(Space(), pp, bp, weights, gp);
  auto hgs = toHost(gs), hgp = toHost(gp);
  const double tolerance = std::is_same<Scalar, float>::value ? 1e-5 : 1e-12;
  for (int p = 0; p < P; ++p) {
    std::vector<double> g(sites.numParams());
    for (std::size_t j = 0; j < g.size(); ++j) g[j] = hgp(p, j);
    const std::vector<double> summed = summedOverSites(g, sites.layout(), shared.layout());
    double scale = 0.0;
    for (std::size_t j = 0; j < summed.size(); ++j) scale = std::max(scale, std::abs(hgs(p, j)));
    ASSERT_GT(scale, 0.1) << name;
    for (std::size_t j = 0; j < summed.size(); ++j)
      EXPECT_NEAR(summed[j], hgs(p, j), tolerance * scale) << name << " set " << p << " parameter " << j;
  }
}

TEST_P(EnginePerSite, EqualSitesReproduceTheSharedNetwork) {
  for (const SiteCase& c : siteCases()) {
    checkEqualSitesMatchShared<double>(engineConfig(c.cell, c.hidden, c.lattice),
                                       perSiteConfig(c.cell, c.hidden, c.lattice), c.name);
    checkEqualSitesMatchShared<float>(engineConfig(c.cell, c.hidden, c.lattice),
                                      perSiteConfig(c.cell, c.hidden, c.lattice), c.name);
  }
  // d_h = 40 (the paper's networks) on a 4×4 snake: full register blocks.
  checkEqualSitesMatchShared<float>(engineConfig(CellKind::kTensorized2d, 40, Lattice::square(4, 4)),
                                    perSiteConfig(CellKind::kTensorized2d, 40, Lattice::square(4, 4)),
                                    "tensorized2d_4x4_h40");
}

// Origin: an autoregressive product of softmaxes is normalized whatever the weights of each site;
// 1e-12 is the rounding of 2^N terms in double.
TEST_P(EnginePerSite, ProbabilitiesSumToOne) {
  for (const SiteCase& c : siteCases()) {
    RnnEngine<double> engine(perSiteConfig(c.cell, c.hidden, c.lattice));
    const std::vector<double> totals = test::enumeratedTotals(engine, 2, 52, 3.0);
    for (std::size_t p = 0; p < totals.size(); ++p) EXPECT_NEAR(totals[p], 1.0, 1e-12) << c.name << " set " << p;
  }
}

// The backward pass with per-position accumulators against central finite differences of
// F(θ) = Σ_s w_s log p_θ(b_s) (tolerance: test_engine_gradient.cpp's, 1e-7 of the largest entry). The
// sites of a per-site network hold different weights here, so each site's slice is checked on its own.
TEST_P(EnginePerSite, GradientMatchesCentralFiniteDifferences) {
  for (const SiteCase& c : siteCases()) {
    RnnEngine<double> engine(perSiteConfig(c.cell, c.hidden, c.lattice));
    const int n = engine.numSites(), Ns = 13;
    const int n_params = static_cast<int>(engine.numParams());
    const auto sets = test::initialSets(engine.layout(), 1, 53, 2.0);
    auto params = test::makeParams<double>(sets);
    test::BitsView bits("bits", 1, Ns, n);
    test::DoubleView logp("logp", 1, Ns), weights("weights", 1, Ns), grad("grad", 1, n_params);
    engine.sample(Space(), params, test::makeStreams({5}), SampleCounters{6, 0, 0}, bits, logp, Activations::kKeep);
    auto wh = Kokkos::create_mirror_view(weights);
    RngStream rng(9, RngPurpose::kAnalysis, 0);
    for (int s = 0; s < Ns; ++s) wh(0, s) = 2.0 * rng.uniform() - 1.0;
    Kokkos::deep_copy(weights, wh);
    engine.gradient(Space(), params, bits, weights, grad);
    auto gh = toHost(grad);

    const double h = 1e-5;
    std::vector<std::vector<double>> perturbed;
    for (int j = 0; j < n_params; ++j)
      for (double sign : {1.0, -1.0}) {
        perturbed.push_back(sets[0]);
        perturbed.back()[j] += sign * h;
      }
    const int Q = static_cast<int>(perturbed.size());
    auto bits_h = toHost(bits);
    test::BitsView qbits("qbits", Q, Ns, n);
    auto qb = Kokkos::create_mirror_view(qbits);
    for (int q = 0; q < Q; ++q)
      for (int s = 0; s < Ns; ++s)
        for (int i = 0; i < n; ++i) qb(q, s, i) = bits_h(0, s, i);
    Kokkos::deep_copy(qbits, qb);
    test::DoubleView qlogp("qlogp", Q, Ns);
    engine.logProb(Space(), test::makeParams<double>(perturbed), qbits, qlogp);
    auto ql = toHost(qlogp);
    double max_grad = 0.0;
    for (int j = 0; j < n_params; ++j) max_grad = std::max(max_grad, std::abs(gh(0, j)));
    ASSERT_GT(max_grad, 0.1) << c.name;
    for (int j = 0; j < n_params; ++j) {
      double f_plus = 0.0, f_minus = 0.0;
      for (int s = 0; s < Ns; ++s) {
        f_plus += wh(0, s) * ql(2 * j, s);
        f_minus += wh(0, s) * ql(2 * j + 1, s);
      }
      EXPECT_NEAR(gh(0, j), (f_plus - f_minus) / (2 * h), 1e-7 * max_grad) << c.name << " parameter " << j;
    }
  }
}

// Origin: a set's gradient is computed by one work item from its own samples, so neither the other
// sets of the batch nor the waves of a tiny scratch budget change a bit of it.
TEST_P(EnginePerSite, GradientIndependentOfTheBatch) {
  for (const SiteCase& c : siteCases()) {
    EngineConfig config = perSiteConfig(c.cell, c.hidden, c.lattice);
    RnnEngine<float> whole(config);
    config.scratch_bytes = 1;
    RnnEngine<float> waved(config);
    const int n = whole.numSites(), Ns = 37;
    const auto sets = test::initialSets(whole.layout(), 2, 54, 2.0);
    auto pair = test::makeParams<float>(sets), single = test::makeParams<float>({sets[1]});
    test::BitsView b1("b1", 2, Ns, n), b2("b2", 1, Ns, n);
    test::DoubleView l1("l1", 2, Ns), l2("l2", 1, Ns), w1("w1", 2, Ns), w2("w2", 1, Ns);
    test::DoubleView g1("g1", 2, whole.numParams()), g2("g2", 1, whole.numParams());
    whole.sample(Space(), pair, test::makeStreams({0, 1}), SampleCounters{4, 1, 0}, b1, l1, Activations::kKeep);
    waved.sample(Space(), single, test::makeStreams({1}), SampleCounters{4, 1, 0}, b2, l2, Activations::kKeep);
    Kokkos::deep_copy(w1, 0.25);
    Kokkos::deep_copy(w2, 0.25);
    whole.gradient(Space(), pair, b1, w1, g1);
    waved.gradient(Space(), single, b2, w2, g2);
    auto h1 = toHost(g1), h2 = toHost(g2);
    for (std::size_t j = 0; j < whole.numParams(); ++j) ASSERT_EQ(h1(1, j), h2(0, j)) << c.name << " " << j;
  }
}

VNA_TEST_ON_EVERY_BACKEND(EnginePerSite);

}  // namespace
}  // namespace vna
