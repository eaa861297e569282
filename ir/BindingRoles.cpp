//===- BindingRoles.cpp - The nn.role attribute as rt::BindingRole --------===//

#include "ir/BindingRoles.h"

#include "mlir/IR/BuiltinAttributes.h"

namespace nnc::nn {
namespace {

rt::BindingRole roleIn(mlir::StringAttr name) {
  if (!name)
    return rt::BindingRole::None;
  return rt::parseBindingRole(std::string_view(name.getValue()))
      .value_or(rt::BindingRole::None);
}

mlir::StringAttr nameOf(mlir::MLIRContext *context, rt::BindingRole role) {
  return mlir::StringAttr::get(context, rt::roleName(role));
}

} // namespace

rt::BindingRole argumentRole(mlir::FunctionOpInterface function,
                             unsigned index) {
  return roleIn(
      function.getArgAttrOfType<mlir::StringAttr>(index, kRoleAttrName));
}

rt::BindingRole resultRole(mlir::FunctionOpInterface function, unsigned index) {
  return roleIn(
      function.getResultAttrOfType<mlir::StringAttr>(index, kRoleAttrName));
}

void setArgumentRole(mlir::FunctionOpInterface function, unsigned index,
                     rt::BindingRole role) {
  function.setArgAttr(index, kRoleAttrName,
                      nameOf(function->getContext(), role));
}

void setResultRole(mlir::FunctionOpInterface function, unsigned index,
                   rt::BindingRole role) {
  function.setResultAttr(index, kRoleAttrName,
                         nameOf(function->getContext(), role));
}

mlir::NamedAttribute roleAttribute(mlir::MLIRContext *context,
                                   rt::BindingRole role) {
  return mlir::NamedAttribute(mlir::StringAttr::get(context, kRoleAttrName),
                              nameOf(context, role));
}

} // namespace nnc::nn
