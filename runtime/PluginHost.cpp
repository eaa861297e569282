//===- PluginHost.cpp - Loading and finding backend plugins ---------------===//

#include "runtime/PluginHost.h"
#include "support/ShortText.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <dlfcn.h>
#include <sys/stat.h>
#include <unistd.h>

namespace nnc::rt {

namespace {

std::string quoted(const std::string &path) { return "'" + path + "'"; }

/// dlerror's text without the leading "<path>: " glibc puts there, since the
/// caller's message names the file already. A failure in a dependency
/// names the dependency instead; that prefix is kept, it is the news.
std::string dlopenReason(const std::string &path) {
  const char *text = dlerror();
  if (!text)
    return "unknown dynamic loader error";
  std::string reason = text;
  std::string prefix = path + ": ";
  if (reason.compare(0, prefix.size(), prefix) == 0)
    reason.erase(0, prefix.size());
  return reason;
}

/// True when dlopen refused the file because it is not a loadable shared
/// object at all, as opposed to one with a missing dependency or symbol.
bool isNotASharedLibrary(const std::string &reason) {
  for (const char *marker :
       {"invalid ELF header", "file too short", "only ET_DYN and ET_EXEC",
        "wrong ELF class", "ELF load command", "not an ELF file"})
    if (reason.find(marker) != std::string::npos)
      return true;
  return false;
}

/// Names double as `--backend NAME` and file names in messages, so they
/// must be short words without spaces or quotes.
bool isValidName(const char *name) {
  if (!*name)
    return false;
  for (const char *c = name; *c; ++c)
    if (!(std::isalnum(static_cast<unsigned char>(*c)) || *c == '_' ||
          *c == '-' || *c == '.'))
      return false;
  return true;
}

/// Checks the table field by field, in the order that lets each check rely
/// on the previous ones: the version fields first, since a table of another
/// major version may have any layout after them.
Error checkApiTable(const std::string &path, const nnc_plugin_api *api) {
  std::string plugin = "plugin " + quoted(path);
  if (!api)
    return Error::failure(
        plugin + " returned no API table from " NNC_PLUGIN_ENTRY_SYMBOL);
  constexpr size_t versionSize =
      NNC_STRUCT_SIZE_UNTIL(nnc_plugin_api, abi_minor);
  if (api->struct_size < versionSize)
    return Error::failure(plugin + " has an API table of " +
                          std::to_string(api->struct_size) +
                          " bytes, too small to hold its ABI version");
  if (api->abi_major != NNC_PLUGIN_ABI_MAJOR)
    return Error::failure(
        plugin + " has ABI version " + std::to_string(api->abi_major) + "." +
        std::to_string(api->abi_minor) + "; this nnc supports " +
        std::to_string(NNC_PLUGIN_ABI_MAJOR) + ".x");
  // Every field of 1.0 must be there; later minors only append.
  constexpr size_t v1Size =
      NNC_STRUCT_SIZE_UNTIL(nnc_plugin_api, error_destroy);
  if (api->struct_size < v1Size)
    return Error::failure(plugin + " has an API table of " +
                          std::to_string(api->struct_size) + " bytes; ABI " +
                          std::to_string(NNC_PLUGIN_ABI_MAJOR) +
                          ".0 needs at least " + std::to_string(v1Size));
  if (!api->name)
    return Error::failure(plugin + " has no name");
  if (!isValidName(api->name))
    return Error::failure(plugin + " has an invalid name '" +
                          pluginTextLine(api->name) +
                          "' (use letters, digits, '_', '-' and '.')");
  struct Required {
    const char *field;
    bool present;
  };
  for (Required required : {
           Required{"supported_ops", api->supported_ops != nullptr},
           Required{"compile", api->compile != nullptr},
           Required{"get_kernel", api->get_kernel != nullptr},
           Required{"executable_destroy", api->executable_destroy != nullptr},
           Required{"error_message", api->error_message != nullptr},
           Required{"error_destroy", api->error_destroy != nullptr},
       })
    if (!required.present)
      return Error::failure(plugin + " lacks the required field '" +
                            required.field + "'");
  return Error::success();
}

} // namespace

const nnc_extension_base *LoadedPlugin::findExtension(uint32_t type,
                                                      size_t minSize) const {
  // A bound on the chain's length, so a plugin whose chain loops back on
  // itself cannot hang the host.
  const nnc_extension_base *extension = table->extensions;
  for (int hops = 0; extension && hops < 64;
       ++hops, extension = extension->next)
    if (extension->type == type && extension->struct_size >= minSize)
      return extension;
  return nullptr;
}

const nnc_serialize_extension *LoadedPlugin::serializeExtension() const {
  const auto *serialize =
      reinterpret_cast<const nnc_serialize_extension *>(findExtension(
          NNC_EXTENSION_SERIALIZE,
          NNC_STRUCT_SIZE_UNTIL(nnc_serialize_extension, deserialize)));
  if (serialize && serialize->serialize && serialize->free_bytes &&
      serialize->deserialize)
    return serialize;
  return nullptr;
}

const nnc_profile_extension *LoadedPlugin::profileExtension() const {
  const auto *profile =
      reinterpret_cast<const nnc_profile_extension *>(findExtension(
          NNC_EXTENSION_PROFILE,
          NNC_STRUCT_SIZE_UNTIL(nnc_profile_extension, describe_kernel)));
  return profile && profile->describe_kernel ? profile : nullptr;
}

bool LoadedPlugin::supportsOp(const std::string &opName) const {
  for (const char *const *op = table->supported_ops; *op; ++op)
    if (opName == *op)
      return true;
  return false;
}

Expected<LoadedPlugin> loadPlugin(const std::string &path) {
  // dlopen would otherwise search LD_LIBRARY_PATH and the system folders for
  // a bare file name, and could load a different file than the user meant.
  std::string openPath =
      path.find('/') == std::string::npos ? "./" + path : path;

  // Checked before dlopen because its messages for these cases are long
  // and inconsistent across C libraries.
  struct stat info;
  if (stat(openPath.c_str(), &info) != 0)
    return Error::failure("cannot load plugin " + quoted(path) + ": " +
                          std::strerror(errno));
  if (S_ISDIR(info.st_mode))
    return Error::failure("cannot load plugin " + quoted(path) +
                          ": is a directory");
  // dlopen would block on a FIFO until a writer came, or read a device.
  if (!S_ISREG(info.st_mode))
    return Error::failure("cannot load plugin " + quoted(path) +
                          ": not a regular file");
  if (access(openPath.c_str(), R_OK) != 0)
    return Error::failure("cannot load plugin " + quoted(path) + ": " +
                          std::strerror(errno));

  // RTLD_NOW: an unresolved symbol fails here, with a message, rather than
  // as a crash at the first call. RTLD_LOCAL: plugins must not see each
  // other's symbols. RTLD_NODELETE: a compiling plugin registers type
  // names with the process's one libMLIR, which keeps pointers to them, so
  // its code must stay mapped after the last handle closes (a process that
  // opens plugins again, as the Python module does per model, would
  // otherwise crash in the next compile).
  dlerror();
  void *handle =
      dlopen(openPath.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!handle) {
    std::string reason = dlopenReason(openPath);
    if (isNotASharedLibrary(reason))
      return Error::failure(quoted(path) + " is not a shared library (" +
                            reason + ")");
    return Error::failure("cannot load plugin " + quoted(path) + ": " + reason);
  }
  std::shared_ptr<void> library(handle, [](void *h) { dlclose(h); });

  dlerror();
  void *symbol = dlsym(handle, NNC_PLUGIN_ENTRY_SYMBOL);
  if (!symbol)
    return Error::failure(quoted(path) + " is not an nnc plugin: no " +
                          NNC_PLUGIN_ENTRY_SYMBOL " symbol");
  auto entry = reinterpret_cast<nnc_plugin_entry_fn>(symbol);
  const nnc_plugin_api *api = entry();
  if (Error error = checkApiTable(path, api); !error.ok())
    return error;
  return LoadedPlugin(std::move(library), api, path);
}

namespace {

/// The parent of `path`'s last component; empty at the root.
std::string parentOf(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "" : path.substr(0, slash);
}

/// Whether `path` names a shared object: NAME.so, or a versioned
/// NAME.so.0.1 as libnnc is loaded by its SONAME.
bool isSharedObjectName(const std::string &path) {
  size_t so = path.rfind(".so");
  if (so == std::string::npos)
    return false;
  for (size_t i = so + 3; i < path.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(path[i])) && path[i] != '.')
      return false;
  return true;
}

/// When this code runs inside a shared object rather than an executable
/// (the Python module, libnnc), the nearest folder above that object
/// holding lib/nnc/plugins or lib/nnc/runtime-plugins (a deployment of
/// libnnc without the compiler has only the latter): the build folder, or
/// the install prefix. Empty otherwise.
std::string sharedObjectPrefix() {
  Dl_info info;
  if (!dladdr(reinterpret_cast<void *>(&sharedObjectPrefix), &info) ||
      !info.dli_fname)
    return "";
  std::string object = info.dli_fname;
  if (!isSharedObjectName(object))
    return "";
  char resolved[4096];
  if (!realpath(object.c_str(), resolved))
    return "";
  struct stat status;
  for (std::string dir = parentOf(resolved); !dir.empty(); dir = parentOf(dir))
    for (const char *plugins : {"/lib/nnc/plugins", "/lib/nnc/runtime-plugins"})
      if (stat((dir + plugins).c_str(), &status) == 0 &&
          S_ISDIR(status.st_mode))
        return dir;
  return "";
}

/// The folder above the running executable's (the install prefix, or the
/// build folder); empty when the executable cannot be found.
std::string installPrefix() {
  if (std::string prefix = sharedObjectPrefix(); !prefix.empty())
    return prefix;
  // The kernel's own record of the running executable, with symlinks
  // resolved, so a symlinked `nnc` still finds the plugins of its install.
  std::string buffer(4096, '\0');
  ssize_t length = readlink("/proc/self/exe", buffer.data(), buffer.size());
  if (length <= 0 || static_cast<size_t>(length) >= buffer.size())
    return "";
  buffer.resize(static_cast<size_t>(length));
  size_t binSlash = buffer.rfind('/');
  if (binSlash == std::string::npos || binSlash == 0)
    return "";
  // The parent of bin/ lexically, so paths print without "/../".
  size_t prefixSlash = buffer.rfind('/', binSlash - 1);
  if (prefixSlash == std::string::npos)
    return "";
  return buffer.substr(0, prefixSlash);
}

} // namespace

