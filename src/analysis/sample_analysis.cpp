#include "analysis/sample_analysis.hpp"

#include <fmt/format.h>

#include <Eigen/SVD>
#include <algorithm>
#include <cmath>
#include <map>

#include <cstring>

#include "core/error.hpp"
#include "device_hamiltonian.hpp"
#include "exact/enumeration.hpp"
#include "io/h5.hpp"
#include "rnn_engine.hpp"

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

// Per (replica, batch) partial sums; combined in batch order on every rank.
struct BatchSums {
  double sum_e = 0, sum_e2 = 0, min_e = INFINITY;
  std::int64_t count = 0, gs = 0;
};

template <class Scalar>
std::vector<ReplicaAnalysis> analyze(const Comm& comm, const AnalysisSettings& st, const Model& model,
                                     const GroundTruth& truth, const std::vector<double>& params_all, int R,
                                     const Log& log) {
  using Engine = RnnEngine<Scalar>;
  EngineConfig ec;
  ec.cell = st.cell;
  ec.hidden = st.hidden;
  ec.lattice = model.lattice;
  Engine engine(ec);
  const std::size_t n = engine.numParams();
  const int N = model.hamiltonian.numSpins();
  if (params_all.size() != static_cast<std::size_t>(R) * n)
    throw Error(fmt::format("analysis: {} parameters for {} replicas of {}", params_all.size(), R, n));
  const std::int64_t M = st.samples;
  const std::int64_t B = std::min<std::int64_t>(kAnalysisBatch, M);
  const std::int64_t num_batches = (M + B - 1) / B;
  const double tol = truth.energy ? 1e-9 * std::max(1.0, std::abs(*truth.energy)) : 0.0;

  Kokkos::View<Scalar**, Kokkos::LayoutRight, typename Engine::memory_space> params("vna::analysis::params", R, n);
  auto h_params = Kokkos::create_mirror_view(params);
  for (int r = 0; r < R; ++r)
    for (std::size_t i = 0; i < n; ++i) h_params(r, i) = static_cast<Scalar>(params_all[r * n + i]);
  Kokkos::deep_copy(params, h_params);
  Kokkos::View<std::uint32_t*, typename Engine::memory_space> ids("vna::analysis::ids", R);
  auto h_ids = Kokkos::create_mirror_view(ids);
  for (int r = 0; r < R; ++r) h_ids(r) = static_cast<std::uint32_t>(r);
  Kokkos::deep_copy(ids, h_ids);
  const DeviceHamiltonian dh(model.hamiltonian);
  typename Engine::BitsView bits("vna::analysis::bits", R, B, N);
  typename Engine::LogProbView logp("vna::analysis::logp", R, B);
  EnergyView energies("vna::analysis::energies", R, B);

  std::vector<double> sums(static_cast<std::size_t>(R) * num_batches * 3, 0.0);  // sum_e, sum_e2, min (as -max)
  std::vector<std::int64_t> counts(static_cast<std::size_t>(R) * num_batches * 2, 0);
  std::vector<std::int64_t> hist(truth.reference ? static_cast<std::size_t>(R) * (N + 1) : 0, 0);
  std::vector<std::map<std::vector<Bit>, std::int64_t>> gs(R);
  std::vector<std::uint8_t> stored_local;  // rows: replica(4 bytes) sample id (8 bytes) bits (N)
  std::vector<double> stored_energy_local;
  const typename Engine::execution_space space;
  for (std::int64_t b = comm.rank(); b < num_batches; b += comm.size()) {
    const std::int64_t count = std::min(B, M - b * B);
    SampleCounters c;
    c.seed = st.seed;
    c.step = kAnalysisStep;
    c.first_sample = static_cast<std::uint32_t>(b * B);
    engine.sample(space, params, ids, c, bits, logp, Activations::kDiscard);
    computeEnergies(space, dh, bits, energies);
    space.fence();
    auto h_bits = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), bits);
    auto h_e = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), energies);
    for (int r = 0; r < R; ++r) {
      BatchSums s;
      for (std::int64_t k = 0; k < count; ++k) {
        const double e = h_e(r, k);
        s.sum_e += e;
        s.sum_e2 += e * e;
        s.min_e = std::min(s.min_e, e);
        const Bit* row = &h_bits(r, k, 0);
        if (truth.energy && std::abs(e - *truth.energy) <= tol) {
          ++s.gs;
          std::vector<Bit> key(row, row + N);
          auto it = gs[r].find(key);
          if (it != gs[r].end())
            ++it->second;
          else if (static_cast<std::int64_t>(gs[r].size()) < kMaxDistinctGroundStates)
            gs[r].emplace(std::move(key), 1);
        }
        if (truth.reference) {
          int d = 0;
          for (int i = 0; i < N; ++i) d += row[i] != (*truth.reference)[i];
          ++hist[static_cast<std::size_t>(r) * (N + 1) + d];
        }
        const std::int64_t id = b * B + k;
        if (id < st.stored) {
          const std::uint32_t rr = static_cast<std::uint32_t>(r);
          const std::uint64_t ii = static_cast<std::uint64_t>(id);
          const auto* pr = reinterpret_cast<const std::uint8_t*>(&rr);
          const auto* pi = reinterpret_cast<const std::uint8_t*>(&ii);
          stored_local.insert(stored_local.end(), pr, pr + 4);
          stored_local.insert(stored_local.end(), pi, pi + 8);
          stored_local.insert(stored_local.end(), row, row + N);
          stored_energy_local.push_back(e);
        }
      }
      const std::size_t idx = static_cast<std::size_t>(r) * num_batches + b;
      sums[3 * idx] = s.sum_e;
      sums[3 * idx + 1] = s.sum_e2;
      sums[3 * idx + 2] = -s.min_e;  // summed with zeros elsewhere: exact
      counts[2 * idx] = count;
      counts[2 * idx + 1] = s.gs;
    }
    if (log.enabled() && num_batches > 20 && (b / comm.size()) % 20 == 0)
      log.info("analysis: batch {} of {}", b + 1, num_batches);
  }
  comm.sumInPlace(sums);
  comm.sumInPlace(counts);
  comm.sumInPlace(hist);

  std::vector<ReplicaAnalysis> out(R);
  for (int r = 0; r < R; ++r) {
    ReplicaAnalysis& a = out[r];
    double se = 0, se2 = 0, mn = INFINITY;
    for (std::int64_t b = 0; b < num_batches; ++b) {
      const std::size_t idx = static_cast<std::size_t>(r) * num_batches + b;
      se += sums[3 * idx];
      se2 += sums[3 * idx + 1];
      mn = std::min(mn, -sums[3 * idx + 2]);
      a.samples += counts[2 * idx];
      a.ground_state_count += counts[2 * idx + 1];
    }
    a.mean_energy = se / a.samples;
    const double var = std::max(0.0, se2 / a.samples - a.mean_energy * a.mean_energy);
    a.energy_err = std::sqrt(var / std::max<std::int64_t>(1, a.samples - 1));
    a.min_energy = mn;
    if (truth.reference) a.hamming_histogram.assign(hist.begin() + r * (N + 1), hist.begin() + (r + 1) * (N + 1));
  }

  // Distinct ground states: gather (replica, count, bits) records and merge.
  std::vector<std::uint8_t> recs;
  for (int r = 0; r < R; ++r)
    for (const auto& [key, cnt] : gs[r]) {
      const std::uint32_t rr = r;
      const std::int64_t cc = cnt;
      recs.insert(recs.end(), reinterpret_cast<const std::uint8_t*>(&rr), reinterpret_cast<const std::uint8_t*>(&rr) + 4);
      recs.insert(recs.end(), reinterpret_cast<const std::uint8_t*>(&cc), reinterpret_cast<const std::uint8_t*>(&cc) + 8);
      recs.insert(recs.end(), key.begin(), key.end());
    }
  const auto all = comm.allGatherV(recs);
  std::vector<std::map<std::vector<Bit>, std::int64_t>> merged(R);
  for (std::size_t off = 0; off < all.size(); off += 12 + N) {
    std::uint32_t rr;
    std::int64_t cc;
    std::memcpy(&rr, &all[off], 4);
    std::memcpy(&cc, &all[off + 4], 8);
    merged[rr][std::vector<Bit>(all.begin() + off + 12, all.begin() + off + 12 + N)] += cc;
  }
  for (int r = 0; r < R; ++r) {
    for (auto& [key, cnt] : merged[r]) out[r].ground_states.emplace_back(key, cnt);
    std::stable_sort(out[r].ground_states.begin(), out[r].ground_states.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    if (static_cast<std::int64_t>(out[r].ground_states.size()) > kMaxDistinctGroundStates) {
      out[r].ground_states.resize(kMaxDistinctGroundStates);
      out[r].ground_states_truncated = true;
    }
  }

  // Stored samples and their PCA.
  const auto stored_all = comm.allGatherV(stored_local);
  const auto stored_e_all = comm.allGatherV(stored_energy_local);
  const std::int64_t S = std::min(st.stored, M);
  for (int r = 0; r < R; ++r) {
    out[r].stored_bits.assign(static_cast<std::size_t>(S) * N, 0);
    out[r].stored_energy.assign(S, 0.0);
  }
  for (std::size_t row = 0, off = 0; off < stored_all.size(); ++row, off += 12 + N) {
    std::uint32_t rr;
    std::uint64_t ii;
    std::memcpy(&rr, &stored_all[off], 4);
    std::memcpy(&ii, &stored_all[off + 4], 8);
    std::copy(stored_all.begin() + off + 12, stored_all.begin() + off + 12 + N, out[rr].stored_bits.begin() + ii * N);
    out[rr].stored_energy[ii] = stored_e_all[row];
  }
  for (int r = 0; r < R && S >= 2; ++r) {
    Eigen::MatrixXd X(S, N);
    for (std::int64_t k = 0; k < S; ++k)
      for (int i = 0; i < N; ++i) X(k, i) = 2.0 * out[r].stored_bits[k * N + i] - 1.0;
    X.rowwise() -= X.colwise().mean();
    Eigen::BDCSVD<Eigen::MatrixXd> svd(X, Eigen::ComputeThinU);
    const auto& sv = svd.singularValues();
    const double total = sv.squaredNorm();
    out[r].pca.assign(static_cast<std::size_t>(S) * 2, 0.0);
    out[r].pca_explained.assign(2, 0.0);
    for (int c = 0; c < 2 && c < sv.size(); ++c) {
      // Fix the sign so that the largest loading is positive: deterministic output.
      const Eigen::VectorXd u = svd.matrixU().col(c);
      Eigen::Index imax = 0;
      u.cwiseAbs().maxCoeff(&imax);
      const double sign = u(imax) < 0 ? -1.0 : 1.0;
      for (std::int64_t k = 0; k < S; ++k) out[r].pca[2 * k + c] = sign * u(k) * sv(c);
      out[r].pca_explained[c] = total > 0 ? sv(c) * sv(c) / total : 0.0;
    }
  }
  return out;
}

}  // namespace

std::vector<ReplicaAnalysis> analyzeReplicas(const Comm& comm, const AnalysisSettings& settings, const Model& model,
                                             const GroundTruth& truth, const std::vector<double>& params, int replicas,
                                             const Log& log) {
  return settings.double_precision ? analyze<double>(comm, settings, model, truth, params, replicas, log)
                                   : analyze<float>(comm, settings, model, truth, params, replicas, log);
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
  if (pca.size() == R * S * 2) {
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

}  // namespace vna
