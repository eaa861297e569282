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

#include "driver/ModelSession.h"
#include "driver/OpenModel.h"
#include "train/ArtifactGraphSource.h"
#include "train/CompiledGraph.h"
#include "train/DataArguments.h"
#include "train/Evaluator.h"
#include "train/ExitCode.h"
#include "train/OutputWriter.h"
#include "train/ParameterStore.h"
#include "train/ProfileReport.h"
#include "train/TrainOptions.h"

namespace nnc::cli {

using driver::batchSizeOf;
using driver::feedsAndParams;
using driver::GraphKind;
using driver::GraphRequest;
using driver::ModelSession;
using train::ArtifactGraphSource;
using train::CompiledGraph;
using train::EvalOptions;
using train::Evaluator;
using train::ExitCode;
using train::inputDeclarations;
using train::loadDataArguments;
using train::Metrics;
using train::OptimizationOptions;
using train::ParameterStore;
using train::ProfileRequest;
using train::reportError;
using train::reportUserError;
using train::SessionOptions;
using train::Success;
using train::TrainOptions;
using train::UsageError;
using train::UserError;

} // namespace nnc::cli

#endif // NNC_TOOLS_LIBRARYNAMES_H
