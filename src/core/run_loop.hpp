#pragma once
// The one resumable run loop of vna's long drivers (annealing updates, landscape rounds, campaign
// rows): signals, a rank-consistent stop decision, periodic flushes or checkpoints, progress lines
// with an ETA, and the test hook that raises SIGTERM after a given step.
//
// Signals reach the ranks of a job at different times. After every step (and once before the first)
// the ranks take ONE vote, a single reduction of {stop requested, flush requested, flush due}: a
// SIGTERM/SIGINT on any rank stops all ranks after the same step, a SIGUSR1 on any rank or a flush
// that is due (every `flush_every` steps, or `flush_minutes` after the last one) flushes on all ranks.
// The caller's flush(next) is collective and runs before stopping; it never runs after the last step
// (the caller finishes its file then).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "core/log.hpp"
#include "core/mpi_comm.hpp"

namespace vna {

struct RunLoopSettings {
  std::int64_t flush_every = 0;    // flush after every k-th step (0: not by count)
  double flush_minutes = 0.0;      // and at most this long after the last flush (0: not by time)
  double progress_seconds = 10.0;  // progress lines at least this far apart (and after the last step)
  bool overwrite_progress = true;  // on a terminal, progress lines overwrite each other
  // Test hook: the environment variable that names a step key; the rank whose step reports that key
  // raises SIGTERM after it (see RunLoop::Step), to exercise interruption and --resume exactly.
  const char* signal_hook = nullptr;
};

// Where a run ended: completed, or stopped by a signal with steps [begin, next) done.
struct RunLoopResult {
  bool completed = false;
  std::int64_t next = 0;
};

// What the progress line of a step may show.
struct Progress {
  std::int64_t next = 0;        // steps [0, next) are done
  double elapsed = 0.0;         // seconds since the loop started
  double seconds_per_step = 0;  // over the steps of this run
  std::string eta;              // the remaining steps at that rate, e.g. "3m05s"
};

class RunLoop {
 public:
  // A step does the work of step i and returns its hook key (the test hook compares it; −1: none).
  using Step = std::function<std::int64_t(std::int64_t)>;
  // Flushes (or checkpoints) with steps [0, next) done; `requested`: asked for by a signal. Returns a
  // line for the log ("" for none).
  using Flush = std::function<std::string(std::int64_t next, bool requested)>;
  using Line = std::function<std::string(const Progress&)>;

  // Installs the signal handlers (they only set flags).
  RunLoop(const Comm& comm, const Log& log, const RunLoopSettings& settings);

  // Runs steps [begin, end), voting after each and once before the first.
  RunLoopResult run(std::int64_t begin, std::int64_t end, const Step& step, const Flush& flush, const Line& line);

  static std::string formatDuration(double seconds);

 private:
  struct Vote {
    bool stop = false, flush = false, requested = false;
  };
  Vote vote(std::int64_t next, bool first);
  void flush(const Flush& flush, std::int64_t next, bool requested);
  void progress(std::int64_t begin, std::int64_t next, std::int64_t end, const Line& line);

  using Clock = std::chrono::steady_clock;
  const Comm& comm_;
  const Log& log_;
  RunLoopSettings settings_;
  std::int64_t hook_ = -1;
  bool tty_ = false, open_line_ = false;
  Clock::time_point start_, last_flush_, last_progress_;
};

}  // namespace vna
