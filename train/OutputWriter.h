//===- OutputWriter.h - Writing result tensors for the user -----*- C++ -*-===//

#ifndef NNC_TRAIN_OUTPUTWRITER_H
#define NNC_TRAIN_OUTPUTWRITER_H

#include "train/ArtifactRuns.h"
#include "train/CompiledGraph.h"

#include "runtime/Status.h"
#include "runtime/Tensor.h"

#include <string>
#include <vector>

namespace nnc::train {

/// A result to write, by name.
struct OutputTensor {
  std::string name;
  const rt::Tensor *tensor;
};

/// A compiled graph's results as outputs to write.
std::vector<OutputTensor>
outputsOf(const std::vector<CompiledGraph::Result> &results);

/// An artifact run's results as outputs to write, named as its plan names
/// them.
std::vector<OutputTensor> outputsOf(const ArtifactRun &run);

/// Writes each of `outputs` to `dir`/NAME.npy (creating `dir`) as one, all
/// or none (rt::writeNpyFiles): a full disk or a crash leaves the folder's
/// old results whole, never some new and some old. Returns a one-line
/// summary for the user of each: "name: f32[359, 10] -> dir/name.npy",
/// with the value for a scalar.
/// A file that is one the command reads (one of `files`, or the FILE of a
/// NAME=FILE of `namedFiles`) is refused before anything is written.
rt::Expected<std::vector<std::string>>
writeOutputs(const std::string &dir, const std::vector<OutputTensor> &outputs,
             const std::vector<std::string> &files = {},
             const std::vector<std::string> &namedFiles = {});

/// The value of a one-element float tensor, as a double.
double scalarValue(const rt::Tensor &tensor);

} // namespace nnc::train

#endif // NNC_TRAIN_OUTPUTWRITER_H
