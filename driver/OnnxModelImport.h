//===- OnnxModelImport.h - ONNX to a program and weights -------*- C++ -*-===//
//
// `nnc import` as a library call: the importer's translation (onnx/), the
// program checked as `nnc check` checks it, then the weights and the
// program written. Nothing is written unless the program checks, so a
// translation the frontend or the nn dialect rejects never leaves the
// user's folders half-filled.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_ONNXMODELIMPORT_H
#define NNC_DRIVER_ONNXMODELIMPORT_H

#include "onnx/OnnxImport.h"
#include "runtime/Status.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nnc::driver {

/// What an import wrote.
struct OnnxImportSummary {
  int64_t opset = 0, nodes = 0;
  size_t weights = 0, weightBytes = 0;
  /// What the user should know about the translation (ImportedModel::notes).
  std::vector<std::string> notes;
};

/// Translates the ONNX model at `onnxPath` into the program `programPath`
/// and one `weightsDir`/NAME.npy per weight, creating the folders. Outputs
/// that cannot be written (a folder as the program, the model itself) are
/// refused before the model is read. The importer's errors come rendered,
/// one `error:` line per node it cannot translate; a program that does not
/// check, as the rendered diagnostics. Nothing is written on failure.
rt::Expected<OnnxImportSummary>
importOnnxModel(const std::string &onnxPath, const std::string &programPath,
                const std::string &weightsDir,
                const onnx::ImportOptions &options = {});

} // namespace nnc::driver

#endif // NNC_DRIVER_ONNXMODELIMPORT_H
