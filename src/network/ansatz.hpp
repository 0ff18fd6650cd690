#pragma once
// The ansatz of a run: the autoregressive network's cell, hidden size, arithmetic precision and the
// seed of its initial parameters. ansatzFromConfig is the one place that reads the ansatz.* keys.
#include <cstddef>
#include <cstdint>
#include <string>

#include "param_layout.hpp"

namespace vna {

class Config;
struct Model;

enum class Precision { kFloat, kDouble };
std::string precisionName(Precision precision);  // "float", "double"
std::size_t scalarBytes(Precision precision);    // 4, 8 (memory estimates)

struct AnsatzSpec {
  CellKind cell = CellKind::kVanilla2d;
  int hidden = 40;  // d_h
  Precision precision = Precision::kFloat;
  std::uint64_t init_seed = 1;  // initParameters(layout, init_seed, replica)
};

// ansatz.cell, ansatz.hidden, ansatz.precision, ansatz.seed.
AnsatzSpec ansatzFromConfig(const Config& config);
// Input error naming ansatz.cell when a 2D cell is asked for on a model without a 2D lattice.
void checkAnsatzFitsModel(const Config& config, const AnsatzSpec& ansatz, const Model& model);

}  // namespace vna
