//===- ShapeRules.cpp - Shape and dtype rules of the forward ops ----------===//
//
// Every extent here may come straight from a user's source file, so all
// arithmetic is checked: operands are validated first (an extent is either
// kDynamic or in [0, kMaxElements]) and every product or sum that could
// leave that range goes through a checked helper.
//
// The backward ops' rules, which reuse these, are in TrainingShapeRules.cpp.
//
//===----------------------------------------------------------------------===//

#include "ir/ShapeRules.h"
#include "ir/ShapeRuleSupport.h"

#include <algorithm>
#include <limits>

namespace nnc::shape {

namespace {

/// The largest element count a tensor may have. Far above anything a CPU
/// compiler can hold in memory, and far enough below INT64_MAX that sums and
/// products of two valid counts can be computed in 128 bits without care.
constexpr int64_t kMaxElements = int64_t(1) << 40;

} // namespace

bool isDyn(int64_t d) { return d == kDynamic; }

std::string list(const std::vector<int64_t> &v) {
  // Attribute lists are printed with "-1" literally, unlike shapes.
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i)
      s += ", ";
    s += std::to_string(v[i]);
  }
  return s + "]";
}

std::string validateRank(size_t rank) {
  if (rank <= kMaxRank)
    return {};
  return "rank " + std::to_string(rank) + " exceeds the limit of " +
         std::to_string(kMaxRank);
}

/// Checks that `shape` is a well-formed shape: at most kMaxRank axes, every
/// extent kDynamic or in [0, kMaxElements], and the static extents
/// multiplying to at most kMaxElements. Returns an empty string when it is.
std::string validate(const Shape &shape) {
  if (std::string e = validateRank(shape.size()); !e.empty())
    return e;
  int64_t count = 1;
  for (int64_t d : shape) {
    if (isDyn(d))
      continue;
    if (d < 0)
      return "invalid extent " + std::to_string(d) + " in shape " +
             toString(shape);
    if (d > kMaxElements)
      return "extent " + std::to_string(d) + " in shape " + toString(shape) +
             " exceeds the limit of 2^40 elements";
    // Both factors are <= 2^40, so the product fits in 128 bits.
    __int128 p = static_cast<__int128>(count) * d;
    if (p > kMaxElements)
      return "shape " + toString(shape) + " has more than 2^40 elements";
    count = static_cast<int64_t>(p);
  }
  return {};
}

/// Validates each operand; the first bad one produces the error.
std::string validateAll(std::initializer_list<const Shape *> shapes) {
  for (const Shape *s : shapes)
    if (s)
      if (std::string e = validate(*s); !e.empty())
        return e;
  return {};
}

namespace {

std::string str(int64_t v) {
  return isDyn(v) ? std::string("?") : std::to_string(v);
}

/// Wraps a computed shape, rejecting it if it grew past the rank limit
/// (gather of two rank-20 tensors would) or the element limit
/// (broadcasting [2^20, 1] with [1, 2^30] would).
ShapeResult finish(Shape s) {
  if (std::string e = validateRank(s.size()); !e.empty())
    return ShapeResult::failure("result " + e);
  // Results are built from validated extents, so the only other way to
  // fail is to exceed the element limit.
  if (!validate(s).empty())
    return ShapeResult::failure("result shape " + toString(s) +
                                " has more than 2^40 elements");
  return ShapeResult::success(std::move(s));
}

int64_t countDynamic(const Shape &s) {
  return std::count(s.begin(), s.end(), kDynamic);
}

/// The output extent of a sliding window, or -1 if the window does not fit
/// at least once. 128-bit arithmetic absorbs attribute values anywhere in
/// int64 range; callers have already checked stride >= 1, pad >= 0,
/// dilation >= 1 and 0 <= extent, kernel <= 2^40.
int64_t windowExtent(int64_t extent, int64_t kernel, int64_t stride,
                     int64_t pad, int64_t dilation) {
  __int128 span = static_cast<__int128>(dilation) * (kernel - 1) + 1;
  __int128 room =
      static_cast<__int128>(extent) + 2 * static_cast<__int128>(pad) - span;
  if (room < 0)
    return -1;
  __int128 out = room / stride + 1;
  if (out > kMaxElements)
    return kMaxElements + 1; // Reported by finish().
  return static_cast<int64_t>(out);
}

} // namespace

