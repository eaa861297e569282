//===- KernelPlan.cpp - How a kernel function splits and its native head --===//
//
// The attention head's planner is in AttentionHeadPlan.cpp, the data
// checks in KernelChecks.cpp.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/compiler/KernelPlan.h"
#include "backends/cpu/compiler/KernelPlanSupport.h"

#include "backends/cpu/compiler/LinalgBuilders.h"
#include "backends/cpu/gemm/Pool2d.h"

#include "ir/NNOpFacts.h"
#include "ir/NNOps.h"

#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

namespace {

bool splitsOnLeading(Value value, int64_t rows) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.getRank() >= 1 && type.getDimSize(0) == rows;
}

/// True when `axes` (empty meaning all) leaves axis 0 alone.
bool keepsAxisZero(ArrayRef<int64_t> axes, int64_t rank) {
  if (axes.empty())
    return false;
  for (int64_t axis : axes)
    if (normalizeAxis(axis, rank) == 0)
      return false;
  return true;
}

/// Per operand of `op`: split (true) or read whole (false); nullopt when
/// the op does not split by rows. `rows` is the results' leading extent.
std::optional<std::vector<bool>> splitOperands(Operation *op, int64_t rows) {
  int64_t outRank =
      cast<RankedTensorType>(op->getResult(0).getType()).getRank();
  // Operands of the result's rank and leading extent split with it; others
  // (broadcast operands, weights, scalars) are read whole.
  auto byShape = [&]() {
    std::vector<bool> sliced;
    for (Value operand : op->getOperands()) {
      auto type = cast<RankedTensorType>(operand.getType());
      sliced.push_back(type.getRank() == outRank && type.getDimSize(0) == rows);
    }
    return std::optional<std::vector<bool>>(sliced);
  };
  auto firstOnly = [&]() {
    std::vector<bool> sliced(op->getNumOperands(), false);
    sliced[0] = true;
    return std::optional<std::vector<bool>>(sliced);
  };
  auto all = [&]() {
    return std::optional<std::vector<bool>>(
        std::vector<bool>(op->getNumOperands(), true));
  };
  using Result = std::optional<std::vector<bool>>;
  // Ops whose ODS declaration says they split by rows (nnSplitsByRows).
  const nn::OpFacts &facts = nn::opFacts(op);
  if (facts.splitsByRows)
    return byShape();
  // Rows are independent groups unless the grouping operand spans axis 0.
  if (facts.groupOperand >= 0) {
    Value grouping = op->getOperand(static_cast<unsigned>(facts.groupOperand));
    if (tensorTypeOf(grouping).getRank() >= outRank)
      return std::nullopt;
    return byShape();
  }
  return llvm::TypeSwitch<Operation *, Result>(op)
      .Case<nn::MatmulOp>([&](nn::MatmulOp matmul) -> Result {
        if (matmul.getTransposeLhs())
          return std::nullopt;
        if (outRank == 2) {
          if (tensorTypeOf(matmul.getLhs()).getRank() != 2)
            return std::nullopt;
          return std::vector<bool>{true, false};
        }
        return byShape();
      })
      .Case<nn::SoftmaxOp, nn::LogSoftmaxOp>([&](auto softmax) -> Result {
        if (normalizeAxis(softmax.getAxis(), outRank) == 0)
          return std::nullopt;
        return all();
      })
      .Case<nn::SoftmaxGradOp, nn::LogSoftmaxGradOp>([&](auto grad) -> Result {
        if (normalizeAxis(grad.getAxis(), outRank) == 0)
          return std::nullopt;
        return all();
      })
      .Case<nn::ReduceSumOp, nn::ReduceMeanOp, nn::ReduceMaxOp>(
          [&](auto reduce) -> Result {
            int64_t rank = tensorTypeOf(reduce.getX()).getRank();
            if (!keepsAxisZero(reduce.getAxes(), rank))
              return std::nullopt;
            return all();
          })
      .Case<nn::ReduceMaxGradOp>([&](nn::ReduceMaxGradOp grad) -> Result {
        if (!keepsAxisZero(grad.getAxes(), outRank))
          return std::nullopt;
        return all();
      })
      .Case<nn::TransposeOp>([&](nn::TransposeOp transpose) -> Result {
        ArrayRef<int64_t> perm = transpose.getPerm();
        if (perm.empty() || perm[0] != 0)
          return std::nullopt;
        return all();
      })
      .Case<nn::ConcatOp>([&](nn::ConcatOp concat) -> Result {
        if (normalizeAxis(concat.getAxis(), outRank) == 0)
          return std::nullopt;
        return all();
      })
      .Case<nn::SliceOp>([&](nn::SliceOp slice) -> Result {
        int64_t rank = tensorTypeOf(slice.getX()).getRank();
        ArrayRef<int64_t> axes = slice.getAxes();
        for (size_t i = 0; i < slice.getStarts().size(); ++i) {
          int64_t axis = axes.empty() ? static_cast<int64_t>(i) : axes[i];
          if (normalizeAxis(axis, rank) == 0)
            return std::nullopt;
        }
        return all();
      })
      .Case<nn::GatherOp>([&](nn::GatherOp gather) -> Result {
        int64_t rank = tensorTypeOf(gather.getX()).getRank();
        if (normalizeAxis(gather.getAxis(), rank) == 0) {
          if (tensorTypeOf(gather.getIndices()).getRank() == 0)
            return std::nullopt;
          return std::vector<bool>{false, true};
        }
        return std::vector<bool>{true, false};
      })
      .Case<nn::Conv2dOp, nn::MaxPool2dOp, nn::AvgPool2dOp,
            nn::Conv2dGradInputOp>([&](Operation *) { return firstOnly(); })
      .Case<nn::MaxPool2dGradOp>([&](Operation *) { return all(); })
      .Case<nn::SoftmaxCrossEntropyGradOp>([&](Operation *) -> Result {
        // The logits' rows and the gradient's split; the labels are read
        // whole, since every row divides by the count of the positions that
        // count (NNToLinalgLoss.cpp), and dloss is a scalar.
        return std::vector<bool>{true, false, false};
      })
      .Case<nn::DropoutOp, nn::DropoutGradOp>([&](Operation *) {
        std::vector<bool> sliced(op->getNumOperands(), false);
        sliced[0] = true;
        return std::optional<std::vector<bool>>(sliced);
      })
      .Default([](Operation *) { return std::nullopt; });
}

} // namespace

