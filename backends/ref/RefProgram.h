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

#include "backends/ref/kernels/Conv.h"
#include "backends/ref/kernels/Dropout.h"
#include "backends/ref/kernels/Elementwise.h"
#include "backends/ref/kernels/Matmul.h"
#include "backends/ref/kernels/Norm.h"
#include "backends/ref/kernels/NormGrad.h"
#include "backends/ref/kernels/Optimizer.h"
#include "backends/ref/kernels/Pool.h"
#include "backends/ref/kernels/Reduce.h"
#include "backends/ref/kernels/ShapeOps.h"
#include "backends/ref/kernels/Softmax.h"
#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <cstdint>
#include <string>
#include <variant>
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

/// What a step computes; each maps to one nnc::ref kernel (or a copy).
enum class StepKind {
  Unary,
  Binary,
  LeakyRelu,
  Matmul,
  Softmax,
  LogSoftmax,
  Reduce,
  Reshape,
  Transpose,
  BroadcastTo,
  Concat,
  Slice,
  Gather,
  Conv2d,
  MaxPool2d,
  AvgPool2d,
  /// Outputs y, new_mean, new_var; the last two copy mean and var.
  BatchNormEval,
  BatchNormTrain,
  /// Input 1, when present, is the scalar step (i64 or i32) that replaces
  /// DropoutAttrs::step.
  Dropout,
  Mse,
  BinaryCrossEntropy,
  SoftmaxCrossEntropy,
  // The backward and optimizer ops of docs/autodiff.md.
  Maximum,
  Minimum,
  Sign,
  ReluGrad,
  LeakyReluGrad,
  GeluGrad,
  /// ReduceStepAttrs with op Max.
  ReduceMaxGrad,
  SoftmaxGrad,
  LogSoftmaxGrad,
  SliceGrad,
  GatherGrad,
  Conv2dGradInput,
  Conv2dGradWeight,
  MaxPool2dGrad,
  AvgPool2dGrad,
  /// Outputs dx, dgamma, dbeta.
  BatchNormGrad,
  /// Input 1, when present, is the step, as for Dropout.
  DropoutGrad,
  SoftmaxCrossEntropyGrad,
  BinaryCrossEntropyGrad,
  SgdUpdate,
  /// Outputs param', velocity'.
  MomentumUpdate,
  /// Outputs param', m', v'.
  AdamUpdate,
  /// Copies input 0 into output 0 (same dtype and element count): results
  /// that are arguments, constants or a value returned twice.
  Copy,
};

/// Attributes of a reduction step.
struct ReduceStepAttrs {
  ReduceOp op = ReduceOp::Sum;
  ReduceAttrs attrs;
};

/// The attributes of a step; which alternative is set follows from the
/// StepKind (monostate for kinds without attributes).
using StepAttrs =
    std::variant<std::monostate, UnaryOp, BinaryOp, LeakyReluAttrs, MatmulAttrs,
                 SoftmaxAttrs, ReduceStepAttrs, TransposeAttrs, ConcatAttrs,
                 SliceAttrs, GatherAttrs, Conv2dAttrs, Pool2dAttrs,
                 BatchNormAttrs, DropoutAttrs, BatchNormGradAttrs, SgdAttrs,
                 MomentumAttrs, AdamAttrs>;

/// One kernel call: reads the `inputs` slots and writes the `outputs` slots.
struct Step {
  StepKind kind = StepKind::Copy;
  /// The op name ("nn.gather"), to prefix the kernel's error messages.
  std::string opName;
  std::vector<int64_t> inputs;
  std::vector<int64_t> outputs;
  StepAttrs attrs;
};

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

/// Runs `program` over the caller's `buffers` (dense C-order buffers of the
/// types of the Buffer slots). Returns the first kernel error, prefixed
/// with the function and op names; the results are then unspecified. When
/// a step's output overlaps one of its inputs (a caller running in place),
/// the step writes into a temporary that is copied over afterwards, since
/// most kernels do not allow aliasing.
rt::Error runProgram(const Program &program, void *const *buffers);

} // namespace nnc::ref

#endif // NNC_BACKENDS_REF_REFPROGRAM_H
