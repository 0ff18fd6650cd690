#include "baselines/quantum_chains.hpp"

#include <fmt/format.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <optional>

#include "baselines/lane_fields.hpp"
#include "baselines/lane_random.hpp"
#include "baselines/metropolis.hpp"
#include "core/error.hpp"

namespace vna {

namespace {

using simd::VF;
using simd::VI;
constexpr int kGroupsPerTask = 4;

// The per-group state of one sweep call: its random numbers and its first slot.
struct GroupDraws {
  int group = 0;
  std::optional<LaneDraws> draws;
};

// Runs body(group_draws, ...) site-major over up to kGroupsPerTask groups per thread.
template <class Chains, class Body>
void forGroupTasks(const Chains& c, std::uint32_t step, Body&& body) {
  const int groups = (c.size() + kLanes - 1) / kLanes;
  const int tasks = (groups + kGroupsPerTask - 1) / kGroupsPerTask;
  Kokkos::parallel_for("vna::QuantumChains::sweep", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, tasks),
                       [&](const int task) {
                         const int g0 = task * kGroupsPerTask, ng = std::min(kGroupsPerTask, groups - g0);
                         GroupDraws gd[kGroupsPerTask];
                         for (int k = 0; k < ng; ++k) {
                           alignas(64) std::uint32_t ids[kLanes];
                           c.idsOf(g0 + k, ids);
                           gd[k].group = g0 + k;
                           gd[k].draws.emplace(c.streamsOf().key, step, ids, c.streamsOf().realization);
                         }
                         body(gd, ng);
                       });
  Kokkos::fence();
}

// sparse / pbody: spins [group][slice][site][lane] as floats ±1.
template <class Field>
class LocalFieldQuantum final : public QuantumChains {
 public:
  LocalFieldQuantum(const McModel& m, ChainStreams st, std::vector<std::uint32_t> ids, int P)
      : QuantumChains(m, st, std::move(ids), P),
        field_{&m},
        spins_(static_cast<std::size_t>(numGroups()) * P * m.n * kLanes, 1.0f) {}

  void idsOf(int g, std::uint32_t* out) const { groupIds(g, out); }
  ChainStreams streamsOf() const { return streams_; }

  void sweep(std::uint32_t step, int num_sweeps, float beta_p, float K, bool global_moves) override {
    const int n = model_.n, P = slices_;
    const std::uint64_t per_sweep = static_cast<std::uint64_t>(n) * (P + 1);
    forGroupTasks(*this, step, [&](GroupDraws* gd, int ng) {
      for (int sw = 0; sw < num_sweeps; ++sw) {
        const std::uint64_t base = sw * per_sweep;
        for (int k = 0; k < P; ++k)
          for (int i = 0; i < n; ++i)
            for (int q = 0; q < ng; ++q) local(gd[q], k, i, base + static_cast<std::uint64_t>(k) * n + i, beta_p, K);
        if (global_moves)
          for (int i = 0; i < n; ++i)
            for (int q = 0; q < ng; ++q) global(gd[q], i, base + static_cast<std::uint64_t>(P) * n + i, beta_p);
      }
    });
  }

  void getSlice(int slot, int k, Bit* out) const override {
    const float* s = slice(slot / kLanes, k) + slot % kLanes;
    for (int i = 0; i < model_.n; ++i) out[i] = s[static_cast<std::size_t>(i) * kLanes] > 0.0f;
  }
  void setSlice(int slot, int k, const Bit* in) override {
    float* s = slice(slot / kLanes, k) + slot % kLanes;
    for (int i = 0; i < model_.n; ++i) s[static_cast<std::size_t>(i) * kLanes] = in[i] ? 1.0f : -1.0f;
  }

 private:
  float* slice(int g, int k) {
    return spins_.data() + (static_cast<std::size_t>(g) * slices_ + k) * model_.n * kLanes;
  }
  const float* slice(int g, int k) const {
    return spins_.data() + (static_cast<std::size_t>(g) * slices_ + k) * model_.n * kLanes;
  }

  // x = β_P ΔE_cl + 2K σ (σ_prev + σ_next) = σ (2K (σ_prev + σ_next) − 2 β_P f).
  void local(GroupDraws& gd, int k, int i, std::uint64_t t, float beta_p, float K) {
    const int P = slices_;
    float* s = slice(gd.group, k);
    const std::size_t at = static_cast<std::size_t>(i) * kLanes;
    const VF spin = simd::load<VF>(s + at);
    const VF nb = simd::load<VF>(slice(gd.group, (k + P - 1) % P) + at) + simd::load<VF>(slice(gd.group, (k + 1) % P) + at);
    const VF x = spin * ((2.0f * K) * nb - (2.0f * beta_p) * field_(i, s));
    const VI acc = metropolisAccept(x <= 0.0f, x, *gd.draws, t);
    simd::store(s + at, simd::select(acc, -spin, spin));
  }