std::optional<SplitPlan> nnc::cpu::planSplit(func::FuncOp fn) {
  Block &body = fn.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  if (ret.getNumOperands() == 0)
    return std::nullopt;
  auto firstType = dyn_cast<RankedTensorType>(ret.getOperand(0).getType());
  if (!firstType || firstType.getRank() == 0)
    return std::nullopt;
  int64_t rows = firstType.getDimSize(0);
  if (rows <= 1)
    return std::nullopt;

  // Every op computes rows of its results from the same rows of the values
  // it splits: a value computed in the kernel is always split, so it may
  // only be read split; an argument is split or whole, never both.
  std::vector<int> use(fn.getNumArguments(), -1);
  bool anyOp = false;
  for (Operation &op : body.without_terminator()) {
    if (isa<nn::ConstantOp>(op))
      continue;
    anyOp = true;
    if (op.getNumResults() == 0)
      return std::nullopt;
    for (Value result : op.getResults())
      if (!splitsOnLeading(result, rows))
        return std::nullopt;
    std::optional<std::vector<bool>> sliced = splitOperands(&op, rows);
    if (!sliced)
      return std::nullopt;
    for (auto [index, operand] : llvm::enumerate(op.getOperands())) {
      bool split = (*sliced)[index];
      if (split && !splitsOnLeading(operand, rows))
        return std::nullopt;
      auto arg = dyn_cast<BlockArgument>(operand);
      if (!arg) {
        bool computed = !isa<nn::ConstantOp>(operand.getDefiningOp());
        if (split != computed)
          return std::nullopt;
        continue;
      }
      int &seen = use[arg.getArgNumber()];
      if (seen != -1 && seen != static_cast<int>(split))
        return std::nullopt;
      seen = split;
    }
  }
  if (!anyOp)
    return std::nullopt;
  for (Value value : ret.getOperands()) {
    Operation *def = value.getDefiningOp();
    if (!def || isa<nn::ConstantOp>(def))
      return std::nullopt;
  }

  SplitPlan plan;
  plan.rows = rows;
  for (int seen : use)
    plan.slicedArgs.push_back(seen == 1);
  return plan;
}

