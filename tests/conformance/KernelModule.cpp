//===- KernelModule.cpp - Test graphs as the plugin ABI wants them --------===//

#include "tests/conformance/KernelModule.h"

#include "ir/NNDialect.h"

#include "mlir/Bytecode/BytecodeWriter.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <optional>

using namespace mlir;
using namespace nnc;
using namespace nnc::conformance;

namespace {

std::optional<rt::DType> toDType(Type type) {
  if (type.isF32())
    return rt::DType::F32;
  if (type.isF64())
    return rt::DType::F64;
  if (type.isInteger(32))
    return rt::DType::I32;
  if (type.isInteger(64))
    return rt::DType::I64;
  if (type.isUnsignedInteger(8))
    return rt::DType::U8;
  return std::nullopt;
}

rt::Expected<BufferType> toBufferType(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  std::optional<rt::DType> dtype =
      tensor ? toDType(tensor.getElementType()) : std::nullopt;
  if (!tensor || !tensor.hasStaticShape() || !dtype) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << "kernel buffers must be static tensors of a runtime dtype, got "
       << type;
    return rt::Error::failure(os.str());
  }
  return BufferType{*dtype,
                    {tensor.getShape().begin(), tensor.getShape().end()}};
}

rt::Expected<KernelSignature> signatureOf(func::FuncOp fn) {
  KernelSignature signature;
  for (Type type : fn.getArgumentTypes()) {
    rt::Expected<BufferType> buffer = toBufferType(type);
    if (!buffer)
      return buffer.takeError();
    signature.arguments.push_back(*buffer);
  }
  for (Type type : fn.getResultTypes()) {
    rt::Expected<BufferType> buffer = toBufferType(type);
    if (!buffer)
      return buffer.takeError();
    signature.results.push_back(*buffer);
  }
  return signature;
}

} // namespace

rt::Expected<KernelModule>
nnc::conformance::buildKernelModule(const std::string &mlirText) {
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.allowUnregisteredDialects();
  context.loadAllAvailableDialects();

  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    diagnostics += diag.str() + "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module =
      parseSourceString<ModuleOp>(mlirText, ParserConfig(&context));
  if (!module)
    return rt::Error::failure("cannot parse the test graph: " + diagnostics);

  KernelModule result;
  std::vector<std::optional<KernelSignature>> kernels;
  for (auto fn : module->getOps<func::FuncOp>()) {
    StringRef name = fn.getSymName();
    size_t index = 0;
    if (!name.consume_front("kernel_") || name.getAsInteger(10, index))
      return rt::Error::failure("test graph function @" +
                                fn.getSymName().str() +
                                " is not named kernel_<i>");
    rt::Expected<KernelSignature> signature = signatureOf(fn);
    if (!signature)
      return signature.takeError().withContext("@" + fn.getSymName().str());
    if (index >= kernels.size())
      kernels.resize(index + 1);
    kernels[index] = std::move(*signature);
  }
  for (size_t i = 0; i < kernels.size(); ++i) {
    if (!kernels[i])
      return rt::Error::failure("test graph lacks @kernel_" +
                                std::to_string(i));
    result.kernels.push_back(std::move(*kernels[i]));
  }

  module->walk([&](Operation *op) {
    if (!isa<ModuleOp, func::FuncOp, func::ReturnOp>(op))
      result.opNames.push_back(op->getName().getStringRef().str());
  });
  std::sort(result.opNames.begin(), result.opNames.end());
  result.opNames.erase(
      std::unique(result.opNames.begin(), result.opNames.end()),
      result.opNames.end());

  llvm::raw_string_ostream os(result.bytecode);
  if (failed(writeBytecodeToFile(*module, os)))
    return rt::Error::failure("cannot write the test graph as bytecode");
  os.flush();
  return result;
}
