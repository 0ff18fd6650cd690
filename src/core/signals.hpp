#pragma once
// Signals only set flags here; long-running phases poll them at safe points and agree across ranks
// (a vote) before they act, since signals reach the ranks at different times.
//   SIGTERM, SIGINT  stop: checkpoint what is resumable (the file then holds it) and exit with 3
//                    (SLURM's preemption, scancel and time limit; Ctrl-C)
//   SIGUSR2          the same: a stop that OpenMPI's mpiexec forwards to every rank (it answers its
//                    own SIGTERM by killing the ranks and exiting with 1)
//   SIGUSR1          checkpoint (flush) and go on (what SLURM users send with --signal=USR1@T)
// The stop request stays set once raised (every later phase stops at once); the checkpoint request
// is cleared when taken.
namespace vna {

struct SignalFlags {
  bool stop = false;        // SIGTERM, SIGINT or SIGUSR2: checkpoint and exit
  bool checkpoint = false;  // SIGUSR1: checkpoint and continue
};

// Idempotent; vna's commands install them before they start working.
void installSignalHandlers();
// The stop request (sticky) and the checkpoint request raised since the last call (then cleared).
SignalFlags takeSignalFlags();
// Whether a stop was requested (does not clear anything): for polling inside long local loops.
bool stopRequested();
// Whether any signal (stop or checkpoint) is pending, without taking it (test hooks wait for one).
bool signalPending();
// Forgets every request: for processes that run several jobs in turn (the in-process fuzzer test).
void clearSignalRequests();

}  // namespace vna
