#include "app/resource_check.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "backend_registry.hpp"
#include "core/error.hpp"
#include "core/memory_budget.hpp"
#include "engine_config.hpp"
#include "rnn_engine.hpp"
#ifdef VNA_HAVE_CUDA
#include "cuda/cuda_device.hpp"
#endif

namespace vna {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;
// The engine's rolling buffers without kept activations are bounded (EngineConfig::scratch_bytes).
constexpr double kScratch = 256.0 * kMiB;
// Below this nothing is announced.
constexpr double kAnnounce = 1024.0 * kMiB;

int stateRows(CellKind cell, int hidden, int n) {
  return cell == CellKind::kDilated1d ? dilatedLayers(std::max(2, n)) * hidden + 2 : hidden + 2;
}

}  // namespace

ResourceEstimate::ResourceEstimate() {
  // What a rank holds before vna allocates anything (MPI, HDF5, Kokkos, the executable): about 35 MiB
  // measured (peak RSS of `vna exact` at N = 4); counted with margin.
  add("libraries and runtime (MPI, HDF5, Kokkos)", 64 * kMiB, "");
}

double ResourceEstimate::host() const {
  double s = 0;
  for (const auto& t : terms) s += t.device ? 0.0 : t.bytes;
  return s;
}
double ResourceEstimate::device() const {
  double s = 0;
  for (const auto& t : terms) s += t.device ? t.bytes : 0.0;
  return s;
}

double hamiltonianBytes(double spins, double terms, int order) {
  // Terms: coefficient, sites, offsets (host and device copies) and the flip index; spins: fields
  // (both copies), the lattice (coordinates, order, predecessors); 1.5 for vector growth while built.
  return 1.5 * (terms * (32.0 + 12.0 * order) + spins * 64.0);
}

MemoryTerm modelTerm(const ModelSpec& s) {
  MemoryTerm t;
  t.what = "the Hamiltonian";
  double n = 0, terms = 0;
  int order = 2;
  if (s.type == "newman_moore") {
    n = static_cast<double>(s.L) * s.L, terms = n, order = 3;
    t.keys = "model.L";
  } else if (s.type == "ising_chain") {
    n = s.N, terms = s.N;
    t.keys = "model.N";
  } else if (s.type == "edwards_anderson") {
    n = static_cast<double>(s.Lx) * s.Ly, terms = 2 * n;
    t.keys = "model.Lx, model.Ly";
  } else if (s.type == "sherrington_kirkpatrick" || s.type == "wishart_planted") {
    n = s.N, terms = 0.5 * n * (n - 1);
    t.keys = "model.N";
    if (s.type == "wishart_planted") terms += s.alpha * n * n / 1.5;  // the planted patterns, M × N doubles
  } else if (s.type == "coupling_file") {
    // At most one term per 8 bytes of text ("1 2 0.5\n"), each read into a 32-byte entry first.
    double bytes = 0;
    for (const auto& p : s.paths) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(p, ec);
      if (!ec) bytes = std::max(bytes, static_cast<double>(size));
    }
    terms = bytes / 8.0, n = terms;
    t.keys = "model.path";
    t.bytes = hamiltonianBytes(n, terms, 2) + terms * 32.0;
    return t;
  }
  t.bytes = hamiltonianBytes(n, terms, order);
  return t;
}

