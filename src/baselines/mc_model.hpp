#pragma once
// The fast Monte Carlo kernels' view of a Hamiltonian: its structure and its couplings in the layout
// each kernel reads, in float (the dynamics then runs on couplings rounded to float, relative
// 6e-8; every energy that leaves a kernel is recomputed in double from the configuration with the
// Hamiltonian itself).
//
// Kernels (chosen by chooseMcKernel, or named in the config: sa.kernel, sqa.kernel, pt.kernel, pa.kernel):
//   reference  the general scalar path: Hamiltonian::flipDelta in double, one replica at a time
//   sparse     two-body models with few neighbours (EA, chains, sparse coupling files): local fields
//              from CSR neighbour lists, replicas across SIMD lanes
//   dense      two-body models with many neighbours (SK, Wishart, dense coupling files): a float
//              coupling matrix and a local-field row per replica, updated per accepted flip
//   pbody      any model (p-body terms, e.g. Newman-Moore): local fields as sums of products of the
//              other spins of each term, replicas across SIMD lanes
//   multispin  (SA only) ±J two-body models without fields: 64 replicas per machine word
//   auto       multispin where it applies (SA), else sparse or dense for two-body models (dense when the
//              coupling graph has more than 1/8 of all pairs), else pbody
#include <cstdint>
#include <string>
#include <vector>

#include "model/hamiltonian.hpp"

namespace vna {

enum class McKernel { kAuto, kReference, kSparse, kDense, kPBody, kMultiSpin };
const char* mcKernelName(McKernel k);
// Throws Error naming the valid kernels.
McKernel parseMcKernel(const std::string& name);

struct McModel {
  int n = 0;
  int max_order = 0;         // highest term order (1: fields only)
  std::vector<float> field;  // h_i
  // Two-body couplings (max_order <= 2), symmetric CSR with duplicates summed: site i's neighbours
  // nb_site[nb_offsets[i] .. nb_offsets[i+1]) with c_ij in nb_coupling (H ∋ c_ij σ_i σ_j once per pair).
  std::vector<int> nb_offsets, nb_site;
  std::vector<float> nb_coupling;
  std::int64_t num_pairs = 0;  // distinct coupled pairs
  int max_degree = 0;
  // Every term of order >= 2 seen from each of its sites: entries te_offsets[i] .. te_offsets[i+1] of
  // site i, entry e with coefficient te_coeff[e] and the other sites te_other[te_other_offsets[e] ..].
  std::vector<int> te_offsets;
  std::vector<float> te_coeff;
  std::vector<int> te_other_offsets, te_other;
  // ±J: two-body, no fields, every coupling of the same magnitude pm_j_magnitude.
  bool plus_minus_j = false;
  double pm_j_magnitude = 0.0;
};

McModel buildMcModel(const Hamiltonian& h);

// The N×N coupling matrix (row-major, zero diagonal) of a two-body McModel.
std::vector<float> denseCouplings(const McModel& m);

// The kernel that runs: `requested` if it applies (else Error saying why), or the automatic choice.
// multispin_allowed: the method has a multi-spin kernel (SA).
McKernel chooseMcKernel(const McModel& m, McKernel requested, bool multispin_allowed);

}  // namespace vna
