//===- KernelModule.cpp - Reading the kernel module a backend gets --------===//

#include "ir/KernelModule.h"

#include "mlir/Bytecode/BytecodeReader.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <optional>

using namespace mlir;

namespace nnc {

OwningOpRef<ModuleOp> parseKernelModule(MLIRContext &context,
                                        const void *bytecode, size_t size,
                                        const ErrorDiagnostics &diagnostics,
                                        std::string &error) {
  // A copy: the bytecode reader wants its buffer aligned, which the
  // caller's pointer need not be.
  std::unique_ptr<llvm::MemoryBuffer> buffer =
      llvm::MemoryBuffer::getMemBufferCopy(
          StringRef(static_cast<const char *>(bytecode), size), "graph");
  // The parser would also take text, and read an empty buffer as an empty
  // module.
  if (!isBytecode(buffer->getMemBufferRef())) {
    error = "the graph is not MLIR bytecode";
    return nullptr;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(buffer), llvm::SMLoc());
  OwningOpRef<ModuleOp> module =
      parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  if (!module)
    error = diagnostics.describe("cannot parse the graph module");
  return module;
}

Operation *findUnsupportedOp(ModuleOp module,
                             const char *const *supportedOps) {
  auto listed = [&](StringRef name) {
    for (const char *const *op = supportedOps; *op; ++op)
      if (name == *op)
        return true;
    return false;
  };
  Operation *unsupported = nullptr;
  module.walk([&](Operation *op) {
    if (isa<ModuleOp, func::FuncOp, func::ReturnOp>(op) ||
        listed(op->getName().getStringRef()))
      return WalkResult::advance();
    unsupported = op;
    return WalkResult::interrupt();
  });
  return unsupported;
}

namespace {

/// The kernel index named by `name` ("kernel_12" gives 12), if it is one.
std::optional<size_t> kernelIndex(StringRef name) {
  if (!name.consume_front("kernel_") || name.empty() ||
      (name.size() > 1 && name.front() == '0'))
    return std::nullopt;
  size_t index = 0;
  if (name.getAsInteger(10, index))
    return std::nullopt;
  return index;
}

} // namespace

FailureOr<std::vector<func::FuncOp>> kernelFunctions(ModuleOp module) {
  // n functions must be kernel_0 ... kernel_<n-1>; an index of n or more
  // means one below n is missing, which the loop below reports.
  std::vector<func::FuncOp> functions(module.getBody()->getOperations().size());
  for (Operation &op : module.getBody()->getOperations()) {
    auto fn = dyn_cast<func::FuncOp>(op);
    if (!fn) {
      op.emitError("expected only kernel functions at the top of the module");
      return failure();
    }
    std::optional<size_t> index = kernelIndex(fn.getSymName());
    if (!index) {
      fn.emitError("expected a function named kernel_<i>, got @")
          << fn.getSymName();
      return failure();
    }
    if (*index >= functions.size())
      continue;
    if (functions[*index]) {
      fn.emitError("duplicate kernel function @") << fn.getSymName();
      return failure();
    }
    functions[*index] = fn;
  }
  for (size_t i = 0; i < functions.size(); ++i) {
    if (!functions[i]) {
      module.emitError("missing kernel function @kernel_") << i;
      return failure();
    }
  }
  return functions;
}

} // namespace nnc
