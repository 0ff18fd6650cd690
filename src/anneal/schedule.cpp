#include "anneal/schedule.hpp"

#include <cmath>

#include "core/error.hpp"

namespace vna {

ScheduleShape parseScheduleShape(const std::string& name) {
  if (name == "linear") return ScheduleShape::kLinear;
  if (name == "quadratic") return ScheduleShape::kQuadratic;
  if (name == "cosine") return ScheduleShape::kCosine;
  throw InputError("anneal.schedule: unknown schedule '" + name + "'");
}

double AnnealPlan::fractionAtStep(std::int64_t a) const {
  if (a <= 0 || annealing == 0) return 1.0;
  const double x = static_cast<double>(a) / static_cast<double>(annealing);
  switch (shape) {
    case ScheduleShape::kLinear: return 1.0 - x;
    case ScheduleShape::kQuadratic: return (1.0 - x) * (1.0 - x);
    case ScheduleShape::kCosine: return 0.5 * (1.0 + std::cos(M_PI * x));
  }
  return 1.0 - x;
}

}  // namespace vna
