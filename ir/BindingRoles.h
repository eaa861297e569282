//===- BindingRoles.h - nn.role as rt::BindingRole --------------*- C++ -*-===//
//
// The compiler marks every argument and result of a model's functions with
// its role in the `nn.role` string attribute, the string the artifact keeps
// too (runtime/BindingRole.h). Every reader and writer of the attribute
// goes through these, so that the compiler, like the runtime, compares
// enum values rather than strings.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_IR_BINDINGROLES_H
#define NNC_IR_BINDINGROLES_H

#include "runtime/BindingRole.h"

#include "mlir/IR/Attributes.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace nnc::nn {

/// The attribute's name on arguments and results.
inline constexpr llvm::StringLiteral kRoleAttrName = "nn.role";

/// On an input whose gradient was asked for (`nnc grad --wrt`): rewrites
/// that take inputs for data, giving them no gradient (the fused
/// attention's mask), leave its path as written.
inline constexpr llvm::StringLiteral kDifferentiatedAttrName = "nn.wrt";

/// The role of argument (result) `index`: None when it has no `nn.role`
/// or one that names no role (the execution planner reports those).
rt::BindingRole argumentRole(mlir::FunctionOpInterface function,
                             unsigned index);
rt::BindingRole resultRole(mlir::FunctionOpInterface function, unsigned index);

/// Sets the role of argument (result) `index`.
void setArgumentRole(mlir::FunctionOpInterface function, unsigned index,
                     rt::BindingRole role);
void setResultRole(mlir::FunctionOpInterface function, unsigned index,
                   rt::BindingRole role);

/// `nn.role = "ROLE"`, for argument or result attribute lists being built.
mlir::NamedAttribute roleAttribute(mlir::MLIRContext *context,
                                   rt::BindingRole role);

} // namespace nnc::nn

#endif // NNC_IR_BINDINGROLES_H
