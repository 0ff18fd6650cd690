#pragma once
// SIGTERM and SIGUSR1 (what SLURM sends before a time limit or a preemption; also SIGINT) only set
// flags here; long-running drivers poll them at safe points, checkpoint, and stop (SIGTERM, SIGINT)
// or go on (SIGUSR1).
namespace vna {

struct SignalFlags {
  bool stop = false;        // SIGTERM or SIGINT: checkpoint and exit
  bool checkpoint = false;  // SIGUSR1: checkpoint and continue
};

void installSignalHandlers();
// Returns and clears the flags raised since the last call.
SignalFlags takeSignalFlags();

}  // namespace vna
