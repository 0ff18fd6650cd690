#include "anneal/anneal_file.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "io/h5.hpp"
#include "network/block_table.hpp"

namespace vna {

namespace {
// Trace datasets, in TraceRow's order.
constexpr const char* kTraceNames[] = {"loss", "loss_err", "energy", "entropy", "grad_norm", "min_energy"};
constexpr int kNumTrace = 6;

double traceValue(const TraceRow& r, int q) {
  const double values[kNumTrace] = {r.loss, r.loss_err, r.energy, r.entropy, r.grad_norm, r.min_energy};
  return values[q];
}

std::vector<double> flatten(const std::vector<std::vector<double>>& rows) {
  std::vector<double> flat;
  for (const auto& v : rows) flat.insert(flat.end(), v.begin(), v.end());
  return flat;
}
}  // namespace

AnnealFile::AnnealFile(const Comm& comm, ResultFile& file, const AnnealSettings& settings, const ParamLayout& layout,
                       ReplicaBlock& replicas, const std::vector<SnapshotPoint>& snapshots)
    : comm_(comm), file_(file), s_(settings), snapshots_(snapshots), mine_(replicas.mine), n_(layout.total) {
  const hid_t root = file.root();
  const int P = replicas.size();
  replicas.theta.assign(P, {});
  replicas.adam.assign(P, AdamState{});
  // The checkpoint is double-buffered (/checkpoint/slot0, slot1; the attribute `slot` names the valid
  // one and is written only once that slot has reached the disk), so a kill while one is written leaves
  // the previous one intact.
  const bool have_checkpoint =
      file.resumed() && h5::exists(root, "checkpoint") && h5::hasAttribute(h5::openGroup(root, "checkpoint"), "slot");
  if (!have_checkpoint) {
    // A partial file without a usable checkpoint: start over inside it.
    if (file.resumed() && (h5::exists(root, "anneal") || h5::exists(root, "checkpoint")))
      log_note_ = fmt::format("{}: no checkpoint to resume from: the annealing starts over", file.partialPath().string());
    for (const char* g : {"anneal", "checkpoint"})
      if (file.resumed() && h5::exists(root, g)) VNA_H5(H5Ldelete(root, g, H5P_DEFAULT));
    createLayout(layout);
    for (int p = 0; p < P; ++p) replicas.theta[p] = initParameters(layout, s_.ansatz.init_seed, mine_.begin + p);
  } else {
    readCheckpoint(replicas);
  }
  flushed_ = next_update_;
}

void AnnealFile::createLayout(const ParamLayout& layout) {
  const hid_t root = file_.root();
  const std::int64_t U = s_.plan.numUpdates(), R = s_.replicas;
  const hsize_t n = n_;
  h5::Handle g = h5::createGroup(root, "anneal");
  h5::writeAttribute(g, "mode", lossModeName(s_.mode));
  h5::writeAttribute(g, "T0", s_.T0);
  h5::writeAttribute(g, "gamma0", s_.gamma0);
  h5::writeAttribute(g, "T_final", s_.T_final);
  h5::writeAttribute(g, "gamma_final", s_.gamma_final);
  h5::writeAttribute(g, "warmup_steps", s_.plan.warmup);
  h5::writeAttribute(g, "annealing_steps", s_.plan.annealing);
  h5::writeAttribute(g, "train_steps", s_.plan.train);
  h5::writeAttribute(g, "num_updates", U);
  h5::writeAttribute(g, "samples", static_cast<std::int64_t>(s_.samples));
  h5::writeAttribute(g, "learning_rate", s_.learning_rate);
  h5::writeAttribute(g, "replicas", R);
  h5::writeAttribute(g, "cell", cellKindName(s_.ansatz.cell));
  h5::writeAttribute(g, "hidden", static_cast<std::int64_t>(s_.ansatz.hidden));
  h5::writeAttribute(g, "precision", precisionName(s_.ansatz.precision));
  h5::writeAttribute(g, "num_params", static_cast<std::int64_t>(n));
  writeBlockTable(g, layout);
  h5::Handle tr = h5::createGroup(g, "trace");
  std::vector<double> temps(U), gammas(U);
  std::vector<std::int64_t> steps(U);
  for (std::int64_t u = 0; u < U; ++u) {
    temps[u] = controlTemperature(s_, s_.plan.fraction(u));
    gammas[u] = controlGamma(s_, s_.plan.fraction(u));
    steps[u] = s_.plan.stepOf(u);
  }
  h5::writeDataset(tr, "temperature", temps, comm_.rank());
  h5::writeDataset(tr, "gamma", gammas, comm_.rank());
  h5::writeDataset(tr, "annealing_step", steps, comm_.rank());
  const hsize_t chunk_u = static_cast<hsize_t>(std::min<std::int64_t>(U, 4096));
  for (const char* name : kTraceNames)
    h5::createDataset<double>(tr, name, {static_cast<hsize_t>(R), static_cast<hsize_t>(U)}, {1, chunk_u});
  h5::Handle timing = h5::createGroup(g, "timing");
  h5::createDataset<double>(timing, "update_seconds", {static_cast<hsize_t>(U)});
  h5::createGroup(g, "snapshots");
  if (s_.trajectory_every > 0) {
    // Row k is θ after update k·trajectory_every − 1 (row 0: the initial θ).
    h5::Handle tj = h5::createGroup(g, "trajectory");
    const std::int64_t K = U / s_.trajectory_every + 1;
    std::vector<std::int64_t> after(K);
    for (std::int64_t k = 0; k < K; ++k) after[k] = k * s_.trajectory_every - 1;
    h5::writeAttribute(tj, "every", s_.trajectory_every);
    h5::writeDataset(tj, "after_update", after, comm_.rank());
    h5::createDataset<double>(tj, "params", {static_cast<hsize_t>(R), static_cast<hsize_t>(K), n}, {1, 1, n});
  }
  h5::Handle ck = h5::createGroup(root, "checkpoint");
  for (const char* slot : {"slot0", "slot1"}) {
    h5::Handle sg = h5::createGroup(ck, slot);
    for (const char* name : {"params", "adam_m", "adam_v"})
      h5::createDataset<double>(sg, name, {static_cast<hsize_t>(R), n});
  }
  next_update_ = 0;
  slot_ = -1;
}

void AnnealFile::readCheckpoint(ReplicaBlock& replicas) {
  slot_ = h5::readIntAttribute(h5::openGroup(file_.root(), "checkpoint"), "slot");
  h5::Handle ck = h5::openGroup(file_.root(), fmt::format("checkpoint/slot{}", slot_));
  next_update_ = h5::readIntAttribute(ck, "next_update");
  const std::int64_t adam_t = h5::readIntAttribute(ck, "adam_t");
  const auto shape = h5::datasetShape(h5::openDataset(ck, "params"));
  const std::int64_t R = s_.replicas;
  if (shape.size() != 2 || shape[0] != static_cast<hsize_t>(R) || shape[1] != n_)
    throw InputError(fmt::format("{}: the checkpoint holds {}x{} parameters but the config asks for {}x{}: "
                                 "resume with the config of the interrupted run",
                                 file_.partialPath().string(), shape.empty() ? 0 : shape[0],
                                 shape.size() > 1 ? shape[1] : 0, R, n_));
  const int P = replicas.size();
  std::vector<double> buf(static_cast<std::size_t>(P) * n_);
  auto readRows = [&](const char* name, auto&& take) {
    h5::Handle d = h5::openDataset(ck, name);
    if (P > 0) h5::readBlock<double>(d, {static_cast<hsize_t>(mine_.begin), 0}, {static_cast<hsize_t>(P), n_}, buf.data());
    for (int p = 0; p < P; ++p) take(p, std::vector<double>(buf.begin() + p * n_, buf.begin() + (p + 1) * n_));
  };
  readRows("params", [&](int p, std::vector<double> v) { replicas.theta[p] = std::move(v); });
  readRows("adam_m", [&](int p, std::vector<double> v) { replicas.adam[p].m = std::move(v); });
  readRows("adam_v", [&](int p, std::vector<double> v) { replicas.adam[p].v = std::move(v); });
  for (auto& a : replicas.adam) a.t = adam_t;
}

void AnnealFile::writeRows(hid_t loc, const std::string& name, const std::vector<std::vector<double>>& rows) const {
  const std::vector<double> flat = flatten(rows);
  h5::Handle d = h5::openDataset(loc, name);
  const hsize_t P = rows.size();
  if (P > 0)
    h5::writeBlock<double>(d, {static_cast<hsize_t>(mine_.begin), 0}, {P, n_}, flat.data());
  else
    h5::writeBlock<double>(d, {}, {}, nullptr);
}

void AnnealFile::recordUpdate(const std::vector<TraceRow>& rows, double seconds) {
  trace_.insert(trace_.end(), rows.begin(), rows.end());
  update_seconds_.push_back(seconds);
}

void AnnealFile::writeDue(std::int64_t u, const ReplicaBlock& replicas) {
  h5::Handle anneal = h5::openGroup(file_.root(), "anneal");
  for (const auto& sp : snapshots_) {
    if (sp.after_update != u) continue;
    h5::Handle group = h5::openGroup(anneal, "snapshots");
    if (h5::exists(group, sp.label)) VNA_H5(H5Ldelete(group, sp.label.c_str(), H5P_DEFAULT));
    h5::Handle g = h5::createGroup(group, sp.label);
    h5::writeAttribute(g, "label", sp.label);
    h5::writeAttribute(g, "after_update", sp.after_update);
    h5::writeAttribute(g, "temperature", sp.temperature);
    h5::writeAttribute(g, "gamma", sp.gamma);
    h5::writeAttribute(g, "mode", lossModeName(s_.mode));
    h5::createDataset<double>(g, "params", {static_cast<hsize_t>(s_.replicas), n_});
    writeRows(g, "params", replicas.theta);
  }
  if (s_.trajectory_every <= 0 || (u + 1) % s_.trajectory_every != 0) return;
  const std::int64_t k = (u + 1) / s_.trajectory_every;
  h5::Handle d = h5::openDataset(anneal, "trajectory/params");
  const std::vector<double> flat = flatten(replicas.theta);
  const hsize_t P = replicas.theta.size();
  if (P > 0)
    h5::writeBlock<double>(d, {static_cast<hsize_t>(mine_.begin), static_cast<hsize_t>(k), 0}, {P, 1, n_}, flat.data());
  else
    h5::writeBlock<double>(d, {}, {}, nullptr);
}

void AnnealFile::flushTrace(std::int64_t upto) {
  const std::int64_t K = upto - flushed_;
  const std::size_t P = static_cast<std::size_t>(mine_.end - mine_.begin);
  h5::Handle anneal = h5::openGroup(file_.root(), "anneal");
  h5::Handle trace = h5::openGroup(anneal, "trace");
  for (int q = 0; q < kNumTrace; ++q) {
    // The buffer is [update][replica]; the file wants [replica][update].
    std::vector<double> block(P * K);
    for (std::int64_t k = 0; k < K; ++k)
      for (std::size_t p = 0; p < P; ++p) block[p * K + k] = traceValue(trace_[k * P + p], q);
    h5::Handle d = h5::openDataset(trace, kTraceNames[q]);
    if (P > 0 && K > 0)
      h5::writeBlock<double>(d, {static_cast<hsize_t>(mine_.begin), static_cast<hsize_t>(flushed_)},
                             {static_cast<hsize_t>(P), static_cast<hsize_t>(K)}, block.data());
    else
      h5::writeBlock<double>(d, {}, {}, nullptr);
  }
  h5::Handle t = h5::openDataset(h5::openGroup(anneal, "timing"), "update_seconds");
  if (comm_.isRoot() && K > 0)
    h5::writeBlock<double>(t, {static_cast<hsize_t>(flushed_)}, {static_cast<hsize_t>(K)}, update_seconds_.data());
  else
    h5::writeBlock<double>(t, {}, {}, nullptr);
  trace_.clear();
  update_seconds_.clear();
  flushed_ = upto;
}

void AnnealFile::checkpoint(std::int64_t next, const ReplicaBlock& replicas) {
  flushTrace(next);
  const std::int64_t slot = slot_ == 0 ? 1 : 0;
  h5::Handle ck = h5::openGroup(file_.root(), fmt::format("checkpoint/slot{}", slot));
  writeRows(ck, "params", replicas.theta);
  std::vector<std::vector<double>> m, v;
  for (const AdamState& a : replicas.adam) {
    m.push_back(a.m.empty() ? std::vector<double>(n_, 0.0) : a.m);
    v.push_back(a.v.empty() ? std::vector<double>(n_, 0.0) : a.v);
  }
  writeRows(ck, "adam_m", m);
  writeRows(ck, "adam_v", v);
  h5::writeAttribute(ck, "next_update", next);
  h5::writeAttribute(ck, "adam_t", next);  // one Adam step per update
  file_.flush();
  // Only now, with the slot on disk, does it become the valid one.
  h5::writeAttribute(h5::openGroup(file_.root(), "checkpoint"), "slot", slot);
  file_.flush();
  slot_ = slot;
}

void AnnealFile::finish(const std::vector<double>& params, const std::vector<double>& loss,
                        const std::vector<double>& loss_err) {
  flushTrace(s_.plan.numUpdates());
  const hid_t root = file_.root();
  h5::Handle fin = h5::createGroup(h5::openGroup(root, "anneal"), "final");
  if (s_.store_final_params)
    h5::writeDataset<double>(fin, "params", {static_cast<hsize_t>(s_.replicas), n_}, params.data(), comm_.rank());
  h5::writeDataset(fin, "loss", loss, comm_.rank());
  h5::writeDataset(fin, "loss_err", loss_err, comm_.rank());
  // The run is complete: the checkpoint is no longer needed.
  VNA_H5(H5Ldelete(root, "checkpoint", H5P_DEFAULT));
}

}  // namespace vna
