#include "io/result_file.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstring>

#include "config/config.hpp"
#include "config/config_diff.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
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
std::filesystem::path ResultFile::tmpPath() const { return path_.string() + ".tmp"; }

namespace {

// Whether two paths name the same file (hard links and symlinks included).
bool sameFile(const std::filesystem::path& a, const std::filesystem::path& b) {
  std::error_code ec;
  if (!std::filesystem::exists(a, ec) || !std::filesystem::exists(b, ec)) return false;
  const bool same = std::filesystem::equivalent(a, b, ec);
  return !ec && same;
}

bool readableHdf5(const std::filesystem::path& p) {
#if H5_VERSION_GE(1, 12, 0)
  const htri_t ok = H5Fis_accessible(p.c_str(), H5P_DEFAULT);
#else
  const htri_t ok = H5Fis_hdf5(p.c_str());
#endif
  H5Eclear2(H5E_DEFAULT);
  return ok > 0;
}

}  // namespace

ResultFile::ResultFile(const Comm& comm, std::filesystem::path path, const RunOptions& options, bool resumable,
                       const std::vector<InputFile>& inputs)
    : comm_(comm), path_(std::move(path)), options_(options), resumable_(resumable) {
  // Rank 0 decides from the file system; every rank gets the same verdict.
  std::string problem, note;
  int action = 0;  // 0 create, 1 reopen partial
  if (comm_.isRoot()) {
    std::vector<InputFile> all = inputs;
    if (!options_.config_path.empty()) all.push_back({options_.config_path, "the config file"});
    for (const auto& in : all)
      for (const auto& out : {path_, partialPath(), tmpPath()})
        if (problem.empty() && sameFile(out, in.path))
          problem = fmt::format("output '{}' is {} '{}'{}: choose another --output or output.path (an input is never "
                                "overwritten, not even with --force)",
                                out.string(), in.what, in.path.string(),
                                out == path_ ? "" : fmt::format(" (the run's {} file)", out.extension().string()));
    std::error_code ec;
    const bool have_result = std::filesystem::exists(path_, ec);
    const bool have_partial = std::filesystem::exists(partialPath(), ec);
    const bool partial_ok = have_partial && readableHdf5(partialPath());
    const auto dir = path_.has_parent_path() ? path_.parent_path() : std::filesystem::path(".");
    if (!problem.empty()) {
      // The output is an input: nothing else matters.
    } else if (have_result && !options_.force) {
      problem = fmt::format("output file '{}' already exists: pass --force to overwrite it", path_.string());
    } else if (!std::filesystem::is_directory(dir, ec)) {
      problem = fmt::format("cannot write '{}': folder '{}' does not exist", path_.string(), dir.string());
    } else if (options_.resume) {
      if (!resumable_) {
        problem = fmt::format("'vna {}' cannot be resumed (it has no checkpoints); run it again", options_.command);
      } else if (partial_ok) {
        action = 1;
      } else if (have_partial) {
        note = fmt::format("note: '{}' is not a readable HDF5 file (the run was killed while writing it?): nothing to "
                           "resume, starting afresh",
                           partialPath().string());
      } else {
        note = fmt::format("note: no '{}': nothing to resume, starting afresh", partialPath().string());
      }
    } else if (have_partial && !options_.force) {
      problem = fmt::format(
          "found '{}' from an interrupted run{}: pass --resume to continue it or --force to start over",
          partialPath().string(), partial_ok ? "" : " (not a readable HDF5 file: nothing to resume)");
    }
    // Starting afresh: a stale partial file must not outlive this run's result.
    if (problem.empty() && action == 0 && have_partial) std::remove(partialPath().c_str());
  }
  comm_.throwIfAnyInputError(problem);
  comm_.broadcastValue(action);
  if (!note.empty()) Log(comm_.isRoot(), options_.json).info("{}", note);
  if (action == 1) {
    file_ = h5::openFile(partialPath().string(), comm_.raw(), true);
    resumed_ = true;
    at_tmp_ = false;
    h5::writeAttribute(file_, "resume_count",
                       (h5::hasAttribute(file_, "resume_count") ? h5::readIntAttribute(file_, "resume_count") : 0) + 1);
  } else {
    file_ = h5::createFile(tmpPath().string(), comm_.raw());
  }
}

ResultFile::~ResultFile() {
  if (committed_) return;
  file_.reset();
  // A partial file holds the work done so far (a resumable job's checkpoints); a .tmp holds nothing
  // worth keeping, and must not block the next run.
  if (comm_.isRoot() && at_tmp_) std::remove(tmpPath().c_str());
}

void ResultFile::flush() {
  VNA_H5(H5Fflush(file_, H5F_SCOPE_GLOBAL));
  if (!at_tmp_ || !resumable_) return;
  comm_.barrier();
  std::string problem;
  if (comm_.isRoot() && std::rename(tmpPath().c_str(), partialPath().c_str()) != 0)
    problem = fmt::format("cannot rename '{}' to '{}': {}", tmpPath().string(), partialPath().string(),
                          std::strerror(errno));
  comm_.throwIfAnyInputError(problem);
  at_tmp_ = false;
}

void ResultFile::checkResumedConfig(const Config& config) const {
  const hid_t root = file_.id();
  if (resumed_) {
    const std::string partial = partialPath().string();
    if (h5::hasAttribute(root, "command") && h5::readStringAttribute(root, "command") != options_.command)
      throw InputError(fmt::format("{}: was written by `vna {}`, not `vna {}`: choose another --output, or --force to "
                                   "start over",
                                   partial, h5::readStringAttribute(root, "command"), options_.command));
    if (h5::hasAttribute(root, "config")) {
      const auto diff = configDifferences(h5::readStringAttribute(root, "config"), config.resolvedYaml());
      if (!diff.empty())
        throw InputError(fmt::format("{}: was started with a different configuration: {}; resume with the same config "
                                     "and --set options, or use --force to start over",
                                     partial, describeDifferences(diff, "the partial file")));
    }
  }
}

void ResultFile::writeProvenance(const Config& config, const std::string& backend) {
  checkResumedConfig(config);
  const hid_t root = file_.id();
  const LibraryVersions v = libraryVersions();
  h5::writeAttribute(root, "vna_version", v.vna);
  h5::writeAttribute(root, "git_commit", build_info::gitCommit());
  h5::writeAttribute(root, "git_dirty", static_cast<std::int64_t>(build_info::gitDirty()));
  h5::writeAttribute(root, "command", options_.command);
  h5::writeAttribute(root, "command_line", options_.command_line);
  h5::writeAttribute(root, "config_source", options_.config_path);
  // Relative paths in the stored config (coupling files) are relative to this folder.
  {
    std::error_code ec;
    const auto dir = std::filesystem::absolute(std::filesystem::path(options_.config_path), ec).parent_path();
    h5::writeAttribute(root, "config_dir", ec ? std::string() : dir.lexically_normal().string());
  }
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
  const std::filesystem::path from = currentPath();
  if (comm_.isRoot() && std::rename(from.c_str(), path_.c_str()) != 0)
    problem = fmt::format("cannot rename '{}' to '{}': {}", from.string(), path_.string(), std::strerror(errno));
  comm_.throwIfAnyInputError(problem);
  committed_ = true;
}

}  // namespace vna