std::string takePluginMessage(const nnc_plugin_api &api, nnc_error *error) {
  if (!error)
    return "";
  std::string line = pluginTextLine(api.error_message(error));
  api.error_destroy(error);
  return line;
}

std::string pluginTextLine(const char *text) {
  std::string line;
  bool space = false;
  // One byte past the limit is enough to tell whether the cut falls inside
  // a character.
  for (const char *c = text; c && *c && line.size() <= kMaxPluginMessageBytes;
       ++c) {
    unsigned char byte = static_cast<unsigned char>(*c);
    if (byte < 0x20 || byte == 0x7f || byte == ' ') {
      space = !line.empty();
      continue;
    }
    if (space)
      line += ' ';
    space = false;
    line += *c;
  }
  return shortened(std::move(line), kMaxPluginMessageBytes);
}

std::string installedPluginDir() {
  std::string prefix = installPrefix();
  return prefix.empty() ? "" : prefix + "/lib/nnc/plugins";
}

std::string installedRuntimePluginDir() {
  std::string prefix = installPrefix();
  return prefix.empty() ? "" : prefix + "/lib/nnc/runtime-plugins";
}

std::vector<std::string> splitPluginPath(const char *value) {
  std::vector<std::string> dirs;
  if (!value)
    return dirs;
  std::string text = value;
  size_t start = 0;
  while (start <= text.size()) {
    size_t colon = text.find(':', start);
    if (colon == std::string::npos)
      colon = text.size();
    if (colon > start)
      dirs.push_back(text.substr(start, colon - start));
    start = colon + 1;
  }
  return dirs;
}

