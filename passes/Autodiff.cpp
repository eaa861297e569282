//===- Autodiff.cpp - Reverse-mode differentiation of nn functions --------===//
//
// A walk over GradientOpInterface in reverse program order. Which ops are
// walked is decided first, by reachability: an op is differentiated only if
// it lies on a path from a requested argument to the loss, so frozen
// parameters and inputs nobody asked for cost no backward work.
//
//===----------------------------------------------------------------------===//

#include "passes/Autodiff.h"

#include "ir/BindingRoles.h"
#include "ir/NNInterfaces.h"
#include "ir/NNOps.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace nnc {

namespace {

bool isFloatTensor(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor && isa<FloatType>(tensor.getElementType());
}

/// The values that depend on some argument of `wrt`, over the ops of
/// `ops` (in program order).
DenseSet<Value> dependentsOf(ArrayRef<BlockArgument> wrt,
                             ArrayRef<Operation *> ops) {
  DenseSet<Value> reached(wrt.begin(), wrt.end());
  for (Operation *op : ops)
    if (llvm::any_of(op->getOperands(),
                     [&](Value v) { return reached.contains(v); }))
      reached.insert(op->result_begin(), op->result_end());
  return reached;
}

/// Whether `grad` can stand for the gradient of `value`: same element type
/// and compatible shapes (a rule may keep a static extent dynamic).
bool isGradientTypeOf(Value grad, Value value) {
  auto gradType = dyn_cast<RankedTensorType>(grad.getType());
  auto valueType = cast<RankedTensorType>(value.getType());
  return gradType && gradType.getElementType() == valueType.getElementType() &&
         succeeded(verifyCompatibleShape(gradType, valueType));
}

} // namespace

FailureOr<SmallVector<Value>> buildGradients(OpBuilder &builder,
                                             func::FuncOp function, Value loss,
                                             ArrayRef<BlockArgument> wrt) {
  OpBuilder::InsertionGuard guard(builder);
  Block *block = builder.getInsertionBlock();
  assert(block == &function.getBody().front() &&
         "gradients are built in the function's entry block");
  assert(isFloatTensor(loss.getType()) &&
         cast<RankedTensorType>(loss.getType()).getRank() == 0 &&
         "the loss is a scalar float tensor");

  // The ops to differentiate exist before the first backward op is built.
  SmallVector<Operation *> ops;
  for (Operation &op :
       llvm::make_range(block->begin(), builder.getInsertionPoint()))
    ops.push_back(&op);
  DenseSet<Value> dependsOnWrt = dependentsOf(wrt, ops);

  // Gradients kept: only of float values that depend on a requested
  // argument; anything else a rule returns is dropped and later erased.
  DenseMap<Value, Value> grads;
  auto accumulate = [&](Value value, Value grad, Location loc) {
    if (!grad || !dependsOnWrt.contains(value) ||
        !isFloatTensor(value.getType()))
      return;
    auto [it, inserted] = grads.try_emplace(value, grad);
    if (!inserted)
      it->second = builder.create<nn::AddOp>(loc, it->second, grad);
  };

  if (dependsOnWrt.contains(loss)) {
    auto lossType = cast<RankedTensorType>(loss.getType());
    grads[loss] = builder.create<nn::ConstantOp>(
        loss.getLoc(),
        cast<ElementsAttr>(DenseElementsAttr::get(
            lossType, FloatAttr::get(lossType.getElementType(), 1.0))));
  }

  // After a rule fails, its operands get zeros in place of gradients, so
  // that the walk still reaches, and reports, every op upstream of it.
  bool failedAny = false;
  auto giveUp = [&](Operation *op) {
    failedAny = true;
    for (Value operand : op->getOperands())
      if (dependsOnWrt.contains(operand) && isFloatTensor(operand.getType()))
        accumulate(operand,
                   buildZeros(builder, op->getLoc(), operand.getType()),
                   op->getLoc());
  };
  for (Operation *op : llvm::reverse(ops)) {
    SmallVector<Value> resultGrads;
    bool anyGrad = false;
    for (Value result : op->getResults()) {
      resultGrads.push_back(grads.lookup(result));
      anyGrad |= static_cast<bool>(resultGrads.back());
    }
    if (!anyGrad)
      continue;

    auto rule = dyn_cast<nn::GradientOpInterface>(op);
    if (!rule) {
      op->emitError() << "no gradient rule for '" << op->getName() << "'";
      giveUp(op);
      continue;
    }
    SmallVector<Value> operandGrads;
    // The rule reports its own error at the op's location; the walk goes
    // on so that one run reports every op without a rule. A rule may move
    // the insertion point; the next one starts where this one started.
    OpBuilder::InsertionGuard ruleGuard(builder);
    if (failed(rule.buildGradient(builder, resultGrads, operandGrads))) {
      giveUp(op);
      continue;
    }
    if (operandGrads.size() != op->getNumOperands()) {
      op->emitError() << "gradient rule of '" << op->getName() << "' returned "
                      << operandGrads.size() << " gradients for "
                      << op->getNumOperands() << " operands";
      giveUp(op);
      continue;
    }
    for (auto [index, operand] : llvm::enumerate(op->getOperands())) {
      Value grad = operandGrads[index];
      if (grad && isFloatTensor(operand.getType()) &&
          !isGradientTypeOf(grad, operand)) {
        op->emitError() << "gradient rule of '" << op->getName()
                        << "' returned " << grad.getType() << " for operand #"
                        << index << " of type " << operand.getType();
        failedAny = true;
        grad = buildZeros(builder, op->getLoc(), operand.getType());
      }
      accumulate(operand, grad, op->getLoc());
    }
  }
  if (failedAny)
    return failure();

  SmallVector<Value> result;
  for (BlockArgument arg : wrt)
    result.push_back(grads.lookup(arg));
  return result;
}

