//===- PluginTable.cpp - The backend plugins found, as a table ------------===//

#include "train/PluginTable.h"

#include <algorithm>

namespace nnc::train {

std::vector<std::string>
pluginTable(const std::vector<rt::LoadedPlugin> &plugins) {
  std::vector<std::vector<std::string>> rows;
  for (const rt::LoadedPlugin &plugin : plugins) {
    const nnc_plugin_api &api = plugin.api();
    rows.push_back({plugin.name(),
                    plugin.version().empty() ? "-" : plugin.version(),
                    "abi " + std::to_string(api.abi_major) + "." +
                        std::to_string(api.abi_minor),
                    plugin.description(), plugin.path()});
  }
  // The last column, the path, is not padded.
  std::vector<size_t> widths(4, 0);
  for (const std::vector<std::string> &row : rows)
    for (size_t column = 0; column < widths.size(); ++column)
      widths[column] = std::max(widths[column], row[column].size());
  std::vector<std::string> lines;
  for (const std::vector<std::string> &row : rows) {
    std::string line;
    for (size_t column = 0; column < widths.size(); ++column)
      line += row[column] +
              std::string(widths[column] - row[column].size() + 2, ' ');
    lines.push_back(line + row.back());
  }
  return lines;
}

} // namespace nnc::train
