#include "app/command_keys.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/error.hpp"

namespace vna {

namespace {

struct CommandSections {
  std::vector<std::string> reads;     // sections whose keys the command uses
  std::vector<std::string> needs;     // at least one of these must be given
  std::vector<std::string> describes; // sections that describe the source run (read from its file)
  bool host_only = false;
};

const std::map<std::string, CommandSections>& commandSections() {
  static const std::map<std::string, CommandSections> table = {
      {"exact", {{"model", "exact", "output"}, {"model"}, {}, true}},
      {"anneal", {{"model", "ansatz", "anneal", "replicas", "analysis", "backend", "output"}, {"model"}, {}, false}},
      // The network and the model come from the source's stored config; this config may repeat them.
      {"analyze",
       {{"analysis", "backend", "output", "campaign"},
        {"analysis", "model"},
        {"model", "ansatz", "anneal", "replicas", "sa", "sqa", "pt", "pa"},
        false}},
      {"landscape",
       {{"landscape", "backend", "output"}, {"landscape", "model"}, {"model", "ansatz", "anneal", "replicas"}, false}},
      {"campaign",
       {{"model", "ansatz", "anneal", "replicas", "analysis", "campaign", "sa", "sqa", "pt", "pa", "backend", "output"},
        {"model"},
        {},
        false}},
  };
  return table;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string section(const std::string& key) { return key.substr(0, key.find('.')); }

std::string joinOr(const std::vector<std::string>& v) {
  std::string s;
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? (i + 1 == v.size() ? " or " : ", ") : "") + v[i];
  return s;
}

// Keys of a section the command reads that are still unused for this config.
std::string unusedWithin(const std::string& command, const Config& c, const std::string& key) {
  const std::string mode = c.has("anneal.mode") ? c.getString("anneal.mode") : "classical";
  if (key == "analysis.source" && command != "analyze") return "only `vna analyze` reads it";
  if (command == "anneal" || command == "campaign") {
    if (key == "anneal.gamma0" && mode == "classical" && command == "anneal") return "anneal.mode is classical";
    if (key == "anneal.T0" && mode == "quantum" && command == "anneal") return "anneal.mode is quantum";
  }
  if (command == "campaign") {
    const auto methods = c.getStringList("campaign.methods");
    const bool variational = contains(methods, "vca") || contains(methods, "vqa");
    const std::string s = section(key);
    if (s == "sa" && !contains(methods, "sa")) return "campaign.methods has no sa";
    if (s == "sqa" && !contains(methods, "sqa")) return "campaign.methods has no sqa";
    if (s == "pt" && !contains(methods, "pt")) return "campaign.methods has no pt";
    if (s == "pa" && !contains(methods, "pa")) return "campaign.methods has no pa";
    if ((s == "ansatz" || s == "replicas" || (s == "anneal" && key != "anneal.schedule") || s == "analysis") &&
        !variational)
      return "campaign.methods has no vca or vqa";
    if (key == "anneal.mode") return "campaign.methods chooses VCA or VQA";
    if (key == "anneal.annealing_steps") return "campaign.annealing_steps sets the lengths";
  }
  return "";
}

}  // namespace

std::vector<IgnoredKey> checkConfigForCommand(const std::string& command, const Config& c) {
  const auto it = commandSections().find(command);
  if (it == commandSections().end()) return {};
  const CommandSections& cs = it->second;
  if (std::none_of(cs.needs.begin(), cs.needs.end(), [&](const std::string& s) { return c.hasSection(s); })) {
    const bool empty = c.givenKeys().empty() && std::none_of(cs.reads.begin(), cs.reads.end(), [&](const auto& s) {
                         return c.hasSection(s);
                       });
    throw InputError(fmt::format(
        "{}: {}`vna {}` needs at least the {} section{} (e.g. `model: {{type: newman_moore, L: 4}}`); vna does not run "
        "on defaults alone",
        c.source(), empty ? "the config is empty (no keys, or only comments): " : "", command, joinOr(cs.needs),
        cs.needs.size() > 1 ? "s" : ""));
  }
  if (cs.host_only && c.given("backend.device") && c.getString("backend.device") == "cuda")
    c.fail("backend.device", fmt::format("cuda: `vna {}` runs on the host only (its solvers have no GPU code); use "
                                         "auto or cpu, or drop the key",
                                         command));
  std::vector<IgnoredKey> out;
  for (const auto& key : c.givenKeys()) {
    const std::string s = section(key);
    if (contains(cs.describes, s)) continue;
    if (!contains(cs.reads, s)) {
      out.push_back({key, fmt::format("`vna {}` does not read the {} section", command, s)});
    } else if (const std::string why = unusedWithin(command, c, key); !why.empty()) {
      out.push_back({key, why});
    }
  }
  return out;
}

void reportConfigForCommand(const std::string& command, const Config& c, const Log& log) {
  const auto ignored = checkConfigForCommand(command, c);
  if (ignored.empty()) return;
  // Grouped by reason: "anneal.T0, anneal.samples (`vna exact` does not read the anneal section)".
  std::vector<std::pair<std::string, std::vector<std::string>>> groups;
  for (const auto& k : ignored) {
    auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& x) { return x.first == k.why; });
    if (g == groups.end()) g = groups.insert(groups.end(), {k.why, {}});
    g->second.push_back(k.key);
  }
  std::string text;
  for (const auto& [why, keys] : groups) {
    std::string list;
    for (std::size_t i = 0; i < keys.size() && i < 4; ++i) list += (i ? ", " : "") + keys[i];
    if (keys.size() > 4) list += fmt::format(" and {} more", keys.size() - 4);
    text += fmt::format("{}{} ({})", text.empty() ? "" : "; ", list, why);
  }
  log.info("note: {}: not used by this command: {}", c.source(), text);
}

}  // namespace vna
