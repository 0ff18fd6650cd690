#pragma once
// Counter-based random numbers (Random123 Philox4x32-10). A draw is a pure function of
// (seed, purpose, c0, c1, c2, c3): no state is carried, so every rank, batch size and backend
// draws the same numbers for the same logical indices (see doc/design.md, "Random streams").
#include <Random123/philox.h>

#include <cstdint>

#if defined(__CUDACC__) || defined(__HIPCC__)
#define VNA_HOST_DEVICE __host__ __device__
#else
#define VNA_HOST_DEVICE
#endif

namespace vna {

// What a stream is used for; part of the key so that streams of different purposes never overlap.
enum class RngPurpose : std::uint32_t {
  kSampling = 1,       // autoregressive sampling: (replica/point, step, sample, site)
  kInitialization = 2, // network weights: (parameter set, block, index)
  kDisorder = 3,       // random couplings: (realization, draw)
  kDirections = 4,     // landscape directions
  kMonteCarlo = 5,     // SA/SQA baselines
  kAnalysis = 6,       // analysis samples
};

struct RngKey {
  std::uint32_t k0, k1;
};

VNA_HOST_DEVICE inline RngKey makeRngKey(std::uint64_t seed, RngPurpose purpose) {
  return {static_cast<std::uint32_t>(seed),
          static_cast<std::uint32_t>(seed >> 32) ^ (static_cast<std::uint32_t>(purpose) * 0x9E3779B9u)};
}

// Four 32-bit words for the counter (c0, c1, c2, c3).
struct RngWords {
  std::uint32_t v[4];
};

VNA_HOST_DEVICE inline RngWords philox(RngKey key, std::uint32_t c0, std::uint32_t c1, std::uint32_t c2,
                                       std::uint32_t c3) {
  r123::Philox4x32 rng;
  r123::Philox4x32::ctr_type ctr = {{c0, c1, c2, c3}};
  r123::Philox4x32::key_type k = {{key.k0, key.k1}};
  const auto r = rng(ctr, k);
  return {{r[0], r[1], r[2], r[3]}};
}

// Uniform on the 2^23 midpoints (2j + 1)·2^-24 of (0, 1): exactly representable in float, identical
// on all backends, and never 0 or 1, so `u < p` never draws an outcome whose probability is below
// 2^-24 (an overflowing network's p ≈ e^-87 would otherwise be drawn once in 2^24 draws).
VNA_HOST_DEVICE inline float uniformFloat(std::uint32_t x) { return static_cast<float>((x >> 8) | 1u) * 0x1.0p-24f; }
// Uniform in [0, 1) with 53 random bits.
VNA_HOST_DEVICE inline double uniformDouble(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t v = (static_cast<std::uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(v & ((std::uint64_t(1) << 53) - 1)) * 0x1.0p-53;
}

// A host-side sequential stream over one (key, stream id): draw k uses counter (k/2, stream_lo,
// stream_hi, 0). Used to build disorder realizations and initial weights reproducibly.
class RngStream {
 public:
  RngStream(std::uint64_t seed, RngPurpose purpose, std::uint64_t stream)
      : key_(makeRngKey(seed, purpose)), stream_(stream) {}
  double uniform() {  // [0, 1)
    const RngWords w = philox(key_, static_cast<std::uint32_t>(counter_), static_cast<std::uint32_t>(counter_ >> 32),
                              static_cast<std::uint32_t>(stream_), static_cast<std::uint32_t>(stream_ >> 32));
    ++counter_;
    return uniformDouble(w.v[0], w.v[1]);
  }
  double normal();  // N(0, 1), Box-Muller on two uniforms
  std::uint64_t position() const { return counter_; }

 private:
  RngKey key_;
  std::uint64_t stream_;
  std::uint64_t counter_ = 0;
};

}  // namespace vna
