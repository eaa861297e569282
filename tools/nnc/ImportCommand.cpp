//===- ImportCommand.cpp - nnc import -------------------------------------===//

#include "tools/nnc/Commands.h"

#include "driver/Context.h"
#include "driver/ModelLoader.h"
#include "frontend/Frontend.h"
#include "onnx/OnnxImport.h"
#include "runtime/FileIO.h"
#include "runtime/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <iostream>

namespace nnc::cli {

ExitCode runImport(const ImportOptions &options) {
  auto start = std::chrono::steady_clock::now();
  rt::Expected<onnx::ImportedModel> model =
      onnx::importOnnxFile(options.modelPath);
  if (!model.ok()) {
    const std::string &message = model.message();
    for (size_t begin = 0; begin <= message.size();) {
      size_t end = message.find('\n', begin);
      if (end == std::string::npos)
        end = message.size();
      llvm::errs() << "error: " << message.substr(begin, end - begin) << "\n";
      begin = end + 1;
    }
    return UserError;
  }

  // The program must check, as `nnc check` checks it (the frontend, then
  // the nn dialect's verifier), before anything is written: a translation
  // either rejects is the importer's fault, and the user's folder must not
  // be left half-filled by it.
  driver::LoadedModel loaded;
  loaded.diagnostics = std::make_unique<frontend::DiagnosticEngine>(
      options.outputPath, model->source);
  std::optional<frontend::Program> program =
      frontend::compileSource(*loaded.diagnostics);
  rt::Error lowered = rt::Error::success();
  if (program) {
    loaded.program = std::move(*program);
    std::unique_ptr<mlir::MLIRContext> context = driver::createContext();
    lowered = driver::lowerModel(*context, loaded).takeError();
  } else {
    loaded.diagnostics->print(std::cerr);
  }
  if (!program || !lowered.ok()) {
    if (!lowered.ok())
      (void)reportError(lowered);
    return reportUserError(options.modelPath +
                           ": the translated program does not check (above); "
                           "this is a bug in the importer");
  }

  if (std::error_code ec =
          llvm::sys::fs::create_directories(options.paramsOutDir))
    return reportUserError("cannot create '" + options.paramsOutDir +
                           "': " + ec.message());
  for (const auto &[name, tensor] : model->weights)
    if (rt::Error error =
            rt::writeNpy(options.paramsOutDir + "/" + name + ".npy", tensor);
        !error.ok())
      return reportUserError(error.message());
  if (rt::Error error =
          rt::writeFileAtomically(options.outputPath, model->source);
      !error.ok())
    return reportUserError(error.message());

  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  size_t bytes = 0;
  for (const auto &entry : model->weights)
    bytes += entry.second.byteSize();
  llvm::outs() << options.modelPath << ": opset " << model->opset << ", "
               << model->nodeCount << " nodes -> " << options.outputPath << ", "
               << model->weights.size() << " weights (" << bytes
               << " bytes) in " << options.paramsOutDir << "/ ("
               << llvm::format("%.3f", seconds) << " s)\n";
  return Success;
}

} // namespace nnc::cli
