#pragma once
// Helpers for the engine tests: the backends every test runs on, host <-> device batches and
// exhaustive enumeration.
#include <gtest/gtest.h>

#include <Kokkos_Core.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "backend_registry.hpp"
#include "rnn_engine.hpp"
#ifdef VNA_HAVE_CUDA
#include "cuda/cuda_device.hpp"
#include "cuda/cuda_engine.hpp"
#endif

namespace vna {
// gtest prints a backend parameter by its name.
inline void PrintTo(Backend backend, std::ostream* os) { *os << backendName(backend); }
}  // namespace vna

namespace vna::test {

// One test source, every backend present (as Cabana and ArborX instantiate their tests): kokkos
// always, cuda in builds with the CUDA backend (which covers every cell; a network it cannot run, e.g.
// rows beyond the device's shared memory, would run on the Kokkos path, backend_registry.hpp).
inline std::vector<Backend> testedBackends() {
  std::vector<Backend> b = {Backend::kKokkos};
  if (cudaBackendBuilt()) b.push_back(Backend::kCuda);
  return b;
}

inline std::string backendTestName(const ::testing::TestParamInfo<Backend>& info) { return backendName(info.param); }

// A test fixture per backend. On cuda it skips without a device and fixes the register tile
// (VNA_CUDA_TILE=5,1): the tile's rows set how the output logit is summed, so with a free choice per
// call shape a sample could differ in the last bit between batch shapes; one sample per lane needs the
// least shared memory (a tensorized2d network at d_h = 40 in double stages 2 × 103 KB of weights per
// block); EngineAgreement.EveryCompiledTileAgreesWithKokkos checks every compiled tile on small
// networks, and tests/cuda at d_h = 40.
class BackendTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    if (GetParam() != Backend::kCuda) return;
#ifdef VNA_HAVE_CUDA
    std::string why;
    if (cuda::deviceCount(&why) == 0) GTEST_SKIP() << "no CUDA device: " << why;
    setenv("VNA_CUDA_TILE", "5,1", 1);
#endif
  }
  void TearDown() override {
    if (GetParam() == Backend::kCuda) unsetenv("VNA_CUDA_TILE");
  }
  Backend backend() const { return GetParam(); }
  EngineConfig engineConfig(CellKind cell, int hidden, const Lattice& lattice) const {
    EngineConfig c{cell, hidden, lattice};
    c.backend = GetParam();
    return c;
  }
};

// The register tiles (rows, samples per lane) compiled into a backend: cuda's, none elsewhere.
inline std::vector<std::pair<int, int>> compiledCudaTiles(Backend backend) {
  std::vector<std::pair<int, int>> tiles;
#ifdef VNA_HAVE_CUDA
  if (backend == Backend::kCuda)
    for (const cuda::Tile& t : cuda::Engine<float>::compiledTiles()) tiles.emplace_back(t.rows, t.samples);
#else
  (void)backend;
#endif
  return tiles;
}

#define VNA_TEST_ON_EVERY_BACKEND(Suite)                                                               \
  INSTANTIATE_TEST_SUITE_P(Backends, Suite, ::testing::ValuesIn(::vna::test::testedBackends()), \
                           ::vna::test::backendTestName)

template <class Scalar>
using Engine = RnnEngine<Scalar>;
using Space = Kokkos::DefaultExecutionSpace;
using MemSpace = Space::memory_space;

template <class Scalar>
Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> makeParams(const std::vector<std::vector<double>>& sets) {
  const std::size_t n = sets.empty() ? 0 : sets[0].size();
  Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> view("test::params", sets.size(), n);
  auto host = Kokkos::create_mirror_view(view);
  for (std::size_t p = 0; p < sets.size(); ++p)
    for (std::size_t j = 0; j < n; ++j) host(p, j) = static_cast<Scalar>(sets[p][j]);
  Kokkos::deep_copy(view, host);
  return view;
}

// Initial parameters of sets first..first+P-1, multiplied by `scale` (a scale > 1 makes the
// distribution far from uniform, which sharpens the statistical tests).
inline std::vector<std::vector<double>> initialSets(const ParamLayout& layout, int P, std::uint64_t seed,
                                                    double scale = 1.0, int first = 0) {
  std::vector<std::vector<double>> sets;
  for (int p = 0; p < P; ++p) {
    sets.push_back(initParameters(layout, seed, first + p));
    for (double& x : sets.back()) x *= scale;
  }
  return sets;
}

inline Kokkos::View<std::uint32_t*, MemSpace> makeStreams(const std::vector<std::uint32_t>& ids) {
  Kokkos::View<std::uint32_t*, MemSpace> view("test::streams", ids.size());
  auto host = Kokkos::create_mirror_view(view);
  for (std::size_t i = 0; i < ids.size(); ++i) host(i) = ids[i];
  Kokkos::deep_copy(view, host);
  return view;
}

using BitsView = Kokkos::View<std::uint8_t***, Kokkos::LayoutRight, MemSpace>;
using DoubleView = Kokkos::View<double**, Kokkos::LayoutRight, MemSpace>;

// All 2^N configurations (configuration c has bit i = (c >> i) & 1 at site i), for each of P sets.
inline BitsView allConfigurations(int P, int n) {
  const int count = 1 << n;
  BitsView bits("test::all_configurations", P, count, n);
  auto host = Kokkos::create_mirror_view(bits);
  for (int p = 0; p < P; ++p)
    for (int c = 0; c < count; ++c)
      for (int i = 0; i < n; ++i) host(p, c, i) = static_cast<std::uint8_t>((c >> i) & 1);
  Kokkos::deep_copy(bits, host);
  return bits;
}

template <class View>
auto toHost(const View& view) {
  auto host = Kokkos::create_mirror_view(view);
  Kokkos::deep_copy(host, view);
  return host;
}

// Σ_b p(b) over all 2^N configurations (logProb in double), for P sets initialSets(layout, P, seed, scale).
inline std::vector<double> enumeratedTotals(RnnEngine<double>& engine, int P, std::uint64_t seed, double scale) {
  const int n = engine.numSites();
  auto params = makeParams<double>(initialSets(engine.layout(), P, seed, scale));
  DoubleView logp("test::logp", P, 1 << n);
  engine.logProb(Space(), params, allConfigurations(P, n), logp);
  auto lp = toHost(logp);
  std::vector<double> totals(P, 0.0);
  for (int p = 0; p < P; ++p)
    for (int s = 0; s < (1 << n); ++s) totals[p] += std::exp(lp(p, s));
  return totals;
}

}  // namespace vna::test
