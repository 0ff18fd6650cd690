#include "baselines/classical_chains.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "baselines/chains_impl.hpp"
#include "baselines/lane_random.hpp"
#include "baselines/monte_carlo_stream.hpp"
#include "core/error.hpp"

namespace vna {

void initialBits(ChainStreams streams, std::uint32_t id, int n, Bit* out) {
  McStream init(streams.key, 0, id, streams.realization);
  for (int i = 0; i < n; ++i) out[i] = init.bit();
}

void initialBits(ChainStreams streams, const std::uint32_t* ids, int count, int n, Bit* out) {
  constexpr int W = simd::kWidth;
  for (int k0 = 0; k0 < count; k0 += W) {
    alignas(64) std::uint32_t lane_ids[W];
    const int valid = std::min(W, count - k0);
    for (int l = 0; l < W; ++l) lane_ids[l] = ids[k0 + std::min(l, valid - 1)];
    PhiloxLanes<W> w;
    for (int b = 0; 4 * b < n; ++b) {
      philoxLanes<W>(streams.key, static_cast<std::uint32_t>(b), 0, lane_ids, streams.realization, w);
      for (int j = 0; j < 4 && 4 * b + j < n; ++j)
        for (int l = 0; l < valid; ++l) out[static_cast<std::size_t>(k0 + l) * n + 4 * b + j] = w.w[j][l] >> 31;
    }
  }
}

std::unique_ptr<ClassicalChains> ClassicalChains::create(const McModel& model, McKernel kernel, ChainStreams streams,
                                                         std::vector<std::uint32_t> ids) {
  if (ids.empty()) throw Error("ClassicalChains: no replicas");
  switch (kernel) {
    case McKernel::kSparse:
    case McKernel::kPBody:
      if (kernel == McKernel::kSparse && model.max_order > 2) break;
      return makeLocalFieldChains(model, kernel, streams, std::move(ids));
    case McKernel::kDense:
      if (model.max_order > 2) break;
      return makeDenseChains(model, streams, std::move(ids));
    default:
      break;
  }
  throw Error(fmt::format("ClassicalChains: kernel '{}' does not apply to this model", mcKernelName(kernel)));
}

void ClassicalChains::randomize() {
  const int n = model_.n;
  std::vector<Bit> b(static_cast<std::size_t>(size()) * n);
  initialBits(streams_, ids_.data(), size(), n, b.data());
  for (int k = 0; k < size(); ++k) setBits(k, b.data() + static_cast<std::size_t>(k) * n);
}

void ClassicalChains::groupIds(int g, std::uint32_t* out) const {
  for (int l = 0; l < kLanes; ++l) out[l] = ids_[std::min(g * kLanes + l, size() - 1)];
}

simd::VF ClassicalChains::groupBetas(int g, const float* beta) const {
  alignas(64) float b[kLanes];
  for (int l = 0; l < kLanes; ++l) b[l] = beta[std::min(g * kLanes + l, size() - 1)];
  return simd::load<simd::VF>(b);
}

LaneDraws ClassicalChains::groupDraws(int g, std::uint32_t step) const {
  alignas(64) std::uint32_t ids[kLanes];
  groupIds(g, ids);
  return LaneDraws(streams_.key, step, ids, streams_.realization);
}

}  // namespace vna
