//===- MLIRGen.cpp - A checked Program to the nn dialect ------------------===//

#include "frontend/MLIRGen.h"

#include "ir/BindingRoles.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;

namespace nnc::frontend {
namespace {

/// Builds the nn ops generically, by name, with the result types sema
/// computed. The dialect's result-type inference then re-derives every type
/// at verification, so sema and the dialect check each other.
class ModuleGenerator {
public:
  ModuleGenerator(MLIRContext &context, const Program &program)
      : context(context), program(program), builder(&context) {}

  OwningOpRef<ModuleOp> generate();

private:
  Location locationOf(const NodeLoc &loc);
  Type elementTypeOf(DType dtype);
  RankedTensorType tensorTypeOf(const TensorType &type);
  Attribute attributeOf(const AttrValue &value);
  DictionaryAttr initializerAttr(const Initializer &init);
  DictionaryAttr trainingAttr(const TrainingConfig &config);
  DenseElementsAttr constantValue(const Node &node, RankedTensorType type);
  Value lookup(ValueRef ref);
  LogicalResult emitNode(const Node &node, unsigned index);

  MLIRContext &context;
  const Program &program;
  OpBuilder builder;
  SmallVector<Value> argumentValues;
  SmallVector<SmallVector<Value, 1>> nodeResults;
};

Location ModuleGenerator::locationOf(const NodeLoc &loc) {
  StringRef file = program.fileName;
  Location result = FileLineColLoc::get(&context, file, loc.loc.line,
                                        loc.loc.col);
  // Inside a layer call, the instance's name wraps the position: the
  // kernels of one layer called twenty times are told apart by it.
  auto named = [&](Location inner) -> Location {
    if (loc.instance.empty())
      return inner;
    return NameLoc::get(StringAttr::get(&context, loc.instance), inner);
  };
  // Wrap outward so that the innermost call site is the first caller, as
  // MLIR prints call stacks.
  if (loc.callers.empty())
    return named(result);
  Location caller = FileLineColLoc::get(&context, file, loc.callers.back().line,
                                        loc.callers.back().col);
  for (auto it = loc.callers.rbegin() + 1; it != loc.callers.rend(); ++it)
    caller = CallSiteLoc::get(
        FileLineColLoc::get(&context, file, it->line, it->col), caller);
  return named(CallSiteLoc::get(result, caller));
}

Type ModuleGenerator::elementTypeOf(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return builder.getF32Type();
  case DType::F64:
    return builder.getF64Type();
  case DType::I32:
    return builder.getI32Type();
  case DType::I64:
    return builder.getI64Type();
  }
  llvm_unreachable("unknown dtype");
}

RankedTensorType ModuleGenerator::tensorTypeOf(const TensorType &type) {
  return RankedTensorType::get(type.shape, elementTypeOf(type.dtype));
}

Attribute ModuleGenerator::attributeOf(const AttrValue &value) {
  if (auto *i = std::get_if<int64_t>(&value))
    return builder.getI64IntegerAttr(*i);
  if (auto *d = std::get_if<double>(&value))
    return builder.getF64FloatAttr(*d);
  if (auto *b = std::get_if<bool>(&value))
    return builder.getBoolAttr(*b);
  if (auto *s = std::get_if<std::string>(&value))
    return builder.getStringAttr(*s);
  if (auto *ints = std::get_if<std::vector<int64_t>>(&value))
    return builder.getDenseI64ArrayAttr(*ints);
  return builder.getDenseF64ArrayAttr(std::get<std::vector<double>>(value));
}

DictionaryAttr ModuleGenerator::initializerAttr(const Initializer &init) {
  SmallVector<NamedAttribute> fields;
  fields.push_back(builder.getNamedAttr("kind", builder.getStringAttr(init.kind)));
  fields.push_back(
      builder.getNamedAttr("seed", builder.getI64IntegerAttr(init.seed)));
  for (const auto &[name, value] : init.args)
    fields.push_back(
        builder.getNamedAttr(name, builder.getF64FloatAttr(value)));
  return builder.getDictionaryAttr(fields);
}

DictionaryAttr ModuleGenerator::trainingAttr(const TrainingConfig &config) {
  SmallVector<NamedAttribute> fields;
  fields.push_back(builder.getNamedAttr(
      "optimizer", builder.getStringAttr(config.optimizer)));
  SmallVector<NamedAttribute> hyper;
  for (const auto &[name, value] : config.hyper)
    hyper.push_back(builder.getNamedAttr(name, builder.getF64FloatAttr(value)));
  fields.push_back(
      builder.getNamedAttr("hyper", builder.getDictionaryAttr(hyper)));
  for (const auto &[name, value] : config.settings)
    fields.push_back(builder.getNamedAttr(name, attributeOf(value)));
  SmallVector<Attribute> frozen;
  for (const std::string &pattern : config.frozenPatterns)
    frozen.push_back(builder.getStringAttr(pattern));
  fields.push_back(builder.getNamedAttr("freeze", builder.getArrayAttr(frozen)));
  return builder.getDictionaryAttr(fields);
}

DenseElementsAttr ModuleGenerator::constantValue(const Node &node,
                                                 RankedTensorType type) {
  Type element = type.getElementType();
  if (element.isF32()) {
    SmallVector<float> values(node.constantFloats.begin(),
                              node.constantFloats.end());
    return DenseElementsAttr::get(type, ArrayRef<float>(values));
  }
  if (element.isF64())
    return DenseElementsAttr::get(type, ArrayRef<double>(node.constantFloats));
  SmallVector<APInt> values;
  for (int64_t v : node.constantInts)
    values.push_back(
        APInt(element.getIntOrFloatBitWidth(), v, /*isSigned=*/true));
  return DenseElementsAttr::get(type, values);
}

Value ModuleGenerator::lookup(ValueRef ref) {
  if (ref.kind == ValueRef::Kind::Argument)
    return argumentValues[ref.index];
  return nodeResults[ref.index][ref.result];
}

LogicalResult ModuleGenerator::emitNode(const Node &node, unsigned index) {
  Location loc = locationOf(node.loc);
  OperationState state(loc, "nn." + node.op);
  for (ValueRef operand : node.operands)
    state.addOperands(lookup(operand));
  for (const TensorType &type : node.results)
    state.addTypes(tensorTypeOf(type));
  for (const auto &[name, value] : node.attrs)
    state.addAttribute(name, attributeOf(value));
  if (node.op == "constant")
    state.addAttribute("value",
                       constantValue(node, tensorTypeOf(node.results[0])));
  if (!state.name.isRegistered())
    return emitError(loc) << "internal error: no dialect op 'nn." << node.op
                          << "'";
  Operation *op = builder.create(state);
  nodeResults[index].assign(op->result_begin(), op->result_end());
  return success();
}

OwningOpRef<ModuleOp> ModuleGenerator::generate() {
  Location fileLoc = FileLineColLoc::get(&context, program.fileName, 1, 1);
  OwningOpRef<ModuleOp> module = ModuleOp::create(
      fileLoc, program.modelName.empty() ? std::optional<StringRef>()
                                         : StringRef(program.modelName));
  if (!program.batchSymbol.empty())
    (*module)->setAttr(attrs::kBatchSymbol,
                       builder.getStringAttr(program.batchSymbol));
  if (program.training.present)
    (*module)->setAttr(attrs::kTrain, trainingAttr(program.training));

  SmallVector<Type> argTypes;
  for (const Argument &arg : program.arguments)
    argTypes.push_back(tensorTypeOf(arg.type));
  SmallVector<Type> resultTypes;
  for (const Output &out : program.outputs)
    resultTypes.push_back(tensorTypeOf(program.typeOf(out.value)));
  if (program.hasLoss)
    resultTypes.push_back(tensorTypeOf(program.typeOf(program.loss.value)));

  builder.setInsertionPointToEnd(module->getBody());
  auto func = builder.create<func::FuncOp>(
      fileLoc, "forward", builder.getFunctionType(argTypes, resultTypes));

  // The attribute lists are built whole and set once: setArgAttr rebuilds
  // the function's list of every argument's attributes on each call, which
  // made a model of 20 000 parameters take half a minute.
  MLIRContext *context = builder.getContext();
  SmallVector<DictionaryAttr> argAttrs;
  for (const Argument &arg : program.arguments) {
    rt::BindingRole role =
        arg.role == Argument::Role::Input   ? rt::BindingRole::Input
        : arg.role == Argument::Role::Param ? rt::BindingRole::Param
                                            : rt::BindingRole::Buffer;
    SmallVector<NamedAttribute, 4> entries{
        builder.getNamedAttr(attrs::kName, builder.getStringAttr(arg.name)),
        nn::roleAttribute(context, role)};
    if (arg.role != Argument::Role::Input)
      entries.push_back(
          builder.getNamedAttr(attrs::kInit, initializerAttr(arg.init)));
    if (arg.frozen)
      entries.push_back(
          builder.getNamedAttr(attrs::kFrozen, builder.getUnitAttr()));
    argAttrs.push_back(builder.getDictionaryAttr(entries));
  }
  func.setAllArgAttrs(argAttrs);
  auto resultAttr = [&](StringRef name, rt::BindingRole role) {
    return builder.getDictionaryAttr(
        {builder.getNamedAttr(attrs::kName, builder.getStringAttr(name)),
         nn::roleAttribute(context, role)});
  };
  SmallVector<DictionaryAttr> resultAttrs;
  for (const Output &out : program.outputs)
    resultAttrs.push_back(resultAttr(out.name, rt::BindingRole::Output));
  if (program.hasLoss)
    resultAttrs.push_back(resultAttr("loss", rt::BindingRole::Loss));
  func.setAllResultAttrs(resultAttrs);

  Block *entry = func.addEntryBlock();
  for (auto [i, arg] : llvm::enumerate(program.arguments)) {
    entry->getArgument(i).setLoc(locationOf(arg.loc));
    argumentValues.push_back(entry->getArgument(i));
  }
  builder.setInsertionPointToStart(entry);
  nodeResults.resize(program.nodes.size());
  for (auto [i, node] : llvm::enumerate(program.nodes))
    if (failed(emitNode(node, i)))
      return nullptr;

  SmallVector<Value> results;
  for (const Output &out : program.outputs)
    results.push_back(lookup(out.value));
  if (program.hasLoss)
    results.push_back(lookup(program.loss.value));
  Location returnLoc = program.hasLoss ? locationOf(program.loss.loc)
                       : program.outputs.empty()
                           ? fileLoc
                           : locationOf(program.outputs.back().loc);
  builder.create<func::ReturnOp>(returnLoc, results);

  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace

OwningOpRef<ModuleOp> generateModule(MLIRContext &context,
                                     const Program &program) {
  return ModuleGenerator(context, program).generate();
}

} // namespace nnc::frontend
