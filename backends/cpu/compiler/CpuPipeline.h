//===- CpuPipeline.h - Kernel functions to JIT-compiled code ----*- C++ -*-===//
//
// Wraps kernel functions into functions over buffers (memrefs in, results
// written in place), converts their nn ops to linalg, lowers through
// bufferization, loops and vectors to the LLVM dialect, and JIT-compiles
// the lot for the host CPU into one object file (cached on disk, see
// KernelObjectCache.h), linked by an ORC LLJIT.
//
//===----------------------------------------------------------------------===//

#ifndef NNC_BACKENDS_CPU_COMPILER_CPUPIPELINE_H
#define NNC_BACKENDS_CPU_COMPILER_CPUPIPELINE_H

#include "backends/cpu/CpuKernel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Error.h"

namespace nnc::cpu {

/// One function to compile: `source` specialised to `rows` leading rows of
/// the results and of the arguments marked in `slicedArgs` (rows 0: as is).
struct KernelVariant {
  mlir::func::FuncOp source;
  std::string name;
  int64_t rows = 0;
  std::vector<bool> slicedArgs;
};

/// Registers what the pipeline needs in `registry` (dialects, bufferization
/// and translation interfaces).
void registerPipelineDialects(mlir::DialectRegistry &registry);

/// Compiles `variants` into one JIT session; `functions[i]` receives the
/// packed entry point of variants[i]. The returned pointer owns the code.
llvm::Expected<std::shared_ptr<void>>
jitCompile(mlir::MLIRContext &context, llvm::ArrayRef<KernelVariant> variants,
           std::vector<PackedFn> &functions);

/// "<cpu name>:<features>" of the host, as the code is compiled for it.
std::string hostTargetDescription();

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_CPUPIPELINE_H
