#pragma once
// Vanilla RNN cell with one (1D) or two (2D) inputs, the seed paper's network:
//   h_k = ELU( Σ_j W_j · [h_{q_j(k)}; onehot(b_{q_j(k)})] + c ),
// q_0 = previous position (1D) or horizontal predecessor (2D), q_1 = vertical predecessor (2D);
// a missing predecessor (q = −1) contributes nothing (zero h and zero one-hot).
//
// The cell interface: cell_common.hpp.
#include <Kokkos_Core.hpp>

#include <vector>

#include "cell_common.hpp"
#include "model/lattice.hpp"
#include "param_layout.hpp"
#include "tile_gemm.hpp"

namespace vna {

template <class Scalar, int W>
class VanillaCell {
 public:
  static constexpr int kMaxInputs = 2;

  VanillaCell() = default;
  explicit VanillaCell(const ParamLayout& layout)
      : hidden_(layout.hidden),
        inputs_(layout.cell == CellKind::kVanilla2d ? 2 : 1),
        hidden_padded_((layout.hidden + tile::VectorWidth<Scalar>::value - 1) / tile::VectorWidth<Scalar>::value *
                       tile::VectorWidth<Scalar>::value) {
    const char* names[2] = {inputs_ == 2 ? "Wh" : "W", "Wv"};
    for (int j = 0; j < inputs_; ++j) weight_[j] = blockRef(layout, names[j]);
    bias_ = blockRef(layout, "c");
    num_params_ = bias_.local + hidden_;
  }

  static std::vector<int> inputTable(const Lattice& lattice, CellKind cell) {
    return predecessorTable(lattice, cell, kMaxInputs);
  }

  KOKKOS_INLINE_FUNCTION int hidden() const { return hidden_; }
  KOKKOS_INLINE_FUNCTION int stateRows() const { return hidden_ + 2; }
  KOKKOS_INLINE_FUNCTION int outputOffset() const { return 0; }
  KOKKOS_INLINE_FUNCTION int bitRow() const { return hidden_; }
  KOKKOS_INLINE_FUNCTION int numParams() const { return num_params_; }

  KOKKOS_INLINE_FUNCTION void forward(const Scalar* theta, int site, const Scalar* const* nb, Scalar* state) const {
    const int h = hidden_, in = h + 2;
    // pre = c + Σ_j W_j [h_q; onehot(b_q)] over the present predecessors, in one register pass.
    tile::GemmTerms<Scalar> terms;
    terms.K = in;
    terms.lda = in;
    terms.ldb = W;
    terms.bias = theta + bias_.at(site);
    for (int j = 0; j < inputs_; ++j)
      if (nb[j] != nullptr) terms.add(theta + weight_[j].at(site), nb[j]);
    tile::gemmRows<Scalar, W>(h, terms, state, W);
    eluInPlace(state, h * W);
  }

  // scratch: ∂pre [d_h][W], ∂pre^T [W][d_h padded] (padding columns stay zero).
  int scratchSize() const { return hidden_ * W + W * hidden_padded_; }
  // grad: ∂W_j^T [inputs][d_h + 2][d_h padded], then per-lane ∂c [d_h][W].
  int gradSize() const { return inputs_ * (hidden_ + 2) * hidden_padded_ + hidden_ * W; }
  // Nothing is deferred to the end of a position (see cell_common.hpp).
  int positionScratchSize(int /*group*/) const { return 0; }
  KOKKOS_INLINE_FUNCTION void finishPosition(Scalar* /*position*/, int /*chunks*/, int /*group*/,
                                             Scalar* /*grad*/) const {}

  KOKKOS_INLINE_FUNCTION void backward(const Scalar* theta, int site, const Scalar* state, const Scalar* const* nb,
                                       Scalar* dstate, Scalar* const* dnb, Scalar* scratch, Scalar* grad,
                                       Scalar* /*position*/, int /*chunk*/, int /*group*/) const {
    const int h = hidden_, in = h + 2, hp = hidden_padded_;
    Scalar* dpre = scratch;
    Scalar* dpre_t = scratch + h * W;
    Scalar* dbias = grad + inputs_ * in * hp;
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
    for (int j = 0; j < inputs_; ++j) {
      if (nb[j] == nullptr) continue;
      // ∂h_q += W_j[:, :d_h]^T ∂pre ; ∂W_j^T += [h_q; onehot(b_q)] ∂pre^T (a rank-W update).
      tile::gemmRowsTransA<Scalar, W>(h, h, theta + weight_[j].at(site), in, dpre, W, dnb[j], W);
      tile::gemmWide<Scalar>(in, W, hp, nb[j], W, dpre_t, hp, grad + j * in * hp, hp);
    }
  }

  KOKKOS_INLINE_FUNCTION double gradEntry(const Scalar* grad, int idx) const {
    const int h = hidden_, in = h + 2, hp = hidden_padded_;
    if (idx >= bias_.local) {
      const Scalar* dbias = grad + inputs_ * in * hp + (idx - bias_.local) * W;
      double sum = 0.0;
      for (int w = 0; w < W; ++w) sum += dbias[w];
      return sum;
    }
    for (int j = 0; j < inputs_; ++j) {
      const int local = idx - weight_[j].local;
      if (local >= 0 && local < h * in) {
        const int i = local / in, m = local % in;
        return grad[j * in * hp + m * hp + i];
      }
    }
    return 0.0;  // unreachable for idx < numParams()
  }

  // dst[b][e] = gradEntry of entry e of the cell's block b (blocks in layout order: W_j, then c),
  // for every entry at once.
  KOKKOS_INLINE_FUNCTION void writeGradient(const Scalar* grad, double* const* dst) const {
    const int h = hidden_, in = h + 2, hp = hidden_padded_;
    for (int j = 0; j < inputs_; ++j)
      for (int i = 0; i < h; ++i)
        for (int m = 0; m < in; ++m) dst[j][i * in + m] = grad[j * in * hp + m * hp + i];
    const Scalar* dbias = grad + inputs_ * in * hp;
    for (int i = 0; i < h; ++i) {
      double sum = 0.0;
      for (int w = 0; w < W; ++w) sum += dbias[i * W + w];
      dst[inputs_][i] = sum;
    }
  }

 private:
  int hidden_ = 0;
  int inputs_ = 1;
  int hidden_padded_ = 0;
  BlockRef weight_[kMaxInputs];
  BlockRef bias_;
  int num_params_ = 0;
};

}  // namespace vna
