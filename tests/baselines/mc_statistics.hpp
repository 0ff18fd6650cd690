#pragma once
// Equilibrium estimates from Monte Carlo replicas: every replica's time average after a burn-in is one
// independent sample, so the error of the overall mean is the standard error of the replica averages
// (autocorrelation inside a replica only widens the spread of its average, which is measured).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace vna::test {

struct MeanAndError {
  double mean = 0, error = 0;
};

// step_values: [replicas][steps]; the first `burn_in` steps of each replica are dropped.
inline MeanAndError replicaAverage(const std::vector<double>& step_values, int replicas, std::size_t steps,
                                   std::size_t burn_in) {
  std::vector<double> means(replicas, 0.0);
  for (int r = 0; r < replicas; ++r) {
    double s = 0;
    for (std::size_t a = burn_in; a < steps; ++a) s += step_values[r * steps + a];
    means[r] = s / static_cast<double>(steps - burn_in);
  }
  double m = 0;
  for (double x : means) m += x;
  m /= replicas;
  double v = 0;
  for (double x : means) v += (x - m) * (x - m);
  v /= (replicas - 1);
  return {m, std::sqrt(v / replicas)};
}

// Mean of independent samples and the variance of that mean.
inline MeanAndError meanAndError(const std::vector<double>& x) {
  double m = 0, m2 = 0;
  for (double v : x) m += v, m2 += v * v;
  const double n = static_cast<double>(x.size());
  m /= n;
  return {m, std::sqrt(std::max(0.0, m2 / n - m * m) / (n - 1))};
}

}  // namespace vna::test