  // x = β_P Σ_k ΔE_cl(σ^k); the inter-slice terms do not change.
  void global(GroupDraws& gd, int i, std::uint64_t t, float beta_p) {
    const std::size_t at = static_cast<std::size_t>(i) * kLanes;
    VF sum = simd::splat(0.0f);
    for (int k = 0; k < slices_; ++k) {
      const float* s = slice(gd.group, k);
      sum += simd::load<VF>(s + at) * field_(i, s);
    }
    const VF x = (-2.0f * beta_p) * sum;
    const VI acc = metropolisAccept(x <= 0.0f, x, *gd.draws, t);
    if (!simd::any(acc)) return;
    for (int k = 0; k < slices_; ++k) {
      float* s = slice(gd.group, k) + at;
      const VF spin = simd::load<VF>(s);
      simd::store(s, simd::select(acc, -spin, spin));
    }
  }

  Field field_;
  std::vector<float> spins_;
};

// dense: per group and slice the spins and cached local fields f = h + J σ^k lane-major (one vector
// per site), updated like chains_dense.cpp: local moves in blocks of kBlock sites whose field updates
// share one pass, all-slice moves update every slice's fields at once; every field is recomputed
// before a sweep call once kResyncSweeps sweeps have run since the last recomputation.
class DenseQuantum final : public QuantumChains {
 public:
  DenseQuantum(const McModel& m, ChainStreams st, std::vector<std::uint32_t> ids, int P)
      : QuantumChains(m, st, std::move(ids), P),
        J_(denseCouplings(m)),
        spins_(static_cast<std::size_t>(numGroups()) * P * m.n, simd::splat(1.0f)),
        fields_(spins_.size(), simd::splat(0.0f)),
        dirty_(numGroups(), 1) {}

  void idsOf(int g, std::uint32_t* out) const { groupIds(g, out); }
  ChainStreams streamsOf() const { return streams_; }

  void sweep(std::uint32_t step, int num_sweeps, float beta_p, float K, bool global_moves) override {
    const int n = model_.n, P = slices_;
    const std::uint64_t per_sweep = static_cast<std::uint64_t>(n) * (P + 1);
    const bool resync_now = sweeps_since_resync_ >= kResyncSweeps;
    sweeps_since_resync_ = resync_now ? num_sweeps : sweeps_since_resync_ + num_sweeps;
    forGroupTasks(*this, step, [&](GroupDraws* gd, int ng) {
      for (int q = 0; q < ng; ++q)
        if (resync_now || dirty_[gd[q].group]) resync(gd[q].group);
      for (int sw = 0; sw < num_sweeps; ++sw) {
        const std::uint64_t base = sw * per_sweep;
        for (int k = 0; k < P; ++k)
          for (int i = 0; i < n; i += kBlock)
            for (int q = 0; q < ng; ++q) localBlock(gd[q], k, i, base + static_cast<std::uint64_t>(k) * n + i, beta_p, K);
        if (global_moves)
          for (int i = 0; i < n; ++i)
            for (int q = 0; q < ng; ++q) global(gd[q], i, base + static_cast<std::uint64_t>(P) * n + i, beta_p);
      }
    });
  }

  void getSlice(int slot, int k, Bit* out) const override {
    const VF* s = slice(spins_, slot / kLanes, k);
    for (int i = 0; i < model_.n; ++i) out[i] = s[i][slot % kLanes] > 0.0f;
  }
  void setSlice(int slot, int k, const Bit* in) override {
    VF* s = slice(spins_, slot / kLanes, k);
    for (int i = 0; i < model_.n; ++i) s[i][slot % kLanes] = in[i] ? 1.0f : -1.0f;
    dirty_[slot / kLanes] = 1;  // fields recomputed before the next sweep
  }

 private:
  static constexpr int kBlock = 8;
  static constexpr int kResyncSweeps = 16;

  VF* slice(std::vector<VF>& v, int g, int k) { return v.data() + (static_cast<std::size_t>(g) * slices_ + k) * model_.n; }
  const VF* slice(const std::vector<VF>& v, int g, int k) const {
    return v.data() + (static_cast<std::size_t>(g) * slices_ + k) * model_.n;
  }

  void resync(int g) {
    for (int k = 0; k < slices_; ++k) denseFields(model_, J_.data(), slice(spins_, g, k), slice(fields_, g, k));
    dirty_[g] = 0;
  }