void addEngineTerms(ResourceEstimate& e, const EngineWork& w, const std::string& sets_keys,
                    const std::string& samples_keys, bool on_device) {
  const double s = w.double_precision ? 8.0 : 4.0;
  const double lanes = w.double_precision ? RnnEngine<double>::lanes() : RnnEngine<float>::lanes();
  const double N = w.num_spins, P = w.sets, M = w.samples;
  const double chunks = std::ceil(M / lanes), padded = chunks * lanes;
  const double rows = stateRows(w.cell, w.hidden, w.num_spins);
  const ParamLayout layout = makeParamLayout(w.cell, w.hidden, std::max(2, w.num_spins), w.sharing);
  const double n = static_cast<double>(layout.total);
  const std::string both = samples_keys + ", " + sets_keys;
  if (!w.plane || on_device) {  // (the CUDA network materializes plane points: small shared networks)
    // θ on the device, θ / Adam moments / gradients / checkpoint rows in double on the host.
    e.add("network parameters and Adam state", P * n * (s + 8.0 * 6), sets_keys + ", ansatz.hidden");
  } else if (w.flips) {
    // VQA's flips need explicit sets: plane points materialized in waves of at most 256 MiB.
    e.add("plane points materialized for the flips", std::min(256.0 * (1 << 20), P * n * s),
          sets_keys + ", ansatz.hidden");
  }
  // Configurations (bytes), log p, energies, weights (doubles), with host copies.
  e.add("samples, log p and energies", P * M * (N + 2 * 4 * 8.0), both, on_device);
  if (w.keep)
    e.add("kept activations", P * padded * N * (rows + 1) * s, both + ", ansatz.hidden, model size", on_device);
  else
    e.add("rolling buffers", std::min(kScratch, P * padded * 2 * rows * s), "", on_device);
  // Per-site weights: one site's accumulators per set, written to the gradient position by position.
  const double accumulated = layout.perSite() ? static_cast<double>(layout.siteLayout().total) : chunks * n;
  if (w.gradient) e.add("gradient accumulators", P * (accumulated + chunks * 2 * w.hidden * lanes) * s,
                        both + ", ansatz.hidden", on_device);
  if (w.flips) {
    e.add("single-flip log-probabilities (quantum)", P * M * N * 8.0 * 2 + P * padded * N * 8.0,
          both + ", model size", on_device);
    e.add("single-flip buffers", std::min(kScratch, P * chunks * N * 2 * rows * lanes * s), "", on_device);
  }
}

void addAnalysisTerms(ResourceEstimate& e, const Config& c, const EngineWork& w, int replicas, bool on_device) {
  const double N = w.num_spins, R = replicas;
  const double M = static_cast<double>(c.getInt("analysis.samples"));
  const double S = std::min<double>(static_cast<double>(c.getInt("analysis.stored_samples")), M);
  const double B = std::min(1000.0, M);
  EngineWork batch = w;
  batch.sets = R;
  batch.samples = B;
  batch.keep = batch.gradient = batch.flips = false;
  addEngineTerms(e, batch, "replicas.count", "analysis batches of 1000", on_device);
  // Per-batch partial sums, kept for a rank-independent reduction.
  e.add("per-batch sums", R * std::ceil(M / B) * 40.0, "analysis.samples, replicas.count");
  // Stored samples: this rank's, everyone's (gathered), the result; PCA of one replica at a time.
  e.add("stored samples", R * S * (N + 20.0) * 3, "analysis.stored_samples, replicas.count, model size");
  if (S >= 2) e.add("PCA of the stored samples", 2 * S * N * 8.0 + S * std::min(S, N) * 8.0, "analysis.stored_samples");
  e.add("Hamming histograms", R * (N + 1) * 16.0, "replicas.count");
}

namespace {

[[noreturn]] void refuse(const Config& c, const ResourceEstimate& e, const std::string& what, double need,
                         double have, const std::string& origin, bool device) {
  std::vector<MemoryTerm> terms;
  for (const auto& t : e.terms)
    if (t.device == device && t.bytes > 0) terms.push_back(t);
  std::sort(terms.begin(), terms.end(), [](const auto& a, const auto& b) { return a.bytes > b.bytes; });
  std::string list, first_key;
  for (std::size_t i = 0; i < terms.size() && i < 3; ++i) {
    list += fmt::format("{}{} {}{}", i ? "; " : "", terms[i].what, formatBytes(terms[i].bytes),
                        terms[i].keys.empty() ? "" : " (" + terms[i].keys + ")");
    if (first_key.empty() && !terms[i].keys.empty()) {
      first_key = terms[i].keys.substr(0, terms[i].keys.find(','));
      first_key = first_key.substr(0, first_key.find(' '));
    }
  }
  const std::string msg = fmt::format(
      "{} needs about {} of {} per rank but {} {} available ({}): {}; lower these keys, or run on more ranks or "
      "nodes with more memory",
      e.job, formatBytes(need), what, formatBytes(have), "are", origin, list);
  if (!first_key.empty() && first_key.find('.') != std::string::npos && first_key.find(' ') == std::string::npos &&
      c.has(first_key))
    c.fail(first_key, msg);
  throw InputError(fmt::format("{}: {}", c.source(), msg));
}

}  // namespace

