// The dense kernel of ClassicalChains: a float coupling matrix J and cached local fields
// f = h + J σ, both lane-major like the spins (f[j·W + l] of lane l), so a Metropolis test reads
// f_i of the group's kLanes replicas as one vector, and the flips accepted at site i in any lanes
// update every field at once: f_j += 2 σ_i' J_ij for the accepting lanes (a masked vector
// multiply-add per site j). The updates of kBlock consecutive sites are applied in one pass over j
// (each field loaded and stored once per block, not per site: the pass is store-bound); a site inside
// the block adds the pending updates of the block's earlier sites to its own field first, in the same
// order, so the arithmetic is that of site-by-site updates exactly. Rounding in these updates accumulates, so
// every field is recomputed from the spins before a sweep call once kResyncSweeps sweeps have run
// since the last recomputation: the drift stays below about sqrt(kResyncSweeps N) · 2^−24 · max|f|
// (≈ 2.6e-6 relative for N = 100) and the recomputation costs N/kResyncSweeps multiply-adds per
// attempt. The schedule of recomputations is the same for every replica (it counts sweeps, not
// flips), so results stay a pure function of the replica.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <optional>

#include "baselines/chains_impl.hpp"
#include "baselines/lane_fields.hpp"
#include "baselines/lane_random.hpp"
#include "baselines/metropolis.hpp"

namespace vna {

namespace {

constexpr int kResyncSweeps = 16;
constexpr int kGroupsPerTask = 4;  // groups interleaved by one thread
constexpr int kBlock = 8;          // sites whose field updates share one pass

class DenseChains final : public ClassicalChains {
  using VF = simd::VF;
  using VI = simd::VI;

 public:
  DenseChains(const McModel& m, ChainStreams st, std::vector<std::uint32_t> ids)
      : ClassicalChains(m, st, std::move(ids)),
        J_(denseCouplings(m)),
        spins_(static_cast<std::size_t>(numGroups()) * m.n, simd::splat(1.0f)),
        fields_(spins_.size(), simd::splat(0.0f)),
        dirty_(numGroups(), 1) {}

  void sweep(std::uint32_t step, int first_sweep, int num_sweeps, const float* beta, double* energies) override {
    const int n = model_.n;
    const bool resync_now = sweeps_since_resync_ >= kResyncSweeps;
    sweeps_since_resync_ = resync_now ? num_sweeps : sweeps_since_resync_ + num_sweeps;
    const int tasks = (numGroups() + kGroupsPerTask - 1) / kGroupsPerTask;
    Kokkos::parallel_for(
        "vna::ClassicalChains::sweep", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, tasks),
        [&](const int task) {
          const int g0 = task * kGroupsPerTask, ng = std::min(kGroupsPerTask, numGroups() - g0);
          Lanes lanes[kGroupsPerTask];
          for (int k = 0; k < ng; ++k) {
            if (resync_now || dirty_[g0 + k]) resync(g0 + k);
            lanes[k].init(*this, g0 + k, step, beta);
          }
          for (int sw = first_sweep; sw < first_sweep + num_sweeps; ++sw) {
            const std::uint64_t t0 = static_cast<std::uint64_t>(sw) * n;
            // Block by block over the task's groups, whose chains are independent (see chains_local.cpp).
            for (int i = 0; i < n; i += kBlock)
              for (int k = 0; k < ng; ++k) block(lanes[k], i, t0 + i);
          }
          if (energies)
            for (int k = 0; k < ng; ++k) {
              const int valid = std::min(kLanes, size() - (g0 + k) * kLanes);
              for (int l = 0; l < valid; ++l) energies[(g0 + k) * kLanes + l] += lanes[k].e[l];
            }
        });
    Kokkos::fence();
  }

