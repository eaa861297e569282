//===- TrainingArtifact.h - nnc train --resume FILE.nnx ---------*- C++ -*-===//
//
// Continues a run from a training artifact with the graphs compiled into
// it: the training step, and the forward graphs for --eval-data, loaded
// through runtime/ArtifactLoader.h and the artifact's backend plugin alone.
// Nothing is compiled and MLIR is never started, so the model source is
// not needed; given, it is checked against the artifact's graph hash.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_TRAININGARTIFACT_H
#define NNC_DRIVER_TRAININGARTIFACT_H

#include "train/ExitCode.h"
#include "train/TrainOptions.h"
#include "train/TrainingState.h"

#include <string>

namespace nnc::driver {

/// True when `--resume PATH` names a training artifact (rt::isArtifactFile:
/// ends in ".nnx", or holds one under any name) rather than a checkpoint
/// folder.
bool isTrainingArtifactPath(const std::string &path);

/// `nnc train [MODEL.nn] --resume FILE.nnx`: runs epochs E+1..N of the run
/// the artifact holds (E epochs done) with its compiled graphs, parameters,
/// optimizer state and counters. Flags that would change the compiled
/// step (--batch of another size, --optimizer, --clip-norm, --freeze,
/// --params, an optimisation switched off) are a usage error; a model
/// source whose text or name differs from what was compiled, a file that is
/// not a training artifact, and data the artifact's inputs do not take are
/// errors with exit 1. Prints nothing (Trainer.h); `trained`, when given,
/// gets the run's final state.
train::CodedError resumeFromArtifact(const train::TrainOptions &options,
                                     train::TrainingState *trained = nullptr);

} // namespace nnc::driver

#endif // NNC_DRIVER_TRAININGARTIFACT_H
