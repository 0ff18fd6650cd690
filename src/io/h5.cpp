#include "io/h5.hpp"

#include <fmt/format.h>

#include <numeric>

#include "core/error.hpp"

namespace vna::h5 {

namespace {

// Collects HDF5's error stack into one message (auto-printing is turned off once, below).
herr_t walker(unsigned n, const H5E_error2_t* err, void* data) {
  auto* text = static_cast<std::string*>(data);
  *text += fmt::format("\n  #{} {}: {}", n, err->func_name ? err->func_name : "?", err->desc ? err->desc : "");
  return 0;
}

struct SilenceAutoPrint {
  SilenceAutoPrint() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
};
const SilenceAutoPrint silence_auto_print;

[[noreturn]] void fail(const char* call, const char* file, int line) {
  std::string stack;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, walker, &stack);
  H5Eclear2(H5E_DEFAULT);
  throw Error(fmt::format("HDF5 call failed: {} ({}:{}){}", call, file, line, stack));
}

Handle stringType() {
  Handle t(VNA_H5_ID(H5Tcopy(H5T_C_S1)));
  VNA_H5(H5Tset_size(t, H5T_VARIABLE));
  VNA_H5(H5Tset_cset(t, H5T_CSET_UTF8));
  return t;
}

Handle collectiveTransfer() {
  Handle p(VNA_H5_ID(H5Pcreate(H5P_DATASET_XFER)));
  VNA_H5(H5Pset_dxpl_mpio(p, H5FD_MPIO_COLLECTIVE));
  return p;
}

void replaceAttribute(hid_t obj, const std::string& name) {
  if (VNA_H5_ID(H5Aexists(obj, name.c_str())) > 0) VNA_H5(H5Adelete(obj, name.c_str()));
}

}  // namespace

hid_t checkId(hid_t id, const char* call, const char* file, int line) {
  if (id < 0) fail(call, file, line);
  return id;
}
void checkStatus(herr_t status, const char* call, const char* file, int line) {
  if (status < 0) fail(call, file, line);
}

Handle& Handle::operator=(Handle&& o) noexcept {
  if (this != &o) {
    reset();
    id_ = o.id_;
    o.id_ = H5I_INVALID_HID;
  }
  return *this;
}

void Handle::reset() {
  if (id_ < 0) return;
  if (H5Iis_valid(id_) > 0) H5Idec_ref(id_);
  id_ = H5I_INVALID_HID;
}

void Handle::close() {
  if (id_ < 0) return;
  const hid_t id = id_;
  id_ = H5I_INVALID_HID;
  VNA_H5(H5Idec_ref(id));
}

template <> hid_t nativeType<double>() { return H5T_NATIVE_DOUBLE; }
template <> hid_t nativeType<float>() { return H5T_NATIVE_FLOAT; }
template <> hid_t nativeType<std::int32_t>() { return H5T_NATIVE_INT32; }
template <> hid_t nativeType<std::int64_t>() { return H5T_NATIVE_INT64; }
template <> hid_t nativeType<std::uint8_t>() { return H5T_NATIVE_UINT8; }
template <> hid_t nativeType<std::uint32_t>() { return H5T_NATIVE_UINT32; }
template <> hid_t nativeType<std::uint64_t>() { return H5T_NATIVE_UINT64; }

namespace {
Handle mpioAccess(MPI_Comm comm, bool writable) {
  Handle fapl(VNA_H5_ID(H5Pcreate(H5P_FILE_ACCESS)));
  VNA_H5(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL));
  VNA_H5(H5Pset_all_coll_metadata_ops(fapl, true));
  VNA_H5(H5Pset_coll_metadata_write(fapl, true));
  if (writable) {
    // Metadata reaches the disk only at H5Fflush (checkpoints) and close: the metadata cache neither
    // evicts dirty entries nor syncs them early, so a run killed between checkpoints leaves the file as
    // the last checkpoint wrote it (plus raw data in space that metadata already described), never a
    // half-updated group or attribute. vna's metadata is small (a few thousand objects).
    H5AC_cache_config_t mdc;
    mdc.version = H5AC__CURR_CACHE_CONFIG_VERSION;
    VNA_H5(H5Pget_mdc_config(fapl, &mdc));
    mdc.evictions_enabled = false;
    mdc.incr_mode = H5C_incr__off;
    mdc.flash_incr_mode = H5C_flash_incr__off;
    mdc.decr_mode = H5C_decr__off;
    mdc.dirty_bytes_threshold = 32 * 1024 * 1024;  // HDF5's largest (H5AC__MAX_DIRTY_BYTES_THRESHOLD)
    VNA_H5(H5Pset_mdc_config(fapl, &mdc));
  }
  return fapl;
}
}  // namespace

