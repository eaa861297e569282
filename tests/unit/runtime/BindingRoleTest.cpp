//===- BindingRoleTest.cpp - Binding role names ---------------------------===//

#include "runtime/BindingRole.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace nnc::rt;

namespace {

TEST(BindingRoleTest, EveryRoleRoundTripsThroughItsName) {
  std::set<std::string> names;
  for (BindingRole role : kBindingRoles) {
    const char *name = roleName(role);
    EXPECT_TRUE(names.insert(name).second)
        << "two roles named '" << name << "'";
    std::optional<BindingRole> parsed = parseBindingRole(name);
    ASSERT_TRUE(parsed.has_value()) << "'" << name << "' does not parse";
    EXPECT_EQ(*parsed, role) << name;
  }
}

TEST(BindingRoleTest, NamesAreThoseOfTheIR) {
  // The `nn.role` strings the compiler writes and artifacts store: a
  // renamed enumerator must not change them.
  EXPECT_STREQ(roleName(BindingRole::None), "");
  EXPECT_STREQ(roleName(BindingRole::Input), "input");
  EXPECT_STREQ(roleName(BindingRole::Param), "param");
  EXPECT_STREQ(roleName(BindingRole::Buffer), "buffer");
  EXPECT_STREQ(roleName(BindingRole::OptState), "opt_state");
  EXPECT_STREQ(roleName(BindingRole::Step), "step");
  EXPECT_STREQ(roleName(BindingRole::Lr), "lr");
  EXPECT_STREQ(roleName(BindingRole::Output), "output");
  EXPECT_STREQ(roleName(BindingRole::Loss), "loss");
  EXPECT_STREQ(roleName(BindingRole::Grad), "grad");
  EXPECT_STREQ(roleName(BindingRole::ParamUpdate), "param_update");
  EXPECT_STREQ(roleName(BindingRole::BufferUpdate), "buffer_update");
  EXPECT_STREQ(roleName(BindingRole::OptStateUpdate), "opt_state_update");
}

TEST(BindingRoleTest, UnknownNamesAreRefused) {
  EXPECT_FALSE(parseBindingRole("weights").has_value());
  EXPECT_FALSE(parseBindingRole("Input").has_value());
  EXPECT_FALSE(parseBindingRole("input ").has_value());
  EXPECT_FALSE(parseBindingRole(std::string_view("input\0", 6)).has_value());
}

} // namespace
