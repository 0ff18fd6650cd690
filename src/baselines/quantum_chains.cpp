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
constexpr int kResyncFlipsPerSite = 16;  // dense rows: as chains_dense.cpp

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

// dense: per slot and slice a padded row of spins and one of local fields f = h + J σ^k.
class DenseQuantum final : public QuantumChains {
 public:
  DenseQuantum(const McModel& m, ChainStreams st, std::vector<std::uint32_t> ids, int P)
      : QuantumChains(m, st, std::move(ids), P),
        vectors_((m.n + kLanes - 1) / kLanes),
        J_(static_cast<std::size_t>(m.n) * vectors_, simd::splat(0.0f)),
        spins_(static_cast<std::size_t>(numGroups()) * kLanes * P * vectors_, simd::splat(1.0f)),
        fields_(spins_.size(), simd::splat(0.0f)),
        flips_(static_cast<std::size_t>(numGroups()) * kLanes * P, 0) {
    const std::vector<float> dense = denseCouplings(m);
    for (int i = 0; i < m.n; ++i)
      std::copy(dense.begin() + static_cast<std::ptrdiff_t>(i) * m.n,
                dense.begin() + static_cast<std::ptrdiff_t>(i + 1) * m.n,
                reinterpret_cast<float*>(J_.data() + static_cast<std::size_t>(i) * vectors_));
    for (int r = 0; r < numGroups() * kLanes * P; ++r) resync(r);
  }

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
    const float* s = spinRow(slot, k);
    for (int i = 0; i < model_.n; ++i) out[i] = s[i] > 0.0f;
  }
  void setSlice(int slot, int k, const Bit* in) override {
    float* s = spinRow(slot, k);
    for (int i = 0; i < model_.n; ++i) s[i] = in[i] ? 1.0f : -1.0f;
    resync(slot * slices_ + k);
  }

 private:
  // Row r = slot·P + k.
  float* spinRow(int slot, int k) {
    return reinterpret_cast<float*>(spins_.data() + (static_cast<std::size_t>(slot) * slices_ + k) * vectors_);
  }
  const float* spinRow(int slot, int k) const {
    return reinterpret_cast<const float*>(spins_.data() + (static_cast<std::size_t>(slot) * slices_ + k) * vectors_);
  }
  float* fieldRow(int slot, int k) {
    return reinterpret_cast<float*>(fields_.data() + (static_cast<std::size_t>(slot) * slices_ + k) * vectors_);
  }

  void resync(int r) {
    const int n = model_.n;
    const float* s = reinterpret_cast<const float*>(spins_.data() + static_cast<std::size_t>(r) * vectors_);
    VF* f = fields_.data() + static_cast<std::size_t>(r) * vectors_;
    float* fs = reinterpret_cast<float*>(f);
    for (int i = 0; i < vectors_ * kLanes; ++i) fs[i] = i < n ? model_.field[i] : 0.0f;
    for (int j = 0; j < n; ++j) {
      const VF* Jj = J_.data() + static_cast<std::size_t>(j) * vectors_;
      const float sj = s[j];
      for (int q = 0; q < vectors_; ++q) f[q] += sj * Jj[q];
    }
    flips_[r] = 0;
  }

  void flipRow(int slot, int k, int i) {
    float& s = spinRow(slot, k)[i];
    s = -s;
    const VF a = simd::splat(2.0f * s);
    const int r = slot * slices_ + k;
    VF* f = fields_.data() + static_cast<std::size_t>(r) * vectors_;
    const VF* Ji = J_.data() + static_cast<std::size_t>(i) * vectors_;
    for (int q = 0; q < vectors_; ++q) f[q] += a * Ji[q];
    if (++flips_[r] >= kResyncFlipsPerSite * model_.n) resync(r);
  }

  void local(GroupDraws& gd, int k, int i, std::uint64_t t, float beta_p, float K) {
    const int P = slices_, first = gd.group * kLanes;
    alignas(64) float s[kLanes], f[kLanes], nb[kLanes];
    for (int l = 0; l < kLanes; ++l) {  // gathers across the rows of the group
      s[l] = spinRow(first + l, k)[i];
      f[l] = fieldRow(first + l, k)[i];
      nb[l] = spinRow(first + l, (k + P - 1) % P)[i] + spinRow(first + l, (k + 1) % P)[i];
    }
    const VF spin = simd::load<VF>(s);
    const VF x = spin * ((2.0f * K) * simd::load<VF>(nb) - (2.0f * beta_p) * simd::load<VF>(f));
    std::uint32_t mask = simd::laneMask(metropolisAccept(x <= 0.0f, x, *gd.draws, t));
    while (mask) {
      const int l = __builtin_ctz(mask);
      mask &= mask - 1;
      flipRow(first + l, k, i);
    }
  }

  void global(GroupDraws& gd, int i, std::uint64_t t, float beta_p) {
    const int first = gd.group * kLanes;
    alignas(64) float sum[kLanes];
    for (int l = 0; l < kLanes; ++l) {
      float acc = 0.0f;
      for (int k = 0; k < slices_; ++k) acc += spinRow(first + l, k)[i] * fieldRow(first + l, k)[i];
      sum[l] = acc;
    }
    const VF x = (-2.0f * beta_p) * simd::load<VF>(sum);
    std::uint32_t mask = simd::laneMask(metropolisAccept(x <= 0.0f, x, *gd.draws, t));
    while (mask) {
      const int l = __builtin_ctz(mask);
      mask &= mask - 1;
      for (int k = 0; k < slices_; ++k) flipRow(first + l, k, i);
    }
  }

  int vectors_;
  std::vector<VF> J_;               // [N][padded N]
  std::vector<VF> spins_, fields_;  // [slot][slice][padded N]
  std::vector<int> flips_;          // [slot][slice]: accepted flips since the row's last resync
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
