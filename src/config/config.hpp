#pragma once
// A validated configuration: the user's YAML (plus --set overrides) checked strictly against the
// schema (config/schema.hpp), with every default filled in. Errors name the source, key and line.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace vna {

class Config {
 public:
  // `source` names the text in messages (a file path). `overrides` are "section.key=value" strings
  // whose values are parsed as YAML. Throws InputError on any problem.
  // Relative paths in the config resolve against `base_dir` (default: the folder of `source`).
  static Config parse(const std::string& text, const std::string& source,
                      const std::vector<std::string>& overrides = {}, const std::string& base_dir = "");
  static Config load(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});

  bool has(const std::string& path) const;  // applicable (given or defaulted)
  bool given(const std::string& path) const;  // written by the user or --set
  // Whether the section appears in the file (even empty) or in a --set; where() of its first mention.
  bool hasSection(const std::string& name) const { return sections_.count(name) > 0; }
  std::string sectionWhere(const std::string& name) const;
  std::vector<std::string> givenKeys() const;  // every key written by the user or --set, schema order
  std::int64_t getInt(const std::string& path) const;
  double getReal(const std::string& path) const;
  bool getBool(const std::string& path) const;
  std::string getString(const std::string& path) const;  // also kEnum
  std::vector<double> getRealList(const std::string& path) const;
  std::vector<std::int64_t> getIntList(const std::string& path) const;
  std::vector<std::string> getStringList(const std::string& path) const;  // also kStringOrList

  // "input/x.yaml, line 7" or "--set model.L=3" or "default".
  std::string where(const std::string& path) const;
  // Throws InputError("<source>: <path>: <message> (line n)").
  [[noreturn]] void fail(const std::string& path, const std::string& message) const;
  // Resolves a path given in the config relative to the config file's folder.
  std::filesystem::path resolvePath(const std::string& p) const;

  const std::string& source() const { return source_; }
  std::string resolvedYaml() const;  // every applicable key, defaults filled in, schema order
  // Every `*.seed` value, as "path=value" (provenance).
  std::vector<std::string> seeds() const;

 private:
  YAML::Node lookup(const std::string& path) const;
  std::string source_;
  std::filesystem::path base_dir_;
  YAML::Node resolved_;
  std::map<std::string, int> lines_;             // 1-based line of each given key
  std::map<std::string, std::string> overrides_;  // key -> "--set key=value"
  std::map<std::string, std::string> sections_;   // section -> "file, line n" or "--set ..."
};

}  // namespace vna
