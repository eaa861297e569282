//===- OnnxImportFuzzer.cpp - libFuzzer entry point for the ONNX importer -===//
//
// Feeds arbitrary bytes through nnc::onnx::importOnnxBytes. A crash, a
// sanitizer report, a hang or a runaway allocation is a bug: the importer
// must turn every input into a program or an error. A program it returns
// must also pass the frontend, which is what `nnc import` promises before
// it writes anything.
//
//===----------------------------------------------------------------------===//

#include "frontend/Frontend.h"
#include "onnx/OnnxImport.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  nnc::rt::Expected<nnc::onnx::ImportedModel> model =
      nnc::onnx::importOnnxBytes(bytes, "fuzz.onnx");
  if (!model.ok()) {
    if (model.message().empty())
      std::abort();
    return 0;
  }
  nnc::frontend::DiagnosticEngine diags("fuzz.nn", model->source);
  if (!nnc::frontend::compileSource(diags))
    std::abort();
  return 0;
}
