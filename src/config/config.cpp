#include "config/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "config/schema.hpp"
#include "config/strict_yaml.hpp"
#include "core/error.hpp"

namespace vna {

namespace {

std::vector<std::string> splitPath(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '.')) parts.push_back(part);
  return parts;
}

bool parseInt(const std::string& s, std::int64_t& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return false;
  out = v;
  return true;
}

// Finite numbers only: YAML's .inf/.nan (and strtod's inf, nan, overflow to ±HUGE_VAL) are rejected.
bool parseReal(const std::string& s, double& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (errno == ERANGE || *end != '\0' || !std::isfinite(v)) return false;
  out = v;
  return true;
}

// Whether a scalar that is not a finite number names a non-finite one (for a clearer message).
bool looksNonFinite(const std::string& s) {
  std::string t;
  for (char c : s) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* w : {"inf", "nan", "infinity"})
    for (const char* p : {"", ".", "+", "-", "+.", "-."})
      if (t == std::string(p) + w) return true;
  errno = 0;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return errno == ERANGE && end != s.c_str() && *end == '\0';
}

bool parseBool(const std::string& s, bool& out) {
  std::string t = s;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "true" || t == "yes" || t == "on") return out = true, true;
  if (t == "false" || t == "no" || t == "off") return out = false, true;
  return false;
}

// Levenshtein distance, for "did you mean" hints.
std::size_t editDistance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string suggestion(const std::string& path) {
  std::string best;
  std::size_t best_d = 3;  // only close matches
  for (const auto& k : configKeys()) {
    const std::size_t d = editDistance(path, k.path);
    if (d < best_d) best_d = d, best = k.path;
  }
  return best.empty() ? "" : fmt::format(" (did you mean {}?)", best);
}

// A group is a path that prefixes schema keys (`landscape.directions` of `landscape.directions.kind`).
bool isGroup(const std::string& path) {
  for (const auto& k : configKeys())
    if (k.path.size() > path.size() && k.path.compare(0, path.size(), path) == 0 && k.path[path.size()] == '.')
      return true;
  return false;
}

bool isSection(const std::string& name) {
  for (const auto& s : configSections())
    if (s.name == name) return true;
  return false;
}

}  // namespace

std::string Config::where(const std::string& path) const {
  if (auto it = overrides_.find(path); it != overrides_.end()) return it->second;
  if (auto it = lines_.find(path); it != lines_.end()) return fmt::format("{}, line {}", source_, it->second);
  return fmt::format("{} (default)", source_);
}

void Config::fail(const std::string& path, const std::string& message) const {
  if (auto it = overrides_.find(path); it != overrides_.end())
    throw InputError(fmt::format("{}: {} (from {})", path, message, it->second));
  if (auto it = lines_.find(path); it != lines_.end())
    throw InputError(fmt::format("{}: {}: {} (line {})", source_, path, message, it->second));
  throw InputError(fmt::format("{}: {}: {}", source_, path, message));
}

Config Config::load(const std::filesystem::path& path, const std::vector<std::string>& overrides) {
  std::ifstream in(path);
  if (!in) throw InputError(fmt::format("cannot open config file '{}': {}", path.string(), std::strerror(errno)));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse(ss.str(), path.string(), overrides);
}

