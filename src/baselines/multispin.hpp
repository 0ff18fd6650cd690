#pragma once
// Multi-spin-coded simulated annealing for ±J two-body models without fields (Isakov, Zintchenko,
// Rønnow, Troyer, Comput. Phys. Commun. 192, 265 (2015)): bit b of the 64-bit word of site i is σ_i of
// replica 64 w + b, so one bitwise operation acts on 64 replicas (kMultiSpinWords words at once,
// vectorized). Per site the unsatisfied bonds n are counted in bit planes (a bit-sliced adder), and
// ΔE = 2|J| (z_i − 2n) for a site of degree z_i: moves with 2n >= z_i are accepted, the others with
// probability p_k = exp(−2β|J|k), k = z_i − 2n, decided by one of:
//
//   independent (default)  every replica gets its own decision: per lane a 32-bit uniform U is
//       compared with ⌊p_k 2^32⌋ bit by bit from the top, 64 lanes at a time, with random words drawn
//       only until every lane that needs a decision has one (about log2(64) + 2 levels instead of 32).
//       Exact to 2^−32, like the reference path; replicas are independent.
//   shared  one 32-bit uniform per (word, step, sweep, site) for all 64 replicas of the word (Isakov
//       et al.'s cheapest variant): every replica's own chain is still the correct Metropolis chain,
//       but the 64 replicas of a word are correlated: at a given site and time all of them accept a
//       move of the same ΔE together or reject it together. Statistics over replicas of one word are
//       then not those of independent runs (error bars from them are too small).
//
// Streams: replica r lives in word w = r / 64 (a pure function of the id: any split of the replicas
// over batches or ranks gives the same results). Independent: attempt t = sweep·N + i uses the
// Philox blocks 16 t .. 16 t + 15 (two 64-bit levels each) of counter (block, step, w, realization);
// shared: word t mod 4 of block t / 4. Initial configurations: those of every other kernel
// (initialBits of each replica id).
#include "baselines/monte_carlo_batch.hpp"
#include "baselines/monte_carlo_stream.hpp"
#include "baselines/simd.hpp"
#include "baselines/simulated_annealing.hpp"

namespace vna {

// 64-bit words advanced together: one register (8 with AVX-512: 512 replicas, 4 with AVX2).
inline constexpr int kMultiSpinWords = simd::kWidth / 2;

// Throws Error when a step would need more Philox blocks than one stream has.
void checkMultiSpinBudget(int n, int sweeps_per_step, MultiSpinRandom mode);

// Fills out.bits (and out.step_energy when allocated) for replicas out.first_replica .. + out.count.
void multiSpinAnnealing(const McModel& model, const Hamiltonian& h, const SaSchedule& schedule, const McStreamId& id,
                        MonteCarloBatch& out, const McRunOptions& options);

}  // namespace vna
