#pragma once
// YAML as a config language, strictly: yaml-cpp accepts a duplicate key (the last one wins in a
// naive walk, the first in a lookup), loads only the first of several documents (so text after a
// closed flow mapping, or after a '---' / '...' marker, is silently dropped), and accepts keys that
// are lists or mappings. A config is one document whose mappings have unique scalar keys; anything
// else is an InputError naming the source and the line.
#include <string>

#include <yaml-cpp/yaml.h>

namespace vna {

// Parses `text` (named `source` in messages). An empty or comments-only text gives a null node.
// `context` prefixes key paths in messages (e.g. "model.L" for a --set value).
YAML::Node loadStrictYaml(const std::string& text, const std::string& source, const std::string& context = "");

}  // namespace vna
