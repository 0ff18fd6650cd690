#pragma once
// Checked, RAII wrapper over the parts of the parallel HDF5 C API that vna uses. Every call's status
// is checked and a failure throws vna::Error with HDF5's own error stack in all builds.
// Files are opened collectively with the MPI-IO driver; metadata calls (groups, datasets, attributes)
// are collective and must be made by every rank with the same arguments.
#include <hdf5.h>
#include <mpi.h>

#include <cstdint>
#include <string>
#include <vector>

namespace vna::h5 {

hid_t checkId(hid_t id, const char* call, const char* file, int line);
void checkStatus(herr_t status, const char* call, const char* file, int line);
#define VNA_H5_ID(call) ::vna::h5::checkId((call), #call, __FILE__, __LINE__)
#define VNA_H5(call) ::vna::h5::checkStatus((call), #call, __FILE__, __LINE__)

// Owns an HDF5 identifier and closes it with the matching H5*close.
class Handle {
 public:
  Handle() = default;
  explicit Handle(hid_t id) : id_(id) {}
  Handle(Handle&& o) noexcept : id_(o.id_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() { reset(); }
  hid_t id() const { return id_; }
  operator hid_t() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset();  // closes; errors during close in a destructor are swallowed, close() reports them
  void close();

 private:
  hid_t id_ = H5I_INVALID_HID;
};

template <class T>
hid_t nativeType();

// Files (collective over comm).
Handle createFile(const std::string& path, MPI_Comm comm);  // truncates
Handle openFile(const std::string& path, MPI_Comm comm, bool writable);

bool exists(hid_t loc, const std::string& path);  // link exists (intermediate groups must exist)
Handle createGroup(hid_t loc, const std::string& name);
Handle openGroup(hid_t loc, const std::string& name);
Handle openOrCreateGroup(hid_t loc, const std::string& name);

// Attributes: scalar and 1D. Same value on every rank (metadata is collective).
void writeAttribute(hid_t obj, const std::string& name, const std::string& value);
void writeAttribute(hid_t obj, const std::string& name, const char* value);
void writeAttribute(hid_t obj, const std::string& name, double value);
void writeAttribute(hid_t obj, const std::string& name, std::int64_t value);
void writeAttribute(hid_t obj, const std::string& name, const std::vector<double>& value);
void writeAttribute(hid_t obj, const std::string& name, const std::vector<std::int64_t>& value);
void writeAttribute(hid_t obj, const std::string& name, const std::vector<std::string>& value);
bool hasAttribute(hid_t obj, const std::string& name);
std::string readStringAttribute(hid_t obj, const std::string& name);
double readDoubleAttribute(hid_t obj, const std::string& name);
std::int64_t readIntAttribute(hid_t obj, const std::string& name);
std::vector<std::string> readStringListAttribute(hid_t obj, const std::string& name);

// Datasets. createDataset is collective; `chunk` empty = contiguous.
template <class T>
Handle createDataset(hid_t loc, const std::string& name, const std::vector<hsize_t>& dims,
                     const std::vector<hsize_t>& chunk = {});
Handle openDataset(hid_t loc, const std::string& name);
std::vector<hsize_t> datasetShape(hid_t dset);

// Collective write of the block [offset, offset+count) (row-major, same rank as the dataset).
// A rank with nothing to write passes an empty count (or zeros) and a null pointer.
template <class T>
void writeBlock(hid_t dset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count, const T* data);
// Independent read of a block by the calling rank.
template <class T>
void readBlock(hid_t dset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count, T* data);

// Convenience: create a dataset holding `data` (shape `dims`); written by rank 0 (whose `data` must
// hold the values), collectively. Returns nothing: use openDataset to reopen.
template <class T>
void writeDataset(hid_t loc, const std::string& name, const std::vector<hsize_t>& dims, const T* data, int rank);
template <class T>
void writeDataset(hid_t loc, const std::string& name, const std::vector<T>& data, int rank) {
  writeDataset<T>(loc, name, {static_cast<hsize_t>(data.size())}, data.data(), rank);
}
// Every rank reads the whole dataset.
template <class T>
std::vector<T> readDataset(hid_t loc, const std::string& name, std::vector<hsize_t>* dims = nullptr);

}  // namespace vna::h5