namespace nnc::cpu {

bool isF32(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.getElementType().isF32() && type.hasStaticShape();
}

/// The argument number of `value`, or -1 when it is not an argument.
int64_t argumentOf(Value value) {
  auto arg = dyn_cast<BlockArgument>(value);
  return arg ? static_cast<int64_t>(arg.getArgNumber()) : -1;
}

} // namespace nnc::cpu

namespace {

/// The extents of a convolution from its images [n, c, h, w] (x, or dx of
/// the input gradient) and its weights [f, c / groups, kh, kw] (w, or dw of
/// the weight gradient).
void setExtents(RankedTensorType images, RankedTensorType weights,
                Conv2dShape &shape) {
  shape.batch = images.getDimSize(0);
  shape.channels = images.getDimSize(1);
  shape.height = images.getDimSize(2);
  shape.width = images.getDimSize(3);
  shape.filters = weights.getDimSize(0);
  shape.kernelH = weights.getDimSize(2);
  shape.kernelW = weights.getDimSize(3);
}

template <typename ConvOp> void setWindow(ConvOp op, Conv2dShape &shape) {
  shape.strideH = op.getStride()[0];
  shape.strideW = op.getStride()[1];
  shape.padH = op.getPadding()[0];
  shape.padW = op.getPadding()[1];
  shape.dilationH = op.getDilation()[0];
  shape.dilationW = op.getDilation()[1];
  shape.groups = op.getGroups();
}

/// Flat indices of the operand matrices each output matrix reads, for
/// batch dimensions `outBatch` and an operand's `batch` (right-aligned,
/// extent-1 dimensions broadcast).
std::vector<int64_t> batchIndices(ArrayRef<int64_t> outBatch,
                                  ArrayRef<int64_t> batch) {
  int64_t total = 1;
  for (int64_t extent : outBatch)
    total *= extent;
  std::vector<int64_t> indices(static_cast<size_t>(total));
  size_t shift = outBatch.size() - batch.size();
  for (int64_t flat = 0; flat < total; ++flat) {
    int64_t rest = flat, index = 0, stride = 1;
    for (size_t d = outBatch.size(); d-- > 0;) {
      int64_t coordinate = rest % outBatch[d];
      rest /= outBatch[d];
      if (d < shift)
        continue;
      int64_t extent = batch[d - shift];
      index += (extent == 1 ? 0 : coordinate) * stride;
      stride *= extent;
    }
    indices[static_cast<size_t>(flat)] = index;
  }
  return indices;
}

/// Blocks of k for a one-row product x * B (ContractionHead::kParts): none
/// below 1 MiB of B, where splitting its columns measures as fast, else a
/// block per 768 KiB, from 2 to 8, each of at least 64 rows of B. The count
/// depends only on the shape, never on the machine, so results do not
/// either.
int64_t oneRowKParts(const ContractionHead &head) {
  constexpr int64_t kMinBytes = 1 << 20, kBytesPerPart = 768 << 10;
  constexpr int64_t kMaxParts = ContractionHead::kMaxKParts;
  constexpr int64_t kMinRowsPerPart = 64;
  if (head.m != 1 || head.transB)
    return 1;
  int64_t bytes = head.k * head.n * static_cast<int64_t>(sizeof(float));
  if (bytes < kMinBytes)
    return 1;
  int64_t parts = std::clamp<int64_t>(bytes / kBytesPerPart, 2, kMaxParts);
  return std::max<int64_t>(1, std::min(parts, head.k / kMinRowsPerPart));
}

/// Whether a matmul of several rows splits its work across the threads
/// inside one call (ContractionHead::splitsInside) rather than its rows
/// across calls, so that it can split H's columns when the arena's threads
/// get few rows each. Split by rows, every thread reads all of B for its
/// share of the rows; split by columns, each reads its share of B and all
/// of A. With B large and at least twice as wide as the rows are many, the
/// column split can read less: the MLP's [32, 784] @ [784, 512] forward
/// product took 270 µs of one thread split by rows into two chunks, each
/// reading all 1.6 MB of B, against half that in columns (Xeon family 6
/// model 167). At least 128 columns: two 32-column panels for each of two
/// threads. The choice depends only on the shape; the split, on the
/// threads too (CpuKernel.cpp, runSplitInside).
bool wantsSplitInside(const ContractionHead &head) {
  constexpr int64_t kMinBBytes = 256 << 10, kMinColumns = 128;
  return head.m > 1 && head.n >= kMinColumns && head.n >= 2 * head.m &&
         head.k * head.n * static_cast<int64_t>(sizeof(float)) >= kMinBBytes;
}

std::optional<HeadPlan> planMatmul(nn::MatmulOp op) {
  HeadPlan plan;
  ContractionHead &head = plan.head;
  head.kind = ContractionHead::Kind::Matmul;
  head.lhs = argumentOf(op.getLhs());
  head.rhs = argumentOf(op.getRhs());
  RankedTensorType lhs = tensorTypeOf(op.getLhs());
  RankedTensorType rhs = tensorTypeOf(op.getRhs());
  RankedTensorType out = tensorTypeOf(op.getResult());
  head.transA = op.getTransposeLhs();
  head.transB = op.getTransposeRhs();
  int64_t rank = out.getRank();
  head.m = out.getDimSize(rank - 2);
  head.n = out.getDimSize(rank - 1);
  head.k = lhs.getDimSize(lhs.getRank() - (head.transA ? 2 : 1));
  head.lda = head.transA ? head.m : head.k;
  head.ldb = head.transB ? head.k : head.n;
  plan.wholeArgs = {head.rhs};
  if (rank == 2) {
    head.rows = head.m;
    head.rowElements = head.n;
    if (head.transA)
      plan.wholeArgs.push_back(head.lhs);
    // One row does not split by rows. A large B is read by blocks of k in
    // parallel inside the kernel (ContractionHead::kParts); otherwise its
    // columns (two or more panels) can split, if the rest of the kernel
    // follows (splitTailByColumns).
    int64_t parts = oneRowKParts(head);
    if (parts > 1) {
      head.kParts = parts;
      if (!head.transA)
        plan.wholeArgs.push_back(head.lhs);
      return plan;
    }
    if (head.m == 1 && head.n >= 64) {
      head.columns = true;
      head.rows = head.n;
      head.rowElements = 1;
      if (!head.transA)
        plan.wholeArgs.push_back(head.lhs);
    }
    head.splitsInside = wantsSplitInside(head);
    return plan;
  }
  // Batched: rows are the first batch dimension; the operands are read by
  // matrices that need not follow it, so both count as read whole.
  plan.wholeArgs.push_back(head.lhs);
  ArrayRef<int64_t> outBatch = out.getShape().drop_back(2);
  head.rows = outBatch[0];
  head.rowElements = out.getNumElements() / head.rows;
  head.matrices = head.rowElements / (head.m * head.n);
  head.lhsIndex = batchIndices(outBatch, lhs.getShape().drop_back(2));
  head.rhsIndex = batchIndices(outBatch, rhs.getShape().drop_back(2));
  // One B for all, and A in every batch's own matrix, in order.
  bool oneB = llvm::all_of(head.rhsIndex, [](int64_t i) { return i == 0; });
  bool wholeA = !head.transA;
  for (size_t i = 0; i < head.lhsIndex.size(); ++i)
    wholeA &= head.lhsIndex[i] == static_cast<int64_t>(i);
  plan.batchRowsMerge = oneB && wholeA;
  return plan;
}

/// max_pool2d or its gradient by images, its window in a Conv2dShape with
/// as many filters as channels.
template <typename PoolOp>
std::optional<HeadPlan> planMaxPool(PoolOp op, ContractionHead::Kind kind,
                                    Value x, Value other) {
  HeadPlan plan;
  ContractionHead &head = plan.head;
  head.kind = kind;
  head.lhs = argumentOf(x);
  head.rhs = argumentOf(other);
  Conv2dShape &shape = head.conv;
  RankedTensorType xType = tensorTypeOf(x);
  if (xType.getRank() != 4)
    return std::nullopt;
  shape.batch = xType.getDimSize(0);
  shape.channels = shape.filters = xType.getDimSize(1);
  shape.height = xType.getDimSize(2);
  shape.width = xType.getDimSize(3);
  ArrayRef<int64_t> stride = op.getEffectiveStride();
  shape.kernelH = op.getKernel()[0];
  shape.kernelW = op.getKernel()[1];
  shape.strideH = stride[0];
  shape.strideW = stride[1];
  shape.padH = op.getPadding()[0];
  shape.padW = op.getPadding()[1];
  if (!validPool2d(shape))
    return std::nullopt;
  RankedTensorType out = tensorTypeOf(op.getResult());
  head.rows = out.getDimSize(0);
  head.rowElements = out.getNumElements() / std::max<int64_t>(1, head.rows);
  return plan;
}

std::optional<HeadPlan> planHeadOp(Operation *op) {
  // Attention checks its operands itself: it may read them through
  // transposes.
  if (auto attention = dyn_cast<nn::ScaledDotProductAttentionGradOp>(op))
    return planAttention(attention, ContractionHead::Kind::AttentionGrad);
  if (auto attention = dyn_cast<nn::ScaledDotProductAttentionOp>(op))
    return planAttention(attention, ContractionHead::Kind::Attention);
  for (Value operand : op->getOperands())
    if (!isF32(operand) || argumentOf(operand) < 0)
      return std::nullopt;
  if (op->getNumResults() != 1 || !isF32(op->getResult(0)))
    return std::nullopt;
  if (auto matmul = dyn_cast<nn::MatmulOp>(op))
    return planMatmul(matmul);
  if (auto pool = dyn_cast<nn::MaxPool2dOp>(op))
    return planMaxPool(pool, ContractionHead::Kind::MaxPool2d, pool.getX(),
                       pool.getX());
  if (auto grad = dyn_cast<nn::MaxPool2dGradOp>(op))
    return planMaxPool(grad, ContractionHead::Kind::MaxPool2dGrad, grad.getX(),
                       grad.getDy());

  HeadPlan plan;
  ContractionHead &head = plan.head;
  Conv2dShape &shape = head.conv;
  RankedTensorType out = tensorTypeOf(op->getResult(0));
  if (auto conv = dyn_cast<nn::Conv2dOp>(op)) {
    head.kind = ContractionHead::Kind::Conv2d;
    head.lhs = argumentOf(conv.getX());
    head.rhs = argumentOf(conv.getW());
    if (conv.getBias())
      head.bias = argumentOf(conv.getBias());
    setExtents(tensorTypeOf(conv.getX()), tensorTypeOf(conv.getW()), shape);
    setWindow(conv, shape);
    plan.wholeArgs = {head.rhs};
    if (head.bias >= 0)
      plan.wholeArgs.push_back(head.bias);
  } else if (auto grad = dyn_cast<nn::Conv2dGradInputOp>(op)) {
    head.kind = ContractionHead::Kind::Conv2dGradInput;
    head.lhs = argumentOf(grad.getDy());
    head.rhs = argumentOf(grad.getW());
    setExtents(out, tensorTypeOf(grad.getW()), shape);
    setWindow(grad, shape);
    plan.wholeArgs = {head.rhs};
  } else if (auto grad = dyn_cast<nn::Conv2dGradWeightOp>(op)) {
    head.kind = ContractionHead::Kind::Conv2dGradWeight;
    head.lhs = argumentOf(grad.getX());
    head.rhs = argumentOf(grad.getDy());
    setExtents(tensorTypeOf(grad.getX()), out, shape);
    setWindow(grad, shape);
    plan.wholeArgs = {head.lhs, head.rhs};
  } else {
    return std::nullopt;
  }
  if (!shape.valid() || out.getRank() != 4)
    return std::nullopt;
  head.rows = out.getDimSize(0);
  head.rowElements = out.getNumElements() / std::max<int64_t>(1, head.rows);
  return plan;
}

} // namespace

