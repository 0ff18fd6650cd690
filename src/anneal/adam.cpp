#include "anneal/adam.hpp"

#include <cmath>

namespace vna {

void Adam::step(std::vector<double>& theta, const double* grad, AdamState& s) const {
  if (s.m.size() != theta.size()) {
    s.m.assign(theta.size(), 0.0);
    s.v.assign(theta.size(), 0.0);
  }
  ++s.t;
  const double c1 = 1.0 - std::pow(beta1, static_cast<double>(s.t));
  const double c2 = 1.0 - std::pow(beta2, static_cast<double>(s.t));
  // Locals and restrict pointers: nothing the loop writes can alias its inputs, so it vectorizes.
  const double b1 = beta1, b2 = beta2, lr = learning_rate, eps = epsilon;
  double* __restrict m = s.m.data();
  double* __restrict v = s.v.data();
  double* __restrict th = theta.data();
  const double* __restrict g = grad;
  const std::size_t n = theta.size();
  for (std::size_t i = 0; i < n; ++i) {
    m[i] = b1 * m[i] + (1.0 - b1) * g[i];
    v[i] = b2 * v[i] + (1.0 - b2) * g[i] * g[i];
    th[i] -= lr * (m[i] / c1) / (std::sqrt(v[i] / c2) + eps);
  }
}

}  // namespace vna
