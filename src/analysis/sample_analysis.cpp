#include "analysis/sample_analysis.hpp"

#include <fmt/format.h>

#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <map>

#include <cstring>

#include "core/error.hpp"
#include "core/signals.hpp"
#include "exact/enumeration.hpp"
#include "io/h5.hpp"
#include "network/network.hpp"

namespace vna {

GroundTruth groundTruthFor(const Model& model, const Comm& comm) {
  GroundTruth t;
  if (model.ground_energy) {
    t.energy = model.ground_energy;
    t.origin = model.ground_truth_origin;
    if (!model.ground_states.empty()) t.reference = model.ground_states.front();
    t.degeneracy = model.num_ground_states;
  } else if (model.hamiltonian.numSpins() <= 20) {
    const EnumerationResult e = enumerateExhaustively(model.hamiltonian, {}, comm, 1);
    t.energy = e.ground_energy;
    t.origin = "exhaustive enumeration";
    t.degeneracy = e.num_ground_states;
    if (!e.ground_states.empty()) t.reference = e.ground_states.front();
  }
  return t;
}

namespace {

// The samples of every replica in batches of kAnalysisBatch, dealt to the ranks cyclically; partial
// sums per (replica, batch), combined in batch order on every rank.
class SampleAnalysis {
 public:
  SampleAnalysis(const AnalysisSettings& st, const Model& model, const GroundTruth& truth, int R)
      : st_(st), truth_(truth), R_(R), N_(model.hamiltonian.numSpins()), M_(st.samples),
        B_(std::min<std::int64_t>(kAnalysisBatch, st.samples)), batches_((M_ + B_ - 1) / B_),
        tol_(truth.energy ? 1e-9 * std::max(1.0, std::abs(*truth.energy)) : 0.0),
        sums_(static_cast<std::size_t>(R) * batches_ * 3, 0.0),
        counts_(static_cast<std::size_t>(R) * batches_ * 2, 0),
        hist_(truth.reference ? static_cast<std::size_t>(R) * (N_ + 1) : 0, 0),
        gs_(R) {}

  std::int64_t batchSize() const { return B_; }
  std::int64_t numBatches() const { return batches_; }

  // Batch b's samples [R][B] (configurations and energies of the network's last sample()).
  void addBatch(std::int64_t b, const std::vector<Bit>& bits, const std::vector<double>& energies) {
    const std::int64_t count = std::min(B_, M_ - b * B_);
    for (int r = 0; r < R_; ++r) {
      double sum_e = 0, sum_e2 = 0, min_e = INFINITY;
      std::int64_t gs = 0;
      for (std::int64_t k = 0; k < count; ++k) {
        const double e = energies[static_cast<std::size_t>(r) * B_ + k];
        sum_e += e;
        sum_e2 += e * e;
        min_e = std::min(min_e, e);
        const Bit* row = &bits[(static_cast<std::size_t>(r) * B_ + k) * N_];
        if (truth_.energy && std::abs(e - *truth_.energy) <= tol_) {
          ++gs;
          countGroundState(r, row);
        }
        if (truth_.reference) {
          int d = 0;
          for (int i = 0; i < N_; ++i) d += row[i] != (*truth_.reference)[i];
          ++hist_[static_cast<std::size_t>(r) * (N_ + 1) + d];
        }
        if (b * B_ + k < st_.stored) store(r, b * B_ + k, row, e);
      }
      const std::size_t idx = static_cast<std::size_t>(r) * batches_ + b;
      sums_[3 * idx] = sum_e;
      sums_[3 * idx + 1] = sum_e2;
      sums_[3 * idx + 2] = -min_e;  // summed with zeros elsewhere: exact
      counts_[2 * idx] = count;
      counts_[2 * idx + 1] = gs;
    }
  }

