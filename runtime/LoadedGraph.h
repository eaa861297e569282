//===- LoadedGraph.h - One graph ready to run -------------------*- C++ -*-===//
//
// What every front end runs: a backend's executable, the oneTBB executor
// over its kernels, and the session whose threads run it. The compile
// driver makes one from a model (driver::compileFunction), the artifact
// loader from a compiled artifact (rt::loadArtifactGraph); from there on
// nothing tells them apart.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_LOADEDGRAPH_H
#define NNC_RUNTIME_LOADEDGRAPH_H

#include "runtime/Executor.h"
#include "runtime/PluginExecutable.h"
#include "runtime/Session.h"

#include <memory>
#include <optional>
#include <vector>

namespace nnc::rt {

/// The executable is declared before the executor so that it outlives the
/// executor, whose kernels point into it.
struct LoadedGraph {
  std::shared_ptr<Session> session;
  std::optional<PluginExecutable> executable;
  std::optional<Executor> executor;

  /// Runs the graph once in its session's arena (Executor::run).
  Error run(const std::vector<ConstTensorView> &inputs,
            const std::vector<TensorView> &outputs) {
    return session->execute([&] { return executor->run(inputs, outputs); });
  }
};

/// Makes the executor of `plan` over the kernels of `executable` inside
/// `session` (whose threads it then runs on), and the graph holding all
/// three. A null `session` is a new one with default options.
Expected<LoadedGraph> makeLoadedGraph(std::shared_ptr<Session> session,
                                      PluginExecutable executable,
                                      ExecutionPlan plan,
                                      std::vector<nnc_kernel_info> kernels);

} // namespace nnc::rt

#endif // NNC_RUNTIME_LOADEDGRAPH_H
