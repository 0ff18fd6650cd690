#pragma once
// Runs the vna executable (optionally under mpiexec) from a test and captures what it prints.
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace vna::test {

struct Run {
  int exit_code = -1;
  std::string out;  // stdout (+ stderr when merged)
};

inline std::string shellQuote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += (c == '\'') ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The test process is itself an MPI process (a singleton); the variables the MPI runtime set for it
// must not leak into the job we start, or that job joins the wrong runtime.
inline std::string cleanMpiEnvironmentPrefix() {
  std::string prefix = "env";
  for (char** e = ::environ; *e; ++e) {
    const std::string var(*e);
    const std::string name = var.substr(0, var.find('='));
    const bool runtime = name.rfind("OMPI_", 0) == 0 || name.rfind("PMIX_", 0) == 0 ||
                         name.rfind("OPAL_", 0) == 0 || name.rfind("ORTE_", 0) == 0;
    const bool ours = name.rfind("OMPI_ALLOW_RUN_AS_ROOT", 0) == 0 || name == "OMPI_MCA_rmaps_base_oversubscribe";
    if (runtime && !ours) prefix += " -u " + name;
  }
  return prefix + " ";
}

// `args` is appended verbatim (quote it yourself). ranks = 0 runs without mpiexec.
// `env` is a list of NAME=value assignments for the started job.
inline Run runVna(const std::string& args, int ranks = 0, bool merge_stderr = true, const std::string& env = "") {
  std::string cmd = cleanMpiEnvironmentPrefix() + env + " ";
  if (ranks > 0) cmd += std::string(VNA_MPIEXEC) + " -n " + std::to_string(ranks) + " ";
  if (ranks > 0 && !env.empty()) cmd += "-x " + env.substr(0, env.find('=')) + " ";
  cmd += std::string(VNA_EXECUTABLE) + " " + args + (merge_stderr ? " 2>&1" : " 2>/dev/null");
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  while (std::fgets(buf.data(), buf.size(), p)) r.out += buf.data();
  const int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

inline std::filesystem::path writeFile(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
  return path;
}

inline int countOccurrences(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

}  // namespace vna::test
