#include "landscape/grid.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/mpi_comm.hpp"

namespace vna {

std::vector<double> gridAxis(double lo, double hi, std::int64_t n) {
  if (n < 1) throw Error("gridAxis: needs at least one point");
  if (n == 1) return {0.5 * (lo + hi)};
  std::vector<double> v(n);
  // lo + (hi − lo)·k/(n − 1), with the end point exact.
  for (std::int64_t k = 0; k < n; ++k) v[k] = k == n - 1 ? hi : lo + (hi - lo) * static_cast<double>(k) / static_cast<double>(n - 1);
  return v;
}

std::vector<GridChunk> gridChunks(std::int64_t na, std::int64_t nb, std::int64_t max_points) {
  if (na < 1 || nb < 1 || max_points < 1) throw Error("gridChunks: empty grid or chunk");
  std::vector<GridChunk> out;
  if (nb <= max_points) {
    const std::int64_t rows = std::max<std::int64_t>(1, max_points / nb);
    for (std::int64_t i = 0; i < na; i += rows) out.push_back({i, std::min(rows, na - i), 0, nb});
  } else {
    const std::int64_t segments = (nb + max_points - 1) / max_points;
    for (std::int64_t i = 0; i < na; ++i)
      for (std::int64_t s = 0; s < segments; ++s) {
        const Range r = blockRange(nb, static_cast<int>(s), static_cast<int>(segments));
        out.push_back({i, 1, r.begin, r.end - r.begin});
      }
  }
  return out;
}

}  // namespace vna
