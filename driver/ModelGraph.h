//===- ModelGraph.h - A model's fused graph for the report -----*- C++ -*-===//
//
// The graph a training report draws (train/TrainingReport.h): the model
// lowered and optimised as a forward pass, printed as Graphviz's dot. It
// needs the compiler, so the command that trains makes it and hands it to
// the MLIR-free report.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_MODELGRAPH_H
#define NNC_DRIVER_MODELGRAPH_H

#include <string>

namespace nnc::driver {

/// The graph of the optimized forward pass of the model at `modelPath`,
/// with each fusion group as a cluster, in Graphviz's dot language; empty
/// (with nothing printed) when the model cannot be lowered.
std::string modelGraphDot(const std::string &modelPath);

} // namespace nnc::driver

#endif // NNC_DRIVER_MODELGRAPH_H
