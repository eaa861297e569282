//===- ExecutionPlan.h - Schedule and memory plan of a graph ----*- C++ -*-===//
//
// What the executor needs to run a partitioned graph, apart from the kernels
// themselves: every tensor value (its type and where its bytes live), every
// kernel (which values it reads and writes, which kernels must finish before
// it starts) and the size of the one arena that holds the intermediates.
//
// The runtime owns this format, as it owns the plugin ABI: the compiler
// (passes/ExecutionPlanner.h) fills it in, the executor reads it, and the
// artifact writer will serialise it to FlatBuffers. So it is plain structs
// with indices instead of pointers, and verifyExecutionPlan() checks every
// index before anything trusts a plan, as a loaded artifact must be checked.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_EXECUTIONPLAN_H
#define NNC_RUNTIME_EXECUTIONPLAN_H

#include "runtime/BindingRole.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::rt {

/// Alignment of the arena and of every offset in it: a cache line, and the
/// width of an AVX-512 register, as for Tensor storage.
inline constexpr uint64_t kArenaAlignment = 64;

/// Where the bytes of a value live.
enum class ValueKind : uint8_t {
  /// A graph argument (input, parameter or buffer): the caller's buffer
  /// number `index` of ExecutionPlan::inputs.
  Input,
  /// A graph result written by its kernel straight into the caller's buffer
  /// number `index` of ExecutionPlan::outputs.
  Output,
  /// An intermediate at `offset` in the arena.
  Arena,
};

/// One tensor value of the graph.
struct PlanValue {
  /// For messages and profiles: the argument's or result's `nn.name`, or
  /// "kernel_K.R" (result R of kernel K) for an intermediate.
  std::string name;
  DType dtype = DType::F32;
  /// Fully static extents, outermost first.
  Shape shape;
  /// elementCount(shape) * dtypeSize(dtype).
  uint64_t bytes = 0;
  ValueKind kind = ValueKind::Arena;
  /// The caller's buffer number for Input and Output values; -1 for Arena.
  int64_t index = -1;
  /// Byte offset in the arena for Arena values (a multiple of
  /// kArenaAlignment); 0 otherwise.
  uint64_t offset = 0;
  /// For an Arena value computed in place: the Arena value (same dtype and
  /// bytes) whose bytes it takes over. Its writer reads that value for the
  /// last time, elementwise (or as a reshape, which then moves nothing), and
  /// writes this one over it, so both have the same offset; the backend's
  /// kernel must allow that aliasing. -1 when the value has bytes of its own.
  ///
  /// For an Output value, a state update: the Input value of the state it
  /// updates (a parameter, buffer or optimizer slot of the same name, same
  /// dtype and bytes), which its writer reads for the last time, after every
  /// other reader. The caller may pass the state's buffer as this output's
  /// buffer too, and the step then updates the state in place; given
  /// another buffer, the executor first copies the state into it.
  int64_t reuses = -1;
};

/// One kernel of the partitioned graph; kernel K is the backend's kernel K
/// (func.func @kernel_K of the graph handed to the plugin).
struct PlanKernel {
  /// The nn op it computes ("nn.matmul"), for messages and profiles.
  std::string opName;
  /// Where the op came from ("model.nn:4:7"), for messages; may be empty.
  std::string location;
  /// Value ids of its buffers, in the order of nnc_kernel_fn's `buffers`:
  /// the kernel function's arguments, then its results. The planner lists
  /// an operand once even when the op reads it twice (`nn.mul %x, %x`), but
  /// the format allows repeats among the arguments.
  std::vector<int64_t> buffers;
  /// How many leading entries of `buffers` are arguments (read only); the
  /// rest are results (written).
  int64_t numOperands = 0;
  /// Kernels that must finish before this one starts, each with a smaller
  /// index than this kernel, without duplicates. Besides the data
  /// dependencies they order arena reuse (see passes/MemoryPlanner.h).
  std::vector<int64_t> dependencies;
  /// Floating-point operations of one run (0 when unknown), for profiles.
  uint64_t flops = 0;
};

/// A value the caller binds: a graph argument or a graph result.
struct ExternalBinding {
  /// The `nn.name` of the argument or result; may be empty.
  std::string name;
  /// The `nn.role`; None when the IR gives none.
  BindingRole role = BindingRole::None;
  /// The value bound. For an output, a value whose kind is not Output with
  /// this binding's index (a returned argument, a value returned twice) is
  /// copied into the caller's buffer once the kernels are done.
  int64_t value = -1;
};

/// A partitioned graph's schedule and memory plan.
struct ExecutionPlan {
  std::vector<PlanValue> values;
  /// In a topological order of `dependencies`.
  std::vector<PlanKernel> kernels;
  /// One per graph argument, in argument order.
  std::vector<ExternalBinding> inputs;
  /// One per graph result, in result order.
  std::vector<ExternalBinding> outputs;
  /// Bytes of the arena; a multiple of kArenaAlignment.
  uint64_t arenaSize = 0;
};

/// Checks that every index of `plan` is in range and consistent: value ids,
/// dependency order, byte sizes against shapes, arena values inside an
/// aligned arena, each Input / Output value bound by the binding of its
/// index, every Output and Arena value written by exactly one kernel, every
/// kernel listing the writers of the values it reads among its
/// dependencies, every in-place value (`reuses`) sharing the offset, dtype
/// and size of a value its writer reads (or viewing a graph input of that
/// dtype and size, viewedGraphInputs), and every state update (an Output
/// value's `reuses`) naming an Input value of the same dtype and size that
/// its writer reads. It does not check that the
/// arena values of kernels that may run concurrently are disjoint: that is
/// the memory planner's job, tested on its own.
Error verifyExecutionPlan(const ExecutionPlan &plan);

/// True when `value` is an Input value bound as a graph input
/// (BindingRole::Input): data the caller passes and the graph never writes.
bool isGraphInput(const ExecutionPlan &plan, const PlanValue &value);

/// For every value, the Input value it views, or -1: an Arena value whose
/// `reuses` leads, through other such values, to an Input value bound as a
/// graph input (BindingRole::Input, never written by the graph) is a view of
/// the caller's bytes. Its writer, a reshape, writes nothing, it has no bytes
/// in the arena, and kernels read it where the caller's input lies. All at
/// once, in time linear in the values: a chain of n in-place kernels has
/// `reuses` chains of every length up to n.
std::vector<int64_t> viewedGraphInputs(const ExecutionPlan &plan);

/// Renders `plan` as text, one line per value, kernel and binding, for lit
/// tests and `nnc ir`. The format is for people, not for parsing.
std::string formatExecutionPlan(const ExecutionPlan &plan);

} // namespace nnc::rt

#endif // NNC_RUNTIME_EXECUTIONPLAN_H
