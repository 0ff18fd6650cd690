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

  // T_{2j + b_j} H for each predecessor j, H = [h_{q_0}; h_{q_1}] taken as its two tiles (terms of
  // K = d_h each, in the order of H's rows; a missing predecessor's rows are zero and left out).
  KOKKOS_INLINE_FUNCTION void forward(const Scalar* theta, int site, const Scalar* const* nb, Scalar* state) const {
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

  int scratchSize() const { return 0; }
  // grad: ∂T_m [slots][d_h][K padded] (the block's own row order, so the flush is a contiguous
  // conversion), then per-lane ∂c [d_h][W].
  int gradSize() const { return slots() * hidden_ * inner_padded_ + hidden_ * W; }
  // Per work item, for the `group` chunks of a position (lanes L = group · W, chunk c at lanes c·W ..):
  // ∂pre [d_h][L], H^T [L][K padded] (padding zero), the predecessors' bits [inputs][L] (−1: none),
  // and for the weight-gradient update the rows regrouped by one predecessor's bit [L][K padded] and
  // the matching columns of ∂pre [d_h][L].
  int positionScratchSize(int group) const {
    return group * W * (2 * hidden_ + 2 * inner_padded_ + inputs_);
  }

  KOKKOS_INLINE_FUNCTION void backward(const Scalar* theta, int site, const Scalar* state, const Scalar* const* nb,
                                       Scalar* dstate, Scalar* const* dnb, Scalar* /*scratch*/, Scalar* grad,
                                       Scalar* position, int chunk, int group) const {
    const int h = hidden_, K = inner(), kp = inner_padded_, L = group * W;
    Scalar* dpre = position + chunk * W;  // [d_h][L]
    Scalar* states_t = position + h * L + chunk * W * kp;
    Scalar* bits = position + h * L + L * kp + chunk * W;
    Scalar* dbias = grad + slots() * h * kp;
    for (int i = 0; i < h; ++i) {
      VNA_UNROLL
      for (int w = 0; w < W; ++w) {
        const Scalar d = dstate[i * W + w] * eluDerivativeFromOutput(state[i * W + w]);
        dpre[i * L + w] = d;
        dbias[i * W + w] += d;
      }
    }
    transposedStates(nb, states_t);
    for (int j = 0; j < inputs_; ++j)
      for (int w = 0; w < W; ++w) bits[j * L + w] = nb[j] == nullptr ? Scalar(-1) : nb[j][(h + 1) * W + w];
    // ∂H = Σ_m T_m^T (x_m ⊙ ∂pre) = Σ_j T_{2j + b_j}^T ∂pre per lane; rows [j·d_h, (j+1)·d_h) go to
    // predecessor j (T_m read as its transpose: columns j·d_h .. of T[m][i][·]).
    const Scalar* tensor = theta + tensor_.at(site);
    for (int j = 0; j < inputs_; ++j) {
      if (dnb[j] == nullptr) continue;
      tile::GemmTerms<Scalar> terms;
      terms.K = h;
      terms.lda = K;
      terms.ldb = L;
      for (int q = 0; q < inputs_; ++q)
        if (nb[q] != nullptr) addSlotTerm(nb, q, tensor + j * h, dpre, terms);
      tile::gemmRows<Scalar, W, true>(h, terms, dnb[j], W);
    }
  }

  // ∂T_m += Σ_w x_m[w] ∂pre[·][w] H^T[w][·] over the lanes of a position's `chunks` chunks, once per
  // position (one rank update of up to group · W lanes instead of one per chunk: the accumulator tile
  // is loaded and stored once). x_m[w] is 0 or 1, so only the lanes whose predecessor bit selects slot m
  // contribute: they are grouped in lane order (chunk by chunk) and the update runs over them alone, its
  // nonzero terms in the order of the per-chunk updates (the accumulator starts at +0 and never becomes
  // −0, so the skipped zero terms change no bit).
  KOKKOS_INLINE_FUNCTION void finishPosition(Scalar* position, int chunks, int group, Scalar* grad) const {
    const int h = hidden_, kp = inner_padded_, L = group * W, n_lanes = chunks * W;
    const Scalar* dpre = position;
    const Scalar* states_t = position + h * L;
    const Scalar* bits = states_t + L * kp;
    Scalar* grouped_states = position + h * L + L * kp + inputs_ * L;
    Scalar* grouped_dpre = grouped_states + L * kp;
    for (int j = 0; j < inputs_; ++j) {
      const Scalar* b = bits + j * L;
      if (b[0] < Scalar(0)) continue;  // no predecessor j at this position
      // Regrouped rows [0 .. n0): b_j = 0 (slot 2j); [n0 .. n): b_j = 1 (slot 2j + 1).
      int n = 0, n0 = 0;
      for (int pass = 0; pass < 2; ++pass) {
        for (int w = 0; w < n_lanes; ++w) {
          if ((b[w] != Scalar(0)) != (pass == 1)) continue;
          const Scalar* KOKKOS_RESTRICT from = states_t + w * kp;
          Scalar* KOKKOS_RESTRICT to = grouped_states + n * kp;
          for (int e = 0; e < kp; ++e) to[e] = from[e];
          for (int i = 0; i < h; ++i) grouped_dpre[i * L + n] = dpre[i * L + w];
          ++n;
        }
        if (pass == 0) n0 = n;
      }
      for (int c = 0; c < 2; ++c) {
        const int first = c == 0 ? 0 : n0, count = c == 0 ? n0 : n - n0;
        if (count > 0)
          tile::gemmWide<Scalar>(h, count, kp, grouped_dpre + first, L, grouped_states + first * kp, kp,
                                 grad + (2 * j + c) * h * kp, kp);
      }
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
