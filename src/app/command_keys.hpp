#pragma once
// What each vna command reads of a config, so that nothing given is silently ignored:
// - a command needs at least one of its own sections: an empty or comments-only config is an input
//   error (it would otherwise run on defaults only);
// - `backend.device: cuda` for a command that runs on the host only (`vna exact`) is an input error;
// - keys that the command does not read (other commands' sections, keys of the other annealing mode,
//   methods a campaign does not run) are listed in one note.
// One config file may serve several commands (`vna exact` and `vna anneal` of input/default.yaml),
// so the rest stays a note, not an error.
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/log.hpp"

namespace vna {

struct IgnoredKey {
  std::string key, why;
};

// Throws InputError for the first two cases; returns the ignored keys (in schema order).
std::vector<IgnoredKey> checkConfigForCommand(const std::string& command, const Config& config);

// checkConfigForCommand, then one "note:" line (rank 0) naming the ignored keys and where they are.
void reportConfigForCommand(const std::string& command, const Config& config, const Log& log);

}  // namespace vna
