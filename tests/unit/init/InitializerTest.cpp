//===- InitializerTest.cpp - Parameter initializers -----------------------===//

#include "runtime/Initializer.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace nnc::rt;

namespace {

Tensor make(Shape shape, const InitializerSpec &spec,
            DType dtype = DType::F32) {
  Expected<Tensor> tensor = Tensor::create(dtype, std::move(shape));
  EXPECT_TRUE(tensor.ok());
  Error error = initialize(tensor->view(), spec);
  EXPECT_TRUE(error.ok()) << error.message();
  return std::move(*tensor);
}

struct Moments {
  double mean = 0, variance = 0, min = INFINITY, max = -INFINITY;
};

Moments momentsOf(const Tensor &tensor) {
  Moments m;
  int64_t n = tensor.view().numElements();
  const float *data = tensor.view().data<float>();
  for (int64_t i = 0; i < n; ++i) {
    m.mean += data[i];
    m.min = std::min(m.min, double(data[i]));
    m.max = std::max(m.max, double(data[i]));
  }
  m.mean /= n;
  for (int64_t i = 0; i < n; ++i)
    m.variance += (data[i] - m.mean) * (data[i] - m.mean);
  m.variance /= n;
  return m;
}

TEST(InitializerTest, ConstantKinds) {
  Tensor zeros = make({3, 4}, {"zeros", {}, 0});
  Tensor ones = make({5}, {"ones", {}, 0});
  Tensor seven = make({2, 2}, {"constant", {{"value", 7.5}}, 0}, DType::F64);
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(zeros.view().data<float>()[i], 0.0f);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(ones.view().data<float>()[i], 1.0f);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(seven.view().data<double>()[i], 7.5);
}

TEST(InitializerTest, TriangularKinds) {
  // [2, 3, 4]: two stacks of 3 x 4; (row, column) holds when column <= row.
  Tensor tril = make({2, 3, 4}, {"tril", {}, 0});
  Tensor mask = make({2, 3, 4}, {"causal_mask", {}, 0});
  for (int s = 0; s < 2; ++s)
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) {
        int i = (s * 3 + r) * 4 + c;
        EXPECT_EQ(tril.view().data<float>()[i], c <= r ? 1.0f : 0.0f) << i;
        EXPECT_EQ(mask.view().data<float>()[i], c <= r ? 0.0f : -INFINITY) << i;
      }
  Expected<Tensor> vector = Tensor::create(DType::F32, {4});
  ASSERT_TRUE(vector.ok());
  EXPECT_FALSE(initialize(vector->view(), {"tril", {}, 0}).ok());
}

TEST(InitializerTest, UniformMatchesItsMoments) {
  Tensor t = make({200000}, {"uniform", {{"low", -2.0}, {"high", 4.0}}, 11});
  Moments m = momentsOf(t);
  EXPECT_GE(m.min, -2.0);
  EXPECT_LT(m.max, 4.0);
  EXPECT_NEAR(m.mean, 1.0, 0.02);
  EXPECT_NEAR(m.variance, 36.0 / 12.0, 0.03); // (high - low)^2 / 12
}

TEST(InitializerTest, NormalMatchesItsMoments) {
  Tensor t = make({200000}, {"normal", {{"mean", 3.0}, {"std", 0.5}}, 5});
  Moments m = momentsOf(t);
  EXPECT_NEAR(m.mean, 3.0, 0.005);
  EXPECT_NEAR(std::sqrt(m.variance), 0.5, 0.005);
}

TEST(InitializerTest, GlorotAndHeFollowTheFans) {
  // [in=300, out=500]: glorot limit sqrt(6 / 800); he std sqrt(2 / 300).
  Tensor glorot = make({300, 500}, {"glorot", {}, 1});
  Moments g = momentsOf(glorot);
  double limit = std::sqrt(6.0 / 800.0);
  EXPECT_GE(g.min, -limit);
  EXPECT_LE(g.max, limit);
  EXPECT_GT(g.max, 0.99 * limit);
  Tensor he = make({300, 500}, {"he", {}, 2});
  EXPECT_NEAR(std::sqrt(momentsOf(he).variance), std::sqrt(2.0 / 300.0),
              0.002);
  // A conv kernel [f=16, c=8, 3, 3] has fan_in 72 and fan_out 144.
  double fanIn = 0, fanOut = 0;
  computeFans({16, 8, 3, 3}, fanIn, fanOut);
  EXPECT_EQ(fanIn, 72);
  EXPECT_EQ(fanOut, 144);
}

TEST(InitializerTest, SameSeedSameValuesOtherSeedOtherValues) {
  Tensor a = make({64}, {"normal", {}, 42});
  Tensor b = make({64}, {"normal", {}, 42});
  Tensor c = make({64}, {"normal", {}, 43});
  int differ = 0;
  for (int i = 0; i < 64; ++i) {
    EXPECT_EQ(a.view().data<float>()[i], b.view().data<float>()[i]);
    differ += a.view().data<float>()[i] != c.view().data<float>()[i];
  }
  EXPECT_GT(differ, 60);
  EXPECT_EQ(mixSeeds(42, 0), 42u);
  EXPECT_NE(mixSeeds(42, 1), mixSeeds(42, 2));
}

TEST(InitializerTest, IntegerTensorsTakeWholeConstants) {
  Expected<Tensor> ints = Tensor::create(DType::I32, {3});
  Expected<Tensor> longs = Tensor::create(DType::I64, {2});
  ASSERT_TRUE(ints.ok() && longs.ok());
  ASSERT_TRUE(initialize(ints->view(), {"ones", {}, 0}).ok());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(ints->view().data<int32_t>()[i], 1);
  ASSERT_TRUE(
      initialize(ints->view(), {"constant", {{"value", -2147483648.0}}, 0})
          .ok());
  EXPECT_EQ(ints->view().data<int32_t>()[2], INT32_MIN);
  ASSERT_TRUE(
      initialize(longs->view(), {"constant", {{"value", 0x1p40}}, 0}).ok());
  EXPECT_EQ(longs->view().data<int64_t>()[1], int64_t(1) << 40);
}

TEST(InitializerTest, Errors) {
  Expected<Tensor> ints = Tensor::create(DType::I32, {3});
  ASSERT_TRUE(ints.ok());
  EXPECT_EQ(initialize(ints->view(), {"normal", {}, 0}).message(),
            "initializer 'normal' needs a float tensor, got i32[3] (an "
            "integer tensor takes zeros, ones or constant)");
  EXPECT_EQ(
      initialize(ints->view(), {"constant", {{"value", 2.5}}, 0}).message(),
      "initializer 'constant': i32[3] cannot hold the value 2.5");
  EXPECT_EQ(
      initialize(ints->view(), {"constant", {{"value", 0x1p31}}, 0}).message(),
      "initializer 'constant': i32[3] cannot hold the value 2147483648");
  Expected<Tensor> floats = Tensor::create(DType::F32, {3});
  ASSERT_TRUE(floats.ok());
  EXPECT_EQ(initialize(floats->view(), {"bogus", {}, 0}).message(),
            "unknown initializer 'bogus'");
  EXPECT_EQ(
      initialize(floats->view(), {"uniform", {{"low", 1}, {"high", 0}}, 0})
          .message(),
      "initializer 'uniform' needs low <= high");
}

} // namespace
