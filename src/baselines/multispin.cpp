#include "baselines/multispin.hpp"

#include <fmt/format.h>

#include <Kokkos_Core.hpp>
#include <algorithm>
#include <cmath>

#include "baselines/classical_chains.hpp"
#include "baselines/lane_random.hpp"
#include "core/error.hpp"

namespace vna {

namespace {

constexpr int G = kMultiSpinWords;
constexpr int kLevelPairs = 16;  // 32 levels of the bit-serial comparison
constexpr int kPhiloxLanes = 8;  // Philox computed for 8 words (the vectorized width), G of them used
typedef std::uint64_t VW __attribute__((vector_size(8 * G)));

inline VW splatWord(std::uint64_t x) { return VW{} + x; }
inline VW maskIf(bool b) { return splatWord(b ? ~std::uint64_t(0) : 0); }

constexpr int bitLength(int z) {
  int b = 0;
  while ((1 << b) <= z) ++b;
  return b;
}

// One group of G words (64 G replicas): spins [site] as G-word vectors, advanced sweep by sweep.
class MultiSpinGroup {
 public:
  MultiSpinGroup(const McModel& m, const std::uint64_t* neg, std::uint32_t first_word) : m_(m), neg_(neg), spins_(m.n) {
    for (int g = 0; g < kPhiloxLanes; ++g) word_[g] = first_word + g;
  }

  void randomize(ChainStreams st) {
    const int n = m_.n;
    std::vector<std::uint32_t> ids(64);
    std::vector<Bit> b(std::size_t(64) * n);
    for (int g = 0; g < G; ++g) {
      for (int bit = 0; bit < 64; ++bit)
        ids[bit] = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t(word_[g]) * 64 + bit, 0xFFFFFFFFu));
      initialBits(st, ids.data(), 64, n, b.data());
      for (int bit = 0; bit < 64; ++bit)
        for (int i = 0; i < n; ++i) spins_[i][g] |= std::uint64_t(b[std::size_t(bit) * n + i]) << bit;
    }
  }

  // thresholds[k] = ⌊p_k 2^32⌋ (k = 1..15), the acceptance of ΔE = 2|J| k.
  void sweep(ChainStreams st, std::uint32_t step, int sweep_index, const std::uint64_t* thresholds,
             MultiSpinRandom mode) {
    Draws d{st, step, mode, thresholds};
    for (int i = 0; i < m_.n; ++i) {
      const std::uint64_t t = std::uint64_t(sweep_index) * m_.n + i;
      // The degree as a template argument: the adder and the class masks unroll completely.
      switch (m_.nb_offsets[i + 1] - m_.nb_offsets[i]) {
#define VNA_MSC_CASE(z) \
  case z:               \
    site<z>(i, t, d);   \
    break;
        VNA_MSC_CASE(0) VNA_MSC_CASE(1) VNA_MSC_CASE(2) VNA_MSC_CASE(3) VNA_MSC_CASE(4) VNA_MSC_CASE(5)
        VNA_MSC_CASE(6) VNA_MSC_CASE(7) VNA_MSC_CASE(8) VNA_MSC_CASE(9) VNA_MSC_CASE(10) VNA_MSC_CASE(11)
        VNA_MSC_CASE(12) VNA_MSC_CASE(13) VNA_MSC_CASE(14) VNA_MSC_CASE(15)
#undef VNA_MSC_CASE
      }
    }
  }

  struct Draws {
    ChainStreams st;
    std::uint32_t step;
    MultiSpinRandom mode;
    const std::uint64_t* thresholds;
    PhiloxLanes<kPhiloxLanes> shared{};  // shared mode: the block of four attempts last drawn
    std::uint64_t shared_block = ~std::uint64_t(0);
  };

  template <int Z>
  void site(int i, std::uint64_t t, Draws& d) {
    constexpr int planes = Z == 0 ? 1 : bitLength(Z), classes = (Z + 1) / 2;
    const int first = m_.nb_offsets[i];
    const VW si = spins_[i];
    VW count[planes] = {};
    for (int k = first; k < first + Z; ++k) {
      VW carry = ~(si ^ spins_[m_.nb_site[k]] ^ neg_[k]);  // unsatisfied bonds
      for (int p = 0; p < planes; ++p) {
        const VW c = count[p] & carry;
        count[p] ^= carry;
        carry = c;
      }
    }
    // Lanes with 2n >= z accept; class n < z/2 needs a Bernoulli(p_{z−2n}) decision.
    VW cls[classes > 0 ? classes : 1];
    VW below = splatWord(0);
    for (int c = 0; c < classes; ++c) {
      VW eq = splatWord(~std::uint64_t(0));
      for (int p = 0; p < planes; ++p) eq &= (c >> p) & 1 ? count[p] : ~count[p];
      cls[c] = eq;
      below |= eq;
    }
    VW accept = ~below;
    if (classes > 0) {
      if (d.mode == MultiSpinRandom::kShared) {
        if ((t >> 2) != d.shared_block) {
          d.shared_block = t >> 2;
          philoxLanes<kPhiloxLanes>(d.st.key, static_cast<std::uint32_t>(d.shared_block), d.step, word_,
                                    d.st.realization, d.shared);
        }
        VW u;
        for (int g = 0; g < G; ++g) u[g] = d.shared.w[t & 3][g];
        for (int c = 0; c < classes; ++c)
          accept |= cls[c] & reinterpret_cast<VW>(u < splatWord(d.thresholds[Z - 2 * c]));
      } else {
        accept |= decideIndependently(d.st, d.step, t, Z, classes, cls, d.thresholds, below);
      }
    }
    spins_[i] = si ^ accept;
  }

