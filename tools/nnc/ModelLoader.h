//===- ModelLoader.h - Read, check and lower a .nn file ---------*- C++ -*-===//
//
// The steps every model-taking subcommand shares: read the file, run the
// frontend, generate the nn module, with every diagnostic printed in the
// DSL's `file:line:col: error:` form.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_TOOLS_MODELLOADER_H
#define NNC_TOOLS_MODELLOADER_H

#include "frontend/Diagnostics.h"
#include "frontend/Program.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <optional>
#include <string>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace nnc::cli {

/// A model read from disk; `diagnostics` keeps the source text so that
/// errors raised later in the pipeline can still show the user's line.
struct LoadedModel {
  std::unique_ptr<frontend::DiagnosticEngine> diagnostics;
  frontend::Program program;
};

/// Reads and checks `path`. On failure the diagnostics (or a one-line
/// `error:` for an unreadable file) are already printed to stderr.
std::optional<LoadedModel> loadModel(const std::string &path);

/// Generates and verifies the nn module of a loaded model. MLIR diagnostics
/// are printed against the model's source; null on failure.
mlir::OwningOpRef<mlir::ModuleOp> lowerModel(mlir::MLIRContext &context,
                                             const LoadedModel &model);

} // namespace nnc::cli

#endif // NNC_TOOLS_MODELLOADER_H