std::string toString(const Shape &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += str(shape[i]);
  }
  return s + "]";
}

ShapeResult broadcast(const Shape &lhs, const Shape &rhs) {
  if (std::string e = validateAll({&lhs, &rhs}); !e.empty())
    return ShapeResult::failure(e);
  size_t rank = std::max(lhs.size(), rhs.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right; a missing dimension acts as 1.
    int64_t a = i < lhs.size() ? lhs[lhs.size() - 1 - i] : 1;
    int64_t b = i < rhs.size() ? rhs[rhs.size() - 1 - i] : 1;
    int64_t r;
    if (a == b)
      r = a;
    else if (a == 1)
      r = b;
    else if (b == 1)
      r = a;
    else
      return ShapeResult::failure("cannot broadcast " + toString(lhs) +
                                  " with " + toString(rhs));
    out[rank - 1 - i] = r;
  }
  return finish(std::move(out));
}

ShapeResult broadcast3(const Shape &first, const Shape &second,
                       const Shape &third) {
  ShapeResult two = broadcast(first, second);
  if (!two.ok())
    return two;
  return broadcast(two.shape, third);
}

ShapeResult matmul(const Shape &lhs, const Shape &rhs) {
  if (std::string e = validateAll({&lhs, &rhs}); !e.empty())
    return ShapeResult::failure(e);
  if (lhs.size() < 2 || rhs.size() < 2)
    return ShapeResult::failure(
        "matmul needs operands of rank 2 or more, got " + toString(lhs) +
        " and " + toString(rhs));
  int64_t m = lhs[lhs.size() - 2], k1 = lhs.back();
  int64_t k2 = rhs[rhs.size() - 2], n = rhs.back();
  // Contracting over the batch dimension (x^T @ x) is fine: both sides are
  // the same unknown extent.
  if (k1 != k2)
    return ShapeResult::failure("cannot multiply " + toString(lhs) + " by " +
                                toString(rhs) + ": inner extents " + str(k1) +
                                " and " + str(k2) + " differ");
  Shape lb(lhs.begin(), lhs.end() - 2), rb(rhs.begin(), rhs.end() - 2);
  ShapeResult batch = broadcast(lb, rb);
  if (!batch.ok() && batch.error.rfind("cannot broadcast", 0) != 0)
    return batch;
  if (!batch.ok())
    return ShapeResult::failure("cannot broadcast the batch dimensions of " +
                                toString(lhs) + " and " + toString(rhs));
  Shape out = std::move(batch.shape);
  out.push_back(m);
  out.push_back(n);
  return finish(std::move(out));
}

ShapeResult matmulTransposed(const Shape &lhs, const Shape &rhs,
                             bool transposeLhs, bool transposeRhs) {
  // Rank is checked by matmul; swapping needs two axes to swap.
  auto swapped = [](Shape shape, bool transpose) {
    if (transpose && shape.size() >= 2)
      std::swap(shape[shape.size() - 2], shape[shape.size() - 1]);
    return shape;
  };
  ShapeResult result =
      matmul(swapped(lhs, transposeLhs), swapped(rhs, transposeRhs));
  if (!result.ok() && (transposeLhs || transposeRhs))
    result.error += std::string(" (after transposing") +
                    (transposeLhs ? " lhs" : "") +
                    (transposeLhs && transposeRhs ? " and" : "") +
                    (transposeRhs ? " rhs" : "") + ")";
  return result;
}

int64_t normalizeAxis(int64_t axis, int64_t rank) {
  if (rank <= 0 || axis < -rank || axis >= rank)
    return -1;
  return axis < 0 ? axis + rank : axis;
}

ShapeResult softmax(const Shape &input, int64_t axis) {
  if (std::string e = validate(input); !e.empty())
    return ShapeResult::failure(e);
  if (normalizeAxis(axis, input.size()) < 0)
    return ShapeResult::failure("axis " + std::to_string(axis) +
                                " is out of range for " + toString(input));
  return ShapeResult::success(input);
}

