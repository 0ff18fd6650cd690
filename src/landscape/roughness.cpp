#include "landscape/roughness.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>

#include "io/h5.hpp"

namespace vna {

namespace {

// A difference stencil: up to three (point, weight) terms.
struct Stencil {
  std::array<std::size_t, 3> point{};
  std::array<double, 3> weight{};
  int size = 0;
};

// Accumulates values per key in a short list (a point touches at most a dozen stencils).
class SmallMap {
 public:
  void add(std::size_t key, double value) {
    for (auto& e : entries_)
      if (e.first == key) {
        e.second += value;
        return;
      }
    entries_.emplace_back(key, value);
  }
  const std::vector<std::pair<std::size_t, double>>& entries() const { return entries_; }
  void clear() { entries_.clear(); }

 private:
  std::vector<std::pair<std::size_t, double>> entries_;
};

RoughnessMeasure measure(const std::vector<Stencil>& stencils, const std::vector<double>& f,
                         const std::vector<double>& s, std::size_t points) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  RoughnessMeasure m;
  m.stencils = static_cast<std::int64_t>(stencils.size());
  if (stencils.empty()) {
    m.ratio = m.ratio_err = m.excess = m.excess_err = kNaN;
    return m;
  }
  // Which stencils touch each point (with the point's weight in them).
  std::vector<std::vector<std::pair<std::size_t, double>>> touching(points);
  std::vector<double> value(stencils.size());
  for (std::size_t r = 0; r < stencils.size(); ++r) {
    const Stencil& c = stencils[r];
    double v = 0.0, noise = 0.0;
    for (int t = 0; t < c.size; ++t) {
      v += c.weight[t] * f[c.point[t]];
      noise += c.weight[t] * c.weight[t] * s[c.point[t]] * s[c.point[t]];
      touching[c.point[t]].emplace_back(r, c.weight[t]);
    }
    value[r] = v;
    m.sum_squares += v * v;
    m.noise += noise;
  }
  // Var S = 4 Σ_k s_k² (Qμ)_k² + 2 Σ_{r,r'} (c_rᵀ Σ c_r')².
  double linear = 0.0, quadratic = 0.0;
  SmallMap row;
  for (std::size_t k = 0; k < points; ++k) {
    if (touching[k].empty()) continue;
    double g = 0.0;
    row.clear();  // Q_kj over the points j of the stencils through k
    for (const auto& [r, w] : touching[k]) {
      g += w * value[r];
      const Stencil& c = stencils[r];
      for (int t = 0; t < c.size; ++t) row.add(c.point[t], w * c.weight[t]);
    }
    double bias = 0.0;
    for (const auto& [j, q] : row.entries()) bias += q * q * s[j] * s[j];
    linear += s[k] * s[k] * (g * g - bias);  // unbiased term by term; the sum is clamped below
  }
  for (std::size_t r = 0; r < stencils.size(); ++r) {
    row.clear();  // c_rᵀ Σ c_r' for the stencils r' sharing a point with r
    const Stencil& c = stencils[r];
    for (int t = 0; t < c.size; ++t)
      for (const auto& [r2, w2] : touching[c.point[t]]) row.add(r2, c.weight[t] * w2 * s[c.point[t]] * s[c.point[t]]);
    for (const auto& [r2, mrr] : row.entries()) quadratic += mrr * mrr;
  }
  const double sd = std::sqrt(4.0 * std::max(linear, 0.0) + 2.0 * quadratic);
  const double n = static_cast<double>(stencils.size());
  m.excess = (m.sum_squares - m.noise) / n;
  m.excess_err = sd / n;
  if (m.noise > 0.0) {
    m.ratio = m.sum_squares / m.noise;
    m.ratio_err = sd / m.noise;
  } else {
    m.ratio = m.ratio_err = kNaN;  // noiseless values: only the excess is meaningful
  }
  return m;
}

}  // namespace