  void bitsOf(int lane_word, int bit, Bit* out) const {
    for (int i = 0; i < m_.n; ++i) out[i] = (spins_[i][lane_word] >> bit) & 1;
  }

 private:
  // Bit-serial U < threshold per lane (U: 32 fresh random bits per lane), from the most significant
  // bit down, until every lane that needs a decision has one.
  VW decideIndependently(ChainStreams st, std::uint32_t step, std::uint64_t t, int z, int classes, const VW* cls,
                         const std::uint64_t* thresholds, VW undecided) const {
    VW less = splatWord(0);
    for (int pair = 0; pair < kLevelPairs; ++pair) {
      PhiloxLanes<kPhiloxLanes> r;
      philoxLanes<kPhiloxLanes>(st.key, static_cast<std::uint32_t>(t * kLevelPairs + pair), step, word_,
                                st.realization, r);
      for (int half = 0; half < 2; ++half) {
        const int bit = 31 - (2 * pair + half);  // threshold bit compared at this level
        VW U;
        for (int g = 0; g < G; ++g) U[g] = std::uint64_t(r.w[2 * half][g]) | std::uint64_t(r.w[2 * half + 1][g]) << 32;
        VW T = splatWord(0);
        for (int c = 0; c < classes; ++c) T |= cls[c] & maskIf((thresholds[z - 2 * c] >> bit) & 1);
        less |= undecided & T & ~U;
        undecided &= ~(T ^ U);
      }
      VW any = undecided;
      std::uint64_t a = 0;
      for (int g = 0; g < G; ++g) a |= any[g];
      if (!a) break;
    }
    return less;
  }

  const McModel& m_;
  const std::uint64_t* neg_;
  std::vector<VW> spins_;  // [site]: bit b of word g = replica 64 (word_[g]) + b
  alignas(64) std::uint32_t word_[kPhiloxLanes];
};

}  // namespace

void checkMultiSpinBudget(int n, int sweeps_per_step, MultiSpinRandom mode) {
  const double blocks = static_cast<double>(sweeps_per_step) * n * (mode == MultiSpinRandom::kShared ? 0.25 : 16.0);
  if (blocks > 4294967295.0)
    throw Error(fmt::format("multi-spin step of {} sweeps of {} spins needs {} Philox blocks of one stream (at most "
                            "2^32): use fewer sweeps per step",
                            sweeps_per_step, n, blocks));
}

void multiSpinAnnealing(const McModel& model, const Hamiltonian& h, const SaSchedule& schedule, const McStreamId& id,
                        MonteCarloBatch& out, const McRunOptions& opt) {
  const int N = model.n;
  const std::size_t A = schedule.temperatures.size();
  const ChainStreams st{monteCarloKey(id), id.realization};
  std::vector<std::uint64_t> neg(model.nb_coupling.size());
  for (std::size_t k = 0; k < neg.size(); ++k) neg[k] = model.nb_coupling[k] < 0 ? ~0ull : 0ull;
  const std::int64_t first_word = out.first_replica / 64;
  const std::int64_t last_word = (out.first_replica + out.count - 1) / 64;
  const int groups = static_cast<int>((last_word - first_word) / G + 1);
  std::vector<MultiSpinGroup> group;
  group.reserve(groups);
  for (int g = 0; g < groups; ++g) {
    group.emplace_back(model, neg.data(), static_cast<std::uint32_t>(first_word + std::int64_t(g) * G));
    group.back().randomize(st);
  }
  auto extract = [&](int p, Bit* dst) {
    const std::int64_t r = out.first_replica + p, w = r / 64 - first_word;
    group[w / G].bitsOf(static_cast<int>(w % G), static_cast<int>(r % 64), dst);
  };
  const double J = model.pm_j_magnitude;
  // Sweeps 0 .. count − 1 of step `step` at temperature T.
  auto run = [&](std::uint32_t step, double T, std::int64_t count) {
    std::uint64_t thresholds[16] = {};
    for (int k = 1; k < 16; ++k) {
      const double p = T > 0 ? std::exp(-2.0 * J * k / T) : 0.0;
      thresholds[k] = static_cast<std::uint64_t>(std::min(std::floor(p * 0x1p32), 4294967295.0));
    }
    Kokkos::parallel_for("vna::multiSpinAnnealing", Kokkos::RangePolicy<Kokkos::DefaultHostExecutionSpace>(0, groups),
                         [&](const int g) {
                           for (std::int64_t sw = 0; sw < count; ++sw)
                             group[g].sweep(st, step, static_cast<int>(sw), thresholds, opt.multispin_random);
                         });
    Kokkos::fence();
  };
  if (schedule.warmup_sweeps > 0) run(kWarmupStep, schedule.warmup_temperature, schedule.warmup_sweeps);
  for (std::size_t a = 1; a <= A; ++a) {
    run(static_cast<std::uint32_t>(a), schedule.temperatures[a - 1], schedule.sweeps_per_step);
    if (!out.step_energy.empty())
      for (int p = 0; p < out.count; ++p) {
        extract(p, &out.bits[std::size_t(p) * N]);
        out.step_energy[std::size_t(p) * A + (a - 1)] = h.energy(&out.bits[std::size_t(p) * N]);
      }
    opt.maybePoll(static_cast<std::int64_t>(a), static_cast<std::int64_t>(A));
  }
  for (int p = 0; p < out.count; ++p) extract(p, &out.bits[std::size_t(p) * N]);
}

}  // namespace vna
