//===- TrainingShapeRules.cpp - Shape rules of the backward ops -----------===//
//
// The rules of docs/autodiff.md's backward ops (ShapeRules.h), kept apart
// from the forward rules (ShapeRules.cpp) that they call.
//
//===----------------------------------------------------------------------===//

#include "ir/ShapeRuleSupport.h"

#include <algorithm>
#include <cmath>

namespace nnc::shape {

namespace {

/// The leading extent of `s`, or kDynamic for a scalar.
int64_t leading(const Shape &s) { return s.empty() ? kDynamic : s[0]; }

/// `forward` (the forward rule's outcome) checked against the incoming
/// gradient; on success, `result` is the backward op's shape.
ShapeResult matchGrad(const std::string &op, const ShapeResult &forward,
                      const Shape &grad, Shape result) {
  if (!forward.ok())
    return forward;
  if (forward.shape != grad)
    return ShapeResult::failure(op + " dy " + toString(grad) +
                                " does not match the forward result " +
                                toString(forward.shape));
  return ShapeResult::success(std::move(result));
}

/// A scalar loss gradient, as the losses' results are.
std::string checkScalar(const std::string &op, const Shape &dloss) {
  if (!dloss.empty())
    return op + " dloss must be a scalar, got " + toString(dloss);
  return {};
}

} // namespace

ShapeResult batchShape(const std::vector<int64_t> &attr, int64_t batch,
                       const std::string &what) {
  Shape out(attr.size());
  for (size_t i = 0; i < attr.size(); ++i) {
    int64_t d = attr[i];
    if (d == -1 || isDyn(d)) {
      if (i != 0)
        return ShapeResult::failure(
            what + " " + list(attr) +
            " may only have -1 as its leading (batch) entry");
      out[i] = batch;
    } else if (d < 0) {
      return ShapeResult::failure(what + " " + list(attr) +
                                  " has invalid extent " + std::to_string(d));
    } else {
      out[i] = d;
    }
  }
  if (std::string e = validate(out); !e.empty())
    return ShapeResult::failure(what + " " + list(attr) +
                                " has more than 2^40 elements");
  return ShapeResult::success(std::move(out));
}

ShapeResult reduceMaxGrad(const Shape &input, const Shape &output,
                          const Shape &grad, const std::vector<int64_t> &axes,
                          bool keepDims) {
  if (std::string e = validateAll({&output, &grad}); !e.empty())
    return ShapeResult::failure(e);
  ShapeResult forward = reduce(input, axes, keepDims);
  if (forward.ok() && forward.shape != output)
    return ShapeResult::failure("reduce_max_grad y " + toString(output) +
                                " does not match the forward result " +
                                toString(forward.shape));
  return matchGrad("reduce_max_grad", forward, grad, input);
}

ShapeResult sliceGrad(const Shape &grad, const std::vector<int64_t> &shape,
                      const std::vector<int64_t> &axes,
                      const std::vector<int64_t> &starts,
                      const std::vector<int64_t> &ends,
                      const std::vector<int64_t> &steps) {
  if (std::string e = validate(grad); !e.empty())
    return ShapeResult::failure(e);
  ShapeResult full = batchShape(shape, leading(grad), "slice_grad shape");
  if (!full.ok())
    return full;
  return matchGrad("slice_grad", slice(full.shape, axes, starts, ends, steps),
                   grad, full.shape);
}

ShapeResult gatherGrad(const Shape &grad, const Shape &indices,
                       const std::vector<int64_t> &shape, int64_t axis) {
  if (std::string e = validate(grad); !e.empty())
    return ShapeResult::failure(e);
  // Gathering along the batch axis replaces it with the indices' extents,
  // so grad does not tell the batch size.
  bool alongBatch = normalizeAxis(axis, shape.size()) == 0;
  ShapeResult full = batchShape(shape, alongBatch ? kDynamic : leading(grad),
                                "gather_grad shape");
  if (!full.ok())
    return full;
  return matchGrad("gather_grad", gather(full.shape, indices, axis), grad,
                   full.shape);
}

ShapeResult conv2dGradInput(const Shape &grad, const Shape &weight,
                            const std::vector<int64_t> &inputShape,
                            const Window2d &window, int64_t groups) {
  if (std::string e = validate(grad); !e.empty())
    return ShapeResult::failure(e);
  ShapeResult input =
      batchShape(inputShape, leading(grad), "conv2d_grad_input input_shape");
  if (!input.ok())
    return input;
  return matchGrad("conv2d_grad_input",
                   conv2d(input.shape, weight, nullptr, window, groups), grad,
                   input.shape);
}

ShapeResult conv2dGradWeight(const Shape &input, const Shape &grad,
                             const std::vector<int64_t> &weightShape,
                             const Window2d &window, int64_t groups) {
  if (std::string e = validate(grad); !e.empty())
    return ShapeResult::failure(e);
  // Weights have no batch dimension.
  if (std::count(weightShape.begin(), weightShape.end(), -1) != 0 ||
      std::count(weightShape.begin(), weightShape.end(), kDynamic) != 0)
    return ShapeResult::failure("conv2d_grad_weight weight_shape " +
                                list(weightShape) + " must be static");
  ShapeResult weight =
      batchShape(weightShape, kDynamic, "conv2d_grad_weight weight_shape");
  if (!weight.ok())
    return weight;
  return matchGrad("conv2d_grad_weight",
                   conv2d(input, weight.shape, nullptr, window, groups), grad,
                   weight.shape);
}

ShapeResult maxPool2dGrad(const Shape &input, const Shape &grad,
                          const Window2d &window) {
  if (std::string e = validate(grad); !e.empty())
    return ShapeResult::failure(e);
  return matchGrad("max_pool2d_grad", pool2d(input, window), grad, input);
}

ShapeResult avgPool2dGrad(const Shape &grad,
                          const std::vector<int64_t> &inputShape,
                          const Window2d &window) {
  if (std::string e = validate(grad); !e.empty())
    return ShapeResult::failure(e);
  ShapeResult input =
      batchShape(inputShape, leading(grad), "avg_pool2d_grad input_shape");
  if (!input.ok())
    return input;
  return matchGrad("avg_pool2d_grad", pool2d(input.shape, window), grad,
                   input.shape);
}

ShapeResult layerNormGrad(const Shape &input, const Shape &gamma,
                          const Shape &grad) {
  if (std::string e = validate(grad); !e.empty())
    return ShapeResult::failure(e);
  return matchGrad("layer_norm_grad", layerNorm(input, gamma, gamma), grad,
                   input);
}

ShapeResult rmsNormGrad(const Shape &input, const Shape &gamma,
                        const Shape &grad) {
  if (std::string e = validate(grad); !e.empty())
    return ShapeResult::failure(e);
  return matchGrad("rms_norm_grad", rmsNorm(input, gamma), grad, input);
}

double attentionScale(double scale, int64_t depth) {
  return scale != 0 ? scale : 1.0 / std::sqrt(static_cast<double>(depth));
}

ShapeResult attentionGrad(const Shape &q, const Shape &k, const Shape &v,
                          const Shape &out, const Shape &grad,
                          const Shape *mask) {
  if (std::string e = validateAll({&out, &grad}); !e.empty())
    return ShapeResult::failure(e);
  ShapeResult forward = attention(q, k, v, mask);
  if (forward.ok() && forward.shape != out)
    return ShapeResult::failure(
        "scaled_dot_product_attention_grad out " + toString(out) +
        " does not match the forward result " + toString(forward.shape));
  return matchGrad("scaled_dot_product_attention_grad", forward, grad, q);
}

ShapeResult batchNormGrad(const Shape &input, const Shape &gamma,
                          const Shape &mean, const Shape &var,
                          const Shape &grad) {
  if (std::string e = validate(grad); !e.empty())
    return ShapeResult::failure(e);
  return matchGrad("batch_norm_grad", batchNorm(input, gamma, gamma, mean, var),
                   grad, input);
}

ShapeResult softmaxCrossEntropyGrad(const Shape &logits, const Shape &labels,
                                    const Shape &dloss) {
  ShapeResult forward = softmaxCrossEntropy(logits, labels);
  if (!forward.ok())
    return forward;
  if (std::string e = checkScalar("softmax_cross_entropy_grad", dloss);
      !e.empty())
    return ShapeResult::failure(e);
  return ShapeResult::success(logits);
}

ShapeResult binaryCrossEntropyGrad(const Shape &probabilities,
                                   const Shape &target, const Shape &dloss) {
  ShapeResult forward = pointwiseLoss(probabilities, target);
  if (!forward.ok())
    return forward;
  if (std::string e = checkScalar("binary_cross_entropy_grad", dloss);
      !e.empty())
    return ShapeResult::failure(e);
  return ShapeResult::success(probabilities);
}

} // namespace nnc::shape
