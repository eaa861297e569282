//===- Function.cpp - One compiled graph ready to run --------------------===//

#include "runtime/Function.h"

namespace nnc::rt {

Expected<Function> makeFunction(std::shared_ptr<Session> session,
                                PluginExecutable executable, ExecutionPlan plan,
                                std::vector<nnc_kernel_info> kernels) {
  Function graph;
  graph.session = session ? std::move(session) : std::make_shared<Session>();
  graph.executable.emplace(std::move(executable));
  // The executor's flow graph belongs to the arena it is made in: made
  // here, its runs use the session's threads.
  Expected<Executor> executor = graph.session->execute([&] {
    return Executor::create(std::move(plan), std::move(kernels),
                            graph.executable->plugin().api());
  });
  if (!executor.ok())
    return executor.takeError();
  graph.executor.emplace(std::move(*executor));
  return graph;
}

} // namespace nnc::rt
