#pragma once
// Register-blocked small matrix products on tiles, the arithmetic core of the engine. Every product
// has the form C[r][c] += Σ_t A[r][t] · B[t][c] with the column count a compile-time constant, so the
// compiler keeps an R × NC block of C in vector registers and streams A (broadcast) and B (vector
// loads) through it. Forward: C = pre-activations [d_h][W], A = weights (or per lane one of two
// weight matrices: selected terms), B = a state tile [K][W] (samples innermost). Backward: the same with
// transposed weights, and the rank-W weight-gradient update with C = ∂W^T, A = a state tile,
// B = ∂pre^T (vanilla, dilated) or C = ∂T_m, A = ∂pre's selected lanes, B = the transposed input's
// (tensorized: C in the block's own row order).
#include <Kokkos_Core.hpp>

#include <cstring>

#include "kernel_macros.hpp"

// GNU vector extensions for the host micro-kernel: GCC does not keep a plain R × NC accumulator
// array in registers (it vectorizes the wrong loop and spills). Device compilers use the plain loops.
#if defined(__GNUC__) && !defined(__CUDACC__) && !defined(__HIPCC__) && !defined(__SYCL_DEVICE_ONLY__)
#define VNA_TILE_HOST_SIMD 1
// A separate function keeps the register allocation of the micro-kernel local (inlined into a large
// kernel, GCC spills the accumulators); the call costs nothing next to a d_h × K block.
#define VNA_TILE_FUNCTION __attribute__((noinline))
#else
#define VNA_TILE_HOST_SIMD 0
#define VNA_TILE_FUNCTION KOKKOS_INLINE_FUNCTION
#endif

namespace vna {
namespace tile {

// Number of Scalars in one host vector register (AVX2: 256 bit); sets register blocking only.
template <class Scalar>
struct VectorWidth {
#if defined(__AVX512F__)
  static constexpr int value = 64 / sizeof(Scalar);
#else
  static constexpr int value = 32 / sizeof(Scalar);
#endif
};

// Rows per register block for a block NC columns wide: about 12 accumulator registers.
template <class Scalar, int NC>
struct RowBlock {
  static constexpr int vectors_per_row = (NC + VectorWidth<Scalar>::value - 1) / VectorWidth<Scalar>::value;
  static constexpr int value = vectors_per_row >= 12 ? 1 : 12 / vectors_per_row;
};

// Operands of C = C0 + Σ_j A_j · B_j for up to kMaxTerms terms sharing K, lda and ldb. C0 is C itself
// (accumulate) or, when `bias` is set, bias[r] broadcast along row r (the forward's c + Σ_j W_j x_j
// in one pass, accumulators never leaving registers between terms). A selected term has a second
// matrix alt_j and a lane selector sel_j (NC Scalars): column n of C takes A_j, or alt_j where
// sel_j[n] ≠ 0 (the tensorized cell's weights chosen per sample by a predecessor's bit), which costs
// one blend per product instead of a second masked product.
template <class Scalar>
struct GemmTerms {
  static constexpr int kMaxTerms = 4;
  int count = 0;
  int K = 0;
  const Scalar* a[kMaxTerms] = {nullptr, nullptr, nullptr, nullptr};
  const Scalar* alt[kMaxTerms] = {nullptr, nullptr, nullptr, nullptr};
  const Scalar* sel[kMaxTerms] = {nullptr, nullptr, nullptr, nullptr};
  int lda = 0;
  const Scalar* b[kMaxTerms] = {nullptr, nullptr, nullptr, nullptr};
  int ldb = 0;
  const Scalar* bias = nullptr;

