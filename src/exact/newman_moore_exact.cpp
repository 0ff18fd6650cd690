#include "exact/newman_moore_exact.hpp"

#include <fmt/format.h>

#include <cmath>
#include <limits>

#include "core/error.hpp"

namespace vna {

namespace {

void checkL(int L) {
  if (L < 2) throw InputError(fmt::format("newman_moore exact: L must be at least 2, got {}", L));
  if (L > 4096) throw InputError(fmt::format("newman_moore exact: L = {} is too large for dense GF(2) algebra", L));
}

// Index of the lowest set bit of i > 0 (the bit a Gray code flips at step i).
int lowestBit(std::uint64_t i) { return __builtin_ctzll(i); }

// log(Σ exp(x_i)) over the finite x_i; −inf when there are none.
long double logSumExp(const std::vector<long double>& x) {
  long double m = -std::numeric_limits<long double>::infinity();
  for (long double v : x) m = std::max(m, v);
  if (!std::isfinite(m)) return m;
  long double s = 0;
  for (long double v : x) s += std::exp(v - m);
  return m + std::log(s);
}

}  // namespace

Gf2Matrix newmanMooreTriangleMap(int L) {
  checkL(L);
  const int n = L * L;
  Gf2Matrix a(n, n);
  for (int y = 0; y < L; ++y)
    for (int x = 0; x < L; ++x) {
      const int t = x + L * y;
      a.set(t, t);
      a.set(t, (x + 1) % L + L * y);
      a.set(t, x + L * ((y + 1) % L));
    }
  return a;
}

int newmanMooreDegeneracyExponent(int L) { return L * L - gf2Rank(newmanMooreTriangleMap(L)); }

std::vector<std::vector<Bit>> newmanMooreGroundStates(int L, double J, std::int64_t max_states) {
  if (J == 0.0) throw InputError("newman_moore ground states: J = 0 makes every configuration a ground state");
  const Gf2Matrix a = newmanMooreTriangleMap(L);
  const std::vector<Gf2Vector> kernel = gf2Kernel(a);
  const int k = static_cast<int>(kernel.size());
  if (k > 62 || (std::int64_t(1) << k) > max_states)
    throw InputError(fmt::format("newman_moore L={}: 2^{} ground states exceed the cap of {}", L, k, max_states));
  const int n = L * L;
  // Particular solution of A s = 1 (J > 0) is s = 1 (all down); of A s = 0 (J < 0) it is s = 0.
  Gf2Vector s(gf2Words(n), 0);
  if (J > 0)
    for (int i = 0; i < n; ++i) gf2Set(s, i);
  std::vector<std::vector<Bit>> states;
  const std::int64_t count = std::int64_t(1) << k;
  states.reserve(count);
  for (std::int64_t g = 0; g < count; ++g) {
    if (g > 0) {
      const Gf2Vector& v = kernel[lowestBit(static_cast<std::uint64_t>(g))];
      for (std::size_t w = 0; w < s.size(); ++w) s[w] ^= v[w];
    }
    std::vector<Bit> bits(n);
    for (int i = 0; i < n; ++i) bits[i] = gf2Get(s, i) ? 0 : 1;  // s_i = 1 is a down spin
    states.push_back(std::move(bits));
  }
  return states;
}

NewmanMooreExact::NewmanMooreExact(int L, double J, int max_dual_dimension) : l_(L), n_(L * L), j_(J) {
  checkL(L);
  if (!std::isfinite(J)) throw InputError(fmt::format("newman_moore exact: J must be finite, got {}", J));
  // C⊥ = ker Aᵀ; its dimension equals N − rank A = k.
  const std::vector<Gf2Vector> basis = gf2Kernel(newmanMooreTriangleMap(L).transposed());
  k_ = static_cast<int>(basis.size());
  if (k_ > max_dual_dimension || k_ > 62)
    throw InputError(fmt::format(
        "newman_moore exact L={}: the dual code has 2^{} words, more than the allowed 2^{} "
        "(use the transfer-matrix density of states for small L)",
        L, k_, std::min(max_dual_dimension, 62)));
  weights_.assign(n_ + 1, 0);
  Gf2Vector w(gf2Words(n_), 0);
  const std::uint64_t count = std::uint64_t(1) << k_;
  for (std::uint64_t g = 0; g < count; ++g) {
    if (g > 0) {
      const Gf2Vector& v = basis[lowestBit(g)];
      for (std::size_t i = 0; i < w.size(); ++i) w[i] ^= v[i];
    }
    ++weights_[gf2Weight(w)];
  }
  for (int wt = 1; wt <= n_; wt += 2)
    if (weights_[wt] != 0)
      throw Error(fmt::format("NewmanMooreExact L={}: dual code has a word of odd weight {} (impossible)", L, wt));
}

double NewmanMooreExact::logZ(double temperature) const {
  if (!(temperature > 0.0))
    throw InputError(fmt::format("newman_moore exact: ln Z needs T > 0, got {}", temperature));
  return thermodynamics(temperature).log_z;
}

Thermodynamics NewmanMooreExact::thermodynamics(double temperature) const {
  if (!(temperature >= 0.0) || !std::isfinite(temperature))
    throw InputError(fmt::format("newman_moore exact: temperature must be finite and >= 0, got {}", temperature));
  Thermodynamics t;
  t.temperature = temperature;
  const long double n = n_;
  const long double abs_j = std::fabs(static_cast<long double>(j_));
  if (temperature == 0.0) {
    t.log_z = std::numeric_limits<double>::quiet_NaN();
    t.free_energy = t.energy = static_cast<double>(-abs_j / 2);
    // J = 0: every configuration is a ground state.
    t.entropy = static_cast<double>((j_ == 0.0 ? n : static_cast<long double>(k_)) * std::log(2.0L) / n);
    return t;
  }
  // The result depends on |K| only (flipping all spins maps J to −J).
  const long double abs_k = abs_j / (2.0L * temperature);
  const long double x = std::exp(-2.0L * abs_k);       // e^{−2|K|}
  const long double tanh_k = (1.0L - x) / (1.0L + x);  // |u| = tanh|K|
  const long double sech2_k = 4.0L * x / ((1.0L + x) * (1.0L + x));
  long double log_sigma = 0.0L;  // ln Σ_w B_w |u|^w
  long double ratio = 0.0L;      // Σ_w w B_w |u|^{w−1} / Σ_w B_w |u|^w = (d ln Σ / d|u|)
  if (abs_k > 0) {
    const long double log_u = std::log1p(-x) - std::log1p(x);
    std::vector<long double> terms, dterms;
    for (int w = 0; w <= n_; ++w) {
      if (weights_[w] == 0) continue;
      const long double log_b = std::log(static_cast<long double>(weights_[w]));
      terms.push_back(log_b + w * log_u);
      if (w > 0) dterms.push_back(log_b + std::log(static_cast<long double>(w)) + (w - 1) * log_u);
    }
    log_sigma = logSumExp(terms);
    if (!dterms.empty()) ratio = std::exp(logSumExp(dterms) - log_sigma);
  }
  // ln Z = N ln(2 cosh K) + ln Σ, with ln(2 cosh K) = |K| + ln(1 + e^{−2|K|}).
  const long double log_z = n * (abs_k + std::log1p(x)) + log_sigma;
  // −∂ln Z/∂β / N = −(|J|/2) (tanh|K| + sech²K · ratio / N), since d|u|/d|K| = sech²K.
  const long double energy = -(abs_j / 2) * (tanh_k + sech2_k * ratio / n);
  // s = ln Z / N + β e, arranged without the cancellation of |K| − |K| tanh|K| at low T.
  const long double entropy =
      std::log1p(x) + abs_k * (2.0L * x / (1.0L + x)) + log_sigma / n - abs_k * sech2_k * ratio / n;
  t.log_z = static_cast<double>(log_z);
  t.free_energy = static_cast<double>(-temperature * log_z / n);
  t.energy = static_cast<double>(energy);
  t.entropy = static_cast<double>(entropy);
  return t;
}

}  // namespace vna
