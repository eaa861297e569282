//===- NNOps.h - Ops of the nn dialect --------------------------*- C++ -*-===//
//
// The op classes generated from NNOps.td. Every op infers its result types,
// so it is built without them:
//
//   auto mm = builder.create<nn::MatmulOp>(loc, a, b);
//   auto sm = builder.create<nn::SoftmaxOp>(loc, mm, /*axis=*/-1);
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNOPS_H
#define NNC_IR_NNOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "ir/NNDialect.h"
#include "ir/NNInterfaces.h"
#include "ir/NNTraits.h"

#define GET_OP_CLASSES
#include "ir/NNOps.h.inc"

#endif // NNC_IR_NNOPS_H
