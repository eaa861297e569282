//===- CompiledGraph.h - One executable graph and its results ---*- C++ -*-===//
//
// A graph ready to run (rt::Function: the backend's executable, the
// executor over its kernels, the session whose threads run it) with result
// tensors reused from run to run.
// It is the same whether this process compiled the graph (ModelSession) or
// loaded it from an artifact (runtime/ArtifactLoader.h), so the trainer and
// the evaluator run either alike.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_COMPILEDGRAPH_H
#define NNC_TRAIN_COMPILEDGRAPH_H

#include "runtime/Artifact.h"
#include "runtime/BindingRole.h"
#include "runtime/Function.h"
#include "runtime/PluginHost.h"
#include "runtime/Tensor.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace nnc::train {

/// One executable function and its external buffers.
class CompiledGraph {
public:
  /// Wraps `loaded`, and makes the result tensors and zeros for the inputs
  /// named in `unreadInputs` (bound but never read: the labels of a graph
  /// without its loss).
  static rt::Expected<std::unique_ptr<CompiledGraph>>
  create(rt::Function loaded, const std::vector<std::string> &unreadInputs);

  /// Loads graph `graph` of an artifact with `plugin` into `session`,
  /// without compiling (rt::loadArtifactGraph).
  static rt::Expected<std::unique_ptr<CompiledGraph>>
  load(const rt::ArtifactGraph &graph, const rt::LoadedPlugin &plugin,
       std::shared_ptr<rt::Session> session);

  /// Finds the tensor bound to an argument, by its role and name; null if
  /// there is none (an error).
  using Lookup = std::function<const rt::Tensor *(rt::BindingRole role,
                                                  const std::string &name)>;

  /// Finds a state tensor the caller lets a run update in place, by the
  /// state's role (Param, Buffer, OptState) and name; null to keep it.
  using StateLookup = std::function<rt::Tensor *(rt::BindingRole role,
                                                 const std::string &name)>;
  /// Runs once. Outputs land in tensors this graph owns and reuses from run
  /// to run (see results()), so a training loop allocates nothing. Runs on
  /// the threads of the graph's session. Prints nothing: a failure is the
  /// returned error, for the caller to report.
  ///
  /// With `updateInPlace`, each state update the plan computes in place
  /// (rt::PlanValue::reuses: a parameter, buffer or optimizer slot after a
  /// training step) is written over the state tensor it finds instead, which
  /// `lookup` should return for the state too: the step then reads and
  /// writes one copy of its weights and optimizer slots, not two. Such a
  /// result's own tensor is left as it was, and Result::inPlace is set.
  /// After a failed run those states are unspecified, as outputs are: the
  /// trainer stops there, and what it last saved on disk stays whole.
  rt::Error run(const Lookup &lookup, const StateLookup &updateInPlace = {});

  /// The view bound to an argument, by its role and name; nullopt if none.
  using ViewLookup = std::function<std::optional<rt::ConstTensorView>(
      rt::BindingRole role, const std::string &name)>;

  /// Runs once on the caller's memory: the arguments are read in place
  /// through `lookup`, and the results are written into `outputs`, one per
  /// result of results(), of its type. run() is this over the graph's own
  /// result tensors. Prints nothing: a failure is the returned error.
  rt::Error runInto(const ViewLookup &lookup,
                    const std::vector<rt::TensorView> &outputs);

  /// Runs once with the arguments read in place through `lookup`, as run()
  /// does (`updateInPlace` included), except that results found in
  /// `resultViews` (by index into results()) land there instead of in the
  /// graph's own tensors.
  rt::Error
  runOnViews(const ViewLookup &lookup, const StateLookup &updateInPlace = {},
             const std::map<size_t, rt::TensorView> &resultViews = {});

  struct Result {
    rt::BindingRole role; ///< Output, Loss, Grad, ParamUpdate, ...
    std::string name;
    rt::Tensor tensor;
    /// The last run wrote this state update over its state, not `tensor`.
    bool inPlace = false;
  };
  std::vector<Result> &results() { return outputs; }
  const std::vector<Result> &results() const { return outputs; }
  /// The results' names, in order.
  std::vector<std::string> resultNames() const;

  /// The result with this role and name, or null.
  Result *findResult(rt::BindingRole role, const std::string &name);

  struct Argument {
    rt::BindingRole role; ///< Input, Param, Buffer, OptState, Step, Lr
    std::string name;
    rt::DType dtype;
    rt::Shape shape;
  };
  /// The arguments the graph reads, in order.
  std::vector<Argument> arguments() const;

  /// Records the kernels of every later run into `profiler` (null: stop);
  /// see rt::Executor::setProfiler.
  void setProfiler(rt::KernelProfiler *profiler) {
    loaded.executor->setProfiler(profiler);
  }

  /// Calls `observer` as each kernel of later runs finishes; see
  /// rt::Executor::setKernelObserver.
  void setKernelObserver(const std::function<void(int64_t)> *observer) {
    loaded.executor->setKernelObserver(observer);
  }

  /// Bytes of the executor's arena.
  uint64_t arenaBytes() const;

  /// The plan the executor runs (for artifacts).
  const rt::ExecutionPlan &plan() const;

  /// The backend's executable (for artifacts).
  const rt::PluginExecutable &executable() const;

private:
  CompiledGraph() = default;

  rt::Function loaded;
  std::vector<Result> outputs;
  /// For each result, the argument (an index of plan().inputs) whose state
  /// it may update in place, or -1.
  std::vector<int64_t> updatedArgument;
  /// Zero tensors for inputs that nothing reads (dropped-loss labels).
  std::map<std::string, rt::Tensor> unusedInputs;
};

} // namespace nnc::train

#endif // NNC_TRAIN_COMPILEDGRAPH_H