void checkResources(const Comm& comm, const Config& c, const ResourceEstimate& e, const std::string& output,
                    const Log& log) {
  if (e.file_bytes > 0) {
    const std::filesystem::path out(output);
    const std::string dir = out.has_parent_path() ? out.parent_path().string() : ".";
    const double free_disk = freeDiskBytes(comm, dir);
    if (e.file_bytes > free_disk) {
      const std::string msg = fmt::format("the result '{}' needs about {} but the disk holding '{}' has {} free; lower {}",
                                          output, formatBytes(e.file_bytes), dir, formatBytes(free_disk), e.file_keys);
      const std::string key = e.file_keys.substr(0, e.file_keys.find_first_of(", "));
      if (c.has(key)) c.fail(key, msg);
      throw InputError(fmt::format("{}: {}", c.source(), msg));
    }
  }
  const MemoryBudget host = hostMemoryPerRank(comm);
  const double host_need = e.host();
  const double host_have = host.bytes * e.host_factor;
  if (host_need > host_have)
    refuse(c, e, "host memory", host_need, host_have,
           fmt::format("{}, shared by {} rank(s) on the node", host.origin, host.node_ranks), false);
  const double dev_need = e.device();
  if (dev_need > 0) {
#ifdef VNA_HAVE_CUDA
    const double free_bytes = static_cast<double>(cuda::freeMemoryBytes());
    const double dev_have = comm.min(free_bytes / std::max(1, host.node_ranks));
    if (dev_need > dev_have)
      refuse(c, e, "GPU memory", dev_need, dev_have,
             fmt::format("free memory of the device, shared by up to {} rank(s) on the node", host.node_ranks), true);
#endif
  }
  if (host_need + dev_need > kAnnounce || e.file_bytes > kAnnounce)
    log.info("{}: about {} of memory per rank{} ({} available); result file about {}", e.job, formatBytes(host_need),
             dev_need > 0 ? fmt::format(" and {} on the GPU", formatBytes(dev_need)) : "", formatBytes(host_have),
             formatBytes(e.file_bytes));
}

void checkModelFits(const Comm& comm, const Config& c, const Log& log, const std::string& job) {
  ResourceEstimate e;
  e.job = job;
  ModelSpec spec;
  spec.type = c.getString("model.type");
  if (c.has("model.L")) spec.L = static_cast<int>(c.getInt("model.L"));
  if (c.has("model.N")) spec.N = static_cast<int>(c.getInt("model.N"));
  if (c.has("model.Lx")) spec.Lx = static_cast<int>(c.getInt("model.Lx"));
  if (c.has("model.Ly")) spec.Ly = static_cast<int>(c.getInt("model.Ly"));
  if (c.has("model.alpha")) spec.alpha = c.getReal("model.alpha");
  if (c.has("model.path"))
    for (const auto& p : c.getStringList("model.path")) spec.paths.push_back(c.resolvePath(p).string());
  const MemoryTerm t = modelTerm(spec);
  e.terms.push_back(t);
  checkResources(comm, c, e, "", log);
}

namespace {

MemoryTerm builtModelTerm(const Model& m) {
  const Hamiltonian& h = m.hamiltonian;
  int order = 1;
  for (std::size_t t = 0; t < h.numTerms(); ++t) order = std::max(order, static_cast<int>(h.termOrder(t)));
  return {"the Hamiltonian", hamiltonianBytes(h.numSpins(), static_cast<double>(h.numTerms()), order), "model size"};
}

EngineWork engineOf(const Config& c, int num_spins) {
  EngineWork w;
  w.cell = parseCellKind(c.getString("ansatz.cell"));
  w.hidden = static_cast<int>(c.getInt("ansatz.hidden"));
  w.num_spins = num_spins;
  w.double_precision = c.getString("ansatz.precision") == "double";
  w.sharing = c.getBool("ansatz.weight_sharing") ? WeightSharing::kShared : WeightSharing::kPerSite;
  return w;
}

bool onDevice() { return defaultBackend() == Backend::kCuda; }

}  // namespace

