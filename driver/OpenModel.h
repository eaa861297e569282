//===- OpenModel.h - A model session, its failures reported -----*- C++ -*-===//
//
// The compiler library (driver/) returns its failures and hands warnings to
// a handler. The commands show both on stderr, and say which backend runs,
// so that stdout stays what the command produces.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_OPENMODEL_H
#define NNC_DRIVER_OPENMODEL_H

#include "driver/ModelSession.h"
#include "train/ArtifactGraphSource.h"

#include <memory>
#include <string>

namespace nnc::driver {

/// Opens `modelPath` in a session; with `lossPurpose`, a model without a
/// loss is an error ("the model has no loss to PURPOSE"). Prints what
/// failed and returns null on failure.
std::unique_ptr<driver::ModelSession>
openModel(const train::SessionOptions &options, const std::string &modelPath,
          const char *lossPurpose = nullptr);

/// Opens the artifact at `path` (train::ArtifactGraphSource::open) and
/// says, on stderr, which plugins failed to load and which backend runs it.
/// Prints what failed and returns null on failure.
std::unique_ptr<train::ArtifactGraphSource>
openArtifact(const train::SessionOptions &options, const std::string &path);

/// Compiles `request` in `session`; prints what failed and returns null on
/// failure.
std::unique_ptr<train::CompiledGraph>
compileGraph(driver::ModelSession &session,
             const driver::GraphRequest &request);

/// Fills `params` for `program` (ParameterStore::initialize), with a note
/// for each parameter `dir` has no file for; prints what failed and returns
/// false on failure.
bool initializeParameters(train::ParameterStore &params,
                          const frontend::Program &program,
                          const std::string &dir, uint64_t seed);

} // namespace nnc::driver

#endif // NNC_DRIVER_OPENMODEL_H
