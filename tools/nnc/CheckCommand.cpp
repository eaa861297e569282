//===- CheckCommand.cpp - nnc check ---------------------------------------===//

#include "driver/Context.h"
#include "driver/ModelLoader.h"
#include "runtime/Counted.h"
#include "tools/nnc/Commands.h"

#include "llvm/Support/raw_ostream.h"

namespace nnc::cli {

ExitCode runCheck(const CheckOptions &options) {
  rt::Expected<driver::LoadedModel> model =
      driver::loadModel(options.modelPath);
  if (!model.ok())
    return reportError(model.takeError());
  std::unique_ptr<mlir::MLIRContext> context = driver::createContext();
  if (rt::Error error = driver::lowerModel(*context, *model).takeError();
      !error.ok())
    return reportError(std::move(error));

  const frontend::Program &program = model->program;
  size_t params = 0, weights = 0, inputs = 0;
  for (const frontend::Argument &arg : program.arguments) {
    inputs += arg.role == frontend::Argument::Role::Input;
    if (arg.role != frontend::Argument::Role::Param)
      continue;
    ++params;
    size_t count = 1;
    for (int64_t dim : arg.type.shape)
      count *= static_cast<size_t>(dim);
    weights += count;
  }
  llvm::outs() << options.modelPath << ": ok: model '" << program.modelName
               << "', " << rt::counted(inputs, "input") << ", "
               << rt::counted(params, "parameter") << " ("
               << rt::counted(weights, "weight") << "), "
               << rt::counted(program.nodes.size(), "op") << ", "
               << rt::counted(program.outputs.size(), "output")
               << (program.hasLoss ? ", a loss" : "") << "\n";
  return Success;
}

} // namespace nnc::cli
