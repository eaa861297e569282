//===- BackendsCommand.cpp - nnc backends ---------------------------------===//
//
// Lists the backend plugins this nnc finds, the same way every command that
// compiles will find them, so that `nnc backends` is the place to debug why
// a backend is or is not picked up.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Commands.h"

#include "runtime/PluginHost.h"
#include "train/PluginTable.h"

#include "llvm/Support/raw_ostream.h"

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
  for (const std::string &line : train::pluginTable(set->plugins))
    llvm::outs() << line << "\n";
  return Success;
}

} // namespace nnc::cli
