#pragma once
// How rough a loss landscape is, as a number with a Monte Carlo error, instead of "more chaotic" by eye.
//
// A landscape f_k (grid points k) is estimated from fresh samples at every point: f_k = μ_k + ε_k with
// independent noise of standard error s_k (the stored loss_err). For a difference stencil c_r (a few
// neighbouring points with weights, e.g. f_{i+1,j} − f_{i,j}) the observed sum of squares
//
//   S = Σ_r (c_r · f)²   has   E[S] = Σ_r (c_r · μ)² + V,   V = Σ_r Σ_k c_rk² s_k²,
//
// so the ratio R = S / V is 1 for a landscape that is flat up to sampling noise and grows with the
// structure of μ that the stencil sees. Two stencils:
//   first differences   f(i+1, j) − f(i, j) and f(i, j+1) − f(i, j)       (the measure: slopes and
//                                                                            roughness together)
//   second differences  f(i−1, j) − 2 f(i, j) + f(i+1, j), and along j   (blind to linear slopes: the
//                                                                            wiggles a smooth bowl lacks)
// excess = (S − V) / (number of stencils) is the mean squared difference not explained by noise, in the
// loss units squared.
//
// Monte Carlo error (Gaussian noise, the central limit of Ns samples): with Q = Σ_r c_r c_rᵀ and
// Σ = diag(s²),  Var S = 4 μᵀQΣQμ + 2 tr((QΣ)²). The first term uses (Q f)_k² − Σ_j Q_kj² s_j² for
// (Q μ)_k², which removes the noise's own bias (the sum is clamped at 0); the second is
// 2 Σ_{r,r'} (c_rᵀ Σ c_r')². V is taken as known. Stencils that touch a point not done or not finite are left out.
#include <hdf5.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

namespace vna {

struct RoughnessMeasure {
  double ratio = 0.0, ratio_err = 0.0;    // S / V and its Monte Carlo error (NaN when V = 0 or no stencil)
  double excess = 0.0, excess_err = 0.0;  // (S − V) / stencils, per stencil
  double sum_squares = 0.0, noise = 0.0;  // S and V
  std::int64_t stencils = 0;
};

struct LandscapeRoughness {
  RoughnessMeasure first, second;
};

// loss, loss_err and valid are [Na][Nb] row-major; valid[k] = 0 leaves point k out. Nb = 1 is a 1D scan.
LandscapeRoughness landscapeRoughness(const std::vector<double>& loss, const std::vector<double>& loss_err,
                                      const std::vector<std::uint8_t>& valid, std::size_t na, std::size_t nb);

// Attributes of the group `roughness` under `parent` (replaced when present); collective (every rank
// passes the same values).
void writeRoughness(hid_t parent, const LandscapeRoughness& r);

// The roughness of one snapshot's landscape group (/landscape/<label>: loss, loss_err, done, nonfinite),
// written into it as `roughness`. Collective: every rank reads the whole grid and computes the same numbers.
LandscapeRoughness addRoughness(hid_t snapshot_group);

// {"first_difference": {"ratio", "ratio_err", "excess", "excess_err", "stencils"}, "second_difference": ...}
// (NaN as null).
nlohmann::json roughnessJson(const LandscapeRoughness& r);

}  // namespace vna
