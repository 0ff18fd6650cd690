#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "fast_math.hpp"

namespace vna {

// Origin of the tolerances: the polynomial truncation errors stated in fast_math.hpp are below
// 1e-8 (float) and 1e-17 (double) relative, so the result is dominated by rounding in Horner's
// scheme and the final scaling: a few ulp. We allow 4 ulp of Scalar, relative to std::exp/log1p
// evaluated in long double.
template <class Scalar>
void checkExp() {
  const long double eps = std::numeric_limits<Scalar>::epsilon();
  long double worst = 0;
  for (int i = 0; i <= 200000; ++i) {
    const Scalar x = static_cast<Scalar>(-80.0 + 160.0 * i / 200000.0);
    const long double ref = std::exp(static_cast<long double>(x));
    worst = std::max(worst, std::abs(fastmath::exp(x) - ref) / ref);
  }
  EXPECT_LT(worst, 4 * eps);
  EXPECT_EQ(fastmath::exp(Scalar(0)), Scalar(1));  // Origin: e^0 = 1 exactly (n = 0, r = 0)
}

template <class Scalar>
void checkLog1p() {
  const long double eps = std::numeric_limits<Scalar>::epsilon();
  long double worst = 0;
  for (int i = 0; i <= 200000; ++i) {
    const Scalar t = i == 0 ? Scalar(1e-30) : static_cast<Scalar>(i / 200000.0);
    const long double ref = std::log1p(static_cast<long double>(t));
    worst = std::max(worst, std::abs(fastmath::log1pUnit(t) - ref) / ref);
  }
  EXPECT_LT(worst, 4 * eps);
  EXPECT_EQ(fastmath::log1pUnit(Scalar(0)), Scalar(0));  // Origin: log 1 = 0 (z = 0)
}

TEST(FastMath, ExpFloat) { checkExp<float>(); }
TEST(FastMath, ExpDouble) { checkExp<double>(); }
TEST(FastMath, Log1pFloat) { checkLog1p<float>(); }
TEST(FastMath, Log1pDouble) { checkLog1p<double>(); }

// Origin: the clamp keeps 2^n normal, so very negative arguments give exp(kMinArg) > 0, not 0 or NaN.
TEST(FastMath, ExpClampsToNormalRange) {
  EXPECT_GT(fastmath::exp(-1000.0f), 0.0f);
  EXPECT_TRUE(std::isfinite(fastmath::exp(1000.0f)));
  EXPECT_GT(fastmath::exp(-1e5), 0.0);
}

}  // namespace vna
