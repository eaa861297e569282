//===- TrainingStep.cpp - Build @train_step from @forward -----------------===//
//
// @train_step = @forward in training mode + the autodiff core's gradients
// (passes/Autodiff.h) + optional clipping by global norm + one optimizer
// update op per trainable parameter. Its signature is docs/autodiff.md's.
//
//===----------------------------------------------------------------------===//

#include "passes/TrainingStep.h"

#include "ir/BindingRoles.h"
#include "passes/Autodiff.h"

#include "ir/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

using namespace mlir;

namespace nnc {

namespace {

/// The optimizer and hyperparameters after options override `nn.train`.
struct OptimizerConfig {
  std::string name;
  double lr, momentum, weightDecay, beta1, beta2, eps, clipNorm;

  bool isAdam() const { return name == "adam" || name == "adamw"; }
  /// sgd without momentum keeps no state and uses sgd_update.
  bool isPlainSgd() const { return name == "sgd" && momentum == 0.0; }
  /// The optimizer state slots of each trainable parameter, in order.
  SmallVector<StringRef> slots() const {
    if (isAdam())
      return {"m", "v"};
    if (isPlainSgd())
      return {};
    return {"velocity"};
  }
};

/// `options`' value if set, else `nn.train`'s `hyper.KEY`, else `fallback`.
double pickHyper(std::optional<double> option, DictionaryAttr hyper,
                 StringRef key, double fallback) {
  if (option)
    return *option;
  if (hyper)
    if (auto value = hyper.getAs<FloatAttr>(key))
      return value.getValueAsDouble();
  return fallback;
}

FailureOr<OptimizerConfig> resolveConfig(ModuleOp module,
                                         const TrainingStepOptions &options) {
  auto train = module->getAttrOfType<DictionaryAttr>("nn.train");
  DictionaryAttr hyper = train ? train.getAs<DictionaryAttr>("hyper") : nullptr;
  OptimizerConfig config;
  config.name = "sgd";
  if (options.optimizer)
    config.name = *options.optimizer;
  else if (train)
    if (auto name = train.getAs<StringAttr>("optimizer"))
      config.name = name.str();
  config.lr = pickHyper(options.lr, hyper, "lr", 0.01);
  // momentum and nesterov without a momentum take the update op's 0.9;
  // sgd without one is plain SGD.
  config.momentum = pickHyper(options.momentum, hyper, "momentum",
                              config.name == "sgd" ? 0.0 : 0.9);
  config.weightDecay =
      pickHyper(options.weightDecay, hyper, "weight_decay", 0.0);
  config.beta1 = pickHyper(options.beta1, hyper, "beta1", 0.9);
  config.beta2 = pickHyper(options.beta2, hyper, "beta2", 0.999);
  config.eps = pickHyper(options.eps, hyper, "eps", 1e-8);
  config.clipNorm = pickHyper(options.clipNorm, hyper, "clip_norm", 0.0);

  if (!llvm::is_contained({"sgd", "momentum", "nesterov", "adam", "adamw"},
                          config.name))
    return module.emitError()
           << "unknown optimizer '" << config.name
           << "'; expected sgd, momentum, nesterov, adam or adamw";
  auto check = [&](bool ok, StringRef what, double value,
                   StringRef range) -> LogicalResult {
    if (ok)
      return success();
    return module.emitError()
           << "optimizer " << what << " must be " << range << ", got " << value;
  };
  if (failed(check(config.lr >= 0, "lr", config.lr, ">= 0")) ||
      failed(check(config.momentum >= 0 && config.momentum < 1, "momentum",
                   config.momentum, "in [0, 1)")) ||
      failed(check(config.weightDecay >= 0, "weight_decay", config.weightDecay,
                   ">= 0")) ||
      failed(check(config.beta1 >= 0 && config.beta1 < 1, "beta1", config.beta1,
                   "in [0, 1)")) ||
      failed(check(config.beta2 >= 0 && config.beta2 < 1, "beta2", config.beta2,
                   "in [0, 1)")) ||
      failed(check(config.eps > 0, "eps", config.eps, "> 0")) ||
      failed(check(config.clipNorm >= 0, "clip_norm", config.clipNorm, ">= 0")))
    return failure();
  return config;
}

DictionaryAttr nameAndRole(MLIRContext *ctx, StringRef name,
                           rt::BindingRole role) {
  return DictionaryAttr::get(ctx,
                             {NamedAttribute(StringAttr::get(ctx, "nn.name"),
                                             StringAttr::get(ctx, name)),
                              nn::roleAttribute(ctx, role)});
}

Value scalarConstant(OpBuilder &builder, Location loc, Type elementType,
                     double value) {
  auto type = RankedTensorType::get({}, elementType);
  return builder.create<nn::ConstantOp>(
      loc, cast<ElementsAttr>(DenseElementsAttr::get(
               type, builder.getFloatAttr(elementType, value))));
}

/// Scales `grads` in place by min(1, clipNorm / (||grads||_2 + 1e-6)), the
/// norm taken over all of them together.
LogicalResult clipByGlobalNorm(OpBuilder &builder, Location loc,
                               MutableArrayRef<Value> grads, double clipNorm,
                               func::FuncOp function) {
  if (grads.empty())
    return success();
  Type elementType =
      cast<RankedTensorType>(grads[0].getType()).getElementType();
  Value sumOfSquares;
  for (Value grad : grads) {
    if (cast<RankedTensorType>(grad.getType()).getElementType() != elementType)
      return function.emitError()
             << "clip-norm needs every trainable parameter to have one float "
                "type";
    Value square = builder.create<nn::MulOp>(loc, grad, grad);
    Value sum = builder.create<nn::ReduceSumOp>(loc, square);
    sumOfSquares =
        sumOfSquares ? builder.create<nn::AddOp>(loc, sumOfSquares, sum) : sum;
  }
  Value norm = builder.create<nn::SqrtOp>(loc, sumOfSquares);
  Value denominator = builder.create<nn::AddOp>(
      loc, norm, scalarConstant(builder, loc, elementType, 1e-6));
  Value ratio = builder.create<nn::DivOp>(
      loc, scalarConstant(builder, loc, elementType, clipNorm), denominator);
  Value scale = builder.create<nn::MinimumOp>(
      loc, ratio, scalarConstant(builder, loc, elementType, 1.0));
  for (Value &grad : grads)
    grad = builder.create<nn::MulOp>(loc, grad, scale);
  return success();
}

/// Builds the update of one parameter: returns the new parameter, then its
/// new state slots in OptimizerConfig::slots order.
SmallVector<Value> buildUpdate(OpBuilder &builder, Location loc,
                               const OptimizerConfig &config, Value param,
                               Value grad, ArrayRef<Value> state, Value step,
                               Value lr) {
  auto f64 = [&](double value) { return builder.getF64FloatAttr(value); };
  if (config.isPlainSgd())
    return {builder.create<nn::SgdUpdateOp>(loc, param, grad, lr,
                                            f64(config.weightDecay))};
  if (config.isAdam()) {
    auto update = builder.create<nn::AdamUpdateOp>(
        loc, param, grad, state[0], state[1], step, lr, f64(config.beta1),
        f64(config.beta2), f64(config.eps), f64(config.weightDecay),
        builder.getBoolAttr(config.name == "adamw"));
    return SmallVector<Value>(update->getResults());
  }
  auto update = builder.create<nn::MomentumUpdateOp>(
      loc, param, grad, state[0], lr, f64(config.momentum),
      f64(config.weightDecay), builder.getBoolAttr(config.name == "nesterov"));
  return SmallVector<Value>(update->getResults());
}

DictionaryAttr describeConfig(MLIRContext *ctx, const OptimizerConfig &c) {
  Builder b(ctx);
  return b.getDictionaryAttr({
      b.getNamedAttr("name", b.getStringAttr(c.name)),
      b.getNamedAttr("lr", b.getF64FloatAttr(c.lr)),
      b.getNamedAttr("momentum", b.getF64FloatAttr(c.momentum)),
      b.getNamedAttr("weight_decay", b.getF64FloatAttr(c.weightDecay)),
      b.getNamedAttr("beta1", b.getF64FloatAttr(c.beta1)),
      b.getNamedAttr("beta2", b.getF64FloatAttr(c.beta2)),
      b.getNamedAttr("eps", b.getF64FloatAttr(c.eps)),
      b.getNamedAttr("clip_norm", b.getF64FloatAttr(c.clipNorm)),
  });
}

/// Builds @train_apply: the clipping and optimizer update of @train_step,
/// on gradients given as arguments (the split step, TrainingStepOptions).
LogicalResult buildApplyFunction(OpBuilder &builder, func::FuncOp forward,
                                 ArrayRef<unsigned> trainable,
                                 const OptimizerConfig &config) {
  MLIRContext *ctx = forward.getContext();
  SmallVector<StringRef> slots = config.slots();
  SmallVector<Type> argTypes;
  SmallVector<Location> argLocs;
  SmallVector<Attribute> argAttrs;
  auto addArgument = [&](unsigned index, std::string name,
                         rt::BindingRole role) {
    argTypes.push_back(forward.getArgumentTypes()[index]);
    argLocs.push_back(forward.getArgument(index).getLoc());
    argAttrs.push_back(nameAndRole(ctx, name, role));
  };
  for (unsigned index : trainable)
    addArgument(index, getArgString(forward, index, "nn.name").str(),
                rt::BindingRole::Param);
  for (unsigned index : trainable)
    addArgument(index, getArgString(forward, index, "nn.name").str(),
                rt::BindingRole::Grad);
  for (unsigned index : trainable)
    for (StringRef slot : slots)
      addArgument(index,
                  (getArgString(forward, index, "nn.name") + "." + slot).str(),
                  rt::BindingRole::OptState);
  argTypes.push_back(RankedTensorType::get({}, builder.getI64Type()));
  argLocs.push_back(forward.getLoc());
  argAttrs.push_back(nameAndRole(ctx, "step", rt::BindingRole::Step));
  argTypes.push_back(RankedTensorType::get({}, builder.getF32Type()));
  argLocs.push_back(forward.getLoc());
  argAttrs.push_back(nameAndRole(ctx, "lr", rt::BindingRole::Lr));

  auto apply = builder.create<func::FuncOp>(
      forward.getLoc(), "train_apply", builder.getFunctionType(argTypes, {}));
  Block *body = builder.createBlock(&apply.getBody(), {}, argTypes, argLocs);
  size_t count = trainable.size();
  Value stepArg = body->getArgument(argTypes.size() - 2);
  Value lrArg = body->getArgument(argTypes.size() - 1);
  SmallVector<Value> grads;
  for (size_t p = 0; p != count; ++p)
    grads.push_back(body->getArgument(count + p));
  if (config.clipNorm > 0 &&
      failed(clipByGlobalNorm(builder, forward.getLoc(), grads, config.clipNorm,
                              apply))) {
    apply.erase();
    return failure();
  }
  SmallVector<Value> results, stateUpdates;
  SmallVector<Attribute> resultAttrs, stateAttrs;
  for (size_t p = 0; p != count; ++p) {
    SmallVector<Value> state;
    for (unsigned s = 0; s != slots.size(); ++s)
      state.push_back(body->getArgument(2 * count + p * slots.size() + s));
    SmallVector<Value> updated =
        buildUpdate(builder, forward.getArgument(trainable[p]).getLoc(), config,
                    body->getArgument(p), grads[p], state, stepArg, lrArg);
    StringRef name = getArgString(forward, trainable[p], "nn.name");
    results.push_back(updated[0]);
    resultAttrs.push_back(nameAndRole(ctx, name, rt::BindingRole::ParamUpdate));
    for (auto [s, slot] : llvm::enumerate(slots)) {
      stateUpdates.push_back(updated[s + 1]);
      stateAttrs.push_back(nameAndRole(ctx, (name + "." + slot).str(),
                                       rt::BindingRole::OptStateUpdate));
    }
  }
  llvm::append_range(results, stateUpdates);
  llvm::append_range(resultAttrs, stateAttrs);
  builder.create<func::ReturnOp>(forward.getLoc(), results);
  apply.setFunctionType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  apply.setAllArgAttrs(argAttrs);
  apply.setAllResultAttrs(resultAttrs);
  apply->setAttr("nn.optimizer", describeConfig(ctx, config));
  return success();
}

} // namespace

FailureOr<func::FuncOp>
buildTrainStepFunction(ModuleOp module, const TrainingStepOptions &options) {
  auto forward = module.lookupSymbol<func::FuncOp>("forward");
  if (!forward || forward.isExternal())
    return module.emitError() << "nn-training-step needs a @forward function";
  const char *stepName = options.split ? "train_grads" : "train_step";
  for (StringRef name : {"train_step", "train_grads", "train_apply"})
    if (module.lookupSymbol(name))
      return module.emitError()
             << "the module already has a @" << name << " symbol";
  FailureOr<unsigned> lossIndex = findLossResult(forward);
  if (failed(lossIndex))
    return failure();
  FailureOr<OptimizerConfig> config = resolveConfig(module, options);
  if (failed(config))
    return failure();

  MLIRContext *ctx = module.getContext();
  OpBuilder builder(ctx);
  unsigned numForwardArgs = forward.getNumArguments();
  SmallVector<unsigned> trainable;
  for (unsigned i = 0; i != numForwardArgs; ++i)
    if (isTrainableParam(forward, i))
      trainable.push_back(i);
  // The split step's first half keeps no optimizer state.
  SmallVector<StringRef> slots;
  if (!options.split)
    slots = config->slots();

  // Arguments: the forward's, the state slots, step, lr (not split).
  SmallVector<Type> argTypes(forward.getArgumentTypes());
  SmallVector<Location> argLocs;
  SmallVector<Attribute> argAttrs;
  for (unsigned i = 0; i != numForwardArgs; ++i) {
    argLocs.push_back(forward.getArgument(i).getLoc());
    argAttrs.push_back(forward.getArgAttrDict(i)
                           ? Attribute(forward.getArgAttrDict(i))
                           : Attribute(DictionaryAttr::get(ctx)));
  }
  for (unsigned index : trainable)
    for (StringRef slot : slots) {
      argTypes.push_back(forward.getArgumentTypes()[index]);
      argLocs.push_back(forward.getArgument(index).getLoc());
      argAttrs.push_back(nameAndRole(
          ctx, (getArgString(forward, index, "nn.name") + "." + slot).str(),
          rt::BindingRole::OptState));
    }
  argTypes.push_back(RankedTensorType::get({}, builder.getI64Type()));
  argLocs.push_back(forward.getLoc());
  argAttrs.push_back(nameAndRole(ctx, "step", rt::BindingRole::Step));
  if (!options.split) {
    argTypes.push_back(RankedTensorType::get({}, builder.getF32Type()));
    argLocs.push_back(forward.getLoc());
    argAttrs.push_back(nameAndRole(ctx, "lr", rt::BindingRole::Lr));
  }

  builder.setInsertionPointAfter(forward);
  auto step = builder.create<func::FuncOp>(
      forward.getLoc(), stepName, builder.getFunctionType(argTypes, {}));
  Block *body = builder.createBlock(&step.getBody(), {}, argTypes, argLocs);
  unsigned trailing = options.split ? 1 : 2;
  Value stepArg = body->getArgument(argTypes.size() - trailing);
  Value lrArg =
      options.split ? Value() : body->getArgument(argTypes.size() - 1);

  // The forward, cloned in training mode.
  IRMapping mapping;
  for (unsigned i = 0; i != numForwardArgs; ++i)
    mapping.map(forward.getArgument(i), body->getArgument(i));
  builder.setInsertionPointToEnd(body);
  for (Operation &op : forward.getBody().front().without_terminator())
    builder.clone(op, mapping);
  enterTrainingMode(*body, stepArg);
  auto forwardReturn =
      cast<func::ReturnOp>(forward.getBody().front().getTerminator());
  Value loss = mapping.lookupOrDefault(forwardReturn.getOperand(*lossIndex));

  SmallVector<BlockArgument> wrt;
  for (unsigned index : trainable)
    wrt.push_back(body->getArgument(index));
  FailureOr<SmallVector<Value>> grads =
      buildGradients(builder, step, loss, wrt);
  if (failed(grads)) {
    step.erase();
    return failure();
  }
  for (auto [position, index] : llvm::enumerate(trainable)) {
    if ((*grads)[position])
      continue;
    BlockArgument param = body->getArgument(index);
    warnZeroGradient(
        param, loss,
        ("parameter '" + getArgString(forward, index, "nn.name") + "'").str());
    (*grads)[position] = buildZeros(builder, param.getLoc(), param.getType());
  }
  if (!options.split && config->clipNorm > 0 &&
      failed(clipByGlobalNorm(builder, forward.getLoc(), *grads,
                              config->clipNorm, step))) {
    step.erase();
    return failure();
  }

  // Results: loss, outputs, updated params, buffers, state.
  SmallVector<Value> results{loss};
  SmallVector<Attribute> resultAttrs{
      nameAndRole(ctx, getResultString(forward, *lossIndex, "nn.name"),
                  rt::BindingRole::Loss)};
  for (unsigned i = 0, e = forward.getNumResults(); i != e; ++i) {
    if (i == *lossIndex)
      continue;
    results.push_back(mapping.lookupOrDefault(forwardReturn.getOperand(i)));
    resultAttrs.push_back(nameAndRole(
        ctx, getResultString(forward, i, "nn.name"), rt::BindingRole::Output));
  }
  SmallVector<Value> stateUpdates;
  SmallVector<Attribute> stateAttrs;
  unsigned stateArg = numForwardArgs;
  for (auto [index, grad] : llvm::zip_equal(trainable, *grads)) {
    if (options.split) {
      results.push_back(grad);
      resultAttrs.push_back(nameAndRole(
          ctx, getArgString(forward, index, "nn.name"), rt::BindingRole::Grad));
      continue;
    }
    SmallVector<Value> state;
    for (unsigned s = 0; s != slots.size(); ++s)
      state.push_back(body->getArgument(stateArg + s));
    SmallVector<Value> updated =
        buildUpdate(builder, body->getArgument(index).getLoc(), *config,
                    body->getArgument(index), grad, state, stepArg, lrArg);
    StringRef name = getArgString(forward, index, "nn.name");
    results.push_back(updated[0]);
    resultAttrs.push_back(nameAndRole(ctx, name, rt::BindingRole::ParamUpdate));
    for (auto [s, slot] : llvm::enumerate(slots)) {
      stateUpdates.push_back(updated[s + 1]);
      stateAttrs.push_back(nameAndRole(ctx, (name + "." + slot).str(),
                                       rt::BindingRole::OptStateUpdate));
    }
    stateArg += slots.size();
  }
  for (unsigned i = 0; i != numForwardArgs; ++i) {
    if (nn::argumentRole(forward, i) != rt::BindingRole::Buffer)
      continue;
    // A buffer is updated by the batch norms that read it as running
    // statistics; one no batch norm reads is returned as it is.
    Value updated = body->getArgument(i);
    for (Operation &op : *body)
      if (auto batchNorm = dyn_cast<nn::BatchNormOp>(op)) {
        if (batchNorm.getMean() == body->getArgument(i))
          updated = batchNorm.getNewMean();
        if (batchNorm.getVar() == body->getArgument(i))
          updated = batchNorm.getNewVar();
      }
    results.push_back(updated);
    resultAttrs.push_back(nameAndRole(ctx, getArgString(forward, i, "nn.name"),
                                      rt::BindingRole::BufferUpdate));
  }
  llvm::append_range(results, stateUpdates);
  llvm::append_range(resultAttrs, stateAttrs);

  builder.create<func::ReturnOp>(forwardReturn.getLoc(), results);
  step.setFunctionType(
      builder.getFunctionType(argTypes, ValueRange(results).getTypes()));
  step.setAllArgAttrs(argAttrs);
  step.setAllResultAttrs(resultAttrs);
  step->setAttr("nn.optimizer", describeConfig(ctx, *config));
  eraseDeadOps(*body);
  if (options.split) {
    builder.setInsertionPointAfter(step);
    if (failed(buildApplyFunction(builder, forward, trainable, *config))) {
      step.erase();
      return failure();
    }
  }
  return step;
}

} // namespace nnc
