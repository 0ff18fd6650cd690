#include "landscape/directions.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "core/random.hpp"

namespace vna {

DirectionKind parseDirectionKind(const std::string& name) {
  if (name == "gaussian") return DirectionKind::kGaussian;
  if (name == "snapshots") return DirectionKind::kSnapshots;
  if (name == "pca") return DirectionKind::kPca;
  throw InputError("landscape.directions.kind: unknown kind '" + name + "'");
}

std::string directionKindName(DirectionKind kind) {
  switch (kind) {
    case DirectionKind::kGaussian: return "gaussian";
    case DirectionKind::kSnapshots: return "snapshots";
    case DirectionKind::kPca: return "pca";
  }
  return "?";
}

DirectionNormalization parseDirectionNormalization(const std::string& name) {
  if (name == "none") return DirectionNormalization::kNone;
  if (name == "block") return DirectionNormalization::kBlock;
  if (name == "global") return DirectionNormalization::kGlobal;
  throw InputError("landscape.directions.normalize: unknown normalization '" + name + "'");
}

std::string directionNormalizationName(DirectionNormalization n) {
  switch (n) {
    case DirectionNormalization::kNone: return "none";
    case DirectionNormalization::kBlock: return "block";
    case DirectionNormalization::kGlobal: return "global";
  }
  return "?";
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

std::vector<double> gaussianDirection(std::uint64_t seed, int which, std::size_t n) {
  RngStream rng(seed, RngPurpose::kDirections, static_cast<std::uint64_t>(which));
  std::vector<double> d(n);
  for (auto& x : d) x = rng.normal();
  return d;
}

namespace {
void rescaleRange(std::vector<double>& d, const std::vector<double>& theta, std::size_t begin, std::size_t end) {
  double nd = 0, nt = 0;
  for (std::size_t i = begin; i < end; ++i) nd += d[i] * d[i], nt += theta[i] * theta[i];
  const double f = nd > 0 ? std::sqrt(nt / nd) : 0.0;
  for (std::size_t i = begin; i < end; ++i) d[i] *= f;
}
}  // namespace

void normalizeDirection(std::vector<double>& d, const std::vector<double>& theta_star, const ParamLayout& layout,
                        DirectionNormalization mode) {
  if (d.size() != theta_star.size() || d.size() != layout.total)
    throw Error(fmt::format("normalizeDirection: direction of {} entries, θ* of {}, layout of {}", d.size(),
                            theta_star.size(), layout.total));
  switch (mode) {
    case DirectionNormalization::kNone: return;
    case DirectionNormalization::kGlobal: rescaleRange(d, theta_star, 0, d.size()); return;
    case DirectionNormalization::kBlock:
      // Per-site layouts: every site's slice of a block is its own layer (filter normalization per
      // site-block, doc/physics.md); shared: the whole block.
      for (const auto& b : layout.blocks)
        for (std::size_t begin = b.offset; begin < b.offset + b.size; begin += b.site_size)
          rescaleRange(d, theta_star, begin, begin + b.site_size);
      return;
  }
}

void orthogonalize(const std::vector<double>& delta, std::vector<double>& eta) {
  const double dd = dot(delta, delta), ee = dot(eta, eta);
  if (!(dd > 0) || !(ee > 0)) throw InputError("landscape.directions.orthogonalize: a direction is zero");
  const double c = dot(eta, delta) / dd;
  for (std::size_t i = 0; i < eta.size(); ++i) eta[i] -= c * delta[i];
  const double e2 = dot(eta, eta);
  // Relative size of what is left: below ~1e-12 it is rounding noise, η was parallel to δ.
  if (!(e2 > 1e-24 * ee)) throw InputError("landscape.directions.orthogonalize: the two directions are parallel");
  const double f = std::sqrt(ee / e2);
  for (auto& x : eta) x *= f;
}

}  // namespace vna
