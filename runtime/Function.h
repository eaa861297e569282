//===- Function.h - One compiled graph ready to run ------------*- C++ -*-===//
//
// What every front end runs: a backend's executable, the oneTBB executor
// over its kernels, and the session whose threads run it. The compile
// driver makes one from a model (driver::compileFunction), the artifact
// loader from a compiled artifact (rt::loadArtifactGraph); from there on
// nothing tells them apart.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_RUNTIME_FUNCTION_H
#define NNC_RUNTIME_FUNCTION_H

#include "runtime/Executor.h"
#include "runtime/PluginExecutable.h"
#include "runtime/Session.h"

#include <memory>
#include <optional>
#include <vector>

namespace nnc::rt {

/// A compiled graph, whichever way it came: its executable, the executor
/// over its kernels (declared after the executable, so that the executable
/// outlives the kernels that point into it), and the session it runs in.
struct Function {
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
Expected<Function> makeFunction(std::shared_ptr<Session> session,
                                PluginExecutable executable, ExecutionPlan plan,
                                std::vector<nnc_kernel_info> kernels);

} // namespace nnc::rt

#endif // NNC_RUNTIME_FUNCTION_H
