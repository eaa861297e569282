//===- NNDialect.td - The nn dialect declaration -----------*- tablegen -*-===//
//
// The nn dialect: the tensor-level graph every nnc model is lowered to from
// the DSL, differentiated, optimised and handed to a backend.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNDIALECT_TD
#define NNC_IR_NNDIALECT_TD

include "mlir/IR/OpBase.td"

def NN_Dialect : Dialect {
  let name = "nn";
  let cppNamespace = "::nnc::nn";
  let summary = "Tensor-level neural-network operations of nnc";
  let description = [{
    The `nn` dialect holds one op per operation of the nnc model language
    (see docs/dsl.md). Values are builtin ranked tensors: f32 or f64 for data,
    i32 or i64 for labels and indices. Shapes are static except the leading
    (batch) dimension, which may be dynamic (`?`) until the graph is
    specialised for a batch size. Every op infers its result types from its
    operands and attributes through the shape rules of ir/ShapeRules.h.
  }];
  // nn.constant materialises folded values.
  let hasConstantMaterializer = 1;
}

#endif // NNC_IR_NNDIALECT_TD
