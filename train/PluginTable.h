//===- PluginTable.h - The backend plugins found, as a table ----*- C++ -*-===//
//
// What `nnc backends` prints: one line per plugin in aligned columns, name
// first, so that `nnc backends | cut -d' ' -f1` gives the names a user can
// pass to --backend.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_PLUGINTABLE_H
#define NNC_TRAIN_PLUGINTABLE_H

#include "runtime/PluginHost.h"

#include <string>
#include <vector>

namespace nnc::train {

/// One line per plugin: its name, version ("-" when it gives none), ABI
/// version, description and path, each column padded to its widest entry.
std::vector<std::string>
pluginTable(const std::vector<rt::LoadedPlugin> &plugins);

} // namespace nnc::train

#endif // NNC_TRAIN_PLUGINTABLE_H
