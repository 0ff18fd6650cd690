#include "core/run_loop.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdlib>
#include <vector>

#include "core/signals.hpp"

namespace vna {

std::string RunLoop::formatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const long s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02d}m", s / 3600, (s / 60) % 60);
  if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

RunLoop::RunLoop(const Comm& comm, const Log& log, const RunLoopSettings& settings)
    : comm_(comm), log_(log), settings_(settings) {
  installSignalHandlers();
  if (settings.signal_hook != nullptr)
    if (const char* value = std::getenv(settings.signal_hook)) hook_ = std::atoll(value);
  tty_ = settings.overwrite_progress && log.enabled() && isatty(fileno(log.stream()));
}

RunLoop::Vote RunLoop::vote(std::int64_t next, bool first) {
  const SignalFlags signals = takeSignalFlags();
  const double minutes = std::chrono::duration<double>(Clock::now() - last_flush_).count() / 60.0;
  const bool due = !first && ((settings_.flush_every > 0 && next % settings_.flush_every == 0) ||
                              (settings_.flush_minutes > 0 && minutes > settings_.flush_minutes));
  std::vector<double> votes = {signals.stop ? 1.0 : 0.0, signals.checkpoint ? 1.0 : 0.0, due ? 1.0 : 0.0};
  comm_.sumInPlace(votes);  // the one reduction: every rank decides the same
  Vote v;
  v.stop = votes[0] > 0;
  v.requested = votes[1] > 0;
  v.flush = v.requested || votes[2] > 0;
  return v;
}

void RunLoop::flush(const Flush& flush, std::int64_t next, bool requested) {
  const std::string note = flush(next, requested);
  last_flush_ = Clock::now();
  if (note.empty() || !log_.enabled()) return;
  log_.info("{}{}", open_line_ ? "\n" : "", note);
  open_line_ = false;
}

void RunLoop::progress(std::int64_t begin, std::int64_t next, std::int64_t end, const Line& line) {
  const auto now = Clock::now();
  const bool last = next == end;
  if (!log_.enabled() || settings_.progress_seconds < 0 ||
      (!last && std::chrono::duration<double>(now - last_progress_).count() <= settings_.progress_seconds))
    return;
  last_progress_ = now;
  Progress p;
  p.next = next;
  p.elapsed = std::chrono::duration<double>(now - start_).count();
  p.seconds_per_step = p.elapsed / static_cast<double>(next - begin);
  p.eta = formatDuration(p.seconds_per_step * static_cast<double>(end - next));
  const std::string text = line(p);
  if (tty_) {
    fmt::print(log_.stream(), "\r{:<120}{}", text, last ? "\n" : "");
    std::fflush(log_.stream());
    open_line_ = !last;
  } else {
    log_.info("{}", text);
  }
}

RunLoopResult RunLoop::run(std::int64_t begin, std::int64_t end, const Step& step, const Flush& flush_fn,
                           const Line& line) {
  RunLoopResult result;
  result.next = begin;
  if (begin >= end) {
    result.completed = true;
    return result;
  }
  start_ = last_flush_ = last_progress_ = Clock::now();
  open_line_ = false;
  // A signal that arrived while the driver was setting up stops it before any work.
  if (vote(begin, /*first=*/true).stop) {
    flush(flush_fn, begin, false);
    return result;
  }
  for (std::int64_t i = begin; i < end; ++i) {
    const std::int64_t key = step(i);
    if (hook_ >= 0 && key == hook_) std::raise(SIGTERM);
    const bool last = i + 1 == end;
    const Vote v = vote(i + 1, /*first=*/false);
    if (!last && (v.flush || v.stop)) flush(flush_fn, i + 1, v.requested);
    progress(begin, i + 1, end, line);
    if (!last && v.stop) {
      result.next = i + 1;
      return result;
    }
  }
  result.completed = true;
  result.next = end;
  return result;
}

}  // namespace vna
