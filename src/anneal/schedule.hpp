#pragma once
// The annealing protocol as a sequence of Adam updates u = 0 .. U-1: `warmup` updates at the initial
// temperature/field, then annealing steps a = 1..A, each setting the control parameter to
// x0 · s(a/A) (s(0) = 1, s(1) = 0) and doing `train` updates. U = warmup + A · train.
// A schedule may end above zero: with an end value x_end the step sets x_end + (x0 − x_end) · s(a/A)
// (scheduledValue), e.g. a final temperature T_final > 0 that keeps an entropy term to the end.
#include <cstdint>
#include <string>

namespace vna {

enum class ScheduleShape { kLinear, kQuadratic, kCosine };
ScheduleShape parseScheduleShape(const std::string& name);

struct AnnealPlan {
  std::int64_t warmup = 0, annealing = 0, train = 1;
  ScheduleShape shape = ScheduleShape::kLinear;

  std::int64_t numUpdates() const { return warmup + annealing * train; }
  // Annealing step of update u: 0 during warmup, else 1..A.
  std::int64_t stepOf(std::int64_t u) const { return u < warmup ? 0 : (u - warmup) / train + 1; }
  // s(a/A) for annealing step a (1 for a = 0).
  double fractionAtStep(std::int64_t a) const;
  double fraction(std::int64_t u) const { return fractionAtStep(stepOf(u)); }
  // Last update of annealing step a (a = 0: last warmup update, -1 when there is no warmup).
  std::int64_t lastUpdateOfStep(std::int64_t a) const { return a == 0 ? warmup - 1 : warmup + a * train - 1; }
};

// The control value (T or Γ) at schedule fraction s: from `start` (s = 1) to `end` (s = 0).
inline double scheduledValue(double start, double end, double fraction) { return end + (start - end) * fraction; }

}  // namespace vna
