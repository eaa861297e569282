//===- LossGradTest.cpp - Reference loss backward ops ---------------------===//

#include "backends/ref/kernels/LossGrad.h"

#include "backends/ref/kernels/Loss.h"

#include "GradCheck.h"

using namespace nnc;
using namespace nnc::ref::test;

namespace {

TEST(LossGradTest, SoftmaxCrossEntropyMatchesFiniteDifferences) {
  Tensor logits = randomTensor({4, 5}, 300, -3, 3);
  Tensor labels = make<int64_t>({4}, {0, 4, 2, 2});
  Tensor dloss = make<double>({}, {1.5});
  Tensor dx = runF64({4, 5}, [&](Tensor &out) {
    return ref::softmaxCrossEntropyGrad(logits, labels, dloss, -100, out);
  });
  expectMatchesFiniteDifferences(
      dx,
      [&] {
        return runF64({}, [&](Tensor &l) {
          return ref::softmaxCrossEntropy(logits, labels, -100, l);
        });
      },
      logits, dloss);
}

TEST(LossGradTest, SoftmaxCrossEntropyWithIgnoredRowsMatchesFiniteDifferences) {
  // Rows 1 and 3 are ignored: their gradient is 0 and the others are
  // divided by 2, not 4.
  Tensor logits = randomTensor({4, 5}, 301, -3, 3);
  Tensor labels = make<int64_t>({4}, {0, 7, 2, 7});
  Tensor dloss = make<double>({}, {1.5});
  Tensor dx = runF64({4, 5}, [&](Tensor &out) {
    return ref::softmaxCrossEntropyGrad(logits, labels, dloss, 7, out);
  });
  for (int64_t j = 0; j < 5; ++j) {
    EXPECT_EQ(dx.data<double>()[5 + j], 0.0);
    EXPECT_EQ(dx.data<double>()[15 + j], 0.0);
  }
  expectMatchesFiniteDifferences(
      dx,
      [&] {
        return runF64({}, [&](Tensor &l) {
          return ref::softmaxCrossEntropy(logits, labels, 7, l);
        });
      },
      logits, dloss);
}

TEST(LossGradTest, SoftmaxCrossEntropyHandValuesInF32) {
  // Uniform rows: softmax 1/2 each; n = 2, dloss = 1.
  Tensor dx = zeros(DType::F32, {2, 2});
  ASSERT_OK(ref::softmaxCrossEntropyGrad(make({2, 2}, {0, 0, 3, 3}),
                                         make<int32_t>({2}, {1, 0}),
                                         make({}, {1}), -100, dx));
  expectValues(dx, {0.25, -0.25, -0.25, 0.25}, 1e-7);
}

TEST(LossGradTest, BinaryCrossEntropyMatchesFiniteDifferences) {
  // p away from 0 and 1, where the forward's log clamp is inactive; the
  // second case broadcasts the target, so the terms add up into p.
  struct Case {
    Shape p, t;
  };
  uint64_t seed = 310;
  for (const Case &c :
       {Case{{2, 3}, {2, 3}}, Case{{3}, {2, 3}}, Case{{2, 1}, {2, 4}}}) {
    SCOPED_TRACE(rt::shapeToString(c.p) + " with " + rt::shapeToString(c.t));
    Tensor p = randomTensor(c.p, seed++, 0.1, 0.9);
    Tensor t = randomTensor(c.t, seed++, 0, 1);
    Tensor dloss = make<double>({}, {-0.7});
    Tensor dp = runF64(c.p, [&](Tensor &out) {
      return ref::binaryCrossEntropyGrad(p, t, dloss, out);
    });
    expectMatchesFiniteDifferences(
        dp,
        [&] {
          return runF64(
              {}, [&](Tensor &l) { return ref::binaryCrossEntropy(p, t, l); });
        },
        p, dloss);
  }
}

TEST(LossGradTest, BinaryCrossEntropyFloorsTheDenominator) {
  // p = 1, t = 0: (1 - 0) / max(0, 1e-12) / 2; p = 0.5, t = 1: -0.5 / 0.25 / 2.
  Tensor dp = zeros(DType::F64, {2});
  ASSERT_OK(ref::binaryCrossEntropyGrad(make<double>({2}, {1, 0.5}),
                                        make<double>({2}, {0, 1}),
                                        make<double>({}, {1}), dp));
  expectValues(dp, {0.5e12, -1}, 1e-3);
}

TEST(LossGradTest, Errors) {
  Tensor dx = zeros(DType::F32, {1, 2});
  EXPECT_ERROR(ref::softmaxCrossEntropyGrad(make({1, 2}, {0, 0}),
                                            make<int64_t>({1}, {2}),
                                            make({}, {1}), -100, dx),
               "softmax_cross_entropy_grad: label 2 of row 0 is out of range "
               "[0, 2)");
  EXPECT_ERROR(ref::softmaxCrossEntropyGrad(make({1, 2}, {0, 0}),
                                            make<int64_t>({1}, {0}),
                                            make({1}, {1}), -100, dx),
               "softmax_cross_entropy_grad: dloss has shape [1], expected []");
  Tensor dp = zeros(DType::F32, {1});
  EXPECT_ERROR(ref::binaryCrossEntropyGrad(make({1}, {1.5f}), make({1}, {1}),
                                           make({}, {1}), dp),
               "binary_cross_entropy_grad: probability 1.5 is outside [0, 1]");
}

} // namespace
