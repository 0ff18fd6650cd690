#pragma once
// One HDF5 result file per job, complete or absent. A new file is written under "<path>.tmp"; the
// first flush() (a checkpoint: the file now holds work worth resuming, and is a valid HDF5 file on
// disk) renames it to "<path>.partial", and commit() renames it to <path>. So a ".partial" is always
// resumable; a ".tmp" is what a run killed before its first checkpoint leaves (nothing to resume; the
// next run replaces it), and a run that fails before its first checkpoint removes its ".tmp".
// An existing result is never overwritten without `force`; a partial file is continued with `resume`
// (resumable commands) or discarded with `force`. An output that is, or resolves to (links,
// symlinks), an input of the job is an input error, with or without `force`.
#include <filesystem>
#include <string>

#include "core/mpi_comm.hpp"
#include "core/run_options.hpp"
#include "io/h5.hpp"

namespace vna {

class Config;

// The result path: --output, else output.path, else "<config stem>.<command>.h5".
std::filesystem::path resultPath(const RunOptions& options, const Config& config);

// A file the job reads, and what it is to the user, as a noun phrase: "the analysis.source", "a
// coupling file (model.path)".
struct InputFile {
  std::filesystem::path path;
  std::string what;
};

class ResultFile {
 public:
  // Collective. Throws InputError on every rank when the output is one of `inputs` (or the config
  // file), when the result exists (and !force), when a partial file exists but cannot be resumed,
  // or when the file cannot be created.
  ResultFile(const Comm& comm, std::filesystem::path path, const RunOptions& options, bool resumable,
             const std::vector<InputFile>& inputs = {});
  ~ResultFile();
  ResultFile(const ResultFile&) = delete;
  ResultFile& operator=(const ResultFile&) = delete;

  hid_t root() const { return file_.id(); }
  bool resumed() const { return resumed_; }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path partialPath() const;  // <path>.partial
  std::filesystem::path tmpPath() const;      // <path>.tmp
  // The file being written now: tmpPath() until the first flush of a resumable job, then partialPath().
  std::filesystem::path currentPath() const { return at_tmp_ ? tmpPath() : partialPath(); }
  // Collective: everything written so far reaches the disk. For a resumable job this is a checkpoint:
  // the first one renames <path>.tmp to <path>.partial.
  void flush();

  // A resumed file must have been started by the same command with the same resolved config, else an
  // InputError names the keys that differ (writeProvenance checks it too).
  void checkResumedConfig(const Config& config) const;
  // Root attributes: versions, git commit, command line, ranks, threads, backend, seeds, times,
  // resolved config.
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
  bool at_tmp_ = true;
  h5::Handle file_;
};

}  // namespace vna
