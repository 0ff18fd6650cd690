#include "anneal/adam.hpp"

#include <cmath>

namespace vna {

namespace {

struct AdamCoefficients {
  double b1, b2, lr, eps, c1, c2;
};

// Entries [begin, end) of one step. Locals and restrict pointers: nothing the loop writes can alias
// its inputs, so it vectorizes.
inline void adamRange(const AdamCoefficients& k, double* __restrict th, double* __restrict m, double* __restrict v,
                      const double* __restrict g, std::size_t begin, std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) {
    m[i] = k.b1 * m[i] + (1.0 - k.b1) * g[i];
    v[i] = k.b2 * v[i] + (1.0 - k.b2) * g[i] * g[i];
    th[i] -= k.lr * (m[i] / k.c1) / (std::sqrt(v[i] / k.c2) + k.eps);
  }
}

}  // namespace

double squaredNorm(const double* g, std::size_t n) {
  double norm2 = 0.0;
  for (std::size_t i = 0; i < n; ++i) norm2 += g[i] * g[i];
  return norm2;
}

double Adam::step(std::vector<double>& theta, const double* grad, AdamState& s) const {
  if (s.m.size() != theta.size()) {
    s.m.assign(theta.size(), 0.0);
    s.v.assign(theta.size(), 0.0);
  }
  ++s.t;
  const double t = static_cast<double>(s.t);
  const AdamCoefficients k{beta1, beta2, learning_rate, epsilon, 1.0 - std::pow(beta1, t), 1.0 - std::pow(beta2, t)};
  double* th = theta.data();
  double* m = s.m.data();
  double* v = s.v.data();
  const std::size_t n = theta.size();
  // Blocks small enough to stay in L1 between the vectorized update and the in-order sum, so the
  // serial chain of adds overlaps the update's memory traffic instead of following it.
  constexpr std::size_t kBlock = 16;
  double norm2 = 0.0;
  for (std::size_t b = 0; b < n; b += kBlock) {
    const std::size_t e = b + kBlock < n ? b + kBlock : n;
    adamRange(k, th, m, v, grad, b, e);
    for (std::size_t i = b; i < e; ++i) norm2 += grad[i] * grad[i];
  }
  return norm2;
}

}  // namespace vna
