//===- OnnxModelImport.h - ONNX to a program and weights -------*- C++ -*-===//
//-*-===//
//
// `nnc import` as a library call: the importer's translation (onnx/), the
// program checked as `nnc check` checks it, then the weights and the
// program written. Nothing is written unless the program checks, so a
// translation the frontend or the nn dialect rejects (the importer's bug)
// never leaves the user's folders half-filled.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_DRIVER_ONNXMODELIMPORT_H
#define NNC_DRIVER_ONNXMODELIMPORT_H

#include "runtime/Status.h"

#include <cstdint>
#include <string>

namespace nnc::driver {

/// What an import wrote.
struct OnnxImportSummary {
  int64_t opset = 0, nodes = 0;
  size_t weights = 0, weightBytes = 0;
};

/// Translates the ONNX model at `onnxPath` into the program `programPath`
/// and one `weightsDir`/NAME.npy per weight. The importer's errors (one
/// line per node it cannot translate) come as one failure of several
/// lines; a program that does not check, as the rendered diagnostics.
rt::Expected<OnnxImportSummary> importOnnxModel(const std::string &onnxPath,
                                                const std::string &programPath,
                                                const std::string &weightsDir);

} // namespace nnc::driver

#endif // NNC_DRIVER_ONNXMODELIMPORT_H
