#pragma once
// Tensorized (bilinear) RNN cells of Hibat-Allah et al., Nature Machine Intelligence 3, 952 (2021):
//   h_k = ELU( x^T T H + c ),   x = [onehot(b_{q_0}); onehot(b_{q_1})],   H = [h_{q_0}; h_{q_1}],
// i.e. pre_i = c_i + Σ_m Σ_t T[m][i][t] x_m H_t, with one predecessor q_0 = k − 1 (1D) or the
// horizontal and vertical predecessors (2D); a missing predecessor contributes zeros to x and H.
// Because x is one-hot per predecessor, Σ_m T_m (x_m ⊙ H) = Σ_j T_{2j + b_j} H: one product per
// predecessor whose weights each sample lane picks by its bit (tile::GemmTerms' selected terms, a
// blend per product), the sums of the masked products Σ_m T_m (x_m ⊙ H) in their order less their
// exact-zero half. The weight gradient ∂T_m = Σ_w x_m[w] ∂pre[·][w] H[·][w]^T runs over the lanes that
// select slot m alone, and slots no lane of a chunk selects are skipped everywhere; both leave out only
// exact zeros as well. Same interface as VanillaCell (see cell_vanilla.hpp).
#include <Kokkos_Core.hpp>

#include <vector>

#include "cell_common.hpp"
#include "model/lattice.hpp"
#include "param_layout.hpp"
#include "tile_gemm.hpp"

namespace vna {

template <class Scalar, int W>
class TensorizedCell {
 public:
  static constexpr int kMaxInputs = 2;

  TensorizedCell() = default;
  explicit TensorizedCell(const ParamLayout& layout)
      : hidden_(layout.hidden),
        inputs_(layout.cell == CellKind::kTensorized2d ? 2 : 1),
        inner_padded_((inputs_ * layout.hidden + tile::VectorWidth<Scalar>::value - 1) /
                      tile::VectorWidth<Scalar>::value * tile::VectorWidth<Scalar>::value),
        tensor_(blockRef(layout, "T")),
        bias_(blockRef(layout, "c")),
        num_params_(bias_.local + hidden_) {}

  static std::vector<int> inputTable(const Lattice& lattice, CellKind cell) {
    return predecessorTable(lattice, cell, kMaxInputs);
  }

  KOKKOS_INLINE_FUNCTION int hidden() const { return hidden_; }
  KOKKOS_INLINE_FUNCTION int stateRows() const { return hidden_ + 2; }
  KOKKOS_INLINE_FUNCTION int outputOffset() const { return 0; }
  KOKKOS_INLINE_FUNCTION int bitRow() const { return hidden_; }
  KOKKOS_INLINE_FUNCTION int numParams() const { return num_params_; }

  int forwardScratchSize() const { return 0; }

  // T_{2j + b_j} H for each predecessor j, H = [h_{q_0}; h_{q_1}] taken as its two tiles (terms of
  // K = d_h each, in the order of H's rows; a missing predecessor's rows are zero and left out).
  KOKKOS_INLINE_FUNCTION void forward(const Scalar* theta, int site, const Scalar* const* nb, Scalar* state,
                                      Scalar* /*scratch*/) const {
    const int h = hidden_, K = inner();
    const Scalar* tensor = theta + tensor_.at(site);
    tile::GemmTerms<Scalar> terms;
    terms.K = h;
    terms.lda = K;
    terms.ldb = W;
    terms.bias = theta + bias_.at(site);
    for (int j = 0; j < inputs_; ++j)
      for (int q = 0; q < inputs_; ++q)
        if (nb[j] != nullptr && nb[q] != nullptr) addSlotTerm(nb, j, tensor + q * h, nb[q], terms);
    tile::gemmRows<Scalar, W>(h, terms, state, W);
    eluInPlace(state, h * W);
  }

  // scratch: ∂pre [d_h][W], H^T [W][K padded] (the predecessors' hidden states transposed, padding
  // zero), its rows regrouped by one predecessor's bit [W][K padded], the matching columns of ∂pre
  // [d_h][W].
  int scratchSize() const { return 2 * hidden_ * W + 2 * W * inner_padded_; }
  // grad: ∂T_m [slots][d_h][K padded] (the block's own row order, so the flush is a contiguous
  // conversion), then per-lane ∂c [d_h][W].
  int gradSize() const { return slots() * hidden_ * inner_padded_ + hidden_ * W; }

