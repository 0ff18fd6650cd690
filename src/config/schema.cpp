#include "config/schema.hpp"

#include <fmt/format.h>

#include <map>

namespace vna {

namespace {

const std::vector<std::string> kAllModels = {"newman_moore",           "ising_chain",     "edwards_anderson",
                                              "sherrington_kirkpatrick", "wishart_planted", "coupling_file"};

KeySpec key(std::string path, ValueKind kind, std::string def, std::string doc) {
  KeySpec k;
  k.path = std::move(path);
  k.kind = kind;
  k.default_yaml = std::move(def);
  k.doc = std::move(doc);
  return k;
}
KeySpec& range(KeySpec& k, std::optional<double> lo, std::optional<double> hi, bool lo_exclusive = false) {
  k.min = lo;
  k.max = hi;
  k.min_exclusive = lo_exclusive;
  return k;
}
KeySpec& when(KeySpec& k, std::string what, std::vector<std::string> values) {
  k.when_key = std::move(what);
  k.when_values = std::move(values);
  return k;
}

std::vector<KeySpec> buildKeys() {
  std::vector<KeySpec> keys;
  auto add = [&](KeySpec k) -> KeySpec& {
    keys.push_back(std::move(k));
    return keys.back();
  };
  using V = ValueKind;

  // ---- model
  {
    auto& k = add(key("model.type", V::kEnum, "newman_moore", "Which spin model."));
    k.choices = kAllModels;
  }
  when(range(add(key("model.L", V::kInt, "4", "Linear size: L×L triangular lattice, periodic.")), 2, 64),
       "model.type", {"newman_moore"});
  when(add(key("model.J", V::kReal, "1.0",
               "Coupling. Newman-Moore: H = (J/2) Σ_triangles σσσ; Ising chain: H = −J Σ σ_i σ_{i+1}.")),
       "model.type", {"newman_moore", "ising_chain"});
  {
    auto& k = add(key("model.N", V::kInt, "", "Number of spins."));
    k.required = true;
    range(k, 2, 100000);
    when(k, "model.type", {"ising_chain", "sherrington_kirkpatrick", "wishart_planted"});
  }
  for (const char* name : {"model.Lx", "model.Ly"}) {
    auto& k = add(key(name, V::kInt, "", "Lattice size of the 2D Edwards-Anderson model (site = x + Lx·y)."));
    k.required = true;
    range(k, 2, 4096);
    when(k, "model.type", {"edwards_anderson"});
  }
  when(add(key("model.periodic", V::kBool, "false", "Periodic (true) or open (false) boundaries.")), "model.type",
       {"edwards_anderson", "ising_chain"});
  {
    auto& k = add(key("model.couplings", V::kEnum, "uniform",
                      "Edwards-Anderson coupling distribution: pm_j (±1), gaussian (N(0,1)) or uniform "
                      "(U[−1,1), the published 10×10 instances)."));
    k.choices = {"pm_j", "gaussian", "uniform"};
    when(k, "model.type", {"edwards_anderson"});
  }
  when(range(add(key("model.alpha", V::kReal, "0.5",
                     "Wishart planted ensemble: ratio M/N of planted patterns (Hamze et al. 2020).")),
             0.0, 100.0, true),
       "model.type", {"wishart_planted"});
  when(range(add(key("model.seed", V::kInt, "1",
                     "Disorder seed. Realization r of the family uses seed + r (EA: std::mt19937(seed + r), "
                     "which reproduces the published instances).")),
             0, 4294967295.0),
       "model.type", {"edwards_anderson", "sherrington_kirkpatrick", "wishart_planted"});
  {
    auto& k = add(key("model.path", V::kStringOrList, "",
                      "Coupling file, or a list of files (one realization each). Relative paths are relative to "
                      "the config file."));
    k.required = true;
    when(k, "model.type", {"coupling_file"});
  }
  when(range(add(key("model.index_base", V::kInt, "",
                     "0 or 1: index base of the coupling file (else from its '# index_base:' header).")),
             0, 1),
       "model.type", {"coupling_file"});
  {
    auto& k = add(key("model.format", V::kEnum, "auto",
                      "Coupling file format: list ('i j J' lines), matrix (full N×N matrix) or auto."));
    k.choices = {"auto", "list", "matrix"};
    when(k, "model.type", {"coupling_file"});
  }
  add(key("model.field", V::kReal, "0.0", "Uniform longitudinal field h: H += −h Σ σ_i."));

  // ---- exact
  range(add(key("exact.temperatures", V::kRealList, "[0.5, 1.0, 2.0]",
                "Temperatures for the exact free energy, energy and entropy per spin (T = 0 gives the limit).")),
        0.0, std::nullopt);
  range(add(key("exact.gammas", V::kRealList, "[]",
                "Transverse fields Γ for the Lanczos ground energy of H − Γ Σ σ^x (N ≤ 25).")),
        0.0, std::nullopt);
  {
    auto& k = add(key("exact.enumerate", V::kEnum, "auto",
                      "Exhaustive enumeration of all 2^N states: auto (when N ≤ exact.max_enumeration_spins), "
                      "always or never."));
    k.choices = {"auto", "always", "never"};
  }
  range(add(key("exact.max_enumeration_spins", V::kInt, "24", "Largest N that 'auto' enumerates (at most 30).")),
        1, 30);
  range(add(key("exact.max_ground_states", V::kInt, "4096", "At most this many ground states are stored.")), 1,
        1 << 24);

  // ---- ansatz
  {
    auto& k = add(key("ansatz.cell", V::kEnum, "vanilla2d",
                      "Recurrent cell: vanilla2d (2D lattices, snake order), vanilla1d (chains, fully connected), "
                      "tensorized2d / tensorized1d (Hibat-Allah et al. 2021) or dilated1d (log2 N layers, layer l "
                      "looks back 2^(l-1) sites; for fully connected models such as SK)."));
    k.choices = {"vanilla1d", "vanilla2d", "tensorized1d", "tensorized2d", "dilated1d"};
  }
  range(add(key("ansatz.hidden", V::kInt, "40", "Hidden size d_h.")), 1, 4096);
  range(add(key("ansatz.seed", V::kInt, "1", "Seed of the initial weights (replica r uses stream r).")), 0,
        4294967295.0);
  {
    auto& k = add(key("ansatz.precision", V::kEnum, "float", "Arithmetic of the network: float or double."));
    k.choices = {"float", "double"};
  }
  {
    auto& k = add(key("ansatz.weight_sharing", V::kBool, "false",
                      "true: every site shares one set of cell and output-layer weights; false: every site has its "
                      "own (each block gets a leading site dimension), as the variational neural annealing paper's "
                      "networks for disordered models (Hibat-Allah et al. 2021). Default: shared for the "
                      "translation-invariant models, per site for the disordered ones (doc/physics.md)."));
    k.default_key = "model.type";
    k.defaults_by = {{"newman_moore", "true"}, {"ising_chain", "true"}};
  }

  // ---- anneal
  {
    auto& k = add(key("anneal.mode", V::kEnum, "classical",
                      "classical (VCA: F = <H> - T S), quantum (VQA: <H> - Γ<Σσx>) or regularized (both)."));
    k.choices = {"classical", "quantum", "regularized"};
  }
  range(add(key("anneal.T0", V::kReal, "10.0", "Initial temperature (classical, regularized).")), 0.0, std::nullopt);
  range(add(key("anneal.gamma0", V::kReal, "10.0", "Initial transverse field (quantum, regularized).")), 0.0,
        std::nullopt);
  range(add(key("anneal.T_final", V::kReal, "0.0",
                "Temperature at the end of the schedule (classical, regularized): step a sets T = T_final + (T0 − "
                "T_final) s(a/A). T_final > 0 keeps the entropy term to the end (a remedy for mode collapse: the "
                "final networks approximate the Boltzmann distribution at T_final).")),
        0.0, std::nullopt);
  range(add(key("anneal.gamma_final", V::kReal, "0.0",
                "Transverse field at the end of the schedule (quantum, regularized): Γ = gamma_final + (Γ0 − "
                "gamma_final) s(a/A).")),
        0.0, std::nullopt);
  range(add(key("anneal.warmup_steps", V::kInt, "1000", "Adam updates at T0 / Γ0 before annealing.")), 0, 1e9);
  range(add(key("anneal.annealing_steps", V::kInt, "10000",
                "Annealing steps; step a = 1..A sets T = T0 s(a/A) (s = schedule), reaching 0 (or T_final) at the last.")),
        0, 1e9);
  range(add(key("anneal.train_steps", V::kInt, "5", "Adam updates per annealing step.")), 1, 1e6);
  range(add(key("anneal.samples", V::kInt, "100", "Samples Ns per replica and update.")), 2, 1e7);
  range(add(key("anneal.learning_rate", V::kReal, "1e-4", "Adam learning rate.")), 0.0, 10.0, true);
  {
    auto& k = add(key("anneal.schedule", V::kEnum, "linear",
                      "Shape s(x) of the fall to 0: linear 1-x, quadratic (1-x)^2, cosine (1+cos(pi x))/2."));
    k.choices = {"linear", "quadratic", "cosine"};
  }
  {
    auto& k = add(key("anneal.snapshots", V::kStringList, "[initial, after_warmup, final]",
                      "When to store θ for landscapes: initial, after_warmup, final, or a number: the first "
                      "annealing step whose T (classical) or Γ (quantum) is at or below it."));
    (void)k;
  }
  range(add(key("anneal.checkpoint_every", V::kInt, "1000",
                "Write a restart checkpoint every this many updates (0: only on time and signals).")),
        0, 1e9);
  range(add(key("anneal.checkpoint_minutes", V::kReal, "10.0",
                "Also checkpoint when this many minutes passed since the last one (SIGTERM/SIGUSR1 always do).")),
        0.0, std::nullopt, true);
  range(add(key("anneal.progress_seconds", V::kReal, "10.0", "Seconds between progress lines.")), 0.0, std::nullopt,
        true);
  range(add(key("anneal.trajectory_every", V::kInt, "0",
                "Store θ every this many updates in /anneal/trajectory/params [R][K][n] (row k: after update "
                "k·every − 1; row 0 the initial θ) for trajectory plots of `vna landscape`; 0: off.")),
        0, 1e9);

  // ---- replicas
  range(add(key("replicas.count", V::kInt, "1", "Independent annealing replicas R (spread over MPI ranks).")), 1,
        1e6);
  range(add(key("replicas.seed", V::kInt, "1", "Seed of the sampling streams (replica r uses stream r).")), 0,
        4294967295.0);

  // ---- analysis
  add(key("analysis.source", V::kString, "\"\"",
          "`vna analyze`: the annealing result to analyze (empty: the `vna anneal` output of this config)."));
  range(add(key("analysis.samples", V::kInt, "100000",
                "Fresh samples per replica for the final analysis (split over ranks by `vna analyze`).")),
        1, 1e10);
  range(add(key("analysis.stored_samples", V::kInt, "1000",
                "Samples per replica stored in the file (configurations, PCA coordinates).")),
        0, 1e7);

  // ---- landscape
  add(key("landscape.source", V::kString, "\"\"",
          "`vna landscape`: the annealing result whose snapshots are the centres θ* (empty: the `vna anneal` "
          "output of this config). A relative path is looked up next to the config first, then in the current "
          "directory. The model, network and loss come from the config stored in it."));
  add(key("landscape.snapshots", V::kStringList, "[]",
          "Snapshot labels of the source (e.g. initial, after_warmup, \"T=1.0\", final); empty: all of them."));
  range(add(key("landscape.replica", V::kInt, "0", "Which replica's θ* (row of the [R][n] snapshot).")), 0, 1e6);
  {
    auto& k = add(key("landscape.points", V::kIntList, "[200, 200]",
                      "Grid points [Na, Nb] along α and β; [N, 1] is a 1D scan at the centre of the beta range."));
    range(k, 1, 65536);
    k.min_length = k.max_length = 2;
  }
  {
    auto& k = add(key("landscape.alpha", V::kRealList, "[-1.0, 1.0]", "Range [min, max] of α, the coefficient of δ."));
    k.min_length = k.max_length = 2;
  }
  {
    auto& k = add(key("landscape.beta", V::kRealList, "[-1.0, 1.0]", "Range [min, max] of β, the coefficient of η."));
    k.min_length = k.max_length = 2;
  }
  add(key("landscape.line", V::kBool, "false",
          "A 1D scan through θ* along δ: points [Na, 1] at β = 0 (landscape.beta is not used)."));
  {
    auto& k = add(key("landscape.directions.kind", V::kEnum, "gaussian",
                      "δ and η: gaussian (N(0,1) per parameter, the paper), snapshots (δ = θ(B) − θ(A) of "
                      "landscape.directions.snapshots [A, B], η Gaussian) or pca (the first two principal axes of "
                      "the annealing trajectory, unit vectors)."));
    k.choices = {"gaussian", "snapshots", "pca"};
  }
  range(add(key("landscape.directions.seed", V::kInt, "1",
                "Seed of the Gaussian directions (δ: stream 0, η: stream 1; the same raw directions for every "
                "snapshot).")),
        0, 4294967295.0);
  {
    auto& k = add(key("landscape.directions.normalize", V::kEnum, "none",
                      "Rescale δ and η to the size of θ*: block (each named parameter block to ‖θ*_block‖, "
                      "filter-normalization style), global (to ‖θ*‖) or none."));
    k.choices = {"none", "block", "global"};
  }
  add(key("landscape.directions.orthogonalize", V::kBool, "false",
          "Make η orthogonal to δ (Gram-Schmidt after normalization, keeping ‖η‖)."));
  {
    auto& k = add(key("landscape.directions.snapshots", V::kStringList, "",
                      "kind snapshots: the labels [A, B] of δ = θ(B) − θ(A) (same replica)."));
    k.required = true;
    k.min_length = k.max_length = 2;
    when(k, "landscape.directions.kind", {"snapshots"});
  }
  range(add(key("landscape.samples", V::kInt, "0",
                "Samples Ns drawn afresh at every grid point (at least 2); 0: the annealing Ns of the source.")),
        0, 1e7);
  range(add(key("landscape.seed", V::kInt, "1",
                "Seed of the sampling streams: point (i, j) of the source's snapshot s uses stream i·Nb + j at "
                "step 0xF0000000 + s, so values depend only on (seed, snapshot, point).")),
        0, 4294967295.0);
  range(add(key("landscape.batch", V::kInt, "200",
                "Grid points per batched engine call (lowered when a chunk would need more than 512 MiB).")),
        1, 1e6);
  range(add(key("landscape.flush_minutes", V::kReal, "5.0",
                "Flush the finished points to the file at least this often (SIGUSR1 flushes; SIGTERM flushes "
                "and stops; continue with --resume).")),
        0.0, std::nullopt, true);
  range(add(key("landscape.progress_seconds", V::kReal, "10.0", "Seconds between progress lines.")), 0.0,
        std::nullopt, true);

  // ---- campaign (vna campaign: instances × methods × annealing lengths)
  {
    auto& k = add(key("campaign.methods", V::kStringList, "[vca, sa, sqa]",
                      "Methods run on every instance: vca and vqa (the anneal section's VCA / VQA with "
                      "replicas.count networks, analyzed with analysis.samples fresh samples), sa, sqa, pt "
                      "(parallel tempering) and pa (population annealing)."));
    k.min_length = 1;
  }
  {
    auto& k = add(key("campaign.annealing_steps", V::kIntList, "[10, 100]",
                      "Annealing lengths A, one row per (instance, method, A): VCA/VQA anneal.annealing_steps "
                      "(each with anneal.train_steps updates, after anneal.warmup_steps), SA/SQA A steps of "
                      "sweeps_per_step sweeps following the anneal.schedule shape, PT A steps of "
                      "pt.sweeps_per_step sweeps at fixed temperatures, PA A steps linear in β."));
    k.min_length = 1;
    range(k, 1, 1e9);
  }
  range(add(key("campaign.realizations", V::kInt, "0",
                "Disorder realizations per size: r = first_realization .. first_realization + R - 1 (model.seed + "
                "r; coupling_file: the r-th file of model.path). 0: every listed file (coupling_file), else 1.")),
        0, 1e7);
  range(add(key("campaign.first_realization", V::kInt, "0", "First realization r of the campaign.")), 0, 1e9);
  {
    auto& k = add(key("campaign.sizes", V::kIntList, "[]",
                      "Sizes to sweep (Newman-Moore L, Edwards-Anderson Lx = Ly, else N); empty: the model "
                      "section's size. Instances are sizes × realizations."));
    range(k, 2, 100000);
    when(k, "model.type",
         {"newman_moore", "ising_chain", "edwards_anderson", "sherrington_kirkpatrick", "wishart_planted"});
  }
  range(add(key("campaign.seed", V::kInt, "1",
                "Seed of the SA, SQA, PT and PA Monte Carlo streams (keyed by seed, method, size; counters "
                "attempt, step, replica, realization).")),
        0, 4294967295.0);
  add(key("campaign.ground_states", V::kStringOrList, "\"\"",
          "Known ground states, as files of the ids of the up spins (the published gs_seed{s}.txt): one file "
          "per realization, or one pattern with {r}, {r+1} or {seed} (= model.seed + r). E0 is their energy."));
  range(add(key("campaign.ground_states_index_base", V::kInt, "1", "Index base of the ground-state files.")), 0, 1);
  add(key("campaign.ground_energies", V::kString, "\"\"",
          "A file of ground-state energies per spin, the r-th number for realization r (header lines and commas "
          "allowed). Cross-checks campaign.ground_states (to 1e-7 per spin), else is the ground truth."));
  add(key("campaign.store_networks", V::kBool, "true",
          "Keep each VCA/VQA row's final parameters, /campaign/anneal/row_k/final/params (per-site networks: "
          "10 MB per EA 10x10 row, 17 MB per SK N = 100 row). false: the rows' traces, final losses and "
          "results only."));
  add(key("campaign.planted_all_up", V::kBool, "false",
          "The instances have the planted ground state σ = +1 everywhere (the published Wishart files)."));
  range(add(key("campaign.max_enumeration_spins", V::kInt, "24",
                "Instances without given ground truth are enumerated exhaustively up to this N (else the best "
                "energy any method found is the reference, marked 'best found').")),
        0, 30);

  // ---- Monte Carlo kernels (mc_model.hpp), shared text
  const std::string kernel_doc =
      "Monte Carlo kernel: auto (by the model's structure: sparse for two-body models with few neighbours, "
      "dense for many, pbody otherwise), reference (the general double-precision path), sparse, dense, pbody";

  // ---- sa
  range(add(key("sa.T0", V::kReal, "1.0", "Initial temperature of simulated annealing: T_a = T0 s(a/A).")), 0.0,
        std::nullopt);
  range(add(key("sa.sweeps_per_step", V::kInt, "1", "Metropolis sweeps (N single-spin-flip attempts) per step.")), 1,
        1e6);
  range(add(key("sa.replicas", V::kInt, "10", "Independent SA runs per instance (spread over MPI ranks).")), 1,
        1e7);
  range(add(key("sa.warmup_sweeps", V::kInt, "0",
                "Sweeps at T0 before the first annealing step (the piqmc baselines use 1000-2000).")),
        0, 1e8);
  {
    auto& k = add(key("sa.kernel", V::kEnum, "auto",
                      kernel_doc + ", or multispin (±J couplings without fields: 64 replicas per machine word; "
                                   "auto picks it where it applies)."));
    k.choices = {"auto", "reference", "sparse", "dense", "pbody", "multispin"};
  }
  {
    auto& k = add(key("sa.multispin_draws", V::kEnum, "independent",
                      "Random numbers of the multispin kernel: independent (one decision per replica, exact to "
                      "2^-32) or shared (one uniform per 64-replica word and attempt: faster, but the replicas of "
                      "a word are correlated)."));
    k.choices = {"independent", "shared"};
  }

  // ---- sqa
  range(add(key("sqa.gamma0", V::kReal, "2.0",
                "Initial transverse field of simulated quantum annealing: Γ_a = max(Γ0 s(a/A), gamma_min).")),
        0.0, std::nullopt, true);
  range(add(key("sqa.gamma_min", V::kReal, "1e-6",
                "Smallest Γ used (the inter-slice coupling J⊥ = −(PT/2) ln tanh(Γ/(PT)) diverges at Γ = 0).")),
        0.0, std::nullopt, true);
  range(add(key("sqa.T", V::kReal, "0.05",
                "Temperature T of the path integral (P slices, couplings scaled by 1/P; PT = 1 by default).")),
        0.0, std::nullopt, true);
  range(add(key("sqa.trotter_slices", V::kInt, "20", "Trotter slices P.")), 2, 100000);
  range(add(key("sqa.sweeps_per_step", V::kInt, "1",
                "Sweeps per step; a sweep is P·N local moves and, with global_moves, N all-slice moves.")),
        1, 1e6);
  range(add(key("sqa.replicas", V::kInt, "10", "Independent SQA runs per instance (spread over MPI ranks).")), 1,
        1e7);
  add(key("sqa.global_moves", V::kBool, "true", "Also flip a spin in all slices at once (one move per site and sweep)."));
  {
    auto& k = add(key("sqa.kernel", V::kEnum, "auto", kernel_doc + "."));
    k.choices = {"auto", "reference", "sparse", "dense", "pbody"};
  }

  // ---- pt (parallel tempering)
  range(add(key("pt.T_min", V::kReal, "0.1", "Lowest temperature of the parallel-tempering ladder.")), 0.0,
        std::nullopt, true);
  range(add(key("pt.T_max", V::kReal, "2.0", "Highest temperature (the ladder is geometric from T_min to T_max).")),
        0.0, std::nullopt, true);
  range(add(key("pt.temperatures", V::kInt, "16", "Temperatures M of the ladder (one replica each per run).")), 2,
        4096);
  range(add(key("pt.sweeps_per_step", V::kInt, "1",
                "Sweeps per annealing step; each sweep of all M replicas is followed by exchange attempts "
                "between neighbouring temperatures (even pairs, then odd pairs).")),
        1, 1e6);
  range(add(key("pt.runs", V::kInt, "10",
                "Independent PT runs per instance (spread over MPI ranks); each reports the lowest energy it met.")),
        1, 1e7);
  {
    auto& k = add(key("pt.kernel", V::kEnum, "auto", kernel_doc + " (not reference)."));
    k.choices = {"auto", "sparse", "dense", "pbody"};
  }

  // ---- pa (population annealing)
  range(add(key("pa.beta_max", V::kReal, "5.0",
                "Final inverse temperature of population annealing: β_a = beta_max a/A from β = 0.")),
        0.0, 1e12, true);
  range(add(key("pa.population", V::kInt, "1000", "Replicas R in a population (resampled at every step).")), 1,
        1e7);
  range(add(key("pa.sweeps_per_step", V::kInt, "1", "Metropolis sweeps of every replica after each resampling.")),
        1, 1e6);
  range(add(key("pa.runs", V::kInt, "1",
                "Independent populations per instance (spread over MPI ranks); the row reports all final "
                "members.")),
        1, 1e6);
  {
    auto& k = add(key("pa.kernel", V::kEnum, "auto", kernel_doc + " (not reference)."));
    k.choices = {"auto", "sparse", "dense", "pbody"};
  }

  // ---- backend
  {
    auto& k = add(key("backend.device", V::kEnum, "auto", "Where the engine runs: auto (GPU when present), cpu or cuda."));
    k.choices = {"auto", "cpu", "cuda"};
  }

  // ---- output
  add(key("output.path", V::kString, "\"\"",
          "Result file (HDF5). Empty: <config name>.<command>.h5 in the current directory. --output overrides."));
  return keys;
}

}  // namespace

const std::vector<SectionSpec>& configSections() {
  static const std::vector<SectionSpec> sections = {
      {"model", "The spin model (Hamiltonian and lattice)."},
      {"exact", "Exact results: `vna exact`."},
      {"ansatz", "The autoregressive network."},
      {"anneal", "Variational annealing: `vna anneal` (defaults: the seed paper's Table I)."},
      {"replicas", "Independent annealing replicas."},
      {"analysis", "Analysis of the annealed networks: `vna analyze` (also run at the end of `vna anneal`)."},
      {"landscape", "Loss landscapes L(θ* + αδ + βη) around annealing snapshots: `vna landscape`."},
      {"campaign", "Campaigns: `vna campaign` runs every method on every instance at every annealing length."},
      {"sa", "Simulated annealing (single-spin-flip Metropolis), a `vna campaign` method."},
      {"sqa", "Simulated quantum annealing (path-integral Monte Carlo, Santoro et al. 2002), a `vna campaign` method."},
      {"pt", "Parallel tempering (replica exchange, e.g. Mandrà et al., PRA 94, 022337 (2016)), a `vna campaign` "
             "method."},
      {"pa", "Population annealing (Wang, Machta, Katzgraber, PRE 92, 013303 (2015)), a `vna campaign` method."},
      {"backend", "Compute backend."},
      {"output", "Where results go."},
  };
  return sections;
}

const std::vector<KeySpec>& configKeys() {
  static const std::vector<KeySpec> keys = buildKeys();
  return keys;
}

const KeySpec* findKey(const std::string& path) {
  for (const auto& k : configKeys())
    if (k.path == path) return &k;
  return nullptr;
}

std::string kindName(ValueKind kind) {
  switch (kind) {
    case ValueKind::kInt: return "integer";
    case ValueKind::kReal: return "number";
    case ValueKind::kBool: return "boolean";
    case ValueKind::kString: return "string";
    case ValueKind::kEnum: return "choice";
    case ValueKind::kIntList: return "list of integers";
    case ValueKind::kRealList: return "list of numbers";
    case ValueKind::kStringList: return "list of strings";
    case ValueKind::kStringOrList: return "string or list of strings";
  }
  return "?";
}

std::string inputReferenceMarkdown() {
  std::string md =
      "# Input reference\n\n"
      "Every vna command reads one YAML file. Unknown keys, wrong types and out-of-range values are errors that\n"
      "name the key and the line. Any key can be overridden on the command line with `--set section.key=value`\n"
      "(the value is parsed as YAML, e.g. `--set exact.temperatures=[0.5,1]`). The resolved config, with every\n"
      "default filled in, is stored in each output file (root attribute `config` of the HDF5 file).\n\n"
      "The YAML is read strictly: a key given twice (at any depth), a second document (after `---` or `...`,\n"
      "or text after a closed `{...}`), keys that are not plain names and non-finite numbers (`.inf`, `.nan`,\n"
      "`1e400`, also in lists and `--set` values) are errors. A config must give at least the section of the\n"
      "command (`model`; `vna landscape` and `vna analyze` also accept their own section, since the model\n"
      "comes from the source file): an empty or comments-only file is an error, not a run on defaults. Keys\n"
      "that the command does not read (another command's section, `anneal.gamma0` in classical mode, `sa`\n"
      "when `campaign.methods` has no sa) are listed in a note; `backend.device: cuda` for `vna exact`, which\n"
      "runs on the host only, is an error. Sizes are checked before anything is allocated: a job whose\n"
      "memory estimate exceeds what a rank may use, or whose result file exceeds the free disk, is an error\n"
      "naming the keys to lower (doc/cluster.md, \"Estimating time and memory\").\n\n"
      "This page is generated from the schema in src/config/schema.cpp (`vna schema`); a test keeps them equal.\n";
  for (const auto& section : configSections()) {
    md += fmt::format("\n## `{}`\n\n{}\n\n| key | type | default | allowed | description |\n|---|---|---|---|---|\n",
                      section.name, section.doc);
    for (const auto& k : configKeys()) {
      if (k.path.rfind(section.name + ".", 0) != 0) continue;
      std::string allowed;
      if (!k.choices.empty()) {
        for (const auto& c : k.choices) allowed += (allowed.empty() ? "" : ", ") + fmt::format("`{}`", c);
      } else if (k.min || k.max) {
        const std::string lo = k.min ? fmt::format("{}{}", k.min_exclusive ? "> " : "≥ ", *k.min) : "";
        const std::string hi = k.max ? fmt::format("≤ {}", *k.max) : "";
        allowed = lo + (!lo.empty() && !hi.empty() ? ", " : "") + hi;
      }
      if (!k.when_key.empty()) {
        std::string vals;
        for (const auto& v : k.when_values) vals += (vals.empty() ? "" : ", ") + v;
        allowed += (allowed.empty() ? "" : "; ") + fmt::format("only when {} is {}", k.when_key, vals);
      }
      std::string def = k.required ? "required" : (k.default_yaml.empty() ? "—" : "`" + k.default_yaml + "`");
      if (!k.defaults_by.empty()) {
        std::string by;
        for (const auto& [value, d] : k.defaults_by) by += (by.empty() ? "" : ", ") + fmt::format("`{}` for {}", d, value);
        def = fmt::format("{}, otherwise {} (by {})", by, def, k.default_key);
      }
      md += fmt::format("| `{}` | {} | {} | {} | {} |\n", k.path, kindName(k.kind), def, allowed, k.doc);
    }
  }
  md +=
      "\n## Coupling files (`model.type: coupling_file`)\n\n"
      "List format: one line `i j J` per coupling (the term −J σ_i σ_j) or `i i h` per field (−h σ_i); `#`\n"
      "starts a comment; header comments `# index_base: 0|1` and `# spins: N`. Matrix format: N rows of N\n"
      "numbers, symmetric with a zero diagonal (H = −½ sᵀJs). Every problem is an error naming the file and the\n"
      "line:\n\n"
      "- numbers must be finite; a pair or a field given twice is an error;\n"
      "- without `# spins: N`, N is the largest index + 1 − base, and every spin must appear in a line: an\n"
      "  index far above the others (a typo such as 67108864 among indices below 100, which would make a model\n"
      "  of millions of free spins), spin 0 missing from a file read with index base 0 whose smallest index is\n"
      "  1 (a 1-based file, or `model.index_base: 0` given for one), and spins missing in between are refused;\n"
      "  `# spins: N` declares N explicitly and allows spins without couplings (each doubles the degeneracy);\n"
      "- the energy scale Σ|J| + Σ|h| (the largest |H| any configuration can have) must be at most 1e30, so that\n"
      "  energies, their variances and the gradients of float networks stay finite; this bound applies to every\n"
      "  model (`model.J: 1e308` is refused the same way).\n";
  return md;
}

}  // namespace vna
