//===- ImportCommand.cpp - nnc import -------------------------------------===//

#include "tools/nnc/Commands.h"

#include "driver/OnnxModelImport.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace nnc::cli {

ExitCode runImport(const ImportOptions &options) {
  auto start = std::chrono::steady_clock::now();
  rt::Expected<driver::OnnxImportSummary> imported = driver::importOnnxModel(
      options.modelPath, options.outputPath, options.paramsOutDir);
  if (!imported.ok()) {
    rt::Error error = imported.takeError();
    if (error.isRendered())
      return reportError(error);
    // One line per node the importer could not translate.
    const std::string &message = error.message();
    for (size_t begin = 0; begin <= message.size();) {
      size_t end = message.find('\n', begin);
      if (end == std::string::npos)
        end = message.size();
      llvm::errs() << "error: " << message.substr(begin, end - begin) << "\n";
      begin = end + 1;
    }
    return UserError;
  }
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  llvm::outs() << options.modelPath << ": opset " << imported->opset << ", "
               << imported->nodes << " nodes -> " << options.outputPath << ", "
               << imported->weights << " weights (" << imported->weightBytes
               << " bytes) in " << options.paramsOutDir << "/ ("
               << llvm::format("%.3f", seconds) << " s)\n";
  return Success;
}

} // namespace nnc::cli