  void getBits(int slot, Bit* out) const override {
    const VF* s = spins_.data() + static_cast<std::size_t>(slot / kLanes) * model_.n;
    for (int i = 0; i < model_.n; ++i) out[i] = s[i][slot % kLanes] > 0.0f;
  }
  void setBits(int slot, const Bit* in) override {
    VF* s = spins_.data() + static_cast<std::size_t>(slot / kLanes) * model_.n;
    for (int i = 0; i < model_.n; ++i) s[i][slot % kLanes] = in[i] ? 1.0f : -1.0f;
    dirty_[slot / kLanes] = 1;  // fields recomputed before the next sweep
  }
  void permute(const std::vector<int>& ancestor) override {
    for (int g = 0; g < numGroups(); ++g)
      if (dirty_[g]) resync(g);
    const std::vector<VF> spins = spins_, fields = fields_;
    const int n = model_.n;
    for (int k = 0; k < size(); ++k) {
      const std::size_t from = static_cast<std::size_t>(ancestor[k] / kLanes) * n, to = static_cast<std::size_t>(k / kLanes) * n;
      const int lf = ancestor[k] % kLanes, lt = k % kLanes;
      for (int i = 0; i < n; ++i) {
        spins_[to + i][lt] = spins[from + i][lf];
        fields_[to + i][lt] = fields[from + i][lf];
      }
    }
  }

 private:
  void resync(int g) {
    denseFields(model_, J_.data(), spins_.data() + static_cast<std::size_t>(g) * model_.n,
                fields_.data() + static_cast<std::size_t>(g) * model_.n);
    dirty_[g] = 0;
  }

  // One group's lanes during a sweep call.
  struct Lanes {
    VF* s = nullptr;
    VF* f = nullptr;
    VF beta;
    std::optional<LaneDraws> draws;
    alignas(64) double e[kLanes] = {};

    void init(DenseChains& c, int g, std::uint32_t step, const float* b) {
      beta = c.groupBetas(g, b);
      s = c.spins_.data() + static_cast<std::size_t>(g) * c.model_.n;
      f = c.fields_.data() + static_cast<std::size_t>(g) * c.model_.n;
      draws.emplace(c.groupDraws(g, step));
    }
  };

  // Sites i0 .. i0 + kBlock − 1 (or to N) of one group; see the file comment.
  void block(Lanes& g, int i0, std::uint64_t t0) {
    const int n = model_.n, i1 = std::min(n, i0 + kBlock);
    VF pending[kBlock];
    const float* rows[kBlock];
    int np = 0;
    for (int i = i0; i < i1; ++i) {
      VF fi = g.f[i];
      for (int q = 0; q < np; ++q) fi += rows[q][i] * pending[q];
      const VF spin = g.s[i];
      const VF d = -2.0f * spin * fi;
      const VI acc = metropolisAccept(d <= 0.0f, g.beta * d, *g.draws, t0 + (i - i0));
      if (!simd::any(acc)) continue;
      g.s[i] = simd::select(acc, -spin, spin);
      // σ_i' = −σ: f_j += 2 σ_i' J_ij = −2 σ J_ij in the accepting lanes, 0 elsewhere.
      pending[np] = simd::select(acc, -2.0f * spin, simd::splat(0.0f));
      rows[np++] = J_.data() + static_cast<std::size_t>(i) * n;
      const VF de = simd::select(acc, d, simd::splat(0.0f));
      for (int l = 0; l < kLanes; ++l) g.e[l] += de[l];
    }
    if (np == 0) return;
    for (int j = 0; j < n; ++j) {
      VF x = g.f[j];
      for (int q = 0; q < np; ++q) x += rows[q][j] * pending[q];
      g.f[j] = x;
    }
  }

  std::vector<float> J_;             // [N][N]
  std::vector<VF> spins_, fields_;   // [group][site] vectors of lanes
  std::vector<char> dirty_;          // spins set since the fields were computed
  int sweeps_since_resync_ = 0;
};

}  // namespace

std::unique_ptr<ClassicalChains> makeDenseChains(const McModel& m, ChainStreams st, std::vector<std::uint32_t> ids) {
  return std::make_unique<DenseChains>(m, st, std::move(ids));
}

}  // namespace vna
