//===- OnnxModelImport.cpp - An ONNX model to a .nn program and weights ---===//

#include "driver/OnnxModelImport.h"

#include "driver/Context.h"
#include "driver/ModelLoader.h"
#include "frontend/Frontend.h"
#include "onnx/OnnxImport.h"
#include "runtime/FileIO.h"
#include "runtime/Npy.h"

#include "llvm/Support/FileSystem.h"

#include <sstream>

namespace nnc::driver {

rt::Expected<OnnxImportSummary> importOnnxModel(const std::string &onnxPath,
                                                const std::string &programPath,
                                                const std::string &weightsDir) {
  rt::Expected<onnx::ImportedModel> model = onnx::importOnnxFile(onnxPath);
  if (!model.ok())
    return model.takeError();

  // The program must check as `nnc check` checks it: the frontend, then
  // the nn dialect's verifier.
  LoadedModel loaded;
  loaded.diagnostics =
      std::make_unique<frontend::DiagnosticEngine>(programPath, model->source);
  std::optional<frontend::Program> program =
      frontend::compileSource(*loaded.diagnostics);
  std::ostringstream rendered;
  if (program) {
    loaded.program = std::move(*program);
    std::unique_ptr<mlir::MLIRContext> context = createContext();
    rt::Error lowered = lowerModel(*context, loaded).takeError();
    if (!lowered.ok())
      rendered << (lowered.isRendered() ? lowered.message()
                                        : "error: " + lowered.message() + "\n");
  } else {
    loaded.diagnostics->print(rendered);
  }
  if (!rendered.str().empty())
    return rt::Error::rendered(rendered.str() + "error: " + onnxPath +
                               ": the translated program does not check "
                               "(above); this is a bug in the importer\n");

  if (std::error_code ec = llvm::sys::fs::create_directories(weightsDir))
    return rt::Error::failure("cannot create '" + weightsDir +
                              "': " + ec.message());
  OnnxImportSummary summary;
  for (const auto &[name, tensor] : model->weights) {
    if (rt::Error error =
            rt::writeNpy(weightsDir + "/" + name + ".npy", tensor);
        !error.ok())
      return error;
    summary.weightBytes += tensor.byteSize();
  }
  if (rt::Error error = rt::writeFileAtomically(programPath, model->source);
      !error.ok())
    return error;
  summary.opset = model->opset;
  summary.nodes = model->nodeCount;
  summary.weights = model->weights.size();
  return summary;
}

} // namespace nnc::driver
