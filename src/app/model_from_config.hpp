#pragma once
// The `model:` section of a validated config as a ModelSpec, and the model's HDF5 description.
#include <hdf5.h>

#include "config/config.hpp"
#include "io/result_file.hpp"
#include "model/model.hpp"

namespace vna {

class Comm;

ModelSpec modelSpecFromConfig(const Config& config);
// Builds realization r, turning a builder's InputError into one that names the config key.
Model buildModelFromConfig(const Config& config, int realization = 0);
// The coupling files of model.path (resolved), as inputs that no output may overwrite.
std::vector<InputFile> modelInputFiles(const Config& config);
// Writes /<group> with the Hamiltonian as CSR term lists and fields (collective; same on all ranks).
void writeModelGroup(hid_t loc, const std::string& group, const Model& model, const Comm& comm);

}  // namespace vna
