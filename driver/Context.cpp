//===- Context.cpp - The MLIR context nnc compiles in ---------------------===//

#include "driver/Context.h"

#include "ir/NNDialect.h"

#include "mlir/IR/DialectRegistry.h"

namespace nnc::driver {

std::unique_ptr<mlir::MLIRContext> createContext() {
  mlir::DialectRegistry registry;
  nnc::registerAllDialects(registry);
  auto context = std::make_unique<mlir::MLIRContext>(
      registry, mlir::MLIRContext::Threading::DISABLED);
  context->loadAllAvailableDialects();
  return context;
}

} // namespace nnc::driver