std::vector<std::string> defaultPluginDirs() {
  std::vector<std::string> dirs;
  std::string installed = installedPluginDir();
  if (!installed.empty())
    dirs.push_back(installed);
  for (std::string &dir : splitPluginPath(std::getenv("NNC_PLUGIN_PATH")))
    dirs.push_back(std::move(dir));
  return dirs;
}

std::vector<std::string> listPluginFiles(const std::string &dir) {
  std::vector<std::string> files;
  DIR *stream = opendir(dir.c_str());
  if (!stream)
    return files;
  std::string base = dir.empty() || dir.back() == '/' ? dir : dir + "/";
  while (const dirent *entry = readdir(stream)) {
    std::string name = entry->d_name;
    if (name.size() <= 3 || name.compare(name.size() - 3, 3, ".so") != 0)
      continue;
    struct stat info;
    std::string path = base + name;
    // stat, not d_type, so that symlinks to plugins count.
    if (stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode))
      files.push_back(std::move(path));
  }
  closedir(stream);
  std::sort(files.begin(), files.end());
  return files;
}

const LoadedPlugin *PluginSet::find(const std::string &name) const {
  for (const LoadedPlugin &plugin : plugins)
    if (plugin.name() == name)
      return &plugin;
  return nullptr;
}

const LoadedPlugin *PluginSet::preferred() const {
  for (const char *name : {"cpu", "ref"})
    if (const LoadedPlugin *plugin = find(name))
      return plugin;
  return plugins.empty() ? nullptr : &plugins.front();
}