ShapeResult reduce(const Shape &input, const std::vector<int64_t> &axes,
                   bool keepDims) {
  if (std::string e = validate(input); !e.empty())
    return ShapeResult::failure(e);
  std::vector<bool> reduced(input.size(), axes.empty());
  for (int64_t a : axes) {
    int64_t n = normalizeAxis(a, input.size());
    if (n < 0)
      return ShapeResult::failure("reduce axis " + std::to_string(a) +
                                  " is out of range for " + toString(input));
    if (reduced[n])
      return ShapeResult::failure("reduce axis " + std::to_string(a) +
                                  " is repeated");
    reduced[n] = true;
  }
  Shape out;
  for (size_t i = 0; i < input.size(); ++i) {
    if (!reduced[i])
      out.push_back(input[i]);
    else if (keepDims)
      out.push_back(1);
  }
  return ShapeResult::success(std::move(out));
}

ShapeResult reshape(const Shape &input, const std::vector<int64_t> &newShape) {
  if (std::string e = validate(input); !e.empty())
    return ShapeResult::failure(e);
  // Before anything prints the target, which could be thousands long.
  if (std::string e = validateRank(newShape.size()); !e.empty())
    return ShapeResult::failure("reshape target " + e);
  // kDynamic in the target is accepted as a spelling of -1, so that the
  // dialect can re-infer from a result type that already holds '?'.
  int64_t inferred = -1;
  int64_t targetCount = 1;
  for (size_t i = 0; i < newShape.size(); ++i) {
    int64_t d = newShape[i];
    if (d == -1 || isDyn(d)) {
      if (inferred >= 0)
        return ShapeResult::failure("reshape target " + list(newShape) +
                                    " has more than one -1");
      inferred = i;
      continue;
    }
    if (d <= 0)
      return ShapeResult::failure("reshape target " + list(newShape) +
                                  " has invalid extent " + std::to_string(d));
    __int128 p =
        static_cast<__int128>(targetCount) * std::min(d, kMaxElements + 1);
    if (p > kMaxElements)
      return ShapeResult::failure("reshape target " + list(newShape) +
                                  " has more than 2^40 elements");
    targetCount = static_cast<int64_t>(p);
  }
  int64_t dyn = countDynamic(input);
  int64_t inputCount = 1;
  for (int64_t d : input)
    if (!isDyn(d))
      inputCount *= d; // validate() bounded the product.
  Shape out(newShape.begin(), newShape.end());
  if (dyn > 1)
    return ShapeResult::failure("cannot reshape " + toString(input) +
                                ": it has more than one dynamic dimension");
  if (dyn == 1) {
    // The -1 entry takes the batch dimension, merged with static extents
    // ([?, 32, 65] to [-1, 65]: the batch times 32) or split from them
    // ([?, 65] to [-1, 32, 65], when ? holds the batch times 32). Either
    // way the static parts must divide one another; whether the batch
    // itself divides is known once it is fixed, when the batch
    // specialisation infers the shapes again and reports a misfit.
    if (inferred < 0)
      return ShapeResult::failure("cannot reshape " + toString(input) + " to " +
                                  list(newShape) +
                                  ": the dynamic dimension needs a -1 entry");
    if (inputCount % targetCount != 0 && targetCount % inputCount != 0)
      return ShapeResult::failure(
          "cannot reshape " + toString(input) + " to " + list(newShape) +
          ": the -1 entry must hold the dynamic dimension times or divided "
          "by a whole number, but " +
          std::to_string(inputCount) + " and " + std::to_string(targetCount) +
          " do not divide one another");
    out[inferred] = kDynamic;
    return finish(std::move(out));
  }
  if (inferred < 0) {
    if (inputCount != targetCount)
      return ShapeResult::failure("cannot reshape " + toString(input) + " (" +
                                  std::to_string(inputCount) +
                                  " elements) to " + list(newShape) + " (" +
                                  std::to_string(targetCount) + " elements)");
    return finish(std::move(out));
  }
  if (inputCount % targetCount != 0)
    return ShapeResult::failure("cannot reshape " + toString(input) + " (" +
                                std::to_string(inputCount) + " elements) to " +
                                list(newShape));
  out[inferred] = inputCount / targetCount;
  return finish(std::move(out));
}

ShapeResult transpose(const Shape &input, const std::vector<int64_t> &perm) {
  if (std::string e = validate(input); !e.empty())
    return ShapeResult::failure(e);
  size_t rank = input.size();
  if (perm.empty())
    return ShapeResult::success(Shape(input.rbegin(), input.rend()));
  if (perm.size() != rank)
    return ShapeResult::failure("transpose permutation " + list(perm) +
                                " does not match the rank of " +
                                toString(input));
  std::vector<bool> seen(rank, false);
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t p = perm[i];
    if (p < 0 || p >= static_cast<int64_t>(rank) || seen[p])
      return ShapeResult::failure("transpose permutation " + list(perm) +
                                  " is not a permutation of [0, " +
                                  std::to_string(rank) + ")");
    seen[p] = true;
    out[i] = input[p];
  }
  return ShapeResult::success(std::move(out));
}

