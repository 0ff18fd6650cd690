#pragma once
// Parameters of one network as ONE flat vector with named blocks. Drivers (Adam, landscapes,
// checkpoints, MPI reductions) treat θ as flat; only the engine and the cells read the blocks.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace vna {

// Recurrent cell of the autoregressive network (see doc/physics.md, "RNN ansatz").
enum class CellKind {
  kVanilla1d,  // h_k = ELU(W·[h_{k-1}; onehot(b_{k-1})] + c)
  kVanilla2d,  // h_k = ELU(Wh·[h_H; onehot(b_H)] + Wv·[h_V; onehot(b_V)] + c)
  kTensorized1d,  // h_k = ELU(onehot(b_{k-1})^T T h_{k-1} + c)                  (bilinear)
  kTensorized2d,  // h_k = ELU([onehot(b_H); onehot(b_V)]^T T [h_H; h_V] + c)   (bilinear)
  kDilated1d,     // L = ceil(log2 N) stacked layers, layer l looking back 2^(l-1) positions
};

// Whether all sites share one set of cell and output-layer weights (translation-invariant models) or
// every site has its own (disordered models; the variational neural annealing paper's networks).
enum class WeightSharing { kShared, kPerSite };
std::string weightSharingName(WeightSharing sharing);  // "shared", "per_site"

// Number of layers of the dilated cell for N sites: max(1, ceil(log2 N)).
int dilatedLayers(int num_sites);

std::string cellKindName(CellKind cell);
// Accepts "vanilla1d", "vanilla2d", "tensorized1d", "tensorized2d", "dilated1d"; throws InputError otherwise.
CellKind parseCellKind(const std::string& name);

struct ParamBlock {
  std::string name;        // "Wh", "Wv", "W", "T", "c", "W1", "c1", ..., "U", "d"
  std::size_t offset = 0;  // first index in the flat vector
  std::size_t size = 0;    // product of shape
  std::vector<int> shape;  // row-major; per-site layouts lead with the site dimension N
  int fan_in = 0;          // input width of the layer the block belongs to (initialization bound)
  std::size_t site_size = 0;  // entries of one site's slice (= size for shared weights)

  // First index of site i's slice (site i = lattice site i; every site reads slice 0 when shared).
  std::size_t siteOffset(int site) const { return offset + (size == site_size ? 0 : site * site_size); }
};

struct ParamLayout {
  CellKind cell = CellKind::kVanilla2d;
  int hidden = 0;
  WeightSharing sharing = WeightSharing::kShared;
  int sites = 1;  // slices per block: 1 when shared, the number of lattice sites N when per site
  std::vector<ParamBlock> blocks;
  std::size_t total = 0;

  // Throws Error if the block does not exist.
  const ParamBlock& block(const std::string& name) const;
  bool hasBlock(const std::string& name) const;
  bool perSite() const { return sharing == WeightSharing::kPerSite; }
  // The layout of one site's parameters: the shared layout of the same cell (for a shared layout,
  // a copy of itself). Its blocks are the site slices, in the same order.
  ParamLayout siteLayout() const;
  // Human-readable shape of block b, "100x4x40x80".
  static std::string shapeText(const ParamBlock& b);
};

// Layout of (cell, hidden size d_h): the cell's own blocks first (their last block is the bias c [d_h]),
// then the output layer U [2][d_h], d [2]. Cell blocks: vanilla1d W [d_h][d_h+2]; vanilla2d Wh, Wv
// [d_h][d_h+2]; tensorized1d T [2][d_h][d_h]; tensorized2d T [4][d_h][2 d_h] (T[m][i][t]: input slot
// m of the concatenated one-hots, output i, hidden input t); dilated1d, per layer l = 1..L: Wl
// [d_h][d_h+2] (l = 1, input [h^1_{k-1}; onehot(b_{k-1})]) or [d_h][2 d_h] (input
// [h^l_{k-2^(l-1)}; h^(l-1)_k]), then cl [d_h]. num_sites is needed by dilated1d (its depth) and by
// per-site layouts, where every block gets a leading site dimension: block b is [N][shape_b], site i's
// slice at b.offset + i·b.site_size (blocks stay contiguous and in the same order).
ParamLayout makeParamLayout(CellKind cell, int hidden, int num_sites = 0,
                            WeightSharing sharing = WeightSharing::kShared);

// Deterministic initialization of parameter set `param_set_index`: every entry of a block is
// (2u − 1)/sqrt(fan_in) with u drawn from RngStream(seed, kInitialization, param_set_index), blocks in
// layout order, entries row-major (PyTorch's default bound for linear layers, weights and biases);
// per site: every site's slice drawn in turn, with the fan-in of one site's layer.
std::vector<double> initParameters(const ParamLayout& layout, std::uint64_t seed, std::uint64_t param_set_index);

}  // namespace vna
