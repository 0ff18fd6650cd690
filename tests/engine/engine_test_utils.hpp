#pragma once
// Helpers for the engine tests: host <-> device batches and exhaustive enumeration.
#include <Kokkos_Core.hpp>

#include <cstdint>
#include <vector>

#include "rnn_engine.hpp"

namespace vna::test {

template <class Scalar>
using Engine = RnnEngine<Scalar>;
using Space = Kokkos::DefaultExecutionSpace;
using MemSpace = Space::memory_space;

template <class Scalar>
Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> makeParams(const std::vector<std::vector<double>>& sets) {
  const std::size_t n = sets.empty() ? 0 : sets[0].size();
  Kokkos::View<Scalar**, Kokkos::LayoutRight, MemSpace> view("test::params", sets.size(), n);
  auto host = Kokkos::create_mirror_view(view);
  for (std::size_t p = 0; p < sets.size(); ++p)
    for (std::size_t j = 0; j < n; ++j) host(p, j) = static_cast<Scalar>(sets[p][j]);
  Kokkos::deep_copy(view, host);
  return view;
}

// Initial parameters of sets first..first+P-1, multiplied by `scale` (a scale > 1 makes the
// distribution far from uniform, which sharpens the statistical tests).
inline std::vector<std::vector<double>> initialSets(const ParamLayout& layout, int P, std::uint64_t seed,
                                                    double scale = 1.0, int first = 0) {
  std::vector<std::vector<double>> sets;
  for (int p = 0; p < P; ++p) {
    sets.push_back(initParameters(layout, seed, first + p));
    for (double& x : sets.back()) x *= scale;
  }
  return sets;
}

inline Kokkos::View<std::uint32_t*, MemSpace> makeStreams(const std::vector<std::uint32_t>& ids) {
  Kokkos::View<std::uint32_t*, MemSpace> view("test::streams", ids.size());
  auto host = Kokkos::create_mirror_view(view);
  for (std::size_t i = 0; i < ids.size(); ++i) host(i) = ids[i];
  Kokkos::deep_copy(view, host);
  return view;
}

using BitsView = Kokkos::View<std::uint8_t***, Kokkos::LayoutRight, MemSpace>;
using DoubleView = Kokkos::View<double**, Kokkos::LayoutRight, MemSpace>;

// All 2^N configurations (configuration c has bit i = (c >> i) & 1 at site i), for each of P sets.
inline BitsView allConfigurations(int P, int n) {
  const int count = 1 << n;
  BitsView bits("test::all_configurations", P, count, n);
  auto host = Kokkos::create_mirror_view(bits);
  for (int p = 0; p < P; ++p)
    for (int c = 0; c < count; ++c)
      for (int i = 0; i < n; ++i) host(p, c, i) = static_cast<std::uint8_t>((c >> i) & 1);
  Kokkos::deep_copy(bits, host);
  return bits;
}

template <class View>
auto toHost(const View& view) {
  auto host = Kokkos::create_mirror_view(view);
  Kokkos::deep_copy(host, view);
  return host;
}

}  // namespace vna::test
