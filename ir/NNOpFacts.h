//===- NNOpFacts.h - What passes and backends know of an op -----*- C++ -*-===//
//
// The facts each nn op's ODS declaration states (NN_Op's nn* fields in
// ir/NNBase.td), as tables that nnc-tblgen (ir/tblgen) generates at build
// time: how the fusion pass treats it, how the cpu backend may split it
// across threads, and whether backends compile it. Passes and backends ask
// here instead of keeping lists of op names. See docs/adding-an-op.md.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNOPFACTS_H
#define NNC_IR_NNOPFACTS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstddef>

namespace mlir {
class Operation;
} // namespace mlir

namespace nnc {

/// What role an op can play in a fusion group (NN_Op's nnFusion).
enum class FusionKind {
  /// Each result element depends on the operands at the same (broadcast)
  /// index: cheap, and free to join any neighbour.
  Elementwise,
  /// matmul, conv2d and conv2d's gradients: the expensive anchor of a group
  /// that may take elementwise epilogues.
  Contraction,
  /// Reads many elements of its operand for one element of its result; the
  /// anchor of a group that may take elementwise prologues and epilogues.
  Reduction,
  /// nn.constant: cloned into the groups that read it when small.
  Constant,
  /// Everything else (data movement, pooling, dropout): never fused.
  Opaque,
};

namespace nn {

/// Where finite differences may check an op's gradient (nnGradcheckDomain).
enum class GradcheckDomain {
  Any,      ///< Uniform in [-2, 2).
  NonZero,  ///< Away from a kink at 0 (abs, relu).
  Positive, ///< Where it is defined (log, sqrt).
};

/// One value of an elementwise op from its closed form (nnSamples).
struct OpSample {
  /// Its operands; the second is 0 for a unary op.
  double operands[2];
  double result;
};

/// One op's facts.
struct OpFacts {
  /// Its name in IR: "nn.add".
  const char *name;
  FusionKind fusion;
  /// The cpu backend may split it by rows, slicing each operand whose
  /// shape reaches the result's leading extent (nnSplitsByRows).
  bool splitsByRows;
  /// The operand whose shape spans the trailing axes the op normalises
  /// over, or -1 (nnGroupsOver): split by rows unless it spans axis 0.
  int groupOperand;
  /// A view of the result's columns reads the same columns of each operand
  /// (nnColumnwise).
  bool columnwise;
  /// 1 for a unary elementwise map, 2 for a broadcasting binary op (both
  /// carry ElementwiseOpInterface), 0 otherwise.
  int elementwiseArity;
  /// Backends compile it (false for nn.fusion).
  bool compiled;
  /// The model language can call it.
  bool callable;
  GradcheckDomain gradcheckDomain;
  /// Its closed-form values; every elementwise op has some.
  const OpSample *samples;
  size_t numSamples;

  llvm::ArrayRef<OpSample> sampleValues() const {
    return {samples, numSamples};
  }
};

/// The facts of the nn op named `name`; null for a name outside nn.
const OpFacts *lookupOpFacts(llvm::StringRef name);

/// The facts of `op`: its own for an nn op, those of an opaque op that
/// backends do not compile for any other.
const OpFacts &opFacts(mlir::Operation *op);

/// Every nn op's facts, sorted by name.
llvm::ArrayRef<OpFacts> allOpFacts();

/// The names of the ops backends compile, sorted and null-terminated: the
/// plugin ABI's supported_ops of a backend that compiles every nn op.
const char *const *compiledOpNames();

} // namespace nn
} // namespace nnc

#endif // NNC_IR_NNOPFACTS_H
