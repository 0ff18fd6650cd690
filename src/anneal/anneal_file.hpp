#pragma once
// The /anneal group of a result file and the restart checkpoint (doc/design.md, "Anneal result
// file"): laid out once, written by every rank for its block of replicas (collective hyperslabs), and
// read back by --resume. Knows nothing of the network or the loop.
#include <cstdint>
#include <string>
#include <vector>

#include "anneal/adam.hpp"
#include "anneal/anneal_settings.hpp"
#include "core/mpi_comm.hpp"
#include "io/result_file.hpp"
#include "param_layout.hpp"

namespace vna {

// This rank's replicas [mine.begin, mine.end): θ and Adam state, one flat vector each.
struct ReplicaBlock {
  Range mine;
  std::vector<std::vector<double>> theta;
  std::vector<AdamState> adam;
  int size() const { return static_cast<int>(mine.end - mine.begin); }
};

// What the trace records per replica and update.
struct TraceRow {
  double loss, loss_err, energy, entropy, grad_norm, min_energy;
};

class AnnealFile {
 public:
  // Collective. A fresh file (or a partial one without a checkpoint) gets the layout and the initial
  // parameters initParameters(layout, ansatz.init_seed, replica); a resumed one gives back the
  // checkpoint's state (its shape must match, else an input error).
  AnnealFile(const Comm& comm, ResultFile& file, const AnnealSettings& settings, const ParamLayout& layout,
             ReplicaBlock& replicas, const std::vector<SnapshotPoint>& snapshots);
  std::int64_t nextUpdate() const { return next_update_; }
  // What the constructor found worth telling ("" or: the partial file had no usable checkpoint).
  const std::string& note() const { return log_note_; }

  // Buffered until the next checkpoint or finish(): one row per local replica for update u.
  void recordUpdate(const std::vector<TraceRow>& rows, double seconds);
  // The snapshots and trajectory rows due after update u (u = −1: before the first update).
  void writeDue(std::int64_t u, const ReplicaBlock& replicas);
  // The trace so far and a restart point at update `next` (θ, Adam moments); flushes the file.
  void checkpoint(std::int64_t next, const ReplicaBlock& replicas);
  // The whole trace, /anneal/final (every rank passes the gathered [R][n] parameters and [R] losses),
  // and the checkpoint removed.
  void finish(const std::vector<double>& params, const std::vector<double>& loss, const std::vector<double>& loss_err);

 private:
  void createLayout(const ParamLayout& layout);
  void readCheckpoint(ReplicaBlock& replicas);
  void writeRows(hid_t loc, const std::string& name, const std::vector<std::vector<double>>& rows) const;
  void flushTrace(std::int64_t upto);

  const Comm& comm_;
  ResultFile& file_;
  const AnnealSettings& s_;
  std::vector<SnapshotPoint> snapshots_;
  Range mine_;
  std::size_t n_ = 0;
  std::int64_t next_update_ = 0, flushed_ = 0;
  std::int64_t slot_ = -1;  // the valid checkpoint slot (-1: none yet)
  std::string log_note_;
  std::vector<TraceRow> trace_;  // [update since flush][local replica]
  std::vector<double> update_seconds_;
};

}  // namespace vna