Config Config::parse(const std::string& text, const std::string& source, const std::vector<std::string>& overrides,
                     const std::string& base_dir) {
  Config cfg;
  cfg.source_ = source;
  cfg.base_dir_ = base_dir.empty() ? std::filesystem::path(source).parent_path() : std::filesystem::path(base_dir);

  YAML::Node root = loadStrictYaml(text, source);
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap())
    throw InputError(fmt::format("{}: the top level must be a mapping of sections (line {})", source,
                                 root.Mark().line + 1));

  // Record where each given key is, checking the structure as we go.
  std::map<std::string, YAML::Node> given;
  for (auto sec : root) {
    const std::string name = sec.first.as<std::string>();
    const int line = sec.first.Mark().line + 1;
    if (!isSection(name)) throw InputError(fmt::format("{}: {}: unknown section (line {})", source, name, line));
    cfg.sections_.emplace(name, fmt::format("{}, line {}", source, line));
    if (sec.second.IsNull()) continue;
    if (!sec.second.IsMap())
      throw InputError(fmt::format("{}: {}: must be a mapping of keys (line {})", source, name, line));
    // Keys may be grouped in nested mappings (`directions: {kind: gaussian, seed: 1}`).
    std::function<void(const std::string&, const YAML::Node&)> walk = [&](const std::string& prefix,
                                                                          const YAML::Node& map) {
      for (auto kv : map) {
        const std::string path = prefix + "." + kv.first.as<std::string>();
        const int kline = kv.first.Mark().line + 1;
        if (findKey(path)) {
          given[path] = kv.second;
          cfg.lines_[path] = kline;
        } else if (isGroup(path)) {
          if (kv.second.IsNull()) continue;
          if (!kv.second.IsMap())
            throw InputError(fmt::format("{}: {}: must be a mapping of keys (line {})", source, path, kline));
          walk(path, kv.second);
        } else {
          throw InputError(fmt::format("{}: {}: unknown key{} (line {})", source, path, suggestion(path), kline));
        }
      }
    };
    walk(name, sec.second);
  }
  for (const auto& ov : overrides) {
    const auto eq = ov.find('=');
    if (eq == std::string::npos || eq == 0)
      throw InputError(fmt::format("--set {}: expected section.key=value", ov));
    const std::string path = ov.substr(0, eq);
    const std::string value = ov.substr(eq + 1);
    if (!findKey(path)) throw InputError(fmt::format("--set {}: unknown key{}", path, suggestion(path)));
    YAML::Node v;
    try {
      v = loadStrictYaml(value, "the value", path);
    } catch (const InputError& e) {
      throw InputError(fmt::format("--set {}: cannot parse '{}' as YAML ({})", path, value, e.what()));
    }
    given[path] = v;
    cfg.sections_.emplace(path.substr(0, path.find('.')), "--set " + ov);
    cfg.lines_.erase(path);
    cfg.overrides_[path] = "--set " + ov;
  }

  // Applicability of conditional keys uses the given or default value of their discriminator.
  auto effectiveScalar = [&](const std::string& path) -> std::string {
    if (auto it = given.find(path); it != given.end() && it->second.IsScalar()) return it->second.Scalar();
    const KeySpec* k = findKey(path);
    return k ? k->default_yaml : "";
  };
  auto applicable = [&](const KeySpec& k) {
    if (k.when_key.empty()) return true;
    const std::string v = effectiveScalar(k.when_key);
    return std::find(k.when_values.begin(), k.when_values.end(), v) != k.when_values.end();
  };

  auto checkScalar = [&](const KeySpec& k, const YAML::Node& node, const std::string& what) {
    if (!node.IsScalar()) cfg.fail(k.path, fmt::format("expected {}, got a {}", what, node.IsMap() ? "mapping" : node.IsSequence() ? "list" : "null"));
  };
  auto checkNumber = [&](const KeySpec& k, const YAML::Node& node, bool integer) {
    checkScalar(k, node, integer ? "an integer" : "a number");
    double v = 0;
    if (integer) {
      std::int64_t iv = 0;
      if (!parseInt(node.Scalar(), iv)) cfg.fail(k.path, fmt::format("expected an integer, got '{}'", node.Scalar()));
      v = static_cast<double>(iv);
    } else if (!parseReal(node.Scalar(), v)) {
      cfg.fail(k.path, fmt::format("expected a {}number, got '{}'", looksNonFinite(node.Scalar()) ? "finite " : "",
                                   node.Scalar()));
    }
    const bool below = k.min && (k.min_exclusive ? v <= *k.min : v < *k.min);
    const bool above = k.max && v > *k.max;
    if (below || above) {
      std::string bounds;
      if (k.min) bounds += fmt::format("{} {}", k.min_exclusive ? ">" : ">=", *k.min);
      if (k.max) bounds += fmt::format("{}<= {}", bounds.empty() ? "" : " and ", *k.max);
      cfg.fail(k.path, fmt::format("value {} is out of range (must be {})", node.Scalar(), bounds));
    }
  };
  auto checkList = [&](const KeySpec& k, const YAML::Node& node, const std::function<void(const YAML::Node&)>& each) {
    if (!node.IsSequence()) cfg.fail(k.path, fmt::format("expected a {}, got '{}'", kindName(k.kind), node.IsScalar() ? node.Scalar() : "a mapping"));
    const int n = static_cast<int>(node.size());
    if (n < k.min_length) cfg.fail(k.path, fmt::format("needs at least {} entries, got {}", k.min_length, n));
    if (k.max_length >= 0 && n > k.max_length)
      cfg.fail(k.path, fmt::format("takes at most {} entries, got {}", k.max_length, n));
    for (const auto& e : node) each(e);
  };

  for (const auto& [path, node] : given) {
    const KeySpec& k = *findKey(path);
    if (!applicable(k))
      cfg.fail(path, fmt::format("not used when {} is {}", k.when_key, effectiveScalar(k.when_key)));
    switch (k.kind) {
      case ValueKind::kInt: checkNumber(k, node, true); break;
      case ValueKind::kReal: checkNumber(k, node, false); break;
      case ValueKind::kBool: {
        checkScalar(k, node, "true or false");
        bool b;
        if (!parseBool(node.Scalar(), b)) cfg.fail(path, fmt::format("expected true or false, got '{}'", node.Scalar()));
        break;
      }
      case ValueKind::kString: checkScalar(k, node, "a string"); break;
      case ValueKind::kEnum: {
        checkScalar(k, node, "one of the choices");
        if (std::find(k.choices.begin(), k.choices.end(), node.Scalar()) == k.choices.end()) {
          std::string list;
          for (const auto& c : k.choices) list += (list.empty() ? "" : ", ") + c;
          cfg.fail(path, fmt::format("'{}' is not one of: {}", node.Scalar(), list));
        }
        break;
      }
      case ValueKind::kIntList: checkList(k, node, [&](const YAML::Node& e) { checkNumber(k, e, true); }); break;
      case ValueKind::kRealList: checkList(k, node, [&](const YAML::Node& e) { checkNumber(k, e, false); }); break;
      case ValueKind::kStringList:
        checkList(k, node, [&](const YAML::Node& e) { checkScalar(k, e, "a string"); });
        break;
      case ValueKind::kStringOrList:
        if (node.IsSequence()) {
          if (node.size() == 0) cfg.fail(path, "needs at least one entry");
          checkList(k, node, [&](const YAML::Node& e) { checkScalar(k, e, "a string"); });
        } else {
          checkScalar(k, node, "a string or a list of strings");
        }
        break;
    }
  }

  // Resolved tree in schema order: given values, else defaults; required keys must be there.
  cfg.resolved_ = YAML::Node(YAML::NodeType::Map);
  for (const auto& k : configKeys()) {
    if (!applicable(k)) continue;
    const auto parts = splitPath(k.path);
    YAML::Node value;
    if (auto it = given.find(k.path); it != given.end()) {
      value = it->second;
    } else if (k.required) {
      throw InputError(fmt::format("{}: {}: missing required key ({})", source, k.path, k.doc));
    } else if (!k.default_yaml.empty()) {
      value = YAML::Load(k.default_yaml);
    } else {
      continue;
    }
    // yaml-cpp's Node::operator= assigns content; reset() rebinds the cursor.
    YAML::Node cursor = cfg.resolved_;  // copy construction shares the node
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      if (!cursor[parts[i]].IsMap()) cursor[parts[i]] = YAML::Node(YAML::NodeType::Map);
      YAML::Node next = cursor[parts[i]];
      cursor.reset(next);
    }
    cursor[parts.back()] = YAML::Clone(value);
  }
  return cfg;
}

