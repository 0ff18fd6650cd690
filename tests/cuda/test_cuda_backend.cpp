// What only the native CUDA backend has: its placement on the GPU for every cell,
// every compiled register tile against the Kokkos backend, and end to end (`vna anneal` on both
// backends). The checks every backend must pass (exactness, batch independence, gradients, energies,
// agreement with the Kokkos backend, the network service) are written once in tests/engine and
// tests/network and instantiated for cuda in this build. Every test skips where no CUDA device is
// visible, so CI without a GPU stays green; tools/bench/gpu_bench.sh runs them on the GPU machine.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "backend_registry.hpp"
#include "core/error.hpp"
#include "cuda/cuda_device.hpp"
#include "io/h5.hpp"
#include "model/newman_moore.hpp"
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

EngineConfig configOf(CellKind cell, int hidden, const Lattice& lattice, Backend backend,
                      WeightSharing sharing = WeightSharing::kShared) {
  EngineConfig c{cell, hidden, lattice};
  c.backend = backend;
  c.sharing = sharing;
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

// Fraction of equal sites over all samples of all sets.
double siteAgreement(const BitsView& a, const BitsView& b) {
  std::size_t equal = 0, total = 0;
  for (std::size_t p = 0; p < a.extent(0); ++p)
    for (std::size_t s = 0; s < a.extent(1); ++s)
      for (std::size_t i = 0; i < a.extent(2); ++i, ++total) equal += a(p, s, i) == b(p, s, i);
  return total ? static_cast<double>(equal) / total : 1.0;
}

class CudaBackend : public ::testing::Test {
 protected:
  void SetUp() override { VNA_REQUIRE_GPU(); }
};

TEST_F(CudaBackend, RunsEveryCellOnTheGpu) {
  for (CellKind cell : {CellKind::kVanilla1d, CellKind::kVanilla2d, CellKind::kTensorized1d, CellKind::kTensorized2d,
                        CellKind::kDilated1d}) {
    RnnEngine<float> engine(configOf(cell, 40, Lattice::square(16, 16), Backend::kCuda));
    EXPECT_EQ(engine.backend(), Backend::kCuda);
    EXPECT_EQ(engine.backendDescription().rfind("cuda (", 0), 0u) << engine.backendDescription();
  }
}

// Every compiled tile draws the Kokkos backend's samples (up to float rounding, as above), with shared
// and with per-site weights (staged per tile in a different layout), for the 2D cells and the dilated one.
TEST_F(CudaBackend, EveryTileAgreesWithKokkos) {
  const Lattice lattice = Lattice::square(6, 6);
  for (CellKind cell : {CellKind::kVanilla2d, CellKind::kTensorized2d, CellKind::kDilated1d}) {
    for (WeightSharing sharing : {WeightSharing::kShared, WeightSharing::kPerSite}) {
      RnnEngine<float> cpu(configOf(cell, 40, lattice, Backend::kKokkos, sharing));
      const int P = 2, M = 40, N = 36;
      auto params = initialParams<float>(cpu.layout(), P, 9, 2.0);
      BitsView ref("ref", P, M, N);
      DoubleView lref("lref", P, M);
      cpu.sample(Space(), params, streams(P), SampleCounters{5, 5, 0}, ref, lref);
      for (const char* tile : {"2,1", "2,2", "2,4", "4,1", "4,2", "4,4", "5,1", "5,2", "5,4", "8,1", "8,2", "8,4"}) {
        ASSERT_EQ(setenv("VNA_CUDA_TILE", tile, 1), 0);
        RnnEngine<float> gpu(configOf(cell, 40, lattice, Backend::kCuda, sharing));
        unsetenv("VNA_CUDA_TILE");
        EXPECT_EQ(gpu.backend(), Backend::kCuda) << gpu.backendDescription();
        BitsView bits("bits", P, M, N);
        DoubleView logp("logp", P, M);
        gpu.sample(Space(), params, streams(P), SampleCounters{5, 5, 0}, bits, logp);
        // Origin: as in EngineAgreement.SamplesAgreeWithKokkos (tests/engine).
        EXPECT_GE(siteAgreement(bits, ref), 0.999)
            << cellKindName(cell) << ", tile " << tile << ", " << weightSharingName(sharing);
      }
    }
  }
}

// End to end: `vna anneal` with backend.device cuda and cpu, for the vanilla2d network and the
// per-site tensorized2d one. The first updates use the same samples (equal losses); after many Adam
// steps float rounding decorrelates the trajectories, so the final energies are compared statistically.
void checkVcaTracesAgree(const std::string& name, const std::string& ansatz) {
  namespace fs = std::filesystem;
  ASSERT_TRUE(fs::exists(VNA_EXECUTABLE)) << VNA_EXECUTABLE << " is missing (on the GPU machine, gpu_bench.sh links it)";
  const fs::path dir = test::tmpDir() / ("cuda_vca_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path cfg = test::writeFile(dir / "vca.yaml", "model: {type: newman_moore, L: 4}\nansatz: " + ansatz + R"(
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
    EXPECT_EQ(h5::readStringAttribute(f, "backend").rfind(device == "cuda" ? "cuda" : "kokkos", 0), 0u) << name;
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
    EXPECT_NEAR(loss[0][r * U], loss[1][r * U], 1e-4 * (std::abs(loss[1][r * U]) + 1.0)) << name << " replica " << r;
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
  EXPECT_LE(std::abs(mg - mc), 4.0 * std::sqrt(vg / R + vc / R) + 1e-9) << name << ": gpu " << mg << " cpu " << mc;
}

TEST_F(CudaBackend, VcaTracesAgree) {
  checkVcaTracesAgree("vanilla2d", "{cell: vanilla2d, hidden: 20, seed: 3, precision: float}");
  checkVcaTracesAgree("tensorized2d_per_site",
                      "{cell: tensorized2d, hidden: 20, seed: 3, precision: float, weight_sharing: false}");
  checkVcaTracesAgree("dilated1d_per_site",
                      "{cell: dilated1d, hidden: 20, seed: 3, precision: float, weight_sharing: false}");
}

}  // namespace
}  // namespace vna