ShapeResult broadcastTo(const Shape &input,
                        const std::vector<int64_t> &target) {
  if (std::string e = validate(input); !e.empty())
    return ShapeResult::failure(e);
  // Before anything prints the target, which could be thousands long.
  if (std::string e = validateRank(target.size()); !e.empty())
    return ShapeResult::failure("broadcast_to target " + e);
  Shape out(target.size());
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == -1 || isDyn(d))
      out[i] = kDynamic;
    // An extent of 0 would make an empty tensor, which the backends do not
    // handle (slice and reshape refuse one too).
    else if (d <= 0)
      return ShapeResult::failure("broadcast_to target " + list(target) +
                                  " has invalid extent " + std::to_string(d));
    else
      out[i] = d;
  }
  if (!validate(out).empty())
    return ShapeResult::failure("broadcast_to target " + list(target) +
                                " has more than 2^40 elements");
  if (input.size() > out.size())
    return ShapeResult::failure("cannot broadcast " + toString(input) + " to " +
                                toString(out) + ": rank is larger");
  for (size_t i = 0; i < input.size(); ++i) {
    int64_t a = input[input.size() - 1 - i];
    int64_t b = out[out.size() - 1 - i];
    // A 1 stretches to anything, the batch dimension included; otherwise
    // extents must agree exactly (a dynamic one only with itself).
    if (a != 1 && a != b)
      return ShapeResult::failure("cannot broadcast " + toString(input) +
                                  " to " + toString(out));
  }
  return ShapeResult::success(std::move(out));
}

ShapeResult concat(const std::vector<Shape> &inputs, int64_t axis) {
  if (inputs.empty())
    return ShapeResult::failure("concat needs at least one operand");
  for (const Shape &s : inputs)
    if (std::string e = validate(s); !e.empty())
      return ShapeResult::failure(e);
  const Shape &first = inputs.front();
  int64_t a = normalizeAxis(axis, first.size());
  if (a < 0)
    return ShapeResult::failure("concat axis " + std::to_string(axis) +
                                " is out of range for " + toString(first));
  Shape out = first;
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Shape &s = inputs[i];
    if (s.size() != first.size())
      return ShapeResult::failure("cannot concat " + toString(first) +
                                  " with " + toString(s) + ": ranks differ");
    for (size_t d = 0; d < s.size(); ++d)
      if (static_cast<int64_t>(d) != a && s[d] != first[d])
        return ShapeResult::failure("cannot concat " + toString(first) +
                                    " with " + toString(s) + " on axis " +
                                    std::to_string(a));
    // Joining batch-sized pieces would give 2B, which is not the batch.
    if (isDyn(s[a]) || isDyn(out[a]))
      return ShapeResult::failure("cannot concat along the dynamic dimension " +
                                  std::to_string(a) + " of " + toString(first));
    out[a] += s[a]; // Both <= 2^40: no overflow.
    if (out[a] > kMaxElements)
      return ShapeResult::failure("concat result has more than 2^40 elements");
  }
  return finish(std::move(out));
}

