//===- IrCommand.cpp - nnc ir ---------------------------------------------===//

#include "tools/nnc/Commands.h"
#include "tools/nnc/Context.h"
#include "tools/nnc/ModelLoader.h"

#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/ViewOpGraph.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

namespace nnc::cli {

const char *const *irStages() {
  static const char *const stages[] = {"frontend", nullptr};
  return stages;
}

ExitCode runIr(const IrOptions &options) {
  bool knownStage = false;
  for (const char *const *stage = irStages(); *stage; ++stage)
    knownStage |= options.stage == *stage;
  if (!knownStage) {
    llvm::errs() << "error: unknown stage '" << options.stage
                 << "' (stages: frontend)\n";
    return UsageError;
  }

  std::optional<LoadedModel> model = loadModel(options.modelPath);
  if (!model)
    return UserError;
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = lowerModel(*context, *model);
  if (!module)
    return UserError;

  if (options.dot) {
    mlir::PassManager pm(context.get());
    pm.addPass(mlir::createPrintOpGraphPass(llvm::outs()));
    if (mlir::failed(pm.run(*module)))
      return UserError;
    return Success;
  }
  mlir::OpPrintingFlags flags;
  flags.enableDebugInfo(options.locations, /*prettyForm=*/false);
  module->print(llvm::outs(), flags);
  llvm::outs() << "\n";
  return Success;
}

} // namespace nnc::cli
