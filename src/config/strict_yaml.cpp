#include "config/strict_yaml.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <map>
#include <sstream>
#include <vector>

#include "core/error.hpp"

namespace vna {

namespace {

int lineOf(const YAML::Node& n) { return n.Mark().line + 1; }

// Counts documents (and remembers where the second starts); ignores their content.
class DocumentCounter : public YAML::EventHandler {
 public:
  int documents = 0, second_line = 0;
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents == 2) second_line = mark.line + 1;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t, const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

std::string joinPath(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// Every mapping at any depth: scalar keys, each once.
void checkNode(const YAML::Node& node, const std::string& path, const std::string& source) {
  if (node.IsMap()) {
    std::map<std::string, int> seen;  // key -> line
    for (const auto& kv : node) {
      if (!kv.first.IsScalar())
        throw InputError(fmt::format("{}: {}: a key must be a plain name, not a {} (line {})", source,
                                     path.empty() ? "top level" : path,
                                     kv.first.IsMap() ? "mapping" : kv.first.IsSequence() ? "list" : "null",
                                     lineOf(kv.first)));
      const std::string key = kv.first.Scalar();
      const std::string where = joinPath(path, key);
      const auto [it, fresh] = seen.emplace(key, lineOf(kv.first));
      if (!fresh)
        throw InputError(fmt::format("{}: {}: duplicate key ({}): give each key once", source, where,
                                     it->second == lineOf(kv.first)
                                         ? fmt::format("twice on line {}", it->second)
                                         : fmt::format("lines {} and {}", it->second, lineOf(kv.first))));
      checkNode(kv.second, where, source);
    }
  } else if (node.IsSequence()) {
    std::size_t i = 0;
    for (const auto& e : node) checkNode(e, fmt::format("{}[{}]", path, i++), source);
  }
}

}  // namespace

YAML::Node loadStrictYaml(const std::string& text, const std::string& source, const std::string& context) {
  // Documents are counted with the event parser, at most two: YAML::LoadAll loops without end (and
  // allocates until it fails) on some malformed input, such as a stray ',' before a mapping.
  YAML::Node root;
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    DocumentCounter counter;
    if (!parser.HandleNextDocument(counter)) return YAML::Node(YAML::NodeType::Null);
    if (parser.HandleNextDocument(counter)) {
      const int line = counter.second_line;
      throw InputError(fmt::format(
          "{}: {}text after the end of the first YAML document{} (a second document after '---' or '...', or more "
          "text after a closed {{...}} or [...]): {} is one YAML value",
          source, context.empty() ? "" : context + ": ", line > 0 ? fmt::format(", at line {}", line) : "",
          context.empty() ? "a config" : "a value"));
    }
    root = YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    throw InputError(fmt::format("{}: YAML syntax error at line {}, column {}: {}", source, e.mark.line + 1,
                                 e.mark.column + 1, e.msg));
  } catch (const YAML::Exception& e) {
    throw InputError(fmt::format("{}: cannot read YAML: {}", source, e.what()));
  }
  checkNode(root, context, source);
  return root;
}

}  // namespace vna
