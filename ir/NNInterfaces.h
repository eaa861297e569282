//===- NNInterfaces.h - Op interfaces of the nn dialect ---------*- C++ -*-===//
//
// GradientOpInterface (the vector-Jacobian product of an op) and
// ElementwiseOpInterface (the fusion marker), declared in NNInterfaces.td.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNINTERFACES_H
#define NNC_IR_NNINTERFACES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpDefinition.h"

#include "ir/NNInterfaces.h.inc"

#endif // NNC_IR_NNINTERFACES_H
