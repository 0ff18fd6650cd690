#include "network/ansatz.hpp"

#include <fmt/format.h>

#include "config/config.hpp"
#include "model/model.hpp"

namespace vna {

std::string precisionName(Precision precision) { return precision == Precision::kDouble ? "double" : "float"; }
std::size_t scalarBytes(Precision precision) { return precision == Precision::kDouble ? 8 : 4; }

AnsatzSpec ansatzFromConfig(const Config& c) {
  AnsatzSpec a;
  a.cell = parseCellKind(c.getString("ansatz.cell"));
  a.hidden = static_cast<int>(c.getInt("ansatz.hidden"));
  a.precision = c.getString("ansatz.precision") == "double" ? Precision::kDouble : Precision::kFloat;
  a.init_seed = static_cast<std::uint64_t>(c.getInt("ansatz.seed"));
  return a;
}

void checkAnsatzFitsModel(const Config& c, const AnsatzSpec& ansatz, const Model& model) {
  const bool two_d = ansatz.cell == CellKind::kVanilla2d || ansatz.cell == CellKind::kTensorized2d;
  if (two_d && model.lattice.dim != 2)
    c.fail("ansatz.cell",
           fmt::format("{} needs a 2D lattice, but {} is laid out as a {} of {} sites: use vanilla1d, tensorized1d "
                       "or dilated1d",
                       cellKindName(ansatz.cell), model.description, model.lattice.kind, model.hamiltonian.numSpins()));
}

}  // namespace vna
