#pragma once
// Counter-based random draws for the Monte Carlo baselines (SA, SQA, PT, PA). A replica's draws in one
// annealing step are a pure function of
//   key     (campaign seed, method, size tag)                 -> makeRngKey(.., RngPurpose::kMonteCarlo)
//   counter (draw block, annealing step, replica, realization) -> Philox4x32-10
// so a replica gives the same trajectory on any rank, in any batch and after a resume. Each Philox
// call yields four 32-bit words, used one per draw (Metropolis tests need no more than 32 bits).
#include <cstdint>

#include "core/random.hpp"

namespace vna {

// Part of the stream key: methods never share random numbers. The exchange and resampling decisions
// of PT and PA have keys of their own.
enum class McMethod : std::uint32_t {
  kSimulatedAnnealing = 1,
  kSimulatedQuantumAnnealing = 2,
  kParallelTempering = 3,
  kPopulationAnnealing = 4,
  kParallelTemperingExchange = 5,
  kPopulationAnnealingResampling = 6,
};

struct McStreamId {
  std::uint64_t seed = 1;  // campaign.seed (32 bits are used)
  McMethod method = McMethod::kSimulatedAnnealing;
  std::uint32_t size_tag = 0;     // the campaign size of the instance (0: the model section's size)
  std::uint32_t realization = 0;  // disorder realization r of the instance
};

inline RngKey monteCarloKey(const McStreamId& id) {
  // The 32-bit seed in the low word; method and size tag in the high word, so methods and sizes
  // never share a stream.
  const std::uint64_t high = (static_cast<std::uint64_t>(id.method) << 24) ^ (id.size_tag & 0xFFFFFFu);
  return makeRngKey((id.seed & 0xFFFFFFFFu) | (high << 32), RngPurpose::kMonteCarlo);
}

// Metropolis tests compare a uniform u on the 2^-32 grid with exp(-x): for x >= 23, exp(-x) < 2^-32, so
// only u = 0 would accept. Such moves are rejected without a draw (a change of the acceptance
// probability below 2.4e-10), which saves the draw and the exp on the many hopeless moves at low T.
inline constexpr double kMaxMetropolisExponent = 23.0;

class McStream {
 public:
  // Annealing step 0 is the initial state; steps 1..A the schedule.
  McStream(RngKey key, std::uint32_t step, std::uint32_t replica, std::uint32_t realization)
      : key_(key), step_(step), replica_(replica), realization_(realization) {}

  std::uint32_t next() {
    if (used_ == 4) {
      words_ = philox(key_, block_++, step_, replica_, realization_);
      used_ = 0;
    }
    return words_.v[used_++];
  }
  // Uniform in [0, 1) on the 2^-32 grid.
  double uniform() { return static_cast<double>(next()) * 0x1.0p-32; }
  std::uint8_t bit() { return static_cast<std::uint8_t>(next() >> 31); }
  std::uint64_t draws() const { return 4 * static_cast<std::uint64_t>(block_) - (4 - used_); }

 private:
  RngKey key_;
  std::uint32_t step_, replica_, realization_;
  std::uint32_t block_ = 0;
  RngWords words_{};
  int used_ = 4;
};

}  // namespace vna
