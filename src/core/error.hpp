#pragma once
// Error types. InputError is deterministic (every rank sees the same bad input and throws the same
// message), so the driver prints it once and exits cleanly; any other exception is rank-local and
// aborts the whole job.
#include <stdexcept>
#include <string>

namespace vna {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bad configuration, coupling file, command line or checkpoint: the user can fix it.
class InputError : public Error {
 public:
  using Error::Error;
};

// A long job stopped by a signal after saving a checkpoint (continue it with --resume).
class Interrupted : public Error {
 public:
  using Error::Error;
};

// Exit codes of the vna executable.
enum ExitCode : int { kExitOk = 0, kExitRuntimeError = 1, kExitInputError = 2, kExitInterrupted = 3 };

}  // namespace vna
