#pragma once
// The config vocabulary of vna: every key, its type, default, range and documentation, in one table.
// Validation (config.cpp) and doc/input_reference.md (checked by a test) both come from this table.
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vna {

enum class ValueKind { kInt, kReal, kBool, kString, kEnum, kIntList, kRealList, kStringList, kStringOrList };

struct KeySpec {
  std::string path;            // "model.L"
  ValueKind kind;
  std::string default_yaml;    // YAML text of the default; empty = no default
  bool required = false;       // must be given (when applicable)
  std::optional<double> min;   // inclusive bounds for numbers (and for list elements)
  std::optional<double> max;
  bool min_exclusive = false;
  std::vector<std::string> choices;  // kEnum
  int min_length = 0;                // lists
  int max_length = -1;
  // The key exists only when `when_key` has one of `when_values` (e.g. model.L for newman_moore).
  std::string when_key;
  std::vector<std::string> when_values;
  // A default that depends on another key's value: (value of `default_key`, default YAML) pairs; a
  // value not listed takes default_yaml.
  std::string default_key;
  std::vector<std::pair<std::string, std::string>> defaults_by;
  std::string doc;
};

struct SectionSpec {
  std::string name;  // "model"
  std::string doc;
};

const std::vector<SectionSpec>& configSections();
const std::vector<KeySpec>& configKeys();
const KeySpec* findKey(const std::string& path);
std::string kindName(ValueKind kind);

// The Markdown reference of every section and key (doc/input_reference.md is this text).
std::string inputReferenceMarkdown();

}  // namespace vna