Handle createFile(const std::string& path, MPI_Comm comm) {
  Handle fapl = mpioAccess(comm, true);
  const hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  if (id < 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(fmt::format("cannot create output file '{}' (does its folder exist and is it writable?)", path));
  }
  return Handle(id);
}

Handle openFile(const std::string& path, MPI_Comm comm, bool writable) {
  Handle fapl = mpioAccess(comm, writable);
  const hid_t id = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl);
  if (id < 0) {
    H5Eclear2(H5E_DEFAULT);
    throw InputError(fmt::format("cannot open HDF5 file '{}' (missing, unreadable or not an HDF5 file)", path));
  }
  return Handle(id);
}

bool exists(hid_t loc, const std::string& path) { return VNA_H5_ID(H5Lexists(loc, path.c_str(), H5P_DEFAULT)) > 0; }

Handle createGroup(hid_t loc, const std::string& name) {
  return Handle(VNA_H5_ID(H5Gcreate2(loc, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)));
}
Handle openGroup(hid_t loc, const std::string& name) {
  return Handle(VNA_H5_ID(H5Gopen2(loc, name.c_str(), H5P_DEFAULT)));
}
Handle openOrCreateGroup(hid_t loc, const std::string& name) {
  return exists(loc, name) ? openGroup(loc, name) : createGroup(loc, name);
}

void writeAttribute(hid_t obj, const std::string& name, const std::string& value) {
  replaceAttribute(obj, name);
  Handle type = stringType();
  Handle space(VNA_H5_ID(H5Screate(H5S_SCALAR)));
  Handle attr(VNA_H5_ID(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT)));
  const char* p = value.c_str();
  VNA_H5(H5Awrite(attr, type, &p));
}
void writeAttribute(hid_t obj, const std::string& name, const char* value) {
  writeAttribute(obj, name, std::string(value));
}

namespace {
template <class T>
void writeNumericAttribute(hid_t obj, const std::string& name, const T* data, hsize_t n, bool scalar) {
  replaceAttribute(obj, name);
  Handle space(scalar ? VNA_H5_ID(H5Screate(H5S_SCALAR)) : VNA_H5_ID(H5Screate_simple(1, &n, nullptr)));
  Handle attr(VNA_H5_ID(H5Acreate2(obj, name.c_str(), nativeType<T>(), space, H5P_DEFAULT, H5P_DEFAULT)));
  if (n > 0) VNA_H5(H5Awrite(attr, nativeType<T>(), data));
}
}  // namespace

void writeAttribute(hid_t obj, const std::string& name, double value) {
  writeNumericAttribute(obj, name, &value, 1, true);
}
void writeAttribute(hid_t obj, const std::string& name, std::int64_t value) {
  writeNumericAttribute(obj, name, &value, 1, true);
}
void writeAttribute(hid_t obj, const std::string& name, const std::vector<double>& value) {
  writeNumericAttribute(obj, name, value.data(), value.size(), false);
}
void writeAttribute(hid_t obj, const std::string& name, const std::vector<std::int64_t>& value) {
  writeNumericAttribute(obj, name, value.data(), value.size(), false);
}
void writeAttribute(hid_t obj, const std::string& name, const std::vector<std::string>& value) {
  replaceAttribute(obj, name);
  Handle type = stringType();
  const hsize_t n = value.size();
  Handle space(VNA_H5_ID(H5Screate_simple(1, &n, nullptr)));
  Handle attr(VNA_H5_ID(H5Acreate2(obj, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT)));
  std::vector<const char*> ptrs;
  for (const auto& s : value) ptrs.push_back(s.c_str());
  if (n > 0) VNA_H5(H5Awrite(attr, type, ptrs.data()));
}