  // Local moves at sites i0 .. i0 + kBlock − 1 of slice k:
  // x = β_P ΔE_cl + 2K σ (σ_prev + σ_next) = σ (2K (σ_prev + σ_next) − 2 β_P f).
  void localBlock(GroupDraws& gd, int k, int i0, std::uint64_t t0, float beta_p, float K) {
    const int n = model_.n, P = slices_, i1 = std::min(n, i0 + kBlock);
    VF* s = slice(spins_, gd.group, k);
    VF* f = slice(fields_, gd.group, k);
    const VF* sp = slice(spins_, gd.group, (k + P - 1) % P);
    const VF* sn = slice(spins_, gd.group, (k + 1) % P);
    VF pending[kBlock];
    const float* rows[kBlock];
    int np = 0;
    for (int i = i0; i < i1; ++i) {
      VF fi = f[i];
      for (int q = 0; q < np; ++q) fi += rows[q][i] * pending[q];
      const VF spin = s[i];
      const VF x = spin * ((2.0f * K) * (sp[i] + sn[i]) - (2.0f * beta_p) * fi);
      const VI acc = metropolisAccept(x <= 0.0f, x, *gd.draws, t0 + (i - i0));
      if (!simd::any(acc)) continue;
      s[i] = simd::select(acc, -spin, spin);
      pending[np] = simd::select(acc, -2.0f * spin, simd::splat(0.0f));
      rows[np++] = J_.data() + static_cast<std::size_t>(i) * n;
    }
    if (np == 0) return;
    for (int j = 0; j < n; ++j) {
      VF v = f[j];
      for (int q = 0; q < np; ++q) v += rows[q][j] * pending[q];
      f[j] = v;
    }
  }

  // x = β_P Σ_k ΔE_cl(σ^k); the inter-slice terms do not change.
  void global(GroupDraws& gd, int i, std::uint64_t t, float beta_p) {
    const int n = model_.n;
    VF sum = simd::splat(0.0f);
    for (int k = 0; k < slices_; ++k) sum += slice(spins_, gd.group, k)[i] * slice(fields_, gd.group, k)[i];
    const VF x = (-2.0f * beta_p) * sum;
    const VI acc = metropolisAccept(x <= 0.0f, x, *gd.draws, t);
    if (!simd::any(acc)) return;
    const float* Ji = J_.data() + static_cast<std::size_t>(i) * n;
    for (int k = 0; k < slices_; ++k) {
      VF* s = slice(spins_, gd.group, k);
      VF* f = slice(fields_, gd.group, k);
      const VF spin = s[i];
      s[i] = simd::select(acc, -spin, spin);
      const VF a = simd::select(acc, -2.0f * spin, simd::splat(0.0f));
      for (int j = 0; j < n; ++j) f[j] += Ji[j] * a;
    }
  }

  std::vector<float> J_;            // [N][N]
  std::vector<VF> spins_, fields_;  // [group][slice][site] vectors of lanes
  std::vector<char> dirty_;         // spins set since the fields were computed
  int sweeps_since_resync_ = 0;
};

}  // namespace

std::unique_ptr<QuantumChains> QuantumChains::create(const McModel& model, McKernel kernel, ChainStreams streams,
                                                     std::vector<std::uint32_t> ids, int slices) {
  if (ids.empty()) throw Error("QuantumChains: no replicas");
  if (slices < 2) throw Error(fmt::format("QuantumChains: needs at least 2 slices, got {}", slices));
  const bool two_body = model.max_order <= 2;
  if (kernel == McKernel::kSparse && two_body)
    return std::make_unique<LocalFieldQuantum<SparseField>>(model, streams, std::move(ids), slices);
  if (kernel == McKernel::kPBody)
    return std::make_unique<LocalFieldQuantum<PBodyField>>(model, streams, std::move(ids), slices);
  if (kernel == McKernel::kDense && two_body)
    return std::make_unique<DenseQuantum>(model, streams, std::move(ids), slices);
  throw Error(fmt::format("QuantumChains: kernel '{}' does not apply to this model", mcKernelName(kernel)));
}

void QuantumChains::randomize() {
  const int n = model_.n, P = slices_;
  std::vector<Bit> b(static_cast<std::size_t>(size()) * P * n);
  initialBits(streams_, ids_.data(), size(), P * n, b.data());
  for (int slot = 0; slot < size(); ++slot)
    for (int k = 0; k < P; ++k) setSlice(slot, k, b.data() + (static_cast<std::size_t>(slot) * P + k) * n);
}

void QuantumChains::groupIds(int g, std::uint32_t* out) const {
  for (int l = 0; l < kLanes; ++l) out[l] = ids_[std::min(g * kLanes + l, size() - 1)];
}

}  // namespace vna
