#pragma once
// Dense linear algebra over GF(2) with bit-packed rows (64 columns per word). Used for the
// Newman-Moore triangle map: its rank gives the ground-state degeneracy and its kernels give the
// ground states and the dual code of the exact free energy (doc/physics.md, "Exact results").
#include <cstdint>
#include <optional>
#include <vector>

namespace vna {

// A vector of n bits packed into ceil(n/64) words; bit j lives in word j/64 at position j%64.
// Bits past n in the last word are always zero.
using Gf2Vector = std::vector<std::uint64_t>;

inline int gf2Words(int n) { return (n + 63) / 64; }
inline bool gf2Get(const Gf2Vector& v, int j) { return (v[j >> 6] >> (j & 63)) & 1u; }
inline void gf2Set(Gf2Vector& v, int j, bool value = true) {
  const std::uint64_t mask = std::uint64_t(1) << (j & 63);
  v[j >> 6] = value ? (v[j >> 6] | mask) : (v[j >> 6] & ~mask);
}
// Hamming weight (number of ones).
int gf2Weight(const Gf2Vector& v);

class Gf2Matrix {
 public:
  Gf2Matrix() = default;
  Gf2Matrix(int rows, int cols);  // all zeros

  int rows() const { return rows_; }
  int cols() const { return cols_; }
  int wordsPerRow() const { return words_; }

  bool get(int r, int c) const { return (bits_[index(r, c)] >> (c & 63)) & 1u; }
  void set(int r, int c, bool value = true);
  void flip(int r, int c) { bits_[index(r, c)] ^= std::uint64_t(1) << (c & 63); }
  std::uint64_t* row(int r) { return bits_.data() + static_cast<std::size_t>(r) * words_; }
  const std::uint64_t* row(int r) const { return bits_.data() + static_cast<std::size_t>(r) * words_; }
  Gf2Vector rowVector(int r) const { return Gf2Vector(row(r), row(r) + words_); }

  Gf2Matrix transposed() const;
  // M x over GF(2); x has cols() bits, the result rows() bits.
  Gf2Vector multiply(const Gf2Vector& x) const;

 private:
  std::size_t index(int r, int c) const { return static_cast<std::size_t>(r) * words_ + (c >> 6); }
  int rows_ = 0, cols_ = 0, words_ = 0;
  std::vector<std::uint64_t> bits_;
};

// Rank over GF(2) (Gaussian elimination, O(rows · cols · cols/64)).
int gf2Rank(const Gf2Matrix& m);

// A basis of the kernel {x : M x = 0}: cols() − rank vectors of cols() bits, one per free column
// of the reduced row echelon form (basis vector f has a one at free column f and at no other free
// column), so the basis is canonical for a given matrix.
std::vector<Gf2Vector> gf2Kernel(const Gf2Matrix& m);

// One solution x of M x = b (free variables set to zero), or nothing when b is not in the image.
std::optional<Gf2Vector> gf2Solve(const Gf2Matrix& m, const Gf2Vector& b);

}  // namespace vna
