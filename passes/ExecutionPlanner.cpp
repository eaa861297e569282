//===- ExecutionPlanner.cpp - Partition, schedule and memory plan ---------===//

#include "passes/ExecutionPlanner.h"

#include "passes/FusionCostModel.h"
#include "passes/GraphStats.h"
#include "passes/MemoryPlanner.h"

#include "ir/BindingRoles.h"
#include "ir/KernelModule.h"
#include "ir/NNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <string>

using namespace mlir;

namespace nnc {

namespace {

// The names MLIRGen gives these attributes (docs/architecture.md); spelled
// here because passes/ may not include the frontend.
constexpr const char *kNameAttr = "nn.name";

std::optional<rt::DType> toDType(Type type) {
  if (type.isF32())
    return rt::DType::F32;
  if (type.isF64())
    return rt::DType::F64;
  if (type.isSignlessInteger(32))
    return rt::DType::I32;
  if (type.isSignlessInteger(64))
    return rt::DType::I64;
  return std::nullopt;
}

std::string stringAttr(DictionaryAttr attrs, const char *name) {
  if (!attrs)
    return "";
  if (auto text = attrs.getAs<StringAttr>(name))
    return text.str();
  return "";
}

/// The role `attrs` give in `nn.role` (None when they give none), or an
/// error at `loc` naming an unknown one. `what` names the binding.
FailureOr<rt::BindingRole> roleOf(Location loc, const Twine &what,
                                  DictionaryAttr attrs) {
  std::string name = stringAttr(attrs, nn::kRoleAttrName.data());
  if (std::optional<rt::BindingRole> role = rt::parseBindingRole(name))
    return *role;
  return emitError(loc) << what << " has unknown role '" << name << "'";
}

/// "file:line:col" of the first file location inside `loc` (for a call-site
/// chain, the innermost position), followed by " (instance)" when that
/// position lies in a layer instance (a NameLoc around it, as the frontend
/// makes); empty when there is none.
std::string formatLocation(Location loc) {
  std::string text, instance;
  loc->walk([&](Location inner) {
    if (auto name = dyn_cast<NameLoc>(inner); name && instance.empty())
      instance = name.getName().str();
    auto file = dyn_cast<FileLineColLoc>(inner);
    if (!file)
      return WalkResult::advance();
    text = file.getFilename().str() + ":" + std::to_string(file.getLine()) +
           ":" + std::to_string(file.getColumn());
    return WalkResult::interrupt();
  });
  if (!text.empty() && !instance.empty())
    text += " (" + instance + ")";
  return text;
}

/// Builds the plan value of a tensor of type `type`, or reports at `loc`
/// why it cannot be one. `what` names the tensor in the message.
FailureOr<rt::PlanValue> makeValue(Location loc, const Twine &what, Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return emitError(loc) << what << " has type " << type
                          << ", which is not a static tensor; run "
                             "nn-specialize-batch before planning";
  std::optional<rt::DType> dtype = toDType(tensor.getElementType());
  if (!dtype)
    return emitError(loc) << what << " has element type "
                          << tensor.getElementType()
                          << ", which the runtime does not store";
  rt::PlanValue value;
  value.dtype = *dtype;
  value.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  rt::Expected<int64_t> count =
      rt::checkedElementCount(value.shape, rt::dtypeSize(*dtype));
  if (!count)
    return emitError(loc) << what << ": " << count.message();
  value.bytes = static_cast<uint64_t>(*count) * rt::dtypeSize(*dtype);
  return value;
}

/// Builds a PlannedGraph from the forward function, op by op.
class Planner {
public:
  Planner(func::FuncOp forward, const PlanOptions &options)
      : forward(forward), options(options),
        kernels(ModuleOp::create(forward.getLoc())),
        builder(forward.getContext()) {
    builder.setInsertionPointToEnd(kernels->getBody());
  }

  FailureOr<PlannedGraph> run();

private:
  LogicalResult addArguments();
  LogicalResult addKernel(Operation &op);
  LogicalResult addOutputs(Operation &terminator);
  /// Records which results of kernel `index`, whose function is `function`,
  /// could be computed in place of one of its arguments.
  void addInPlaceCandidates(int64_t index, func::FuncOp function);

  func::FuncOp forward;
  const PlanOptions &options;
  OwningOpRef<ModuleOp> kernels;
  OpBuilder builder;
  rt::ExecutionPlan plan;
  llvm::DenseMap<Value, int64_t> valueIds;
  /// The kernel that writes each value; -1 for arguments.
  std::vector<int64_t> writers;
  std::vector<InPlaceCandidate> inPlace;
  /// Per candidate: its result and argument in the kernel function.
  struct Position {
    int64_t result;
    int64_t argument;
    func::FuncOp function;
  };
  std::vector<Position> inPlacePositions;

