//===- ImportCommand.cpp - nnc import -------------------------------------===//

#include "tools/nnc/Commands.h"

#include "driver/OnnxModelImport.h"
#include "runtime/Counted.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace nnc::cli {

ExitCode runImport(const ImportOptions &options) {
  auto start = std::chrono::steady_clock::now();
  onnx::ImportOptions importOptions;
  importOptions.firstAxisIsBatch = options.firstAxisIsBatch;
  rt::Expected<driver::OnnxImportSummary> imported =
      driver::importOnnxModel(options.modelPath, options.outputPath,
                              options.paramsOutDir, importOptions);
  if (!imported.ok())
    return reportError(imported.takeError());
  for (const std::string &note : imported->notes)
    llvm::errs() << "note: " << note << "\n";
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  llvm::outs() << options.modelPath << ": opset " << imported->opset << ", "
               << rt::counted(imported->nodes, "node") << " -> "
               << options.outputPath << ", "
               << rt::counted(imported->weights, "weight") << " ("
               << imported->weightBytes << " bytes) in " << options.paramsOutDir
               << "/ (" << llvm::format("%.3f", seconds) << " s)\n";
  return Success;
}

} // namespace nnc::cli