void warnZeroGradient(BlockArgument arg, Value loss, StringRef described) {
  // Whether loss depends on arg at all: a walk along the uses.
  SmallVector<Value> pending{arg};
  DenseSet<Value> seen{arg};
  bool reaches = false;
  while (!pending.empty() && !reaches) {
    Value value = pending.pop_back_val();
    reaches = value == loss;
    for (Operation *user : value.getUsers())
      for (Value result : user->getResults())
        if (seen.insert(result).second)
          pending.push_back(result);
  }
  if (reaches)
    emitWarning(arg.getLoc())
        << described
        << " reaches the loss only through operands that take no gradient "
           "(such as the mask of scaled_dot_product_attention); its gradient "
           "is zero";
  else
    emitWarning(arg.getLoc())
        << described << " does not reach the loss; its gradient is zero";
}

Value buildZeros(OpBuilder &builder, Location loc, Type type) {
  auto tensor = cast<RankedTensorType>(type);
  Attribute zero = builder.getFloatAttr(tensor.getElementType(), 0.0);
  if (tensor.hasStaticShape())
    return builder.create<nn::ConstantOp>(
        loc, cast<ElementsAttr>(DenseElementsAttr::get(tensor, zero)));
  auto scalar = RankedTensorType::get({}, tensor.getElementType());
  Value zeroScalar = builder.create<nn::ConstantOp>(
      loc, cast<ElementsAttr>(DenseElementsAttr::get(scalar, zero)));
  SmallVector<int64_t> shape;
  for (int64_t extent : tensor.getShape())
    shape.push_back(ShapedType::isDynamic(extent) ? -1 : extent);
  return builder.create<nn::BroadcastToOp>(loc, zeroScalar, shape);
}

void eraseDeadOps(Block &block) {
  // Users follow their operands' definitions in a block, so one walk from
  // the end erases whole dead chains.
  for (Operation &op : llvm::make_early_inc_range(llvm::reverse(block)))
    if (isOpTriviallyDead(&op))
      op.erase();
}

StringRef getArgString(func::FuncOp function, unsigned index, StringRef name) {
  if (auto attr = function.getArgAttrOfType<StringAttr>(index, name))
    return attr.getValue();
  return "";
}

StringRef getResultString(func::FuncOp function, unsigned index,
                          StringRef name) {
  if (auto attr = function.getResultAttrOfType<StringAttr>(index, name))
    return attr.getValue();
  return "";
}

bool isTrainableParam(func::FuncOp function, unsigned index) {
  return nn::argumentRole(function, index) == rt::BindingRole::Param &&
         !function.getArgAttr(index, "nn.frozen");
}

