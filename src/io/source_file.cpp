#include "io/source_file.hpp"

#include <fmt/format.h>
#include <hdf5.h>

#include <filesystem>

#include "core/error.hpp"
#include "io/h5.hpp"

namespace vna {

namespace {

std::string kindList(const std::vector<SourceKind>& accepted) {
  std::string s;
  for (std::size_t i = 0; i < accepted.size(); ++i)
    s += (i ? (i + 1 == accepted.size() ? " or " : ", ") : "") + fmt::format("`vna {}`", accepted[i].command);
  return s;
}

// Rank 0's verdict: empty when the file is fine (and `out` filled in).
std::string inspect(const std::string& path, const std::string& key, const std::vector<SourceKind>& accepted,
                    SourceFile& out) {
  const std::string wanted = kindList(accepted) + " result";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return fmt::format("{}: '{}' is not a file", key, path);
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    H5Eclear2(H5E_DEFAULT);
    return fmt::format("{}: '{}' is not an HDF5 file (expected a {})", key, path, wanted);
  }
  const hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (id < 0) {
    H5Eclear2(H5E_DEFAULT);
    return fmt::format("{}: cannot open '{}' as HDF5 (damaged or still being written?)", key, path);
  }
  h5::Handle f(id);
  const bool partial = path.size() > 8 && path.compare(path.size() - 8, 8, ".partial") == 0;
  if (!h5::hasAttribute(f, "command") || !h5::hasAttribute(f, "config"))
    return fmt::format("{}: '{}' is not a vna result (it has no 'command' and 'config' attributes; expected a {})", key,
                       path, wanted);
  const std::string command = h5::readStringAttribute(f, "command");
  const SourceKind* kind = nullptr;
  for (const auto& k : accepted)
    if (k.command == command) kind = &k;
  if (!kind) return fmt::format("{}: '{}' is a `vna {}` result, not a {}", key, path, command, wanted);
  if (partial || h5::exists(f, "checkpoint") || h5::exists(f, ".checkpoint"))
    return fmt::format("{}: '{}' is the partial file of an interrupted `vna {}` run: finish it with `vna {} ... "
                       "--resume` first",
                       key, path, command, command);
  for (const auto& d : kind->datasets) {
    // Every link on the way must exist (H5Lexists of a nested path needs its parents).
    std::string prefix;
    bool present = true;
    for (std::size_t pos = 0; present && pos != std::string::npos;) {
      const std::size_t next = d.find('/', pos);
      prefix = d.substr(0, next);
      present = h5::exists(f, prefix);
      pos = next == std::string::npos ? next : next + 1;
    }
    if (!present)
      return fmt::format("{}: '{}' has no /{}: not a complete `vna {}` result (was it interrupted?)", key, path, d,
                         command);
  }
  out.path = path;
  out.command = command;
  out.config = h5::readStringAttribute(f, "config");
  out.config_dir = h5::hasAttribute(f, "config_dir") ? h5::readStringAttribute(f, "config_dir") : std::string();
  if (out.config_dir.empty()) out.config_dir = std::filesystem::path(path).parent_path().string();
  return "";
}

}  // namespace

SourceFile checkSourceFile(const Comm& comm, const std::string& path, const std::string& key,
                           const std::vector<SourceKind>& accepted) {
  SourceFile s;
  std::string problem;
  if (comm.isRoot()) {
    try {
      problem = inspect(path, key, accepted, s);
    } catch (const Error& e) {
      problem = fmt::format("{}: cannot read '{}': {}", key, path, e.what());
    }
  }
  comm.throwIfAnyInputError(problem);
  comm.broadcast(s.command);
  comm.broadcast(s.config);
  comm.broadcast(s.config_dir);
  s.path = path;
  return s;
}

}  // namespace vna
