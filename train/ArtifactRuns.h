//===- ArtifactRuns.h - Running and evaluating an artifact ------*- C++ -*-===//
//
// What `nnc run FILE.nnx` and `nnc eval FILE.nnx` do with an artifact,
// without the compiler: run the forward graph the fed inputs call for
// (as nnc-run runs it, so that both write the same bytes), and score the
// artifact's own parameters on a dataset.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TRAIN_ARTIFACTRUNS_H
#define NNC_TRAIN_ARTIFACTRUNS_H

#include "train/ArtifactGraphSource.h"
#include "train/Evaluator.h"

#include "runtime/Dataset.h"
#include "runtime/KernelProfiler.h"

#include <map>
#include <string>
#include <vector>

namespace nnc::train {

/// One run of an artifact's graph.
struct ArtifactRun {
  /// The graph rt::selectRunGraph chose for the fed inputs.
  const rt::ArtifactGraph *graph = nullptr;
  /// The function that ran it, for a profile's description.
  rt::Function function;
  /// One per output of the graph's plan, in its order.
  std::vector<rt::Tensor> results;
};

/// Runs the forward graph of `source` that `feeds` call for, with
/// `profiler` (may be null) watching its kernels.
rt::Expected<ArtifactRun>
runArtifact(ArtifactGraphSource &source,
            const std::map<std::string, rt::Tensor> &feeds,
            rt::KernelProfiler *profiler);

/// The mean loss and accuracy of the artifact's parameters over `dataset`,
/// in batches of its size (a last partial batch sample by sample on
/// forward@1). The artifact must have a loss, and the dataset every input.
rt::Expected<Metrics> evaluateArtifact(ArtifactGraphSource &source,
                                       const rt::Dataset &dataset);

} // namespace nnc::train

#endif // NNC_TRAIN_ARTIFACTRUNS_H
