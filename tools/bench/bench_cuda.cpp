// Timings of the native CUDA backend against the performance goals (doc/performance.md, "CUDA
// backend"): Newman-Moore, vanilla2d, d_h = 40, Ns = 100, float, on the first visible GPU.
//   landscape  200×200 points at L = 16 (40000 parameter sets × 100 samples × 256 sites)   ≤ 0.3 s
//   VCA step   L = 16, one replica                                                          ≤ 1 ms
//   VCA step   L = 16, 100 replicas stepping together                                       ≤ 5 ms
//   VQA step   L = 5 (local energies from Ns·N flipped configurations)                      reported
//   VCA step   L = 10, shared and per-site weights (the EA 10×10 size)                       reported
//   VCA step   L = 10, tensorized2d shared and per site (the paper's EA ansatz)             reported
// Each is timed the way a driver runs it (through the network service, src/network, which keeps the
// data on the GPU and reports the bytes it moves) and with cuda::Engine's device API alone, which is
// what the kernels themselves cost. Prints one table; --quick shrinks the landscape.
// Usage: bench_cuda [--quick] [--tiles] [--cpu]
#include <cuda_runtime_api.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "anneal/adam.hpp"
#include "cuda/cuda_check.hpp"
#include "cuda/cuda_device.hpp"
#include "cuda/cuda_backend.hpp"
#include "cuda/cuda_engine.hpp"
#include "cuda/device_buffer.hpp"
#include "backend_registry.hpp"
#include "model/newman_moore.hpp"
#include "network/network.hpp"
#include "network/variational_estimator.hpp"
#include "network_tables.hpp"
#include "param_layout.hpp"
#include "rnn_engine.hpp"

