//===- RefCompiler.cpp - MLIR bytecode to interpreter programs ------------===//
//
// One pass over each kernel function: every SSA value gets a Slot (caller
// buffer, constant or temporary), every nn op a Step whose attributes are
// read off the op. Values returned by the function are computed straight
// into the caller's result buffers; only results that are arguments,
// constants or repeats of another result need a trailing copy.
//
//===----------------------------------------------------------------------===//

#include "backends/ref/RefCompiler.h"

#include "backends/ref/RefOpLowering.h"

#include "ir/KernelModule.h"
#include "ir/NNDialect.h"
#include "ir/NNOps.h"
#include "ir/NNOpFacts.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace nnc;
using namespace nnc::ref;

// Every op the dialect declares compiled (ir/NNOpFacts.h): the ref
// interpreter has a row for each (RefSteps.cpp), which RefStepsTest,
// the conformance suite and CompiledOpsTest check.
const char *const *nnc::ref::refSupportedOps() { return nn::compiledOpNames(); }

namespace {

/// The runtime dtype of a tensor element type, if the runtime has one.
std::optional<rt::DType> toDType(Type type) {
  if (type.isF32())
    return rt::DType::F32;
  if (type.isF64())
    return rt::DType::F64;
  if (type.isInteger(32))
    return rt::DType::I32;
  if (type.isInteger(64))
    return rt::DType::I64;
  if (type.isUnsignedInteger(8))
    return rt::DType::U8;
  return std::nullopt;
}

/// Copies the elements of `attr` into `tensor`, whose dtype matches T.
template <typename T>
LogicalResult fillConstant(ElementsAttr attr, rt::Tensor &tensor) {
  auto values = attr.tryGetValues<T>();
  if (!values)
    return failure();
  int64_t i = 0;
  for (T value : *values)
    tensor.at<T>(i++) = value;
  return success();
}

/// Builds the Program of one kernel function.
class KernelBuilder {
public:
  explicit KernelBuilder(Program &program) : program(program) {}

  LogicalResult build(func::FuncOp fn);

private:
  /// Adds a slot of `type` (which must be static with a runtime dtype).
  FailureOr<int64_t> addSlot(Operation *where, Type type, SlotKind kind,
                             int64_t index);
  LogicalResult addConstant(nn::ConstantOp op);
  LogicalResult addStep(Operation *op);

  Program &program;
  llvm::DenseMap<Value, int64_t> slotOf;
  /// Values computed directly into a result buffer, with its index.
  llvm::DenseMap<Value, int64_t> resultBufferOf;
};

FailureOr<int64_t> KernelBuilder::addSlot(Operation *where, Type type,
                                          SlotKind kind, int64_t index) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return where->emitError("ref backend needs static ranked tensors, got ")
           << type;
  std::optional<rt::DType> dtype = toDType(tensor.getElementType());
  if (!dtype)
    return where->emitError("ref backend has no runtime type for ")
           << tensor.getElementType();
  Slot slot;
  slot.kind = kind;
  slot.dtype = *dtype;
  slot.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  slot.index = index;
  program.slots.push_back(std::move(slot));
  return static_cast<int64_t>(program.slots.size() - 1);
}

LogicalResult KernelBuilder::addConstant(nn::ConstantOp op) {
  FailureOr<int64_t> slot =
      addSlot(op, op.getType(), SlotKind::Constant,
              static_cast<int64_t>(program.constants.size()));
  if (failed(slot))
    return failure();
  const Slot &info = program.slots[static_cast<size_t>(*slot)];
  rt::Expected<rt::Tensor> tensor = rt::Tensor::create(info.dtype, info.shape);
  if (!tensor)
    return op.emitError(tensor.message());
  ElementsAttr value = op.getValue();
  LogicalResult filled = failure();
  switch (info.dtype) {
  case rt::DType::F32:
    filled = fillConstant<float>(value, *tensor);
    break;
  case rt::DType::F64:
    filled = fillConstant<double>(value, *tensor);
    break;
  case rt::DType::I32:
    filled = fillConstant<int32_t>(value, *tensor);
    break;
  case rt::DType::I64:
    filled = fillConstant<int64_t>(value, *tensor);
    break;
  case rt::DType::U8:
    filled = fillConstant<uint8_t>(value, *tensor);
    break;
  }
  if (failed(filled))
    return op.emitError("ref backend cannot read the elements of ") << value;
  program.constants.push_back(std::move(tensor).value());
  slotOf[op.getResult()] = *slot;
  return success();
}

