//===- Commands.h - The nnc subcommands -------------------------*- C++ -*-===//
//
// Each subcommand is a function over a plain options struct, so options
// travel explicitly from the parsed command line and nothing is global.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_COMMANDS_H
#define NNC_TOOLS_COMMANDS_H

#include "tools/nnc/ExitCode.h"

#include <cstdint>

#include <string>
#include <vector>

namespace nnc::cli {

struct CheckOptions {
  std::string modelPath;
};

/// `nnc check MODEL.nn`: parse, check and verify; prints a one-line summary.
ExitCode runCheck(const CheckOptions &options);

struct IrOptions {
  std::string modelPath;
  std::string stage = "frontend";
  bool dot = false;
  /// Print each op's DSL source location (`loc(...)`) too.
  bool locations = false;
};

/// The stages `nnc ir --stage` accepts, in pipeline order.
const char *const *irStages();

/// `nnc ir MODEL.nn`: prints the verified IR after a stage, or Graphviz.
ExitCode runIr(const IrOptions &options);

struct BackendsOptions {
  /// Plugin files named with --plugin, loaded after the plugin folders.
  std::vector<std::string> pluginFiles;
};

/// `nnc backends`: lists the backend plugins found, one per line (name,
/// version, ABI version, description, file); fails when a --plugin file
/// does not load.
ExitCode runBackends(const BackendsOptions &options);

/// What every executing subcommand takes from the global options.
struct SessionOptions {
  std::string backend = "ref";
  /// 0: every core.
  unsigned threads = 0;
  std::vector<std::string> plugins;
};

struct RunOptions {
  SessionOptions session;
  std::string modelPath;
  std::vector<std::string> inputs; ///< NAME=FILE.npy
  std::string paramsDir;
  std::string paramsOutDir;
  uint64_t seed = 0;
  std::string outputDir;
};

/// `nnc run MODEL.nn`: runs the model once and writes OUTPUT.npy files.
ExitCode runRun(const RunOptions &options);

} // namespace nnc::cli

#endif // NNC_TOOLS_COMMANDS_H
