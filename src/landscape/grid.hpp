#pragma once
// The (α, β) grid of a landscape and its division into chunks: rectangles of consecutive points in
// row-major (α-major) order, either whole rows or a segment of one row, so that every chunk is one
// HDF5 hyperslab of the [Na][Nb] datasets. Point (i, j) has the flat index i·Nb + j.
#include <cstdint>
#include <vector>

namespace vna {

struct LandscapeGrid {
  std::vector<double> alpha, beta;  // Na and Nb values
  std::int64_t numPoints() const { return static_cast<std::int64_t>(alpha.size() * beta.size()); }
};

// n evenly spaced values from lo to hi (both included); a single point sits at (lo + hi) / 2.
std::vector<double> gridAxis(double lo, double hi, std::int64_t n);

struct GridChunk {
  std::int64_t i0 = 0, ni = 0;  // rows [i0, i0 + ni)
  std::int64_t j0 = 0, nj = 0;  // columns [j0, j0 + nj)
  std::int64_t size() const { return ni * nj; }
};

// Chunks of at most max_points points (max_points >= 1) covering the Na × Nb grid in row-major order:
// floor(max_points / Nb) whole rows at a time when a row fits, else each row cut into
// ceil(Nb / max_points) balanced segments.
std::vector<GridChunk> gridChunks(std::int64_t na, std::int64_t nb, std::int64_t max_points);

}  // namespace vna