bool hasAttribute(hid_t obj, const std::string& name) { return VNA_H5_ID(H5Aexists(obj, name.c_str())) > 0; }

std::string readStringAttribute(hid_t obj, const std::string& name) {
  Handle attr(VNA_H5_ID(H5Aopen(obj, name.c_str(), H5P_DEFAULT)));
  Handle type = stringType();
  char* p = nullptr;
  VNA_H5(H5Aread(attr, type, &p));
  std::string s = p ? p : "";
  Handle space(VNA_H5_ID(H5Aget_space(attr)));
  VNA_H5(H5Dvlen_reclaim(type, space, H5P_DEFAULT, &p));
  return s;
}

std::vector<std::string> readStringListAttribute(hid_t obj, const std::string& name) {
  Handle attr(VNA_H5_ID(H5Aopen(obj, name.c_str(), H5P_DEFAULT)));
  Handle type = stringType();
  Handle space(VNA_H5_ID(H5Aget_space(attr)));
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  if (n < 0) fail("H5Sget_simple_extent_npoints", __FILE__, __LINE__);
  std::vector<char*> ptrs(n, nullptr);
  if (n > 0) VNA_H5(H5Aread(attr, type, ptrs.data()));
  std::vector<std::string> out;
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  if (n > 0) VNA_H5(H5Dvlen_reclaim(type, space, H5P_DEFAULT, ptrs.data()));
  return out;
}

double readDoubleAttribute(hid_t obj, const std::string& name) {
  Handle attr(VNA_H5_ID(H5Aopen(obj, name.c_str(), H5P_DEFAULT)));
  double v = 0;
  VNA_H5(H5Aread(attr, H5T_NATIVE_DOUBLE, &v));
  return v;
}

std::int64_t readIntAttribute(hid_t obj, const std::string& name) {
  Handle attr(VNA_H5_ID(H5Aopen(obj, name.c_str(), H5P_DEFAULT)));
  std::int64_t v = 0;
  VNA_H5(H5Aread(attr, H5T_NATIVE_INT64, &v));
  return v;
}

template <class T>
Handle createDataset(hid_t loc, const std::string& name, const std::vector<hsize_t>& dims,
                     const std::vector<hsize_t>& chunk) {
  Handle space(VNA_H5_ID(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr)));
  Handle dcpl(VNA_H5_ID(H5Pcreate(H5P_DATASET_CREATE)));
  if (!chunk.empty()) VNA_H5(H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data()));
  // Allocate at creation so that collective writes of parts never leave unallocated holes.
  VNA_H5(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY));
  return Handle(VNA_H5_ID(H5Dcreate2(loc, name.c_str(), nativeType<T>(), space, H5P_DEFAULT, dcpl, H5P_DEFAULT)));
}

Handle openDataset(hid_t loc, const std::string& name) {
  return Handle(VNA_H5_ID(H5Dopen2(loc, name.c_str(), H5P_DEFAULT)));
}

std::vector<hsize_t> datasetShape(hid_t dset) {
  Handle space(VNA_H5_ID(H5Dget_space(dset)));
  const int rank = H5Sget_simple_extent_ndims(space);
  if (rank < 0) fail("H5Sget_simple_extent_ndims", __FILE__, __LINE__);
  std::vector<hsize_t> dims(rank);
  if (rank > 0) VNA_H5(H5Sget_simple_extent_dims(space, dims.data(), nullptr));
  return dims;
}

