#pragma once
// How a job was started (the command line): what every command receives and every result file
// stores as provenance.
#include <string>
#include <vector>

namespace vna {

struct RunOptions {
  std::string command;                 // "exact", "anneal", ...
  std::string config_path;
  std::vector<std::string> overrides;  // --set
  std::string output;                  // --output ("" = from config)
  bool force = false;
  bool json = false;
  bool resume = false;
  std::string command_line;
  std::string start_time;
};

}  // namespace vna
