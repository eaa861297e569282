//===- LossTest.cpp - Reference losses ------------------------------------===//

#include "backends/ref/kernels/Loss.h"

#include "KernelTestSupport.h"

#include <cmath>

using namespace nnc;
using namespace nnc::ref::test;

namespace {

TEST(LossTest, MeanSquaredError) {
  Tensor loss = zeros(DType::F32, {});
  ASSERT_OK(ref::mse(make({3}, {1, 2, 3}), make({3}, {1, 1, 1}), loss));
  expectValues(loss, {5.0 / 3});
  // A [2] target broadcasts over the rows of a [2, 2] prediction.
  ASSERT_OK(ref::mse(make({2, 2}, {1, 2, 3, 4}), make({2}, {1, 2}), loss));
  expectValues(loss, {(0 + 0 + 4 + 4) / 4.0});
  EXPECT_ERROR(ref::mse(iota({3}), iota({3}), zeros(DType::F32, {1})),
               "mse: output has shape [1], expected []");
}

TEST(LossTest, BinaryCrossEntropy) {
  Tensor loss = zeros(DType::F64, {});
  ASSERT_OK(ref::binaryCrossEntropy(make<double>({2}, {0.9, 0.2}),
                                    make<double>({2}, {1, 0}), loss));
  expectValues(loss, {-(std::log(0.9) + std::log(0.8)) / 2}, 1e-15);
  // p = 1/2 costs log 2 whatever the target.
  ASSERT_OK(ref::binaryCrossEntropy(make<double>({3}, {0.5, 0.5, 0.5}),
                                    make<double>({3}, {0, 0.3, 1}), loss));
  expectValues(loss, {std::log(2.0)}, 1e-15);
  // Certain and wrong: the log is clamped at -100, as in PyTorch.
  ASSERT_OK(ref::binaryCrossEntropy(make<double>({2}, {0, 1}),
                                    make<double>({2}, {1, 1}), loss));
  expectValues(loss, {50}, 1e-12);
  EXPECT_ERROR(ref::binaryCrossEntropy(make<double>({1}, {1.5}),
                                       make<double>({1}, {1}), loss),
               "binary_cross_entropy: probability 1.5 is outside [0, 1]");
}

TEST(LossTest, SoftmaxCrossEntropyUniformLogitsIsLogC) {
  Tensor loss = zeros(DType::F32, {});
  ASSERT_OK(ref::softmaxCrossEntropy(zeros(DType::F32, {4, 10}),
                                     make<int32_t>({4}, {0, 3, 9, 5}), -100,
                                     loss));
  expectValues(loss, {std::log(10.0)});
}

TEST(LossTest, SoftmaxCrossEntropyKnownAndStable) {
  Tensor loss = zeros(DType::F64, {});
  ASSERT_OK(ref::softmaxCrossEntropy(make<double>({1, 3}, {1, 2, 3}),
                                     make<int64_t>({1}, {2}), -100, loss));
  double logSumExp = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  expectValues(loss, {logSumExp - 3}, 1e-15);
  // Huge logits: a naive exp would overflow.
  ASSERT_OK(ref::softmaxCrossEntropy(make<double>({2, 2}, {1000, 0, 0, 1000}),
                                     make<int64_t>({2}, {0, 0}), -100, loss));
  expectValues(loss, {500}, 1e-9);
}

TEST(LossTest, SoftmaxCrossEntropyLeavesIgnoredRowsOut) {
  // Row 1 is labelled with the ignore index: the mean is row 0's loss alone,
  // not half of it, and row 1's logits (a label of -1 would be out of range
  // otherwise) are never looked at.
  Tensor loss = zeros(DType::F64, {});
  ASSERT_OK(ref::softmaxCrossEntropy(make<double>({2, 3}, {1, 2, 3, 9, 9, 9}),
                                     make<int64_t>({2}, {2, -1}), -1, loss));
  double logSumExp = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  expectValues(loss, {logSumExp - 3}, 1e-15);
  // Every row ignored (a batch of padding): 0, not PyTorch's 0 / 0, which
  // stopped training as a diverged loss.
  ASSERT_OK(ref::softmaxCrossEntropy(make<double>({1, 3}, {1, 2, 3}),
                                     make<int64_t>({1}, {-100}), -100, loss));
  EXPECT_EQ(loss.data<double>()[0], 0.0);
}

TEST(LossTest, SoftmaxCrossEntropyLabelErrors) {
  Tensor loss = zeros(DType::F32, {});
  EXPECT_ERROR(ref::softmaxCrossEntropy(zeros(DType::F32, {2, 3}),
                                        make<int64_t>({2}, {0, 3}), -100, loss),
               "softmax_cross_entropy: label 3 of row 1 is out of range [0, "
               "3)");
  EXPECT_ERROR(ref::softmaxCrossEntropy(zeros(DType::F32, {2, 3}),
                                        make<int32_t>({2}, {-1, 0}), -100,
                                        loss),
               "softmax_cross_entropy: label -1 of row 0 is out of range [0, "
               "3)");
  EXPECT_ERROR(ref::softmaxCrossEntropy(zeros(DType::F32, {2, 3}),
                                        make({2}, {0, 1}), -100, loss),
               "softmax_cross_entropy: expected i32 or i64 indices, got f32");
}

} // namespace
