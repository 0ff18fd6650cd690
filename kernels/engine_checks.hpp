#pragma once
// Argument checks of the engine calls, written once for every backend: RnnEngine's front end checks
// every call before a backend sees it (shapes against the layout and against each other, kept
// activations), and the backends report bits that differ from the kept ones with the same message.
// All throw vna::Error naming the call ("RnnEngine::gradient: ...").
#include <cstddef>
#include <string>

#include "param_layout.hpp"

namespace vna {
namespace engine_checks {

// params [P][n]: n must be the layout's size.
void params(const char* what, std::size_t entries, const ParamLayout& layout);
// bits [p][m][n] against [P][M][N]; M < 0: any number of samples.
void bits(const char* what, std::size_t p, std::size_t m, std::size_t n, std::size_t P, std::size_t N, long M = -1);
// A per-sample array `name` [p][m] against [P][M].
void perSample(const char* what, const char* name, std::size_t p, std::size_t m, std::size_t P, std::size_t M);
// A per-set array `name` [p][n] against [P][n_expected].
void perSet(const char* what, const char* name, std::size_t p, std::size_t n, std::size_t P, std::size_t n_expected);
void streamIds(const char* what, std::size_t ids, std::size_t P);
void flipShape(const char* what, std::size_t p, std::size_t m, std::size_t n, std::size_t P, std::size_t M,
               std::size_t N);

// What gradient() and logProbFlips() need: the activations kept by the last sample()/logProb() with
// Activations::kKeep, on a batch of the same [P][M].
struct KeptBatch {
  bool valid = false;
  std::size_t sets = 0, samples = 0;
};
void kept(const char* what, const KeptBatch& kept, std::size_t P, std::size_t M);
// Thrown by a backend that found `count` bits differing from those of the kept activations.
[[noreturn]] void throwBitsDiffer(const char* what, long long count);

}  // namespace engine_checks
}  // namespace vna
