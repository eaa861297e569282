//===- NNInterfaces.td - Op interfaces of the nn dialect ---*- tablegen -*-===//
//
// Interfaces that passes query instead of switching over op kinds: the
// gradient rule (a vector-Jacobian product) and the elementwise marker.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_NNINTERFACES_TD
#define NNC_IR_NNINTERFACES_TD

include "mlir/IR/OpBase.td"

def NN_GradientOpInterface : OpInterface<"GradientOpInterface"> {
  let cppNamespace = "::nnc::nn";
  let description = [{
    The reverse-mode differentiation rule of an op: given the gradients of
    the loss with respect to the op's results, build the ops that compute the
    gradients with respect to its operands (a vector-Jacobian product).

    Autodiff walks ops through this interface, so adding a gradient rule means
    overriding `buildGradient` on the op, never editing the pass.
  }];
  let methods = [
    InterfaceMethod<[{
        Builds, at the builder's insertion point, the vector-Jacobian product
        of this op. `resultGrads` holds one gradient per result, in result
        order; a null Value means the result does not reach the loss (a zero
        gradient). On success `operandGrads` receives exactly one entry per
        operand, in operand order, with a null Value for an operand that is
        not differentiable (integer labels and indices, for example).

        The default implementation reports "no gradient rule for 'nn.X'" at
        the op's location, which is the user's source line, and fails.
      }],
      "::llvm::LogicalResult", "buildGradient",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultGrads,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandGrads),
      /*methodBody=*/[{}],
      /*defaultImplementation=*/[{
        return $_op->emitError()
               << "no gradient rule for '" << $_op->getName() << "'";
      }]>
  ];
}

def NN_ElementwiseOpInterface : OpInterface<"ElementwiseOpInterface"> {
  let cppNamespace = "::nnc::nn";
  let description = [{
    Marks an op whose every result element depends only on the operand
    elements at the same (broadcast) index. Fusion groups such ops into one
    loop nest; backends may lower them through one generic elementwise path.
  }];
  let methods = [
    InterfaceMethod<[{
        Returns true if the op reads one tensor operand (a unary map), false
        if it broadcasts two.
      }],
      "bool", "isUnaryElementwise", (ins), /*methodBody=*/[{}],
      /*defaultImplementation=*/[{ return $_op->getNumOperands() == 1; }]>
  ];
}

#endif // NNC_IR_NNINTERFACES_TD
