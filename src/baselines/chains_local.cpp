// The sparse and pbody kernels of ClassicalChains: local fields computed from the neighbours' spins
// at every attempt (no cached fields to keep up to date; see doc/performance.md for the comparison
// with cached fields), kLanes replicas per group, spins site-major as floats ±1.
#include <Kokkos_Core.hpp>
#include <algorithm>
#include <optional>

#include "baselines/chains_impl.hpp"
#include "baselines/lane_fields.hpp"
#include "baselines/lane_random.hpp"
#include "baselines/metropolis.hpp"

namespace vna {

namespace {

constexpr int kGroupsPerTask = 4;  // groups interleaved by one thread

template <class Field>
class LocalFieldChains final : public ClassicalChains {
 public:
  LocalFieldChains(const McModel& m, ChainStreams st, std::vector<std::uint32_t> ids)
      : ClassicalChains(m, st, std::move(ids)),
        field_{&m},
        spins_(static_cast<std::size_t>(numGroups()) * m.n * kLanes, 1.0f) {}

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
            // Site-major over the task's groups: their chains are independent, so the core overlaps
            // one group's latency (neighbour just flipped → field → test → flip) with the others'.
            for (int i = 0; i < n; ++i)
              for (int k = 0; k < ng; ++k) lanes[k].attempt(field_, i, t0 + i, energies != nullptr);
          }
          if (energies)
            for (int k = 0; k < ng; ++k) lanes[k].addEnergies(*this, g0 + k, energies);
        });
    Kokkos::fence();
  }

  void getBits(int slot, Bit* out) const override {
    const float* s = spins_.data() + static_cast<std::size_t>(slot / kLanes) * model_.n * kLanes + slot % kLanes;
    for (int i = 0; i < model_.n; ++i) out[i] = s[static_cast<std::size_t>(i) * kLanes] > 0.0f;
  }
  void permute(const std::vector<int>& ancestor) override {
    const std::vector<float> old = spins_;
    const int n = model_.n;
    for (int k = 0; k < size(); ++k) {
      const float* from = old.data() + static_cast<std::size_t>(ancestor[k] / kLanes) * n * kLanes + ancestor[k] % kLanes;
      float* to = spins_.data() + static_cast<std::size_t>(k / kLanes) * n * kLanes + k % kLanes;
      for (int i = 0; i < n; ++i) to[static_cast<std::size_t>(i) * kLanes] = from[static_cast<std::size_t>(i) * kLanes];
    }
  }
  void setBits(int slot, const Bit* in) override {
    float* s = spins_.data() + static_cast<std::size_t>(slot / kLanes) * model_.n * kLanes + slot % kLanes;
    for (int i = 0; i < model_.n; ++i) s[static_cast<std::size_t>(i) * kLanes] = in[i] ? 1.0f : -1.0f;
  }

 private:
  float* group(int g) { return spins_.data() + static_cast<std::size_t>(g) * model_.n * kLanes; }

  // One group's lanes during a sweep call.
  struct Lanes {
    float* s = nullptr;
    simd::VF beta;
    std::optional<LaneDraws> draws;
    alignas(64) double e[kLanes] = {};

    void init(LocalFieldChains& c, int g, std::uint32_t step, const float* b) {
      beta = c.groupBetas(g, b);
      s = c.group(g);
      draws.emplace(c.groupDraws(g, step));
    }
    void attempt(const Field& field, int i, std::uint64_t t, bool track) {
      float* si = s + static_cast<std::size_t>(i) * kLanes;
      const simd::VF spin = simd::load<simd::VF>(si);
      const simd::VF d = -2.0f * spin * field(i, s);
      const simd::VI acc = metropolisAccept(d <= 0.0f, beta * d, *draws, t);
      simd::store(si, simd::select(acc, -spin, spin));
      if (track) {
        const simd::VF de = simd::select(acc, d, simd::splat(0.0f));
        for (int l = 0; l < kLanes; ++l) e[l] += de[l];
      }
    }
    void addEnergies(const LocalFieldChains& c, int g, double* energies) const {
      const int valid = std::min(kLanes, c.size() - g * kLanes);
      for (int l = 0; l < valid; ++l) energies[g * kLanes + l] += e[l];
    }
  };

  Field field_;
  std::vector<float> spins_;  // [group][site][lane]
};

}  // namespace

std::unique_ptr<ClassicalChains> makeLocalFieldChains(const McModel& m, McKernel kernel, ChainStreams st,
                                                      std::vector<std::uint32_t> ids) {
  if (kernel == McKernel::kSparse)
    return std::make_unique<LocalFieldChains<SparseField>>(m, st, std::move(ids));
  return std::make_unique<LocalFieldChains<PBodyField>>(m, st, std::move(ids));
}

}  // namespace vna
