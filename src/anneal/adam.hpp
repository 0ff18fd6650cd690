#pragma once
// Adam (Kingma & Ba 2015) on flat parameter vectors, in double. The state (m, v, t) is part of a
// restart checkpoint, so a resumed run continues bit for bit.
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

  // adam.cpp: compiled so that the loop vectorizes (IEEE division and square root, the same values
  // as the scalar loop; per-site networks have millions of parameters).
  void step(std::vector<double>& theta, const double* grad, AdamState& s) const;
};

}  // namespace vna
