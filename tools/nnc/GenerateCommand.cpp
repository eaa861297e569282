//===- GenerateCommand.cpp - nnc generate ---------------------------------===//
//
// Streams the bytes driver::TextGenerator samples (driver/TextGenerator.h)
// to stdout as they come, and the speed to stderr.
//
//===----------------------------------------------------------------------===//

#include "driver/ArtifactBuilder.h"
#include "driver/OpenModel.h"
#include "driver/TextGenerator.h"
#include "tools/nnc/Commands.h"
#include "tools/nnc/LibraryNames.h"

#include "runtime/FileIO.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>

namespace nnc::cli {

ExitCode runGenerate(const GenerateOptions &options) {
  rt::SamplingOptions sampling{options.temperature, options.topK, options.seed};
  if (rt::Error error = driver::TextGenerator::checkRequest(
          options.prompt, options.tokens, sampling);
      !error.ok())
    return reportError(train::CodedError::usage(error.message()));
  std::unique_ptr<ModelSession> session =
      openModel(options.session, options.modelPath);
  if (!session)
    return UserError;
  ParameterStore params;
  if (!initializeParameters(params, session->program(), options.paramsDir,
                            /*seed=*/std::nullopt))
    return UserError;
  // Untrained weights sample noise; nothing else would show it.
  if (driver::parametersAreUntrained(session->program(), options.paramsDir,
                                     params))
    llvm::errs() << "warning: no trained parameters ("
                 << (options.paramsDir.empty()
                         ? std::string("no --params given")
                         : "none in '" + options.paramsDir + "'")
                 << "): the weights are their initializers' values, so the "
                    "text is noise\n";
  rt::Expected<std::unique_ptr<driver::TextGenerator>> generator =
      driver::TextGenerator::create(*session, std::move(params));
  if (!generator.ok())
    return reportError(generator.takeError());
  int64_t context = (*generator)->context();
  if (static_cast<int64_t>(options.prompt.size()) > context)
    llvm::errs() << "note: the prompt is " << options.prompt.size()
                 << " bytes, longer than the context of " << context
                 << ": generating from its last " << context << "\n";
  // A stdout that fails (a full disk) ends the run with one line, not
  // LLVM's report when the stream is destroyed with its error; a closed
  // pipe ends it by SIGPIPE, as it ends any filter (`| head`).
  auto emit = [](std::string_view bytes) {
    llvm::outs() << bytes;
    llvm::outs().flush();
    if (!llvm::outs().has_error())
      return rt::Error::success();
    std::string reason = rt::errnoMessage(llvm::outs().error().value());
    llvm::outs().clear_error();
    return rt::Error::failure("cannot write the text to stdout: " + reason);
  };
  auto start = std::chrono::steady_clock::now();
  if (rt::Error error =
          (*generator)
              ->generate(options.prompt, options.tokens, sampling, emit);
      !error.ok())
    return reportError(error);
  if (rt::Error error = emit("\n"); !error.ok())
    return reportError(error);
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  llvm::errs() << llvm::format("generated %lld bytes in %.2f s (%.1f bytes/s)\n",
                               static_cast<long long>(options.tokens), seconds,
                               seconds > 0 ? options.tokens / seconds : 0.0);
  return Success;
}

} // namespace nnc::cli
