#include "io/result_file.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstring>

#include "config/config.hpp"
#include "core/error.hpp"
#include "core/provenance.hpp"

namespace vna {

std::filesystem::path resultPath(const RunOptions& options, const Config& config) {
  if (!options.output.empty()) return options.output;
  if (config.has("output.path") && !config.getString("output.path").empty())
    return config.getString("output.path");
  const std::string stem = std::filesystem::path(options.config_path).stem().string();
  return fmt::format("{}.{}.h5", stem.empty() ? "vna" : stem, options.command);
}

std::filesystem::path ResultFile::partialPath() const { return path_.string() + ".partial"; }

ResultFile::ResultFile(const Comm& comm, std::filesystem::path path, const RunOptions& options, bool resumable)
    : comm_(comm), path_(std::move(path)), options_(options), resumable_(resumable) {
  // Rank 0 decides from the file system; every rank gets the same verdict.
  std::string problem;
  int action = 0;  // 0 create, 1 reopen partial
  if (comm_.isRoot()) {
    std::error_code ec;
    const bool have_result = std::filesystem::exists(path_, ec);
    const bool have_partial = std::filesystem::exists(partialPath(), ec);
    const auto dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
    if (have_result && !options_.force) {
      problem = fmt::format("output file '{}' already exists: pass --force to overwrite it", path_.string());
    } else if (!std::filesystem::is_directory(dir, ec)) {
      problem = fmt::format("cannot write '{}': folder '{}' does not exist", path_.string(), dir.string());
    } else if (options_.resume) {
      if (!resumable_)
        problem = fmt::format("'vna {}' cannot be resumed (it has no checkpoints); run it again", options_.command);
      else if (have_partial)
        action = 1;
      // No partial file: nothing to resume, start from the beginning.
    } else if (have_partial && !options_.force) {
      problem = fmt::format(
          "found '{}' from an interrupted run: pass --resume to continue it or --force to start over",
          partialPath().string());
    }
  }
  comm_.throwIfAnyInputError(problem);
  comm_.broadcastValue(action);
  if (action == 1) {
    file_ = h5::openFile(partialPath().string(), comm_.raw(), true);
    resumed_ = true;
    h5::writeAttribute(file_, "resume_count",
                       (h5::hasAttribute(file_, "resume_count") ? h5::readIntAttribute(file_, "resume_count") : 0) + 1);
  } else {
    file_ = h5::createFile(partialPath().string(), comm_.raw());
  }
}

ResultFile::~ResultFile() {
  if (committed_) return;
  file_.reset();
  // A resumable job keeps its partial file: it holds the work done so far.
  if (!resumable_ && comm_.isRoot()) std::remove(partialPath().c_str());
}

void ResultFile::flush() { VNA_H5(H5Fflush(file_, H5F_SCOPE_GLOBAL)); }

void ResultFile::writeProvenance(const Config& config, const std::string& backend) {
  const hid_t root = file_.id();
  const LibraryVersions v = libraryVersions();
  h5::writeAttribute(root, "vna_version", v.vna);
  h5::writeAttribute(root, "git_commit", build_info::gitCommit());
  h5::writeAttribute(root, "git_dirty", static_cast<std::int64_t>(build_info::gitDirty()));
  h5::writeAttribute(root, "command", options_.command);
  h5::writeAttribute(root, "command_line", options_.command_line);
  h5::writeAttribute(root, "config_source", options_.config_path);
  h5::writeAttribute(root, "config", config.resolvedYaml());
  h5::writeAttribute(root, "overrides", options_.overrides);
  h5::writeAttribute(root, "seeds", config.seeds());
  h5::writeAttribute(root, "mpi_ranks", static_cast<std::int64_t>(comm_.size()));
  h5::writeAttribute(root, "threads_per_rank", static_cast<std::int64_t>(hostThreads()));
  h5::writeAttribute(root, "backend", backend);
  h5::writeAttribute(root, "hostname", hostName());
  if (!resumed_) h5::writeAttribute(root, "start_time", options_.start_time);
  h5::writeAttribute(root, "compiler", v.compiler);
  h5::writeAttribute(root, "build_type", v.build_type);
  h5::writeAttribute(root, "mpi_library", v.mpi);
  h5::writeAttribute(root, "hdf5_version", v.hdf5);
  h5::writeAttribute(root, "kokkos_version", v.kokkos);
  h5::writeAttribute(root, "kokkos_execution_space", v.kokkos_devices);
  h5::writeAttribute(root, "yaml_cpp_version", v.yaml_cpp);
  h5::writeAttribute(root, "eigen_version", v.eigen);
  h5::writeAttribute(root, "cuda", v.cuda);
}

void ResultFile::commit() {
  h5::writeAttribute(file_.id(), "end_time", isoTimeNow());
  file_.close();
  comm_.barrier();
  std::string problem;
  if (comm_.isRoot() && std::rename(partialPath().c_str(), path_.c_str()) != 0)
    problem = fmt::format("cannot rename '{}' to '{}': {}", partialPath().string(), path_.string(),
                          std::strerror(errno));
  comm_.throwIfAnyInputError(problem);
  committed_ = true;
}

}  // namespace vna