namespace {

/// True for the elementwise ops whose operands broadcast to the result's
/// shape and that a column view leaves meaning the same (nnColumnwise).
bool isColumnwise(Operation *op) { return nn::opFacts(op).columnwise; }

/// True when `body` holds only columnwise maps producing `isValue` values
/// from `isValue` and `isBroadcast` operands, and constants of `isBroadcast`
/// type, and returns `isValue` values: what a rewrite that retypes those
/// values alone leaves meaning the same.
bool isMapOver(Block &body, function_ref<bool(Type)> isValue,
               function_ref<bool(Type)> isBroadcast) {
  for (Operation &op : body.without_terminator()) {
    if (isa<nn::ConstantOp>(op)) {
      if (!isBroadcast(op.getResult(0).getType()))
        return false;
      continue;
    }
    if (!isColumnwise(&op))
      return false;
    for (Value operand : op.getOperands())
      if (!isValue(operand.getType()) && !isBroadcast(operand.getType()))
        return false;
    for (Value result : op.getResults())
      if (!isValue(result.getType()))
        return false;
  }
  return llvm::all_of(body.getTerminator()->getOperandTypes(), isValue);
}

/// Gives `tail`'s used arguments, its last (H) and its ops' results the
/// types `retype` maps them to (the buffers keep their bytes), and the
/// function its new signature.
void retypeTail(func::FuncOp tail, function_ref<Type(Type)> retype) {
  Block &body = tail.getBody().front();
  BlockArgument h = body.getArguments().back();
  for (BlockArgument arg : body.getArguments())
    if (!arg.use_empty() || arg == h)
      arg.setType(retype(arg.getType()));
  for (Operation &op : body.without_terminator())
    for (Value result : op.getResults())
      result.setType(retype(result.getType()));
  SmallVector<Type> inputs(body.getArgumentTypes());
  SmallVector<Type> results(body.getTerminator()->getOperandTypes());
  tail.setFunctionType(FunctionType::get(tail.getContext(), inputs, results));
}

} // namespace

