#pragma once
// Dilated RNN cell (Hibat-Allah et al., Nature Machine Intelligence 3, 952 (2021), used there for
// fully connected models): L = ceil(log2 N) stacked vanilla layers, layer l looking back 2^(l-1)
// positions,
//   h^1_k = ELU( W1 · [h^1_{k-1}; onehot(b_{k-1})] + c1 ),
//   h^l_k = ELU( Wl · [h^l_{k-2^(l-1)}; h^(l-1)_k] + cl ),   l = 2..L,
// the output layer reading h^L_k; a missing predecessor (k − 2^(l-1) < 0) contributes zeros.
// State tile rows: [h^1 (d_h); onehot(b) (2); h^2; ...; h^L], so that layer 1's input
// [h^1_q; onehot(b_q)] is contiguous. Same interface as VanillaCell (see cell_vanilla.hpp).
#include <Kokkos_Core.hpp>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "cell_common.hpp"
#include "core/error.hpp"
#include "model/lattice.hpp"
#include "param_layout.hpp"
#include "tile_gemm.hpp"

namespace vna {

template <class Scalar, int W>
class DilatedCell {
 public:
  static constexpr int kMaxInputs = 16;  // layers: up to 2^16 sites

  DilatedCell() = default;
  explicit DilatedCell(const ParamLayout& layout)
      : hidden_(layout.hidden),
        hidden_padded_((layout.hidden + tile::VectorWidth<Scalar>::value - 1) / tile::VectorWidth<Scalar>::value *
                       tile::VectorWidth<Scalar>::value) {
    while (layout.hasBlock(fmt::format("W{}", layers_ + 1))) ++layers_;
    if (layers_ < 1 || layers_ > kMaxInputs)
      throw InputError(fmt::format("dilated1d: {} layers (1 to {} supported, i.e. N <= 2^{} sites)", layers_,
                                   kMaxInputs, kMaxInputs));
    int grad_offset = 0;
    for (int l = 1; l <= layers_; ++l) {
      weight_[l - 1] = blockRef(layout, fmt::format("W{}", l));
      bias_[l - 1] = blockRef(layout, fmt::format("c{}", l));
      grad_offset_[l - 1] = grad_offset;
      grad_offset += inputWidth(l) * hidden_padded_;
    }
    lane_grad_offset_ = grad_offset;
    num_params_ = bias_[layers_ - 1].local + hidden_;
  }

  static std::vector<int> inputTable(const Lattice& lattice, CellKind cell) {
    return predecessorTable(lattice, cell, kMaxInputs);
  }

  KOKKOS_INLINE_FUNCTION int hidden() const { return hidden_; }
  KOKKOS_INLINE_FUNCTION int stateRows() const { return layers_ * hidden_ + 2; }
  KOKKOS_INLINE_FUNCTION int outputOffset() const { return layerRow(layers_); }
  KOKKOS_INLINE_FUNCTION int bitRow() const { return hidden_; }
  KOKKOS_INLINE_FUNCTION int numParams() const { return num_params_; }

  KOKKOS_INLINE_FUNCTION void forward(const Scalar* theta, int site, const Scalar* const* nb, Scalar* state) const {
    const int h = hidden_;
    for (int l = 1; l <= layers_; ++l) {
      const int width = inputWidth(l);
      Scalar* out = state + layerRow(l) * W;
      const Scalar* wl = theta + weight_[l - 1].at(site);
      tile::GemmTerms<Scalar> terms;
      terms.lda = width;
      terms.ldb = W;
      terms.bias = theta + bias_[l - 1].at(site);
      if (l == 1) {
        terms.K = h + 2;  // [h^1_q; onehot(b_q)]: rows 0 .. d_h+1 of q's tile
        if (nb[0] != nullptr) terms.add(wl, nb[0]);
      } else {
        terms.K = h;
        if (nb[l - 1] != nullptr) terms.add(wl, nb[l - 1] + layerRow(l) * W);
        terms.add(wl + h, state + layerRow(l - 1) * W);
      }
      tile::gemmRows<Scalar, W>(h, terms, out, W);
      eluInPlace(out, h * W);
    }
  }

  // scratch: ∂pre [d_h][W], ∂pre^T [W][d_h padded].
  int scratchSize() const { return hidden_ * W + W * hidden_padded_; }
  // grad: ∂Wl^T [width_l][d_h padded] per layer, then per-lane ∂cl [L][d_h][W].
  int gradSize() const { return lane_grad_offset_ + layers_ * hidden_ * W; }
  // Nothing is deferred to the end of a position (see cell_common.hpp).
  int positionScratchSize(int /*group*/) const { return 0; }
  KOKKOS_INLINE_FUNCTION void finishPosition(Scalar* /*position*/, int /*chunks*/, int /*group*/,
                                             Scalar* /*grad*/) const {}

