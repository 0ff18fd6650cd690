// The vna executable (src/app/cli.hpp): MPI, then Kokkos with its own --kokkos-* options, then vna's
// command line with the others (so that `vna --help` prints vna's help, not Kokkos').
// With VNA_EXIT_STATUS_FILE set, rank 0 also writes its exit code there: a launcher that was signalled
// itself reports its own code (OpenMPI's mpiexec answers SIGTERM with 1 even when the ranks stopped at
// a checkpoint with 3), so jobscripts/vna_slurm.sh reads vna's from the file.
#include <Kokkos_Core.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "app/cli.hpp"
#include "core/error.hpp"

int main(int argc, char** argv) {
  vna::MpiSession mpi(&argc, &argv);
  const vna::Comm comm;
  std::vector<char*> vna_args, kokkos_args;
  for (int i = 0; i < argc; ++i) {
    const bool kokkos = i > 0 && std::strncmp(argv[i], "--kokkos-", 9) == 0;
    if (i == 0 || !kokkos) vna_args.push_back(argv[i]);
    if (i == 0 || kokkos) kokkos_args.push_back(argv[i]);
  }
  int kokkos_argc = static_cast<int>(kokkos_args.size());
  kokkos_args.push_back(nullptr);
  vna_args.push_back(nullptr);
  int code = vna::kExitOk;
  {
    Kokkos::ScopeGuard kokkos(kokkos_argc, kokkos_args.data());
    code = vna::runCli(static_cast<int>(vna_args.size()) - 1, vna_args.data(), comm);
  }
  const char* status = std::getenv("VNA_EXIT_STATUS_FILE");
  if (status && *status && comm.isRoot())
    if (std::FILE* f = std::fopen(status, "w")) {
      std::fprintf(f, "%d\n", code);
      std::fclose(f);
    }
  return code;
}
