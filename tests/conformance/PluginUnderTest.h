//===- PluginUnderTest.h - Loading the backend plugins to test --*- C++ -*-===//
//
// A deliberately tiny loader: dlopen, one symbol, an ABI check. The suite
// tests plugins against the C ABI alone, so it does not go through the
// host's loader, whose own checks would hide what a plugin does wrong.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TESTS_CONFORMANCE_PLUGINUNDERTEST_H
#define NNC_TESTS_CONFORMANCE_PLUGINUNDERTEST_H

#include "runtime/PluginABI.h"
#include "runtime/Status.h"

#include <string>
#include <vector>

namespace nnc::conformance {

/// A backend plugin as the suite uses it.
struct PluginUnderTest {
  std::string path;
  const nnc_plugin_api *api = nullptr;
  /// api->name, or the file name when the table has none.
  std::string name;
  /// The entries of api->supported_ops.
  std::vector<std::string> supportedOps;

  /// True when `op` ("nn.add") is in supportedOps.
  bool supports(const std::string &op) const;
};

/// Loads the plugin at `path` once per process and keeps it loaded (tests
/// hold pointers into it). Fails when the library does not load, lacks
/// nnc_plugin_entry, returns no table, or has another ABI major.
rt::Expected<const PluginUnderTest *> loadPlugin(const std::string &path);

/// The plugin files to test, sorted: every `*.so` in the folder named by
/// the environment variable NNC_CONFORMANCE_PLUGIN_DIR, or else in the
/// build's plugin folder (NNC_PLUGIN_DIR at compile time). Empty when the
/// folder does not exist.
std::vector<std::string> findPluginPaths();

/// A test-name-safe label for the plugin at `path`:
/// ".../libnnc_backend_ref.so" gives "ref".
std::string pluginLabel(const std::string &path);

} // namespace nnc::conformance

#endif // NNC_TESTS_CONFORMANCE_PLUGINUNDERTEST_H
