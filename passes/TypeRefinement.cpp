//===- TypeRefinement.cpp - Recompute types after argument changes --------===//

#include "passes/TypeRefinement.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace nnc {
namespace {

bool hasDynamicShape(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  return shaped && !shaped.hasStaticShape();
}

LogicalResult reinfer(Operation *op) {
  auto inferable = dyn_cast<InferTypeOpInterface>(op);
  if (!inferable) {
    // Such an op keeps its types; that is only wrong if they are dynamic.
    if (llvm::any_of(op->getResultTypes(), hasDynamicShape))
      return op->emitError() << "cannot refine the types through this op: it "
                                "does not infer its result types";
    return success();
  }
  SmallVector<Type> types;
  // Inference reports its own error at the op's location.
  if (failed(inferable.inferReturnTypes(
          op->getContext(), op->getLoc(), op->getOperands(),
          op->getAttrDictionary(), op->getPropertiesStorage(), op->getRegions(),
          types)))
    return failure();
  for (auto [result, type] : llvm::zip_equal(op->getResults(), types))
    result.setType(type);
  return success();
}

} // namespace

LogicalResult
refineFunctionTypes(func::FuncOp function,
                    const std::function<Type(Type)> &convert,
                    const std::function<void(Operation *)> &prepare) {
  if (function.isExternal())
    return success();
  SmallVector<Type> argumentTypes;
  for (BlockArgument argument : function.getArguments()) {
    argumentTypes.push_back(convert(argument.getType()));
    argument.setType(argumentTypes.back());
  }

  // Program order, so every op sees its operands' new types.
  WalkResult walk =
      function.getBody().walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (op->hasTrait<OpTrait::ReturnLike>())
          return WalkResult::advance();
        if (prepare)
          prepare(op);
        return failed(reinfer(op)) ? WalkResult::interrupt()
                                   : WalkResult::advance();
      });
  if (walk.wasInterrupted())
    return failure();

  SmallVector<Type> resultTypes(function.getResultTypes());
  function.getBody().walk([&](func::ReturnOp ret) {
    if (ret->getParentOp() == function)
      resultTypes.assign(ret.getOperandTypes().begin(),
                         ret.getOperandTypes().end());
  });
  function.setFunctionType(
      FunctionType::get(function.getContext(), argumentTypes, resultTypes));
  return success();
}

} // namespace nnc
