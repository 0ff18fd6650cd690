// The dense kernel of ClassicalChains: a float coupling matrix J and, per replica, a row of spins
// and a row of local fields f = h + J σ. A Metropolis test reads f_i of the group's kLanes replicas
// (a gather across rows) and decides in SIMD; each accepted flip of σ_i adds 2 σ_i' J_i· to its
// replica's field row (a vector loop over the N sites). Rows are padded to whole SIMD vectors and
// aligned. Rounding in these updates accumulates, so a row is recomputed from its spins after every
// kResyncFlipsPerSite·N accepted flips: the drift stays at about sqrt(16 N) · 2^−24 · max|f|
// (≈ 2.4e-6 relative for N = 100) and the recomputation costs at most 1/16 of the updates.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <optional>

#include "baselines/chains_impl.hpp"
#include "baselines/lane_random.hpp"
#include "baselines/metropolis.hpp"

namespace vna {

namespace {

constexpr int kResyncFlipsPerSite = 16;
constexpr int kGroupsPerTask = 4;  // groups interleaved by one thread

class DenseChains final : public ClassicalChains {
  using VF = simd::VF;

 public:
  DenseChains(const McModel& m, ChainStreams st, std::vector<std::uint32_t> ids)
      : ClassicalChains(m, st, std::move(ids)),
        vectors_((m.n + kLanes - 1) / kLanes),
        J_(static_cast<std::size_t>(m.n) * vectors_, simd::splat(0.0f)),
        spins_(static_cast<std::size_t>(numGroups()) * kLanes * vectors_, simd::splat(1.0f)),
        fields_(spins_.size(), simd::splat(0.0f)),
        flips_(static_cast<std::size_t>(numGroups()) * kLanes, 0) {
    const std::vector<float> dense = denseCouplings(m);
    for (int i = 0; i < m.n; ++i)
      std::copy(dense.begin() + static_cast<std::ptrdiff_t>(i) * m.n,
                dense.begin() + static_cast<std::ptrdiff_t>(i + 1) * m.n, floats(J_, i));
    for (int k = 0; k < numGroups() * kLanes; ++k) resync(k);
  }

