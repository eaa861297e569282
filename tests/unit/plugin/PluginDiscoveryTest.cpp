//===- PluginDiscoveryTest.cpp - Finding plugins in folders ---------------===//
//
// Discovery order decides which plugin a name means: the install's folder,
// then NNC_PLUGIN_PATH, then --plugin files, which win.
//
//===----------------------------------------------------------------------===//

#include "PluginTestSupport.h"

#include "runtime/PluginHost.h"

#include <climits>
#include <cstdlib>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace nnc::rt;
using namespace nnc::rt::test;
using ::testing::AllOf;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

namespace {

std::string realPath(const std::string &path) {
  char buffer[PATH_MAX];
  return realpath(path.c_str(), buffer) ? std::string(buffer) : path;
}

/// A folder holding a symlink to the null plugin under `fileName`.
std::string dirWithNullPlugin(const std::string &fileName) {
  std::string dir = makeTempDir();
  EXPECT_EQ(symlink(NNC_TEST_NULL_PLUGIN, (dir + "/" + fileName).c_str()), 0);
  return dir;
}

TEST(PluginDiscoveryTest, SplitsPluginPath) {
  EXPECT_THAT(splitPluginPath(nullptr), IsEmpty());
  EXPECT_THAT(splitPluginPath(""), IsEmpty());
  EXPECT_THAT(splitPluginPath("/a"), ElementsAre("/a"));
  EXPECT_THAT(splitPluginPath(":/a::b/c:"), ElementsAre("/a", "b/c"));
}

TEST(PluginDiscoveryTest, InstalledDirIsNextToTheExecutable) {
  // Test binaries land in build/bin like nnc, so they share its folder.
  EXPECT_EQ(realPath(installedPluginDir()),
            realPath(NNC_TEST_PLUGIN_OUTPUT_DIR));
}

TEST(PluginDiscoveryTest, DefaultDirsAppendPluginPath) {
  ScopedEnv env("NNC_PLUGIN_PATH", "/x:/y");
  EXPECT_THAT(defaultPluginDirs(),
              ElementsAre(installedPluginDir(), "/x", "/y"));
}

TEST(PluginDiscoveryTest, ListsOnlySharedObjectsSorted) {
  std::string dir = makeTempDir();
  for (const char *name : {"b.so", "a.so", "c.txt", "d.so.1"})
    std::ofstream(dir + "/" + name) << "x";
  EXPECT_THAT(listPluginFiles(dir), ElementsAre(dir + "/a.so", dir + "/b.so"));
  EXPECT_THAT(listPluginFiles(dir + "/missing"), IsEmpty());
}

TEST(PluginDiscoveryTest, FindsNullInTheInstalledDir) {
  Expected<PluginSet> set = discoverPlugins({installedPluginDir()}, {});
  ASSERT_TRUE(set.ok()) << set.message();
  ASSERT_NE(set->find("null"), nullptr);
  EXPECT_EQ(set->find("nothing"), nullptr);
}

TEST(PluginDiscoveryTest, FindsPluginsThroughPluginPath) {
  std::string dir = dirWithNullPlugin("libnnc_backend_null.so");
  ScopedEnv env("NNC_PLUGIN_PATH", dir);
  // Only the NNC_PLUGIN_PATH folder, so the find is its doing.
  std::vector<std::string> dirs = defaultPluginDirs();
  ASSERT_EQ(dirs.size(), 2u);
  Expected<PluginSet> set = discoverPlugins({dirs[1]}, {});
  ASSERT_TRUE(set.ok()) << set.message();
  ASSERT_NE(set->find("null"), nullptr);
  EXPECT_EQ(set->find("null")->path(), dir + "/libnnc_backend_null.so");
  EXPECT_THAT(set->warnings, IsEmpty());
}

TEST(PluginDiscoveryTest, LaterDuplicateIsSkippedWithAWarning) {
  std::string first = dirWithNullPlugin("libnnc_backend_null.so");
  std::string second = dirWithNullPlugin("libnnc_backend_null.so");
  Expected<PluginSet> set = discoverPlugins({first, second}, {});
  ASSERT_TRUE(set.ok()) << set.message();
  ASSERT_EQ(set->plugins.size(), 1u);
  EXPECT_EQ(set->plugins[0].path(), first + "/libnnc_backend_null.so");
  EXPECT_THAT(set->warnings,
              ElementsAre(AllOf(HasSubstr(second), HasSubstr("'null'"),
                                HasSubstr("already loaded"))));
}

TEST(PluginDiscoveryTest, BrokenPluginsInAFolderAreWarnings) {
  Expected<PluginSet> set = discoverPlugins({NNC_TEST_BAD_PLUGIN_DIR}, {});
  ASSERT_TRUE(set.ok()) << set.message();
  EXPECT_THAT(set->plugins, IsEmpty());
  EXPECT_THAT(set->warnings,
              Contains(HasSubstr("has ABI version 99.3; this nnc supports")));
  EXPECT_THAT(set->warnings, Contains(HasSubstr("is not an nnc plugin")));
}

TEST(PluginDiscoveryTest, ExplicitFileWins) {
  std::string dir = dirWithNullPlugin("libnnc_backend_null.so");
  std::string explicitFile = dirWithNullPlugin("mine.so") + "/mine.so";
  Expected<PluginSet> set = discoverPlugins({dir}, {explicitFile});
  ASSERT_TRUE(set.ok()) << set.message();
  ASSERT_EQ(set->plugins.size(), 1u);
  EXPECT_EQ(set->plugins[0].path(), explicitFile);
  EXPECT_THAT(set->warnings, IsEmpty());
}

TEST(PluginDiscoveryTest, SecondExplicitFileOfTheSameNameIsSkipped) {
  std::string first = dirWithNullPlugin("a.so") + "/a.so";
  std::string second = dirWithNullPlugin("b.so") + "/b.so";
  Expected<PluginSet> set = discoverPlugins({}, {first, second});
  ASSERT_TRUE(set.ok()) << set.message();
  ASSERT_EQ(set->plugins.size(), 1u);
  EXPECT_EQ(set->plugins[0].path(), first);
  EXPECT_THAT(set->warnings, ElementsAre(HasSubstr(second)));
}

TEST(PluginDiscoveryTest, BrokenExplicitFileFailsTheCall) {
  Expected<PluginSet> set =
      discoverPlugins({installedPluginDir()}, {badPlugin("wrong_abi")});
  ASSERT_FALSE(set.ok());
  EXPECT_THAT(set.message(), HasSubstr("has ABI version 99.3"));
}

} // namespace
