//===- PluginHostTest.cpp - Loading plugins and checking their tables -----===//
//
// Every way a file can fail to be a usable plugin must come back as one
// clear message naming the file, never a crash; the null plugin must load
// and refuse to compile cleanly.
//
//===----------------------------------------------------------------------===//

#include "PluginTestSupport.h"

#include "runtime/PluginExecutable.h"
#include "runtime/PluginHost.h"

#include <fstream>
#include <optional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

/// The tests' own error object, as a plugin would define it.
struct nnc_error {
  const char *message;
  bool *destroyed;
};

using namespace nnc::rt;
using namespace nnc::rt::test;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

TEST(PluginHostTest, LoadsNullPlugin) {
  Expected<LoadedPlugin> plugin = loadPlugin(NNC_TEST_NULL_PLUGIN);
  ASSERT_TRUE(plugin.ok()) << plugin.message();
  EXPECT_EQ(plugin->name(), "null");
  EXPECT_EQ(plugin->version(), "0.1.0");
  EXPECT_FALSE(plugin->description().empty());
  EXPECT_EQ(plugin->path(), NNC_TEST_NULL_PLUGIN);
  EXPECT_EQ(plugin->api().abi_major, unsigned(NNC_PLUGIN_ABI_MAJOR));
  ASSERT_NE(plugin->api().supported_ops, nullptr);
  EXPECT_EQ(plugin->api().supported_ops[0], nullptr);
  EXPECT_FALSE(plugin->supportsOp("nn.matmul"));
}

TEST(PluginHostTest, NullPluginCompileIsUnsupported) {
  Expected<LoadedPlugin> plugin = loadPlugin(NNC_TEST_NULL_PLUGIN);
  ASSERT_TRUE(plugin.ok()) << plugin.message();
  const char bytecode[] = "ML\xefR";
  Expected<PluginExecutable> executable =
      PluginExecutable::compile(*plugin, bytecode, sizeof(bytecode));
  ASSERT_FALSE(executable.ok());
  EXPECT_THAT(executable.message(),
              StartsWith("backend 'null': the null backend compiles nothing"));
}

TEST(PluginHostTest, CopiesKeepTheLibraryLoaded) {
  // The table lives inside the library: a copy that outlives the original
  // must still be able to read it.
  std::optional<LoadedPlugin> copy;
  {
    Expected<LoadedPlugin> plugin = loadPlugin(NNC_TEST_NULL_PLUGIN);
    ASSERT_TRUE(plugin.ok()) << plugin.message();
    copy = *plugin;
  }
  EXPECT_EQ(copy->name(), "null");
}

TEST(PluginHostTest, RejectsLibraryWithoutEntryPoint) {
  std::string path = badPlugin("not_a_plugin");
  Expected<LoadedPlugin> plugin = loadPlugin(path);
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.message(),
            "'" + path + "' is not an nnc plugin: no nnc_plugin_entry symbol");
}

TEST(PluginHostTest, RejectsWrongAbiMajor) {
  std::string path = badPlugin("wrong_abi");
  Expected<LoadedPlugin> plugin = loadPlugin(path);
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.message(), "plugin '" + path +
                                  "' has ABI version 99.3; this nnc "
                                  "supports " +
                                  std::to_string(NNC_PLUGIN_ABI_MAJOR) + ".x");
}

TEST(PluginHostTest, RejectsNullTable) {
  std::string path = badPlugin("null_table");
  Expected<LoadedPlugin> plugin = loadPlugin(path);
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.message(), "plugin '" + path +
                                  "' returned no API table from "
                                  "nnc_plugin_entry");
}

TEST(PluginHostTest, RejectsTruncatedTable) {
  std::string path = badPlugin("truncated");
  Expected<LoadedPlugin> plugin = loadPlugin(path);
  ASSERT_FALSE(plugin.ok());
  EXPECT_THAT(plugin.message(),
              StartsWith("plugin '" + path + "' has an API table of "));
  EXPECT_THAT(plugin.message(), HasSubstr("needs at least"));
}

TEST(PluginHostTest, RejectsMissingRequiredFunction) {
  std::string path = badPlugin("missing_function");
  Expected<LoadedPlugin> plugin = loadPlugin(path);
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.message(),
            "plugin '" + path + "' lacks the required field 'get_kernel'");
}

TEST(PluginHostTest, RejectsInvalidName) {
  std::string path = badPlugin("bad_name");
  Expected<LoadedPlugin> plugin = loadPlugin(path);
  ASSERT_FALSE(plugin.ok());
  // Quoted on one line, as every text a plugin supplies.
  EXPECT_EQ(plugin.message(),
            "plugin '" + path +
                "' has an invalid name 'two words and a second line' (use "
                "letters, digits, '_', '-' and '.')");
}

TEST(PluginHostTest, RejectsFileThatIsNotASharedLibrary) {
  std::string path = makeTempDir() + "/text.so";
  std::ofstream(path) << "not an ELF file\n";
  Expected<LoadedPlugin> plugin = loadPlugin(path);
  ASSERT_FALSE(plugin.ok());
  EXPECT_THAT(plugin.message(),
              StartsWith("'" + path + "' is not a shared library ("));
}

