//===- Context.h - The MLIR context nnc compiles in -------------*- C++ -*-===//

#ifndef NNC_DRIVER_CONTEXT_H
#define NNC_DRIVER_CONTEXT_H

#include "mlir/IR/MLIRContext.h"

#include <memory>

namespace nnc::driver {

/// A context with every dialect nnc uses registered and loaded, and
/// multithreading off: the CLI compiles one small graph at a time.
std::unique_ptr<mlir::MLIRContext> createContext();

} // namespace nnc::driver

#endif // NNC_DRIVER_CONTEXT_H
