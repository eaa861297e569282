//===- ShapeRules.h - Shape and dtype rules of the nn ops -------*- C++ -*-===//
//
// The single source of truth for how every nn op computes its result shape.
// It is plain C++ (no MLIR) so that the DSL's semantic checks and the
// dialect's result-type inference share one implementation, and so that the
// frontend can be fuzzed and sanitised without linking MLIR.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_SHAPERULES_H
#define NNC_IR_SHAPERULES_H

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::shape {

/// Marks a dimension whose extent is unknown until the model is specialised
/// for a batch size (the symbolic batch dimension). Equal in value to
/// mlir::ShapedType::kDynamic so conversions are the identity.
constexpr int64_t kDynamic = INT64_MIN;

using Shape = std::vector<int64_t>;

/// The largest rank a tensor may have, far above any real model's. Without
/// a bound, a rank in the thousands passed `nnc check` and then overflowed
/// the stack inside MLIR's lowering.
constexpr size_t kMaxRank = 32;

/// The outcome of a shape rule: a shape, or a message saying why the operands
/// are invalid. Messages are lower-case and without a final period, ready to
/// follow "error: ".
struct ShapeResult {
  Shape shape;
  std::string error;
  bool ok() const { return error.empty(); }
  static ShapeResult success(Shape s) { return {std::move(s), {}}; }
  static ShapeResult failure(std::string msg) { return {{}, std::move(msg)}; }
};

/// Renders a shape as "[?, 64]" for messages.
std::string toString(const Shape &shape);

/// NumPy broadcasting of two shapes. A dynamic dimension broadcasts with 1
/// or with another dynamic dimension; with a static extent above 1 it is an
/// error, because the batch size is only fixed at compile time.
ShapeResult broadcast(const Shape &lhs, const Shape &rhs);

/// NumPy broadcasting of three shapes (where's cond, a and b).
ShapeResult broadcast3(const Shape &first, const Shape &second,
                       const Shape &third);

/// Batched matmul: [..., m, k] x [..., k, n] -> [broadcast(...), m, n].
/// Both operands need rank >= 2.
ShapeResult matmul(const Shape &lhs, const Shape &rhs);

/// matmul with the last two axes of `lhs` (when `transposeLhs`) and of `rhs`
/// (when `transposeRhs`) swapped first, as nn.matmul's `transpose_lhs` and
/// `transpose_rhs` do: lhs [..., k, m] and rhs [..., n, k] when both are set.
/// Contracting over a dynamic extent is allowed, as in matmul, so a [?, k]
/// operand transposed is x^T with the batch as its inner extent.
ShapeResult matmulTransposed(const Shape &lhs, const Shape &rhs,
                             bool transposeLhs, bool transposeRhs);

/// Normalises a possibly negative axis against `rank`; returns -1 if it is
/// out of range.
int64_t normalizeAxis(int64_t axis, int64_t rank);

/// softmax / log_softmax: the shape is unchanged; the axis must be valid.
ShapeResult softmax(const Shape &input, int64_t axis);

/// reduce_sum / reduce_mean / reduce_max over `axes` (empty means every
/// axis). Repeated or out-of-range axes are errors.
ShapeResult reduce(const Shape &input, const std::vector<int64_t> &axes,
                   bool keepDims);

/// reshape: at most one -1 entry, inferred from the element count. A
/// dynamic input dimension goes into the -1 entry, which becomes dynamic:
/// merged with static extents or split from them, as long as the static
/// element counts of input and target divide one another.
ShapeResult reshape(const Shape &input, const std::vector<int64_t> &newShape);

/// transpose: `perm` must be a permutation of [0, rank); empty means
/// reversed axes.
ShapeResult transpose(const Shape &input, const std::vector<int64_t> &perm);

/// broadcast_to: `target` entries of -1 mean the dynamic batch dimension.
ShapeResult broadcastTo(const Shape &input, const std::vector<int64_t> &target);

/// concat along `axis`: equal ranks and equal extents off the axis.
ShapeResult concat(const std::vector<Shape> &inputs, int64_t axis);

/// slice: for each listed axis, elements [start, end) with a positive step.
/// Negative starts and ends count from the end; they are clamped like Python's.
ShapeResult slice(const Shape &input, const std::vector<int64_t> &axes,
                  const std::vector<int64_t> &starts,
                  const std::vector<int64_t> &ends,
                  const std::vector<int64_t> &steps);

/// Two-element spatial parameters: [height, width].
struct Window2d {
  int64_t kh = 1, kw = 1;
  int64_t strideH = 1, strideW = 1;
  int64_t padH = 0, padW = 0;
  int64_t dilationH = 1, dilationW = 1;
};

/// conv2d, NCHW input [n, c, h, w] and weights [f, c / groups, kh, kw]
/// (the window's kh/kw are taken from the weights); bias, if present, is [f].
ShapeResult conv2d(const Shape &input, const Shape &weight, const Shape *bias,
                   const Window2d &window, int64_t groups);

/// max_pool2d / avg_pool2d over NCHW input. Padding must be at most half the
/// kernel, as in PyTorch.
ShapeResult pool2d(const Shape &input, const Window2d &window);

/// batch_norm: input [n, c, ...] (rank >= 2); gamma, beta, mean and var [c].
ShapeResult batchNorm(const Shape &input, const Shape &gamma,
                      const Shape &beta, const Shape &mean, const Shape &var);

/// layer_norm: gamma and beta equal, non-empty and static, and equal to
/// input's trailing dimensions (which must be static); the result is input.
ShapeResult layerNorm(const Shape &input, const Shape &gamma,
                      const Shape &beta);

/// rms_norm: layerNorm's checks on input and gamma (there is no beta).
ShapeResult rmsNorm(const Shape &input, const Shape &gamma);

/// scaled_dot_product_attention: q [..., t, d], k [..., s, d] and v
/// [..., s, dv] of one rank (at least 2) with equal leading dimensions, and
/// an optional `mask` (null: none) that broadcasts to the scores [..., t, s];
/// the result is [..., t, dv].
ShapeResult attention(const Shape &q, const Shape &k, const Shape &v,
                      const Shape *mask);

/// The factor scaled_dot_product_attention multiplies the scores by: its
/// `scale` attribute, or 1 / sqrt(depth) when that is 0 (the default).
double attentionScale(double scale, int64_t depth);

/// gather along `axis`: x[:axis] + indices + x[axis+1:].
ShapeResult gather(const Shape &input, const Shape &indices, int64_t axis);

/// mse / binary_cross_entropy: equal (broadcast-compatible) shapes; the
/// result is a scalar, the mean over every element.
ShapeResult pointwiseLoss(const Shape &prediction, const Shape &target);

/// softmax_cross_entropy: logits [n, ..., c] and integer labels [n, ...],
/// the logits' shape without the classes; the scalar mean over positions.
ShapeResult softmaxCrossEntropy(const Shape &logits, const Shape &labels);

//===----------------------------------------------------------------------===//
// Backward ops (docs/autodiff.md)
//===----------------------------------------------------------------------===//
//
// A backward op checks that its operands are those of a valid forward op
// (by calling the forward rule) and that the incoming gradient `grad` has
// the forward result's shape; it returns the shape of the gradient it
// computes.

/// A shape attribute of a backward op (`shape`, `input_shape`) as a shape.
/// A leading -1 (or kDynamic) stands for the batch dimension and becomes
/// `batch`, an extent or kDynamic; -1 elsewhere, or any other negative
/// entry, is an error naming `what` (such as "slice_grad shape").
ShapeResult batchShape(const std::vector<int64_t> &attr, int64_t batch,
                       const std::string &what);

/// reduce_max_grad: `output` and `grad` must be reduce(input, axes,
/// keepDims); the result is `input`.
ShapeResult reduceMaxGrad(const Shape &input, const Shape &output,
                          const Shape &grad, const std::vector<int64_t> &axes,
                          bool keepDims);

/// slice_grad: `grad` must be the slice of `shape` (see batchShape; its
/// batch entry takes grad's leading extent); the result is `shape`.
ShapeResult sliceGrad(const Shape &grad, const std::vector<int64_t> &shape,
                      const std::vector<int64_t> &axes,
                      const std::vector<int64_t> &starts,
                      const std::vector<int64_t> &ends,
                      const std::vector<int64_t> &steps);

/// gather_grad: `grad` must be gather(shape, indices, axis); the result is
/// `shape`. Its batch entry takes grad's leading extent unless `axis` is 0,
/// where it stays dynamic (grad's leading extent is then the indices').
ShapeResult gatherGrad(const Shape &grad, const Shape &indices,
                       const std::vector<int64_t> &shape, int64_t axis);

/// conv2d_grad_input: `grad` must be conv2d(inputShape, weight); the result
/// is `inputShape`, whose batch entry takes grad's leading extent.
ShapeResult conv2dGradInput(const Shape &grad, const Shape &weight,
                            const std::vector<int64_t> &inputShape,
                            const Window2d &window, int64_t groups);

/// conv2d_grad_weight: `grad` must be conv2d(input, weightShape); the result
/// is `weightShape`, which must be static.
ShapeResult conv2dGradWeight(const Shape &input, const Shape &grad,
                             const std::vector<int64_t> &weightShape,
                             const Window2d &window, int64_t groups);

/// max_pool2d_grad: `grad` must be pool2d(input, window); the result is
/// `input`.
ShapeResult maxPool2dGrad(const Shape &input, const Shape &grad,
                          const Window2d &window);

/// avg_pool2d_grad: `grad` must be pool2d(inputShape, window); the result is
/// `inputShape`, whose batch entry takes grad's leading extent.
ShapeResult avgPool2dGrad(const Shape &grad,
                          const std::vector<int64_t> &inputShape,
                          const Window2d &window);

/// batch_norm_grad: batchNorm's checks (gamma standing for beta too) and
/// `grad` equal to `input`; the result is dx's shape, `input`. dgamma and
/// dbeta have gamma's shape.
ShapeResult batchNormGrad(const Shape &input, const Shape &gamma,
                          const Shape &mean, const Shape &var,
                          const Shape &grad);

/// layer_norm_grad: layerNorm's checks (gamma standing for beta) and
/// `grad` equal to `input`; the result is dx's shape, `input`. dgamma and
/// dbeta have gamma's shape.
ShapeResult layerNormGrad(const Shape &input, const Shape &gamma,
                          const Shape &grad);

/// rms_norm_grad: rmsNorm's checks and `grad` equal to `input`; the result
/// is dx's shape, `input`. dgamma has gamma's shape.
ShapeResult rmsNormGrad(const Shape &input, const Shape &gamma,
                        const Shape &grad);

/// scaled_dot_product_attention_grad: attention's checks and `out` and
/// `grad` equal to its result; the result is dq's shape, `q` (dk and dv
/// have k's and v's).
ShapeResult attentionGrad(const Shape &q, const Shape &k, const Shape &v,
                          const Shape &out, const Shape &grad,
                          const Shape *mask);

/// softmax_cross_entropy_grad: softmaxCrossEntropy's checks and a scalar
/// `dloss`; the result is `logits`.
ShapeResult softmaxCrossEntropyGrad(const Shape &logits, const Shape &labels,
                                    const Shape &dloss);

/// binary_cross_entropy_grad: pointwiseLoss's checks and a scalar `dloss`;
/// the result is `probabilities`.
ShapeResult binaryCrossEntropyGrad(const Shape &probabilities,
                                   const Shape &target, const Shape &dloss);

} // namespace nnc::shape

#endif // NNC_IR_SHAPERULES_H
