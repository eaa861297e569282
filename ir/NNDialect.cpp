//===- NNDialect.cpp - The nn dialect -------------------------------------===//

#include "ir/NNDialect.h"

#include "ir/NNOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace nnc::nn;

#include "ir/NNOpsDialect.cpp.inc"

void NNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/NNOps.cpp.inc"
      >();
}

Operation *NNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                          Type type, Location loc) {
  // Folding only produces tensors; anything else is not ours to build.
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, type, elements);
}

void nnc::registerAllDialects(DialectRegistry &registry) {
  registry.insert<NNDialect, func::FuncDialect>();
}
