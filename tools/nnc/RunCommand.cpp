//===- RunCommand.cpp - nnc run -------------------------------------------===//
//
// Compiles a model for the batch size of its inputs, hands the kernels to a
// backend plugin, runs them once on the oneTBB executor and writes one .npy
// per output.
//
//===----------------------------------------------------------------------===//

#include "tools/nnc/Commands.h"
#include "tools/nnc/CompiledModel.h"
#include "tools/nnc/ParameterStore.h"

#include "runtime/Npy.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

namespace nnc::cli {

ExitCode runRun(const RunOptions &options) {
  std::map<std::string, rt::Tensor> feeds;
  if (ExitCode code = readNamedTensors(options.inputs, "--input", feeds))
    return code;

  std::optional<CompiledModel> model = compileModel(options.session,
                                                    options.modelPath, feeds);
  if (!model)
    return UserError;

  ParameterStore params;
  if (!params.initialize(model->loaded.program, options.paramsDir,
                         options.seed))
    return UserError;

  std::map<std::string, rt::Tensor> outputs;
  if (!model->run(feeds, params, outputs))
    return UserError;

  if (std::error_code ec =
          llvm::sys::fs::create_directories(options.outputDir)) {
    llvm::errs() << "error: cannot create '" << options.outputDir
                 << "': " << ec.message() << "\n";
    return UserError;
  }
  for (const auto &[name, tensor] : outputs) {
    std::string path = options.outputDir + "/" + name + ".npy";
    if (rt::Error error = rt::writeNpy(path, tensor.view()); !error.ok()) {
      llvm::errs() << "error: " << error.message() << "\n";
      return UserError;
    }
    // A one-line summary per output; scalars (the loss) show their value.
    rt::ConstTensorView view = tensor.view();
    llvm::outs() << name << ": "
                 << rt::typeToString(view.dtype(), view.shape());
    if (view.numElements() == 1 && view.dtype() == rt::DType::F32)
      llvm::outs() << " = " << view.data<float>()[0];
    else if (view.numElements() == 1 && view.dtype() == rt::DType::F64)
      llvm::outs() << " = " << view.data<double>()[0];
    llvm::outs() << " -> " << path << "\n";
  }
  if (!options.paramsOutDir.empty() && !params.save(options.paramsOutDir))
    return UserError;
  return Success;
}

} // namespace nnc::cli
