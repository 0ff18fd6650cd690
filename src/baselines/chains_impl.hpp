#pragma once
// The kernels behind ClassicalChains::create (one file each).
#include "baselines/classical_chains.hpp"

namespace vna {

std::unique_ptr<ClassicalChains> makeLocalFieldChains(const McModel& m, McKernel kernel, ChainStreams st,
                                                      std::vector<std::uint32_t> ids);
std::unique_ptr<ClassicalChains> makeDenseChains(const McModel& m, ChainStreams st, std::vector<std::uint32_t> ids);

}  // namespace vna