void nnc::cpu::splitTailByColumns(func::FuncOp tail, HeadPlan &plan) {
  ContractionHead &head = plan.head;
  int64_t n = head.n;
  // [1, n] and [n] become [n, 1]; scalars stay.
  auto isRow = [&](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor)
      return false;
    ArrayRef<int64_t> shape = tensor.getShape();
    return (shape.size() == 2 && shape[0] == 1 && shape[1] == n) ||
           (shape.size() == 1 && shape[0] == n);
  };
  auto isScalar = [](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return tensor && tensor.getRank() == 0;
  };
  Block &body = tail.getBody().front();
  if (!isMapOver(body, isRow, isScalar) ||
      !isRow(body.getArguments().back().getType())) {
    head.columns = false;
    head.rows = head.m;
    head.rowElements = head.n;
    return;
  }
  retypeTail(tail, [&](Type type) -> Type {
    if (!isRow(type))
      return type;
    auto tensor = cast<RankedTensorType>(type);
    return RankedTensorType::get({n, 1}, tensor.getElementType());
  });
}

void nnc::cpu::mergeBatchRows(func::FuncOp tail, HeadPlan &plan) {
  ContractionHead &head = plan.head;
  Block &body = tail.getBody().front();
  BlockArgument h = body.getArguments().back();
  auto hType = cast<RankedTensorType>(h.getType());
  ArrayRef<int64_t> hShape = hType.getShape();
  int64_t n = head.n;
  int64_t rows = hType.getNumElements() / n;
  auto isRows = [&](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    return tensor && tensor.getShape() == hShape;
  };
  // Operands the merge leaves as they are: they broadcast along the rows
  // the same way before and after it.
  auto isBroadcastRow = [&](Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor)
      return false;
    ArrayRef<int64_t> shape = tensor.getShape();
    return shape.empty() || (shape.size() == 1 && shape[0] == n) ||
           (shape.size() == 2 && shape[0] == 1 && shape[1] == n);
  };
  if (!isMapOver(body, isRows, isBroadcastRow))
    return;
  plan.batchRowsMerge = false;
  head.m = rows;
  head.rows = rows;
  head.rowElements = n;
  head.matrices = 1;
  head.lhsIndex.clear();
  head.rhsIndex.clear();
  // A is now read by its own rows, as in any 2-D GEMM.
  llvm::erase(plan.wholeArgs, head.lhs);
  retypeTail(tail, [&](Type type) -> Type {
    if (!isRows(type))
      return type;
    return RankedTensorType::get({rows, n},
                                 cast<RankedTensorType>(type).getElementType());
  });
}

