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
// branches.
//
// In place: a kernel may write a result over an operand it reads for the
// last time (an elementwise map, an optimizer update). A view (a lone
// reshape) takes its operand's bytes without writing any, so it needs no
// last read: both values are read from the same bytes, in any order. The
// planner treats every value sharing bytes this way as one block, busy
// from its first value's write until every kernel that touches any of its
// values has run. A kernel writing over a block must come after every
// other kernel that reads it (checked below: each is a strict ancestor),
// and inside the kernel the backend reads each element before it writes
// it; every reader of the result descends from the writer. So no byte of a
// block is written while a value it holds may still be read.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_PASSES_MEMORYPLANNER_H
#define NNC_PASSES_MEMORYPLANNER_H

#include "runtime/ExecutionPlan.h"

#include <cstdint>
#include <vector>

namespace nnc {

/// A kernel that could compute `result` in place of `operand` (value ids):
/// its code allows the two buffers to be one, as an elementwise map over
/// same-typed tensors does when it reads nothing of `operand` after writing
/// `result`, and a reshape always does. Whether the graph allows it is
/// planArenaMemory's decision.
struct InPlaceCandidate {
  int64_t kernel = -1;
  int64_t operand = -1;
  int64_t result = -1;
  /// The kernel writes no byte when it is taken: `result` is `operand`'s
  /// bytes seen with another shape (a lone reshape). Other kernels may then
  /// go on reading `operand` beside the readers of `result`.
  bool view = false;
};

/// Gives every Arena value of `plan` an offset (a multiple of
/// rt::kArenaAlignment) and sets `plan.arenaSize`, so that two values whose
/// lifetimes may overlap in some run never share a byte. Values are placed
/// largest first, each at the lowest offset free of the values it may
/// overlap with. Reads `plan.kernels` (buffers and dependencies, which must
/// be in topological order); leaves everything else as it is. The arena is
/// never larger than the sum of the aligned sizes of the Arena values.
///
/// The view candidates come first, each taken when the kernel reads
/// `operand` and writes `result`, both Arena values of the same dtype and
/// size, or `operand` a graph input (BindingRole::Input) and `result` an
/// Arena value of its dtype and size: the result then has no bytes in the
/// arena (rt::viewedGraphInputs), and no write in place is taken over it. Then
/// each other candidate, in order, is taken when the same holds, every other
/// kernel reading any value of `operand`'s block (the values sharing its bytes)
/// is a strict ancestor of the kernel, the kernel reads no other value of that
/// block, and nothing is written over `operand` already. A taken candidate sets
/// `result`'s `reuses` to `operand`, and both get the same offset. Candidates
/// that do not hold are ignored.
///
/// A candidate whose `operand` is a state the graph takes (a Param, Buffer
/// or OptState input) and whose `result` is its update under the same name
/// (the ParamUpdate, BufferUpdate or OptStateUpdate output) is a state
/// update in place (rt::PlanValue::reuses): every other reader of the state
/// earlier in the kernel order first becomes a dependency of the kernel,
/// and the candidate is then taken by the same rules, without an offset.
void planArenaMemory(rt::ExecutionPlan &plan,
                     const std::vector<InPlaceCandidate> &candidates = {});

} // namespace nnc

#endif // NNC_PASSES_MEMORYPLANNER_H
