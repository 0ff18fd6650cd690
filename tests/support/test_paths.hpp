#pragma once
// Where tests find the source tree, the vna executable and the published instances.
#include <filesystem>
#include <string>

namespace vna::test {

inline std::filesystem::path sourceDir() { return VNA_SOURCE_DIR; }
inline std::filesystem::path sharedDataDir() { return VNA_SHARED_DATA_DIR; }
inline bool haveSharedData(const std::string& sub) { return std::filesystem::exists(sharedDataDir() / sub); }
inline std::filesystem::path tmpDir() { return VNA_TEST_TMPDIR; }
// tmpDir()/suite/name, emptied: each test case starts from nothing.
inline std::filesystem::path freshDir(const std::string& suite, const std::string& name) {
  const std::filesystem::path d = tmpDir() / suite / name;
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace vna::test
