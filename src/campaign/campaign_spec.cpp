#include "campaign/campaign_spec.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "config/schema.hpp"
#include "core/error.hpp"
#include "model/coupling_file.hpp"

namespace vna {

const char* campaignMethodName(CampaignMethod m) {
  switch (m) {
    case CampaignMethod::kVca:
      return "vca";
    case CampaignMethod::kVqa:
      return "vqa";
    case CampaignMethod::kSa:
      return "sa";
    case CampaignMethod::kSqa:
      return "sqa";
    case CampaignMethod::kPt:
      return "pt";
    case CampaignMethod::kPa:
      return "pa";
  }
  return "?";
}

bool isVariational(CampaignMethod m) { return m == CampaignMethod::kVca || m == CampaignMethod::kVqa; }

bool CampaignSpec::usesVariational() const { return std::any_of(methods.begin(), methods.end(), isVariational); }

int CampaignSpec::replicasOf(CampaignMethod m, int variational_replicas) const {
  switch (m) {
    case CampaignMethod::kSa:
      return sa.replicas;
    case CampaignMethod::kSqa:
      return sqa.replicas;
    case CampaignMethod::kPt:
      return pt.runs;
    case CampaignMethod::kPa:
      return pa.runs * pa.population;
    default:
      return variational_replicas;
  }
}

bool isCampaignConfig(const Config& c) {
  for (const char* k :
       {"campaign.methods", "campaign.annealing_steps", "campaign.realizations", "campaign.first_realization",
        "campaign.sizes", "campaign.ground_states", "campaign.ground_energies", "campaign.planted_all_up"})
    if (c.given(k)) return true;
  return false;
}

std::vector<double> readNumberList(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("{}: cannot open: {}", path, std::strerror(errno)));
  std::vector<double> out;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::replace(line.begin(), line.end(), ',', ' ');
    std::istringstream ss(line);
    std::string tok;
    bool first = true;
    while (ss >> tok) {
      errno = 0;
      char* end = nullptr;
      const double v = std::strtod(tok.c_str(), &end);
      const bool ok = end != tok.c_str() && *end == '\0' && errno != ERANGE && std::isfinite(v);
      if (!ok) {
        if (first) break;  // a header line
        throw InputError(fmt::format("{}:{}: '{}' is not a number", path, number, tok));
      }
      first = false;
      out.push_back(v);
    }
  }
  return out;
}

namespace {

CampaignMethod parseMethod(const Config& c, const std::string& name) {
  if (name == "vca") return CampaignMethod::kVca;
  if (name == "vqa") return CampaignMethod::kVqa;
  if (name == "sa") return CampaignMethod::kSa;
  if (name == "sqa") return CampaignMethod::kSqa;
  if (name == "pt") return CampaignMethod::kPt;
  if (name == "pa") return CampaignMethod::kPa;
  c.fail("campaign.methods", fmt::format("unknown method '{}' (expected vca, vqa, sa, sqa, pt or pa)", name));
}

// Fills {r}, {r+1} and {seed} (model.seed + r) in a ground-state file pattern.
std::string expandPattern(std::string p, int r, std::optional<std::uint64_t> seed, const Config& c) {
  auto replace = [&](const std::string& what, const std::string& with) {
    for (auto pos = p.find(what); pos != std::string::npos; pos = p.find(what, pos + with.size()))
      p.replace(pos, what.size(), with);
  };
  if (p.find("{seed}") != std::string::npos && !seed)
    c.fail("campaign.ground_states", "{seed} is only defined for seeded model families; use {r} or {r+1}");
  replace("{r+1}", std::to_string(r + 1));
  replace("{r}", std::to_string(r));
  if (seed) replace("{seed}", std::to_string(*seed));
  return p;
}

void applySize(ModelSpec& spec, int size) {
  if (spec.type == "newman_moore")
    spec.L = size;
  else if (spec.type == "edwards_anderson")
    spec.Lx = spec.Ly = size;
  else
    spec.N = size;  // ising_chain, sherrington_kirkpatrick, wishart_planted
}

}  // namespace

