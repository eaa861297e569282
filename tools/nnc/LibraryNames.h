//===- LibraryNames.h - The libraries' names in nnc::cli --------*- C++ -*-===//
//
// The commands are written against two libraries: the compiler (driver/),
// which checks, lowers and compiles models, and the training library
// (train/), the MLIR-free layer that runs, evaluates and checkpoints
// compiled graphs. These declarations let them name their types and
// functions unqualified, as mlir/Support/LLVM.h does for LLVM's in MLIR; a
// name not listed here is written driver::X or train::X.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_LIBRARYNAMES_H
#define NNC_TOOLS_LIBRARYNAMES_H

#include "driver/ArtifactBuilder.h"
#include "driver/ModelSession.h"
#include "driver/OpenModel.h"
#include "driver/SessionGraphSource.h"
#include "train/Accuracy.h"
#include "train/ArtifactGraphSource.h"
#include "train/CompiledGraph.h"
#include "train/DataArguments.h"
#include "train/DistributedTraining.h"
#include "train/Evaluator.h"
#include "train/ExitCode.h"
#include "train/GraphSource.h"
#include "train/OutputWriter.h"
#include "train/ParameterStore.h"
#include "train/ProfileReport.h"
#include "train/TrainOptions.h"
#include "train/TrainingReport.h"
#include "train/TrainingRun.h"
#include "train/TrainingState.h"

namespace nnc::cli {

using driver::ArtifactRecipe;
using driver::batchSizeOf;
using driver::buildArtifact;
using driver::compileGraph;
using driver::feedsAndParams;
using driver::GraphKind;
using driver::GraphRequest;
using driver::ModelSession;
using driver::openModel;
using driver::openWithLoss;
using driver::SessionGraphSource;
using train::AccuracySpec;
using train::ArtifactGraphSource;
using train::backendSummaries;
using train::checkEpochBoundary;
using train::CompiledGraph;
using train::countCorrect;
using train::createStepScalars;
using train::CsvArguments;
using train::describeMachine;
using train::DistributedOptions;
using train::DistributedTraining;
using train::EpochReport;
using train::EvalOptions;
using train::Evaluator;
using train::ExitCode;
using train::findStateTensor;
using train::GraphSource;
using train::inputDeclarations;
using train::jobFingerprint;
using train::loadDataArguments;
using train::loadTrainingData;
using train::machinePeakGflops;
using train::Metrics;
using train::OptimizationOptions;
using train::ParameterStore;
using train::ProfileRequest;
using train::renderDot;
using train::renderTrainingReport;
using train::reportError;
using train::ReportHeader;
using train::reportProfile;
using train::reportUserError;
using train::restoreCheckpoint;
using train::runtimeOptions;
using train::runTrainingLoop;
using train::scalarValue;
using train::ScheduleOptions;
using train::SessionOptions;
using train::shortNumber;
using train::Success;
using train::swapInUpdates;
using train::toRuntimeDType;
using train::TrainingRun;
using train::TrainingState;
using train::trainingStepName;
using train::TrainOptions;
using train::UsageError;
using train::UserError;
using train::writeOutput;
using train::writeTrainingArtifact;
using train::writeTrainingCheckpoint;
using train::zeroOptimizerState;

} // namespace nnc::cli

#endif // NNC_TOOLS_LIBRARYNAMES_H