  /// Marks on each kernel function the candidates the memory plan took.
  void annotateInPlace();
};

void Planner::annotateInPlace() {
  llvm::DenseMap<Operation *, SmallVector<int64_t>> pairs;
  for (auto [candidate, position] : llvm::zip(inPlace, inPlacePositions))
    if (plan.values[static_cast<size_t>(candidate.result)].reuses ==
        candidate.operand) {
      SmallVector<int64_t> &list = pairs[position.function];
      list.push_back(position.result);
      list.push_back(position.argument);
    }
  for (auto &[function, list] : pairs)
    function->setAttr(kInPlaceAttr,
                      DenseI64ArrayAttr::get(function->getContext(), list));
}

LogicalResult Planner::addArguments() {
  for (BlockArgument arg : forward.getArguments()) {
    unsigned i = arg.getArgNumber();
    DictionaryAttr attrs = forward.getArgAttrDict(i);
    std::string name = stringAttr(attrs, kNameAttr);
    std::string what = "argument " + std::to_string(i) + " '" + name + "'";
    FailureOr<rt::PlanValue> value =
        makeValue(arg.getLoc(), what, arg.getType());
    if (failed(value))
      return failure();
    FailureOr<rt::BindingRole> role = roleOf(arg.getLoc(), what, attrs);
    if (failed(role))
      return failure();
    value->name = name;
    value->kind = rt::ValueKind::Input;
    value->index = i;
    int64_t id = static_cast<int64_t>(plan.values.size());
    plan.values.push_back(std::move(*value));
    writers.push_back(-1);
    valueIds[arg] = id;
    plan.inputs.push_back({name, *role, id});
  }
  return success();
}

/// The kernel's name in profiles and plans: the op's, or for a fusion
/// group "nn.fusion[nn.matmul,nn.add,nn.relu]".
std::string kernelOpName(Operation &op) {
  auto fusion = dyn_cast<nn::FusionOp>(op);
  if (!fusion)
    return op.getName().getStringRef().str();
  std::string name = "nn.fusion[";
  bool first = true;
  for (Operation &inner : fusion.getBody().front().without_terminator()) {
    if (isa<nn::ConstantOp>(inner))
      continue;
    name += (first ? "" : ",") + inner.getName().getStringRef().str();
    first = false;
  }
  return name + "]";
}

LogicalResult Planner::addKernel(Operation &op) {
  auto fusion = dyn_cast<nn::FusionOp>(op);
  if (op.getDialect() == nullptr || op.getDialect()->getNamespace() != "nn" ||
      (op.getNumRegions() != 0 && !fusion))
    return op.emitError() << "cannot make a kernel of '" << op.getName()
                          << "': only nn ops without regions and nn.fusion "
                             "groups are partitioned";
  const int64_t index = static_cast<int64_t>(plan.kernels.size());
  rt::PlanKernel kernel;
  kernel.opName = kernelOpName(op);
  kernel.location = formatLocation(op.getLoc());
  kernel.flops = opFlops(&op);

  // One argument per distinct operand: `nn.mul %x, %x` reads one buffer.
  SmallVector<Value> arguments;
  for (Value operand : op.getOperands())
    if (!llvm::is_contained(arguments, operand))
      arguments.push_back(operand);
  for (Value operand : arguments) {
    int64_t id = valueIds.lookup(operand);
    kernel.buffers.push_back(id);
    int64_t writer = writers[static_cast<size_t>(id)];
    if (writer >= 0 && !llvm::is_contained(kernel.dependencies, writer))
      kernel.dependencies.push_back(writer);
  }
  std::sort(kernel.dependencies.begin(), kernel.dependencies.end());
  kernel.numOperands = static_cast<int64_t>(kernel.buffers.size());

  for (OpResult result : op.getResults()) {
    FailureOr<rt::PlanValue> value =
        makeValue(op.getLoc(), "result " + Twine(result.getResultNumber()),
                  result.getType());
    if (failed(value))
      return failure();
    value->name = "kernel_" + std::to_string(index) + "." +
                  std::to_string(result.getResultNumber());
    int64_t id = static_cast<int64_t>(plan.values.size());
    plan.values.push_back(std::move(*value));
    writers.push_back(index);
    valueIds[result] = id;
    kernel.buffers.push_back(id);
  }

  // The kernel function: the op, or a group's body, cloned over block
  // arguments. A group's intermediates stay inside the function, so they
  // never reach the arena.
  SmallVector<Type> argumentTypes;
  for (Value operand : arguments)
    argumentTypes.push_back(operand.getType());
  auto function = builder.create<func::FuncOp>(
      op.getLoc(), "kernel_" + std::to_string(index),
      builder.getFunctionType(argumentTypes, op.getResultTypes()));
  Block *body = function.addEntryBlock();
  OpBuilder bodyBuilder = OpBuilder::atBlockEnd(body);
  IRMapping mapping;
  for (auto [operand, blockArg] : llvm::zip(arguments, body->getArguments()))
    mapping.map(operand, blockArg);
  if (fusion) {
    Block &group = fusion.getBody().front();
    for (auto [operand, groupArg] :
         llvm::zip(fusion.getOperands(), group.getArguments()))
      mapping.map(groupArg, mapping.lookup(operand));
    for (Operation &inner : group.without_terminator())
      bodyBuilder.clone(inner, mapping);
    SmallVector<Value> returned;
    for (Value yielded : group.getTerminator()->getOperands())
      returned.push_back(mapping.lookup(yielded));
    bodyBuilder.create<func::ReturnOp>(op.getLoc(), returned);
  } else {
    Operation *clone = bodyBuilder.clone(op, mapping);
    bodyBuilder.create<func::ReturnOp>(op.getLoc(), clone->getResults());
  }

  plan.kernels.push_back(std::move(kernel));
  if (options.inPlace)
    addInPlaceCandidates(index, function);
  return success();
}

void Planner::addInPlaceCandidates(int64_t index, func::FuncOp function) {
  Block &body = function.getBody().front();
  Operation *ret = body.getTerminator();
  const rt::PlanKernel &kernel = plan.kernels[static_cast<size_t>(index)];
  for (auto [r, returned] : llvm::enumerate(ret->getOperands())) {
    // A value returned twice is copied from its first buffer afterwards.
    if (llvm::count(ret->getOperands(), returned) != 1)
      continue;
    Operation *def = returned.getDefiningOp();
    if (!def)
      continue;
    // A reshape leaves every element at its position in memory: computed
    // in place it is a view, and the backend need not move a byte.
    bool view = isa<nn::ReshapeOp>(def);
    if (!view && classifyForFusion(def) != FusionKind::Elementwise)
      continue;
    for (Value operand : def->getOperands()) {
      auto arg = dyn_cast<BlockArgument>(operand);
      // Same type: an elementwise op reads it at the index it writes.
      if (!arg || arg.getOwner() != &body ||
          (!view && arg.getType() != returned.getType()))
        continue;
      // Nothing after the writer may read the argument, which it overwrites.
      bool readLater = llvm::any_of(arg.getUsers(), [&](Operation *user) {
        return user != def && (user == ret || def->isBeforeInBlock(user));
      });
      if (readLater)
        continue;
      // A kernel that is nothing but the reshape runs nothing in place, so
      // other kernels may read the argument while it is a view.
      bool writesNothing =
          view && llvm::hasSingleElement(body.without_terminator());
      inPlace.push_back(
          {index, kernel.buffers[arg.getArgNumber()],
           kernel.buffers[static_cast<size_t>(kernel.numOperands) + r],
           writesNothing});
      inPlacePositions.push_back(
          {static_cast<int64_t>(r), arg.getArgNumber(), function});
    }
  }
}

LogicalResult Planner::addOutputs(Operation &terminator) {
  for (auto [i, operand] : llvm::enumerate(terminator.getOperands())) {
    DictionaryAttr attrs = forward.getResultAttrDict(i);
    int64_t id = valueIds.lookup(operand);
    rt::PlanValue &value = plan.values[static_cast<size_t>(id)];
    std::string name = stringAttr(attrs, kNameAttr);
    // The first result a kernel value is returned as gets written directly;
    // arguments and repeats are copied by the executor.
    if (value.kind == rt::ValueKind::Arena) {
      value.kind = rt::ValueKind::Output;
      value.index = static_cast<int64_t>(i);
      if (!name.empty())
        value.name = name;
    }
    FailureOr<rt::BindingRole> role = roleOf(
        terminator.getLoc(), "result " + Twine(i) + " '" + name + "'", attrs);
    if (failed(role))
      return failure();
    plan.outputs.push_back({name, *role, id});
  }
  return success();
}

FailureOr<PlannedGraph> Planner::run() {
  if (forward.isExternal())
    return forward.emitError() << "cannot plan a function without a body";
  if (!forward.getBody().hasOneBlock())
    return forward.emitError() << "cannot plan a function of several blocks";
  if (failed(addArguments()))
    return failure();
  Block &block = forward.getBody().front();
  for (Operation &op : block.without_terminator())
    if (failed(addKernel(op)))
      return failure();
  if (failed(addOutputs(*block.getTerminator())))
    return failure();
  planArenaMemory(plan, inPlace);
  annotateInPlace();
  assert(rt::verifyExecutionPlan(plan).ok() && "the planner made a bad plan");
  return PlannedGraph{std::move(kernels), std::move(plan)};
}

} // namespace

FailureOr<PlannedGraph> planExecution(func::FuncOp forward,
                                      const PlanOptions &options) {
  return Planner(forward, options).run();
}

} // namespace nnc
