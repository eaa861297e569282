//===- BindingRole.cpp - What a graph argument or result is for -----------===//

#include "runtime/BindingRole.h"

#include <cassert>

namespace nnc::rt {

const char *roleName(BindingRole role) {
  switch (role) {
  case BindingRole::None:
    return "";
  case BindingRole::Input:
    return "input";
  case BindingRole::Param:
    return "param";
  case BindingRole::Buffer:
    return "buffer";
  case BindingRole::OptState:
    return "opt_state";
  case BindingRole::Step:
    return "step";
  case BindingRole::Lr:
    return "lr";
  case BindingRole::Output:
    return "output";
  case BindingRole::Loss:
    return "loss";
  case BindingRole::Grad:
    return "grad";
  case BindingRole::ParamUpdate:
    return "param_update";
  case BindingRole::BufferUpdate:
    return "buffer_update";
  case BindingRole::OptStateUpdate:
    return "opt_state_update";
  }
  assert(false && "unknown binding role");
  return "?";
}

std::optional<BindingRole> parseBindingRole(std::string_view name) {
  for (BindingRole role : kBindingRoles)
    if (name == roleName(role))
      return role;
  return std::nullopt;
}

} // namespace nnc::rt