  KOKKOS_INLINE_FUNCTION void backward(const Scalar* theta, int site, const Scalar* state, const Scalar* const* nb,
                                       Scalar* dstate, Scalar* const* dnb, Scalar* scratch, Scalar* grad,
                                       Scalar* /*position*/, int /*chunk*/, int /*group*/) const {
    const int h = hidden_, hp = hidden_padded_;
    Scalar* dpre = scratch;
    Scalar* dpre_t = scratch + h * W;
    // Top layer first: layer l adds to ∂h^(l-1) of the same position before that layer is processed.
    for (int l = layers_; l >= 1; --l) {
      const Scalar* hl = state + layerRow(l) * W;
      const Scalar* dhl = dstate + layerRow(l) * W;
      Scalar* dbias = grad + lane_grad_offset_ + (l - 1) * h * W;
      Scalar* dweight_t = grad + grad_offset_[l - 1];
      for (int i = 0; i < h; ++i) {
        VNA_UNROLL
        for (int w = 0; w < W; ++w) {
          const Scalar d = dhl[i * W + w] * eluDerivativeFromOutput(hl[i * W + w]);
          dpre[i * W + w] = d;
          dbias[i * W + w] += d;
        }
      }
      for (int i = 0; i < h; ++i) {
        VNA_UNROLL
        for (int w = 0; w < W; ++w) dpre_t[w * hp + i] = dpre[i * W + w];
      }
      if (l >= 2) {
        const Scalar* below = state + layerRow(l - 1) * W;
        // ∂h^(l-1) += Wl[:, d_h:]^T ∂pre (Wl read as its transpose)
        tile::gemmRowsTransA<Scalar, W>(h, h, theta + weight_[l - 1].at(site) + h, inputWidth(l), dpre, W,
                                        dstate + layerRow(l - 1) * W, W);
        tile::gemmWide<Scalar>(h, W, hp, below, W, dpre_t, hp, dweight_t + h * hp, hp);
      }
      if (nb[l - 1] != nullptr) {
        const int row = l == 1 ? 0 : layerRow(l);
        const int k_in = l == 1 ? h + 2 : h;  // layer 1 also gets ∂W for the one-hot columns
        tile::gemmRowsTransA<Scalar, W>(h, h, theta + weight_[l - 1].at(site), inputWidth(l), dpre, W,
                                        dnb[l - 1] + row * W, W);
        tile::gemmWide<Scalar>(k_in, W, hp, nb[l - 1] + row * W, W, dpre_t, hp, dweight_t, hp);
      }
    }
  }

  KOKKOS_INLINE_FUNCTION double gradEntry(const Scalar* grad, int idx) const {
    const int h = hidden_, hp = hidden_padded_;
    int l = layers_;
    while (l > 1 && idx < weight_[l - 1].local) --l;
    if (idx >= bias_[l - 1].local) {
      const Scalar* dbias = grad + lane_grad_offset_ + (l - 1) * h * W + (idx - bias_[l - 1].local) * W;
      double sum = 0.0;
      for (int w = 0; w < W; ++w) sum += dbias[w];
      return sum;
    }
    const int local = idx - weight_[l - 1].local, width = inputWidth(l);
    const int i = local / width, m = local % width;
    return grad[grad_offset_[l - 1] + m * hp + i];
  }

  // dst[b][e] = gradEntry of entry e of the cell's block b (W1, c1, W2, c2, ...), for every entry at
  // once.
  KOKKOS_INLINE_FUNCTION void writeGradient(const Scalar* grad, double* const* dst) const {
    const int h = hidden_, hp = hidden_padded_;
    for (int l = 1; l <= layers_; ++l) {
      const int width = inputWidth(l);
      double* dw = dst[2 * (l - 1)];
      for (int i = 0; i < h; ++i)
        for (int m = 0; m < width; ++m) dw[i * width + m] = grad[grad_offset_[l - 1] + m * hp + i];
      const Scalar* dbias = grad + lane_grad_offset_ + (l - 1) * h * W;
      for (int i = 0; i < h; ++i) {
        double sum = 0.0;
        for (int w = 0; w < W; ++w) sum += dbias[i * W + w];
        dst[2 * (l - 1) + 1][i] = sum;
      }
    }
  }

 private:
  // First state row of layer l (1-based).
  KOKKOS_INLINE_FUNCTION int layerRow(int l) const { return l == 1 ? 0 : hidden_ + 2 + (l - 2) * hidden_; }
  KOKKOS_INLINE_FUNCTION int inputWidth(int l) const { return l == 1 ? hidden_ + 2 : 2 * hidden_; }

  int hidden_ = 0;
  int layers_ = 0;
  int hidden_padded_ = 0;
  BlockRef weight_[kMaxInputs];
  BlockRef bias_[kMaxInputs];
  int grad_offset_[kMaxInputs] = {};
  int lane_grad_offset_ = 0;
  int num_params_ = 0;
};

}  // namespace vna