FailureOr<unsigned> findLossResult(func::FuncOp function) {
  for (unsigned i = 0, e = function.getNumResults(); i != e; ++i) {
    if (nn::resultRole(function, i) != rt::BindingRole::Loss)
      continue;
    Type type = function.getResultTypes()[i];
    if (!isFloatTensor(type) || cast<RankedTensorType>(type).getRank() != 0)
      return function.emitError()
             << "the loss of @" << function.getSymName()
             << " must be a scalar float tensor, got " << type;
    return i;
  }
  return function.emitError()
         << "@" << function.getSymName() << " has no result with role 'loss'";
}

FailureOr<func::FuncOp> buildGradFunction(ModuleOp module,
                                          const AutodiffOptions &options) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward || forward.isExternal())
    return module.emitError() << "nn-autodiff needs a @forward function";
  if (module.lookupSymbol("grad"))
    return module.emitError() << "the module already has a @grad symbol";
  FailureOr<unsigned> lossIndex = findLossResult(forward);
  if (failed(lossIndex))
    return failure();

  // The arguments differentiated: trainable parameters, then the inputs
  // asked for, in the order asked.
  SmallVector<unsigned> wrtIndices;
  for (unsigned i = 0, e = forward.getNumArguments(); i != e; ++i)
    if (isTrainableParam(forward, i))
      wrtIndices.push_back(i);
  unsigned numParams = wrtIndices.size();
  for (const std::string &name : options.wrtInputs) {
    std::optional<unsigned> found;
    for (unsigned i = 0, e = forward.getNumArguments(); i != e; ++i)
      if (nn::argumentRole(forward, i) == rt::BindingRole::Input &&
          getArgString(forward, i, "nn.name") == name)
        found = i;
    if (!found)
      return forward.emitError()
             << "wrt-inputs names '" << name << "', which is not an input of @"
             << forward.getSymName();
    if (!isFloatTensor(forward.getArgument(*found).getType()))
      return forward.emitError()
             << "cannot differentiate with respect to input '" << name
             << "': it is not a float tensor";
    wrtIndices.push_back(*found);
  }

  // @grad starts as a copy of @forward, returning nothing yet.
  OpBuilder builder(module.getContext());
  builder.setInsertionPointAfter(forward);
  auto grad = cast<func::FuncOp>(builder.clone(*forward));
  grad.setSymName("grad");
  Block &body = grad.getBody().front();
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  Value loss = ret.getOperand(*lossIndex);
  ret.erase();

  SmallVector<BlockArgument> wrt;
  for (unsigned i : wrtIndices)
    wrt.push_back(grad.getArgument(i));
  builder.setInsertionPointToEnd(&body);
  FailureOr<SmallVector<Value>> grads =
      buildGradients(builder, grad, loss, wrt);
  if (failed(grads)) {
    grad.erase();
    return failure();
  }

  MLIRContext *ctx = module.getContext();
  auto resultAttrs = [&](StringRef name, rt::BindingRole role) {
    return DictionaryAttr::get(ctx,
                               {NamedAttribute(StringAttr::get(ctx, "nn.name"),
                                               StringAttr::get(ctx, name)),
                                nn::roleAttribute(ctx, role)});
  };
  SmallVector<Value> results{loss};
  SmallVector<Attribute> attrs{resultAttrs(
      getResultString(forward, *lossIndex, "nn.name"), rt::BindingRole::Loss)};
  for (auto [position, index] : llvm::enumerate(wrtIndices)) {
    BlockArgument arg = grad.getArgument(index);
    StringRef name = getArgString(forward, index, "nn.name");
    Value value = (*grads)[position];
    if (!value) {
      warnZeroGradient(
          arg, loss,
          ((position < numParams ? "parameter '" : "input '") + name + "'")
              .str());
      value = buildZeros(builder, arg.getLoc(), arg.getType());
    }
    results.push_back(value);
    attrs.push_back(resultAttrs(("grad_" + name).str(), rt::BindingRole::Grad));
  }
  builder.create<func::ReturnOp>(grad.getLoc(), results);
  grad.setFunctionType(builder.getFunctionType(grad.getArgumentTypes(),
                                               ValueRange(results).getTypes()));
  grad.setAllResultAttrs(attrs);
  eraseDeadOps(body);
  return grad;
}

} // namespace nnc
