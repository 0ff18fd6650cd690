#pragma once
// Compares every dataset of two HDF5 files byte for byte (skipping paths that contain any of the
// given fragments, e.g. timings), for "identical results" tests.
#include <hdf5.h>

#include <string>
#include <vector>

#include "io/h5.hpp"

namespace vna::test {

struct DatasetList {
  std::vector<std::string> paths;
};

inline herr_t collectDatasets(hid_t, const char* name, const H5O_info_t* info, void* data) {
  if (info->type == H5O_TYPE_DATASET) static_cast<DatasetList*>(data)->paths.emplace_back(name);
  return 0;
}

// Returns a description of the first difference, or "" when equal.
inline std::string compareH5(const std::string& a, const std::string& b, const std::vector<std::string>& skip) {
  h5::Handle fa = h5::openFile(a, MPI_COMM_SELF, false), fb = h5::openFile(b, MPI_COMM_SELF, false);
  DatasetList la, lb;
  VNA_H5(H5Ovisit(fa, H5_INDEX_NAME, H5_ITER_INC, collectDatasets, &la));
  VNA_H5(H5Ovisit(fb, H5_INDEX_NAME, H5_ITER_INC, collectDatasets, &lb));
  auto skipped = [&](const std::string& p) {
    for (const auto& s : skip)
      if (p.find(s) != std::string::npos) return true;
    return false;
  };
  std::vector<std::string> pa, pb;
  for (auto& p : la.paths) if (!skipped(p)) pa.push_back(p);
  for (auto& p : lb.paths) if (!skipped(p)) pb.push_back(p);
  if (pa != pb) return "different dataset lists";
  for (const auto& p : pa) {
    h5::Handle da = h5::openDataset(fa, p), db = h5::openDataset(fb, p);
    if (h5::datasetShape(da) != h5::datasetShape(db)) return p + ": different shapes";
    h5::Handle ta(H5Dget_type(da));
    const std::size_t size = H5Tget_size(ta);
    hsize_t count = 1;
    for (auto d : h5::datasetShape(da)) count *= d;
    std::vector<unsigned char> ba(size * count), bb(size * count);
    if (count > 0) {
      VNA_H5(H5Dread(da, ta, H5S_ALL, H5S_ALL, H5P_DEFAULT, ba.data()));
      VNA_H5(H5Dread(db, ta, H5S_ALL, H5S_ALL, H5P_DEFAULT, bb.data()));
    }
    if (ba != bb) return p + ": different values";
  }
  return "";
}

}  // namespace vna::test