namespace {

// campaign.methods, campaign.annealing_steps, the schedule shape and seeds.
void readMethods(const Config& c, CampaignSpec& s) {
  std::set<CampaignMethod> seen;
  for (const auto& name : c.getStringList("campaign.methods")) {
    const CampaignMethod m = parseMethod(c, name);
    if (!seen.insert(m).second) c.fail("campaign.methods", fmt::format("method '{}' is listed twice", name));
    s.methods.push_back(m);
  }
  if (s.methods.empty()) c.fail("campaign.methods", "needs at least one method");
  s.steps = c.getIntList("campaign.annealing_steps");
  if (s.steps.empty()) c.fail("campaign.annealing_steps", "needs at least one annealing length");
  for (std::size_t i = 0; i < s.steps.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (s.steps[i] == s.steps[j]) c.fail("campaign.annealing_steps", fmt::format("{} is listed twice", s.steps[i]));
  s.shape = parseScheduleShape(c.getString("anneal.schedule"));
  s.seed = static_cast<std::uint64_t>(c.getInt("campaign.seed"));
  s.max_enumeration_spins = static_cast<int>(c.getInt("campaign.max_enumeration_spins"));
}

// The sa, sqa, pt and pa sections.
void readMonteCarloSettings(const Config& c, CampaignSpec& s) {
  s.sa.T0 = c.getReal("sa.T0");
  s.sa.sweeps_per_step = static_cast<int>(c.getInt("sa.sweeps_per_step"));
  s.sa.replicas = static_cast<int>(c.getInt("sa.replicas"));
  s.sqa.gamma0 = c.getReal("sqa.gamma0");
  s.sqa.gamma_min = c.getReal("sqa.gamma_min");
  s.sqa.temperature = c.getReal("sqa.T");
  s.sqa.slices = static_cast<int>(c.getInt("sqa.trotter_slices"));
  s.sqa.sweeps_per_step = static_cast<int>(c.getInt("sqa.sweeps_per_step"));
  s.sqa.replicas = static_cast<int>(c.getInt("sqa.replicas"));
  s.sqa.global_moves = c.getBool("sqa.global_moves");
  if (s.sqa.gamma_min > s.sqa.gamma0) c.fail("sqa.gamma_min", "must not exceed sqa.gamma0");
  s.sa.warmup_sweeps = c.getInt("sa.warmup_sweeps");
  s.sa.kernel = parseMcKernel(c.getString("sa.kernel"));
  s.sa.multispin_draws =
      c.getString("sa.multispin_draws") == "shared" ? MultiSpinRandom::kShared : MultiSpinRandom::kIndependent;
  s.sqa.kernel = parseMcKernel(c.getString("sqa.kernel"));
  s.pt.T_min = c.getReal("pt.T_min");
  s.pt.T_max = c.getReal("pt.T_max");
  if (s.pt.T_max < s.pt.T_min) c.fail("pt.T_max", "must not be below pt.T_min");
  s.pt.temperatures = static_cast<int>(c.getInt("pt.temperatures"));
  s.pt.sweeps_per_step = static_cast<int>(c.getInt("pt.sweeps_per_step"));
  s.pt.runs = static_cast<int>(c.getInt("pt.runs"));
  s.pt.kernel = parseMcKernel(c.getString("pt.kernel"));
  s.pa.beta_max = c.getReal("pa.beta_max");
  s.pa.population = static_cast<int>(c.getInt("pa.population"));
  s.pa.sweeps_per_step = static_cast<int>(c.getInt("pa.sweeps_per_step"));
  s.pa.runs = static_cast<int>(c.getInt("pa.runs"));
  s.pa.kernel = parseMcKernel(c.getString("pa.kernel"));
  if (static_cast<double>(s.pt.runs) * s.pt.temperatures > 4294967295.0)
    c.fail("pt.runs", "pt.runs × pt.temperatures replicas exceed the 2^32 replica ids of a stream");
  if (static_cast<double>(s.pa.runs) * s.pa.population > 4294967295.0)
    c.fail("pa.runs", "pa.runs × pa.population replicas exceed the 2^32 replica ids of a stream");
}

// Which instances: campaign.sizes × realizations first .. first + count − 1.
struct InstanceRange {
  std::vector<int> sizes;  // 0: the model section's size
  int first = 0, count = 1;
  bool seeded = false;  // a seeded disorder family (realization r has seed model.seed + r)
};

InstanceRange readInstanceRange(const Config& c, const ModelSpec& base) {
  InstanceRange range;
  if (c.has("campaign.sizes"))
    for (auto v : c.getIntList("campaign.sizes")) range.sizes.push_back(static_cast<int>(v));
  if (range.sizes.empty()) range.sizes.push_back(0);
  for (std::size_t i = 0; i < range.sizes.size(); ++i)
    if (std::count(range.sizes.begin(), range.sizes.end(), range.sizes[i]) > 1)
      c.fail("campaign.sizes", fmt::format("size {} is listed twice", range.sizes[i]));
  // A size stands for a model key (applySize): the same bounds apply.
  if (c.given("campaign.sizes")) {
    const std::string key = base.type == "newman_moore" ? "model.L" : base.type == "edwards_anderson" ? "model.Lx" : "model.N";
    const KeySpec* k = findKey(key);
    for (int v : range.sizes)
      if ((k->min && v < *k->min) || (k->max && v > *k->max))
        c.fail("campaign.sizes", fmt::format("size {} is out of range for {} (it sets {}, which must be in [{}, {}])", v,
                                             base.type, key, k->min.value_or(0), k->max.value_or(0)));
  }
  const int first = range.first = static_cast<int>(c.getInt("campaign.first_realization"));
  int R = static_cast<int>(c.getInt("campaign.realizations"));
  if (base.type == "coupling_file") {
    const int available = static_cast<int>(base.paths.size());
    if (first >= available)
      c.fail("campaign.first_realization",
             fmt::format("{} but model.path lists only {} file{}", first, available, available == 1 ? "" : "s"));
    if (R == 0) R = available - first;
    if (first + R > available)
      c.fail("campaign.realizations", fmt::format("realizations {}..{} need {} files but model.path lists {}", first,
                                                  first + R - 1, first + R, available));
  } else if (R == 0) {
    R = 1;
  }
  range.count = R;
  range.seeded =
      base.type == "edwards_anderson" || base.type == "sherrington_kirkpatrick" || base.type == "wishart_planted";
  return range;
}

// Ground truth given with the instances: ground-state files, listed energies, a planted state.
struct GivenTruth {
  std::vector<std::string> gs_files;
  std::string energies_file;
  std::vector<double> listed;  // E0/N per realization
  bool planted_all_up = false;
  int gs_base = 1;
};

GivenTruth readGivenTruth(const Config& c, const InstanceRange& range) {
  GivenTruth g;
  g.gs_files = c.getStringList("campaign.ground_states");
  g.gs_files.erase(std::remove(g.gs_files.begin(), g.gs_files.end(), std::string()), g.gs_files.end());
  g.energies_file = c.getString("campaign.ground_energies");
  g.planted_all_up = c.getBool("campaign.planted_all_up");
  g.gs_base = static_cast<int>(c.getInt("campaign.ground_states_index_base"));
  const int first = range.first, R = range.count;
  if ((!g.gs_files.empty() || !g.energies_file.empty()) && range.sizes.size() > 1)
    c.fail(g.gs_files.empty() ? "campaign.ground_energies" : "campaign.ground_states",
           "is given per realization, so it needs a single size (campaign.sizes has several)");
  if (g.gs_files.size() > 1 && static_cast<int>(g.gs_files.size()) != R + first &&
      static_cast<int>(g.gs_files.size()) != R)
    c.fail("campaign.ground_states",
           fmt::format("lists {} files; give one per realization ({} or, counted from realization 0, {}) or one "
                       "pattern with {{r}}, {{r+1}} or {{seed}}",
                       g.gs_files.size(), R, first + R));
  if (!g.energies_file.empty()) {
    const std::string path = c.resolvePath(g.energies_file).lexically_normal().string();
    if (!std::filesystem::exists(path)) c.fail("campaign.ground_energies", fmt::format("file '{}' not found", path));
    g.listed = readNumberList(path);
    if (static_cast<int>(g.listed.size()) < first + R)
      c.fail("campaign.ground_energies",
             fmt::format("'{}' holds {} values but realizations up to {} are used (the r-th value belongs to "
                         "realization r)",
                         path, g.listed.size(), first + R - 1));
  }
  return g;
}

// The ground truth of realization r from the model itself or what the config gives.
GroundTruthInfo truthOf(const Config& c, const GivenTruth& g, const InstanceRange& range, const ModelSpec& spec, int r,
                        CampaignInstance& inst, CampaignSpec& s) {
  const Hamiltonian& h = inst.model.hamiltonian;
  const int N = h.numSpins();
  GroundTruthInfo t;
  if (inst.model.ground_energy) {
    t.energy = inst.model.ground_energy;
    t.origin = inst.model.ground_truth_origin;
    t.exact_energy = true;
  } else if (g.planted_all_up) {
    t.energy = h.energy(std::vector<Bit>(N, 1));
    t.origin = "planted (all spins up, campaign.planted_all_up)";
    t.exact_energy = true;
  } else if (!g.gs_files.empty()) {
    std::string p;
    if (g.gs_files.size() == 1)
      p = expandPattern(g.gs_files[0], r, range.seeded ? std::optional<std::uint64_t>(spec.seed + r) : std::nullopt, c);
    else
      p = g.gs_files[static_cast<int>(g.gs_files.size()) == range.count ? r - range.first : r];
    p = c.resolvePath(p).lexically_normal().string();
    if (!std::filesystem::exists(p))
      c.fail("campaign.ground_states", fmt::format("ground-state file '{}' (realization {}) not found", p, r));
    t.energy = h.energy(readSpinUpList(p, N, g.gs_base));
    s.input_files.emplace_back(p, "a ground-state file (campaign.ground_states)");
    t.origin = "ground-state file " + p;
    t.exact_energy = true;
  }
  if (!g.listed.empty()) {
    inst.listed_energy = g.listed[r] * N;
    // Origin of 1e-7 per spin: the published files' listed energies agree with their ground
    // states to about 4e-8 per spin (data/README.md).
    const double listed_tol = 1e-7 * N;
    if (t.energy && std::abs(*t.energy - *inst.listed_energy) > listed_tol)
      c.fail("campaign.ground_energies",
             fmt::format("realization {}: listed E0/N = {:.10f} but the {} gives {:.10f} (more than 1e-7 apart)", r,
                         g.listed[r], t.origin, *t.energy / N));
    if (!t.energy) {
      t.energy = inst.listed_energy;
      t.origin = "listed energy in " + c.resolvePath(g.energies_file).lexically_normal().string();
      t.tolerance = listed_tol;
    }
  }
  if (t.energy && t.exact_energy) t.tolerance = 1e-9 * std::max(1.0, std::abs(*t.energy));
  return t;
}

bool usesMethod(const CampaignSpec& s, CampaignMethod m) {
  return std::find(s.methods.begin(), s.methods.end(), m) != s.methods.end();
}

// A Monte Carlo step numbers the attempts of a replica with 32-bit counters (lane_random.hpp).
void checkStreamBudget(const Config& c, const CampaignSpec& s, int N) {
  const auto uses = [&](CampaignMethod m) { return usesMethod(s, m); };
  if (uses(CampaignMethod::kSa) && static_cast<double>(s.sa.sweeps_per_step) * N > 0x1p32)
    c.fail("sa.sweeps_per_step", fmt::format("{} sweeps of {} spins per step exceed the 2^32 attempts of a step's "
                                             "stream: use more steps with fewer sweeps",
                                             s.sa.sweeps_per_step, N));
  if (uses(CampaignMethod::kSqa) && static_cast<double>(s.sqa.sweeps_per_step) * N * (s.sqa.slices + 1) > 0x1p32)
    c.fail("sqa.sweeps_per_step", fmt::format("{} sweeps of {} spins x {} slices per step exceed the 2^32 attempts "
                                              "of a step's stream: use more steps with fewer sweeps",
                                              s.sqa.sweeps_per_step, N, s.sqa.slices));
  for (const auto& [m, key, sweeps] : {std::tuple{CampaignMethod::kPt, "pt.sweeps_per_step", s.pt.sweeps_per_step},
                                       std::tuple{CampaignMethod::kPa, "pa.sweeps_per_step", s.pa.sweeps_per_step}})
    if (uses(m) && static_cast<double>(sweeps) * N > 0x1p32)
      c.fail(key, fmt::format("{} sweeps of {} spins per step exceed the 2^32 attempts of a step's stream", sweeps, N));
  if (uses(CampaignMethod::kSa) && static_cast<double>(s.sa.warmup_sweeps) * N > 0x1p28)
    c.fail("sa.warmup_sweeps", fmt::format("{} warm-up sweeps of {} spins exceed the draws of one stream (2^28 "
                                           "attempts, the multispin kernel's limit)",
                                           s.sa.warmup_sweeps, N));
}

// A kernel named in the config must apply to every instance (auto always does).
void checkKernelsApply(const Config& c, const CampaignSpec& s, const CampaignInstance& inst) {
  const auto uses = [&](CampaignMethod m) { return usesMethod(s, m); };
  const std::pair<CampaignMethod, std::pair<const char*, McKernel>> kernels[] = {
      {CampaignMethod::kSa, {"sa.kernel", s.sa.kernel}},
      {CampaignMethod::kSqa, {"sqa.kernel", s.sqa.kernel}},
      {CampaignMethod::kPt, {"pt.kernel", s.pt.kernel}},
      {CampaignMethod::kPa, {"pa.kernel", s.pa.kernel}}};
  for (const auto& [m, key_kernel] : kernels) {
    if (!uses(m) || key_kernel.second == McKernel::kAuto) continue;
    try {
      chooseMcKernel(buildMcModel(inst.model.hamiltonian), key_kernel.second, m == CampaignMethod::kSa);
    } catch (const Error& e) {
      c.fail(key_kernel.first, fmt::format("{} (instance {}, {})", e.what(), inst.index, inst.model.description));
    }
  }
}

}  // namespace

CampaignSpec campaignSpecFromConfig(const Config& c, const ModelSpec& base) {
  CampaignSpec s;
  readMethods(c, s);
  readMonteCarloSettings(c, s);
  const InstanceRange range = readInstanceRange(c, base);
  const GivenTruth given = readGivenTruth(c, range);
  if (!given.energies_file.empty())
    s.input_files.emplace_back(c.resolvePath(given.energies_file).lexically_normal().string(),
                               "the campaign.ground_energies file");
  int index = 0;
  for (int size : range.sizes) {
    ModelSpec spec = base;
    if (size > 0) applySize(spec, size);
    for (int r = range.first; r < range.first + range.count; ++r, ++index) {
      CampaignInstance inst;
      inst.index = index;
      inst.size = size;
      inst.realization = r;
      try {
        inst.model = buildModel(spec, r);
      } catch (const InputError& e) {
        throw InputError(fmt::format("{} (model defined at {})", e.what(), c.where("model.type")));
      }
      if (!inst.model.source.empty()) s.input_files.emplace_back(inst.model.source, "a coupling file (model.path)");
      inst.truth = truthOf(c, given, range, spec, r, inst, s);
      checkStreamBudget(c, s, inst.model.hamiltonian.numSpins());
      checkKernelsApply(c, s, inst);
      s.instances.push_back(std::move(inst));
    }
  }
  return s;
}

}  // namespace vna