void checkAnnealResources(const Comm& comm, const Config& c, const Model& model, const std::string& output,
                          const Log& log) {
  const int N = model.hamiltonian.numSpins();
  const double R = static_cast<double>(c.getInt("replicas.count"));
  const double U = static_cast<double>(c.getInt("anneal.warmup_steps")) +
                   static_cast<double>(c.getInt("anneal.annealing_steps")) * static_cast<double>(c.getInt("anneal.train_steps"));
  const double n = static_cast<double>(
      makeParamLayout(parseCellKind(c.getString("ansatz.cell")), static_cast<int>(c.getInt("ansatz.hidden")), std::max(2, N),
                      engineOf(c, N).sharing)
          .total);
  const std::string mode = c.getString("anneal.mode");
  {
    ResourceEstimate e;
    e.job = "vna anneal (annealing)";
    e.terms.push_back(builtModelTerm(model));
    EngineWork w = engineOf(c, N);
    w.sets = std::ceil(R / comm.size());
    w.samples = static_cast<double>(c.getInt("anneal.samples"));
    w.keep = w.gradient = true;
    w.flips = mode != "classical";
    addEngineTerms(e, w, "replicas.count (per rank)", "anneal.samples", onDevice());
    // The trace buffered between checkpoints.
    const double every = static_cast<double>(c.getInt("anneal.checkpoint_every"));
    e.add("trace buffered between checkpoints", w.sets * std::min(U, every > 0 ? every : U) * 7 * 8.0,
          "anneal.checkpoint_every");
    const double snapshots = static_cast<double>(c.getStringList("anneal.snapshots").size());
    const double every_t = static_cast<double>(c.getInt("anneal.trajectory_every"));
    const double K = every_t > 0 ? std::floor(U / every_t) + 1 : 0;
    const double S = std::min<double>(static_cast<double>(c.getInt("analysis.stored_samples")),
                                      static_cast<double>(c.getInt("analysis.samples")));
    e.file_bytes = R * U * 6 * 8.0 + U * 4 * 8.0 + (snapshots + 4 + K) * R * n * 8.0 + R * S * (N + 8.0 + 16.0) +
                   builtModelTerm(model).bytes / 3;
    e.file_keys = "anneal.trajectory_every, the update count (anneal.*_steps), replicas.count or "
                  "analysis.stored_samples";
    checkResources(comm, c, e, output, log);
  }
  ResourceEstimate a;
  a.job = "vna anneal (final analysis)";
  a.terms.push_back(builtModelTerm(model));
  addAnalysisTerms(a, c, engineOf(c, N), static_cast<int>(R), onDevice());
  a.add("final parameters of every replica", R * n * 8.0 * 3, "replicas.count, ansatz.hidden");
  checkResources(comm, c, a, output, log);
}

void checkAnalyzeResources(const Comm& comm, const Config& c, const Config& run, const Model& model, int replicas,
                           const std::string& output, const Log& log) {
  const int N = model.hamiltonian.numSpins();
  ResourceEstimate e;
  e.job = "vna analyze";
  e.terms.push_back(builtModelTerm(model));
  addAnalysisTerms(e, c, engineOf(run, N), replicas, onDevice());
  const double S = std::min<double>(static_cast<double>(c.getInt("analysis.stored_samples")),
                                    static_cast<double>(c.getInt("analysis.samples")));
  e.file_bytes = replicas * S * (N + 24.0) + builtModelTerm(model).bytes / 3;
  e.file_keys = "analysis.stored_samples";
  checkResources(comm, c, e, output, log);
}

