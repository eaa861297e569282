//===- NNBase.td - Types, traits and op base classes of nn -*- tablegen -*-===//
//
// What every nn op shares: its tensor type constraints, the traits that
// verify it, and the base classes that keep the elementwise ops to a few
// lines each.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNBASE_TD
#define NNC_IR_NNBASE_TD

include "ir/NNDialect.td"
include "ir/NNInterfaces.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Tensor types
//===----------------------------------------------------------------------===//

// Any value of the dialect: f32/f64 data or i32/i64 labels and indices.
def NN_Tensor : RankedTensorOf<[F32, F64, I32, I64]>;
// Data that is differentiated or fed to transcendental functions.
def NN_FloatTensor : RankedTensorOf<[F32, F64]>;
// Class labels and gather indices.
def NN_IndexTensor : RankedTensorOf<[I32, I64]>;

//===----------------------------------------------------------------------===//
// Traits
//===----------------------------------------------------------------------===//

// Only the leading (batch) dimension of an operand or result may be dynamic;
// every other extent is fixed when the model is written.
def NN_StaticExceptBatch : NativeOpTrait<"StaticExceptBatch"> {
  let cppNamespace = "::nnc::nn";
}

//===----------------------------------------------------------------------===//
// Base classes
//===----------------------------------------------------------------------===//

// Every nn op: pure, batch-only dynamism checked before anything else, and a
// gradient rule (the interface's default reports a missing rule).
class NN_Op<string mnemonic, list<Trait> traits = []>
    : Op<NN_Dialect, mnemonic,
         !listconcat([NN_StaticExceptBatch, Pure], traits,
                     [DeclareOpInterfaceMethods<NN_GradientOpInterface,
                                                ["buildGradient"]>])>;

// An op whose result types are inferred from operands and attributes by the
// rules of ir/ShapeRules.h, so builders need no result types. The type traits
// in `traits` are verified before inference runs.
class NN_InferredOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [InferTypeOpAdaptor])>;

// A unary elementwise map whose result type is its operand type. (Not
// SameOperandsAndResultType: ODS would then generate the inference itself.)
class NN_UnaryOp<string mnemonic, Type operandType, list<Trait> traits = []>
    : NN_InferredOp<mnemonic, !listconcat(traits, [NN_ElementwiseOpInterface])> {
  let arguments = (ins operandType:$x);
  let results = (outs operandType:$result);
  let assemblyFormat = "$x attr-dict `:` type($x)";
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::nnc::nn::detail::inferUnaryType(
          getOperationName(), loc, adaptor.getX().getType(), types);
    }
  }];
}

// A float-only unary elementwise map, such as exp or relu.
class NN_FloatUnaryOp<string mnemonic, list<Trait> traits = []>
    : NN_UnaryOp<mnemonic, NN_FloatTensor, traits>;

// A binary elementwise op with NumPy broadcasting of its operands.
class NN_BinaryOp<string mnemonic, Type operandType, list<Trait> traits = []>
    : NN_InferredOp<mnemonic,
                    !listconcat([SameOperandsAndResultElementType], traits,
                                [NN_ElementwiseOpInterface])> {
  let arguments = (ins operandType:$lhs, operandType:$rhs);
  let results = (outs operandType:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let extraClassDefinition = [{
    ::llvm::LogicalResult $cppClass::inferReturnTypes(
        ::mlir::MLIRContext *, std::optional<::mlir::Location> loc,
        Adaptor adaptor, ::llvm::SmallVectorImpl<::mlir::Type> &types) {
      return ::nnc::nn::detail::inferBroadcastType(
          getOperationName(), loc, adaptor.getLhs().getType(),
          adaptor.getRhs().getType(), types);
    }
  }];
}

// A loss: two same-typed operands reduced to a scalar mean, tensor<f32> or
// tensor<f64>.
class NN_PointwiseLossOp<string mnemonic, list<Trait> traits = []>
    : NN_InferredOp<mnemonic, !listconcat([SameOperandsAndResultElementType],
                                          traits)> {
  let results = (outs 0DTensorOf<[F32, F64]>:$result);
  let assemblyFormat = [{
    operands attr-dict `:` type(operands) `->` type($result)
  }];
}

#endif // NNC_IR_NNBASE_TD