ShapeResult slice(const Shape &input, const std::vector<int64_t> &axes,
                  const std::vector<int64_t> &starts,
                  const std::vector<int64_t> &ends,
                  const std::vector<int64_t> &steps) {
  if (std::string e = validate(input); !e.empty())
    return ShapeResult::failure(e);
  if (starts.size() != axes.size() || ends.size() != axes.size() ||
      (!steps.empty() && steps.size() != axes.size()))
    return ShapeResult::failure(
        "slice needs as many starts, ends and steps as axes");
  Shape out = input;
  std::vector<bool> seen(input.size(), false);
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t a = normalizeAxis(axes[i], input.size());
    if (a < 0)
      return ShapeResult::failure("slice axis " + std::to_string(axes[i]) +
                                  " is out of range for " + toString(input));
    if (seen[a])
      return ShapeResult::failure("slice axis " + std::to_string(axes[i]) +
                                  " is repeated");
    seen[a] = true;
    int64_t step = steps.empty() ? 1 : steps[i];
    if (step <= 0)
      return ShapeResult::failure("slice step " + std::to_string(step) +
                                  " must be positive");
    int64_t n = input[a];
    int64_t start = starts[i], end = ends[i];
    if (isDyn(n)) {
      // Only the full range [0, end-of-int64) keeps a batch-sized extent.
      if (start == 0 && end == std::numeric_limits<int64_t>::max() && step == 1)
        continue;
      return ShapeResult::failure("cannot slice the dynamic dimension " +
                                  std::to_string(a) + " of " + toString(input));
    }
    // Python's clamping; n <= 2^40 so adding it to a negative never
    // overflows.
    auto clamp = [n](int64_t v) {
      if (v < 0)
        v = v + n < 0 ? 0 : v + n;
      return v > n ? n : v;
    };
    start = clamp(start);
    end = clamp(end);
    // An empty slice is almost certainly a mistake in a model, and empty
    // tensors are not something the backends handle.
    if (end <= start)
      return ShapeResult::failure("slice [" + std::to_string(starts[i]) + ":" +
                                  std::to_string(ends[i]) + "] of axis " +
                                  std::to_string(a) + " of " + toString(input) +
                                  " is empty");
    out[a] = (end - start - 1) / step + 1;
  }
  return ShapeResult::success(std::move(out));
}

ShapeResult conv2d(const Shape &input, const Shape &weight, const Shape *bias,
                   const Window2d &window, int64_t groups) {
  if (std::string e = validateAll({&input, &weight, bias}); !e.empty())
    return ShapeResult::failure(e);
  if (input.size() != 4)
    return ShapeResult::failure("conv2d input must be [n, c, h, w], got " +
                                toString(input));
  if (weight.size() != 4)
    return ShapeResult::failure("conv2d weight must be [f, c, kh, kw], got " +
                                toString(weight));
  if (countDynamic(weight) != 0 || countDynamic(input) > 1 ||
      (countDynamic(input) == 1 && !isDyn(input[0])))
    return ShapeResult::failure(
        "conv2d only allows a dynamic batch dimension, got " + toString(input) +
        " and " + toString(weight));
  if (groups < 1)
    return ShapeResult::failure("conv2d groups must be positive, got " +
                                std::to_string(groups));
  int64_t c = input[1], f = weight[0];
  if (c % groups != 0 || f % groups != 0)
    return ShapeResult::failure("conv2d groups " + std::to_string(groups) +
                                " must divide the input channels " + str(c) +
                                " and the filters " + str(f));
  if (weight[1] != c / groups)
    return ShapeResult::failure(
        "conv2d input " + toString(input) + " has " + str(c) +
        " channels but the weight " + toString(weight) + " expects " +
        (groups == 1 ? str(weight[1])
                     : str(weight[1]) + " per group (groups = " +
                           std::to_string(groups) + ")"));
  if (bias && (bias->size() != 1 || (*bias)[0] != f))
    return ShapeResult::failure("conv2d bias must be [" + str(f) + "], got " +
                                toString(*bias));
  const Window2d &w = window;
  if (w.strideH < 1 || w.strideW < 1)
    return ShapeResult::failure("conv2d stride must be positive");
  if (w.padH < 0 || w.padW < 0)
    return ShapeResult::failure("conv2d padding must not be negative");
  if (w.dilationH < 1 || w.dilationW < 1)
    return ShapeResult::failure("conv2d dilation must be positive");
  int64_t kh = weight[2], kw = weight[3];
  if (kh < 1 || kw < 1)
    return ShapeResult::failure("conv2d kernel must not be empty, got " +
                                toString(weight));
  int64_t oh = windowExtent(input[2], kh, w.strideH, w.padH, w.dilationH);
  int64_t ow = windowExtent(input[3], kw, w.strideW, w.padW, w.dilationW);
  if (oh < 1 || ow < 1)
    return ShapeResult::failure("conv2d kernel " + toString({kh, kw}) +
                                " does not fit input " + toString(input) +
                                " with the given padding and dilation");
  return finish({input[0], f, oh, ow});
}