  KOKKOS_INLINE_FUNCTION void backward(const Scalar* theta, int site, const Scalar* state, const Scalar* const* nb,
                                       Scalar* dstate, Scalar* const* dnb, Scalar* scratch, Scalar* grad) const {
    const int h = hidden_, K = inner(), kp = inner_padded_;
    Scalar* dpre = scratch;
    Scalar* states_t = dpre + h * W;
    Scalar* grouped_states = states_t + W * kp;
    Scalar* grouped_dpre = grouped_states + W * kp;
    Scalar* dbias = grad + slots() * h * kp;
    for (int i = 0; i < h; ++i) {
      VNA_UNROLL
      for (int w = 0; w < W; ++w) {
        const Scalar d = dstate[i * W + w] * eluDerivativeFromOutput(state[i * W + w]);
        dpre[i * W + w] = d;
        dbias[i * W + w] += d;
      }
    }
    transposedStates(nb, states_t);
    // ∂T_m += Σ_w x_m[w] ∂pre[·][w] H^T[w][·]. x_m[w] is 0 or 1, so only the lanes whose predecessor bit
    // selects slot m contribute: they are grouped (in lane order) and the rank update runs over them
    // alone, half the lanes of the full update and its nonzero terms in the same order (the accumulator
    // starts at +0 and never becomes −0, so the skipped zero terms change no bit).
    for (int j = 0; j < inputs_; ++j) {
      if (nb[j] == nullptr) continue;
      // lanes[0 .. n0): x_{2j} = 1 − b selects them; lanes[n0 .. n): x_{2j+1} = b.
      const Scalar* x0 = nb[j] + hidden_ * W;
      const Scalar* x1 = x0 + W;
      int lanes[W];
      int n0 = 0;
      for (int w = 0; w < W; ++w)
        if (x0[w] != Scalar(0)) lanes[n0++] = w;
      int n = n0;
      for (int w = 0; w < W; ++w)
        if (x1[w] != Scalar(0) && n < W) lanes[n++] = w;
      for (int r = 0; r < n; ++r) {
        const Scalar* KOKKOS_RESTRICT from = states_t + lanes[r] * kp;
        Scalar* KOKKOS_RESTRICT to = grouped_states + r * kp;
        for (int e = 0; e < kp; ++e) to[e] = from[e];
      }
      for (int i = 0; i < h; ++i)
        for (int r = 0; r < n; ++r) grouped_dpre[i * W + r] = dpre[i * W + lanes[r]];
      for (int c = 0; c < 2; ++c) {
        const int first = c == 0 ? 0 : n0, count = c == 0 ? n0 : n - n0;
        if (count > 0)
          tile::gemmWide<Scalar>(h, count, kp, grouped_dpre + first, W, grouped_states + first * kp, kp,
                                 grad + (2 * j + c) * h * kp, kp);
      }
    }
    // ∂H = Σ_m T_m^T (x_m ⊙ ∂pre) = Σ_j T_{2j + b_j}^T ∂pre per lane; rows [j·d_h, (j+1)·d_h) go to
    // predecessor j (T_m read as its transpose: columns j·d_h .. of T[m][i][·]).
    const Scalar* tensor = theta + tensor_.at(site);
    for (int j = 0; j < inputs_; ++j) {
      if (dnb[j] == nullptr) continue;
      tile::GemmTerms<Scalar> terms;
      terms.K = h;
      terms.lda = K;
      terms.ldb = W;
      for (int q = 0; q < inputs_; ++q)
        if (nb[q] != nullptr) addSlotTerm(nb, q, tensor + j * h, dpre, terms);
      tile::gemmRows<Scalar, W, true>(h, terms, dnb[j], W);
    }
  }