LogicalResult KernelBuilder::addStep(Operation *op) {
  Step step;
  for (Value operand : op->getOperands()) {
    auto it = slotOf.find(operand);
    if (it == slotOf.end())
      return op->emitOpError("uses a value not defined in its kernel");
    step.inputs.push_back(it->second);
  }
  for (Value result : op->getResults()) {
    auto buffer = resultBufferOf.find(result);
    FailureOr<int64_t> slot =
        buffer == resultBufferOf.end()
            ? addSlot(op, result.getType(), SlotKind::Temp, 0)
            : addSlot(op, result.getType(), SlotKind::Buffer, buffer->second);
    if (failed(slot))
      return failure();
    slotOf[result] = *slot;
    step.outputs.push_back(*slot);
  }
  if (failed(lowerOpToStep(op, step)))
    return failure();
  program.steps.push_back(std::move(step));
  return success();
}

LogicalResult KernelBuilder::build(func::FuncOp fn) {
  program.name = fn.getSymName().str();
  if (fn.isExternal())
    return fn.emitError("kernel function has no body");
  if (!fn.getBody().hasOneBlock())
    return fn.emitError("kernel function must have a single block");
  Block &body = fn.getBody().front();
  auto ret = dyn_cast<func::ReturnOp>(body.getTerminator());
  if (!ret)
    return fn.emitError("kernel function must end in func.return");

  int64_t numArgs = fn.getNumArguments();
  program.numBuffers = numArgs + static_cast<int64_t>(ret.getNumOperands());
  for (BlockArgument arg : body.getArguments()) {
    FailureOr<int64_t> slot =
        addSlot(fn, arg.getType(), SlotKind::Buffer, arg.getArgNumber());
    if (failed(slot))
      return failure();
    slotOf[arg] = *slot;
  }

  // An op result returned by the function is written straight into the
  // first result buffer it is returned in; the other results are copied.
  std::vector<int64_t> copiedResults;
  for (auto [index, value] : llvm::enumerate(ret.getOperands())) {
    Operation *def = value.getDefiningOp();
    bool computed = def && !isa<nn::ConstantOp>(def);
    if (computed && !resultBufferOf.count(value))
      resultBufferOf[value] = numArgs + static_cast<int64_t>(index);
    else
      copiedResults.push_back(static_cast<int64_t>(index));
  }

  for (Operation &op : body.without_terminator()) {
    LogicalResult built = isa<nn::ConstantOp>(op)
                              ? addConstant(cast<nn::ConstantOp>(op))
                              : addStep(&op);
    if (failed(built))
      return failure();
  }

  for (int64_t index : copiedResults) {
    Value value = ret.getOperand(static_cast<unsigned>(index));
    FailureOr<int64_t> slot =
        addSlot(ret, value.getType(), SlotKind::Buffer, numArgs + index);
    if (failed(slot))
      return failure();
    Step copy;
    copy.op = "copy";
    copy.inputs.push_back(slotOf.lookup(value));
    copy.outputs.push_back(*slot);
    if (rt::Error error = prepareStep(copy); !error.ok())
      return ret.emitError(error.message());
    program.steps.push_back(std::move(copy));
  }
  return success();
}

/// Compiles a parsed module; diagnostics go to the context's handler.
CompileStatus compileParsed(ModuleOp module, std::vector<Program> &kernels,
                            std::string &unsupportedMessage) {
  if (Operation *op = findUnsupportedOp(module, refSupportedOps())) {
    unsupportedMessage = "op '" + op->getName().getStringRef().str() +
                         "' is not supported by the ref backend";
    return CompileStatus::Unsupported;
  }
  FailureOr<std::vector<func::FuncOp>> functions = kernelFunctions(module);
  if (failed(functions))
    return CompileStatus::Error;
  kernels.resize(functions->size());
  for (size_t i = 0; i < functions->size(); ++i)
    if (failed(KernelBuilder(kernels[i]).build((*functions)[i])))
      return CompileStatus::Error;
  return CompileStatus::Ok;
}

} // namespace

CompiledModule nnc::ref::compileModule(const void *bytecode, size_t size) {
  CompiledModule result;
  DialectRegistry registry;
  registerAllDialects(registry);
  // Threading off: the plugin must not start a thread pool per compile, and
  // the host already runs compilations on its own threads.
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  // Ops of unknown dialects still parse, so that they are reported as
  // unsupported rather than as a parse error.
  context.allowUnregisteredDialects();
  context.loadAllAvailableDialects();

  ErrorDiagnostics diagnostics(context, /*withLocations=*/true);
  OwningOpRef<ModuleOp> module = parseKernelModule(
      context, bytecode, size, diagnostics, result.message);
  if (!module) {
    result.status = CompileStatus::Error;
    return result;
  }

  std::string unsupported;
  result.status = compileParsed(*module, result.kernels, unsupported);
  if (result.status == CompileStatus::Unsupported)
    result.message = unsupported;
  else if (result.status == CompileStatus::Error)
    result.message = diagnostics.text().empty() ? "cannot compile the graph"
                                                : diagnostics.text();
  if (result.status != CompileStatus::Ok)
    result.kernels.clear();
  return result;
}
