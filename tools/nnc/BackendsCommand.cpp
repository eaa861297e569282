//===- BackendsCommand.cpp - nnc backends ---------------------------------===//
//
// Lists the backend plugins this nnc finds, the same way every command that
// compiles will find them, so that `nnc backends` is the place to debug why
// a backend is or is not picked up.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Commands.h"

#include "runtime/PluginHost.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

namespace nnc::cli {

ExitCode runBackends(const BackendsOptions &options) {
  rt::Expected<rt::PluginSet> set =
      rt::discoverPlugins(rt::defaultPluginDirs(), options.pluginFiles);
  if (!set) {
    llvm::errs() << "error: " << set.message() << "\n";
    return UserError;
  }
  // Warnings go first, so they are not lost below a long listing.
  for (const std::string &warning : set->warnings)
    llvm::errs() << "warning: " << warning << "\n";
  if (set->plugins.empty()) {
    llvm::errs() << "warning: no backend plugins found (searched the plugin "
                    "folder, NNC_PLUGIN_PATH and --plugin)\n";
    return Success;
  }

  struct Row {
    std::string name, version, abi, description, path;
  };
  std::vector<Row> rows;
  for (const rt::LoadedPlugin &plugin : set->plugins) {
    const nnc_plugin_api &api = plugin.api();
    rows.push_back({plugin.name(),
                    plugin.version().empty() ? "-" : plugin.version(),
                    "abi " + std::to_string(api.abi_major) + "." +
                        std::to_string(api.abi_minor),
                    plugin.description(), plugin.path()});
  }
  // Aligned columns, name first, so `nnc backends | cut -d' ' -f1` gives
  // the names a user can pass to --backend.
  size_t widths[4] = {0, 0, 0, 0};
  for (const Row &row : rows) {
    widths[0] = std::max(widths[0], row.name.size());
    widths[1] = std::max(widths[1], row.version.size());
    widths[2] = std::max(widths[2], row.abi.size());
    widths[3] = std::max(widths[3], row.description.size());
  }
  for (const Row &row : rows)
    llvm::outs() << llvm::left_justify(row.name, widths[0]) << "  "
                 << llvm::left_justify(row.version, widths[1]) << "  "
                 << llvm::left_justify(row.abi, widths[2]) << "  "
                 << llvm::left_justify(row.description, widths[3]) << "  "
                 << row.path << "\n";
  return Success;
}

} // namespace nnc::cli