template <class T>
void writeBlock(hid_t dset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count, const T* data) {
  Handle file_space(VNA_H5_ID(H5Dget_space(dset)));
  const int rank = H5Sget_simple_extent_ndims(file_space);
  // A dataset with no elements has no storage: writing to it, even an empty selection, fails
  // ("addr overflow"). Every rank sees the same extent, so all skip together.
  const hssize_t extent = H5Sget_simple_extent_npoints(file_space);
  if (extent < 0) fail("H5Sget_simple_extent_npoints", __FILE__, __LINE__);
  if (extent == 0) return;
  const hsize_t n = count.empty() ? 0 : std::accumulate(count.begin(), count.end(), hsize_t(1), std::multiplies<>());
  Handle xfer = collectiveTransfer();
  if (n == 0 || rank == 0) {
    if (rank == 0 && n > 0) {  // scalar dataset
      VNA_H5(H5Dwrite(dset, nativeType<T>(), H5S_ALL, H5S_ALL, xfer, data));
      return;
    }
    // Take part in the collective write with an empty selection. A one-element memory space with
    // nothing selected (and a valid buffer) is what every MPI-IO driver handles; a null dataspace let
    // stray bytes reach the file on HDF5 1.10.
    VNA_H5(H5Sselect_none(file_space));
    const hsize_t one = 1;
    Handle mem(VNA_H5_ID(H5Screate_simple(1, &one, nullptr)));
    VNA_H5(H5Sselect_none(mem));
    T dummy{};
    VNA_H5(H5Dwrite(dset, nativeType<T>(), mem, file_space, xfer, &dummy));
    return;
  }
  if (static_cast<int>(offset.size()) != rank || static_cast<int>(count.size()) != rank)
    throw Error(fmt::format("h5::writeBlock: block of rank {} for a dataset of rank {}", count.size(), rank));
  // HDF5's own message ("no output buffer") would not say which data were missing.
  if (!data) throw Error(fmt::format("h5::writeBlock: no data for a block of {} elements", n));
  VNA_H5(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr));
  Handle mem(VNA_H5_ID(H5Screate_simple(1, &n, nullptr)));
  VNA_H5(H5Dwrite(dset, nativeType<T>(), mem, file_space, xfer, data));
}

template <class T>
void readBlock(hid_t dset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count, T* data) {
  Handle file_space(VNA_H5_ID(H5Dget_space(dset)));
  const hsize_t n = std::accumulate(count.begin(), count.end(), hsize_t(1), std::multiplies<>());
  if (n == 0) return;
  VNA_H5(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr));
  Handle mem(VNA_H5_ID(H5Screate_simple(1, &n, nullptr)));
  VNA_H5(H5Dread(dset, nativeType<T>(), mem, file_space, H5P_DEFAULT, data));
}

template <class T>
void writeDataset(hid_t loc, const std::string& name, const std::vector<hsize_t>& dims, const T* data, int rank) {
  Handle dset = createDataset<T>(loc, name, dims);
  if (rank == 0) {
    writeBlock<T>(dset, std::vector<hsize_t>(dims.size(), 0), dims, data);
  } else {
    writeBlock<T>(dset, {}, {}, nullptr);
  }
}

template <class T>
std::vector<T> readDataset(hid_t loc, const std::string& name, std::vector<hsize_t>* dims_out) {
  Handle dset = openDataset(loc, name);
  const auto dims = datasetShape(dset);
  if (dims_out) *dims_out = dims;
  const hsize_t n = std::accumulate(dims.begin(), dims.end(), hsize_t(1), std::multiplies<>());
  std::vector<T> out(n);
  if (n > 0) VNA_H5(H5Dread(dset, nativeType<T>(), H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()));
  return out;
}

#define VNA_H5_INSTANTIATE(T)                                                                                 \
  template Handle createDataset<T>(hid_t, const std::string&, const std::vector<hsize_t>&,                    \
                                   const std::vector<hsize_t>&);                                              \
  template void writeBlock<T>(hid_t, const std::vector<hsize_t>&, const std::vector<hsize_t>&, const T*);      \
  template void readBlock<T>(hid_t, const std::vector<hsize_t>&, const std::vector<hsize_t>&, T*);             \
  template void writeDataset<T>(hid_t, const std::string&, const std::vector<hsize_t>&, const T*, int);       \
  template std::vector<T> readDataset<T>(hid_t, const std::string&, std::vector<hsize_t>*);
VNA_H5_INSTANTIATE(double)
VNA_H5_INSTANTIATE(float)
VNA_H5_INSTANTIATE(std::int32_t)
VNA_H5_INSTANTIATE(std::int64_t)
VNA_H5_INSTANTIATE(std::uint8_t)
VNA_H5_INSTANTIATE(std::uint32_t)
VNA_H5_INSTANTIATE(std::uint64_t)
#undef VNA_H5_INSTANTIATE

}  // namespace vna::h5
