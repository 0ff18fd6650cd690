#include "exact/transfer_matrix.hpp"

#include <fmt/format.h>

#include <cstdint>

#include "core/error.hpp"

namespace vna {

namespace {

using Count = unsigned __int128;  // up to 2^N = 2^100 for L = 10

// Cyclic shift of a row by one site: bit x of the result is bit (x + 1) mod L of r.
std::uint32_t rotate(std::uint32_t r, int L) {
  const std::uint32_t mask = (std::uint32_t(1) << L) - 1;
  return ((r >> 1) | (r << (L - 1))) & mask;
}

}  // namespace

std::vector<long double> newmanMooreDensityOfStates(int L) {
  if (L < 2 || L > kMaxTransferMatrixL)
    throw InputError(fmt::format("newman_moore transfer matrix: L must be in [2, {}], got {}", kMaxTransferMatrixL, L));
  const int n = L * L;
  const std::uint32_t rows = std::uint32_t(1) << L;
  const int width = n + 1;  // polynomial coefficients z^0..z^N
  // With b the bits of a row, the triangle (x, y) has product +1 iff b(x,y) ^ b(x+1,y) ^ b(x,y+1)
  // is 1 (an odd number of up spins among three means an even number of down spins). So between
  // rows r and r' the number of such triangles is popcount(d(r) ^ r') with d(r) = r ^ rotate(r).
  std::vector<std::uint32_t> d(rows);
  for (std::uint32_t r = 0; r < rows; ++r) d[r] = r ^ rotate(r, L);

  std::vector<Count> total(width, 0);
  std::vector<Count> v(static_cast<std::size_t>(rows) * width), u(v.size());
  for (std::uint32_t r0 = 0; r0 < rows; ++r0) {
    // Translation along x maps first row r0 to rotate(r0) with the same counts: keep one
    // representative (the smallest rotation) per orbit and weight it by the orbit size.
    int orbit = 1;
    bool canonical = true;
    for (std::uint32_t s = rotate(r0, L); s != r0; s = rotate(s, L)) {
      if (s < r0) canonical = false;
      ++orbit;
    }
    if (!canonical) continue;
    std::fill(v.begin(), v.end(), 0);
    v[static_cast<std::size_t>(r0) * width] = 1;
    int degree = 0;  // highest power present so far
    for (int y = 0; y < L; ++y) {
      // u[a] = Σ_{r : d(r) = a} v[r]
      std::fill(u.begin(), u.end(), 0);
      for (std::uint32_t r = 0; r < rows; ++r) {
        const Count* src = &v[static_cast<std::size_t>(r) * width];
        Count* dst = &u[static_cast<std::size_t>(d[r]) * width];
        for (int m = 0; m <= degree; ++m) dst[m] += src[m];
      }
      // v'[r'] = Σ_a u[a] z^{popcount(a ^ r')}: the kernel factorises over the L bits, so apply
      // one butterfly (p, q) -> (p + z q, z p + q) per bit.
      for (int x = 0; x < L; ++x) {
        const std::uint32_t bit = std::uint32_t(1) << x;
        for (std::uint32_t r = 0; r < rows; ++r) {
          if (r & bit) continue;
          Count* p = &u[static_cast<std::size_t>(r) * width];
          Count* q = &u[static_cast<std::size_t>(r | bit) * width];
          // In place, highest power first, so p[m-1] and q[m-1] are still the old values.
          for (int m = degree + 1; m >= 1; --m) {
            const Count pm = p[m], qm = q[m];
            p[m] = pm + q[m - 1];
            q[m] = qm + p[m - 1];
          }
        }
        ++degree;
      }
      std::swap(u, v);
    }
    // Close the trace: the row after the last one is the first row again.
    const Count* closed = &v[static_cast<std::size_t>(r0) * width];
    for (int m = 0; m <= n; ++m) total[m] += closed[m] * static_cast<Count>(orbit);
  }
  std::vector<long double> dos(width);
  for (int m = 0; m <= n; ++m) dos[m] = static_cast<long double>(total[m]);
  return dos;
}

Thermodynamics newmanMooreThermodynamicsFromDos(const std::vector<long double>& dos, double J, double temperature) {
  const int n = static_cast<int>(dos.size()) - 1;
  if (n < 1) throw Error("newmanMooreThermodynamicsFromDos: empty density of states");
  std::vector<double> energies(dos.size());
  for (int m = 0; m <= n; ++m) energies[m] = 0.5 * J * (2.0 * m - n);
  return thermodynamicsFromLevels(energies, dos, n, temperature);
}

}  // namespace vna
