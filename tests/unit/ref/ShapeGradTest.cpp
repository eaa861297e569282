//===- ShapeGradTest.cpp - Reference slice_grad and gather_grad -----------===//

#include "backends/ref/kernels/ShapeGrad.h"

#include "GradCheck.h"

#include <limits>

using namespace nnc;
using namespace nnc::ref::test;

namespace {

TEST(ShapeGradTest, SliceGradMatchesFiniteDifferences) {
  // Negative start, a step, an end past the extent and an untouched axis.
  ref::SliceAttrs attrs;
  attrs.axes = {2, 0};
  attrs.starts = {-4, 1};
  attrs.ends = {std::numeric_limits<int64_t>::max(), 3};
  attrs.steps = {2, 1};
  Tensor x = randomTensor({3, 2, 5}, 40);
  Shape sliced = {2, 2, 2}; // axis 0: rows 1, 2; axis 2: 1, 3.
  Tensor dy = randomTensor(sliced, 41);
  Tensor dx = runF64(
      {3, 2, 5}, [&](Tensor &out) { return ref::sliceGrad(dy, attrs, out); });
  expectMatchesFiniteDifferences(
      dx,
      [&] {
        return runF64(sliced,
                      [&](Tensor &y) { return ref::slice(x, attrs, y); });
      },
      x, dy);
}

TEST(ShapeGradTest, SliceGradZeroFillsAndKeepsIntegers) {
  ref::SliceAttrs attrs;
  attrs.starts = {1};
  attrs.ends = {3};
  Tensor out = make<int32_t>({4}, {9, 9, 9, 9});
  ASSERT_OK(ref::sliceGrad(make<int32_t>({2}, {5, 6}), attrs, out));
  expectValues(out, {0, 5, 6, 0}, 0);
}

TEST(ShapeGradTest, GatherGradMatchesFiniteDifferences) {
  // Repeated indices must add up.
  for (int64_t axis : {0, 1, -1}) {
    SCOPED_TRACE(::testing::Message() << "axis " << axis);
    Tensor x = randomTensor({3, 4}, 50);
    Tensor indices = make<int64_t>({2, 2}, {2, 0, 2, 2});
    int64_t a = axis < 0 ? axis + 2 : axis;
    Shape gathered = a == 0 ? Shape{2, 2, 4} : Shape{3, 2, 2};
    Tensor dy = randomTensor(gathered, 51);
    ref::GatherAttrs attrs{axis};
    Tensor dx = runF64({3, 4}, [&](Tensor &out) {
      return ref::gatherGrad(dy, indices, attrs, out);
    });
    expectMatchesFiniteDifferences(
        dx,
        [&] {
          return runF64(gathered, [&](Tensor &y) {
            return ref::gather(x, indices, attrs, y);
          });
        },
        x, dy);
  }
}

TEST(ShapeGradTest, GatherGradScatterAddsInF32) {
  Tensor out = zeros(DType::F32, {3, 1});
  ASSERT_OK(ref::gatherGrad(make({3, 1}, {1, 2, 4}),
                            make<int32_t>({3}, {2, 2, 0}), {0}, out));
  expectValues(out, {4, 0, 3}, 0);
}

TEST(ShapeGradTest, Errors) {
  Tensor out = make({3}, {7, 7, 7});
  EXPECT_ERROR(
      ref::gatherGrad(make({2}, {1, 2}), make<int64_t>({2}, {0, 3}), {0}, out),
      "gather_grad: index 3 is out of range [0, 3)");
  // A bad index leaves out untouched.
  expectValues(out, {7, 7, 7}, 0);
  EXPECT_ERROR(
      ref::gatherGrad(make({2}, {1, 2}), make<int64_t>({2}, {0, -1}), {0}, out),
      "gather_grad: index -1 is out of range [0, 3)");
  EXPECT_ERROR(ref::gatherGrad(make({3}, {1, 2, 3}), make<int64_t>({2}, {0, 1}),
                               {0}, out),
               "gather_grad: dy has shape [3], expected [2]");
  ref::SliceAttrs attrs;
  attrs.starts = {0};
  attrs.ends = {2};
  EXPECT_ERROR(ref::sliceGrad(make({3}, {1, 2, 3}), attrs, out),
               "slice_grad: dy has shape [3], expected [2]");
  attrs.steps = {0};
  EXPECT_ERROR(ref::sliceGrad(make({2}, {1, 2}), attrs, out),
               "slice_grad: step 0 is not positive");
}

} // namespace