void checkLandscapeResources(const Comm& comm, const Config& c, const Model& model, const LandscapeWork& w,
                             const std::string& output, const Log& log) {
  ResourceEstimate e;
  e.job = "vna landscape";
  e.terms.push_back(builtModelTerm(model));
  addEngineTerms(e, w.engine, "landscape.batch", "landscape.samples", onDevice());
  const double points = w.na * w.nb;
  e.add("done masks and losses of a snapshot (read on resume)", points * 10.0, "landscape.points");
  e.add("the work list", w.snapshots * points / std::max(1.0, w.engine.sets) * 24.0, "landscape.points");
  e.add("θ*, directions and the trajectory", (w.snapshots * 3 + w.trajectory * 3) * w.num_params * 8.0,
        "landscape.snapshots, anneal.trajectory_every of the source");
  // Values (5 doubles) and flags (2 bytes) per point and snapshot; θ*, δ, η per snapshot.
  e.file_bytes = w.snapshots * (points * 42.0 + 3 * w.num_params * 8.0 + (w.na + w.nb) * 8.0) +
                 w.trajectory * (w.snapshots * 24.0 + 2 * w.num_params * 8.0 / std::max(1.0, w.trajectory)) +
                 builtModelTerm(model).bytes / 3;
  e.file_keys = "landscape.points or landscape.snapshots";
  log.info("landscape: {} snapshot(s) × {} × {} points: the result file takes about {}", w.snapshots, w.na, w.nb,
           formatBytes(e.file_bytes));
  checkResources(comm, c, e, output, log);
}

void checkCampaignModels(const Comm& comm, const Config& c, const ModelSpec& base, const Log& log) {
  ResourceEstimate e;
  e.job = "vna campaign (instances)";
  std::vector<std::int64_t> sizes = c.has("campaign.sizes") ? c.getIntList("campaign.sizes") : std::vector<std::int64_t>{};
  if (sizes.empty()) sizes.push_back(0);
  double realizations = static_cast<double>(c.getInt("campaign.realizations"));
  if (base.type == "coupling_file") realizations = 1;  // the files themselves bound them (one at a time counted)
  realizations = std::max(1.0, realizations);
  double total = 0;
  for (auto size : sizes) {
    ModelSpec s = base;
    if (size > 0) {
      if (s.type == "newman_moore") s.L = static_cast<int>(size);
      else if (s.type == "edwards_anderson") s.Lx = s.Ly = static_cast<int>(size);
      else s.N = static_cast<int>(size);
    }
    total += modelTerm(s).bytes * (base.type == "coupling_file" ? static_cast<double>(std::max<std::size_t>(1, base.paths.size())) : realizations);
  }
  e.add("every instance's Hamiltonian", total, "campaign.sizes, campaign.realizations");
  checkResources(comm, c, e, "", log);
}

