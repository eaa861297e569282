//===- BackendPluginLookupTest.cpp - Loading one backend's plugin ---------===//
//
// findBackendPlugin loads the plugin of one backend, for commands that only
// run artifacts: an explicit file first, then the runtime-only build, then
// the full plugin, each by its conventional file name, and discovery only
// when none is found so. Nothing else is opened.
//
//===----------------------------------------------------------------------===//

#include "PluginTestSupport.h"

#include "runtime/PluginHost.h"

#include <fstream>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace nnc::rt;
using namespace nnc::rt::test;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

namespace {

/// A new folder holding a symlink to the null plugin as each of `names`.
std::string dirWithNull(std::initializer_list<const char *> names) {
  std::string dir = makeTempDir();
  for (const char *name : names)
    EXPECT_EQ(symlink(NNC_TEST_NULL_PLUGIN, (dir + "/" + name).c_str()), 0);
  return dir;
}

/// Writes a file that is not a shared library at `dir`/`name`.
void writeJunk(const std::string &dir, const char *name) {
  std::ofstream(dir + "/" + name) << "not a plugin";
}

TEST(BackendPluginLookupTest, FileNames) {
  EXPECT_EQ(pluginFileName("ref", false), "libnnc_backend_ref.so");
  EXPECT_EQ(pluginFileName("ref", true), "libnnc_backend_ref_rt.so");
}

TEST(BackendPluginLookupTest, RuntimeOnlyBuildComesFirst) {
  std::string runtimeDir = dirWithNull({"libnnc_backend_null_rt.so"});
  std::string dir = dirWithNull({"libnnc_backend_null.so"});
  Expected<PluginSet> set = findBackendPlugin("null", {runtimeDir}, {dir}, {});
  ASSERT_TRUE(set.ok()) << set.message();
  ASSERT_THAT(set->plugins, SizeIs(1));
  EXPECT_EQ(set->find("null")->path(),
            runtimeDir + "/libnnc_backend_null_rt.so");
  EXPECT_THAT(set->warnings, IsEmpty());
}

TEST(BackendPluginLookupTest, FullPluginWhenThereIsNoRuntimeOnlyBuild) {
  std::string runtimeDir = makeTempDir();
  std::string dir = dirWithNull({"libnnc_backend_null.so"});
  // Another plugin file in the folder is never opened: it would warn.
  writeJunk(dir, "libnnc_backend_other.so");
  Expected<PluginSet> set = findBackendPlugin("null", {runtimeDir}, {dir}, {});
  ASSERT_TRUE(set.ok()) << set.message();
  ASSERT_THAT(set->plugins, SizeIs(1));
  EXPECT_EQ(set->find("null")->path(), dir + "/libnnc_backend_null.so");
  EXPECT_THAT(set->warnings, IsEmpty());
}

TEST(BackendPluginLookupTest, ExplicitFileWins) {
  std::string runtimeDir = dirWithNull({"libnnc_backend_null_rt.so"});
  Expected<PluginSet> set =
      findBackendPlugin("null", {runtimeDir}, {}, {NNC_TEST_NULL_PLUGIN});
  ASSERT_TRUE(set.ok()) << set.message();
  EXPECT_EQ(set->find("null")->path(), NNC_TEST_NULL_PLUGIN);
}

TEST(BackendPluginLookupTest, BrokenRuntimeOnlyBuildIsAWarning) {
  std::string runtimeDir = makeTempDir();
  writeJunk(runtimeDir, "libnnc_backend_null_rt.so");
  std::string dir = dirWithNull({"libnnc_backend_null.so"});
  Expected<PluginSet> set = findBackendPlugin("null", {runtimeDir}, {dir}, {});
  ASSERT_TRUE(set.ok()) << set.message();
  EXPECT_EQ(set->find("null")->path(), dir + "/libnnc_backend_null.so");
  ASSERT_THAT(set->warnings, SizeIs(1));
  EXPECT_THAT(set->warnings[0], HasSubstr("is not a shared library"));
}

TEST(BackendPluginLookupTest, OtherFileNamesFallBackToDiscovery) {
  std::string dir = dirWithNull({"custom.so"});
  Expected<PluginSet> set = findBackendPlugin("null", {}, {dir}, {});
  ASSERT_TRUE(set.ok()) << set.message();
  ASSERT_NE(set->find("null"), nullptr);
  EXPECT_EQ(set->find("null")->path(), dir + "/custom.so");
}

TEST(BackendPluginLookupTest, MissingBackendGivesWhatDiscoveryFound) {
  std::string dir = dirWithNull({"libnnc_backend_null.so"});
  Expected<PluginSet> set = findBackendPlugin("absent", {}, {dir}, {});
  ASSERT_TRUE(set.ok()) << set.message();
  EXPECT_EQ(set->find("absent"), nullptr);
  EXPECT_NE(set->find("null"), nullptr);
}

TEST(BackendPluginLookupTest, BrokenExplicitFileFailsTheCall) {
  std::string dir = makeTempDir();
  writeJunk(dir, "junk.so");
  Expected<PluginSet> set =
      findBackendPlugin("null", {}, {}, {dir + "/junk.so"});
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.message(), HasSubstr("junk.so"));
}

} // namespace