  // Collective: every rank's batches combined.
  std::vector<ReplicaAnalysis> results(const Comm& comm) {
    comm.sumInPlace(sums_);
    comm.sumInPlace(counts_);
    comm.sumInPlace(hist_);
    std::vector<ReplicaAnalysis> out(R_);
    for (int r = 0; r < R_; ++r) energyStatistics(r, out[r]);
    mergeGroundStates(comm, out);
    gatherStored(comm, out);
    for (int r = 0; r < R_; ++r) storedPca(out[r]);
    return out;
  }

 private:
  void countGroundState(int r, const Bit* row) {
    std::vector<Bit> key(row, row + N_);
    auto it = gs_[r].find(key);
    if (it != gs_[r].end())
      ++it->second;
    else if (static_cast<std::int64_t>(gs_[r].size()) < kMaxDistinctGroundStates)
      gs_[r].emplace(std::move(key), 1);
  }

  // Rows of replica (4 bytes), sample id (8 bytes) and bits (N).
  void store(int r, std::int64_t id, const Bit* row, double e) {
    const std::uint32_t rr = static_cast<std::uint32_t>(r);
    const std::uint64_t ii = static_cast<std::uint64_t>(id);
    const auto* pr = reinterpret_cast<const std::uint8_t*>(&rr);
    const auto* pi = reinterpret_cast<const std::uint8_t*>(&ii);
    stored_.insert(stored_.end(), pr, pr + 4);
    stored_.insert(stored_.end(), pi, pi + 8);
    stored_.insert(stored_.end(), row, row + N_);
    stored_energy_.push_back(e);
  }

  void energyStatistics(int r, ReplicaAnalysis& a) const {
    double se = 0, se2 = 0, mn = INFINITY;
    for (std::int64_t b = 0; b < batches_; ++b) {
      const std::size_t idx = static_cast<std::size_t>(r) * batches_ + b;
      se += sums_[3 * idx];
      se2 += sums_[3 * idx + 1];
      mn = std::min(mn, -sums_[3 * idx + 2]);
      a.samples += counts_[2 * idx];
      a.ground_state_count += counts_[2 * idx + 1];
    }
    a.mean_energy = se / a.samples;
    const double var = std::max(0.0, se2 / a.samples - a.mean_energy * a.mean_energy);
    a.energy_err = std::sqrt(var / std::max<std::int64_t>(1, a.samples - 1));
    a.min_energy = mn;
    if (truth_.reference) a.hamming_histogram.assign(hist_.begin() + r * (N_ + 1), hist_.begin() + (r + 1) * (N_ + 1));
  }

