#pragma once
// The two directions δ, η of a loss landscape f(α, β) = L(θ* + αδ + βη) (Algorithm 2 of Bhattacharya
// et al.): Gaussian N(0, 1) per parameter, the difference of two snapshots, or the principal axes of
// the optimization trajectory; optionally rescaled to the size of θ* (per named parameter block, in
// the spirit of Li et al.'s filter normalization, or as a whole) and orthogonalized.
#include <cstdint>
#include <string>
#include <vector>

#include "param_layout.hpp"

namespace vna {

enum class DirectionKind { kGaussian, kSnapshots, kPca };
enum class DirectionNormalization { kNone, kBlock, kGlobal };

DirectionKind parseDirectionKind(const std::string& name);        // gaussian | snapshots | pca
std::string directionKindName(DirectionKind kind);
DirectionNormalization parseDirectionNormalization(const std::string& name);  // none | block | global
std::string directionNormalizationName(DirectionNormalization n);

// Direction `which` (0: δ, 1: η) with n entries drawn from RngStream(seed, kDirections, which): the
// same raw directions for every snapshot of a job, so that planes of different snapshots are comparable.
std::vector<double> gaussianDirection(std::uint64_t seed, int which, std::size_t n);

// block: every named block b of `layout` is rescaled to ‖d_b‖ = ‖θ*_b‖ (a block with ‖d_b‖ = 0 stays 0);
// global: ‖d‖ = ‖θ*‖. Throws Error when the sizes disagree with the layout.
void normalizeDirection(std::vector<double>& d, const std::vector<double>& theta_star, const ParamLayout& layout,
                        DirectionNormalization mode);

// η ← η − (η·δ / δ·δ) δ, rescaled to its previous norm (Gram-Schmidt; the plane is unchanged).
// Throws InputError when η is parallel to δ (or either is zero).
void orthogonalize(const std::vector<double>& delta, std::vector<double>& eta);

double dot(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace vna
