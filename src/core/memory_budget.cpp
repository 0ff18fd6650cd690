#include "core/memory_budget.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

namespace vna {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double meminfoAvailable() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  double value = 0;
  std::string unit;
  while (in >> key >> value >> unit)
    if (key == "MemAvailable:") return value * 1024.0;
  return kInf;
}

double readNumber(const std::string& path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return kInf;
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  return end != text.c_str() ? v : kInf;
}

// What the cgroup of this process still allows (infinity without a limit).
double cgroupAvailable() {
  std::ifstream in("/proc/self/cgroup");
  std::string line;
  double best = kInf;
  while (std::getline(in, line)) {
    // "0::/path" (v2) or "4:memory:/path" (v1).
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (controllers.empty()) {
      const std::string dir = "/sys/fs/cgroup" + path;
      const double limit = readNumber(dir + "/memory.max"), used = readNumber(dir + "/memory.current");
      if (std::isfinite(limit)) best = std::min(best, limit - (std::isfinite(used) ? used : 0.0));
    } else if (controllers.find("memory") != std::string::npos) {
      const std::string dir = "/sys/fs/cgroup/memory" + path;
      const double limit = readNumber(dir + "/memory.limit_in_bytes"), used = readNumber(dir + "/memory.usage_in_bytes");
      // v1 reports "no limit" as a huge number.
      if (std::isfinite(limit) && limit < 1e18) best = std::min(best, limit - (std::isfinite(used) ? used : 0.0));
    }
  }
  return best;
}

int nodeRanks(const Comm& comm) {
  MPI_Comm node;
  if (MPI_Comm_split_type(comm.raw(), MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node) != MPI_SUCCESS) return 1;
  int n = 1;
  MPI_Comm_size(node, &n);
  MPI_Comm_free(&node);
  return n;
}

}  // namespace

double parseByteSize(const std::string& text) {
  if (text.empty()) return -1;
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !(v >= 0) || !std::isfinite(v)) return -1;
  std::string suffix(end);
  if (!suffix.empty() && (suffix.back() == 'B' || suffix.back() == 'b')) suffix.pop_back();
  if (!suffix.empty() && (suffix.back() == 'i')) suffix.pop_back();
  if (suffix.empty()) return v;
  if (suffix.size() != 1) return -1;
  switch (std::toupper(static_cast<unsigned char>(suffix[0]))) {
    case 'K': return v * 1024.0;
    case 'M': return v * 1024.0 * 1024.0;
    case 'G': return v * 1024.0 * 1024.0 * 1024.0;
    case 'T': return v * 1024.0 * 1024.0 * 1024.0 * 1024.0;
  }
  return -1;
}

MemoryBudget hostMemoryPerRank(const Comm& comm) {
  MemoryBudget b;
  b.node_ranks = nodeRanks(comm);
  const double node = meminfoAvailable(), group = cgroupAvailable();
  b.origin = group < node ? "the job's cgroup limit" : "MemAvailable of /proc/meminfo";
  double per_rank = std::min(node, group) / b.node_ranks;
  if (const char* cap = std::getenv("VNA_MEMORY_LIMIT")) {
    const double v = parseByteSize(cap);
    if (v >= 0 && v < per_rank) {
      per_rank = v;
      b.origin = "VNA_MEMORY_LIMIT";
    }
  }
  // Every rank must reach the same verdict: the tightest rank decides (origin from rank 0's view).
  b.bytes = comm.min(per_rank);
  comm.broadcast(b.origin);
  b.node_ranks = static_cast<int>(comm.max(static_cast<double>(b.node_ranks)));
  return b;
}

double freeDiskBytes(const Comm& comm, const std::string& folder) {
  std::vector<double> v(1, kInf);
  if (comm.isRoot()) {
    struct statvfs s {};
    if (statvfs(folder.empty() ? "." : folder.c_str(), &s) == 0)
      v[0] = static_cast<double>(s.f_bavail) * static_cast<double>(s.f_frsize);
  }
  comm.broadcast(v);
  return v[0];
}

std::string formatBytes(double bytes) {
  if (!std::isfinite(bytes)) return "unlimited";
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (bytes >= 1024.0 && u < 5) bytes /= 1024.0, ++u;
  return u == 0 ? fmt::format("{:.0f} B", bytes) : fmt::format("{:.1f} {}", bytes, units[u]);
}

}  // namespace vna