TEST(PluginHostTest, RejectsEmptyFile) {
  std::string path = makeTempDir() + "/empty.so";
  std::ofstream{path};
  Expected<LoadedPlugin> plugin = loadPlugin(path);
  ASSERT_FALSE(plugin.ok());
  EXPECT_THAT(plugin.message(),
              StartsWith("'" + path + "' is not a shared library ("));
}

TEST(PluginHostTest, RejectsSourceFile) {
  std::string path =
      std::string(NNC_TEST_SOURCE_DIR) + "/backends/null/NullBackend.cpp";
  Expected<LoadedPlugin> plugin = loadPlugin(path);
  ASSERT_FALSE(plugin.ok());
  EXPECT_THAT(plugin.message(), HasSubstr("is not a shared library"));
}

TEST(PluginHostTest, RejectsMissingFile) {
  std::string path = makeTempDir() + "/missing.so";
  Expected<LoadedPlugin> plugin = loadPlugin(path);
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.message(),
            "cannot load plugin '" + path + "': No such file or directory");
}

TEST(PluginHostTest, RejectsDirectory) {
  std::string dir = makeTempDir();
  Expected<LoadedPlugin> plugin = loadPlugin(dir);
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.message(),
            "cannot load plugin '" + dir + "': is a directory");
}

TEST(PluginHostTest, BareNameIsNotSearchedInSystemPath) {
  // dlopen("libc.so.6") would find the C library; a plugin name must not.
  Expected<LoadedPlugin> plugin = loadPlugin("libc.so.6");
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(plugin.message(),
            "cannot load plugin 'libc.so.6': No such file or directory");
}

/// What takePluginMessage makes of `text`; checks that it destroys the
/// error.
std::string messageLine(const char *text) {
  nnc_plugin_api api{};
  api.error_message = [](const nnc_error *error) { return error->message; };
  api.error_destroy = [](nnc_error *error) { *error->destroyed = true; };
  bool destroyed = false;
  nnc_error error{text, &destroyed};
  std::string line = takePluginMessage(api, &error);
  EXPECT_TRUE(destroyed);
  return line;
}

TEST(PluginHostTest, PluginMessagesBecomeOneLine) {
  EXPECT_EQ(messageLine("one\ntwo\r\n\tthree\x1b[0m\n"), "one two three [0m");
  EXPECT_EQ(messageLine("  \n padded  out\n\n"), "padded out");
  EXPECT_EQ(messageLine("\n\t"), "");
  EXPECT_EQ(messageLine(nullptr), "");
  nnc_plugin_api api{};
  EXPECT_EQ(takePluginMessage(api, nullptr), "");
}

TEST(PluginHostTest, APluginsOtherTextBecomesOneLineToo) {
  // Descriptions and kernel summaries go through the same function as
  // messages: they end up in `nnc backends` lines and profile rows.
  EXPECT_EQ(pluginTextLine("a backend\nwith a second line"),
            "a backend with a second line");
  EXPECT_EQ(pluginTextLine(nullptr), "");
}

TEST(PluginHostTest, LongPluginMessagesAreCut) {
  std::string longText(100000, 'x');
  EXPECT_EQ(messageLine(longText.c_str()),
            std::string(kMaxPluginMessageBytes, 'x') + "...");
  // A two-byte character across the limit goes whole.
  std::string accented(kMaxPluginMessageBytes - 1, 'x');
  accented += "\xc3\xa9 and more";
  EXPECT_EQ(messageLine(accented.c_str()),
            std::string(kMaxPluginMessageBytes - 1, 'x') + "...");
}

TEST(PluginHostTest, KernelOfRangeZeroIsRejected) {
  ScopedEnv misbehave("NNC_TEST_MISBEHAVE", "range0");
  Expected<LoadedPlugin> plugin = loadPlugin(NNC_TEST_MISBEHAVING_PLUGIN);
  ASSERT_TRUE(plugin.ok()) << plugin.message();
  // The plugin counts kernels by their names in the bytecode.
  const char bytecode[] = "kernel_0";
  Expected<PluginExecutable> executable =
      PluginExecutable::compile(*plugin, bytecode, sizeof(bytecode));
  ASSERT_TRUE(executable.ok()) << executable.message();
  ASSERT_EQ(executable->numKernels(), 1);
  Expected<PluginKernel> kernel = executable->kernel(0);
  ASSERT_FALSE(kernel.ok());
  EXPECT_EQ(
      kernel.message(),
      "backend 'misbehaving': kernel 0 has range 0; a range is at least 1");
}

TEST(PluginHostTest, CompileErrorIsOneLine) {
  ScopedEnv misbehave("NNC_TEST_MISBEHAVE", "compile_multiline");
  Expected<LoadedPlugin> plugin = loadPlugin(NNC_TEST_MISBEHAVING_PLUGIN);
  ASSERT_TRUE(plugin.ok()) << plugin.message();
  const char bytecode[] = "kernel_0";
  Expected<PluginExecutable> executable =
      PluginExecutable::compile(*plugin, bytecode, sizeof(bytecode));
  ASSERT_FALSE(executable.ok());
  EXPECT_EQ(executable.message(),
            "backend 'misbehaving': compile failed on two lines");
}

} // namespace
