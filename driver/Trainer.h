//===- Trainer.h - Training and evaluating from a source --------*- C++ -*-===//
//
// Sets up a training run from a model source; the loop itself is
// TrainingRun.h. It runs the training step over mini-batches for epochs:
// parameters, buffers and optimizer state live in host tensors that the
// step reads and whose updated values it returns; the trainer swaps them in
// (no copy, no allocation). After each epoch it evaluates on held-out data;
// every N steps it writes an atomic checkpoint from which `--resume`
// continues to exactly the parameters an uninterrupted run reaches.
//
// Nothing here prints: progress, notes and warnings go to the options'
// TrainingHooks, failures are returned with the exit code `nnc train`
// ends with. The command installs a console reporter (ConsoleReporter.h);
// the Python module and the C++ API install their own.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_TRAINER_H
#define NNC_DRIVER_TRAINER_H

#include "driver/ModelSession.h"
#include "train/Evaluator.h"
#include "train/ExitCode.h"
#include "train/TrainOptions.h"
#include "train/TrainingState.h"

namespace nnc::driver {

/// Trains the model at `options.modelPath`, compiling its training step;
/// with `--resume FILE.nnx`, resumeFromArtifact (TrainingArtifact.h),
/// which runs the artifact's compiled step instead. `trained`, when given,
/// gets the run's final state: parameters, buffers, optimizer state and
/// counters (on rank 0 of a data-parallel run; the other ranks hold the
/// same parameters).
train::CodedError trainModel(const train::TrainOptions &options,
                             train::TrainingState *trained = nullptr);

/// Trains `params`, the parameters and buffers of the model open in
/// `session`, in place: the run starts from them rather than from the
/// initializers or `options.paramsDir`, and `options.session` and
/// `options.modelPath` are the session's. Not data-parallel.
train::CodedError trainModel(ModelSession &session,
                             train::ParameterStore &params,
                             const train::TrainOptions &options);

/// The seed `nnc train` runs with when --seed is not given: the train
/// section's `seed`, else 0.
uint64_t trainSectionSeed(const frontend::TrainingConfig &config);

/// `nnc eval MODEL.nn`: the mean loss and accuracy over a dataset.
rt::Expected<train::Metrics> evaluateModel(const train::EvalOptions &options,
                                           const train::Notices &notices);

} // namespace nnc::driver

#endif // NNC_DRIVER_TRAINER_H
