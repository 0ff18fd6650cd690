#pragma once
// Tensorized (bilinear) RNN cells of Hibat-Allah et al., Nature Machine Intelligence 3, 952 (2021):
//   h_k = ELU( x^T T H + c ),   x = [onehot(b_{q_0}); onehot(b_{q_1})],   H = [h_{q_0}; h_{q_1}],
// i.e. pre_i = c_i + Σ_m Σ_t T[m][i][t] x_m H_t, with one predecessor q_0 = k − 1 (1D) or the
// horizontal and vertical predecessors (2D); a missing predecessor contributes zeros to x and H.
// Because x is one-hot per predecessor, Σ_m T_m (x_m ⊙ H) is a sum of ordinary tile products with the
// B tiles masked per sample lane: B_m[t][w] = x_m[w] H[t][w]. Same interface as VanillaCell
// (see cell_vanilla.hpp).
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
        hidden_padded_((layout.hidden + tile::VectorWidth<Scalar>::value - 1) / tile::VectorWidth<Scalar>::value *
                       tile::VectorWidth<Scalar>::value),
        tensor_offset_(static_cast<int>(layout.block("T").offset)),
        bias_offset_(static_cast<int>(layout.block("c").offset)),
        num_params_(bias_offset_ + hidden_) {}

  static std::vector<int> inputTable(const Lattice& lattice, CellKind cell) {
    return predecessorTable(lattice, cell, kMaxInputs);
  }

  KOKKOS_INLINE_FUNCTION int hidden() const { return hidden_; }
  KOKKOS_INLINE_FUNCTION int stateRows() const { return hidden_ + 2; }
  KOKKOS_INLINE_FUNCTION int outputOffset() const { return 0; }
  KOKKOS_INLINE_FUNCTION int bitRow() const { return hidden_; }
  KOKKOS_INLINE_FUNCTION int numParams() const { return num_params_; }

  // Masked tiles B_m [K][W], m = 2j + c over the input slots.
  int forwardScratchSize() const { return slots() * inner() * W; }

  KOKKOS_INLINE_FUNCTION void forward(const Scalar* theta, const Scalar* const* nb, Scalar* state,
                                      Scalar* scratch) const {
    const int h = hidden_, K = inner();
    tile::GemmTerms<Scalar> terms;
    terms.K = K;
    terms.lda = K;
    terms.ldb = W;
    terms.bias = theta + bias_offset_;
    for (int m = 0; m < slots(); ++m) {
      if (nb[m / 2] == nullptr) continue;
      Scalar* bm = scratch + m * K * W;
      maskedInputs(nb, m, bm);
      terms.add(theta + tensor_offset_ + m * h * K, bm);
    }
    tile::gemmRows<Scalar, W>(h, terms, state, W);
    eluInPlace(state, h * W);
  }

  // aux = T_m^T: aux[m][t][i] = T[m][i][t].
  int auxSize() const { return slots() * inner() * hidden_; }
  KOKKOS_INLINE_FUNCTION Scalar auxEntry(const Scalar* theta, int idx) const {
    const int K = inner(), per = K * hidden_;
    const int m = idx / per, t = (idx % per) / hidden_, i = idx % hidden_;
    return theta[tensor_offset_ + m * hidden_ * K + i * K + t];
  }

  // scratch: ∂pre [d_h][W], ∂pre^T [W][d_h padded], D_m = x_m ⊙ ∂pre [slots][d_h][W], B_m [slots][K][W].
  int scratchSize() const {
    return hidden_ * W + W * hidden_padded_ + slots() * hidden_ * W + slots() * inner() * W;
  }
  // grad: ∂T_m^T [slots][K][d_h padded], then per-lane ∂c [d_h][W].
  int gradSize() const { return slots() * inner() * hidden_padded_ + hidden_ * W; }

  KOKKOS_INLINE_FUNCTION void backward(const Scalar* theta, const Scalar* aux, const Scalar* state,
                                       const Scalar* const* nb, Scalar* dstate, Scalar* const* dnb,
                                       Scalar* scratch, Scalar* grad) const {
    const int h = hidden_, K = inner(), hp = hidden_padded_;
    Scalar* dpre = scratch;
    Scalar* dpre_t = dpre + h * W;
    Scalar* dmasked = dpre_t + W * hp;
    Scalar* masked = dmasked + slots() * h * W;
    Scalar* dbias = grad + slots() * K * hp;
    for (int i = 0; i < h; ++i) {
      VNA_UNROLL
      for (int w = 0; w < W; ++w) {
        const Scalar d = dstate[i * W + w] * eluDerivativeFromOutput(state[i * W + w]);
        dpre[i * W + w] = d;
        dbias[i * W + w] += d;
      }
    }
    for (int i = 0; i < h; ++i) {
      VNA_UNROLL
      for (int w = 0; w < W; ++w) dpre_t[w * hp + i] = dpre[i * W + w];
    }
    // ∂T_m^T += B_m ∂pre^T (rank-W update); D_m = x_m ⊙ ∂pre for the input gradient below.
    for (int m = 0; m < slots(); ++m) {
      const Scalar* pred = nb[m / 2];
      if (pred == nullptr) continue;
      Scalar* bm = masked + m * K * W;
      maskedInputs(nb, m, bm);
      tile::gemmWide<Scalar>(K, W, hp, bm, W, dpre_t, hp, grad + m * K * hp, hp);
      const Scalar* x = pred + (hidden_ + (m % 2)) * W;
      Scalar* dm = dmasked + m * h * W;
      for (int i = 0; i < h; ++i) {
        VNA_UNROLL
        for (int w = 0; w < W; ++w) dm[i * W + w] = x[w] * dpre[i * W + w];
      }
    }
    // ∂H = Σ_m x_m ⊙ (T_m^T ∂pre) = Σ_m T_m^T D_m; rows [j·d_h, (j+1)·d_h) go to predecessor j.
    for (int j = 0; j < inputs_; ++j) {
      if (dnb[j] == nullptr) continue;
      tile::GemmTerms<Scalar> terms;
      terms.K = h;
      terms.lda = h;
      terms.ldb = W;
      for (int m = 0; m < slots(); ++m)
        if (nb[m / 2] != nullptr) terms.add(aux + m * K * h + j * h * h, dmasked + m * h * W);
      tile::gemmRows<Scalar, W>(h, terms, dnb[j], W);
    }
  }

  KOKKOS_INLINE_FUNCTION double gradEntry(const Scalar* grad, int idx) const {
    const int h = hidden_, K = inner(), hp = hidden_padded_;
    if (idx >= bias_offset_) {
      const Scalar* dbias = grad + slots() * K * hp + (idx - bias_offset_) * W;
      double sum = 0.0;
      for (int w = 0; w < W; ++w) sum += dbias[w];
      return sum;
    }
    const int local = idx - tensor_offset_;
    const int m = local / (h * K), i = (local % (h * K)) / K, t = local % K;
    return grad[m * K * hp + t * hp + i];
  }

 private:
  KOKKOS_INLINE_FUNCTION int slots() const { return 2 * inputs_; }
  KOKKOS_INLINE_FUNCTION int inner() const { return inputs_ * hidden_; }

  // B_m = x_m ⊙ H for slot m = 2j + c: x_m is row d_h + c of predecessor j's tile (its one-hot).
  KOKKOS_INLINE_FUNCTION void maskedInputs(const Scalar* const* nb, int m, Scalar* bm) const {
    const int h = hidden_;
    const Scalar* x = nb[m / 2] + (h + (m % 2)) * W;
    for (int j = 0; j < inputs_; ++j) {
      Scalar* rows = bm + j * h * W;
      if (nb[j] == nullptr) {
        for (int e = 0; e < h * W; ++e) rows[e] = Scalar(0);
        continue;
      }
      for (int t = 0; t < h; ++t) {
        VNA_UNROLL
        for (int w = 0; w < W; ++w) rows[t * W + w] = x[w] * nb[j][t * W + w];
      }
    }
  }

  int hidden_ = 0;
  int inputs_ = 1;
  int hidden_padded_ = 0;
  int tensor_offset_ = 0;
  int bias_offset_ = 0;
  int num_params_ = 0;
};

}  // namespace vna
