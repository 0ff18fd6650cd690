#pragma once
// vna's command line: `vna <command> CONFIG.yaml [--set key=value]... [--output FILE] [--force]
// [--json] [--resume]`, run to an exit code. An input error is reported once (rank 0) and every rank
// returns 2; a stop at a checkpoint returns 3; any other error is reported by the rank that met it,
// which aborts the whole job when there are several ranks (else returns 1).
#include <string>

#include "core/mpi_comm.hpp"

namespace vna {

struct CliOptions {
  bool quiet = false;             // print nothing (tests); the error text goes to *message
  std::string* message = nullptr;  // receives the error or interruption text, if any
};

// Kokkos must be initialized (main() gives Kokkos its --kokkos-* options, this its others).
int runCli(int argc, char** argv, const Comm& comm, const CliOptions& options = {});

}  // namespace vna
