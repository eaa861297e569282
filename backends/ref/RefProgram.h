//===- RefProgram.h - Interpreter programs of the ref backend ---*- C++ -*-===//
//
// The runtime half of the ref backend: a kernel is a Program, a flat list of
// Steps over numbered Slots, each step calling one nnc::ref kernel. A
// Program is plain data (no MLIR), built by RefCompiler and run by
// runProgram(), so the runtime half links only runtime/ and the kernels.
//
// Slots are the values of one kernel function: the caller's buffers
// (arguments, then results), constants the program owns, and temporaries
// allocated for each run so that concurrent runs never share scratch memory.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_REF_REFPROGRAM_H
#define NNC_BACKENDS_REF_REFPROGRAM_H

#include "backends/ref/RefAttrs.h"
#include "backends/ref/RefSteps.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <any>
#include <vector>

namespace nnc::ref {

/// Where a slot's elements live.
enum class SlotKind {
  Buffer,   ///< buffers[bufferIndex] of the kernel call.
  Constant, ///< Program::constants[constantIndex], read-only.
  Temp,     ///< Allocated for each run, zero-filled.
};

/// One value of a kernel function, with its static type.
struct Slot {
  SlotKind kind = SlotKind::Temp;
  rt::DType dtype = rt::DType::F32;
  rt::Shape shape;
  /// Index into the call's buffers (Buffer) or Program::constants
  /// (Constant); unused for Temp.
  int64_t index = 0;
};

/// One kernel call: reads the `inputs` slots and writes the `outputs`
/// slots. Built by the compiler or read from an artifact, then made ready
/// by prepareStep().
struct Step {
  /// The op it runs ("nn.gather"): its row in the table (RefSteps.h), and
  /// the prefix of the kernel's error messages.
  std::string op;
  std::vector<int64_t> inputs;
  std::vector<int64_t> outputs;
  StepAttrs attrs;
  /// Set by prepareStep(): the row of `op` and the attributes it read.
  const StepRow *row = nullptr;
  std::any prepared;
};

/// Finds the row of `step.op` and checks the step against it: the operand
/// and result counts and the attributes. Fails with a one-line message
/// naming the op.
rt::Error prepareStep(Step &step);

/// The interpreter program of one kernel function.
struct Program {
  /// The kernel function's name ("kernel_3"), for messages.
  std::string name;
  std::vector<Slot> slots;
  std::vector<rt::Tensor> constants;
  std::vector<Step> steps;
  /// How many buffers a call passes: arguments, then results.
  int64_t numBuffers = 0;
};

/// Runs `program`, whose steps are prepared, over the caller's `buffers` (dense C-order buffers of the
/// types of the Buffer slots). Returns the first kernel error, prefixed
/// with the function and op names; the results are then unspecified. When
/// a step's output overlaps one of its inputs (a caller running in place),
/// the step writes into a temporary that is copied over afterwards, since
/// most kernels do not allow aliasing.
rt::Error runProgram(const Program &program, void *const *buffers);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_REFPROGRAM_H
