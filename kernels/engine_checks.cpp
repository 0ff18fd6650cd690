#include "engine_checks.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace vna {
namespace engine_checks {

void params(const char* what, std::size_t entries, const ParamLayout& layout) {
  if (entries != layout.total)
    throw Error(fmt::format("{}: parameter sets have {} entries, the {} d_h={} layout {}", what, entries,
                            cellKindName(layout.cell), layout.hidden, layout.total));
}

void bits(const char* what, std::size_t p, std::size_t m, std::size_t n, std::size_t P, std::size_t N, long M) {
  if (p != P || n != N || (M >= 0 && m != static_cast<std::size_t>(M)))
    throw Error(fmt::format("{}: configurations are [{}][{}][{}], expected [{}][{}][{}]", what, p, m, n, P,
                            M >= 0 ? std::to_string(M) : std::string("M"), N));
}

void perSample(const char* what, const char* name, std::size_t p, std::size_t m, std::size_t P, std::size_t M) {
  if (p != P || m != M) throw Error(fmt::format("{}: {} is [{}][{}], expected [{}][{}]", what, name, p, m, P, M));
}

void perSet(const char* what, const char* name, std::size_t p, std::size_t n, std::size_t P, std::size_t n_expected) {
  if (p != P || n != n_expected)
    throw Error(fmt::format("{}: {} is [{}][{}], expected [{}][{}]", what, name, p, n, P, n_expected));
}

void streamIds(const char* what, std::size_t ids, std::size_t P) {
  if (ids != P) throw Error(fmt::format("{}: {} stream ids for {} parameter sets", what, ids, P));
}

void flipShape(const char* what, std::size_t p, std::size_t m, std::size_t n, std::size_t P, std::size_t M,
               std::size_t N) {
  if (p != P || m != M || n != N)
    throw Error(fmt::format("{}: logp_flip is [{}][{}][{}], expected [{}][{}][{}]", what, p, m, n, P, M, N));
}

void kept(const char* what, const KeptBatch& kept, std::size_t P, std::size_t M) {
  if (kept.valid && kept.sets == P && kept.samples == M) return;
  throw Error(fmt::format(
      "{}: needs the activations of a sample()/logProb() with Activations::kKeep on the same [{}][{}] batch "
      "(kept: {})",
      what, P, M, kept.valid ? fmt::format("[{}][{}]", kept.sets, kept.samples) : std::string("none")));
}

void throwBitsDiffer(const char* what, long long count) {
  throw Error(fmt::format(
      "{}: {} bits differ from those of the kept activations (call sample()/logProb() with Activations::kKeep on "
      "these bits first)",
      what, count));
}

}  // namespace engine_checks
}  // namespace vna
