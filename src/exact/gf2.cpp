#include "exact/gf2.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <bitset>

#include "core/error.hpp"

namespace vna {

int gf2Weight(const Gf2Vector& v) {
  int w = 0;
  for (std::uint64_t x : v) w += static_cast<int>(std::bitset<64>(x).count());
  return w;
}

Gf2Matrix::Gf2Matrix(int rows, int cols) : rows_(rows), cols_(cols), words_(gf2Words(cols)) {
  if (rows < 0 || cols < 0) throw Error(fmt::format("Gf2Matrix: negative shape {}x{}", rows, cols));
  bits_.assign(static_cast<std::size_t>(rows) * words_, 0);
}

void Gf2Matrix::set(int r, int c, bool value) {
  const std::uint64_t mask = std::uint64_t(1) << (c & 63);
  std::uint64_t& w = bits_[index(r, c)];
  w = value ? (w | mask) : (w & ~mask);
}

Gf2Matrix Gf2Matrix::transposed() const {
  Gf2Matrix t(cols_, rows_);
  for (int r = 0; r < rows_; ++r)
    for (int c = 0; c < cols_; ++c)
      if (get(r, c)) t.set(c, r);
  return t;
}

Gf2Vector Gf2Matrix::multiply(const Gf2Vector& x) const {
  if (static_cast<int>(x.size()) != words_)
    throw Error(fmt::format("Gf2Matrix::multiply: vector has {} words, matrix rows have {}", x.size(), words_));
  Gf2Vector y(gf2Words(rows_), 0);
  for (int r = 0; r < rows_; ++r) {
    std::uint64_t acc = 0;
    const std::uint64_t* a = row(r);
    for (int w = 0; w < words_; ++w) acc ^= a[w] & x[w];
    if (std::bitset<64>(acc).count() & 1u) gf2Set(y, r);
  }
  return y;
}

namespace {

// Reduced row echelon form in place; returns the pivot column of each of the first `rank` rows.
// When `rhs` is given (one bit per row) it undergoes the same row operations.
std::vector<int> reduceRowEchelon(Gf2Matrix& m, Gf2Vector* rhs) {
  std::vector<int> pivots;
  const int words = m.wordsPerRow();
  int r = 0;
  for (int c = 0; c < m.cols() && r < m.rows(); ++c) {
    int p = r;
    while (p < m.rows() && !m.get(p, c)) ++p;
    if (p == m.rows()) continue;
    if (p != r) {
      std::swap_ranges(m.row(p), m.row(p) + words, m.row(r));
      if (rhs) {
        const bool bp = gf2Get(*rhs, p), br = gf2Get(*rhs, r);
        gf2Set(*rhs, p, br);
        gf2Set(*rhs, r, bp);
      }
    }
    const std::uint64_t* pivot_row = m.row(r);
    const bool pivot_rhs = rhs && gf2Get(*rhs, r);
    // Only words from c/64 on can be non-zero in the pivot row.
    for (int q = 0; q < m.rows(); ++q) {
      if (q == r || !m.get(q, c)) continue;
      std::uint64_t* target = m.row(q);
      for (int w = c >> 6; w < words; ++w) target[w] ^= pivot_row[w];
      if (pivot_rhs) gf2Set(*rhs, q, !gf2Get(*rhs, q));
    }
    pivots.push_back(c);
    ++r;
  }
  return pivots;
}

}  // namespace

int gf2Rank(const Gf2Matrix& m) {
  Gf2Matrix work = m;
  return static_cast<int>(reduceRowEchelon(work, nullptr).size());
}

std::vector<Gf2Vector> gf2Kernel(const Gf2Matrix& m) {
  Gf2Matrix work = m;
  const std::vector<int> pivots = reduceRowEchelon(work, nullptr);
  std::vector<char> is_pivot(m.cols(), 0);
  for (int c : pivots) is_pivot[c] = 1;
  std::vector<Gf2Vector> basis;
  for (int f = 0; f < m.cols(); ++f) {
    if (is_pivot[f]) continue;
    // x_f = 1, other free variables 0; pivot variable of row i equals R[i][f].
    Gf2Vector x(gf2Words(m.cols()), 0);
    gf2Set(x, f);
    for (std::size_t i = 0; i < pivots.size(); ++i)
      if (work.get(static_cast<int>(i), f)) gf2Set(x, pivots[i]);
    basis.push_back(std::move(x));
  }
  return basis;
}

std::optional<Gf2Vector> gf2Solve(const Gf2Matrix& m, const Gf2Vector& b) {
  if (static_cast<int>(b.size()) != gf2Words(m.rows()))
    throw Error(fmt::format("gf2Solve: right-hand side has {} words, expected {}", b.size(), gf2Words(m.rows())));
  Gf2Matrix work = m;
  Gf2Vector rhs = b;
  const std::vector<int> pivots = reduceRowEchelon(work, &rhs);
  // Rows past the rank are zero: the system is consistent iff their right-hand sides are zero too.
  for (int r = static_cast<int>(pivots.size()); r < m.rows(); ++r)
    if (gf2Get(rhs, r)) return std::nullopt;
  Gf2Vector x(gf2Words(m.cols()), 0);
  for (std::size_t i = 0; i < pivots.size(); ++i)
    if (gf2Get(rhs, static_cast<int>(i))) gf2Set(x, pivots[i]);
  return x;
}

}  // namespace vna
