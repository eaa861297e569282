//===- Trainer.h - nnc train and nnc eval from a model source --*- C++ -*-===//
//
// Sets up `nnc train` and `nnc eval` from a model source; the loop itself is
// TrainingRun.h. It runs the training step over mini-batches for epochs:
// parameters, buffers and optimizer state live in host tensors that the
// step reads and whose updated values it returns; the trainer swaps them in
// (no copy, no allocation). After each epoch it evaluates on held-out data;
// every N steps it writes an atomic checkpoint from which `--resume`
// continues to exactly the parameters an uninterrupted run reaches.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_TRAINER_H
#define NNC_DRIVER_TRAINER_H

#include "train/ExitCode.h"
#include "train/TrainOptions.h"

namespace nnc::driver {

/// `nnc train MODEL.nn`, compiling the training step; with `--resume
/// FILE.nnx`, resumeFromArtifact (TrainingArtifact.h), which runs the
/// artifact's compiled step instead.
train::ExitCode runTrain(const train::TrainOptions &options);

/// `nnc eval MODEL.nn`: mean loss and accuracy over a dataset.
train::ExitCode runEval(const train::EvalOptions &options);

} // namespace nnc::driver

#endif // NNC_DRIVER_TRAINER_H
