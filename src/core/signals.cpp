#include "core/signals.hpp"

#include <csignal>
#include <initializer_list>

namespace vna {

namespace {
volatile std::sig_atomic_t g_stop = 0;
volatile std::sig_atomic_t g_checkpoint = 0;

extern "C" void onSignal(int sig) {
  if (sig == SIGUSR1)
    g_checkpoint = 1;
  else
    g_stop = 1;
}
}  // namespace

void installSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  for (int sig : {SIGTERM, SIGINT, SIGUSR1, SIGUSR2}) sigaction(sig, &sa, nullptr);
}

SignalFlags takeSignalFlags() {
  SignalFlags f;
  f.stop = g_stop != 0;
  f.checkpoint = g_checkpoint != 0;
  g_checkpoint = 0;
  return f;
}

bool stopRequested() { return g_stop != 0; }
bool signalPending() { return g_stop != 0 || g_checkpoint != 0; }
void clearSignalRequests() { g_stop = g_checkpoint = 0; }

}  // namespace vna
