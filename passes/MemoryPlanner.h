//===- MemoryPlanner.h - Arena offsets for a scheduled graph ----*- C++ -*-===//
//
// Lays out the intermediates of an ExecutionPlan in one arena, reusing the
// bytes of values that are dead. It works on the runtime's plain plan, not
// on MLIR, so it is tested directly on random graphs (tests/unit/plan).
//
// Concurrency decides what "dead" means. The executor runs any kernel whose
// dependencies are done, so two values may share bytes only when one is
// dead in *every* order the dependencies allow: value U may give its bytes
// to value V when every kernel that reads U (or, for a value nobody reads,
// the kernel that writes it) is a strict ancestor of V's writer in the
// dependency graph. We chose this over planning along one topological order
// and adding the dependency edges that order needs: it never takes away
// concurrency, at the price of an ancestor bit matrix (kernels^2 bits,
// 12.5 MB for 10,000 kernels) and of less reuse between independent
// branches. A kernel never writes over its own operands (no in-place yet).
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_MEMORYPLANNER_H
#define NNC_PASSES_MEMORYPLANNER_H

#include "runtime/ExecutionPlan.h"

namespace nnc {

/// Gives every Arena value of `plan` an offset (a multiple of
/// rt::kArenaAlignment) and sets `plan.arenaSize`, so that two values whose
/// lifetimes may overlap in some run never share a byte. Values are placed
/// largest first, each at the lowest offset free of the values it may
/// overlap with. Reads `plan.kernels` (buffers and dependencies, which must
/// be in topological order); leaves everything else as it is. The arena is
/// never larger than the sum of the aligned sizes of the Arena values.
void planArenaMemory(rt::ExecutionPlan &plan);

} // namespace nnc

#endif // NNC_PASSES_MEMORYPLANNER_H
