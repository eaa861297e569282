//===- KernelChecks.cpp - The data checks a kernel makes before it runs ---===//
//
// Index bounds, integer divisors, probabilities and Adam's step: conditions
// on a kernel's input data that its runtime half checks before it runs
// (DataCheck), as ref reports the same conditions.
//
//===----------------------------------------------------------------------===//

#include "backends/cpu/compiler/KernelPlan.h"

#include "backends/cpu/compiler/LinalgBuilders.h"

#include "ir/NNOps.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::cpu;

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
              int64_t bound, StringRef op,
              std::optional<int64_t> ignored = std::nullopt) {
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
  check.ignored = ignored;
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
               tensorTypeOf(loss.getLogits()).getShape().back(), name,
               loss.getIgnoreIndex());
    } else if (auto grad = dyn_cast<nn::SoftmaxCrossEntropyGradOp>(op)) {
      addCheck(checks, grad.getLabels(), DataCheck::Kind::IndexBelow,
               tensorTypeOf(grad.getLogits()).getShape().back(), name,
               grad.getIgnoreIndex());
    } else if (auto div = dyn_cast<nn::DivOp>(op)) {
      if (isa<IntegerType>(tensorTypeOf(div.getRhs()).getElementType()))
        addCheck(checks, div.getRhs(), DataCheck::Kind::NonZero, 0, name);
    } else if (auto bce = dyn_cast<nn::BinaryCrossEntropyOp>(op)) {
      addCheck(checks, bce.getProbabilities(), DataCheck::Kind::Probability, 0,
               name);
    } else if (auto grad = dyn_cast<nn::BinaryCrossEntropyGradOp>(op)) {
      addCheck(checks, grad.getProbabilities(), DataCheck::Kind::Probability, 0,
               name);
    } else if (auto adam = dyn_cast<nn::AdamUpdateOp>(op)) {
      addCheck(checks, adam.getStep(), DataCheck::Kind::AtLeastOne, 0, name);
    }
  });
  return checks;
}