Expected<PluginSet>
discoverPlugins(const std::vector<std::string> &dirs,
                const std::vector<std::string> &explicitFiles) {
  PluginSet set;
  auto duplicateWarning = [](const LoadedPlugin &skipped,
                             const LoadedPlugin &kept) {
    return "skipping plugin " + quoted(skipped.path()) + ": a plugin named " +
           quoted(kept.name()) + " was already loaded from " +
           quoted(kept.path());
  };

  for (const std::string &dir : dirs) {
    for (const std::string &file : listPluginFiles(dir)) {
      Expected<LoadedPlugin> plugin = loadPlugin(file);
      if (!plugin) {
        set.warnings.push_back(plugin.message());
        continue;
      }
      if (const LoadedPlugin *kept = set.find(plugin->name())) {
        set.warnings.push_back(duplicateWarning(*plugin, *kept));
        continue;
      }
      set.plugins.push_back(std::move(plugin).value());
    }
  }

  std::vector<std::string> explicitNames;
  for (const std::string &file : explicitFiles) {
    Expected<LoadedPlugin> plugin = loadPlugin(file);
    if (!plugin)
      return plugin.takeError();
    std::string name = plugin->name();
    auto existing =
        std::find_if(set.plugins.begin(), set.plugins.end(),
                     [&](const LoadedPlugin &p) { return p.name() == name; });
    if (existing == set.plugins.end()) {
      set.plugins.push_back(std::move(plugin).value());
    } else if (std::find(explicitNames.begin(), explicitNames.end(), name) ==
               explicitNames.end()) {
      // The user named this file; it beats one found by searching.
      *existing = std::move(plugin).value();
    } else {
      set.warnings.push_back(duplicateWarning(*plugin, *existing));
      continue;
    }
    explicitNames.push_back(name);
  }
  return set;
}

std::string pluginFileName(const std::string &backend, bool runtimeOnly) {
  return "libnnc_backend_" + backend + (runtimeOnly ? "_rt" : "") + ".so";
}

Expected<PluginSet>
findBackendPlugin(const std::string &name,
                  const std::vector<std::string> &runtimeDirs,
                  const std::vector<std::string> &dirs,
                  const std::vector<std::string> &explicitFiles) {
  PluginSet set;
  for (const std::string &file : explicitFiles) {
    Expected<LoadedPlugin> plugin = loadPlugin(file);
    if (!plugin)
      return plugin.takeError();
    set.plugins.push_back(std::move(plugin).value());
  }
  // The last explicit file of the name wins, as in discoverPlugins.
  for (auto it = set.plugins.rbegin(); it != set.plugins.rend(); ++it)
    if (it->name() == name) {
      std::swap(*it, set.plugins.front());
      return set;
    }

  std::vector<std::string> candidates;
  for (const std::string &dir : runtimeDirs)
    candidates.push_back(dir + "/" + pluginFileName(name, true));
  for (const std::string &dir : dirs)
    candidates.push_back(dir + "/" + pluginFileName(name, false));
  for (const std::string &file : candidates) {
    struct stat info;
    if (stat(file.c_str(), &info) != 0)
      continue;
    Expected<LoadedPlugin> plugin = loadPlugin(file);
    if (!plugin) {
      set.warnings.push_back(plugin.message());
      continue;
    }
    if (plugin->name() != name)
      continue;
    set.plugins.insert(set.plugins.begin(), std::move(plugin).value());
    return set;
  }

  Expected<PluginSet> discovered = discoverPlugins(dirs, explicitFiles);
  if (!discovered.ok())
    return discovered;
  discovered->warnings.insert(discovered->warnings.begin(),
                              set.warnings.begin(), set.warnings.end());
  return discovered;
}

} // namespace nnc::rt
