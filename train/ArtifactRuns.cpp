//===- ArtifactRuns.cpp - Running and evaluating a loaded artifact --------===//

#include "train/ArtifactRuns.h"

#include "train/ParameterStore.h"

#include "runtime/ArtifactLoader.h"

#include <algorithm>

namespace nnc::train {

rt::Expected<ArtifactRun>
runArtifact(ArtifactGraphSource &source,
            const std::map<std::string, rt::Tensor> &feeds,
            rt::KernelProfiler *profiler) {
  const rt::Artifact &artifact = source.artifact();
  std::vector<std::string> fed;
  for (const auto &[name, tensor] : feeds)
    fed.push_back(name);
  rt::Expected<const rt::ArtifactGraph *> selected =
      rt::selectRunGraph(artifact, fed);
  if (!selected.ok())
    return selected.takeError();
  ArtifactRun run;
  run.graph = *selected;
  rt::Expected<rt::Function> loaded = rt::loadArtifactGraph(
      *run.graph, source.plugin(), source.runtimeSession());
  if (!loaded.ok())
    return loaded.takeError();
  run.function = std::move(*loaded);
  run.function.executor->setProfiler(profiler);
  rt::Expected<std::vector<rt::Tensor>> results =
      rt::runArtifactGraph(artifact, run.function, feeds);
  run.function.executor->setProfiler(nullptr);
  if (!results.ok())
    return results.takeError();
  run.results = std::move(*results);
  return run;
}

rt::Expected<Metrics> evaluateArtifact(ArtifactGraphSource &source,
                                       const rt::Dataset &dataset) {
  const rt::Artifact &artifact = source.artifact();
  const rt::ArtifactGraph *full = artifact.graph("forward");
  if (!full ||
      std::none_of(full->plan.outputs.begin(), full->plan.outputs.end(),
                   [](const rt::ExternalBinding &b) {
                     return b.role == rt::BindingRole::Loss;
                   }))
    return rt::Error::failure("the artifact has no loss to evaluate");
  for (const rt::ArtifactPort &port : artifact.inputs)
    if (!dataset.column(port.name))
      return rt::Error::failure("missing --data " + port.name + "=FILE");
  if (dataset.numSamples() == 0)
    return rt::Error::failure("the data has no samples");

  // The artifact's parameters and buffers, as the evaluator reads them.
  ParameterStore params;
  for (const rt::ArtifactTensor &tensor : artifact.tensors) {
    if (tensor.role == rt::BindingRole::OptState)
      continue;
    rt::Expected<rt::Tensor> copy = tensor.tensor.clone();
    if (!copy.ok())
      return copy.takeError();
    params.set(tensor.name, std::move(*copy));
  }
  Evaluator evaluator(source, dataset, std::max<int64_t>(1, full->batchSize));
  return evaluator.evaluate(params);
}

} // namespace nnc::train