LandscapeRoughness landscapeRoughness(const std::vector<double>& loss, const std::vector<double>& loss_err,
                                      const std::vector<std::uint8_t>& valid, std::size_t na, std::size_t nb) {
  const std::size_t n = na * nb;
  auto ok = [&](std::size_t k) { return valid[k] && std::isfinite(loss[k]) && std::isfinite(loss_err[k]); };
  std::vector<Stencil> first, second;
  auto add = [&](std::vector<Stencil>& out, std::initializer_list<std::pair<std::size_t, double>> terms) {
    Stencil c;
    for (const auto& [k, w] : terms) {
      if (!ok(k)) return;
      c.point[c.size] = k;
      c.weight[c.size] = w;
      ++c.size;
    }
    out.push_back(c);
  };
  for (std::size_t i = 0; i < na; ++i)
    for (std::size_t j = 0; j < nb; ++j) {
      const std::size_t k = i * nb + j;
      if (i + 1 < na) add(first, {{k + nb, 1.0}, {k, -1.0}});
      if (j + 1 < nb) add(first, {{k + 1, 1.0}, {k, -1.0}});
      if (i >= 1 && i + 1 < na) add(second, {{k - nb, 1.0}, {k, -2.0}, {k + nb, 1.0}});
      if (j >= 1 && j + 1 < nb) add(second, {{k - 1, 1.0}, {k, -2.0}, {k + 1, 1.0}});
    }
  return {measure(first, loss, loss_err, n), measure(second, loss, loss_err, n)};
}

void writeRoughness(hid_t parent, const LandscapeRoughness& r) {
  if (h5::exists(parent, "roughness")) VNA_H5(H5Ldelete(parent, "roughness", H5P_DEFAULT));
  h5::Handle g = h5::createGroup(parent, "roughness");
  h5::writeAttribute(g, "definition",
                     "ratio = sum of squared differences / the sum expected from sampling noise alone (1 = flat up "
                     "to noise); excess = (sum - noise) per stencil; errors: Monte Carlo, Gaussian noise "
                     "(src/landscape/roughness.hpp)");
  const std::pair<const char*, const RoughnessMeasure*> kinds[] = {{"first_difference", &r.first},
                                                                    {"second_difference", &r.second}};
  for (const auto& [name, m] : kinds) {
    const std::string p(name);
    h5::writeAttribute(g, p + "_ratio", m->ratio);
    h5::writeAttribute(g, p + "_ratio_err", m->ratio_err);
    h5::writeAttribute(g, p + "_excess", m->excess);
    h5::writeAttribute(g, p + "_excess_err", m->excess_err);
    h5::writeAttribute(g, p + "_sum_squares", m->sum_squares);
    h5::writeAttribute(g, p + "_noise", m->noise);
    h5::writeAttribute(g, p + "_stencils", m->stencils);
  }
}

LandscapeRoughness addRoughness(hid_t snapshot_group) {
  std::vector<hsize_t> dims;
  const auto loss = h5::readDataset<double>(snapshot_group, "loss", &dims);
  const auto err = h5::readDataset<double>(snapshot_group, "loss_err");
  auto valid = h5::readDataset<std::uint8_t>(snapshot_group, "done");
  const auto nonfinite = h5::readDataset<std::uint8_t>(snapshot_group, "nonfinite");
  for (std::size_t k = 0; k < valid.size(); ++k) valid[k] = valid[k] && !nonfinite[k];
  const std::size_t na = dims.empty() ? 0 : dims[0], nb = dims.size() > 1 ? dims[1] : 1;
  const LandscapeRoughness r = landscapeRoughness(loss, err, valid, na, nb);
  writeRoughness(snapshot_group, r);
  return r;
}

nlohmann::json roughnessJson(const LandscapeRoughness& r) {
  auto num = [](double x) { return std::isfinite(x) ? nlohmann::json(x) : nlohmann::json(); };
  auto one = [&](const RoughnessMeasure& m) {
    return nlohmann::json{{"ratio", num(m.ratio)},   {"ratio_err", num(m.ratio_err)}, {"excess", num(m.excess)},
                          {"excess_err", num(m.excess_err)}, {"stencils", m.stencils}};
  };
  return {{"first_difference", one(r.first)}, {"second_difference", one(r.second)}};
}

}  // namespace vna
