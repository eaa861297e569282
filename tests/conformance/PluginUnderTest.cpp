//===- PluginUnderTest.cpp - Loading the backend plugins to test ----------===//

#include "tests/conformance/PluginUnderTest.h"

#include <dlfcn.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

using namespace nnc;
using namespace nnc::conformance;

bool PluginUnderTest::supports(const std::string &op) const {
  return std::find(supportedOps.begin(), supportedOps.end(), op) !=
         supportedOps.end();
}

rt::Expected<const PluginUnderTest *>
nnc::conformance::loadPlugin(const std::string &path) {
  // Loaded once and never closed: executables and errors of a plugin must
  // not outlive its code, and tests are simplest when nothing unloads.
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<PluginUnderTest>> loaded;
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = loaded.find(path); it != loaded.end())
    return it->second.get();

  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library)
    return rt::Error::failure(path + ": " + dlerror());
  auto entry = reinterpret_cast<nnc_plugin_entry_fn>(
      dlsym(library, NNC_PLUGIN_ENTRY_SYMBOL));
  if (!entry)
    return rt::Error::failure(path + ": no " NNC_PLUGIN_ENTRY_SYMBOL);
  const nnc_plugin_api *api = entry();
  if (!api)
    return rt::Error::failure(path + ": " NNC_PLUGIN_ENTRY_SYMBOL
                                     " returned NULL");
  if (api->abi_major != NNC_PLUGIN_ABI_MAJOR)
    return rt::Error::failure(path + ": plugin ABI " +
                              std::to_string(api->abi_major) + ", expected " +
                              std::to_string(NNC_PLUGIN_ABI_MAJOR));

  auto plugin = std::make_unique<PluginUnderTest>();
  plugin->path = path;
  plugin->api = api;
  plugin->name = api->name ? api->name : pluginLabel(path);
  if (api->supported_ops)
    for (const char *const *op = api->supported_ops; *op; ++op)
      plugin->supportedOps.emplace_back(*op);
  const PluginUnderTest *result = plugin.get();
  loaded.emplace(path, std::move(plugin));
  return result;
}

std::vector<std::string> nnc::conformance::findPluginPaths() {
  std::string folder = NNC_PLUGIN_DIR;
  if (const char *override = std::getenv("NNC_CONFORMANCE_PLUGIN_DIR"))
    folder = override;
  std::vector<std::string> paths;
  std::error_code error;
  for (const auto &entry : std::filesystem::directory_iterator(folder, error)) {
    if (entry.path().extension() == ".so" && entry.is_regular_file(error))
      paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string nnc::conformance::pluginLabel(const std::string &path) {
  std::string stem = std::filesystem::path(path).stem().string();
  for (const char *prefix : {"lib", "nnc_backend_"})
    if (stem.rfind(prefix, 0) == 0)
      stem.erase(0, std::string(prefix).size());
  for (char &c : stem)
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  return stem.empty() ? "plugin" : stem;
}
