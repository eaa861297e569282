//===- ModelLoader.cpp - Read, check and lower a .nn file -----------------===//

#include "driver/ModelLoader.h"

#include "driver/SourceDiagnosticHandler.h"
#include "frontend/Frontend.h"
#include "frontend/MLIRGen.h"
#include "onnx/OnnxImport.h"
#include "runtime/Artifact.h"

#include "llvm/Support/FileSystem.h"

#include <filesystem>
#include <map>
#include <sstream>

namespace nnc::driver {

namespace {

/// A (possibly multi-line) importer error with each line as `error: ...`:
/// the importer lists every unsupported node, one per line.
rt::Error errorLines(const std::string &message) {
  std::string rendered;
  size_t start = 0;
  while (start <= message.size()) {
    size_t end = message.find('\n', start);
    if (end == std::string::npos)
      end = message.size();
    rendered += "error: " + message.substr(start, end - start) + "\n";
    start = end + 1;
  }
  return rt::Error::rendered(rendered);
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

/// Model source is text a person writes: the most read of it. More is
/// refused rather than read to its end, which /dev/zero never reaches.
constexpr size_t kMaxSourceBytes = size_t(64) << 20;
/// The leading bytes searched for a NUL, which no model text holds.
constexpr size_t kBinaryProbeBytes = size_t(1) << 16;

/// The text of `path` ("-": standard input), read in chunks: a file that
/// is binary shows it in its first chunk and is read no further, and one
/// past kMaxSourceBytes is an error. Any kind of file, so that a pipe (a
/// shell's `<(...)`) works too.
rt::Expected<std::string> readSourceText(const std::string &path) {
  llvm::Expected<llvm::sys::fs::file_t> opened =
      path == "-" ? llvm::Expected<llvm::sys::fs::file_t>(
                        llvm::sys::fs::getStdinHandle())
                  : llvm::sys::fs::openNativeFileForRead(path);
  if (!opened)
    return rt::Error::failure(
        "cannot read '" + path +
        "': " + llvm::errorToErrorCode(opened.takeError()).message());
  llvm::sys::fs::file_t file = *opened;
  std::string text;
  std::string failure;
  char chunk[1 << 16];
  for (;;) {
    llvm::Expected<size_t> read =
        llvm::sys::fs::readNativeFile(file, llvm::MutableArrayRef(chunk));
    if (!read) {
      failure = "cannot read '" + path +
                "': " + llvm::errorToErrorCode(read.takeError()).message();
      break;
    }
    if (*read == 0)
      break;
    text.append(chunk, *read);
    if (text.size() >= kBinaryProbeBytes &&
        llvm::StringRef(text).take_front(kBinaryProbeBytes).contains('\0'))
      break;
    if (text.size() > kMaxSourceBytes) {
      failure = path + ": more than " + std::to_string(kMaxSourceBytes >> 20) +
                " MiB, too large for model source text";
      break;
    }
  }
  if (path != "-")
    llvm::sys::fs::closeFile(file);
  if (!failure.empty())
    return rt::Error::failure(failure);
  return text;
}

} // namespace

rt::Expected<LoadedModel> loadModel(const std::string &path) {
  std::string source;
  std::string displayName = path;
  std::vector<std::pair<std::string, rt::Tensor>> importedWeights;
  if (onnx::isOnnxPath(path)) {
    rt::Expected<onnx::ImportedModel> imported = onnx::importOnnxFile(path);
    if (!imported.ok())
      return errorLines(imported.message());
    source = std::move(imported->source);
    importedWeights = std::move(imported->weights);
    // Diagnostics then point into the generated program, which
    // `nnc import` writes out for reading.
    displayName = path + " (imported)";
  } else {
    rt::Expected<std::string> text = readSourceText(path);
    if (!text.ok())
      return text.takeError();
    source = std::move(*text);
    // Binary bytes are no model text: one line, not a page of parse
    // errors quoting them.
    if (llvm::StringRef(source).take_front(kBinaryProbeBytes).contains('\0')) {
      if (!rt::hasArtifactIdentifier(source))
        return rt::Error::failure(path +
                                  ": binary data, not model source text");
      // Commands tell an artifact by peeking at a regular file, which a
      // pipe cannot be without consuming it.
      std::error_code ec;
      if (!std::filesystem::is_regular_file(path, ec))
        return rt::Error::failure(
            path + ": a compiled artifact through a pipe; artifacts are "
                   "read from files: save it to one and pass its path");
      return rt::Error::failure(
          path + ": a compiled artifact, not model source (nnc run, eval "
                 "and inspect take artifacts; nnc train --resume FILE.nnx "
                 "continues training one)");
    }
  }
  LoadedModel model;
  model.diagnostics =
      std::make_unique<frontend::DiagnosticEngine>(displayName, source);
  std::optional<frontend::Program> program =
      frontend::compileSource(*model.diagnostics);
  if (!program) {
    std::ostringstream rendered;
    model.diagnostics->print(rendered);
    return rt::Error::rendered(rendered.str());
  }
  model.program = std::move(*program);
  adoptImportedWeights(model.program, importedWeights);
  return model;
}

rt::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
lowerModel(mlir::MLIRContext &context, const LoadedModel &model) {
  SourceDiagnosticHandler handler(context, *model.diagnostics);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      frontend::generateModule(context, model.program);
  if (!module)
    return handler.failure("the model does not lower to the nn dialect");
  return module;
}

} // namespace nnc::driver
