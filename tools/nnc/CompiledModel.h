//===- CompiledModel.h - A model compiled for a backend ---------*- C++ -*-===//
//
// The pipeline every executing subcommand shares: check the model, lower it,
// specialise the batch dimension, plan kernels and memory, compile the
// kernels with a backend plugin, and build the oneTBB executor.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_COMPILEDMODEL_H
#define NNC_TOOLS_COMPILEDMODEL_H

#include "tools/nnc/Commands.h"
#include "tools/nnc/ModelLoader.h"
#include "tools/nnc/ParameterStore.h"

#include "runtime/Executor.h"
#include "runtime/PluginExecutable.h"
#include "runtime/PluginHost.h"
#include "runtime/Tensor.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace nnc::cli {

/// A model ready to run for one batch size.
struct CompiledModel {
  LoadedModel loaded;
  rt::PluginSet plugins;
  std::optional<rt::PluginExecutable> executable;
  std::optional<rt::Executor> executor;
  /// Inputs the user did not feed and that no remaining output needs (the
  /// labels of a model run for its outputs only); bound to zeros.
  std::map<std::string, rt::Tensor> unusedInputs;
  unsigned threads = 0;

  /// Runs once: `feeds` by input name, parameters and buffers from
  /// `params`; fills `outputs` by output name (the loss as "loss"). Prints
  /// a one-line error and returns false on failure.
  bool run(const std::map<std::string, rt::Tensor> &feeds,
           const ParameterStore &params,
           std::map<std::string, rt::Tensor> &outputs);
};

/// Compiles `modelPath` for the batch size of `feeds`. Inputs missing from
/// `feeds` are allowed when only the loss needs them: the loss is then
/// dropped. Prints the diagnostics and returns nullopt on failure.
std::optional<CompiledModel>
compileModel(const SessionOptions &session, const std::string &modelPath,
             const std::map<std::string, rt::Tensor> &feeds);

/// Reads `NAME=FILE.npy` arguments of `flag` into `tensors`. A malformed
/// argument is a usage error; an unreadable file a user error.
ExitCode readNamedTensors(const std::vector<std::string> &arguments,
                          const char *flag,
                          std::map<std::string, rt::Tensor> &tensors);

} // namespace nnc::cli

#endif // NNC_TOOLS_COMPILEDMODEL_H