ShapeResult pool2d(const Shape &input, const Window2d &window) {
  if (std::string e = validate(input); !e.empty())
    return ShapeResult::failure(e);
  if (input.size() != 4)
    return ShapeResult::failure("pool2d input must be [n, c, h, w], got " +
                                toString(input));
  if (isDyn(input[2]) || isDyn(input[3]))
    return ShapeResult::failure("pool2d needs static spatial dimensions, got " +
                                toString(input));
  const Window2d &w = window;
  if (w.kh < 1 || w.kw < 1)
    return ShapeResult::failure("pool2d kernel must be positive");
  if (w.strideH < 1 || w.strideW < 1)
    return ShapeResult::failure("pool2d stride must be positive");
  if (w.dilationH < 1 || w.dilationW < 1)
    return ShapeResult::failure("pool2d dilation must be positive");
  if (w.padH < 0 || w.padW < 0)
    return ShapeResult::failure("pool2d padding must not be negative");
  if (w.padH > w.kh / 2 || w.padW > w.kw / 2)
    return ShapeResult::failure("pool2d padding " + toString({w.padH, w.padW}) +
                                " exceeds half the kernel " +
                                toString({w.kh, w.kw}));
  // kh <= 2^40 is implied by the padding check only when pad > 0; clamp so
  // windowExtent's precondition holds (such a kernel never fits anyway).
  int64_t kh = std::min(w.kh, kMaxElements + 1);
  int64_t kw = std::min(w.kw, kMaxElements + 1);
  int64_t oh = windowExtent(input[2], kh, w.strideH, w.padH, w.dilationH);
  int64_t ow = windowExtent(input[3], kw, w.strideW, w.padW, w.dilationW);
  if (oh < 1 || ow < 1)
    return ShapeResult::failure("pool2d kernel " + toString({w.kh, w.kw}) +
                                " does not fit input " + toString(input));
  return finish({input[0], input[1], oh, ow});
}

/// A normalisation of `op` over the trailing axes that `gamma` names.
static ShapeResult normalizedOverTrailing(const std::string &op,
                                          const Shape &input,
                                          const Shape &gamma) {
  if (std::string e = validateAll({&input, &gamma}); !e.empty())
    return ShapeResult::failure(e);
  if (gamma.empty() || gamma.size() > input.size())
    return ShapeResult::failure(
        op + " gamma " + toString(gamma) +
        " must name 1 to rank(input) trailing dimensions of input " +
        toString(input));
  size_t offset = input.size() - gamma.size();
  for (size_t i = 0; i < gamma.size(); ++i) {
    if (isDyn(input[offset + i]) || isDyn(gamma[i]))
      return ShapeResult::failure(op +
                                  " normalises over static dimensions; "
                                  "input is " +
                                  toString(input));
    if (input[offset + i] != gamma[i])
      return ShapeResult::failure(op + " gamma " + toString(gamma) +
                                  " must equal the trailing dimensions of "
                                  "input " +
                                  toString(input));
  }
  return ShapeResult::success(input);
}

ShapeResult layerNorm(const Shape &input, const Shape &gamma,
                      const Shape &beta) {
  if (std::string e = validate(beta); !e.empty())
    return ShapeResult::failure(e);
  ShapeResult result = normalizedOverTrailing("layer_norm", input, gamma);
  if (result.ok() && beta != gamma)
    return ShapeResult::failure("layer_norm beta " + toString(beta) +
                                " must equal gamma " + toString(gamma));
  return result;
}

ShapeResult rmsNorm(const Shape &input, const Shape &gamma) {
  return normalizedOverTrailing("rms_norm", input, gamma);
}

