// Benchmarks of loss landscapes. BM_LandscapeChunk: one chunk of grid points through the network service
// (Newman-Moore L = 5 and 16, vanilla2d, hidden 40, Ns = 100, float), with the bytes it moves between
// host and device per chunk (bytes_up, bytes_down) and the seconds a 200×200 grid
// takes at that rate on one core (s_200x200_1core) and on two ranks (s_200x200_2ranks = half: ranks
// share nothing but the final writes). BM_LandscapeCommand: `vna landscape` itself (start-up, HDF5
// output and all) on a 40×40 grid at L = 5 on 1 and 2 ranks. Run on an otherwise idle machine:
//   ./bench_landscape --benchmark_filter=Chunk        (one core)
//   ./bench_landscape --benchmark_filter=Command      (starts mpiexec)
#include <benchmark/benchmark.h>
#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "landscape/directions.hpp"
#include "landscape/landscape.hpp"
#include "model/newman_moore.hpp"

namespace vna {
namespace {

void BM_LandscapeChunk(benchmark::State& state) {
  const int L = static_cast<int>(state.range(0));
  const int P = static_cast<int>(state.range(1));
  const Model model = newmanMoore(L);
  AnsatzSpec ansatz;  // vanilla2d, d_h = 40, float
  Network network(ansatz, model.lattice, model.hamiltonian);
  VariationalEstimator estimator(network);
  ParameterPlane plane;
  plane.theta_star = initParameters(network.layout(), 1, 0);
  plane.delta = gaussianDirection(1, 0, network.numParams());
  plane.eta = gaussianDirection(1, 1, network.numParams());
  normalizeDirection(plane.delta, plane.theta_star, network.layout(), DirectionNormalization::kBlock);
  normalizeDirection(plane.eta, plane.theta_star, network.layout(), DirectionNormalization::kBlock);
  const auto alpha_axis = gridAxis(-1, 1, 200);
  std::vector<double> alpha(P), beta(P);
  std::vector<std::uint32_t> ids(P);
  LandscapeSampling s;
  s.samples = 100;
  s.temperature = 1.0;
  std::int64_t chunk = 0;
  Transfers before{};
  for (auto _ : state) {
    // A different row of the grid each time (same cost, no caching of anything).
    for (int k = 0; k < P; ++k) {
      alpha[k] = alpha_axis[chunk % 200];
      beta[k] = alpha_axis[k % 200];
      ids[k] = static_cast<std::uint32_t>(chunk * P + k);
    }
    if (chunk == 1) before = network.transfers();
    benchmark::DoNotOptimize(evaluatePlanePoints(estimator, plane, alpha, beta, ids, s));
    ++chunk;
  }
  const Transfers after = network.transfers();
  const double chunks = std::max<double>(1.0, static_cast<double>(chunk) - 1);
  state.counters["bytes_up"] = static_cast<double>(after.to_device - before.to_device) / chunks;
  state.counters["bytes_down"] = static_cast<double>(after.to_host - before.to_host) / chunks;
  state.SetItemsProcessed(state.iterations() * P);
  // Inverted rates: (benchmark seconds) × (count) / points.
  state.counters["per_point"] = benchmark::Counter(static_cast<double>(state.iterations() * P),
                                                  benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["s_200x200_1core"] =
      benchmark::Counter(static_cast<double>(state.iterations() * P) / 40000.0,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["s_200x200_2ranks"] =
      benchmark::Counter(static_cast<double>(state.iterations() * P) / 20000.0,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

// ---- the command

namespace fs = std::filesystem;

int shell(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// An annealing result at L = 5 (hidden 40, Ns = 100) to take landscapes of: 300 quick updates, enough to
// reach the ground state (the analysis at the end of `vna anneal` then has ground states to store).
const fs::path& source() {
  static const fs::path path = [] {
    const fs::path dir = fs::temp_directory_path() / "vna_bench_landscape";
    fs::create_directories(dir);
    std::ofstream(dir / "a.yaml") << "model: {type: newman_moore, L: 5}\n"
                                     "ansatz: {cell: vanilla2d, hidden: 40, seed: 1}\n"
                                     "anneal: {T0: 1.0, warmup_steps: 50, annealing_steps: 250, train_steps: 1,\n"
                                     "         samples: 100, learning_rate: 1.0e-2, snapshots: [final]}\n"
                                     "analysis: {samples: 1000, stored_samples: 10}\n";
    const std::string cmd = fmt::format("{} anneal {} --output {} --force > /dev/null", VNA_EXECUTABLE,
                                        (dir / "a.yaml").string(), (dir / "a.h5").string());
    if (shell(cmd) != 0) throw std::runtime_error("bench_landscape: cannot make the source: " + cmd);
    std::ofstream(dir / "l.yaml") << fmt::format("landscape: {{source: {}, points: [40, 40], samples: 100}}\n",
                                                 (dir / "a.h5").string());
    return dir / "a.h5";
  }();
  return path;
}

void BM_LandscapeCommand(benchmark::State& state) {
  const int ranks = static_cast<int>(state.range(0));
  const fs::path dir = source().parent_path();
  const std::string cmd =
      fmt::format("OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
                  "{} -n {} {} landscape {} --output {} --force > /dev/null",
                  VNA_MPIEXEC, ranks, VNA_EXECUTABLE, (dir / "l.yaml").string(), (dir / "l.h5").string());
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    if (shell(cmd) != 0) {
      state.SkipWithError(("failed: " + cmd).c_str());
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  state.SetItemsProcessed(state.iterations() * 1600);
}

BENCHMARK(BM_LandscapeChunk)->Args({5, 200})->Args({16, 64})->Unit(benchmark::kMillisecond)->MinTime(2.0);
BENCHMARK(BM_LandscapeCommand)->Arg(1)->Arg(2)->UseManualTime()->Unit(benchmark::kSecond)->Iterations(2);

}  // namespace
}  // namespace vna
