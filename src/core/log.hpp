#pragma once
// Human-readable progress from rank 0. With --json, stdout carries only the JSON result, so the
// human text goes to stderr.
#include <fmt/format.h>

#include <cstdio>

namespace vna {

class Log {
 public:
  Log(bool is_root, bool json_mode) : enabled_(is_root), stream_(json_mode ? stderr : stdout) {}
  template <class... Args>
  void info(fmt::format_string<Args...> f, Args&&... args) const {
    if (!enabled_) return;
    fmt::print(stream_, f, std::forward<Args>(args)...);
    std::fputc('\n', stream_);
    std::fflush(stream_);
  }
  bool enabled() const { return enabled_; }
  std::FILE* stream() const { return stream_; }

 private:
  bool enabled_;
  std::FILE* stream_;
};

}  // namespace vna
