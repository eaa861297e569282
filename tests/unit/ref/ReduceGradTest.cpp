//===- ReduceGradTest.cpp - Reference reduce_max backward -----------------===//

#include "backends/ref/kernels/ReduceGrad.h"

#include "GradCheck.h"

using namespace nnc;
using namespace nnc::ref::test;

namespace {

/// The forward's result shape of x [2, 3, 4] for `attrs`.
Shape reducedShape(const ref::ReduceAttrs &attrs) {
  Shape x = {2, 3, 4}, result;
  for (int64_t i = 0; i < 3; ++i) {
    bool reduced = attrs.axes.empty();
    for (int64_t axis : attrs.axes)
      reduced |= axis == i || axis + 3 == i;
    if (!reduced)
      result.push_back(x[static_cast<size_t>(i)]);
    else if (attrs.keepDims)
      result.push_back(1);
  }
  return result;
}

TEST(ReduceGradTest, MatchesFiniteDifferencesForEveryAxisSet) {
  // Random values are distinct, so reduce_max is differentiable there.
  std::vector<ref::ReduceAttrs> cases = {
      {{}, false}, {{0}, false}, {{1}, true}, {{-1}, false}, {{0, 2}, true}};
  uint64_t seed = 10;
  for (const ref::ReduceAttrs &attrs : cases) {
    SCOPED_TRACE(::testing::Message()
                 << "axes " << rt::shapeToString(attrs.axes) << " keepdims "
                 << attrs.keepDims);
    Shape shape = reducedShape(attrs);
    Tensor x = randomTensor({2, 3, 4}, seed++);
    Tensor dy = randomTensor(shape, seed++);
    auto forward = [&] {
      return runF64(shape,
                    [&](Tensor &y) { return ref::reduceMax(x, attrs, y); });
    };
    Tensor y = forward();
    Tensor dx = runF64({2, 3, 4}, [&](Tensor &out) {
      return ref::reduceMaxGrad(x, y, dy, attrs, out);
    });
    expectMatchesFiniteDifferences(dx, forward, x, dy);
  }
}

TEST(ReduceGradTest, TiesShareTheGradientEvenly) {
  // Row 0 has its maximum 3 twice, row 1 three times 1, row 2 once.
  Tensor x = make({3, 3}, {3, 1, 3, 1, 1, 1, 0, 2, -1});
  Tensor y = make({3}, {3, 1, 2});
  Tensor dy = make({3}, {6, 6, 6});
  Tensor dx = zeros(DType::F32, {3, 3});
  ASSERT_OK(ref::reduceMaxGrad(x, y, dy, {{1}, false}, dx));
  expectValues(dx, {3, 0, 3, 2, 2, 2, 0, 6, 0}, 1e-6);
}

TEST(ReduceGradTest, Errors) {
  Tensor dx = zeros(DType::F32, {2, 2});
  EXPECT_ERROR(ref::reduceMaxGrad(make({2, 2}, {1, 2, 3, 4}), make({2}, {2, 4}),
                                  make({2, 1}, {1, 1}), {{1}, false}, dx),
               "reduce_max_grad: dy has shape [2, 1], expected [2]");
  EXPECT_ERROR(ref::reduceMaxGrad(make({2, 2}, {1, 2, 3, 4}), make({2}, {2, 4}),
                                  make({2}, {1, 1}), {{1, -1}, false}, dx),
               "reduce_max_grad: axis -1 is repeated");
}

} // namespace
