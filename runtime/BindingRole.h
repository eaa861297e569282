//===- BindingRole.h - What a graph argument or result is for ---*- C++ -*-===//
//
// Every argument and result of a compiled graph carries a role: the
// compiler writes it as the `nn.role` string attribute, the artifact stores
// it as a string, and everything in between holds this enum, so that a
// misspelt role is a compile error instead of a comparison that is never
// true. The names are the strings of the IR and of the artifact format.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_BINDINGROLE_H
#define NNC_RUNTIME_BINDINGROLE_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace nnc::rt {

/// The role of a graph argument or result.
enum class BindingRole : uint8_t {
  /// No `nn.role` at all: hand-written IR may leave it out.
  None,
  // Arguments.
  Input,    ///< Data fed on every run.
  Param,    ///< A trained parameter.
  Buffer,   ///< State a forward pass updates, such as running statistics.
  OptState, ///< One optimizer slot of a parameter ("w.m").
  Step,     ///< The training step counter.
  Lr,       ///< The learning rate.
  // Results.
  Output, ///< A named output of the model.
  Loss,   ///< The scalar being minimised.
  /// The gradient of the loss by a parameter: a result of the gradient
  /// step, and an argument of the update that applies it.
  Grad,
  ParamUpdate,    ///< A parameter after one training step.
  BufferUpdate,   ///< A buffer after one training step.
  OptStateUpdate, ///< An optimizer slot after one training step.
};

/// Every role, in declaration order.
inline constexpr BindingRole kBindingRoles[] = {
    BindingRole::None,
    BindingRole::Input,
    BindingRole::Param,
    BindingRole::Buffer,
    BindingRole::OptState,
    BindingRole::Step,
    BindingRole::Lr,
    BindingRole::Output,
    BindingRole::Loss,
    BindingRole::Grad,
    BindingRole::ParamUpdate,
    BindingRole::BufferUpdate,
    BindingRole::OptStateUpdate,
};

/// The role's name in the IR and the artifact: "input", "opt_state",
/// "param_update", ...; the empty string for None.
const char *roleName(BindingRole role);

/// The role named `name`, the inverse of roleName (the empty string is
/// None); nullopt for any other string.
std::optional<BindingRole> parseBindingRole(std::string_view name);

} // namespace nnc::rt

#endif // NNC_RUNTIME_BINDINGROLE_H
