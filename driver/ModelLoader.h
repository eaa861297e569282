//===- ModelLoader.h - Read, check and lower a .nn file ---------*- C++ -*-===//
//
// The steps every model-taking subcommand shares: read the file, run the
// frontend, generate the nn module. A failure carries its diagnostics
// rendered in the DSL's `file:line:col: error:` form; nothing is printed.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_MODELLOADER_H
#define NNC_DRIVER_MODELLOADER_H

#include "frontend/Diagnostics.h"
#include "frontend/Program.h"
#include "runtime/Status.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <string>

namespace mlir {
class MLIRContext;
} // namespace mlir

namespace nnc::driver {

/// A model read from disk; `diagnostics` keeps the source text so that
/// errors raised later in the pipeline can still show the user's line.
struct LoadedModel {
  std::unique_ptr<frontend::DiagnosticEngine> diagnostics;
  frontend::Program program;
};

/// Reads and checks `path` (a .nn file, or an .onnx model it imports).
rt::Expected<LoadedModel> loadModel(const std::string &path);

/// Generates and verifies the nn module of a loaded model; MLIR's errors
/// are rendered against the model's source.
rt::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
lowerModel(mlir::MLIRContext &context, const LoadedModel &model);

} // namespace nnc::driver

#endif // NNC_DRIVER_MODELLOADER_H
