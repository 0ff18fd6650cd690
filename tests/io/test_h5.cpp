// Parallel HDF5 writes: rank-0 writes inside collective calls and per-rank hyperslabs read back exactly.
#include <gtest/gtest.h>

#include <numeric>

#include "core/mpi_comm.hpp"
#include "io/h5.hpp"
#include "support/test_paths.hpp"

namespace vna {
namespace {

TEST(H5, CollectiveWritesReadBackExactly) {
  const Comm comm;
  const std::string path = (test::tmpDir() / ("h5_np" + std::to_string(comm.size()) + ".h5")).string();
  std::vector<double> values(17);
  std::iota(values.begin(), values.end(), -3.5);
  const int rows = 5, cols = 4;
  {
    h5::Handle f = h5::createFile(path, comm.raw());
    h5::writeDataset(f, "root_written", values, comm.rank());
    h5::writeAttribute(f, "label", std::string("x"));
    // Each rank writes its block of rows of a rows×cols matrix (value = 10 r + c).
    h5::Handle d = h5::createDataset<std::int64_t>(f, "blocks", {rows, cols});
    const Range mine = blockRange(rows, comm.rank(), comm.size());
    std::vector<std::int64_t> block;
    for (auto r = mine.begin; r < mine.end; ++r)
      for (int c = 0; c < cols; ++c) block.push_back(10 * r + c);
    if (mine.end > mine.begin)
      h5::writeBlock<std::int64_t>(d, {static_cast<hsize_t>(mine.begin), 0},
                                   {static_cast<hsize_t>(mine.end - mine.begin), cols}, block.data());
    else
      h5::writeBlock<std::int64_t>(d, {}, {}, nullptr);
  }
  comm.barrier();
  h5::Handle f = h5::openFile(path, comm.raw(), false);
  EXPECT_EQ(h5::readDataset<double>(f, "root_written"), values);  // origin: the values written
  const auto m = h5::readDataset<std::int64_t>(f, "blocks");
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) EXPECT_EQ(m[r * cols + c], 10 * r + c);
  EXPECT_EQ(h5::readStringAttribute(f, "label"), "x");
}

// A dataset with no elements (e.g. "ground states found" when none was sampled) is created and
// written collectively without error, and reads back empty.
TEST(H5, EmptyDatasetsAreWritable) {
  const Comm comm;
  const std::string path = (test::tmpDir() / ("h5_empty_np" + std::to_string(comm.size()) + ".h5")).string();
  {
    h5::Handle f = h5::createFile(path, comm.raw());
    h5::writeDataset<std::uint8_t>(f, "none", {0, 36}, nullptr, comm.rank());
    h5::writeDataset(f, "empty_list", std::vector<double>{}, comm.rank());
  }
  comm.barrier();
  h5::Handle f = h5::openFile(path, comm.raw(), false);
  std::vector<hsize_t> dims;
  EXPECT_TRUE(h5::readDataset<std::uint8_t>(f, "none", &dims).empty());
  EXPECT_EQ(dims, (std::vector<hsize_t>{0, 36}));  // origin: the shape written
  EXPECT_TRUE(h5::readDataset<double>(f, "empty_list").empty());
}

}  // namespace
}  // namespace vna
