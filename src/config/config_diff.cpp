#include "config/config_diff.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <map>

namespace vna {

namespace {

// Every leaf as "a.b.c" -> emitted YAML (lists stay whole: they are values of one key).
void flatten(const YAML::Node& node, const std::string& prefix, std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node)
      flatten(kv.second, prefix.empty() ? kv.first.Scalar() : prefix + "." + kv.first.Scalar(), out);
    return;
  }
  YAML::Emitter e;
  e << YAML::Flow << node;
  out[prefix] = e.c_str();
}

std::map<std::string, std::string> flat(const std::string& yaml) {
  std::map<std::string, std::string> out;
  try {
    flatten(YAML::Load(yaml), "", out);
  } catch (const YAML::Exception&) {
    out["(config)"] = "(unreadable)";
  }
  return out;
}

}  // namespace

std::vector<ConfigDifference> configDifferences(const std::string& before_yaml, const std::string& after_yaml) {
  const auto a = flat(before_yaml), b = flat(after_yaml);
  std::vector<ConfigDifference> d;
  for (const auto& [k, v] : a) {
    const auto it = b.find(k);
    if (it == b.end())
      d.push_back({k, v, "(absent)"});
    else if (it->second != v)
      d.push_back({k, v, it->second});
  }
  for (const auto& [k, v] : b)
    if (!a.count(k)) d.push_back({k, "(absent)", v});
  return d;
}

std::string describeDifferences(const std::vector<ConfigDifference>& d, const std::string& before_name,
                                std::size_t max_keys) {
  std::string s;
  for (std::size_t i = 0; i < d.size() && i < max_keys; ++i)
    s += fmt::format("{}{} ({} in {}, {} now)", i ? ", " : "", d[i].key, d[i].before, before_name, d[i].after);
  if (d.size() > max_keys) s += fmt::format(" and {} more", d.size() - max_keys);
  return s;
}

}  // namespace vna
