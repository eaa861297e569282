//===- OpenModel.h - A model session, and its notices -----------*- C++ -*-===//
//
// Opening a model or an artifact as every command and embedding does:
// source warnings, the plugins discovery skipped and which backend runs go
// to the caller's Notices (the command shows them on stderr, so that
// stdout stays what it produces), and failures are returned.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_OPENMODEL_H
#define NNC_DRIVER_OPENMODEL_H

#include "driver/ModelSession.h"
#include "train/ArtifactGraphSource.h"
#include "train/Notices.h"

#include <memory>
#include <optional>
#include <string>

namespace nnc::driver {

/// Opens `modelPath` in a session; with `lossPurpose`, a model without a
/// loss is an error ("the model has no loss to PURPOSE").
rt::Expected<std::unique_ptr<driver::ModelSession>>
openModel(const train::SessionOptions &options, const std::string &modelPath,
          const char *lossPurpose, const train::Notices &notices);

/// Opens the artifact at `path` (train::ArtifactGraphSource::open).
rt::Expected<std::unique_ptr<train::ArtifactGraphSource>>
openArtifact(const train::SessionOptions &options, const std::string &path,
             const train::Notices &notices);

/// Fills `params` for `program` (ParameterStore::initialize), with a note
/// for each parameter `dir` has no file for. An unset `seed` is the train
/// section's, as `nnc train` takes it, so that every command starts from
/// the parameters a training run of the model starts from.
rt::Error initializeParameters(train::ParameterStore &params,
                               const frontend::Program &program,
                               const std::string &dir,
                               std::optional<uint64_t> seed,
                               const train::Notices &notices);

} // namespace nnc::driver

#endif // NNC_DRIVER_OPENMODEL_H
