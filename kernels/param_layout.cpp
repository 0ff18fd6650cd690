#include "param_layout.hpp"

#include <fmt/format.h>

#include <cmath>

#include "core/error.hpp"
#include "core/random.hpp"

namespace vna {

std::string cellKindName(CellKind cell) {
  switch (cell) {
    case CellKind::kVanilla1d:
      return "vanilla1d";
    case CellKind::kVanilla2d:
      return "vanilla2d";
    case CellKind::kTensorized1d:
      return "tensorized1d";
    case CellKind::kTensorized2d:
      return "tensorized2d";
    case CellKind::kDilated1d:
      return "dilated1d";
  }
  throw Error("cellKindName: unknown cell kind");
}

CellKind parseCellKind(const std::string& name) {
  if (name == "vanilla1d") return CellKind::kVanilla1d;
  if (name == "vanilla2d") return CellKind::kVanilla2d;
  if (name == "tensorized1d") return CellKind::kTensorized1d;
  if (name == "tensorized2d") return CellKind::kTensorized2d;
  if (name == "dilated1d") return CellKind::kDilated1d;
  throw InputError(fmt::format(
      "unknown RNN cell '{}' (expected vanilla1d, vanilla2d, tensorized1d, tensorized2d or dilated1d)", name));
}

std::string weightSharingName(WeightSharing sharing) {
  return sharing == WeightSharing::kPerSite ? "per_site" : "shared";
}

int dilatedLayers(int num_sites) {
  int layers = 1;
  while ((1LL << layers) < num_sites) ++layers;
  return layers;
}

const ParamBlock& ParamLayout::block(const std::string& name) const {
  for (const ParamBlock& b : blocks)
    if (b.name == name) return b;
  throw Error(fmt::format("ParamLayout: no block '{}' in the {} layout", name, cellKindName(cell)));
}

bool ParamLayout::hasBlock(const std::string& name) const {
  for (const ParamBlock& b : blocks)
    if (b.name == name) return true;
  return false;
}

ParamLayout ParamLayout::siteLayout() const {
  ParamLayout local = *this;
  local.sharing = WeightSharing::kShared;
  local.sites = 1;
  local.total = 0;
  for (ParamBlock& b : local.blocks) {
    if (perSite()) b.shape.erase(b.shape.begin());
    b.size = b.site_size;
    b.offset = local.total;
    local.total += b.size;
  }
  return local;
}

std::string ParamLayout::shapeText(const ParamBlock& b) {
  std::string text;
  for (int e : b.shape) text += (text.empty() ? "" : "x") + std::to_string(e);
  return text;
}

namespace {

void addBlock(ParamLayout& layout, std::string name, std::vector<int> shape, int fan_in) {
  ParamBlock b;
  b.name = std::move(name);
  b.shape = std::move(shape);
  b.site_size = 1;
  for (int e : b.shape) b.site_size *= static_cast<std::size_t>(e);
  b.size = b.site_size * static_cast<std::size_t>(layout.sites);
  if (layout.perSite()) b.shape.insert(b.shape.begin(), layout.sites);
  b.offset = layout.total;
  b.fan_in = fan_in;
  layout.total += b.size;
  layout.blocks.push_back(std::move(b));
}

}  // namespace

ParamLayout makeParamLayout(CellKind cell, int hidden, int num_sites, WeightSharing sharing) {
  if (hidden <= 0) throw InputError(fmt::format("RNN hidden size must be positive, got {}", hidden));
  ParamLayout layout;
  layout.cell = cell;
  layout.hidden = hidden;
  layout.sharing = sharing;
  if (sharing == WeightSharing::kPerSite) {
    if (num_sites <= 0) throw InputError("a per-site network needs the number of sites");
    layout.sites = num_sites;
  }
  const int in = hidden + 2;  // [h; onehot(b)]
  // The bilinear cells see exactly one active one-hot slot per predecessor, so each output sums
  // over the hidden inputs only: their fan-in is (number of predecessors) · d_h.
  int bias_fan_in = in;
  switch (cell) {
    case CellKind::kVanilla1d:
      addBlock(layout, "W", {hidden, in}, in);
      break;
    case CellKind::kVanilla2d:
      addBlock(layout, "Wh", {hidden, in}, in);
      addBlock(layout, "Wv", {hidden, in}, in);
      break;
    case CellKind::kTensorized1d:
      addBlock(layout, "T", {2, hidden, hidden}, hidden);
      bias_fan_in = hidden;
      break;
    case CellKind::kTensorized2d:
      addBlock(layout, "T", {4, hidden, 2 * hidden}, 2 * hidden);
      bias_fan_in = 2 * hidden;
      break;
    case CellKind::kDilated1d: {
      if (num_sites <= 0)
        throw InputError("the dilated1d cell needs the number of sites (its depth is ceil(log2 N))");
      const int layers = dilatedLayers(num_sites);
      for (int l = 1; l <= layers; ++l) {
        const int fan_in = l == 1 ? in : 2 * hidden;
        addBlock(layout, fmt::format("W{}", l), {hidden, fan_in}, fan_in);
        addBlock(layout, fmt::format("c{}", l), {hidden}, fan_in);
      }
      break;
    }
  }
  if (cell != CellKind::kDilated1d) addBlock(layout, "c", {hidden}, bias_fan_in);
  addBlock(layout, "U", {2, hidden}, hidden);
  addBlock(layout, "d", {2}, hidden);
  return layout;
}

std::vector<double> initParameters(const ParamLayout& layout, std::uint64_t seed, std::uint64_t param_set_index) {
  std::vector<double> theta(layout.total);
  RngStream rng(seed, RngPurpose::kInitialization, param_set_index);
  for (const ParamBlock& b : layout.blocks) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(b.fan_in));
    for (std::size_t e = 0; e < b.size; ++e) theta[b.offset + e] = (2.0 * rng.uniform() - 1.0) * bound;
  }
  return theta;
}

}  // namespace vna
