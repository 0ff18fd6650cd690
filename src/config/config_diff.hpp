#pragma once
// The keys in which two resolved configs (Config::resolvedYaml()) differ, for messages such as
// "--resume with a changed config": "model.L: 4 in the partial file, 5 now".
#include <string>
#include <vector>

namespace vna {

struct ConfigDifference {
  std::string key;
  std::string before, after;  // YAML text of the values; "(absent)" when a side lacks the key
};

std::vector<ConfigDifference> configDifferences(const std::string& before_yaml, const std::string& after_yaml);

// "model.L (4 before, 5 now), anneal.T0 (...)" for at most `max_keys` keys.
std::string describeDifferences(const std::vector<ConfigDifference>& d, const std::string& before_name,
                                std::size_t max_keys = 6);

}  // namespace vna