  KOKKOS_INLINE_FUNCTION GemmTerms() = default;
  KOKKOS_INLINE_FUNCTION GemmTerms(int k, const Scalar* a0, int lda_, const Scalar* b0, int ldb_)
      : count(1), K(k), lda(lda_), ldb(ldb_) {
    a[0] = a0;
    b[0] = b0;
  }
  KOKKOS_INLINE_FUNCTION void add(const Scalar* aj, const Scalar* bj) {
    a[count] = aj;
    b[count] = bj;
    ++count;
  }
  KOKKOS_INLINE_FUNCTION void addSelected(const Scalar* aj, const Scalar* altj, const Scalar* selj, const Scalar* bj) {
    alt[count] = altj;
    sel[count] = selj;
    add(aj, bj);
  }
  // The same terms with B shifted by `columns` (a column block of a wide product).
  KOKKOS_INLINE_FUNCTION GemmTerms shiftedColumns(int columns) const {
    GemmTerms s = *this;
    for (int j = 0; j < count; ++j) {
      s.b[j] += columns;
      if (s.sel[j] != nullptr) s.sel[j] += columns;
    }
    return s;
  }
};

#if VNA_TILE_HOST_SIMD
template <class Scalar, int V>
struct HostVector {
  typedef Scalar type __attribute__((vector_size(V * sizeof(Scalar))));
};

// Selected term j of a register block: column n multiplies alt_j where sel_j[n] ≠ 0, A_j elsewhere
// (the same product, with the same rounding, as the masked pair A_j (1 − s) ⊙ B + alt_j s ⊙ B less its
// exact-zero half).
template <class Scalar, int R, int NC, bool kTransA, class Vec>
inline __attribute__((always_inline)) void gemmSelectedSimd(const GemmTerms<Scalar>& g, int j, int r0,
                                                            Vec (&acc)[R][NC / VectorWidth<Scalar>::value]) {
  constexpr int V = VectorWidth<Scalar>::value, NV = NC / V;
  const Scalar* KOKKOS_RESTRICT a = g.a[j] + (kTransA ? r0 : r0 * g.lda);
  const Scalar* KOKKOS_RESTRICT alt = g.alt[j] + (kTransA ? r0 : r0 * g.lda);
  const Scalar* KOKKOS_RESTRICT b = g.b[j];
  const int lda = g.lda, ldb = g.ldb;
  using Mask = decltype(Vec{} != Vec{});
  Mask take_alt[NV];
  VNA_UNROLL
  for (int v = 0; v < NV; ++v) {
    Vec s;
    std::memcpy(&s, g.sel[j] + v * V, sizeof(Vec));
    take_alt[v] = s != Vec{};
  }
  for (int t = 0; t < g.K; ++t) {
    Vec bt[NV];
    VNA_UNROLL
    for (int v = 0; v < NV; ++v) std::memcpy(&bt[v], b + t * ldb + v * V, sizeof(Vec));
    VNA_UNROLL
    for (int r = 0; r < R; ++r) {
      const int e = kTransA ? t * lda + r : r * lda + t;
      const Vec a0 = Vec{} + a[e], a1 = Vec{} + alt[e];
      VNA_UNROLL
      for (int v = 0; v < NV; ++v) acc[r][v] += (take_alt[v] ? a1 : a0) * bt[v];
    }
  }
}

// Rows r0 .. r0+R-1 with NC = NV vectors per row held in registers. kTransA: A_j[r][t] is a_j[t·lda + r]
// (the weights of a forward product read as their transpose: the same products in the same order).
template <class Scalar, int R, int NC, bool kTransA>
inline __attribute__((always_inline)) void gemmMicroSimd(const GemmTerms<Scalar>& g, int r0, Scalar* KOKKOS_RESTRICT c,
                                                         int ldc) {
  constexpr int V = VectorWidth<Scalar>::value, NV = NC / V;
  using Vec = typename HostVector<Scalar, V>::type;
  Vec acc[R][NV];
  VNA_UNROLL
  for (int r = 0; r < R; ++r) {
    VNA_UNROLL
    for (int v = 0; v < NV; ++v) {
      if (g.bias != nullptr) {
        acc[r][v] = Vec{} + g.bias[r0 + r];
      } else {
        std::memcpy(&acc[r][v], c + (r0 + r) * ldc + v * V, sizeof(Vec));
      }
    }
  }
  for (int j = 0; j < g.count; ++j) {
    const Scalar* KOKKOS_RESTRICT a = g.a[j] + (kTransA ? r0 : r0 * g.lda);
    const Scalar* KOKKOS_RESTRICT b = g.b[j];
    const int lda = g.lda, ldb = g.ldb;
    if (g.alt[j] != nullptr) {
      gemmSelectedSimd<Scalar, R, NC, kTransA>(g, j, r0, acc);
      continue;
    }
    for (int t = 0; t < g.K; ++t) {
      Vec bt[NV];
      VNA_UNROLL
      for (int v = 0; v < NV; ++v) std::memcpy(&bt[v], b + t * ldb + v * V, sizeof(Vec));
      VNA_UNROLL
      for (int r = 0; r < R; ++r) {
        const Scalar ar = kTransA ? a[t * lda + r] : a[r * lda + t];
        VNA_UNROLL
        for (int v = 0; v < NV; ++v) acc[r][v] += ar * bt[v];
      }
    }
  }
  VNA_UNROLL
  for (int r = 0; r < R; ++r) {
    VNA_UNROLL
    for (int v = 0; v < NV; ++v) std::memcpy(c + (r0 + r) * ldc + v * V, &acc[r][v], sizeof(Vec));
  }
}
#endif

template <class Scalar, int R, int NC, bool kTransA>
KOKKOS_FORCEINLINE_FUNCTION void gemmMicro(const GemmTerms<Scalar>& g, int r0, Scalar* KOKKOS_RESTRICT c, int ldc) {
#if VNA_TILE_HOST_SIMD
  if constexpr (NC % VectorWidth<Scalar>::value == 0) {
    gemmMicroSimd<Scalar, R, NC, kTransA>(g, r0, c, ldc);
    return;
  }
#endif
  Scalar acc[R][NC];
  VNA_UNROLL
  for (int r = 0; r < R; ++r) {
    VNA_UNROLL
    for (int n = 0; n < NC; ++n) acc[r][n] = g.bias != nullptr ? g.bias[r0 + r] : c[(r0 + r) * ldc + n];
  }
  for (int j = 0; j < g.count; ++j) {
    const Scalar* KOKKOS_RESTRICT a = g.a[j] + (kTransA ? r0 : r0 * g.lda);
    const Scalar* KOKKOS_RESTRICT alt = g.alt[j] == nullptr ? a : g.alt[j] + (kTransA ? r0 : r0 * g.lda);
    const Scalar* KOKKOS_RESTRICT sel = g.sel[j];
    for (int t = 0; t < g.K; ++t) {
      const Scalar* KOKKOS_RESTRICT bt = g.b[j] + t * g.ldb;
      VNA_UNROLL
      for (int r = 0; r < R; ++r) {
        const int e = kTransA ? t * g.lda + r : r * g.lda + t;
        VNA_UNROLL
        for (int n = 0; n < NC; ++n) acc[r][n] += (sel != nullptr && sel[n] != Scalar(0) ? alt[e] : a[e]) * bt[n];
      }
    }
  }
  VNA_UNROLL
  for (int r = 0; r < R; ++r) {
    VNA_UNROLL
    for (int n = 0; n < NC; ++n) c[(r0 + r) * ldc + n] = acc[r][n];
  }
}

// Remaining rows (fewer than a block): one instantiation per possible remainder.
template <class Scalar, int R, int NC, bool kTransA>
KOKKOS_FORCEINLINE_FUNCTION void gemmTail(int rows, const GemmTerms<Scalar>& g, int r0, Scalar* c, int ldc) {
  if constexpr (R > 0) {
    if (rows == R)
      gemmMicro<Scalar, R, NC, kTransA>(g, r0, c, ldc);
    else
      gemmTail<Scalar, R - 1, NC, kTransA>(rows, g, r0, c, ldc);
  }
}

// C[M][NC] = C0 + Σ_j A_j[M][K] · B_j[K][NC] (kTransA: A_j stored as its transpose, [K][lda]).
template <class Scalar, int NC, bool kTransA = false>
VNA_TILE_FUNCTION void gemmRows(int M, const GemmTerms<Scalar>& g, Scalar* c, int ldc) {
  constexpr int R = RowBlock<Scalar, NC>::value;
  int r = 0;
  for (; r + R <= M; r += R) gemmMicro<Scalar, R, NC, kTransA>(g, r, c, ldc);
  gemmTail<Scalar, R - 1, NC, kTransA>(M - r, g, r, c, ldc);
}

// C[M][NC] += A[M][K] · B[K][NC] with A given as its transpose at[K][lda] (A[r][t] = at[t·lda + r]).
template <class Scalar, int NC>
KOKKOS_INLINE_FUNCTION void gemmRowsTransA(int M, int K, const Scalar* at, int lda, const Scalar* b, int ldb, Scalar* c,
                                           int ldc) {
  gemmRows<Scalar, NC, true>(M, GemmTerms<Scalar>(K, at, lda, b, ldb), c, ldc);
}

// C[M][NC] += A[M][K] · B[K][NC].
template <class Scalar, int NC>
KOKKOS_INLINE_FUNCTION void gemmRows(int M, int K, const Scalar* a, int lda, const Scalar* b, int ldb, Scalar* c,
                                     int ldc) {
  gemmRows<Scalar, NC>(M, GemmTerms<Scalar>(K, a, lda, b, ldb), c, ldc);
}

// C[M][ncols] += A[M][K] · B[K][ncols] with ncols a multiple of the vector width; columns are
// processed in blocks of two vectors, then one.
template <class Scalar>
KOKKOS_INLINE_FUNCTION void gemmWide(int M, int K, int ncols, const Scalar* a, int lda, const Scalar* b, int ldb,
                                     Scalar* c, int ldc) {
  constexpr int V = VectorWidth<Scalar>::value;
  const GemmTerms<Scalar> g(K, a, lda, b, ldb);
  int j = 0;
  for (; j + 2 * V <= ncols; j += 2 * V) gemmRows<Scalar, 2 * V>(M, g.shiftedColumns(j), c + j, ldc);
  for (; j + V <= ncols; j += V) gemmRows<Scalar, V>(M, g.shiftedColumns(j), c + j, ldc);
}

}  // namespace tile
}  // namespace vna
