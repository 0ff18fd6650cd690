#include <gtest/gtest.h>

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "core/mpi_comm.hpp"
#include "exact/enumeration.hpp"
#include "exact/newman_moore_exact.hpp"
#include "exact/transfer_matrix.hpp"
#include "model/newman_moore.hpp"

namespace vna {
namespace {

const std::vector<double> kTemperatures = {0.1, 0.5, 1.0, 2.0, 10.0};

// Per-spin f, e, s are O(|J|); both sides are sums of positive terms in long double or double with
// relative rounding below 1e-13, so 1e-10 leaves ample room and still catches any formula error.
constexpr double kThermoTolerance = 1e-10;

void expectSameThermodynamics(const Thermodynamics& a, const Thermodynamics& b, const std::string& what) {
  EXPECT_NEAR(a.free_energy, b.free_energy, kThermoTolerance) << what << " f at T=" << a.temperature;
  EXPECT_NEAR(a.energy, b.energy, kThermoTolerance) << what << " e at T=" << a.temperature;
  EXPECT_NEAR(a.entropy, b.entropy, kThermoTolerance) << what << " s at T=" << a.temperature;
  if (a.temperature > 0) {
    EXPECT_NEAR(a.log_z, b.log_z, kThermoTolerance * std::max(1.0, std::fabs(b.log_z))) << what << " ln Z";
  }
}

// Number of triangles whose spin product is +1, by direct evaluation.
int countPositiveTriangles(const Hamiltonian& h, const std::vector<Bit>& bits) {
  int m = 0;
  for (std::size_t t = 0; t < h.numTerms(); ++t) {
    int product = 1;
    for (const int* s = h.termSitesBegin(t); s != h.termSitesEnd(t); ++s) product *= spinOf(bits[*s]);
    m += product > 0;
  }
  return m;
}

}  // namespace

// Origin: exhaustive enumeration of all 2^(L²) states (L = 5: 2^25).
TEST(NewmanMooreExact, DualCodeMatchesEnumeration) {
  const Comm comm;
  std::vector<double> temperatures = kTemperatures;
  temperatures.push_back(0.0);
  for (int L = 3; L <= 5; ++L) {
    const NewmanMooreExact exact(L, 1.0);
    const EnumerationResult en = enumerateExhaustively(newmanMoore(L, 1.0).hamiltonian, temperatures, comm);
    for (std::size_t k = 0; k < temperatures.size(); ++k)
      expectSameThermodynamics(exact.thermodynamics(temperatures[k]), en.thermodynamics[k], fmt::format("L={}", L));
  }
}

// Origin: exhaustive count over all 2^(L²) configurations.
TEST(NewmanMooreExact, TransferMatrixDensityOfStatesMatchesBruteForce) {
  for (int L = 2; L <= 4; ++L) {
    const Hamiltonian h = newmanMoore(L, 1.0).hamiltonian;
    const int n = L * L;
    std::vector<long double> counts(n + 1, 0);
    std::vector<Bit> bits(n);
    for (std::uint64_t s = 0; s < (std::uint64_t(1) << n); ++s) {
      for (int i = 0; i < n; ++i) bits[i] = (s >> i) & 1u;
      counts[countPositiveTriangles(h, bits)] += 1;
    }
    const auto dos = newmanMooreDensityOfStates(L);
    ASSERT_EQ(dos.size(), counts.size());
    for (int m = 0; m <= n; ++m) EXPECT_EQ(dos[m], counts[m]) << "L=" << L << " m=" << m;  // exact integers
  }
}

// Origin: transfer-matrix density of states (exhaustive over 2^36 and 2^49 states, by rows).
TEST(NewmanMooreExact, DualCodeMatchesTransferMatrix) {
  for (int L : {6, 7}) {
    const auto dos = newmanMooreDensityOfStates(L);
    const int n = L * L;
    const NewmanMooreExact exact(L, 1.0);
    // Origin: Σ_m g(m) = 2^N (every configuration counted once); g(0) = 2^k ground states (GF(2)).
    long double total = 0;
    for (long double g : dos) total += g;
    EXPECT_EQ(total, std::ldexp(1.0L, n));
    EXPECT_EQ(dos[0], std::ldexp(1.0L, exact.degeneracyExponent()));
    for (double T : kTemperatures)
      expectSameThermodynamics(exact.thermodynamics(T), newmanMooreThermodynamicsFromDos(dos, 1.0, T),
                               fmt::format("L={}", L));
    expectSameThermodynamics(exact.thermodynamics(0.0), newmanMooreThermodynamicsFromDos(dos, 1.0, 0.0),
                             fmt::format("L={} T=0", L));
  }
}

// Origin: closed form Z = (2 cosh(βJ/2))^N for L = 8 (k = 0), against the transfer-matrix
// density of states (Σ g = 2^64 exactly and g(0) = 1: one ground state).
TEST(NewmanMooreExact, TransferMatrixMatchesClosedFormForL8) {
  const auto dos = newmanMooreDensityOfStates(8);
  long double total = 0;
  for (long double g : dos) total += g;
  EXPECT_EQ(total, std::ldexp(1.0L, 64));
  EXPECT_EQ(dos[0], 1.0L);
  for (double T : kTemperatures) {
    const double K = 1.0 / (2 * T), lnz = 64 * std::log(2 * std::cosh(K));
    const Thermodynamics t = newmanMooreThermodynamicsFromDos(dos, 1.0, T);
    EXPECT_NEAR(t.log_z, lnz, kThermoTolerance * lnz) << "T=" << T;
    EXPECT_NEAR(t.energy, -0.5 * std::tanh(K), kThermoTolerance) << "T=" << T;
  }
}

// Origin: closed form Z = (2 cosh(βJ/2))^N for L = 2^m (k = 0: the triangles are independent),
// hence e = −(J/2) tanh(βJ/2) and s = ln(2 cosh K) − K tanh K with K = βJ/2. Tolerance: a few
// ulps of long double arithmetic rounded to double.
TEST(NewmanMooreExact, ClosedFormForPowersOfTwo) {
  for (int L : {4, 8}) {
    for (double J : {1.0, 2.5}) {
      const NewmanMooreExact exact(L, J);
      ASSERT_EQ(exact.degeneracyExponent(), 0);
      const double n = L * L;
      for (double T : kTemperatures) {
        const double K = J / (2 * T);
        const Thermodynamics t = exact.thermodynamics(T);
        EXPECT_NEAR(t.log_z, n * std::log(2 * std::cosh(K)), 1e-14 * n * std::log(2 * std::cosh(K)));
        EXPECT_NEAR(t.energy, -0.5 * J * std::tanh(K), 1e-14 * J);
        EXPECT_NEAR(t.entropy, std::log(2 * std::cosh(K)) - K * std::tanh(K), 1e-13);
      }
    }
  }
}

// Origin: central finite differences of ln Z in β. The error of the step-h difference is
// h²/6 ∂³lnZ/∂β³ + O(h⁴) (+ rounding ~ ε |ln Z| / h); the step-2h difference has four times the
// truncation error, so |D(h) − D(2h)| (~ 3× the truncation error of D(h)) plus the rounding bound
// is the tolerance.
TEST(NewmanMooreExact, EnergyIsMinusDerivativeOfLogZ) {
  for (int L : {3, 5, 6, 12}) {
    const NewmanMooreExact exact(L, 1.0);
    const double n = L * L;
    for (double T : {0.3, 0.5, 1.0, 2.0, 10.0}) {
      const double beta = 1.0 / T, h = 1e-3 * beta;
      auto lnz = [&](double b) { return exact.logZ(1.0 / b); };
      const double d1 = -(lnz(beta + h) - lnz(beta - h)) / (2 * h) / n;
      const double d2 = -(lnz(beta + 2 * h) - lnz(beta - 2 * h)) / (4 * h) / n;
      const double rounding = 4e-16 * std::fabs(lnz(beta)) / h / n;
      EXPECT_NEAR(exact.energy(T), d1, std::fabs(d1 - d2) + rounding) << "L=" << L << " T=" << T;
      // The estimate must be a real check: far below the energy scale.
      EXPECT_LT(std::fabs(d1 - d2) + rounding, 1e-6);
    }
  }
}

// Origin: T → 0 limits (f = e = −|J|/2, s = k ln 2 / N) and the spin-flip symmetry J → −J.
TEST(NewmanMooreExact, ZeroTemperatureLimitsAndSignOfJ) {
  for (int L : {3, 6, 7}) {
    const NewmanMooreExact plus(L, 1.5), minus(L, -1.5);
    const Thermodynamics t0 = plus.thermodynamics(0.0);
    EXPECT_DOUBLE_EQ(t0.free_energy, -0.75);
    EXPECT_DOUBLE_EQ(t0.energy, -0.75);
    EXPECT_NEAR(t0.entropy, plus.degeneracyExponent() * std::log(2.0) / (L * L), 1e-15);
    // At T = 0.02 (|K| = 37.5) the corrections are e^{−2|K|} ~ 1e-33: the limits hold to rounding.
    const Thermodynamics cold = plus.thermodynamics(0.02);
    EXPECT_NEAR(cold.energy, -0.75, 1e-15);
    EXPECT_NEAR(cold.entropy, t0.entropy, 1e-15);
    for (double T : kTemperatures) {
      const Thermodynamics a = plus.thermodynamics(T), b = minus.thermodynamics(T);
      EXPECT_EQ(a.log_z, b.log_z);
      EXPECT_EQ(a.energy, b.energy);
    }
  }
  EXPECT_THROW(NewmanMooreExact(3).logZ(0.0), InputError);
  EXPECT_THROW(NewmanMooreExact(3).thermodynamics(-1.0), InputError);
}

}  // namespace vna