namespace vna {
namespace {

using Space = Kokkos::DefaultExecutionSpace;
using MemSpace = Space::memory_space;
using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// Median wall time of `runs` calls after `warmup` untimed ones (each call ends synchronized).
double medianSeconds(const std::function<void()>& f, int warmup, int runs) {
  for (int i = 0; i < warmup; ++i) f();
  std::vector<double> t;
  for (int i = 0; i < runs; ++i) {
    const auto a = Clock::now();
    f();
    t.push_back(seconds(a, Clock::now()));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// Useful FLOPs of one forward pass over one sample (2 per multiply-add of the [h; onehot] products and
// the output layer; ELU and sampling not counted). Backward: twice the matrix part.
double forwardFlops(const Lattice& g, int h, bool two_d) {
  double f = 0;
  for (int k = 0; k < g.numSites(); ++k) {
    const int present = two_d ? (g.prev_horizontal[k] >= 0) + (g.prev_vertical[k] >= 0) : (k > 0);
    f += present * 2.0 * h * (h + 2) + 2.0 * h;
  }
  return f;
}

struct Row {
  std::string what;
  double seconds;
  std::string goal;
  std::string note;
};

std::vector<Row> rows;

void report(const std::string& what, double s, const std::string& goal, const std::string& note = "") {
  rows.push_back({what, s, goal, note});
  std::printf("  %-58s %12.3f ms   %s %s\n", what.c_str(), 1e3 * s, goal.c_str(), note.c_str());
  std::fflush(stdout);
}

// θ* + α δ + β η on a K × K grid around θ* (what `vna landscape` evaluates), as float parameter sets.
std::vector<float> landscapeParams(const ParamLayout& layout, int K) {
  const auto theta = initParameters(layout, 1, 0), delta = initParameters(layout, 1, 1), eta = initParameters(layout, 1, 2);
  const std::size_t n = layout.total;
  std::vector<float> out(static_cast<std::size_t>(K) * K * n);
  for (int a = 0; a < K; ++a)
    for (int b = 0; b < K; ++b) {
      const double alpha = -1.0 + 2.0 * a / (K - 1), beta = -1.0 + 2.0 * b / (K - 1);
      float* dst = out.data() + (static_cast<std::size_t>(a) * K + b) * n;
      for (std::size_t j = 0; j < n; ++j) dst[j] = static_cast<float>(theta[j] + alpha * delta[j] + beta * eta[j]);
    }
  return out;
}

std::string rateNote(double s, double flops, double peak) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "(%.1f TFLOP/s, %.0f%% of FP32 peak)", flops / s * 1e-12, 100.0 * flops / s / peak);
  return buf;
}

void benchLandscape(bool quick, bool tiles, double peak_flops) {
  const int L = 16, K = quick ? 64 : 200, Ns = 100, P = K * K;
  const Model model = newmanMoore(L, 1.0);
  const ParamLayout layout = makeParamLayout(CellKind::kVanilla2d, 40, L * L);
  const std::size_t n = layout.total;
  const double flops = forwardFlops(model.lattice, 40, true) * P * Ns;
  std::printf("\nlandscape %dx%d at L = %d: %d parameter sets x %d samples, %.2f TFLOP, floor %.3f s at %.1f TFLOP/s\n",
              K, K, L, P, Ns, flops * 1e-12, flops / peak_flops, peak_flops * 1e-12);
  const std::vector<float> params = landscapeParams(layout, K);

  // Device-resident: parameters on the GPU, log p and energies fused, configurations never leave it.
  cuda::Engine<float> engine(cuda::networkSpecOf(model.lattice, layout));
  engine.setHamiltonian(hamiltonianRows(model.hamiltonian));
  cuda::DeviceBuffer<float> d_params(params.size());
  cuda::DeviceBuffer<std::uint32_t> d_ids(P);
  cuda::DeviceBuffer<double> d_logp(static_cast<std::size_t>(P) * Ns), d_energy(static_cast<std::size_t>(P) * Ns);
  std::vector<std::uint32_t> ids(P);
  for (int p = 0; p < P; ++p) ids[p] = p;
  VNA_CUDA(cudaMemcpy(d_params.data(), params.data(), params.size() * sizeof(float), cudaMemcpyHostToDevice));
  VNA_CUDA(cudaMemcpy(d_ids.data(), ids.data(), P * sizeof(std::uint32_t), cudaMemcpyHostToDevice));
  std::uint32_t step = 0;
  auto kernel = [&] {
    engine.sampleOnDevice(d_params.data(), P, d_ids.data(), cuda::Counters{1, step++, 0}, Ns, nullptr, d_logp.data(),
                          d_energy.data(), false);
    engine.synchronize();
  };
  engine.setProfiling(true);
  const double t_kernel = medianSeconds(kernel, 1, 3);
  report("landscape kernel, data on GPU (sample + log p + energy)", t_kernel, quick ? "(quick: scaled grid)" : "goal <= 300 ms",
         rateNote(t_kernel, flops, peak_flops));
  std::printf("    plan: %s\n", engine.lastProfile().forward_plan.c_str());

  if (tiles) {
    std::printf("    tile sweep (same workload):\n");
    for (const cuda::Tile& t : cuda::Engine<float>::compiledTiles()) {
      for (int w : {1, 2, 4, 8}) {
        cuda::Tile forced = t;
        forced.warps_per_block = w;
        try {
          engine.setTile(forced);
          const double s = medianSeconds(kernel, 1, 1);
          std::printf("      %dx%d W=%d  %9.3f ms  %s\n", t.rows, t.samples, w, 1e3 * s,
                      engine.lastProfile().forward_plan.c_str());
        } catch (const std::exception& e) {
          std::printf("      %dx%d W=%d  does not fit (%s)\n", t.rows, t.samples, w, e.what());
        }
      }
    }
    engine.setTile(cuda::Tile{});
  }

  // Through RnnEngine with host views, in chunks of 2000 points (sampleWithEnergies: no
  // configurations return to the host).
  {
    EngineConfig config{CellKind::kVanilla2d, 40, model.lattice};
    config.backend = Backend::kCuda;
    RnnEngine<float> rnn(config);
    rnn.setHamiltonian(model.hamiltonian);
    const int chunk = std::min(P, 2000);
    Kokkos::View<float**, Kokkos::LayoutRight, MemSpace> hp("params", chunk, n);
    Kokkos::View<std::uint32_t*, MemSpace> hid("ids", chunk);
    Kokkos::View<double**, Kokkos::LayoutRight, MemSpace> logp("logp", chunk, Ns), energy("energy", chunk, Ns);
    auto all = [&] {
      for (int first = 0; first < P; first += chunk) {
        const int c = std::min(chunk, P - first);
        std::memcpy(hp.data(), params.data() + static_cast<std::size_t>(first) * n, c * n * sizeof(float));
        for (int p = 0; p < c; ++p) hid(p) = first + p;
        auto sub_p = Kokkos::subview(hp, std::make_pair(0, c), Kokkos::ALL);
        auto sub_i = Kokkos::subview(hid, std::make_pair(0, c));
        auto sub_l = Kokkos::subview(logp, std::make_pair(0, c), Kokkos::ALL);
        auto sub_e = Kokkos::subview(energy, std::make_pair(0, c), Kokkos::ALL);
        rnn.sampleWithEnergies(Space(), sub_p, sub_i, SampleCounters{1, 0, 0}, RnnEngine<float>::BitsView(), sub_l,
                               sub_e);
      }
    };
    report("landscape via RnnEngine::sampleWithEnergies (host views)", medianSeconds(all, 1, 1),
           quick ? "" : "goal <= 300 ms", "chunks of 2000 points");
  }

  // The driver's path: the network service (plane expanded on the GPU, fused energies, only per-sample
  // scalars back), in the landscape's chunks of 200 points; bytes moved per chunk.
  {
    setDefaultBackend(Backend::kCuda);
    Network network(AnsatzSpec{}, model.lattice, model.hamiltonian);
    VariationalEstimator estimator(network);
    ParameterPlane plane{initParameters(layout, 1, 0), initParameters(layout, 1, 1), initParameters(layout, 1, 2)};
    const int chunk = 200;
    const int chunks = quick ? P / chunk : 10;
    std::vector<double> alpha(chunk), beta(chunk);
    std::vector<std::uint32_t> points(chunk);
    Transfers before{}, after{};
    auto some = [&] {
      for (int c = 0; c < chunks; ++c) {
        for (int k = 0; k < chunk; ++k) {
          const int point = c * chunk + k;
          alpha[k] = -1.0 + 2.0 * (point / K) / (K - 1);
          beta[k] = -1.0 + 2.0 * (point % K) / (K - 1);
          points[k] = static_cast<std::uint32_t>(point);
        }
        if (c == 1) before = network.transfers();
        estimator.evaluate(ParameterSets::onPlane(plane, alpha, beta), points, SampleCounters{1, 0, 0}, Ns,
                           LossMode::kClassical, 1.0, 0.0, nullptr);
      }
      after = network.transfers();
    };
    const double s = medianSeconds(some, 1, 1) / (chunks * chunk) * P;
    char note[160];
    std::snprintf(note, sizeof note, "chunks of %d points, %.0f B up / %.0f B down per chunk (extrapolated)", chunk,
                  static_cast<double>(after.to_device - before.to_device) / (chunks - 1),
                  static_cast<double>(after.to_host - before.to_host) / (chunks - 1));
    report("landscape via the network service", s, quick ? "" : "goal <= 300 ms", note);
    setDefaultBackend(Backend::kKokkos);
  }
}

// One annealing update the way src/anneal does it: the network service's estimator (sample with
// fused energies, weights, gradient on the device), Adam on the host; the bytes it moves per update.
void benchStep(const char* label, int L, int P, LossMode mode, Backend backend, const std::string& goal, int runs,
               WeightSharing sharing = WeightSharing::kShared, CellKind cell = CellKind::kVanilla2d) {
  Model model = newmanMoore(L, 1.0);
  if (mode == LossMode::kQuantum) model.hamiltonian.setTransverseField(1.0);
  setDefaultBackend(backend);
  AnsatzSpec ansatz;
  ansatz.sharing = sharing;
  ansatz.cell = cell;
  Network network(ansatz, model.lattice, model.hamiltonian);
  setDefaultBackend(Backend::kKokkos);
  VariationalEstimator estimator(network);
  const std::size_t n = network.numParams();
  const int Ns = 100;
  std::vector<double> flat(P * n), grad;
  std::vector<std::uint32_t> ids(P);
  std::vector<AdamState> adam(P);
  for (int p = 0; p < P; ++p) {
    const auto theta = initParameters(network.layout(), 1, p);
    std::copy(theta.begin(), theta.end(), flat.begin() + p * n);
    ids[p] = p;
  }
  const Adam optimizer{1e-3};
  std::uint32_t step = 0;
  std::vector<double> theta(n);
  auto update = [&] {
    estimator.evaluate(ParameterSets::explicitSets(flat, n), ids, SampleCounters{1, step++, 0}, Ns, mode, 1.0, 1.0,
                       &grad);
    for (int p = 0; p < P; ++p) {
      std::copy(flat.begin() + p * n, flat.begin() + (p + 1) * n, theta.begin());
      optimizer.step(theta, grad.data() + p * n, adam[p]);
      std::copy(theta.begin(), theta.end(), flat.begin() + p * n);
    }
  };
  update();
  const Transfers before = network.transfers();
  const double s = medianSeconds(update, 1, runs);
  const Transfers after = network.transfers();
  const double updates = 1.0 + runs;
  char note[200];
  std::snprintf(note, sizeof note, "[%s] %.0f B up / %.0f B down per update", network.backendDescription().c_str(),
                static_cast<double>(after.to_device - before.to_device) / updates,
                static_cast<double>(after.to_host - before.to_host) / updates);
  report(label, s, goal, note);
}

void benchStepBreakdown(int L, int P) {
  // Where the time of a VCA step goes on the GPU (CUDA events inside cuda::Engine, host interface).
  const Model model = newmanMoore(L, 1.0);
  const ParamLayout layout = makeParamLayout(CellKind::kVanilla2d, 40, L * L);
  cuda::Engine<float> engine(cuda::networkSpecOf(model.lattice, layout));
  engine.setProfiling(true);
  const int Ns = 100, N = L * L;
  const std::size_t n = layout.total;
  std::vector<float> params(static_cast<std::size_t>(P) * n);
  std::vector<std::uint32_t> ids(P);
  for (int p = 0; p < P; ++p) {
    const auto t = initParameters(layout, 1, p);
    std::copy(t.begin(), t.end(), params.begin() + p * n);
    ids[p] = p;
  }
  std::vector<std::uint8_t> bits(static_cast<std::size_t>(P) * Ns * N);
  std::vector<double> logp(static_cast<std::size_t>(P) * Ns), weights(logp.size(), 0.01), grad(P * n);
  for (int i = 0; i < 3; ++i) {
    engine.sample(params.data(), P, ids.data(), cuda::Counters{1, static_cast<std::uint32_t>(i), 0}, Ns, bits.data(),
                  logp.data(), nullptr, true);
    engine.gradient(params.data(), P, bits.data(), Ns, weights.data(), grad.data());
  }
  engine.sample(params.data(), P, ids.data(), cuda::Counters{1, 9, 0}, Ns, bits.data(), logp.data(), nullptr, true);
  const cuda::Profile f = engine.lastProfile();
  engine.gradient(params.data(), P, bits.data(), Ns, weights.data(), grad.data());
  const cuda::Profile g = engine.lastProfile();
  std::printf("    breakdown P=%d: sample upload %.3f, forward %.3f, download %.3f | gradient upload %.3f, backward %.3f, "
              "cuBLAS+assembly %.3f, download %.3f ms\n      forward: %s\n      backward: %s\n",
              P, f.upload_ms, f.forward_ms, f.download_ms, g.upload_ms, g.backward_ms, g.gemm_ms, g.download_ms,
              f.forward_plan.c_str(), g.backward_plan.c_str());
}

}  // namespace
}  // namespace vna

