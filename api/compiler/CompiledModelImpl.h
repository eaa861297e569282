//===- CompiledModelImpl.h - What a CompiledModel holds ---------*- C++ -*-===//
//
// The state behind nnc::CompiledModel, shared by the files that implement
// it: the model session that compiles its graphs, the graphs compiled so
// far, and its parameters. The calls mirror the Python module's Model
// (python/NncModule.cpp) over the same libraries, so both give the bytes
// the CLI gives.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_API_COMPILER_COMPILEDMODELIMPL_H
#define NNC_API_COMPILER_COMPILEDMODELIMPL_H

#include "api/ApiSupport.h"
#include "api/compiler.h"

#include "driver/ModelSession.h"
#include "driver/SessionGraphSource.h"
#include "train/CompiledGraph.h"
#include "train/ParameterStore.h"

#include <algorithm>
#include <atomic>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace nnc {

// A nested class takes its exported class's visibility: hidden here, so
// that the library exports the API alone, not these internals.
struct __attribute__((visibility("hidden"))) CompiledModel::Impl {
  CompileOptions options;
  /// options.seed, or the train section's: what the parameters were
  /// drawn with.
  uint64_t seed = 0;
  std::string modelPath;
  std::unique_ptr<driver::ModelSession> session;
  train::ParameterStore params;
  std::vector<Port> inputs, outputs;
  /// warnings() reads them while calls that compile or train add to them,
  /// so they have a lock of their own: taking the turn would have a train
  /// callback that asks for them wait for ever. What warnings() returned
  /// stays as it was, for callers still reading it: each list it returned,
  /// one per count of warnings at most.
  std::vector<std::string> warnings;
  std::list<std::vector<std::string>> warningLists;
  std::mutex warningsGuard;

  /// Records `warning` unless it is recorded already: each batch size
  /// compiled repeats the compiler's warnings.
  void addWarning(const std::string &warning) {
    std::lock_guard<std::mutex> guard(warningsGuard);
    if (std::find(warnings.begin(), warnings.end(), warning) == warnings.end())
      warnings.push_back(warning);
  }
  /// The forward function and the gradient, compiled per batch size on
  /// first use.
  std::unique_ptr<driver::SessionGraphSource> graphs;
  /// Calls on one model take turns: an executor runs a graph at a time,
  /// and the caches and parameters are shared.
  std::mutex turn;
  /// The thread inside train() while it runs. Its callbacks would wait for
  /// the turn train() holds, for ever: a call of theirs is refused.
  std::atomic<std::thread::id> trainingThread{};

  /// Fails for a call of `method` from inside this model's own train()
  /// callbacks.
  Status checkNotInTrain(const char *method) const {
    if (trainingThread.load() != std::this_thread::get_id())
      return Status();
    return Status::failure(
        std::string(method) +
        " was called from inside the model's own train() callback, which "
        "holds the model until training ends; use what the callback is "
        "given, or call it after train() returns");
  }

  /// Fails unless every input of the model is in `inputs`.
  Status checkAllInputs(const std::map<std::string, TensorView> &inputs) const;

  /// Checks that every input in `inputs` is one of the model's, of its
  /// dtype and with data.
  Status checkInputs(const std::map<std::string, TensorView> &inputs) const;

  /// The batch size that `inputs` imply; 0 for a model without a batch
  /// dimension.
  Status batchOf(const std::map<std::string, TensorView> &inputs,
                 int64_t &batch) const;

  /// The forward function for `batch` samples, compiled on first use;
  /// null with `status` set on failure.
  train::CompiledGraph *forwardGraph(int64_t batch, bool withLoss,
                                     Status &status);
  train::CompiledGraph *gradientGraph(int64_t batch, bool trainingMode,
                                      Status &status);

  /// Runs `graph` once: inputs from `inputs`, read in place, parameters
  /// and buffers from `params`; `made` gets fresh tensors, one per result
  /// of graph.results().
  Status runGraph(train::CompiledGraph &graph,
                  const std::map<std::string, TensorView> &inputs,
                  std::vector<rt::Tensor> &made);
  /// runGraph, with the results by name as the API's tensors.
  Status execute(train::CompiledGraph &graph,
                 const std::map<std::string, TensorView> &inputs,
                 std::map<std::string, Tensor> &results);

  /// The graph in `compiled`, or null with `status` set.
  train::CompiledGraph *take(rt::Expected<train::CompiledGraph *> compiled,
                             Status &status);
};

/// The batch of the model's train section, as `nnc compile` and `nnc eval`
/// read it; `otherwise` when it sets none.
int64_t trainBatchOf(const frontend::Program &program, int64_t otherwise);

/// "a, b, c".
std::string joinNames(const std::vector<std::string> &names);

} // namespace nnc

#endif // NNC_API_COMPILER_COMPILEDMODELIMPL_H
