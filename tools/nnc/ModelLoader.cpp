//===- ModelLoader.cpp - Read, check and lower a .nn file -----------------===//

#include "tools/nnc/ModelLoader.h"

#include "frontend/Frontend.h"
#include "frontend/MLIRGen.h"
#include "tools/nnc/SourceDiagnosticHandler.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <iostream>

namespace nnc::cli {

std::optional<LoadedModel> loadModel(const std::string &path) {
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(path, /*IsText=*/false,
                                                   /*RequiresNullTerminator=*/false);
  if (std::error_code ec = buffer.getError()) {
    llvm::errs() << "error: cannot read '" << path << "': " << ec.message()
                 << "\n";
    return std::nullopt;
  }
  LoadedModel model;
  model.diagnostics = std::make_unique<frontend::DiagnosticEngine>(
      path, (*buffer)->getBuffer().str());
  std::optional<frontend::Program> program =
      frontend::compileSource(*model.diagnostics);
  if (!program) {
    model.diagnostics->print(std::cerr);
    return std::nullopt;
  }
  model.program = std::move(*program);
  return model;
}

mlir::OwningOpRef<mlir::ModuleOp> lowerModel(mlir::MLIRContext &context,
                                             const LoadedModel &model) {
  SourceDiagnosticHandler handler(context, *model.diagnostics);
  return frontend::generateModule(context, model.program);
}

} // namespace nnc::cli