namespace {
// The node at a dotted path of the resolved tree, or an undefined node.
YAML::Node findNode(const YAML::Node& root, const std::string& path) {
  const auto parts = splitPath(path);
  YAML::Node cursor;
  cursor.reset(root);
  for (const auto& part : parts) {
    if (!cursor.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
    const YAML::Node& c = cursor;
    YAML::Node next = c[part];
    if (!next.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
    cursor.reset(next);
  }
  return cursor;
}
}  // namespace

YAML::Node Config::lookup(const std::string& path) const {
  if (splitPath(path).size() < 2) throw Error(fmt::format("Config: bad key path '{}'", path));
  const YAML::Node v = findNode(resolved_, path);
  if (!v.IsDefined()) throw Error(fmt::format("Config: no value for '{}'", path));
  return v;
}

bool Config::has(const std::string& path) const {
  return splitPath(path).size() >= 2 && findNode(resolved_, path).IsDefined();
}

bool Config::given(const std::string& path) const { return lines_.count(path) || overrides_.count(path); }

std::string Config::sectionWhere(const std::string& name) const {
  const auto it = sections_.find(name);
  return it == sections_.end() ? fmt::format("{} (not given)", source_) : it->second;
}

std::vector<std::string> Config::givenKeys() const {
  std::vector<std::string> out;
  for (const auto& k : configKeys())
    if (given(k.path)) out.push_back(k.path);
  return out;
}

std::int64_t Config::getInt(const std::string& path) const {
  std::int64_t v = 0;
  parseInt(lookup(path).Scalar(), v);
  return v;
}
double Config::getReal(const std::string& path) const {
  double v = 0;
  parseReal(lookup(path).Scalar(), v);
  return v;
}
bool Config::getBool(const std::string& path) const {
  bool v = false;
  parseBool(lookup(path).Scalar(), v);
  return v;
}
std::string Config::getString(const std::string& path) const { return lookup(path).Scalar(); }
std::vector<double> Config::getRealList(const std::string& path) const {
  std::vector<double> out;
  for (const auto& e : lookup(path)) {
    double v = 0;
    parseReal(e.Scalar(), v);
    out.push_back(v);
  }
  return out;
}
std::vector<std::int64_t> Config::getIntList(const std::string& path) const {
  std::vector<std::int64_t> out;
  for (const auto& e : lookup(path)) {
    std::int64_t v = 0;
    parseInt(e.Scalar(), v);
    out.push_back(v);
  }
  return out;
}
std::vector<std::string> Config::getStringList(const std::string& path) const {
  const YAML::Node v = lookup(path);
  if (v.IsScalar()) return {v.Scalar()};
  std::vector<std::string> out;
  for (const auto& e : v) out.push_back(e.Scalar());
  return out;
}

std::filesystem::path Config::resolvePath(const std::string& p) const {
  const std::filesystem::path path(p);
  if (path.is_absolute() || base_dir_.empty()) return path;
  return base_dir_ / path;
}

std::string Config::resolvedYaml() const {
  YAML::Emitter out;
  out << resolved_;
  return std::string(out.c_str()) + "\n";
}

std::vector<std::string> Config::seeds() const {
  std::vector<std::string> out;
  for (const auto& k : configKeys()) {
    const auto parts = splitPath(k.path);
    if (parts.back() == "seed" && has(k.path)) out.push_back(fmt::format("{}={}", k.path, getInt(k.path)));
  }
  return out;
}

}  // namespace vna