int main(int argc, char** argv) {
  using namespace vna;
  bool quick = false, tiles = false, cpu = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--quick")) quick = true;
    else if (!std::strcmp(argv[i], "--tiles")) tiles = true;
    else if (!std::strcmp(argv[i], "--cpu")) cpu = true;
    else {
      std::fprintf(stderr, "usage: bench_cuda [--quick] [--tiles] [--cpu]\n");
      return 2;
    }
  }
  std::string why;
  if (cuda::deviceCount(&why) == 0) {
    std::printf("bench_cuda: no CUDA device (%s): nothing to time\n", why.c_str());
    return 0;
  }
  Kokkos::initialize(argc, argv);
  int rc = 0;
  try {
    VNA_CUDA(cudaSetDevice(0));
    const cuda::DeviceInfo dev = cuda::deviceInfo(0);
    int clock_khz = 0;
    VNA_CUDA(cudaDeviceGetAttribute(&clock_khz, cudaDevAttrClockRate, 0));
    // FP32 peak: 128 FMA lanes per SM (Hopper, Ampere GA100: 64) × 2 FLOP × boost clock.
    const int lanes = dev.cc_major >= 9 ? 128 : 64;
    const double peak = static_cast<double>(dev.multiprocessors) * lanes * 2.0 * clock_khz * 1e3;
    std::printf("device: %s, %d SMs, %.0f MHz, FP32 peak %.1f TFLOP/s, %.1f GiB\n", dev.name.c_str(),
                dev.multiprocessors, clock_khz / 1e3, peak * 1e-12, dev.memory_bytes / 1073741824.0);
    benchLandscape(quick, tiles, peak);
    std::printf("\nannealing updates (the network service's VariationalEstimator + Adam, as src/anneal runs them):\n");
    benchStep("VCA step L=16, 1 replica", 16, 1, LossMode::kClassical, Backend::kCuda, "goal <= 1 ms", 50);
    benchStepBreakdown(16, 1);
    benchStep("VCA step L=16, 100 replicas together", 16, 100, LossMode::kClassical, Backend::kCuda, "goal <= 5 ms", 20);
    benchStepBreakdown(16, 100);
    benchStep("VQA step L=5, 1 replica (Ns*N flipped log p)", 5, 1, LossMode::kQuantum, Backend::kCuda, "report", 50);
    // Per-site weights (read from global memory per position): a 10×10 lattice is the EA 10×10 size.
    benchStep("VCA step L=10, 1 replica, shared", 10, 1, LossMode::kClassical, Backend::kCuda, "report", 50);
    benchStep("VCA step L=10, 1 replica, per site", 10, 1, LossMode::kClassical, Backend::kCuda, "report", 50,
              WeightSharing::kPerSite);
    benchStep("VCA step L=10, 25 replicas together, per site", 10, 25, LossMode::kClassical, Backend::kCuda, "report",
              20, WeightSharing::kPerSite);
    // The paper's EA ansatz: tensorized2d with per-site weights (Kokkos on one core: about 10 ms).
    benchStep("VCA step L=10, 1 replica, tensorized2d shared", 10, 1, LossMode::kClassical, Backend::kCuda, "report", 50,
              WeightSharing::kShared, CellKind::kTensorized2d);
    benchStep("VCA step L=10, 1 replica, tensorized2d per site", 10, 1, LossMode::kClassical, Backend::kCuda, "report",
              50, WeightSharing::kPerSite, CellKind::kTensorized2d);
    benchStep("VCA step L=10, 25 replicas together, tensorized2d per site", 10, 25, LossMode::kClassical,
              Backend::kCuda, "report", 20, WeightSharing::kPerSite, CellKind::kTensorized2d);
    // The paper's SK ansatz at N = 100 (dilated1d per site, 7 layers; the network costs the same on a
    // 10×10 Newman-Moore lattice, whose energies are cheaper than SK's).
    benchStep("VCA step N=100, 1 replica, dilated1d per site", 10, 1, LossMode::kClassical, Backend::kCuda, "report",
              50, WeightSharing::kPerSite, CellKind::kDilated1d);
    benchStep("VCA step N=100, 25 replicas together, dilated1d per site", 10, 25, LossMode::kClassical,
              Backend::kCuda, "report", 20, WeightSharing::kPerSite, CellKind::kDilated1d);
    if (cpu) {
      benchStep("VCA step N=100, 1 replica, dilated1d per site, Kokkos host backend", 10, 1, LossMode::kClassical,
                Backend::kKokkos, "", 3, WeightSharing::kPerSite, CellKind::kDilated1d);
      benchStep("VCA step L=10, 1 replica, tensorized2d per site, Kokkos host backend", 10, 1, LossMode::kClassical,
                Backend::kKokkos, "", 3, WeightSharing::kPerSite, CellKind::kTensorized2d);
      benchStep("VCA step L=16, 1 replica, Kokkos host backend", 16, 1, LossMode::kClassical, Backend::kKokkos, "", 3);
      benchStep("VQA step L=5, 1 replica, Kokkos host backend", 5, 1, LossMode::kQuantum, Backend::kKokkos, "", 3);
    }
    std::printf("\n| measurement | time | goal | note |\n|---|---|---|---|\n");
    for (const Row& r : rows)
      std::printf("| %s | %.3f ms | %s | %s |\n", r.what.c_str(), 1e3 * r.seconds, r.goal.c_str(), r.note.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cuda: %s\n", e.what());
    rc = 1;
  }
  Kokkos::finalize();
  return rc;
}