std::optional<HeadPlan> nnc::cpu::planHead(func::FuncOp fn) {
  Block &body = fn.getBody().front();
  SmallVector<Operation *> transposesBefore;
  for (Operation &op : body.without_terminator()) {
    if (isa<nn::ConstantOp>(op))
      continue;
    // A transpose an attention op may read through (readThrough).
    auto transpose = dyn_cast<nn::TransposeOp>(op);
    if (transpose && transpose.keepsLastAxis() &&
        llvm::all_of(transpose->getUsers(), [](Operation *user) {
          return isa<nn::ScaledDotProductAttentionOp,
                     nn::ScaledDotProductAttentionGradOp>(user);
        })) {
      transposesBefore.push_back(&op);
      continue;
    }
    std::optional<HeadPlan> plan = planHeadOp(&op);
    if (!plan || plan->head.rows < 1 || plan->head.rowElements < 1)
      return std::nullopt;
    plan->op = &op;
    bool attention = !plan->head.attentionBuffers.empty();
    for (Value result : op.getResults())
      plan->written.push_back(attention ? writtenFor(result) : result);
    // What the head computes besides its op: the transposes it reads
    // through, and those it writes.
    for (Operation *transpose : transposesBefore)
      if (llvm::all_of(transpose->getUsers(),
                       [&](Operation *user) { return user == &op; }))
        plan->covered.push_back(transpose);
    for (Value value : plan->written)
      if (value.getDefiningOp() != &op)
        plan->covered.push_back(value.getDefiningOp());
    if (op.getNumResults() == 1)
      return plan;
    // A head with several results writes them all itself: the kernel must
    // return each once, and nothing else.
    ValueRange returned = body.getTerminator()->getOperands();
    if (returned.size() != plan->written.size())
      return std::nullopt;
    ContractionHead &head = plan->head;
    for (auto [i, value] : llvm::enumerate(plan->written)) {
      auto it = llvm::find(returned, value);
      if (it == returned.end())
        return std::nullopt;
      if (head.kind == ContractionHead::Kind::AttentionGrad)
        head.attentionBuffers[ContractionHead::DQ + i] =
            fn.getNumArguments() + std::distance(returned.begin(), it);
    }
    return plan;
  }
  return std::nullopt;
}
