#pragma once
// Starts a shell command in the background (its own process group, output to a log file), so that a
// test can signal or kill it at a chosen moment and wait for its end.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "support/run_vna.hpp"

namespace vna::test {

// `command` runs under bash without this test's MPI variables; stdout and stderr go to `log`. The
// shells exec: for a simple command (vna, or mpiexec) the returned pid is that process itself.
inline pid_t spawnShell(const std::string& command, const std::filesystem::path& log) {
  const std::string cmd = "exec " + cleanMpiEnvironmentPrefix() + "bash -c " + shellQuote(command) + " > " +
                          shellQuote(log.string()) + " 2>&1";
  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  if (pid > 0) setpgid(pid, pid);
  return pid;
}

// The exit code (>= 0), or −signal when a signal ended it; kTimedOut (after killing the group) when it
// did not end within `seconds`.
inline constexpr int kTimedOut = -1000;
inline int waitFor(pid_t pid, double seconds) {
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    int status = 0;
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? -WTERMSIG(status) : -999;
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() > seconds) {
      kill(-pid, SIGKILL);
      waitpid(pid, &status, 0);
      return kTimedOut;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

inline std::string readLog(const std::filesystem::path& log) {
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Waits until `log` contains `text` (true), or `seconds` pass or the process ends (false).
inline bool waitForText(const std::filesystem::path& log, const std::string& text, double seconds, pid_t pid) {
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds) {
    if (readLog(log).find(text) != std::string::npos) return true;
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
      return readLog(log).find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

}  // namespace vna::test
