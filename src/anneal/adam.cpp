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
  double* __restrict m = s.m.data();
  double* __restrict v = s.v.data();
  double* __restrict th = theta.data();
  const std::size_t n = theta.size();
  for (std::size_t i = 0; i < n; ++i) {
    m[i] = beta1 * m[i] + (1.0 - beta1) * grad[i];
    v[i] = beta2 * v[i] + (1.0 - beta2) * grad[i] * grad[i];
    th[i] -= learning_rate * (m[i] / c1) / (std::sqrt(v[i] / c2) + epsilon);
  }
}

}  // namespace vna
