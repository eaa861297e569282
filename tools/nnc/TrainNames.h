//===- TrainNames.h - The training library's names in nnc::cli --*- C++ -*-===//
//
// The commands are written against the training library (train/), the
// MLIR-free layer that runs, evaluates and checkpoints compiled graphs.
// These declarations let them name its types and functions unqualified, as
// mlir/Support/LLVM.h does for LLVM's in MLIR; a name not listed here is
// written train::X.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_TRAINNAMES_H
#define NNC_TOOLS_TRAINNAMES_H

#include "train/Accuracy.h"
#include "train/ArtifactGraphSource.h"
#include "train/CompiledGraph.h"
#include "train/Evaluator.h"
#include "train/GraphSource.h"
#include "train/OutputWriter.h"
#include "train/ParameterStore.h"
#include "train/TrainingState.h"

namespace nnc::cli {

using train::AccuracySpec;
using train::ArtifactGraphSource;
using train::CompiledGraph;
using train::countCorrect;
using train::createStepScalars;
using train::Evaluator;
using train::findStateTensor;
using train::GraphSource;
using train::inputDeclarations;
using train::Metrics;
using train::ParameterStore;
using train::restoreCheckpoint;
using train::scalarValue;
using train::swapInUpdates;
using train::toRuntimeDType;
using train::TrainingState;
using train::trainingStepName;
using train::writeOutput;
using train::writeTrainingCheckpoint;
using train::zeroOptimizerState;

} // namespace nnc::cli

#endif // NNC_TOOLS_TRAINNAMES_H