void checkCampaignResources(const Comm& comm, const Config& c, int max_spins, double instances, double rows,
                            bool variational, const std::string& output, const Log& log) {
  ResourceEstimate e;
  e.job = "vna campaign (largest row)";
  const double N = max_spins;
  const double sa = static_cast<double>(c.getInt("sa.replicas")), sqa = static_cast<double>(c.getInt("sqa.replicas"));
  const double slices = static_cast<double>(c.getInt("sqa.trotter_slices"));
  const auto methods = c.getStringList("campaign.methods");
  const auto uses = [&](const char* m) { return std::find(methods.begin(), methods.end(), m) != methods.end(); };
  // Monte Carlo rows: configurations of this rank's replicas, gathered; SQA worlds of P slices; PT's
  // ladders and PA's populations (spins and fields in float lanes, the row's entries gathered).
  double mc = std::max(sa * N * 2 + sa * 16.0, sqa * N * (2 + slices / comm.size()) + sqa * 16.0);
  if (uses("pt")) {
    const double runs = static_cast<double>(c.getInt("pt.runs")), M = static_cast<double>(c.getInt("pt.temperatures"));
    mc = std::max(mc, std::ceil(runs / comm.size()) * M * N * 8 + runs * (N * 2 + 16.0));
  }
  if (uses("pa")) {
    const double members = static_cast<double>(c.getInt("pa.runs")) * static_cast<double>(c.getInt("pa.population"));
    mc = std::max(mc, std::ceil(members / comm.size()) * N * 16 + members * (N * 2 + 16.0));
  }
  e.add("Monte Carlo replicas", mc,
        "sa.replicas, sqa.replicas, sqa.trotter_slices, pt.runs, pt.temperatures, pa.runs, pa.population");
  // Per row: its cells and best configuration, and replica_energy as wide as the largest method's entries.
  double entries = std::max(uses("sa") ? sa : 0.0, uses("sqa") ? sqa : 0.0);
  if (uses("pt")) entries = std::max(entries, static_cast<double>(c.getInt("pt.runs")));
  if (uses("pa"))
    entries = std::max(entries, static_cast<double>(c.getInt("pa.runs")) * static_cast<double>(c.getInt("pa.population")));
  if (variational) entries = std::max(entries, static_cast<double>(c.getInt("replicas.count")));
  double file = rows * (N + 200.0 + entries * 8.0) + instances * 200.0;
  if (variational) {
    const double R = static_cast<double>(c.getInt("replicas.count"));
    EngineWork w = engineOf(c, max_spins);
    w.sets = std::ceil(R / comm.size());
    w.samples = static_cast<double>(c.getInt("anneal.samples"));
    w.keep = w.gradient = true;
    const auto methods = c.getStringList("campaign.methods");
    w.flips = std::find(methods.begin(), methods.end(), "vqa") != methods.end();
    addEngineTerms(e, w, "replicas.count (per rank)", "anneal.samples", onDevice());
    ResourceEstimate a;
    addAnalysisTerms(a, c, engineOf(c, max_spins), static_cast<int>(R), onDevice());
    // The analysis runs after the annealing engine is gone: the larger of the two counts.
    if (a.host() + a.device() > e.host() + e.device()) e.terms = a.terms;
    double U = 0;
    for (auto A : c.getIntList("campaign.annealing_steps"))
      U += static_cast<double>(c.getInt("anneal.warmup_steps")) + static_cast<double>(A) * static_cast<double>(c.getInt("anneal.train_steps"));
    file += instances * R * U * 6 * 8.0;
    if (c.getBool("campaign.store_networks")) {
      // Every VCA/VQA row keeps its replicas' final parameters.
      const double n = static_cast<double>(makeParamLayout(w.cell, w.hidden, std::max(2, max_spins), w.sharing).total);
      const double networks = static_cast<double>(uses("vca") + uses("vqa")) *
                              static_cast<double>(c.getIntList("campaign.annealing_steps").size());
      file += instances * networks * R * n * 8.0;
    }
  }
  e.file_bytes = file;
  e.file_keys = "campaign.annealing_steps, replicas.count, campaign.store_networks or the number of instances";
  checkResources(comm, c, e, output, log);
}

void checkExactResources(const Comm& comm, const Config& c, const Model& model, bool lanczos,
                         const std::string& output, const Log& log) {
  const int N = model.hamiltonian.numSpins();
  ResourceEstimate e;
  e.job = "vna exact";
  e.terms.push_back(builtModelTerm(model));
  const double states = std::min<double>(static_cast<double>(c.getInt("exact.max_ground_states")), std::ldexp(1.0, std::min(N, 60)));
  e.add("stored ground states", states * (N + 16.0) * 3, "exact.max_ground_states");
  if (lanczos) {
    // Rank 0 works alone (the other ranks wait): it may use the node's share of every rank.
    e.add("Lanczos vectors (8 of 2^N doubles, rank 0)", 8.0 * std::ldexp(8.0, N), "exact.gammas, model size");
    e.host_factor = std::max(1.0, static_cast<double>(hostMemoryPerRank(comm).node_ranks));
  }
  e.file_bytes = states * N + builtModelTerm(model).bytes / 3;
  e.file_keys = "exact.max_ground_states";
  checkResources(comm, c, e, output, log);
}

}  // namespace vna
