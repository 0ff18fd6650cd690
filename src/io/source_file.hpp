#pragma once
// A vna result read as the source of another command (`vna analyze`: an annealing or campaign result;
// `vna landscape`: an annealing result). Rank 0 checks the file before anyone opens it collectively,
// so that a wrong file (an exact or landscape result, an interrupted run's .partial, a text file) is
// one InputError on every rank naming the key, the file and what is wrong, not an HDF5 error stack.
#include <string>
#include <vector>

#include "core/mpi_comm.hpp"

namespace vna {

struct SourceKind {
  std::string command;                // root attribute `command` of the result ("anneal", "campaign")
  std::vector<std::string> datasets;  // what this command's result must hold
};

struct SourceFile {
  std::string path;
  std::string command;     // which of the accepted kinds it is
  std::string config;      // the resolved config stored in it
  std::string config_dir;  // where relative paths of that config resolve (the run's config folder)
};

// Collective. `key` names the config key the path came from (analysis.source, landscape.source).
SourceFile checkSourceFile(const Comm& comm, const std::string& path, const std::string& key,
                           const std::vector<SourceKind>& accepted);

}  // namespace vna
