//===- OnnxModelImport.cpp - An ONNX model to a .nn program and weights ---===//

#include "driver/OnnxModelImport.h"

#include "driver/Context.h"
#include "driver/ModelLoader.h"
#include "frontend/Frontend.h"
#include "onnx/OnnxImport.h"
#include "runtime/FileIO.h"
#include "runtime/Npy.h"
#include "train/OutputPaths.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <sstream>

namespace nnc::driver {
namespace {

/// Fails when the program or the weights could not be written where asked
/// (a folder for the program, a file for the weights, the model itself),
/// so that a failed import writes nothing rather than half its output.
rt::Error checkImportTargets(const std::string &onnxPath,
                             const std::string &programPath,
                             const std::string &weightsDir) {
  if (rt::Error error = train::checkOutputFile(programPath, {onnxPath});
      !error.ok())
    return error;
  if (rt::Error error = train::checkFolderTarget(weightsDir); !error.ok())
    return error;
  if (train::samePlace(programPath, weightsDir))
    return rt::Error::failure("cannot write '" + programPath +
                              "': it is also the --params-out folder");
  return rt::Error::success();
}

/// The importer's failure, one `error:` line per problem (per node it
/// cannot translate).
rt::Error errorLines(const std::string &message) {
  std::string lines;
  for (llvm::StringRef rest = message; !rest.empty();) {
    auto [line, next] = rest.split('\n');
    lines += "error: " + line.str() + "\n";
    rest = next;
  }
  return rt::Error::rendered(lines);
}

} // namespace

rt::Expected<OnnxImportSummary>
importOnnxModel(const std::string &onnxPath, const std::string &programPath,
                const std::string &weightsDir,
                const onnx::ImportOptions &options) {
  if (rt::Error error = checkImportTargets(onnxPath, programPath, weightsDir);
      !error.ok())
    return error;
  rt::Expected<onnx::ImportedModel> model =
      onnx::importOnnxFile(onnxPath, options);
  if (!model.ok())
    return errorLines(model.message());

  // The program must check as `nnc check` checks it: the frontend, then
  // the nn dialect's verifier.
  LoadedModel loaded;
  // Named as `nnc run MODEL.onnx` names it: the program is not written.
  loaded.diagnostics = std::make_unique<frontend::DiagnosticEngine>(
      onnxPath + " (imported)", model->source);
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
    return rt::Error::rendered(
        rendered.str() + "error: " + onnxPath +
        ": nnc cannot run the model as translated (above, at the node the "
        "quoted line names); nothing was written\n");

  // No output may replace what the import read: the model, checked above,
  // and its external data, known now (an import into the model's own
  // folder could write a weight NAME.npy over a data file of that name).
  std::vector<std::string> inputs = model->externalFiles;
  inputs.push_back(onnxPath);
  if (rt::Error error = train::checkNotAnInput(programPath, inputs);
      !error.ok())
    return error;
  for (const auto &[name, tensor] : model->weights) {
    std::string weightPath = weightsDir + "/" + name + ".npy";
    if (rt::Error error = train::checkNotAnInput(weightPath, inputs);
        !error.ok())
      return error;
    // The program and a weight staged for one path: the one renamed last
    // would replace the other.
    if (train::samePlace(weightPath, programPath))
      return rt::Error::failure("cannot write '" + programPath +
                                "': it is also the file of weight '" + name +
                                "' in the --params-out folder");
  }

  llvm::StringRef programFolder = llvm::sys::path::parent_path(programPath);
  for (llvm::StringRef folder : {llvm::StringRef(weightsDir), programFolder})
    if (!folder.empty())
      if (rt::Error error = rt::makeFolders(folder.str()); !error.ok())
        return error;
  // The weights and the program as one write: all are staged before any
  // replaces an old one, so that a full disk or a crash leaves the last
  // import whole, never a program beside half its weights.
  OnnxImportSummary summary;
  std::vector<rt::StagedFile> staged;
  auto stage = [&](const std::string &path,
                   rt::Expected<std::string> bytes) -> rt::Error {
    rt::Expected<rt::StagedFile> file =
        bytes
            ? rt::stageFile(path, *bytes)
            : rt::Expected<rt::StagedFile>(bytes.takeError().withContext(path));
    if (!file.ok())
      return file.takeError();
    staged.push_back(std::move(*file));
    return rt::Error::success();
  };
  for (const auto &[name, tensor] : model->weights) {
    if (rt::Error error = stage(weightsDir + "/" + name + ".npy",
                                rt::encodeNpy(tensor.view()));
        !error.ok()) {
      rt::discardStagedFiles(staged);
      return error;
    }
    summary.weightBytes += tensor.byteSize();
  }
  if (rt::Error error = stage(programPath, model->source); !error.ok()) {
    rt::discardStagedFiles(staged);
    return error;
  }
  if (rt::Error error = rt::commitStagedFiles(staged); !error.ok())
    return error;
  summary.opset = model->opset;
  summary.nodes = model->nodeCount;
  summary.weights = model->weights.size();
  summary.notes = std::move(model->notes);
  return summary;
}

} // namespace nnc::driver
