//===- PluginHost.h - Loading and finding backend plugins -------*- C++ -*-===//
//
// The host side of the plugin C ABI (runtime/PluginABI.h): opens a plugin
// library with dlopen, checks its API table before anything else touches
// it, and finds plugins in the places a user expects them. A plugin that is
// not one, or one built for another ABI, becomes an Error with a one-line
// message, never a crash.
//
// Uses only the C library's dynamic loader, not LLVM's, because a deployed
// artifact runs with the runtime alone.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_PLUGINHOST_H
#define NNC_RUNTIME_PLUGINHOST_H

#include "runtime/PluginABI.h"
#include "runtime/Status.h"

#include <memory>
#include <string>
#include <vector>

namespace nnc::rt {

/// The longest text, in bytes, that pluginTextLine keeps of a plugin's.
constexpr size_t kMaxPluginMessageBytes = 1000;

/// Text a plugin supplies (an error message, its description, a kernel's
/// summary) as one line, since it ends up in a Status, a CLI line or a
/// profile table's row: each run of control characters (newlines, tabs)
/// and spaces is one space, leading and trailing ones go, and text longer
/// than kMaxPluginMessageBytes is cut at a character boundary and ends in
/// "...". Empty for a null or blank `text`.
std::string pluginTextLine(const char *text);

/// A plugin library loaded and checked: its API table passed every check
/// of loadPlugin. Copies share the library, which is unloaded when the last
/// copy goes away; anything made through the table (executables, errors)
/// must hold a copy so the code it points into stays loaded.
class LoadedPlugin {
public:
  /// The checked API table; valid while any copy of this object lives.
  const nnc_plugin_api &api() const { return *table; }

  /// The plugin's short name (`api().name`), e.g. "ref".
  std::string name() const { return table->name; }

  /// The backend's own version; empty when the plugin gives none.
  std::string version() const { return table->version ? table->version : ""; }

  /// The one-line description; empty when the plugin gives none.
  std::string description() const { return pluginTextLine(table->description); }

  /// The file it was loaded from, as given to loadPlugin.
  const std::string &path() const { return file; }

  /// True when `opName` (e.g. "nn.matmul") is in the supported_ops list.
  bool supportsOp(const std::string &opName) const;

  /// The plugin's NNC_EXTENSION_SERIALIZE extension when its chain holds
  /// one large enough to reach `deserialize` with serialize, free_bytes and
  /// deserialize all set; null otherwise.
  const nnc_serialize_extension *serializeExtension() const;

  /// The plugin's NNC_EXTENSION_PROFILE extension when its chain holds one
  /// that sets describe_kernel; null otherwise.
  const nnc_profile_extension *profileExtension() const;

private:
  /// The first extension of the plugin's chain of `type` whose struct_size
  /// is at least `minSize`; null when there is none.
  const nnc_extension_base *findExtension(uint32_t type, size_t minSize) const;

  friend Expected<LoadedPlugin> loadPlugin(const std::string &path);
  LoadedPlugin(std::shared_ptr<void> library, const nnc_plugin_api *table,
               std::string file)
      : library(std::move(library)), table(table), file(std::move(file)) {}

  std::shared_ptr<void> library;
  const nnc_plugin_api *table;
  std::string file;
};

/// Loads the plugin library at `path` and checks its API table. Fails, with
/// a message naming the file, when the file is missing or unreadable, is
/// not a shared library, has no nnc_plugin_entry symbol, returns no table,
/// was built for another ABI major version, has a table smaller than this
/// ABI's, or lacks a required field. A path without a '/' is taken relative
/// to the current directory, never searched for in the system's library
/// path.
Expected<LoadedPlugin> loadPlugin(const std::string &path);

/// Reads the message of `error`, made through `api`, as pluginTextLine
/// makes it, then destroys `error`. Empty for a null `error`.
std::string takePluginMessage(const nnc_plugin_api &api, nnc_error *error);

/// The install's plugin folder: `<dir of the running executable>/../lib/
/// nnc/plugins`, the same in a build tree and in an install. Empty when the
/// running executable cannot be found.
std::string installedPluginDir();

/// The deployment's runtime-only plugin folder, which `nnc-run` searches
/// and `nnc` does not: `<dir of the running executable>/../lib/nnc/
/// runtime-plugins`. Its plugins (libnnc_backend_ref_rt.so) load artifacts
/// but cannot compile, and share the names of nnc's plugins. Empty when the
/// running executable cannot be found.
std::string installedRuntimePluginDir();

/// The folders of a colon-separated search path such as NNC_PLUGIN_PATH, in
/// order; empty entries are dropped. A null `value` gives no folders.
std::vector<std::string> splitPluginPath(const char *value);

/// Where plugins are looked for by default: installedPluginDir(), then each
/// folder of the NNC_PLUGIN_PATH environment variable.
std::vector<std::string> defaultPluginDirs();

/// The `*.so` files directly in `dir`, sorted by name so that discovery is
/// deterministic. A missing or unreadable folder gives none.
std::vector<std::string> listPluginFiles(const std::string &dir);

/// The plugins found by discoverPlugins, and what went wrong on the way
/// that did not stop it.
struct PluginSet {
  /// One plugin per name, in discovery order.
  std::vector<LoadedPlugin> plugins;
  /// Messages for the user ("warning: " is not included): files in the
  /// folders that failed to load, duplicate names skipped.
  std::vector<std::string> warnings;

  /// The plugin named `name`, or null.
  const LoadedPlugin *find(const std::string &name) const;

  /// The backend to use when none is named: the fastest available, `cpu`,
  /// else the `ref` interpreter, else the first found; null when empty.
  const LoadedPlugin *preferred() const;
};

/// Loads every plugin of `dirs` (listPluginFiles of each, in order), then
/// every file of `explicitFiles`. A file in a folder that fails to load is a
/// warning and is skipped; a later plugin whose name was already found is
/// skipped with a warning. An explicit file replaces an earlier plugin of
/// the same name found in a folder (the user asked for it); one that fails
/// to load fails the whole call, since the user named it.
Expected<PluginSet>
discoverPlugins(const std::vector<std::string> &dirs,
                const std::vector<std::string> &explicitFiles);

/// The file a backend's plugin is built as: `libnnc_backend_NAME.so`, or
/// `libnnc_backend_NAME_rt.so` for its runtime-only build (which loads
/// artifacts but cannot compile).
std::string pluginFileName(const std::string &backend, bool runtimeOnly);

/// Loads the plugin of backend `name` alone, for a command that only runs
/// compiled artifacts: dlopening every plugin, each a large library with
/// the compiler linked in, would cost more than the run. Tries, in order,
/// and keeps the first plugin that loads and is named `name`:
///   1. the files of `explicitFiles` (all loaded, as the user named them; one
///      that fails to load fails the call, as in discoverPlugins);
///   2. pluginFileName(name, true) in each of `runtimeDirs`;
///   3. pluginFileName(name, false) in each of `dirs`.
/// A file of steps 2 and 3 that exists but fails to load is a warning. When
/// none is found so (a plugin whose file is named otherwise), it falls back
/// to discoverPlugins(dirs, explicitFiles), so the result, and the message
/// of a missing backend, are what discovery would give.
Expected<PluginSet>
findBackendPlugin(const std::string &name,
                  const std::vector<std::string> &runtimeDirs,
                  const std::vector<std::string> &dirs,
                  const std::vector<std::string> &explicitFiles);

} // namespace nnc::rt

#endif // NNC_RUNTIME_PLUGINHOST_H
