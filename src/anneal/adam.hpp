#pragma once
// Adam (Kingma & Ba 2015) on flat parameter vectors, in double. The state (m, v, t) is part of a
// restart checkpoint, so a resumed run continues bit for bit.
#include <cmath>
#include <cstdint>
#include <vector>

namespace vna {

struct AdamState {
  std::vector<double> m, v;
  std::int64_t t = 0;
};

struct Adam {
  double learning_rate = 1e-4;
  double beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;

  void step(std::vector<double>& theta, const double* grad, AdamState& s) const {
    if (s.m.size() != theta.size()) {
      s.m.assign(theta.size(), 0.0);
      s.v.assign(theta.size(), 0.0);
    }
    ++s.t;
    const double c1 = 1.0 - std::pow(beta1, static_cast<double>(s.t));
    const double c2 = 1.0 - std::pow(beta2, static_cast<double>(s.t));
    for (std::size_t i = 0; i < theta.size(); ++i) {
      s.m[i] = beta1 * s.m[i] + (1.0 - beta1) * grad[i];
      s.v[i] = beta2 * s.v[i] + (1.0 - beta2) * grad[i] * grad[i];
      theta[i] -= learning_rate * (s.m[i] / c1) / (std::sqrt(s.v[i] / c2) + epsilon);
    }
  }
};

}  // namespace vna
