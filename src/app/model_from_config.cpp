#include "app/model_from_config.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/mpi_comm.hpp"
#include "io/h5.hpp"

namespace vna {

ModelSpec modelSpecFromConfig(const Config& c) {
  ModelSpec s;
  s.type = c.getString("model.type");
  if (c.has("model.L")) s.L = static_cast<int>(c.getInt("model.L"));
  if (c.has("model.J")) s.J = c.getReal("model.J");
  if (c.has("model.N")) s.N = static_cast<int>(c.getInt("model.N"));
  if (c.has("model.Lx")) s.Lx = static_cast<int>(c.getInt("model.Lx"));
  if (c.has("model.Ly")) s.Ly = static_cast<int>(c.getInt("model.Ly"));
  if (c.has("model.periodic")) s.periodic = c.getBool("model.periodic");
  if (c.has("model.couplings")) s.couplings = c.getString("model.couplings");
  if (c.has("model.alpha")) s.alpha = c.getReal("model.alpha");
  if (c.has("model.seed")) s.seed = static_cast<std::uint64_t>(c.getInt("model.seed"));
  if (c.has("model.path"))
    for (const auto& p : c.getStringList("model.path")) s.paths.push_back(c.resolvePath(p).string());
  if (c.has("model.index_base")) s.index_base = static_cast<int>(c.getInt("model.index_base"));
  if (c.has("model.format")) s.format = c.getString("model.format");
  s.field = c.getReal("model.field");
  return s;
}

Model buildModelFromConfig(const Config& config, int realization) {
  try {
    return buildModel(modelSpecFromConfig(config), realization);
  } catch (const InputError& e) {
    // Builders know the file and line; the config location tells which key led there.
    throw InputError(fmt::format("{} (model defined at {})", e.what(),
                                 config.hasSection("model") ? config.sectionWhere("model") : config.where("model.type")));
  }
}

std::vector<InputFile> modelInputFiles(const Config& config) {
  std::vector<InputFile> out;
  if (config.has("model.path"))
    for (const auto& p : config.getStringList("model.path"))
      out.push_back({config.resolvePath(p), "a coupling file (model.path)"});
  return out;
}

void writeModelGroup(hid_t loc, const std::string& group, const Model& model, const Comm& comm) {
  h5::Handle g = h5::createGroup(loc, group);
  const Hamiltonian& h = model.hamiltonian;
  h5::writeAttribute(g, "description", model.description);
  h5::writeAttribute(g, "name", h.name);
  h5::writeAttribute(g, "num_spins", static_cast<std::int64_t>(h.numSpins()));
  h5::writeAttribute(g, "transverse_field", h.transverseField());
  h5::writeAttribute(g, "convention",
                     "H = sum_t coeff_t prod_{i in t} sigma_i + sum_i field_i sigma_i; sigma = 2 bit - 1 (bit 1 = up)");
  if (!model.source.empty()) h5::writeAttribute(g, "source", model.source);
  if (model.ground_energy) {
    h5::writeAttribute(g, "known_ground_energy", *model.ground_energy);
    h5::writeAttribute(g, "ground_truth_origin", model.ground_truth_origin);
  }
  std::vector<double> coeffs(h.numTerms());
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> sites;
  for (std::size_t t = 0; t < h.numTerms(); ++t) {
    coeffs[t] = h.termCoeff(t);
    sites.insert(sites.end(), h.termSitesBegin(t), h.termSitesEnd(t));
    offsets.push_back(static_cast<std::int64_t>(sites.size()));
  }
  h5::writeDataset(g, "term_coeffs", coeffs, comm.rank());
  h5::writeDataset(g, "term_offsets", offsets, comm.rank());
  h5::writeDataset(g, "term_sites", sites, comm.rank());
  h5::writeDataset(g, "fields", h.fields(), comm.rank());
  std::vector<double> xy;
  for (const auto& c : model.lattice.coords) xy.insert(xy.end(), c.begin(), c.end());
  h5::writeDataset<double>(g, "coordinates", {model.lattice.coords.size(), 2}, xy.data(), comm.rank());
  std::vector<std::int32_t> order(model.lattice.order.begin(), model.lattice.order.end());
  h5::writeDataset(g, "autoregressive_order", order, comm.rank());
}

}  // namespace vna