  // Distinct ground states: gather (replica, count, bits) records and merge.
  void mergeGroundStates(const Comm& comm, std::vector<ReplicaAnalysis>& out) const {
    std::vector<std::uint8_t> recs;
    for (int r = 0; r < R_; ++r)
      for (const auto& [key, cnt] : gs_[r]) {
        const std::uint32_t rr = r;
        const std::int64_t cc = cnt;
        recs.insert(recs.end(), reinterpret_cast<const std::uint8_t*>(&rr), reinterpret_cast<const std::uint8_t*>(&rr) + 4);
        recs.insert(recs.end(), reinterpret_cast<const std::uint8_t*>(&cc), reinterpret_cast<const std::uint8_t*>(&cc) + 8);
        recs.insert(recs.end(), key.begin(), key.end());
      }
    const auto all = comm.allGatherV(recs);
    std::vector<std::map<std::vector<Bit>, std::int64_t>> merged(R_);
    for (std::size_t off = 0; off < all.size(); off += 12 + N_) {
      std::uint32_t rr;
      std::int64_t cc;
      std::memcpy(&rr, &all[off], 4);
      std::memcpy(&cc, &all[off + 4], 8);
      merged[rr][std::vector<Bit>(all.begin() + off + 12, all.begin() + off + 12 + N_)] += cc;
    }
    for (int r = 0; r < R_; ++r) {
      for (auto& [key, cnt] : merged[r]) out[r].ground_states.emplace_back(key, cnt);
      std::stable_sort(out[r].ground_states.begin(), out[r].ground_states.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      if (static_cast<std::int64_t>(out[r].ground_states.size()) > kMaxDistinctGroundStates) {
        out[r].ground_states.resize(kMaxDistinctGroundStates);
        out[r].ground_states_truncated = true;
      }
    }
  }

  void gatherStored(const Comm& comm, std::vector<ReplicaAnalysis>& out) const {
    const auto stored_all = comm.allGatherV(stored_);
    const auto stored_e_all = comm.allGatherV(stored_energy_);
    const std::int64_t S = std::min(st_.stored, M_);
    for (int r = 0; r < R_; ++r) {
      out[r].stored_bits.assign(static_cast<std::size_t>(S) * N_, 0);
      out[r].stored_energy.assign(S, 0.0);
    }
    for (std::size_t row = 0, off = 0; off < stored_all.size(); ++row, off += 12 + N_) {
      std::uint32_t rr;
      std::uint64_t ii;
      std::memcpy(&rr, &stored_all[off], 4);
      std::memcpy(&ii, &stored_all[off + 4], 8);
      std::copy(stored_all.begin() + off + 12, stored_all.begin() + off + 12 + N_, out[rr].stored_bits.begin() + ii * N_);
      out[rr].stored_energy[ii] = stored_e_all[row];
    }
  }

  // PCA coordinates of the stored samples (σ = ±1, centred), signs fixed: deterministic output.
  void storedPca(ReplicaAnalysis& a) const {
    const std::int64_t S = static_cast<std::int64_t>(a.stored_energy.size());
    if (S < 2) return;
    Eigen::MatrixXd X(S, N_);
    for (std::int64_t k = 0; k < S; ++k)
      for (int i = 0; i < N_; ++i) X(k, i) = 2.0 * a.stored_bits[k * N_ + i] - 1.0;
    X.rowwise() -= X.colwise().mean();
    Eigen::BDCSVD<Eigen::MatrixXd> svd(X, Eigen::ComputeThinU);
    const auto& sv = svd.singularValues();
    const double total = sv.squaredNorm();
    a.pca.assign(static_cast<std::size_t>(S) * 2, 0.0);
    a.pca_explained.assign(2, 0.0);
    for (int c = 0; c < 2 && c < sv.size(); ++c) {
      // The largest loading positive.
      const Eigen::VectorXd u = svd.matrixU().col(c);
      Eigen::Index imax = 0;
      u.cwiseAbs().maxCoeff(&imax);
      const double sign = u(imax) < 0 ? -1.0 : 1.0;
      for (std::int64_t k = 0; k < S; ++k) a.pca[2 * k + c] = sign * u(k) * sv(c);
      a.pca_explained[c] = total > 0 ? sv(c) * sv(c) / total : 0.0;
    }
  }

  const AnalysisSettings& st_;
  const GroundTruth& truth_;
  const int R_, N_;
  const std::int64_t M_, B_, batches_;
  const double tol_;
  std::vector<double> sums_;  // [replica][batch]: sum_e, sum_e2, −min
  std::vector<std::int64_t> counts_, hist_;
  std::vector<std::map<std::vector<Bit>, std::int64_t>> gs_;
  std::vector<std::uint8_t> stored_;
  std::vector<double> stored_energy_;
};

}  // namespace

std::vector<ReplicaAnalysis> analyzeReplicas(const Comm& comm, const AnalysisSettings& settings, const Model& model,
                                             const GroundTruth& truth, const std::vector<double>& params, int R,
                                             const Log& log) {
  Network network(settings.ansatz, model.lattice, model.hamiltonian);
  const std::size_t n = network.numParams();
  if (params.size() != static_cast<std::size_t>(R) * n)
    throw Error(fmt::format("analysis: {} parameters for {} replicas of {}", params.size(), R, n));
  std::vector<std::uint32_t> ids(R);
  for (int r = 0; r < R; ++r) ids[r] = static_cast<std::uint32_t>(r);
  SampleNeeds needs;
  needs.configurations = true;
  SampleAnalysis analysis(settings, model, truth, R);
  const std::int64_t B = analysis.batchSize(), batches = analysis.numBatches();
  // Rounds of one batch per rank; before each, the ranks agree on whether a signal asked them to stop
  // (the analysis has no checkpoint of its own: it is repeated on --resume).
  const std::int64_t rounds = (batches + comm.size() - 1) / comm.size();
  for (std::int64_t round = 0; round < rounds; ++round) {
    if (comm.max(stopRequested() ? 1.0 : 0.0) > 0)
      throw Interrupted(fmt::format("stopped by a signal in the analysis, after {} of {} batches",
                                    std::min(batches, round * comm.size()), batches));
    const std::int64_t b = round * comm.size() + comm.rank();
    if (b >= batches) continue;
    SampleCounters c;
    c.seed = settings.seed;
    c.step = kAnalysisStep;
    c.first_sample = static_cast<std::uint32_t>(b * B);
    network.sample(ParameterSets::explicitSets(params, n), ids, c, static_cast<int>(B), needs);
    analysis.addBatch(b, network.configurations(), network.energies());
    if (log.enabled() && batches > 20 && (b / comm.size()) % 20 == 0) log.info("analysis: batch {} of {}", b + 1, batches);
  }
  return analysis.results(comm);
}

void writeAnalysis(hid_t root, const Comm& comm, const AnalysisSettings& st, const Model& model,
                   const GroundTruth& truth, const std::vector<ReplicaAnalysis>& res) {
  const int rank = comm.rank();
  if (h5::exists(root, "analysis")) VNA_H5(H5Ldelete(root, "analysis", H5P_DEFAULT));
  h5::Handle g = h5::createGroup(root, "analysis");
  const int N = model.hamiltonian.numSpins();
  const hsize_t R = res.size();
  h5::writeAttribute(g, "samples_per_replica", st.samples);
  h5::writeAttribute(g, "sampling_seed", static_cast<std::int64_t>(st.seed));
  h5::writeAttribute(g, "sampling_step_counter", static_cast<std::int64_t>(kAnalysisStep));
  if (truth.energy) {
    h5::writeAttribute(g, "ground_energy", *truth.energy);
    h5::writeAttribute(g, "ground_truth_origin", truth.origin);
  }
  if (truth.degeneracy) h5::writeAttribute(g, "exact_degeneracy", *truth.degeneracy);
  std::vector<double> mean, err, mn, frac;
  std::vector<std::int64_t> distinct;
  for (const auto& a : res) {
    mean.push_back(a.mean_energy / N);
    err.push_back(a.energy_err / N);
    mn.push_back(a.min_energy / N);
    frac.push_back(truth.energy ? static_cast<double>(a.ground_state_count) / a.samples : NAN);
    distinct.push_back(static_cast<std::int64_t>(a.ground_states.size()));
  }
  h5::writeDataset(g, "mean_energy_per_spin", mean, rank);
  h5::writeDataset(g, "mean_energy_per_spin_err", err, rank);
  h5::writeDataset(g, "min_energy_per_spin", mn, rank);
  h5::writeDataset(g, "ground_state_fraction", frac, rank);
  h5::writeDataset(g, "distinct_ground_states", distinct, rank);
  if (truth.energy) {
    std::vector<double> residual;
    for (const auto& a : res) residual.push_back((a.mean_energy - *truth.energy) / N);
    h5::writeDataset(g, "residual_energy_per_spin", residual, rank);
  }
  // Ground states found: one row per (replica, state).
  std::vector<std::uint8_t> gbits;
  std::vector<std::int64_t> grep, gcount;
  std::vector<double> gprob;
  for (std::size_t r = 0; r < res.size(); ++r)
    for (const auto& [key, cnt] : res[r].ground_states) {
      gbits.insert(gbits.end(), key.begin(), key.end());
      grep.push_back(static_cast<std::int64_t>(r));
      gcount.push_back(cnt);
      gprob.push_back(static_cast<double>(cnt) / res[r].samples);
    }
  h5::writeDataset<std::uint8_t>(g, "ground_states_found", {grep.size(), static_cast<hsize_t>(N)}, gbits.data(), rank);
  h5::writeDataset(g, "ground_states_found_replica", grep, rank);
  h5::writeDataset(g, "ground_states_found_count", gcount, rank);
  h5::writeDataset(g, "ground_states_found_probability", gprob, rank);
  if (!res.empty() && !res[0].hamming_histogram.empty()) {
    std::vector<std::int64_t> h;
    for (const auto& a : res) h.insert(h.end(), a.hamming_histogram.begin(), a.hamming_histogram.end());
    h5::writeDataset<std::int64_t>(g, "hamming_histogram", {R, static_cast<hsize_t>(N + 1)}, h.data(), rank);
    h5::writeDataset<std::uint8_t>(g, "hamming_reference", {static_cast<hsize_t>(N)}, truth.reference->data(), rank);
  }
  const hsize_t S = res.empty() ? 0 : res[0].stored_energy.size();
  std::vector<std::uint8_t> sb;
  std::vector<double> se, pca, expl;
  for (const auto& a : res) {
    sb.insert(sb.end(), a.stored_bits.begin(), a.stored_bits.end());
    se.insert(se.end(), a.stored_energy.begin(), a.stored_energy.end());
    pca.insert(pca.end(), a.pca.begin(), a.pca.end());
    expl.insert(expl.end(), a.pca_explained.begin(), a.pca_explained.end());
  }
  h5::writeDataset<std::uint8_t>(g, "samples", {R, S, static_cast<hsize_t>(N)}, sb.data(), rank);
  h5::writeDataset<double>(g, "samples_energy", {R, S}, se.data(), rank);
  // PCA needs at least two stored samples per replica (analysis.stored_samples >= 2).
  if (S >= 2 && pca.size() == R * S * 2) {
    h5::writeDataset<double>(g, "pca", {R, S, 2}, pca.data(), rank);
    h5::writeDataset<double>(g, "pca_explained_variance_ratio", {R, 2}, expl.data(), rank);
  }
}

nlohmann::json analysisJson(const Model& model, const GroundTruth& truth, const std::vector<ReplicaAnalysis>& res) {
  const int N = model.hamiltonian.numSpins();
  nlohmann::json reps = nlohmann::json::array();
  for (std::size_t r = 0; r < res.size(); ++r) {
    const auto& a = res[r];
    nlohmann::json j;
    j["replica"] = r;
    j["samples"] = a.samples;
    j["mean_energy_per_spin"] = a.mean_energy / N;
    j["mean_energy_per_spin_err"] = a.energy_err / N;
    j["min_energy_per_spin"] = a.min_energy / N;
    j["ground_state_fraction"] =
        truth.energy ? nlohmann::json(static_cast<double>(a.ground_state_count) / a.samples) : nlohmann::json();
    j["distinct_ground_states"] = truth.energy ? nlohmann::json(a.ground_states.size()) : nlohmann::json();
    if (truth.energy) j["residual_energy_per_spin"] = (a.mean_energy - *truth.energy) / N;
    reps.push_back(j);
  }
  return reps;
}

void logAnalysisJson(const Log& log, const nlohmann::json& replicas) {
  for (const auto& rep : replicas)
    log.info("replica {}: <E>/N = {:.6f}, min E/N = {:.6f}, ground-state fraction {}, distinct ground states {}",
             rep["replica"].get<int>(), rep["mean_energy_per_spin"].get<double>(),
             rep["min_energy_per_spin"].get<double>(), rep["ground_state_fraction"].dump(),
             rep["distinct_ground_states"].dump());
}

}  // namespace vna
