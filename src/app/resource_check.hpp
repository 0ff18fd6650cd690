#pragma once
// Up-front estimates of what a job holds in memory (per rank; host and GPU) and writes to disk, made
// before anything is allocated or any file is opened. A job that cannot fit (core/memory_budget.hpp)
// is an input error naming the keys to lower; a large one is announced with its size.
//
// The estimates follow the allocations of the engine (kernels/rnn_engine.cpp: kept activations
// [P][⌈M/W⌉·W][N][state rows + 1] Scalars, gradient accumulators per work item, VQA's single-flip
// log-probabilities [P][M][N] doubles), of the estimator, Adam and the Hamiltonian; they are meant to
// be within a factor of about 1.5 of the peak (doc/performance.md, "Memory").
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/mpi_comm.hpp"
#include "core/log.hpp"
#include "model/model.hpp"
#include "param_layout.hpp"

namespace vna {

struct MemoryTerm {
  std::string what;   // "kept activations for the gradient"
  double bytes = 0;   // per rank
  std::string keys;   // the keys that make it large: "anneal.samples, ansatz.hidden"
  bool device = false;  // on the GPU (CUDA backend) rather than the host
};

struct ResourceEstimate {
  ResourceEstimate();               // starts with the runtime's own memory
  std::string job;                  // "vna anneal"
  std::vector<MemoryTerm> terms;    // per rank
  double host_factor = 1.0;         // host budget multiplier (rank 0 alone works: the node's ranks' share)
  double file_bytes = 0;            // the result file
  std::string file_keys;
  void add(std::string what, double bytes, std::string keys, bool device = false) {
    terms.push_back({std::move(what), bytes, std::move(keys), device});
  }
  double host() const;
  double device() const;
};

// Bytes of a Hamiltonian with `terms` terms of `order` sites on `spins` spins (with its flip index,
// the device copy and the lattice).
double hamiltonianBytes(double spins, double terms, int order);
// The Hamiltonian a model section describes, before building it (coupling files: from the file size).
MemoryTerm modelTerm(const ModelSpec& spec);

struct EngineWork {
  CellKind cell = CellKind::kVanilla2d;
  int hidden = 40;
  int num_spins = 0;
  double sets = 1;        // P parameter sets on this rank
  double samples = 100;   // M per set
  bool keep = false;      // kept activations (gradient or VQA flips)
  bool gradient = false;
  bool flips = false;     // VQA's single-flip log-probabilities
  bool double_precision = false;
};
// Engine + estimator + Adam state for one batched evaluation, split into terms naming `keys`.
void addEngineTerms(ResourceEstimate& e, const EngineWork& w, const std::string& sets_keys,
                    const std::string& samples_keys, bool on_device);

// The final analysis (vna anneal, vna analyze, campaign VCA rows) of `replicas` networks.
void addAnalysisTerms(ResourceEstimate& e, const Config& analysis_config, const EngineWork& w, int replicas,
                      bool on_device);

// Collective. Compares with the budget of every rank (host; GPU when the CUDA backend runs) and the
// free disk space of the output folder; throws an InputError naming the largest terms' keys (at the
// line of the first key in `config`), else logs the estimate when it is large.
void checkResources(const Comm& comm, const Config& config, const ResourceEstimate& e, const std::string& output,
                    const Log& log);

// Shortcut: the model alone (before building it); for commands that then build it.
void checkModelFits(const Comm& comm, const Config& config, const Log& log, const std::string& job);

// The commands' estimates (collective; each calls checkResources).
// vna anneal: the annealing (replicas of this rank, anneal.samples, gradients, VQA flips), then the
// final analysis; the result file (trace, snapshots, trajectory, checkpoint, analysis).
void checkAnnealResources(const Comm& comm, const Config& config, const Model& model, const std::string& output,
                          const Log& log);
// vna analyze of `replicas` networks of `run_config` (the source's), with `config`'s analysis keys.
void checkAnalyzeResources(const Comm& comm, const Config& config, const Config& run_config, const Model& model,
                           int replicas, const std::string& output, const Log& log);
// vna exact: enumeration (the ground states kept) and Lanczos (rank 0: 8 vectors of 2^N doubles).
// vna landscape: chunks of `chunk_points` points × `samples` samples (VQA: kept activations and flips),
// the done masks and losses read on resume, the trajectory; the file of S snapshots × Na × Nb points.
struct LandscapeWork {
  EngineWork engine;  // sets = chunk points, samples = Ns
  double snapshots = 1, na = 1, nb = 1, num_params = 0, trajectory = 0;
};
void checkLandscapeResources(const Comm& comm, const Config& config, const Model& model, const LandscapeWork& w,
                             const std::string& output, const Log& log);
// vna campaign: every instance held at once (before they are built: sizes × realizations), then the
// largest row (a VCA/VQA annealing and analysis, or SA/SQA/PT/PA replicas).
void checkCampaignModels(const Comm& comm, const Config& config, const ModelSpec& base, const Log& log);
void checkCampaignResources(const Comm& comm, const Config& config, int max_spins, double instances, double rows,
                            bool variational, const std::string& output, const Log& log);
void checkExactResources(const Comm& comm, const Config& config, const Model& model, bool lanczos,
                         const std::string& output, const Log& log);

}  // namespace vna
