//===- Passes.h - nnc's passes over the nn dialect --------------*- C++ -*-===//
//
// Declarations of every pass in Passes.td and the hook that registers them.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_PASSES_H
#define NNC_PASSES_PASSES_H

#include "mlir/Pass/Pass.h"

namespace nnc {

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

/// Registers every pass of Passes.td with MLIR's pass registry, so that
/// nnc-opt and pipeline strings can name them. Call it once, before parsing
/// options; registration is explicit because static registrars would need
/// whole-archive linking.
void registerPasses();

} // namespace nnc

#endif // NNC_PASSES_PASSES_H