  void sweep(std::uint32_t step, int first_sweep, int num_sweeps, const float* beta, double* energies) override {
    const int n = model_.n;
    const int tasks = (numGroups() + kGroupsPerTask - 1) / kGroupsPerTask;
    Kokkos::parallel_for(
        "vna::ClassicalChains::sweep", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, tasks),
        [&](const int task) {
          const int g0 = task * kGroupsPerTask, ng = std::min(kGroupsPerTask, numGroups() - g0);
          Lanes lanes[kGroupsPerTask];
          for (int k = 0; k < ng; ++k) lanes[k].init(*this, g0 + k, step, beta);
          for (int sw = first_sweep; sw < first_sweep + num_sweeps; ++sw) {
            const std::uint64_t t0 = static_cast<std::uint64_t>(sw) * n;
            // Site-major over the task's groups, whose chains are independent (see chains_local.cpp).
            for (int i = 0; i < n; ++i)
              for (int k = 0; k < ng; ++k) attempt(lanes[k], i, t0 + i);
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
    const float* s = floats(spins_, slot);
    for (int i = 0; i < model_.n; ++i) out[i] = s[i] > 0.0f;
  }
  void permute(const std::vector<int>& ancestor) override {
    const std::vector<VF> spins = spins_, fields = fields_;
    const std::vector<int> flips = flips_;
    for (int k = 0; k < size(); ++k) {
      const std::size_t from = std::size_t(ancestor[k]) * vectors_, to = std::size_t(k) * vectors_;
      std::copy(spins.begin() + from, spins.begin() + from + vectors_, spins_.begin() + to);
      std::copy(fields.begin() + from, fields.begin() + from + vectors_, fields_.begin() + to);
      flips_[k] = flips[ancestor[k]];
    }
  }
  void setBits(int slot, const Bit* in) override {
    float* s = floats(spins_, slot);
    for (int i = 0; i < model_.n; ++i) s[i] = in[i] ? 1.0f : -1.0f;
    resync(slot);
  }

 private:
  // Row r (a slot, or a site of J) of a padded matrix, as floats or as vectors.
  float* floats(std::vector<VF>& v, int r) { return reinterpret_cast<float*>(v.data() + std::size_t(r) * vectors_); }
  const float* floats(const std::vector<VF>& v, int r) const {
    return reinterpret_cast<const float*>(v.data() + std::size_t(r) * vectors_);
  }

  // f = h + J σ of one slot, from scratch: f = h, then f += σ_j J_j· for j = 0..N−1 (J symmetric).
  void resync(int slot) {
    const int n = model_.n;
    const float* s = floats(spins_, slot);
    VF* f = fields_.data() + std::size_t(slot) * vectors_;
    float* fs = reinterpret_cast<float*>(f);
    for (int i = 0; i < vectors_ * kLanes; ++i) fs[i] = i < n ? model_.field[i] : 0.0f;
    for (int j = 0; j < n; ++j) {
      const VF* Jj = J_.data() + std::size_t(j) * vectors_;
      const float sj = s[j];
      for (int k = 0; k < vectors_; ++k) f[k] += sj * Jj[k];
    }
    flips_[slot] = 0;
  }

  // One group's lanes during a sweep call.
  struct Lanes {
    int first = 0;  // slot of lane 0
    VF beta;
    std::optional<LaneDraws> draws;
    alignas(64) double e[kLanes] = {};

    void init(const DenseChains& c, int g, std::uint32_t step, const float* b) {
      alignas(64) std::uint32_t ids[kLanes];
      alignas(64) float bl[kLanes];
      c.groupIds(g, ids);
      const int valid = std::min(kLanes, c.size() - g * kLanes);
      for (int l = 0; l < kLanes; ++l) bl[l] = b[g * kLanes + std::min(l, valid - 1)];
      beta = simd::load<VF>(bl);
      first = g * kLanes;
      draws.emplace(c.streams_.key, step, ids, c.streams_.realization);
    }
  };

  void attempt(Lanes& g, int i, std::uint64_t t) {
    alignas(64) float si[kLanes], fi[kLanes];
    for (int l = 0; l < kLanes; ++l) {  // a gather across the rows of the group
      si[l] = floats(spins_, g.first + l)[i];
      fi[l] = floats(fields_, g.first + l)[i];
    }
    const VF d = -2.0f * simd::load<VF>(si) * simd::load<VF>(fi);
    std::uint32_t mask = simd::laneMask(metropolisAccept(d <= 0.0f, g.beta * d, *g.draws, t));
    while (mask) {
      const int l = __builtin_ctz(mask);
      mask &= mask - 1;
      flip(g.first + l, i);
      g.e[l] += d[l];
    }
  }

  void flip(int slot, int i) {
    float& s = floats(spins_, slot)[i];
    s = -s;
    const VF a = simd::splat(2.0f * s);
    VF* f = fields_.data() + std::size_t(slot) * vectors_;
    const VF* Ji = J_.data() + std::size_t(i) * vectors_;
    for (int k = 0; k < vectors_; ++k) f[k] += a * Ji[k];
    if (++flips_[slot] >= kResyncFlipsPerSite * model_.n) resync(slot);
  }

  int vectors_;                        // SIMD vectors per padded row
  std::vector<VF> J_;                  // [N][padded N]
  std::vector<VF> spins_, fields_;     // [slot][padded N], slots padded to whole groups
  std::vector<int> flips_;             // accepted flips since the slot's last resync
};

}  // namespace

std::unique_ptr<ClassicalChains> makeDenseChains(const McModel& m, ChainStreams st, std::vector<std::uint32_t> ids) {
  return std::make_unique<DenseChains>(m, st, std::move(ids));
}

}  // namespace vna
