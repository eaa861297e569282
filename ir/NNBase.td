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
// What other layers know of an op
//===----------------------------------------------------------------------===//
//
// Fields of NN_Op that ir/tblgen (nnc-tblgen) turns into tables at build
// time, so that no pass, backend or frontend keeps a list of op names:
// ir/NNOpFacts.h (fusion class, thread split, the ops backends compile)
// and the model language's op table (frontend/OpSignatures.cpp).

// One keyword attribute of a DSL call (frontend/OpSignatures.h, AttrSpec):
// its kind (Int, Float, Bool, IntList, IntPair), default (a number; for an
// IntPair both entries) or the attribute it defaults to, and whether a
// number must be above 0 (the frontend checks it before the op's rule).
class NN_DslAttr<string name, string kind, string defaultNumber = "0",
                 bit required = 0, string defaultFrom = ""> {
  string attrName = name;
  string attrKind = kind;
  string attrDefault = defaultNumber;
  bit attrRequired = required;
  string attrDefaultFrom = defaultFrom;
  bit attrPositive = 0;
}
class NN_RequiredDslAttr<string name, string kind>
    : NN_DslAttr<name, kind, "0", 1>;
class NN_PositiveDslAttr<string name, string kind, string defaultNumber>
    : NN_DslAttr<name, kind, defaultNumber> {
  let attrPositive = 1;
}

// How the model language calls an op: its name there, the rule in
// frontend/OpSignatures.cpp that checks operand dtypes and computes result
// types, the operand count (maxOperands -1: any number), the keyword
// attributes, and an Int attribute the call cannot set (fixedAttr).
class NN_Dsl<string name, string rule, int minOperands, int maxOperands,
             list<NN_DslAttr> attrs = [], string fixedAttr = "",
             int fixedValue = 0> {
  string dslName = name;
  string dslRule = rule;
  int dslMinOperands = minOperands;
  int dslMaxOperands = maxOperands;
  list<NN_DslAttr> dslAttrs = attrs;
  string dslFixedAttr = fixedAttr;
  int dslFixedValue = fixedValue;
}

// The DSL form of an op that names a shape rule (nnShapeRule): nnc-tblgen
// writes its rule from the declaration (the dtype checks its operand
// constraints and traits imply, then the shape rule), and it takes exactly
// the op's operands.
class NN_ShapeRuleDsl<string name, list<NN_DslAttr> attrs = []>
    : NN_Dsl<name, "", 0, 0, attrs>;

// A value of an elementwise op from its closed form: its operands and its
// result (decimal numbers). Every backend must reproduce them (the
// conformance suite's EveryElementwiseOpMatchesItsSamples).
class NN_Sample<list<string> operands, string result> {
  list<string> sampleOperands = operands;
  string sampleResult = result;
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
                                                ["buildGradient"]>])> {
  // The fusion pass's class (ir/NNOpFacts.h, FusionKind): Elementwise,
  // Contraction, Reduction, Constant or Opaque. An op with the elementwise
  // interface must be Elementwise (nnc-tblgen checks).
  string nnFusion = "Opaque";
  // The cpu backend splits it across threads by rows, slicing each operand
  // whose shape reaches the result's leading extent (KernelPlan.cpp).
  bit nnSplitsByRows = 0;
  // The operand whose shape spans the trailing axes the op normalises
  // over (layer_norm's gamma): rows are independent groups, so the cpu
  // backend splits it by rows as nnSplitsByRows does, unless that operand
  // spans axis 0 too.
  string nnGroupsOver = "";
  // The function of ir/ShapeRules.h that gives the first result's shape
  // from the shapes of the operands, in declaration order; the result
  // takes the first operand's element type. With it nnc-tblgen writes the
  // op's inferReturnTypes, and the model language's rule of an
  // NN_ShapeRuleDsl form.
  string nnShapeRule = "";
  // Each further result has the type of the operand named here.
  list<string> nnResultTypesOf = [];
  // Reads every operand at the result's (broadcast) index, so a view of
  // the result's columns reads the same columns of each operand.
  bit nnColumnwise = 0;
  // Backends compile it (every nn op but the fusion region's own ops).
  bit nnCompiled = 1;
  // How the model language calls it; empty when it cannot.
  list<NN_Dsl> nnDsl = [];
  // Values from its closed form; required of every elementwise op.
  list<NN_Sample> nnSamples = [];
  // Where finite differences check its gradient: "any" (uniform in
  // [-2, 2)), "nonzero" (away from a kink at 0) or "positive".
  string nnGradcheckDomain = "any";
}

// An op whose result types are inferred from operands and attributes by the
// rules of ir/ShapeRules.h, so builders need no result types. The type traits
// in `traits` are verified before inference runs.
class NN_InferredOp<string mnemonic, list<Trait> traits = []>
    : NN_Op<mnemonic, !listconcat(traits, [InferTypeOpAdaptor])>;

// A unary elementwise map whose result type is its operand type. (Not
// SameOperandsAndResultType: ODS would then generate the inference itself.)
class NN_UnaryOp<string mnemonic, Type operandType, list<Trait> traits = []>
    : NN_InferredOp<mnemonic,
                    !listconcat(traits, [NN_ElementwiseOpInterface])> {
  let nnFusion = "Elementwise";
  let nnSplitsByRows = 1;
  let nnColumnwise = 1;
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

// The DSL forms of the elementwise ops: a map of any tensor, of a float
// one, and a broadcasting binary op of any or of float operands.
class NN_UnaryDsl<string name, list<NN_DslAttr> attrs = []>
    : NN_Dsl<name, "sameAsOperand", 1, 1, attrs>;
class NN_FloatUnaryDsl<string name, list<NN_DslAttr> attrs = []>
    : NN_Dsl<name, "floatUnary", 1, 1, attrs>;
class NN_BinaryDsl<string name> : NN_Dsl<name, "elementwiseBinary", 2, 2>;
class NN_FloatBinaryDsl<string name> : NN_Dsl<name, "floatBinary", 2, 2>;

// A float-only unary elementwise map, such as exp or relu.
class NN_FloatUnaryOp<string mnemonic, list<Trait> traits = []>
    : NN_UnaryOp<mnemonic, NN_FloatTensor, traits>;

// A binary elementwise op with NumPy broadcasting of its operands.
class NN_BinaryOp<string mnemonic, Type operandType, list<Trait> traits = []>
    : NN_InferredOp<mnemonic,
                    !listconcat([SameOperandsAndResultElementType], traits,
                                [NN_ElementwiseOpInterface])> {
  let nnFusion = "Elementwise";
  let nnSplitsByRows = 1;
  let nnColumnwise = 1;
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
  let nnFusion = "Reduction";
  let nnShapeRule = "pointwiseLoss";
  let results = (outs 0DTensorOf<[F32, F64]>:$result);
  let assemblyFormat = [{
    operands attr-dict `:` type(operands) `->` type($result)
  }];
}

#endif // NNC_IR_NNBASE_TD
