#pragma once
// Thin, checked wrapper over the MPI calls vna needs. Every call's status is checked and a failure
// throws vna::Error in all builds (the communicator's error handler is set to MPI_ERRORS_RETURN).
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vna {

void mpiCheck(int status, const char* call, const char* file, int line);
#define VNA_MPI_CHECK(call) ::vna::mpiCheck((call), #call, __FILE__, __LINE__)

// RAII for MPI_Init/MPI_Finalize; also initializes Kokkos lazily elsewhere.
class MpiSession {
 public:
  MpiSession(int* argc, char*** argv);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;
};

class Comm {
 public:
  Comm();  // MPI_COMM_WORLD
  explicit Comm(MPI_Comm comm);
  MPI_Comm raw() const { return comm_; }
  int rank() const { return rank_; }
  int size() const { return size_; }
  bool isRoot() const { return rank_ == 0; }

  void barrier() const;
  void broadcast(std::string& s, int root = 0) const;
  void broadcast(std::vector<double>& v, int root = 0) const;
  void broadcast(std::vector<std::uint8_t>& v, int root = 0) const;
  template <class T>
  void broadcastValue(T& v, int root = 0) const {
    VNA_MPI_CHECK(MPI_Bcast(&v, sizeof(T), MPI_BYTE, root, comm_));
  }
  double sum(double v) const;
  double min(double v) const;
  double max(double v) const;
  std::int64_t sum(std::int64_t v) const;
  void sumInPlace(std::vector<double>& v) const;
  void sumInPlace(std::vector<std::int64_t>& v) const;
  // Concatenates every rank's vector on every rank, in rank order.
  std::vector<std::uint8_t> allGatherV(const std::vector<std::uint8_t>& local) const;
  std::vector<double> allGatherV(const std::vector<double>& local) const;

  // Collective agreement on a failure seen by some ranks: if any rank passes a non-empty message,
  // every rank throws InputError with the message of the lowest such rank.
  void throwIfAnyInputError(const std::string& local_message) const;

 private:
  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
};

// Contiguous block [begin, end) of n items owned by `rank` of `size` (balanced to within one item).
struct Range {
  std::int64_t begin, end;
};
Range blockRange(std::int64_t n, int rank, int size);

}  // namespace vna
