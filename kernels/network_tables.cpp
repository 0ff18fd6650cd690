#include "network_tables.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"

namespace vna {

std::vector<int> predecessorTable(const Lattice& lattice, CellKind cell, int width) {
  const int n = lattice.numSites();
  const bool dilated = cell == CellKind::kDilated1d;
  const bool two_d = cell == CellKind::kVanilla2d || cell == CellKind::kTensorized2d;
  const int needed = dilated ? dilatedLayers(n) : two_d ? 2 : 1;
  if (needed > width)
    throw InputError(fmt::format("{}: {} sites need {} inputs per position, at most {} are supported",
                                 cellKindName(cell), n, needed, width));
  std::vector<int> table(static_cast<std::size_t>(n) * width, -1);
  for (int k = 0; k < n; ++k) {
    int* row = table.data() + static_cast<std::size_t>(k) * width;
    if (dilated) {
      for (int l = 1; l <= needed; ++l) row[l - 1] = k - (1 << (l - 1)) >= 0 ? k - (1 << (l - 1)) : -1;
    } else if (two_d) {
      row[0] = lattice.prev_horizontal[k];
      row[1] = lattice.prev_vertical[k];
    } else {
      row[0] = k - 1;
    }
  }
  return table;
}

std::string predecessorProblem(const std::vector<int>& table, int num_sites, int width) {
  for (int k = 0; k < num_sites; ++k)
    for (int j = 0; j < width; ++j) {
      const int q = table[static_cast<std::size_t>(k) * width + j];
      if (q >= k) return fmt::format("position {} reads position {} (not a predecessor)", k, q);
    }
  return std::string();
}

int maxLookback(const std::vector<int>& table, int num_sites, int width) {
  int lookback = 0;
  for (int k = 0; k < num_sites; ++k)
    for (int j = 0; j < width; ++j) {
      const int q = table[static_cast<std::size_t>(k) * width + j];
      if (q >= 0) lookback = std::max(lookback, k - q);
    }
  return lookback;
}

void checkLatticeTables(const Lattice& lattice) {
  const int n = lattice.numSites();
  if (n <= 0) throw InputError("RnnEngine: the lattice has no sites");
  if (static_cast<int>(lattice.order.size()) != n || static_cast<int>(lattice.prev_horizontal.size()) != n ||
      static_cast<int>(lattice.prev_vertical.size()) != n)
    throw InputError(fmt::format("RnnEngine: lattice '{}' has {} sites but an order of length {}", lattice.kind, n,
                                 lattice.order.size()));
}

HamiltonianRows hamiltonianRows(const Hamiltonian& hamiltonian) {
  HamiltonianRows rows;
  rows.num_spins = hamiltonian.numSpins();
  for (std::size_t t = 0; t < hamiltonian.numTerms(); ++t) {
    rows.term_coeffs.push_back(hamiltonian.termCoeff(t));
    rows.term_sites.insert(rows.term_sites.end(), hamiltonian.termSitesBegin(t), hamiltonian.termSitesEnd(t));
    rows.term_offsets.push_back(static_cast<int>(rows.term_sites.size()));
  }
  for (int i = 0; i < rows.num_spins; ++i)
    if (hamiltonian.fields()[i] != 0.0) {
      rows.field_sites.push_back(i);
      rows.field_values.push_back(hamiltonian.fields()[i]);
    }
  return rows;
}

}  // namespace vna
