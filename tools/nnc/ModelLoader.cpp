//===- ModelLoader.cpp - Read, check and lower a .nn file -----------------===//

#include "tools/nnc/ModelLoader.h"

#include "frontend/Frontend.h"
#include "frontend/MLIRGen.h"
#include "onnx/OnnxImport.h"
#include "tools/nnc/SourceDiagnosticHandler.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <iostream>
#include <map>

namespace nnc::cli {

namespace {

/// Prints a (possibly multi-line) error, each line as `error: ...`.
void printErrorLines(const std::string &message) {
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos)
      end = message.size();
    llvm::errs() << "error: " << message.substr(start, end - start) << "\n";
    start = end + 1;
  }
}

/// The imported weights become the parameters' initial values, so that
/// every command runs an ONNX model with its own weights unless `--params`
/// gives others.
void adoptImportedWeights(
    frontend::Program &program,
    std::vector<std::pair<std::string, rt::Tensor>> &weights) {
  std::map<std::string, const rt::Tensor *> byName;
  for (const auto &[name, tensor] : weights)
    byName[name] = &tensor;
  for (frontend::Argument &arg : program.arguments) {
    auto it = byName.find(arg.name);
    if (arg.role == frontend::Argument::Role::Input || it == byName.end())
      continue;
    arg.init = frontend::Initializer();
    arg.init.kind = "imported";
    arg.init.values = std::make_shared<const std::string>(
        reinterpret_cast<const char *>(it->second->rawData()),
        it->second->byteSize());
  }
}

} // namespace

std::optional<LoadedModel> loadModel(const std::string &path) {
  std::string source;
  std::string displayName = path;
  std::vector<std::pair<std::string, rt::Tensor>> importedWeights;
  if (onnx::isOnnxPath(path)) {
    rt::Expected<onnx::ImportedModel> imported = onnx::importOnnxFile(path);
    if (!imported.ok()) {
      printErrorLines(imported.message());
      return std::nullopt;
    }
    source = std::move(imported->source);
    importedWeights = std::move(imported->weights);
    // Diagnostics then point into the generated program, which
    // `nnc import` writes out for reading.
    displayName = path + " (imported)";
  } else {
    auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(
        path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
    if (std::error_code ec = buffer.getError()) {
      llvm::errs() << "error: cannot read '" << path << "': " << ec.message()
                   << "\n";
      return std::nullopt;
    }
    source = (*buffer)->getBuffer().str();
  }
  LoadedModel model;
  model.diagnostics =
      std::make_unique<frontend::DiagnosticEngine>(displayName, source);
  std::optional<frontend::Program> program =
      frontend::compileSource(*model.diagnostics);
  if (!program) {
    model.diagnostics->print(std::cerr);
    return std::nullopt;
  }
  model.program = std::move(*program);
  adoptImportedWeights(model.program, importedWeights);
  return model;
}

mlir::OwningOpRef<mlir::ModuleOp> lowerModel(mlir::MLIRContext &context,
                                             const LoadedModel &model) {
  SourceDiagnosticHandler handler(context, *model.diagnostics);
  return frontend::generateModule(context, model.program);
}

} // namespace nnc::cli