ShapeResult attention(const Shape &q, const Shape &k, const Shape &v,
                      const Shape *mask) {
  if (std::string e = validateAll({&q, &k, &v}); !e.empty())
    return ShapeResult::failure(e);
  if (q.size() < 2 || k.size() != q.size() || v.size() != q.size())
    return ShapeResult::failure(
        "scaled_dot_product_attention needs q, k and v of one rank, at least "
        "2; got " +
        toString(q) + ", " + toString(k) + " and " + toString(v));
  size_t rank = q.size();
  if (!std::equal(q.begin(), q.end() - 2, k.begin()) ||
      !std::equal(q.begin(), q.end() - 2, v.begin()))
    return ShapeResult::failure(
        "scaled_dot_product_attention q " + toString(q) + ", k " + toString(k) +
        " and v " + toString(v) + " must have the same leading dimensions");
  if (q[rank - 1] != k[rank - 1])
    return ShapeResult::failure("scaled_dot_product_attention q " +
                                toString(q) + " and k " + toString(k) +
                                " must have the same last dimension");
  if (k[rank - 2] != v[rank - 2])
    return ShapeResult::failure("scaled_dot_product_attention k " +
                                toString(k) + " and v " + toString(v) +
                                " must have as many rows (keys)");
  if (mask) {
    if (std::string e = validate(*mask); !e.empty())
      return ShapeResult::failure(e);
    Shape scores(q.begin(), q.end() - 1);
    scores.push_back(k[rank - 2]);
    ShapeResult both = broadcast(*mask, scores);
    if (!both.ok() || both.shape != scores)
      return ShapeResult::failure(
          "scaled_dot_product_attention mask " + toString(*mask) +
          " does not broadcast to the scores " + toString(scores));
  }
  Shape out(q.begin(), q.end() - 1);
  out.push_back(v[rank - 1]);
  return finish(std::move(out));
}

ShapeResult batchNorm(const Shape &input, const Shape &gamma, const Shape &beta,
                      const Shape &mean, const Shape &var) {
  if (std::string e = validateAll({&input, &gamma, &beta, &mean, &var});
      !e.empty())
    return ShapeResult::failure(e);
  if (input.size() < 2)
    return ShapeResult::failure("batch_norm input must be [n, c, ...], got " +
                                toString(input));
  int64_t c = input[1];
  if (isDyn(c))
    return ShapeResult::failure("batch_norm channel dimension of " +
                                toString(input) + " must be static");
  const char *names[] = {"gamma", "beta", "mean", "var"};
  const Shape *stats[] = {&gamma, &beta, &mean, &var};
  for (int i = 0; i < 4; ++i)
    if (stats[i]->size() != 1 || (*stats[i])[0] != c)
      return ShapeResult::failure(std::string("batch_norm ") + names[i] +
                                  " must be [" + str(c) + "], got " +
                                  toString(*stats[i]));
  return ShapeResult::success(input);
}

ShapeResult gather(const Shape &input, const Shape &indices, int64_t axis) {
  if (std::string e = validateAll({&input, &indices}); !e.empty())
    return ShapeResult::failure(e);
  int64_t a = normalizeAxis(axis, input.size());
  if (a < 0)
    return ShapeResult::failure("gather axis " + std::to_string(axis) +
                                " is out of range for " + toString(input));
  Shape out(input.begin(), input.begin() + a);
  out.insert(out.end(), indices.begin(), indices.end());
  out.insert(out.end(), input.begin() + a + 1, input.end());
  return finish(std::move(out));
}

ShapeResult pointwiseLoss(const Shape &prediction, const Shape &target) {
  ShapeResult b = broadcast(prediction, target);
  if (!b.ok())
    return ShapeResult::failure(b.error.rfind("cannot broadcast", 0) == 0
                                    ? "loss target " + toString(target) +
                                          " does not match prediction " +
                                          toString(prediction)
                                    : b.error);
  // The target may broadcast to the prediction, not widen it: mse of a [B, 1]
  // prediction against a [B] target would silently average a [B, B] matrix.
  if (b.shape != prediction)
    return ShapeResult::failure("loss target " + toString(target) +
                                " does not match prediction " +
                                toString(prediction));
  return ShapeResult::success({});
}

ShapeResult softmaxCrossEntropy(const Shape &logits, const Shape &labels) {
  if (std::string e = validateAll({&logits, &labels}); !e.empty())
    return ShapeResult::failure(e);
  if (logits.size() < 2)
    return ShapeResult::failure(
        "softmax_cross_entropy logits must be [n, ..., c], got " +
        toString(logits));
  Shape positions(logits.begin(), logits.end() - 1);
  if (labels.size() != positions.size())
    return ShapeResult::failure("softmax_cross_entropy labels must be " +
                                toString(positions) +
                                " (the logits' shape "
                                "without the classes), got " +
                                toString(labels));
  if (isDyn(logits.back()))
    return ShapeResult::failure("softmax_cross_entropy classes of " +
                                toString(logits) + " must be static");
  if (labels != positions)
    return ShapeResult::failure("softmax_cross_entropy labels " +
                                toString(labels) + " do not match logits " +
                                toString(logits));
  return ShapeResult::success({});
}

} // namespace nnc::shape
