#pragma once
// One HDF5 result file per job, complete or absent: it is written under "<path>.partial" and renamed
// to <path> by commit(). An existing result is never overwritten without `force`; a partial file left
// by an interrupted run is continued with `resume` (resumable commands) or discarded with `force`.
#include <filesystem>
#include <string>

#include "core/mpi_comm.hpp"
#include "core/run_options.hpp"
#include "io/h5.hpp"

namespace vna {

class Config;

// The result path: --output, else output.path, else "<config stem>.<command>.h5".
std::filesystem::path resultPath(const RunOptions& options, const Config& config);

class ResultFile {
 public:
  // Collective. Throws InputError on every rank when the result exists (and !force), when a partial
  // file exists but cannot be resumed, or when the file cannot be created.
  ResultFile(const Comm& comm, std::filesystem::path path, const RunOptions& options, bool resumable);
  ~ResultFile();
  ResultFile(const ResultFile&) = delete;
  ResultFile& operator=(const ResultFile&) = delete;

  hid_t root() const { return file_.id(); }
  bool resumed() const { return resumed_; }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path partialPath() const;
  void flush();

  // A resumed file must have been started with the same resolved config (else an input error).
  void checkResumedConfig(const Config& config) const;
  // Root attributes: versions, git commit, command line, ranks, backend, seeds, times, resolved config.
  void writeProvenance(const Config& config, const std::string& backend);
  // Collective: end time, close, rename into place.
  void commit();

 private:
  const Comm& comm_;
  std::filesystem::path path_;
  RunOptions options_;
  bool resumable_;
  bool resumed_ = false;
  bool committed_ = false;
  h5::Handle file_;
};

}  // namespace vna
