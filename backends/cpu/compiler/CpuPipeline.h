//===- CpuPipeline.h - Kernel functions to JIT-compiled code ----*- C++ -*-===//
//
// Wraps kernel functions into functions over buffers (memrefs in, results
// written in place), converts their nn ops to linalg, lowers through
// bufferization, loops and vectors to the LLVM dialect, and JIT-compiles
// them for the host CPU, a few kernels per object file (cached on disk, see
// KernelObjectCache.h), each linked by an ORC LLJIT.
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
  /// Buffers (the function's arguments, then its results) that the
  /// executor always passes as the same memory as an earlier one: pairs
  /// (buffer, earlier buffer). The code then reads both through one
  /// pointer, so that LLVM sees an elementwise map computed in place for
  /// what it is, and vectorises it without a runtime overlap check (which
  /// would send exactly that case to the scalar loop).
  std::vector<std::pair<unsigned, unsigned>> sameBuffers;
};

/// Registers what the pipeline needs in `registry` (dialects, bufferization
/// and translation interfaces).
void registerPipelineDialects(mlir::DialectRegistry &registry);

/// A compiled module: the JIT session that owns the running code, and the
/// position-independent object for each target asked for.
struct JitModule {
  std::shared_ptr<void> session;
  std::shared_ptr<const ModuleCode> code;
};

/// Compiles each of `modules` into a JIT session of its own; functions[m][i]
/// receives the packed entry point of modules[m][i], named
/// packedSymbol(modules[m][i].name) in the objects. The modules optimise and
/// generate code in parallel (oneTBB), each in its own LLVM context.
/// targets[0] must be hostCodeTarget(): its object is the one the JIT runs;
/// the others are only kept (for compiled artifacts). `diskCache` false
/// keeps KernelObjectCache out of it.
llvm::Expected<std::vector<JitModule>>
jitCompile(mlir::MLIRContext &context,
           llvm::ArrayRef<std::vector<KernelVariant>> modules,
           llvm::ArrayRef<CodeTarget> targets, bool diskCache,
           std::vector<std::vector<PackedFn>> &functions);

/// The symbol of a kernel variant's packed entry point.
std::string packedSymbol(llvm::StringRef variantName);

/// This CPU, as the JIT compiles for it.
const CodeTarget &hostCodeTarget();

/// The target for an LLVM CPU name given to --target-cpu: "host", or an
/// x86-64 ISA level ("x86-64-v2", "x86-64-v3", "x86-64-v4"). Fails on
/// anything else.
llvm::Expected<CodeTarget> codeTargetNamed(llvm::StringRef name);

/// "<cpu name>:<features>" of the host, as the code is compiled for it.
std::string hostTargetDescription();

} // namespace nnc::cpu

#endif // NNC_BACKENDS_CPU_COMPILER_CPUPIPELINE_H
