#include "core/mpi_comm.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace vna {

void mpiCheck(int status, const char* call, const char* file, int line) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(status, text, &len) != MPI_SUCCESS) len = 0;
  throw Error(fmt::format("MPI call failed: {} ({}:{}): {}", call, file, line, std::string(text, len)));
}

MpiSession::MpiSession(int* argc, char*** argv) {
  int provided = 0;
  VNA_MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
  VNA_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
}

MpiSession::~MpiSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Comm::Comm() : Comm(MPI_COMM_WORLD) {}

Comm::Comm(MPI_Comm comm) : comm_(comm) {
  VNA_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  VNA_MPI_CHECK(MPI_Comm_size(comm_, &size_));
}

void Comm::barrier() const { VNA_MPI_CHECK(MPI_Barrier(comm_)); }

void Comm::broadcast(std::string& s, int root) const {
  std::uint64_t n = s.size();
  broadcastValue(n, root);
  s.resize(n);
  if (n) VNA_MPI_CHECK(MPI_Bcast(s.data(), static_cast<int>(n), MPI_CHAR, root, comm_));
}

void Comm::broadcast(std::vector<double>& v, int root) const {
  std::uint64_t n = v.size();
  broadcastValue(n, root);
  v.resize(n);
  if (n) VNA_MPI_CHECK(MPI_Bcast(v.data(), static_cast<int>(n), MPI_DOUBLE, root, comm_));
}

void Comm::broadcast(std::vector<std::uint8_t>& v, int root) const {
  std::uint64_t n = v.size();
  broadcastValue(n, root);
  v.resize(n);
  if (n) VNA_MPI_CHECK(MPI_Bcast(v.data(), static_cast<int>(n), MPI_UINT8_T, root, comm_));
}

double Comm::sum(double v) const {
  double r = 0;
  VNA_MPI_CHECK(MPI_Allreduce(&v, &r, 1, MPI_DOUBLE, MPI_SUM, comm_));
  return r;
}
double Comm::min(double v) const {
  double r = 0;
  VNA_MPI_CHECK(MPI_Allreduce(&v, &r, 1, MPI_DOUBLE, MPI_MIN, comm_));
  return r;
}
double Comm::max(double v) const {
  double r = 0;
  VNA_MPI_CHECK(MPI_Allreduce(&v, &r, 1, MPI_DOUBLE, MPI_MAX, comm_));
  return r;
}
std::int64_t Comm::sum(std::int64_t v) const {
  std::int64_t r = 0;
  VNA_MPI_CHECK(MPI_Allreduce(&v, &r, 1, MPI_INT64_T, MPI_SUM, comm_));
  return r;
}
void Comm::sumInPlace(std::vector<double>& v) const {
  if (!v.empty())
    VNA_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_DOUBLE, MPI_SUM, comm_));
}
void Comm::sumInPlace(std::vector<std::int64_t>& v) const {
  if (!v.empty())
    VNA_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_INT64_T, MPI_SUM, comm_));
}

namespace {
template <class T>
std::vector<T> allGatherVImpl(const std::vector<T>& local, MPI_Datatype type, MPI_Comm comm, int size) {
  int n = static_cast<int>(local.size());
  std::vector<int> counts(size), displs(size);
  VNA_MPI_CHECK(MPI_Allgather(&n, 1, MPI_INT, counts.data(), 1, MPI_INT, comm));
  int total = 0;
  for (int r = 0; r < size; ++r) {
    displs[r] = total;
    total += counts[r];
  }
  std::vector<T> all(total);
  VNA_MPI_CHECK(MPI_Allgatherv(local.data(), n, type, all.data(), counts.data(), displs.data(), type, comm));
  return all;
}
}  // namespace

std::vector<std::uint8_t> Comm::allGatherV(const std::vector<std::uint8_t>& local) const {
  return allGatherVImpl(local, MPI_UINT8_T, comm_, size_);
}
std::vector<double> Comm::allGatherV(const std::vector<double>& local) const {
  return allGatherVImpl(local, MPI_DOUBLE, comm_, size_);
}

void Comm::throwIfAnyInputError(const std::string& local_message) const {
  int mine = local_message.empty() ? size_ : rank_;
  int first = size_;
  VNA_MPI_CHECK(MPI_Allreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm_));
  if (first == size_) return;
  std::string message = local_message;
  broadcast(message, first);
  throw InputError(message);
}

Range blockRange(std::int64_t n, int rank, int size) {
  const std::int64_t base = n / size, extra = n % size;
  const std::int64_t begin = rank * base + std::min<std::int64_t>(rank, extra);
  return {begin, begin + base + (rank < extra ? 1 : 0)};
}

}  // namespace vna
