#pragma once
// Adam (Kingma & Ba 2015) on flat parameter vectors, in double. The state (m, v, t) is part of a
// restart checkpoint, so a resumed run continues bit for bit.
#include <cstddef>
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

  // One step; returns Σ grad_i² summed in index order (the trace's gradient norm, squaredNorm's value
  // bit for bit). adam.cpp: compiled so that the update vectorizes (IEEE division and square root, the
  // same values as the scalar loop); the sum rides in the same pass because for per-site networks
  // (millions of parameters) both are bound by memory and the sum alone is a serial chain of adds.
  double step(std::vector<double>& theta, const double* grad, AdamState& s) const;
};

// Σ g_i² over n entries, in index order.
double squaredNorm(const double* g, std::size_t n);

}  // namespace vna
