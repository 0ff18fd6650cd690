#pragma once
// Walks blocks of configurations in Gray-code order, keeping the energy up to date with
// Hamiltonian::flipDelta (O(degree) per step instead of O(terms)). Shared by exhaustive
// enumeration and the Lanczos diagonal.
//
// State index convention: bit i of the index is bit b_i of the configuration (bit 1 = up).
// A block is the 2^m states whose index has top bits `block` (index >> m == block).
#include <cstdint>
#include <vector>

#include "model/hamiltonian.hpp"

namespace vna {

// The energy is recomputed exactly (Hamiltonian::energy) every 2^kGrayResyncBits steps, so the
// rounding drift of the running sum stays below about 2^kGrayResyncBits · 4 ε · scale.
inline constexpr int kGrayResyncBits = 10;

// Calls visit(index, energy, bits) for each of the 2^m states of `block`, with `bits` holding the
// configuration (n = h.numSpins() bytes). Order: runs of 2^min(m, kGrayResyncBits) states in
// Gray-code order over the lowest bits; runs in increasing order of the remaining bits.
template <class Visit>
void grayWalkBlock(const Hamiltonian& h, std::uint64_t block, int m, std::vector<Bit>& bits, Visit&& visit) {
  const int n = h.numSpins();
  bits.resize(n);
  const int run_bits = m < kGrayResyncBits ? m : kGrayResyncBits;
  const std::uint64_t runs = std::uint64_t(1) << (m - run_bits);
  const std::uint64_t run_length = std::uint64_t(1) << run_bits;
  for (std::uint64_t run = 0; run < runs; ++run) {
    const std::uint64_t base = (block << m) | (run << run_bits);
    for (int i = 0; i < n; ++i) bits[i] = static_cast<Bit>((base >> i) & 1u);
    double e = h.energy(bits.data());
    std::uint64_t index = base;
    visit(index, e, static_cast<const Bit*>(bits.data()));
    for (std::uint64_t g = 1; g < run_length; ++g) {
      // Gray code: step g flips the lowest set bit of g.
      const int site = __builtin_ctzll(g);
      e += h.flipDelta(bits.data(), site);
      bits[site] ^= 1u;
      index ^= std::uint64_t(1) << site;
      visit(index, e, static_cast<const Bit*>(bits.data()));
    }
  }
}

}  // namespace vna