  KOKKOS_INLINE_FUNCTION double gradEntry(const Scalar* grad, int idx) const {
    const int h = hidden_, K = inner(), kp = inner_padded_;
    if (idx >= bias_.local) {
      const Scalar* dbias = grad + slots() * h * kp + (idx - bias_.local) * W;
      double sum = 0.0;
      for (int w = 0; w < W; ++w) sum += dbias[w];
      return sum;
    }
    const int local = idx - tensor_.local;
    const int row = local / K, t = local % K;  // row = m · d_h + i
    return grad[row * kp + t];
  }

  // dst[b][e] = gradEntry of entry e of the cell's block b (T, then c), for every entry at once.
  KOKKOS_INLINE_FUNCTION void writeGradient(const Scalar* grad, double* const* dst) const {
    const int h = hidden_, K = inner(), kp = inner_padded_;
    for (int row = 0; row < slots() * h; ++row) {
      double* KOKKOS_RESTRICT out = dst[0] + row * K;
      const Scalar* KOKKOS_RESTRICT in = grad + row * kp;
      for (int t = 0; t < K; ++t) out[t] = in[t];
    }
    const Scalar* dbias = grad + slots() * h * kp;
    for (int i = 0; i < h; ++i) {
      double sum = 0.0;
      for (int w = 0; w < W; ++w) sum += dbias[i * W + w];
      dst[1][i] = sum;
    }
  }

 private:
  KOKKOS_INLINE_FUNCTION int slots() const { return 2 * inputs_; }
  KOKKOS_INLINE_FUNCTION int inner() const { return inputs_ * hidden_; }

  // Whether slot m = 2j + c enters this chunk: predecessor j exists and some lane has b_j = c. A slot
  // no lane selects contributes products that are exactly ±0, which change no value of the sums, and is
  // skipped: once the annealing has concentrated the samples, most chunks agree on most bits and half
  // the slots drop out.
  KOKKOS_INLINE_FUNCTION bool slotSelected(const Scalar* const* nb, int m) const {
    if (nb[m / 2] == nullptr) return false;
    const Scalar* x = nb[m / 2] + (hidden_ + (m % 2)) * W;
    bool any = false;
    VNA_UNROLL
    for (int w = 0; w < W; ++w) any = any || x[w] != Scalar(0);
    return any;
  }

  // The term of predecessor j (present) with B = b: T_{2j} for lanes with b_j = 0, T_{2j+1} for b_j = 1,
  // a plain product when the chunk agrees on b_j. `tensor` points at the weight column to start from.
  KOKKOS_INLINE_FUNCTION void addSlotTerm(const Scalar* const* nb, int j, const Scalar* tensor, const Scalar* b,
                                          tile::GemmTerms<Scalar>& terms) const {
    const int h = hidden_, K = inner();
    const Scalar* t0 = tensor + 2 * j * h * K;
    const Scalar* t1 = t0 + h * K;
    const bool has0 = slotSelected(nb, 2 * j), has1 = slotSelected(nb, 2 * j + 1);
    if (has0 && has1)
      terms.addSelected(t0, t1, nb[j] + (h + 1) * W, b);
    else
      terms.add(has1 ? t1 : t0, b);
  }

  // H^T [W][K padded]: column j·d_h + t of row w is predecessor j's h_t of lane w (zero for a missing
  // predecessor and in the padding).
  KOKKOS_INLINE_FUNCTION void transposedStates(const Scalar* const* nb, Scalar* states_t) const {
    const int h = hidden_, kp = inner_padded_;
    for (int e = inner(); e < kp; ++e)
      for (int w = 0; w < W; ++w) states_t[w * kp + e] = Scalar(0);
    for (int j = 0; j < inputs_; ++j) {
      for (int t = 0; t < h; ++t) {
        VNA_UNROLL
        for (int w = 0; w < W; ++w) states_t[w * kp + j * h + t] = nb[j] == nullptr ? Scalar(0) : nb[j][t * W + w];
      }
    }
  }

  int hidden_ = 0;
  int inputs_ = 1;
  int inner_padded_ = 0;  // K rounded up to the vector width (the weight gradient's row length)
  BlockRef tensor_;
  BlockRef bias_;
  int num_params_ = 0;
};

}  // namespace vna
