//===- KernelPlan.cpp - How a kernel function splits and what it checks ---===//

#include "backends/cpu/compiler/KernelPlan.h"

#include "backends/cpu/compiler/LinalgBuilders.h"

#include "ir/NNOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

namespace {

/// The single non-constant op of `fn`, if there is exactly one.
Operation *singleOp(func::FuncOp fn) {
  Operation *found = nullptr;
  for (Operation &op : fn.getBody().front().without_terminator()) {
    if (isa<nn::ConstantOp>(op))
      continue;
    if (found)
      return nullptr;
    found = &op;
  }
  return found;
}

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
  int64_t outRank = cast<RankedTensorType>(op->getResult(0).getType()).getRank();
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
  return llvm::TypeSwitch<Operation *, Result>(op)
      .Case<nn::AddOp, nn::SubOp, nn::MulOp, nn::DivOp, nn::PowOp, nn::NegOp,
            nn::AbsOp, nn::ExpOp, nn::LogOp, nn::SqrtOp, nn::ReluOp,
            nn::SigmoidOp, nn::TanhOp, nn::GeluOp, nn::LeakyReluOp,
            nn::MaximumOp, nn::MinimumOp, nn::SignOp, nn::ReluGradOp,
            nn::LeakyReluGradOp, nn::GeluGradOp, nn::SgdUpdateOp,
            nn::MomentumUpdateOp, nn::AdamUpdateOp, nn::BroadcastToOp>(
          [&](Operation *) { return byShape(); })
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
      .Case<nn::SoftmaxGradOp, nn::LogSoftmaxGradOp>(
          [&](auto grad) -> Result {
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
      .Case<nn::DropoutOp, nn::DropoutGradOp>([&](Operation *) {
        std::vector<bool> sliced(op->getNumOperands(), false);
        sliced[0] = true;
        return std::optional<std::vector<bool>>(sliced);
      })
      .Default([](Operation *) { return std::nullopt; });
}

} // namespace

std::optional<SplitPlan> nnc::cpu::planSplit(func::FuncOp fn) {
  Operation *op = singleOp(fn);
  if (!op || op->getNumResults() == 0)
    return std::nullopt;
  auto ret = cast<func::ReturnOp>(fn.getBody().front().getTerminator());
  if (ret.getNumOperands() == 0)
    return std::nullopt;
  auto firstType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!firstType || firstType.getRank() == 0)
    return std::nullopt;
  int64_t rows = firstType.getDimSize(0);
  if (rows <= 1)
    return std::nullopt;
  for (Value result : op->getResults())
    if (!splitsOnLeading(result, rows))
      return std::nullopt;
  for (Value value : ret.getOperands())
    if (value.getDefiningOp() != op)
      return std::nullopt;
  std::optional<std::vector<bool>> sliced = splitOperands(op, rows);
  if (!sliced)
    return std::nullopt;

  SplitPlan plan;
  plan.rows = rows;
  std::vector<int> use(fn.getNumArguments(), -1);
  for (auto [index, operand] : llvm::enumerate(op->getOperands())) {
    bool split = (*sliced)[index];
    if (split && !splitsOnLeading(operand, rows))
      return std::nullopt;
    auto arg = dyn_cast<BlockArgument>(operand);
    if (!arg) {
      if (split)
        return std::nullopt;
      continue;
    }
    int &seen = use[arg.getArgNumber()];
    if (seen != -1 && seen != static_cast<int>(split))
      return std::nullopt;
    seen = split;
  }
  for (int seen : use)
    plan.slicedArgs.push_back(seen == 1);
  return plan;
}

namespace {

std::optional<nnc_dtype> dtypeOf(Type type) {
  Type element = cast<RankedTensorType>(type).getElementType();
  if (element.isF32())
    return NNC_F32;
  if (element.isF64())
    return NNC_F64;
  if (element.isInteger(32))
    return NNC_I32;
  if (element.isInteger(64))
    return NNC_I64;
  return std::nullopt;
}

void addCheck(std::vector<DataCheck> &checks, Value value, DataCheck::Kind kind,
              int64_t bound, StringRef op) {
  auto arg = dyn_cast<BlockArgument>(value);
  std::optional<nnc_dtype> dtype = dtypeOf(value.getType());
  if (!arg || !dtype)
    return;
  DataCheck check;
  check.kind = kind;
  check.buffer = arg.getArgNumber();
  check.dtype = *dtype;
  check.count = tensorTypeOf(value).getNumElements();
  check.bound = bound;
  check.op = op.str();
  checks.push_back(check);
}

} // namespace

std::vector<DataCheck> nnc::cpu::planChecks(func::FuncOp fn) {
  std::vector<DataCheck> checks;
  fn.walk([&](Operation *op) {
    StringRef name = op->getName().stripDialect();
    if (auto gather = dyn_cast<nn::GatherOp>(op)) {
      RankedTensorType x = tensorTypeOf(gather.getX());
      int64_t axis = normalizeAxis(gather.getAxis(), x.getRank());
      addCheck(checks, gather.getIndices(), DataCheck::Kind::IndexBelow,
               x.getDimSize(axis), name);
    } else if (auto grad = dyn_cast<nn::GatherGradOp>(op)) {
      RankedTensorType out = tensorTypeOf(grad.getResult());
      int64_t axis = normalizeAxis(grad.getAxis(), out.getRank());
      addCheck(checks, grad.getIndices(), DataCheck::Kind::IndexBelow,
               out.getDimSize(axis), name);
    } else if (auto loss = dyn_cast<nn::SoftmaxCrossEntropyOp>(op)) {
      addCheck(checks, loss.getLabels(), DataCheck::Kind::IndexBelow,
               tensorTypeOf(loss.getLogits()).getDimSize(1), name);
    } else if (auto grad = dyn_cast<nn::SoftmaxCrossEntropyGradOp>(op)) {
      addCheck(checks, grad.getLabels(), DataCheck::Kind::IndexBelow,
               tensorTypeOf(grad.getLogits()).getDimSize(1), name);
    } else if (auto div = dyn_cast<nn::DivOp>(op)) {
      if (isa<IntegerType>(tensorTypeOf(div.getRhs()).getElementType()))
        addCheck(checks, div.getRhs(), DataCheck::Kind::NonZero, 0, name);
    } else if (auto bce = dyn_cast<nn::BinaryCrossEntropyOp>(op)) {
      addCheck(checks, bce.getProbabilities(), DataCheck::Kind::Probability, 0,
               name);
    } else if (auto grad = dyn_cast<nn::BinaryCrossEntropyGradOp>(op)) {
      addCheck(checks, grad.getProbabilities(), DataCheck::Kind::Probability,
               0, name);
    } else if (auto adam = dyn_cast<nn::AdamUpdateOp>(op)) {
      addCheck(checks, adam.getStep(), DataCheck::Kind::AtLeastOne, 0, name);
    }
  });
  return checks;
}
