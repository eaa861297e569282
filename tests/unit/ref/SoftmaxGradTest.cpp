//===- SoftmaxGradTest.cpp - Reference softmax backward ops ---------------===//

#include "backends/ref/kernels/SoftmaxGrad.h"

#include "GradCheck.h"

using namespace nnc;
using namespace nnc::ref::test;

namespace {

TEST(SoftmaxGradTest, MatchesFiniteDifferencesOnEveryAxis) {
  uint64_t seed = 20;
  for (int64_t axis : {0, 1, 2, -1}) {
    SCOPED_TRACE(::testing::Message() << "axis " << axis);
    Tensor x = randomTensor({2, 3, 4}, seed++, -2, 2);
    Tensor dy = randomTensor({2, 3, 4}, seed++);
    ref::SoftmaxAttrs attrs{axis};
    auto forward = [&] {
      return runF64({2, 3, 4},
                    [&](Tensor &y) { return ref::softmax(x, attrs, y); });
    };
    Tensor y = forward();
    Tensor dx = runF64({2, 3, 4}, [&](Tensor &out) {
      return ref::softmaxGrad(y, dy, attrs, out);
    });
    expectMatchesFiniteDifferences(dx, forward, x, dy);
  }
}

TEST(SoftmaxGradTest, LogSoftmaxMatchesFiniteDifferencesOnEveryAxis) {
  uint64_t seed = 30;
  for (int64_t axis : {0, 1, -1}) {
    SCOPED_TRACE(::testing::Message() << "axis " << axis);
    Tensor x = randomTensor({3, 5}, seed++, -3, 3);
    Tensor dy = randomTensor({3, 5}, seed++);
    ref::SoftmaxAttrs attrs{axis};
    auto forward = [&] {
      return runF64({3, 5},
                    [&](Tensor &y) { return ref::logSoftmax(x, attrs, y); });
    };
    Tensor y = forward();
    Tensor dx = runF64({3, 5}, [&](Tensor &out) {
      return ref::logSoftmaxGrad(y, dy, attrs, out);
    });
    expectMatchesFiniteDifferences(dx, forward, x, dy);
  }
}

TEST(SoftmaxGradTest, HandValuesInF32) {
  // y = [1/2, 1/2], dy = [1, 0]: sum dy*y = 1/2, dx = [1/4, -1/4].
  Tensor dx = zeros(DType::F32, {2});
  ASSERT_OK(
      ref::softmaxGrad(make({2}, {0.5f, 0.5f}), make({2}, {1, 0}), {-1}, dx));
  expectValues(dx, {0.25, -0.25}, 1e-7);
  // log_softmax: y = log [1/2, 1/2], dy = [1, 1]: dx = 1 - 1/2 * 2 = 0.
  ASSERT_OK(ref::logSoftmaxGrad(make({2}, {std::log(0.5f), std::log(0.5f)}),
                                make({2}, {1, 1}), {0}, dx));
  expectValues(dx, {0, 0}, 1e-7);
}

TEST(SoftmaxGradTest, Errors) {
  Tensor dx = zeros(DType::F32, {2});
  EXPECT_ERROR(
      ref::softmaxGrad(make({2}, {0.5f, 0.5f}), make({2}, {1, 0}), {1}, dx),
      "softmax_grad: axis 1 is out of range for rank 1");
  EXPECT_ERROR(ref::logSoftmaxGrad(make({2}, {0.5f, 0.5f}),
                                   make({1, 2}, {1, 0}), {0}, dx),
               "log_softmax_grad: dy has shape [1, 2], expected [2]");
}

} // namespace
